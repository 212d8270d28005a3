/**
 * The threads of one hall process (`deno task serve --threads N`): each thread runs its own app
 * and store connection on the shared port (SO_REUSEPORT), and they stay one hall by telling each
 * other what changed over a `BroadcastChannel`:
 *
 * - live events (with ids from one shared counter, so `Last-Event-ID` works on any thread);
 * - enrolments, revocations and bans (the others apply the registry changes since their version
 *   at once, re-reading the worker a message names);
 * - rules installed by a reload (the others install the same document);
 * - token revocations (the others drop their auth caches);
 * - rate-limit spending (every thread takes off what the others granted).
 *
 * Hall instances (processes) on one PostgreSQL database also tell each other, over LISTEN/NOTIFY
 * (`instancePeers`): registry changes, token revocations and rate-limit spending reach the other
 * instances at once, and so do the live events an operator acts on (approvals, alerts, workers),
 * renumbered by each instance; decisions and dispatches (thousands a second) and rules (each
 * instance has its own rules file) stay per instance.
 *
 * @module
 */

import type { EventHub, HallEvent, HallEventName } from "./events.ts";
import type { Authenticator, RateLimiter } from "./middleware/auth.ts";
import type { StorePeerChannel } from "./store/types.ts";

/** A message between the threads of one hall. */
export type PeerMessage =
  | { t: "event"; e: HallEvent }
  | { t: "registry"; worker_id?: string }
  | { t: "rules"; doc: unknown }
  | { t: "gate" }
  | { t: "auth" }
  | { t: "rate"; limiter: "token" | "auth"; spent: [string, number][] }
  | { t: "remote"; event: HallEventName; data: Record<string, unknown> };

/**
 * What the other threads change in a hall (the `Hall` passes itself). Declared here, not
 * imported from hall.ts, which imports this file: no import cycle.
 */
export interface PeerHall {
  /** The hall's event hub (a peer's events are delivered, remote ones published). */
  readonly events: Pick<EventHub, "deliver" | "publish">;
  /** Re-read the registry (those workers, or every change since the mirror's version). */
  syncRegistry(workerIds?: readonly string[]): Promise<void>;
  /** Install rules another thread loaded. */
  installPeerRules(doc: unknown): void;
  /** Re-read the policy gate because a peer did. */
  reloadGate(fromPeer?: boolean): Promise<unknown>;
}

/** What a hall thread uses to reach the other threads. */
export interface HallPeers {
  /** Tell every other thread. */
  send(message: PeerMessage): void;
  /** Handle messages from the other threads (one handler). */
  onMessage(handler: (message: PeerMessage) => void): void;
  /** The next event id, unique across the threads (absent: each hub numbers its own). */
  nextEventId?(): number;
  /** Stop listening. */
  close(): void;
}

/** What the first thread hands to each other thread so they can join. */
export interface PeerSeed {
  /** BroadcastChannel name (unique per hall process). */
  channel: string;
  /** One 64-bit slot: the last event id handed out (never wraps in practice). */
  eventIds: SharedArrayBuffer;
}

/** A new seed for a hall with several threads (made by the first thread). */
export function newPeerSeed(): PeerSeed {
  return {
    channel: `wcp-hall-${crypto.randomUUID()}`,
    eventIds: new SharedArrayBuffer(8),
  };
}

/** The threads of one process: they also share event ids. */
export type ThreadPeers = HallPeers & { nextEventId(): number };

/** Join the threads of a hall. */
export function joinPeers(seed: PeerSeed): ThreadPeers {
  const channel = new BroadcastChannel(seed.channel);
  const ids = new BigInt64Array(seed.eventIds);
  let handler: ((m: PeerMessage) => void) | undefined;
  channel.onmessage = (ev: MessageEvent) => {
    const m = ev.data as PeerMessage;
    if (typeof m !== "object" || m === null || typeof m.t !== "string") return;
    try {
      handler?.(m);
    } catch (e) {
      console.error(`hall: a message from another thread failed: ${String(e)}`);
    }
  };
  return {
    send: (m) => channel.postMessage(m),
    onMessage: (fn) => {
      handler = fn;
    },
    nextEventId: () => Number(Atomics.add(ids, 0, 1n)) + 1,
    close: () => channel.close(),
  };
}

/**
 * The other hall instances on this store (PostgreSQL). `origin` names this process: its own
 * threads already heard a message over their BroadcastChannel, so one that comes back over the
 * store from the same process is dropped.
 */
