/**
 * Tool-definition pinning (against "rug pulls": an upstream that silently changes what a tool
 * says or takes). Each upstream tool's definition (name, title, description, inputSchema,
 * outputSchema, annotations) is hashed (`sha256:` + SHA-256 of its JCS form, `jcsDigest`) and
 * pinned the first time its server is seen. Afterwards a tool whose definition differs from its
 * pin, or a tool the server did not have, is *pending*: withheld from `tools/list`, its calls
 * refused with `TOOL_DEFINITION_CHANGED`, until an approver accepts it (`wcp gateway pins
 * accept`), which pins the new definition.
 *
 * Stores: `FilePinStore` (a JSON file written atomically, mode 0600, read-modify-write under a
 * lock file, for the stdio gateway) and `MemoryPinStore` (the quick form).
 *
 * @module
 */

import { jcsDigest } from "../../src/encoding/hash.ts";
import { formatTimestamp } from "../../src/ids.ts";
import { WcpError } from "../../src/errors.ts";
import type { UpstreamTool } from "./upstream.ts";

/** The pinned part of a tool definition. */
export interface ToolDefinition {
  /** Tool name. */
  name: string;
  /** Title, when the upstream gives one. */
  title?: string;
  /** Description. */
  description?: string;
  /** JSON Schema of the arguments. */
  inputSchema: Record<string, unknown>;
  /** JSON Schema of the structured result. */
  outputSchema?: Record<string, unknown>;
  /** Hints (read-only, destructive, ...). */
  annotations?: Record<string, unknown>;
}

/** A pinned definition. */
export interface Pin {
  /** `sha256:` JCS digest of `definition`. */
  hash: string;
  /** The definition pinned. */
  definition: ToolDefinition;
  /** When it was pinned (RFC 3339). */
  pinned_at: string;
  /** `first_sight` (trusted on first use of its server) or `accepted` (by an approver). */
  how: "first_sight" | "accepted";
  /** Who accepted it. */
  accepted_by?: string;
  /** Their note. */
  note?: string;
  /** The receipt of the acceptance (in `receipts/pins.jsonl`). */
  receipt_id?: string;
}

/** A definition seen but not pinned: withheld until accepted. */
export interface PendingPin {
  /** Digest of the definition seen. */
  hash: string;
  /** The definition seen. */
  definition: ToolDefinition;
  /** When it was first seen (RFC 3339). */
  seen_at: string;
  /** The pin it would replace (null: a new tool). */
  previous_hash: string | null;
}

/** The whole pin state, keyed `<server>.<tool>`. */
export interface PinsDoc {
  /** Format version, 1. */
  version: 1;
  /** Servers whose tools have been pinned at least once. */
  servers_seen: string[];
  /** Accepted definitions. */
  pins: Record<string, Pin>;
  /** Definitions waiting for an approver. */
  pending: Record<string, PendingPin>;
}

/** Where pins live: read the current state; change it atomically. */
export interface PinStore {
  /** The current state (re-read when another process changed it). */
  read(): Promise<PinsDoc>;
  /** Apply a change and store it, atomically with respect to other writers. */
  update<T>(change: (doc: PinsDoc) => T): Promise<T>;
}

/** An empty pin state. */
export function emptyPins(): PinsDoc {
  return { version: 1, servers_seen: [], pins: {}, pending: {} };
}

/**
 * The pinned part of an upstream tool (fields in a fixed set; absent ones left out).
 *
 * @example
 * ```ts
 * import { definitionOf } from "./pins.ts";
 * definitionOf({ name: "echo", inputSchema: { type: "object" }, _meta: { x: 1 } }).name; // "echo"
 * ```
 */
export function definitionOf(tool: UpstreamTool): ToolDefinition {
  const d: ToolDefinition = {
    name: tool.name,
    inputSchema: tool.inputSchema as Record<string, unknown>,
  };
  if (tool.title !== undefined) d.title = tool.title;
  if (tool.description !== undefined) d.description = tool.description;
  if (tool.outputSchema !== undefined) {
    d.outputSchema = tool.outputSchema as Record<string, unknown>;
  }
  if (tool.annotations !== undefined) d.annotations = tool.annotations as Record<string, unknown>;
  return d;
}

/**
 * The pin hash of a definition: `sha256:` + SHA-256 of its JCS (RFC 8785) form.
 *
 * @example
 * ```ts
 * import { definitionHash } from "./pins.ts";
 * definitionHash({ name: "a", inputSchema: {} }).startsWith("sha256:"); // true
 * ```
 */
