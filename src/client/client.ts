/**
 * `HallClient`: a typed client for the hall's HTTP API. Pure (fetch only), so it runs in Deno,
 * Node, Bun and browsers. Timeouts via `AbortSignal`, bounded retries that honour `Retry-After`,
 * typed errors (`HallError`).
 *
 * @module
 */

import type { RegistryRecord, RouteDecision, RouteInput } from "../model.ts";
import { validateRegistryRecord } from "../registry/registry.ts";
import type { Receipt } from "../receipts/receipt.ts";
import type { Checkpoint, InclusionProof } from "../receipts/checkpoint.ts";
import { HallError } from "./errors.ts";
import { parseSseStream } from "./sse.ts";
import type { HallListName, HallLists, HallPage, PageOptions } from "./pages.ts";
import type { TrustedKey } from "../attestation/ed25519.ts";
import type {
  ApprovalStatus,
  BanStatus,
  ChainVerification,
  DispatchResponse,
  HallAlert,
  HallApproval,
  HallBan,
  HallCapability,
  HallCheckpoint,
  HallHealth,
  HallNamespace,
  HallStats,
  HallStreamEvent,
  HallTier,
  HallToken,
  HallWorker,
  NamespaceGrant,
  ReceiptFilter,
  TelemetryList,
  WorkerAttestation,
} from "./types.ts";

/**
 * Options of `HallClient`.
 *
 * @example
 * ```ts
 * import type { HallClientOptions } from "@wcp/core";
 * const options: HallClientOptions = { baseUrl: "http://127.0.0.1:8787", timeoutMs: 5_000, retries: 3 };
 * ```
 */
export interface HallClientOptions {
  /** Base URL, e.g. `http://127.0.0.1:8787` (a trailing `/` is ignored). */
  baseUrl: string;
  /** Bearer token (admin or namespace). */
  token?: string;
  /** Per-attempt timeout in ms (default 10 000). */
  timeoutMs?: number;
  /** Retries after the first attempt (default 2). */
  retries?: number;
  /** Longest Retry-After honoured, in ms (default 30 000); longer waits fail at once. */
  maxRetryAfterMs?: number;
  /** The fetch to use (default `globalThis.fetch`). */
  fetch?: typeof fetch;
}

/**
 * Per-call options.
 *
 * @example
 * ```ts
 * import type { CallOptions } from "@wcp/core";
 * const ac = new AbortController();
 * const options: CallOptions = { signal: ac.signal };
 * ```
 */
export interface CallOptions {
  /** Cancels the call (combined with the timeout). */
  signal?: AbortSignal;
}

const RETRYABLE_GET = new Set([502, 503, 504]);

function sleep(ms: number, signal?: AbortSignal): Promise<void> {
  return new Promise((resolve, reject) => {
    if (signal?.aborted) return reject(signal.reason);
    const t = setTimeout(() => {
      signal?.removeEventListener("abort", onAbort);
      resolve();
    }, ms);
    const onAbort = () => {
      clearTimeout(t);
      reject(signal!.reason);
    };
    signal?.addEventListener("abort", onAbort, { once: true });
  });
}

function retryAfterMs(header: string | null, nowMs: number): number | undefined {
  if (header === null) return undefined;
  const seconds = Number(header);
  if (Number.isFinite(seconds) && seconds >= 0) return seconds * 1000;
  const date = Date.parse(header);
  return Number.isFinite(date) ? Math.max(0, date - nowMs) : undefined;
}

/**
 * The record with its `artifact_hash` when it has none: the JCS digest of the record as the hall
 * stores it (`attestation.code_hash` normalised to `sha256:<hex>`), so the stored form verifies
 * on its own. A record the core refuses is sent as is: the hall names the field.
 */
function withArtifactHash(record: unknown): unknown {
  if (typeof record !== "object" || record === null || Array.isArray(record)) return record;
  const r = record as Record<string, unknown>;
  if (r.artifact_hash !== undefined) return record;
  try {
    return { ...r, artifact_hash: validateRegistryRecord(r).artifact_hash };
  } catch {
    return record;
  }
}

