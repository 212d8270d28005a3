/**
 * `HallClient`: a typed client for the hall's HTTP API. (Lands with issue 4.)
 *
 * @module
 */
export {};