export function definitionHash(def: ToolDefinition): string {
  return jcsDigest(def);
}

/** What the pins say about one upstream's current tools. */
export interface PinVerdict {
  /** Tools whose definition matches its pin (by upstream name). */
  trusted: Set<string>;
  /** Tools withheld: `new` (no pin) or `changed` (differs from its pin). */
  blocked: Map<string, { reason: "new" | "changed"; hash: string; pinned_hash: string | null }>;
  /** Whether `doc` was changed (first sight of the server, a new pending entry). */
  changed: boolean;
}

/**
 * Compare a server's tools with the pins, in place: the first time a server is seen, all its
 * tools are pinned (`first_sight`); afterwards an unpinned or different definition is recorded
 * as pending and blocked. A pending entry whose tool went back to its pinned definition is
 * dropped.
 *
 * @example
 * ```ts
 * import { emptyPins, reconcilePins } from "./pins.ts";
 * const doc = emptyPins();
 * reconcilePins(doc, "s", [{ name: "a", inputSchema: { type: "object" } }], 0).trusted.has("a"); // true
 * reconcilePins(doc, "s", [{ name: "a", description: "new!", inputSchema: { type: "object" } }], 1)
 *   .blocked.get("a")?.reason; // "changed"
 * ```
 */
export function reconcilePins(
  doc: PinsDoc,
  server: string,
  tools: UpstreamTool[],
  nowMs: number,
): PinVerdict {
  const verdict: PinVerdict = { trusted: new Set(), blocked: new Map(), changed: false };
  const now = formatTimestamp(nowMs);
  const first = !doc.servers_seen.includes(server);
  if (first) {
    doc.servers_seen.push(server);
    verdict.changed = true;
  }
  for (const tool of tools) {
    const key = `${server}.${tool.name}`;
    const def = definitionOf(tool);
    const hash = definitionHash(def);
    const pin = doc.pins[key];
    if (pin?.hash === hash) {
      verdict.trusted.add(tool.name);
      if (doc.pending[key]) {
        delete doc.pending[key];
        verdict.changed = true;
      }
      continue;
    }
    if (!pin && first) {
      doc.pins[key] = { hash, definition: def, pinned_at: now, how: "first_sight" };
      verdict.trusted.add(tool.name);
      continue;
    }
    verdict.blocked.set(tool.name, {
      reason: pin ? "changed" : "new",
      hash,
      pinned_hash: pin?.hash ?? null,
    });
    if (doc.pending[key]?.hash !== hash) {
      doc.pending[key] = { hash, definition: def, seen_at: now, previous_hash: pin?.hash ?? null };
      verdict.changed = true;
    }
  }
  return verdict;
}

/**
 * Accept a pending definition: it becomes the pin (`how: "accepted"`). Throws `PIN_NOT_PENDING`
 * when nothing is pending for the key, `PIN_MISMATCH` when `expectHash` is given and differs (the
 * definition changed again since the approver looked at it).
 */
export function acceptPending(
  doc: PinsDoc,
  key: string,
  by: string,
  nowMs: number,
  options: { note?: string; expectHash?: string; receiptId?: string } = {},
): { pin: Pin; previous: Pin | null } {
  const p = doc.pending[key];
  if (!p) throw new WcpError("PIN_NOT_PENDING", "tool", `no pending definition for "${key}"`);
  if (options.expectHash !== undefined && options.expectHash !== p.hash) {
    throw new WcpError(
      "PIN_MISMATCH",
      "hash",
      `the pending definition of "${key}" is ${p.hash}, not ${options.expectHash}`,
    );
  }
  const previous = doc.pins[key] ?? null;
  const pin: Pin = {
    hash: p.hash,
    definition: p.definition,
    pinned_at: formatTimestamp(nowMs),
    how: "accepted",
    accepted_by: by,
    ...(options.note ? { note: options.note } : {}),
    ...(options.receiptId ? { receipt_id: options.receiptId } : {}),
  };
  doc.pins[key] = pin;
  delete doc.pending[key];
  return { pin, previous };
}

/**
 * A line diff of two definitions (pretty JSON, keys sorted), `-` for the pinned, `+` for the
 * pending lines, two lines of context.
 *
 * @example
 * ```ts
 * import { definitionDiff } from "./pins.ts";
 * definitionDiff({ name: "a", description: "x", inputSchema: {} },
 *   { name: "a", description: "y", inputSchema: {} }).includes('+  "description": "y",'); // true
 * ```
 */
