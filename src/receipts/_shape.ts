// Shapes shared by minting (receipt.ts) and chain verification (chain.ts), so both accept
// exactly the same receipts.

/** A lowercase UUIDv7 (receipt ids). */
export const UUID7 = /^[0-9a-f]{8}-[0-9a-f]{4}-7[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/;

/** The dispatch facts a receipt carries as non-empty strings (spec 5.7). */
export const TEXT_FIELDS = [
  "tenant_id",
  "correlation_id",
  "dispatched_at",
  "worker_id",
  "capability_id",
  "policy_decision",
] as const;
