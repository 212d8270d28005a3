/**
 * Tenant scope of a caller. A namespace token (`org.acme`) acts as the tenant of the same name
 * (as `/mcp` does): it may decide and dispatch only for that tenant and read only that tenant's
 * receipts and telemetry; admin tokens act for any tenant.
 *
 * @module
 */

import { HttpError } from "./errors.ts";
import type { Principal } from "./middleware/auth.ts";

// Longest id the receipt routes accept as a query (they must be able to name every stored
// chain and find every receipt by its correlation id).
const MAX_ID = 200;

/**
 * 400 (`INVALID_TENANT_ID`, `INVALID_CORRELATION_ID`, ...) unless `value` is at most 200
 * characters without control characters (C0, DEL, C1) or the invisible format characters that
 * make one id display as another (zero-width, bidi overrides and isolates, BOM).
 */
export function checkTenantId(value: string, path = "tenant_id"): void {
  const code = `INVALID_${path.toUpperCase()}`;
  if (value.length > MAX_ID) {
    throw new HttpError(400, code, `${path}: at most ${MAX_ID} characters`, { path });
  }
  // deno-lint-ignore no-control-regex
  if (/[\u0000-\u001f\u007f-\u009f\u200b-\u200f\u202a-\u202e\u2060-\u2069\ufeff]/.test(value)) {
    throw new HttpError(
      400,
      code,
      `${path}: control or invisible format characters are not allowed`,
      { path },
    );
  }
}

/** 403 unless the caller may act for `tenant`. */
export function requireTenant(p: Principal, tenant: string, path = "tenant_id"): void {
  if (p.role === "admin") return;
  if (p.namespace !== tenant) {
    throw new HttpError(
      403,
      "TENANT_FORBIDDEN",
      `this token acts for tenant '${p.namespace}' only`,
      { path },
    );
  }
}

/**
 * The tenant a read is limited to: the requested one (checked), or for a namespace token its
 * own when none is requested; null = all tenants (admins only).
 */
export function readScope(p: Principal, requested: string | undefined): string | null {
  if (requested !== undefined) {
    requireTenant(p, requested);
    return requested;
  }
  return p.role === "admin" ? null : p.namespace;
}