export function definitionDiff(before: ToolDefinition | null, after: ToolDefinition): string {
  const a = before ? pretty(before).split("\n") : [];
  const b = pretty(after).split("\n");
  // LCS table (definitions are small).
  const n = a.length, m = b.length;
  const lcs: number[][] = Array.from({ length: n + 1 }, () => new Array(m + 1).fill(0));
  for (let i = n - 1; i >= 0; i--) {
    for (let j = m - 1; j >= 0; j--) {
      lcs[i][j] = a[i] === b[j] ? lcs[i + 1][j + 1] + 1 : Math.max(lcs[i + 1][j], lcs[i][j + 1]);
    }
  }
  const ops: [" " | "-" | "+", string][] = [];
  let i = 0, j = 0;
  while (i < n || j < m) {
    if (i < n && j < m && a[i] === b[j]) {
      ops.push([" ", a[i++]]);
      j++;
    } else if (j < m && (i === n || lcs[i][j + 1] >= lcs[i + 1][j])) ops.push(["+", b[j++]]);
    else ops.push(["-", a[i++]]);
  }
  const keep = new Set<number>();
  ops.forEach(([op], k) => {
    if (op !== " ") { for (let c = k - 2; c <= k + 2; c++) keep.add(c); }
  });
  const out: string[] = [];
  let last = -1;
  ops.forEach(([op, line], k) => {
    if (!keep.has(k)) return;
    if (last >= 0 && k > last + 1) out.push("  …");
    out.push(`${op}${line}`);
    last = k;
  });
  return out.join("\n");
}

function sortKeys(v: unknown): unknown {
  if (Array.isArray(v)) return v.map(sortKeys);
  if (v && typeof v === "object") {
    return Object.fromEntries(
      Object.keys(v as Record<string, unknown>).sort().map((
        k,
      ) => [k, sortKeys((v as Record<string, unknown>)[k])]),
    );
  }
  return v;
}

function pretty(def: ToolDefinition): string {
  return JSON.stringify(sortKeys(def), null, 2);
}

/**
 * Pins in memory (the quick form: pinned on first sight for the life of the process).
 *
 * @example
 * ```ts
 * import { MemoryPinStore } from "./pins.ts";
 * const store = new MemoryPinStore();
 * (await store.read()).version; // 1
 * ```
 */
