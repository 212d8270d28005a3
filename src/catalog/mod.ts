/**
 * The WCP catalog (capabilities, species, controls, policies, profiles, events) and its search.
 * (Lands with issue 6.)
 *
 * @module
 */
export {};
