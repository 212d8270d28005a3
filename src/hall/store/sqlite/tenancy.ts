/**
 * Tenancy rows of the SQLite store: API tokens, namespaces and tiers.
 *
 * @module
 */

import type { NamespaceRow, TierRow, TokenRow } from "../types.ts";
import { parse, promised, type SqliteDb } from "./db.ts";

/** Tokens, namespaces and tiers over one connection. */
export class SqliteTenancy {
  readonly #db: SqliteDb;

  /** Rows in `db`. */
  constructor(db: SqliteDb) {
    this.#db = db;
  }

  createToken(row: TokenRow): Promise<void> {
    return promised(() => {
      this.#db.run(
        "INSERT INTO tokens (token_id, token_hash, revoked_at, data) VALUES (?, ?, ?, ?)",
        row.token_id,
        row.token_hash,
        row.revoked_at,
        JSON.stringify(row),
      );
    });
  }
  findToken(tokenHash: string): Promise<TokenRow | null> {
    const row = this.#db.get(
      "SELECT data FROM tokens WHERE token_hash = ? AND revoked_at IS NULL",
      tokenHash,
    );
    return promised(() => row ? parse<TokenRow>(row) : null);
  }
  listTokens(): Promise<TokenRow[]> {
    return promised(() =>
      this.#db.all("SELECT data FROM tokens ORDER BY token_id").map((r) => parse<TokenRow>(r))
    );
  }
  revokeTokenKeepingAdmin(
    tokenId: string,
    at: string,
  ): Promise<"revoked" | "unknown" | "last_admin"> {
    // BEGIN IMMEDIATE: the check and the update hold the write lock, across connections.
    return promised(() =>
      this.#db.tx(() => {
        const row = this.#db.get("SELECT data FROM tokens WHERE token_id = ?", tokenId);
        if (!row) return "unknown";
        const t = parse<TokenRow>(row);
        if (t.revoked_at !== null) return "unknown";
        if (t.role === "admin") {
          const active = this.#db.all("SELECT data FROM tokens WHERE revoked_at IS NULL")
            .map((r) => parse<TokenRow>(r)).filter((x) => x.role === "admin");
          if (active.length <= 1) return "last_admin";
        }
        this.#db.run(
          "UPDATE tokens SET revoked_at = ?, data = ? WHERE token_id = ?",
          at,
          JSON.stringify({ ...t, revoked_at: at }),
          tokenId,
        );
        return "revoked";
      })
    );
  }
  revokeToken(tokenId: string, at: string): Promise<boolean> {
    return promised(() =>
      this.#db.tx(() => {
        const row = this.#db.get("SELECT data FROM tokens WHERE token_id = ?", tokenId);
        if (!row) return false;
        const t = parse<TokenRow>(row);
        if (t.revoked_at !== null) return false;
        this.#db.run(
          "UPDATE tokens SET revoked_at = ?, data = ? WHERE token_id = ?",
          at,
          JSON.stringify({ ...t, revoked_at: at }),
          tokenId,
        );
        return true;
      })
    );
  }
  putNamespace(row: NamespaceRow): Promise<void> {
    return promised(() => {
      this.#db.run(
        "INSERT OR REPLACE INTO namespaces (namespace, data) VALUES (?, ?)",
        row.namespace,
        JSON.stringify(row),
      );
    });
  }
  getNamespace(namespace: string): Promise<NamespaceRow | null> {
    const row = this.#db.get("SELECT data FROM namespaces WHERE namespace = ?", namespace);
    return promised(() => row ? parse<NamespaceRow>(row) : null);
  }
  listNamespaces(): Promise<NamespaceRow[]> {
    return promised(() =>
      this.#db.all("SELECT data FROM namespaces ORDER BY namespace").map((r) =>
        parse<NamespaceRow>(r)
      )
    );
  }
  putTier(row: TierRow): Promise<void> {
    return promised(() => {
      this.#db.run(
        "INSERT OR REPLACE INTO tiers (tier, data) VALUES (?, ?)",
        row.tier,
        JSON.stringify(row),
      );
    });
  }
  getTier(tier: string): Promise<TierRow | null> {
    const row = this.#db.get("SELECT data FROM tiers WHERE tier = ?", tier);
    return promised(() => row ? parse<TierRow>(row) : null);
  }
  listTiers(): Promise<TierRow[]> {
    return promised(() =>
      this.#db.all("SELECT data FROM tiers ORDER BY tier").map((r) => parse<TierRow>(r))
    );
  }
}