// The field of a page answer that holds its rows.
const LIST_FIELD: Readonly<Record<HallListName, string>> = {
  workers: "workers",
  capabilities: "capabilities",
  approvals: "approvals",
  "approvals/pending": "approvals",
  receipts: "receipts",
  alerts: "alerts",
  "ban-list": "bans",
  tokens: "tokens",
  namespaces: "namespaces",
  tiers: "tiers",
  telemetry: "events",
};

function query(params: Record<string, string | number | boolean | undefined>): string {
  const q = new URLSearchParams();
  for (const [k, v] of Object.entries(params)) if (v !== undefined) q.set(k, String(v));
  const s = q.toString();
  return s ? `?${s}` : "";
}

/**
 * A typed client for the WCP hall API.
 *
 * @example
 * ```ts
 * import { HallClient } from "@wcp/core";
 * const hall = new HallClient({ baseUrl: "http://127.0.0.1:8787", token: "wcp_..." });
 * // const decision = await hall.route({ ...routeInput, dry_run: true });
 * // if (decision.outcome === "DISPATCH") await hall.dispatch(routeInput);
 * ```
 */
export class HallClient {
  readonly #base: string;
  readonly #token: string | undefined;
  readonly #timeoutMs: number;
  readonly #retries: number;
  readonly #maxRetryAfterMs: number;
  readonly #fetch: typeof fetch;

  /**
   * Create a client.
   *
   * @param options Base URL, token, timeout, retries.
   */
  constructor(options: HallClientOptions) {
    this.#base = options.baseUrl.replace(/\/+$/, "");
    this.#token = options.token;
    this.#timeoutMs = options.timeoutMs ?? 10_000;
    this.#retries = Math.max(0, Math.floor(options.retries ?? 2));
    this.#maxRetryAfterMs = options.maxRetryAfterMs ?? 30_000;
    this.#fetch = options.fetch ?? ((input, init) => globalThis.fetch(input, init));
  }

  #headers(json: boolean): Headers {
    const h = new Headers({ accept: "application/json" });
    if (json) h.set("content-type", "application/json");
    if (this.#token) h.set("authorization", `Bearer ${this.#token}`);
    return h;
  }

