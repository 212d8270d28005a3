/**
 * Tenancy rows of the PostgreSQL store: API tokens, namespaces and tiers.
 *
 * @module
 */

import type { NamespaceRow, TierRow, TokenRow } from "../types.ts";
import type { Sql } from "./db.ts";
import { toNamespace, toTier, toToken } from "./rows.ts";

/** Tokens, namespaces and tiers. */
export class PgTenancy {
  readonly #sql: Sql;

  /** Rows over the pool `sql`. */
  constructor(sql: Sql) {
    this.#sql = sql;
  }

  async createToken(t: TokenRow): Promise<void> {
    await this.#sql`insert into tokens (token_id, token_hash, role, namespace, label, created_at,
      revoked_at) values (${t.token_id}, ${t.token_hash}, ${t.role}, ${t.namespace}, ${t.label},
      ${t.created_at}, ${t.revoked_at})`;
  }

  async findToken(tokenHash: string): Promise<TokenRow | null> {
    const [r] = await this.#sql`select * from tokens
      where token_hash = ${tokenHash} and revoked_at is null`;
    return r ? toToken(r) : null;
  }

  async listTokens(): Promise<TokenRow[]> {
    return (await this.#sql`select * from tokens order by created_at, token_id`).map(toToken);
  }

  async revokeTokenKeepingAdmin(
    tokenId: string,
    at: string,
  ): Promise<"revoked" | "unknown" | "last_admin"> {
    return await this.#sql.begin(async (tx) => {
      // Lock every active admin row first: a concurrent revoker waits here, then sees this
      // revocation (READ COMMITTED re-checks `revoked_at is null` on the rows it waited for).
      const admins = await tx`select token_id from tokens
        where role = 'admin' and revoked_at is null order by token_id for update`;
      const [target] = await tx`select role from tokens
        where token_id = ${tokenId} and revoked_at is null`;
      if (!target) return "unknown";
      if (target.role === "admin" && admins.length <= 1) return "last_admin";
      const rows = await tx`update tokens set revoked_at = ${at}
        where token_id = ${tokenId} and revoked_at is null returning token_id`;
      return rows.length === 1 ? "revoked" : "unknown";
    }) as "revoked" | "unknown" | "last_admin";
  }

  async revokeToken(tokenId: string, at: string): Promise<boolean> {
    const rows = await this.#sql`update tokens set revoked_at = ${at}
      where token_id = ${tokenId} and revoked_at is null returning token_id`;
    return rows.length === 1;
  }

  async putNamespace(n: NamespaceRow): Promise<void> {
    await this.#sql`insert into namespaces (namespace, tier, owner, created_at)
      values (${n.namespace}, ${n.tier}, ${n.owner}, ${n.created_at})
      on conflict (namespace) do update set tier = excluded.tier, owner = excluded.owner,
        created_at = excluded.created_at`;
  }

  async getNamespace(namespace: string): Promise<NamespaceRow | null> {
    const [r] = await this.#sql`select * from namespaces where namespace = ${namespace}`;
    return r ? toNamespace(r) : null;
  }

  async listNamespaces(): Promise<NamespaceRow[]> {
    return (await this.#sql`select * from namespaces order by namespace`).map(toNamespace);
  }

  async putTier(t: TierRow): Promise<void> {
    await this.#sql`insert into tiers (tier, max_workers, requests_per_minute)
      values (${t.tier}, ${t.max_workers}, ${t.requests_per_minute})
      on conflict (tier) do update set max_workers = excluded.max_workers,
        requests_per_minute = excluded.requests_per_minute`;
  }

  async getTier(tier: string): Promise<TierRow | null> {
    const [r] = await this.#sql`select * from tiers where tier = ${tier}`;
    return r ? toTier(r) : null;
  }

  async listTiers(): Promise<TierRow[]> {
    return (await this.#sql`select * from tiers order by tier`).map(toTier);
  }
}