export async function instancePeers(
  open: (onMessage: (payload: string) => void) => Promise<StorePeerChannel>,
  origin: string,
  republish: boolean,
): Promise<HallPeers> {
  let handler: ((m: PeerMessage) => void) | undefined;
  const channel = await open((payload) => {
    let parsed: { from?: unknown; m?: PeerMessage };
    try {
      parsed = JSON.parse(payload);
    } catch {
      return; // not ours
    }
    if (parsed.from === origin || typeof parsed.m?.t !== "string") return;
    // One thread per process republishes another instance's event (it reaches the others over
    // their BroadcastChannel, with one id).
    if (parsed.m.t === "remote" && !republish) return;
    try {
      handler?.(parsed.m);
    } catch (e) {
      console.error(`hall: a message from another instance failed: ${String(e)}`);
    }
  });
  let warned = 0;
  const notify = (m: PeerMessage) => {
    const payload = JSON.stringify({ from: origin, m });
    // NOTIFY payloads stop at 8000 bytes (a report that large is dropped; the registry sync and
    // the auth cache's TTL still bound what the others miss).
    if (payload.length > 7_900) return;
    channel.send(payload).catch((e) => {
      if (Date.now() - warned < 60_000) return; // one line a minute while the database is away
      warned = Date.now();
      console.error(`hall: telling the other instances failed: ${String(e)}`);
    });
  };
  return {
    send: (m) => {
      if (m.t === "event") {
        // (A worker event also makes the other instances re-read the registry.)
        if (!m.e.remote && INSTANCE_EVENTS.has(m.e.event)) {
          notify({ t: "remote", event: m.e.event, data: m.e.data });
        }
      } else if (m.t !== "rules" && m.t !== "gate" && m.t !== "remote") notify(m);
    },
    onMessage: (fn) => {
      handler = fn;
    },
    close: () => void channel.close(),
  };
}

// Events the other instances republish (few, and what an operator acts on).
const INSTANCE_EVENTS = new Set<HallEventName>(["approval", "alert", "worker", "ban"]);

/** Both the threads of this process and the other instances. */
export function combinePeers(threads: HallPeers | undefined, instances: HallPeers | undefined):
  | HallPeers
  | undefined {
  if (!threads || !instances) return threads ?? instances;
  const next = threads.nextEventId;
  return {
    send: (m) => {
      threads.send(m);
      instances.send(m);
    },
    onMessage: (fn) => {
      threads.onMessage(fn);
      instances.onMessage(fn);
    },
    ...(next ? { nextEventId: () => next() } : {}),
    close: () => {
      threads.close();
      instances.close();
    },
  };
}

/**
 * Keep this thread's hall in step with the other threads; returns the stop function.
 * `onForget` runs after another thread or instance made this one drop its token cache (a token
 * was revoked there: the app ends that token's event streams).
 */
export function linkPeers(
  peers: HallPeers,
  hall: PeerHall,
  auth: Authenticator,
  limiter: RateLimiter,
  failures: RateLimiter,
  onForget?: () => void,
): () => void {
  limiter.shareSpending();
  failures.shareSpending();
  auth.onInvalidate = () => peers.send({ t: "auth" });
  // Queued on the hall (one refresh at a time, in version order); a message that names a worker
  // makes the hall re-read that row too.
  const resync = (data?: Record<string, unknown>) => {
    const id = data?.worker_id;
    void hall.syncRegistry(typeof id === "string" ? [id] : undefined).catch(() => {});
  };
  peers.onMessage((m) => {
    switch (m.t) {
      case "event":
        hall.events.deliver(m.e);
        if (m.e.event === "worker") resync(m.e.data); // enrolled, updated, revoked, attested
        break;
      case "registry":
        resync(m);
        break;
      case "rules":
        hall.installPeerRules(m.doc);
        break;
      case "gate":
        // Each thread reads hall.json and the policy file itself (the reloading thread checked them).
        hall.reloadGate(true).catch((e) => console.error(`hall: policy gate reload refused: ${e}`));
        break;
      case "auth":
        auth.forget();
        onForget?.();
        break;
      case "rate":
        (m.limiter === "token" ? limiter : failures).absorb(m.spent);
        break;
      case "remote":
        hall.events.publish(m.event, m.data, true);
        if (m.event === "worker") resync(m.data);
        break;
    }
  });
  // Spending is reported in batches: N threads may together exceed a limit by what they grant
  // in one interval.
  const timer = setInterval(() => {
    const tokens = limiter.drainSpent();
    if (tokens) peers.send({ t: "rate", limiter: "token", spent: tokens });
    const failed = failures.drainSpent();
    if (failed) peers.send({ t: "rate", limiter: "auth", spent: failed });
  }, 100);
  Deno.unrefTimer(timer);
  return () => {
    clearInterval(timer);
    peers.close();
  };
}