  /**
   * Send one request and parse the JSON answer. Retries 429 (any method) and 502/503/504 and
   * network errors (GET only), waiting for Retry-After when given (bounded), else backing off.
   */
  async #request<T>(
    method: string,
    path: string,
    body: unknown,
    options: CallOptions & { okStatuses?: number[] } = {},
  ): Promise<T> {
    const url = this.#base + path;
    let attempt = 0;
    while (true) {
      options.signal?.throwIfAborted();
      const timeout = AbortSignal.timeout(this.#timeoutMs);
      const signal = options.signal ? AbortSignal.any([options.signal, timeout]) : timeout;
      let res: Response;
      try {
        res = await this.#fetch(url, {
          method,
          headers: this.#headers(body !== undefined),
          body: body === undefined ? undefined : JSON.stringify(body),
          signal,
        });
      } catch (e) {
        if (options.signal?.aborted) throw e;
        const timedOut = timeout.aborted;
        if (method === "GET" && attempt < this.#retries) {
          await sleep(250 * 2 ** attempt, options.signal);
          attempt++;
          continue;
        }
        throw new HallError(
          0,
          timedOut ? "TIMEOUT" : "NETWORK",
          timedOut
            ? `${method} ${path} timed out after ${this.#timeoutMs} ms`
            : `${method} ${path} failed: ${e instanceof Error ? e.message : String(e)}`,
        );
      }
      const text = await res.text();
      let parsed: unknown = null;
      if (text) {
        try {
          parsed = JSON.parse(text);
        } catch {
          throw new HallError(res.status, "BAD_RESPONSE", `${method} ${path}: answer is not JSON`);
        }
      }
      if (res.ok || options.okStatuses?.includes(res.status)) return parsed as T;
      const wait = retryAfterMs(res.headers.get("retry-after"), Date.now());
      const retryable = res.status === 429 || (method === "GET" && RETRYABLE_GET.has(res.status));
      if (retryable && attempt < this.#retries && (wait ?? 0) <= this.#maxRetryAfterMs) {
        await sleep(wait ?? 250 * 2 ** attempt, options.signal);
        attempt++;
        continue;
      }
      const err = (parsed as { error?: { code?: string; message?: string; path?: string } } | null)
        ?.error;
      throw new HallError(
        res.status,
        err?.code ?? `HTTP_${res.status}`,
        err?.message ?? `${method} ${path} answered ${res.status}`,
        {
          path: err?.path,
          retryAfterSeconds: wait === undefined ? undefined : Math.ceil(wait / 1000),
          body: parsed,
        },
      );
    }
  }

  /** `GET /wcp/health` (no token needed). */
  health(options?: CallOptions): Promise<HallHealth> {
    return this.#request("GET", "/wcp/health", undefined, options);
  }

  /** `GET /wcp/capabilities`. */
  capabilities(options?: CallOptions): Promise<HallCapability[]> {
    return this.#all("capabilities", {}, options);
  }

  /**
   * Every worker of `GET /wcp/workers` (optionally one namespace), whole (`detail=full`), read
   * page by page; for large registries iterate `each("workers")` instead.
   */
  workers(filter: { namespace?: string } = {}, options?: CallOptions): Promise<HallWorker[]> {
    return this.#all("workers", { ...filter, detail: "full" }, options) as unknown as Promise<
      HallWorker[]
    >;
  }

  /** `GET /wcp/workers/:id`. */
  worker(workerId: string, options?: CallOptions): Promise<HallWorker> {
    return this.#request("GET", `/wcp/workers/${encodeURIComponent(workerId)}`, undefined, options);
  }

  /** `POST /wcp/route`: the decision only (never executes). */
  route(
    input: RouteInput | Record<string, unknown>,
    options?: CallOptions,
  ): Promise<RouteDecision> {
    return this.#request("POST", "/wcp/route", input, options);
  }

  /**
   * `POST /wcp/dispatch`: decide and execute. A denial (403) and a hold (202) are answers, not
   * errors: read `decision.outcome`.
   */
  dispatch(
    input: RouteInput | Record<string, unknown>,
    options?: CallOptions,
  ): Promise<DispatchResponse> {
    return this.#request("POST", "/wcp/dispatch", input, { ...options, okStatuses: [403, 502] });
  }

  /** Dispatch an approved held request (exactly once; a second call is a 409 `HallError`). */
  dispatchApproved(approvalId: string, options?: CallOptions): Promise<DispatchResponse> {
    return this.#request("POST", "/wcp/dispatch", { approval_id: approvalId }, {
      ...options,
      okStatuses: [502],
    });
  }

  /**
   * `POST /wcp/workers`: enrol. A record without `artifact_hash` gets it filled in
   * (`recordHashJcs`: `sha256:` + SHA-256 of the JCS form of the record without it).
   */
  enroll(
    record: RegistryRecord | Record<string, unknown>,
    options?: CallOptions,
  ): Promise<HallWorker> {
    return this.#request("POST", "/wcp/workers", withArtifactHash(record), options);
  }

  /** `PUT /wcp/workers/:id` (a record without `artifact_hash` gets it filled in, as `enroll`). */
  updateWorker(
    workerId: string,
    record: RegistryRecord | Record<string, unknown>,
    options?: CallOptions,
  ): Promise<HallWorker> {
    return this.#request(
      "PUT",
      `/wcp/workers/${encodeURIComponent(workerId)}`,
      withArtifactHash(record),
      options,
    );
  }

  /** `POST /wcp/workers/:id/revoke`. */
  revokeWorker(workerId: string, options?: CallOptions): Promise<HallWorker> {
    return this.#request(
      "POST",
      `/wcp/workers/${encodeURIComponent(workerId)}/revoke`,
      undefined,
      options,
    );
  }

  /**
   * `POST /wcp/workers/:id/clear-tamper` (admin): clear a worker's tamper flag. While the verified
   * current hash still differs from the registered one, `register_current: true` registers it (the
   * new code is accepted); without it that is a 409 `TAMPER_UNRESOLVED`.
   */
  clearTamper(
    workerId: string,
    body: { note?: string; register_current?: boolean } = {},
    options?: CallOptions,
  ): Promise<HallWorker> {
    return this.#request(
      "POST",
      `/wcp/workers/${encodeURIComponent(workerId)}/clear-tamper`,
      body,
      options,
    );
  }

  /**
   * `GET /wcp/workers/:id/attestation` (admin or the worker's namespace): the registered and
   * verified current hashes, the tamper flag and the last submitted attestation.
   */
  workerAttestation(workerId: string, options?: CallOptions): Promise<WorkerAttestation> {
    return this.#request(
      "GET",
      `/wcp/workers/${encodeURIComponent(workerId)}/attestation`,
      undefined,
      options,
    );
  }

  /** `POST /wcp/workers/:id/attestation`: submit a manifest with the package's file digests. */
  submitAttestation(
    workerId: string,
    submission: {
      manifest: Record<string, unknown>;
      files: { path: string; size: number; sha256: string }[];
    },
    options?: CallOptions,
  ): Promise<Record<string, unknown>> {
    return this.#request(
      "POST",
      `/wcp/workers/${encodeURIComponent(workerId)}/attestation`,
      submission,
      { ...options, okStatuses: [422] },
    );
  }

  /** `POST /wcp/ban-list/report`. */
  reportBan(
    report: { sha256: string; reason: string; evidence_url?: string },
    options?: CallOptions,
  ): Promise<HallBan> {
    return this.#request("POST", "/wcp/ban-list/report", report, options);
  }

  /** `POST /wcp/ban-list/:sha256/confirm` (admin). */
  confirmBan(sha256: string, options?: CallOptions): Promise<HallBan> {
    return this.#request(
      "POST",
      `/wcp/ban-list/${encodeURIComponent(sha256)}/confirm`,
      undefined,
      options,
    );
  }

  /** `POST /wcp/ban-list/:sha256/reject` (admin): turn down a report (409 unless `reported`). */
  rejectBan(sha256: string, note?: string, options?: CallOptions): Promise<HallBan> {
    return this.#request(
      "POST",
      `/wcp/ban-list/${encodeURIComponent(sha256)}/reject`,
      note === undefined ? {} : { note },
      options,
    );
  }

  /**
   * `POST /wcp/ban-list/:sha256/lift` (admin): withdraw a confirmed ban, no longer enforced at
   * dispatch (409 unless `confirmed`; `confirmBan` enforces it again).
   */
  liftBan(sha256: string, note?: string, options?: CallOptions): Promise<HallBan> {
    return this.#request(
      "POST",
      `/wcp/ban-list/${encodeURIComponent(sha256)}/lift`,
      note === undefined ? {} : { note },
      options,
    );
  }

  /** Every entry of `GET /wcp/ban-list`, read page by page. */
  banList(
    filter: { status?: BanStatus } = {},
    options?: CallOptions,
  ): Promise<HallBan[]> {
    return this.#all("ban-list", filter, options);
  }

  /** `POST /wcp/namespaces` (admin): returns the owner token once. */
  createNamespace(
    body: { namespace: string; tier: string; owner: string },
    options?: CallOptions,
  ): Promise<NamespaceGrant> {
    return this.#request("POST", "/wcp/namespaces", body, options);
  }

  /** `GET /wcp/namespaces` (admin: all; a namespace token: its own). */
  namespaces(options?: CallOptions): Promise<HallNamespace[]> {
    return this.#all("namespaces", {}, options);
  }

  /** `PUT /wcp/namespaces/:ns/tier` (admin). */
  setNamespaceTier(namespace: string, tier: string, options?: CallOptions): Promise<HallNamespace> {
    return this.#request(
      "PUT",
      `/wcp/namespaces/${encodeURIComponent(namespace)}/tier`,
      { tier },
      options,
    );
  }

  /** `GET /wcp/tokens` (admin; never the secrets). */
  tokens(options?: CallOptions): Promise<HallToken[]> {
    return this.#all("tokens", {}, options);
  }

  /** `POST /wcp/tokens` (admin): the new token, shown once. */
  createToken(
    body: { role: "admin" | "namespace"; label: string; namespace?: string },
    options?: CallOptions,
  ): Promise<{ token: string; token_id: string; role: string; namespace: string | null }> {
    return this.#request("POST", "/wcp/tokens", body, options);
  }

  /** `POST /wcp/tokens/:id/revoke` (admin; the last active admin token is refused, 409). */
  revokeToken(
    tokenId: string,
    options?: CallOptions,
  ): Promise<{ token_id: string; revoked: true }> {
    return this.#request(
      "POST",
      `/wcp/tokens/${encodeURIComponent(tokenId)}/revoke`,
      undefined,
      options,
    );
  }

  /** `GET /wcp/tiers`. */
  tiers(options?: CallOptions): Promise<HallTier[]> {
    return this.#all("tiers", {}, options);
  }

  /** `PUT /wcp/tiers/:tier` (admin): create or change a tier. */
  setTier(
    tier: string,
    limits: { max_workers: number; requests_per_minute: number },
    options?: CallOptions,
  ): Promise<HallTier> {
    return this.#request("PUT", `/wcp/tiers/${encodeURIComponent(tier)}`, limits, options);
  }

  /**
   * Every approval of `GET /wcp/approvals[?status]` (admin), whole (`detail=full`), read page by
   * page; `each("approvals")` streams summaries instead.
   */
  approvals(
    filter: { status?: ApprovalStatus } = {},
    options?: CallOptions,
  ): Promise<HallApproval[]> {
    return this.#all("approvals", { ...filter, detail: "full" }, options) as Promise<
      HallApproval[]
    >;
  }

  /** Every pending approval (admin), whole, read page by page. */
  pendingApprovals(options?: CallOptions): Promise<HallApproval[]> {
    return this.#all("approvals/pending", { detail: "full" }, options) as Promise<
      HallApproval[]
    >;
  }

  /** `GET /wcp/approvals/:id` (admin). */
  approval(approvalId: string, options?: CallOptions): Promise<HallApproval> {
    return this.#request(
      "GET",
      `/wcp/approvals/${encodeURIComponent(approvalId)}`,
      undefined,
      options,
    );
  }

  /** `POST /wcp/approvals/:id/resolve` (admin). */
  resolveApproval(
    approvalId: string,
    decision: "approve" | "deny",
    note?: string,
    options?: CallOptions,
  ): Promise<HallApproval> {
    return this.#request(
      "POST",
      `/wcp/approvals/${encodeURIComponent(approvalId)}/resolve`,
      note === undefined ? { decision } : { decision, note },
      options,
    );
  }

  /**
   * `POST /wcp/approvals/:id/escalate` (admin): one level up (advisory, gatekeeper, executor,
   * incident_commander); at the top a 409 `APPROVAL_ESCALATION_EXHAUSTED`.
   */
  escalateApproval(
    approvalId: string,
    note?: string,
    options?: CallOptions,
  ): Promise<HallApproval> {
    return this.#request(
      "POST",
      `/wcp/approvals/${encodeURIComponent(approvalId)}/escalate`,
      note === undefined ? {} : { note },
      options,
    );
  }

  /** `GET /wcp/receipts`. */
  async receipts(filter: ReceiptFilter = {}, options?: CallOptions): Promise<Receipt[]> {
    const r = await this.#request<{ receipts: Receipt[] }>(
      "GET",
      `/wcp/receipts${query({ ...filter })}`,
      undefined,
      options,
    );
    return r.receipts;
  }

  /** `GET /wcp/receipts/verify` (one tenant, or all when omitted). */
  verifyChain(tenantId?: string, options?: CallOptions): Promise<ChainVerification> {
    return this.#request(
      "GET",
      `/wcp/receipts/verify${query({ tenant_id: tenantId })}`,
      undefined,
      options,
    );
  }

  /**
   * `GET /wcp/receipts/proof`: a receipt, its inclusion proof and the signed checkpoint it is
   * proven against (check with `verifyReceiptInclusion`).
   */
  receiptProof(
    tenantId: string,
    receiptId: string,
    options?: CallOptions,
  ): Promise<{ receipt: Receipt; proof: InclusionProof; checkpoint: Checkpoint }> {
    return this.#request(
      "GET",
      `/wcp/receipts/proof${query({ tenant_id: tenantId, receipt_id: receiptId })}`,
      undefined,
      options,
    );
  }

  /**
   * `GET /wcp/receipts/key`: the hall's public receipt keys, `{keys: [{key_id, public_key}]}`
   * (read any key shape with `parseTrustedKeys`).
   */
  receiptKeys(options?: CallOptions): Promise<{ keys: TrustedKey[] }> {
    return this.#request("GET", "/wcp/receipts/key", undefined, options);
  }

  /** `GET /wcp/rules`: the rules in force. */
  rules(
    options?: CallOptions,
  ): Promise<{ rules: Record<string, unknown>[]; shadow_warnings: unknown[]; loaded_at: string }> {
    return this.#request("GET", "/wcp/rules", undefined, options);
  }

  /** `POST /wcp/receipts/checkpoint`. */
  checkpoint(tenantId: string, options?: CallOptions): Promise<HallCheckpoint> {
    return this.#request("POST", "/wcp/receipts/checkpoint", { tenant_id: tenantId }, options);
  }

  /** Every alert of `GET /wcp/alerts`, newest first (`open: true`: unacknowledged only). */
  alerts(filter: { open?: boolean } = {}, options?: CallOptions): Promise<HallAlert[]> {
    return this.#all("alerts", filter, options);
  }

  /**
   * One page of a list: `{ items, next_cursor }` (pass `next_cursor` as `cursor` for the next;
   * null ends the list). Rows of workers and approvals are summaries unless `detail: "full"`.
   *
   * @example
   * ```ts ignore
   * const p = await client.page("approvals/pending", { limit: 50 });
   * p.items.map((a) => a.approval_id);
   * ```
   */
  async page<K extends HallListName>(
    list: K,
    filter: HallLists[K]["query"] & PageOptions = {} as HallLists[K]["query"] & PageOptions,
    options?: CallOptions,
  ): Promise<HallPage<HallLists[K]["item"]>> {
    const r = await this.#request<Record<string, unknown>>(
      "GET",
      `/wcp/${list}${query(filter as Record<string, string | number | boolean | undefined>)}`,
      undefined,
      options,
    );
    const items = r[LIST_FIELD[list]];
    // A hall from before paging answers its whole list without next_cursor: the last page.
    const next = r.next_cursor ?? null;
    if (!Array.isArray(items) || (next !== null && typeof next !== "string")) {
      throw new HallError(
        200,
        "BAD_RESPONSE",
        `GET /wcp/${list}: the answer is not a page ({${LIST_FIELD[list]}, next_cursor})`,
      );
    }
    return { items: items as HallLists[K]["item"][], next_cursor: next as string | null };
  }

  /**
   * Every row of a list, page after page (`limit` rows per request; default 100), as an async
   * iterator: only one page is held at a time. Stops at a page without `next_cursor`.
   *
   * @example
   * ```ts ignore
   * for await (const w of client.each("workers", { capability: "cap.doc.summarize" })) {
   *   console.log(w.worker_id);
   * }
   * ```
   */
  async *each<K extends HallListName>(
    list: K,
    filter: HallLists[K]["query"] & { limit?: number } = {} as HallLists[K]["query"],
    options?: CallOptions,
  ): AsyncGenerator<HallLists[K]["item"], void, undefined> {
    let cursor: string | undefined;
    for (;;) {
      const p = await this.page(
        list,
        { ...filter, ...(cursor === undefined ? {} : { cursor }) } as
          & HallLists[K]["query"]
          & PageOptions,
        options,
      );
      yield* p.items;
      if (p.next_cursor === null) return;
      if (p.next_cursor === cursor) {
        throw new HallError(200, "BAD_RESPONSE", `GET /wcp/${list}: the same cursor twice`);
      }
      cursor = p.next_cursor;
    }
  }

  async #all<K extends HallListName>(
    list: K,
    filter: HallLists[K]["query"],
    options?: CallOptions,
  ): Promise<HallLists[K]["item"][]> {
    const out: HallLists[K]["item"][] = [];
    for await (const x of this.each(list, { ...filter, limit: 1000 }, options)) out.push(x);
    return out;
  }

  /** `POST /wcp/alerts/:id/ack`. */
  acknowledgeAlert(alertId: string, options?: CallOptions): Promise<HallAlert> {
    return this.#request("POST", `/wcp/alerts/${encodeURIComponent(alertId)}/ack`, {}, options);
  }

  /** `POST /wcp/rules/reload` with a rules document, or without one to re-read the rules file. */
  reloadRules(
    doc?: unknown,
    options?: CallOptions,
  ): Promise<{ ok: boolean; rule_count: number; loaded_at: string }> {
    return this.#request("POST", "/wcp/rules/reload", doc ?? {}, options);
  }

  /**
   * `GET /wcp/telemetry`: one page, the newest `limit` events (before `cursor`, the previous
   * page's `next_cursor`), oldest first; `page("telemetry")` and `each("telemetry")` read it too.
   */
  telemetry(
    filter: {
      decision_id?: string;
      correlation_id?: string;
      tenant_id?: string;
      limit?: number;
      cursor?: string;
    } = {},
    options?: CallOptions,
  ): Promise<TelemetryList> {
    return this.#request("GET", `/wcp/telemetry${query(filter)}`, undefined, options);
  }

  /**
   * `GET /wcp/stats`: decisions per minute by outcome, top deny codes and dispatch latency per
   * worker over a window (RFC 3339 `since` / `until`; default the last 30 minutes, at most 24 h).
   * A namespace token gets its own tenant's figures.
   */
  stats(
    filter: { since?: string; until?: string; tenant_id?: string } = {},
    options?: CallOptions,
  ): Promise<HallStats> {
    return this.#request("GET", `/wcp/stats${query(filter)}`, undefined, options);
  }

  /**
   * `GET /wcp/events`: live events until `signal` aborts or the hall closes the stream. Uses
   * fetch (not EventSource) so the bearer token travels in a header.
   */
  async *events(
    options: CallOptions & { lastEventId?: string; events?: string[] } = {},
  ): AsyncGenerator<HallStreamEvent, void, undefined> {
    const headers = this.#headers(false);
    headers.set("accept", "text/event-stream");
    if (options.lastEventId) headers.set("last-event-id", options.lastEventId);
    const path = `/wcp/events${query({ events: options.events?.join(",") })}`;
    let res: Response;
    try {
      res = await this.#fetch(this.#base + path, { headers, signal: options.signal });
    } catch (e) {
      if (options.signal?.aborted) return;
      throw new HallError(
        0,
        "NETWORK",
        `GET ${path} failed: ${e instanceof Error ? e.message : e}`,
      );
    }
    if (!res.ok || !res.body) {
      const text = await res.text().catch(() => "");
      let code = `HTTP_${res.status}`;
      try {
        code = JSON.parse(text).error.code ?? code;
      } catch { /* not JSON */ }
      throw new HallError(res.status, code, `GET ${path} answered ${res.status}`);
    }
    try {
      for await (const m of parseSseStream(res.body, options.signal)) {
        let data: Record<string, unknown> = {};
        try {
          data = JSON.parse(m.data);
        } catch {
          data = { raw: m.data };
        }
        yield { event: m.event, id: m.id, data };
      }
    } catch (e) {
      if (options.signal?.aborted) return;
      throw e;
    }
  }
}
