/**
 * Evidence receipts minted by the hall: hash chain, Ed25519 signatures, Merkle checkpoints.
 * (Lands with issue 3.)
 *
 * @module
 */
export {};