export class MemoryPinStore implements PinStore {
  #doc: PinsDoc = emptyPins();
  /** A copy of the state. */
  read(): Promise<PinsDoc> {
    return Promise.resolve(structuredClone(this.#doc));
  }
  /** Change the state. */
  update<T>(change: (doc: PinsDoc) => T): Promise<T> {
    try {
      return Promise.resolve(change(this.#doc));
    } catch (e) {
      return Promise.reject(e);
    }
  }
}

function parsePins(text: string, path: string): PinsDoc {
  let doc: unknown;
  try {
    doc = JSON.parse(text);
  } catch (e) {
    throw new WcpError("PINS_INVALID", path, `invalid JSON (${(e as Error).message})`);
  }
  const d = doc as Partial<PinsDoc>;
  if (
    !d || typeof d !== "object" || d.version !== 1 || !Array.isArray(d.servers_seen) ||
    typeof d.pins !== "object" || d.pins === null || typeof d.pending !== "object" ||
    d.pending === null
  ) {
    throw new WcpError(
      "PINS_INVALID",
      path,
      "not a pins file (version 1 with servers_seen, pins, pending)",
    );
  }
  // A pin whose hash is not its definition's digest was edited by hand: refuse it (fail closed).
  for (const [key, pin] of Object.entries(d.pins)) {
    if (definitionHash(pin.definition) !== pin.hash) {
      throw new WcpError(
        "PINS_INVALID",
        `${path}: pins.${key}`,
        "the hash is not the digest of the pinned definition (edited by hand?); accept the " +
          "definition again with `wcp gateway pins accept`",
      );
    }
  }
  return d as PinsDoc;
}

/**
 * Pins in a JSON file (the stdio gateway's `<state>/pins.json`): written to a temporary file
 * created 0600 and renamed over the old one; read-modify-write holds an exclusive lock on
 * `<file>.lock`, so the gateway and `wcp gateway pins accept` never lose each other's changes.
 *
 * @example
 * ```ts ignore
 * const store = new FilePinStore("/etc/wcp/gateway.state/pins.json");
 * const doc = await store.read();
 * ```
 */
export class FilePinStore implements PinStore {
  /** The pins file. */
  readonly path: string;
  #cache: { mtime: number; size: number; doc: PinsDoc } | null = null;

  /** A store at `path` (created on first write, with its directory, 0700). */
  constructor(path: string) {
    this.path = path;
  }

  /** The current state (re-read only when the file changed). */
  async read(): Promise<PinsDoc> {
    let st: Deno.FileInfo;
    try {
      st = await Deno.stat(this.path);
    } catch (e) {
      if (e instanceof Deno.errors.NotFound) return emptyPins();
      throw e;
    }
    const mtime = st.mtime?.getTime() ?? 0;
    if (this.#cache && this.#cache.mtime === mtime && this.#cache.size === st.size) {
      return structuredClone(this.#cache.doc);
    }
    const doc = parsePins(await Deno.readTextFile(this.path), this.path);
    this.#cache = { mtime, size: st.size, doc };
    return structuredClone(doc);
  }

  /** Change the pins under the lock and write them atomically. */
  async update<T>(change: (doc: PinsDoc) => T): Promise<T> {
    const dir = this.path.slice(0, Math.max(this.path.lastIndexOf("/"), 0)) || ".";
    await Deno.mkdir(dir, { recursive: true, mode: 0o700 });
    const lock = await Deno.open(`${this.path}.lock`, {
      create: true,
      write: true,
      mode: 0o600,
    });
    try {
      await lock.lock(true);
      this.#cache = null;
      const doc = await this.read();
      const before = JSON.stringify(doc);
      const result = change(doc);
      if (JSON.stringify(doc) === before) return result;
      const tmp = `${this.path}.${crypto.randomUUID()}.tmp`;
      await Deno.writeTextFile(tmp, JSON.stringify(doc, null, 2) + "\n", {
        mode: 0o600,
        createNew: true,
      });
      try {
        await Deno.rename(tmp, this.path);
      } catch (e) {
        await Deno.remove(tmp).catch(() => {});
        throw e;
      }
      this.#cache = null;
      return result;
    } finally {
      await lock.unlock().catch(() => {});
      lock.close();
    }
  }
}

/** The two store calls a hall-backed pin store needs (`HallStore` has them). */
export interface PinRows {
  /** The stored pins of a gateway (JSON and version), or null. */
  getGatewayPins(name: string): Promise<{ version: number; data: string } | null>;
  /** Compare-and-set: write as version `expected + 1` if the stored version is `expected`. */
  putGatewayPins(name: string, expected: number, data: string, at: string): Promise<boolean>;
}

/**
 * Pins in the hall's store (table `gateway_pins`, one versioned row per gateway name): every
 * read goes to the table, and a change is a compare-and-set on the row's version, retried when
 * another thread or instance wrote first, so instances on one PostgreSQL agree on the pins.
 *
 * @example
 * ```ts ignore
 * const pins = new StorePinStore(hallStore, "team gateway");
 * ```
 */
export class StorePinStore implements PinStore {
  readonly #rows: PinRows;
  readonly #name: string;
  readonly #now: () => number;

  /** Pins of gateway `name` in `rows`. */
  constructor(rows: PinRows, name: string, now: () => number = Date.now) {
    this.#rows = rows;
    this.#name = name;
    this.#now = now;
  }

  async #load(): Promise<{ version: number; doc: PinsDoc }> {
    const r = await this.#rows.getGatewayPins(this.#name);
    return r
      ? { version: r.version, doc: parsePins(r.data, `gateway_pins[${this.#name}]`) }
      : { version: 0, doc: emptyPins() };
  }

  /** The pins as stored now. */
  async read(): Promise<PinsDoc> {
    return (await this.#load()).doc;
  }

  /** Change the pins; retried on a concurrent write (up to 50 times). */
  async update<T>(change: (doc: PinsDoc) => T): Promise<T> {
    for (let attempt = 0; attempt < 50; attempt++) {
      const { version, doc } = await this.#load();
      const before = JSON.stringify(doc);
      const result = change(doc);
      const after = JSON.stringify(doc);
      if (after === before) return result;
      const at = formatTimestamp(this.#now());
      if (await this.#rows.putGatewayPins(this.#name, version, after, at)) return result;
    }
    throw new WcpError("PINS_CONFLICT", "gateway_pins", "the pins kept changing under this write");
  }
}
