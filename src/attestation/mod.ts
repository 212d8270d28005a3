/**
 * Worker package attestation: package hash, manifests, HMAC and Ed25519 signing, DSSE/in-toto.
 * (Lands with issue 3.)
 *
 * @module
 */
export {};
