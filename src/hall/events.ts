/**
 * The live event hub behind `GET /wcp/events`: numbered events, a short replay buffer for
 * `Last-Event-ID`, and subscribers that never block publishers.
 *
 * @module
 */

/** Names of the events the hall publishes. */
export type HallEventName =
  | "decision"
  | "dispatch"
  | "approval"
  | "alert"
  | "rules"
  | "worker"
  | "ban";

/** One published event. */
export interface HallEvent {
  /** Monotonic id within this hall process (shared by its threads). */
  id: number;
  /** Event name (the SSE `event:` field). */
  event: HallEventName;
  /** JSON payload (the SSE `data:` field). */
  data: Record<string, unknown>;
  /** Published by another hall instance and republished here (never sent back out). */
  remote?: true;
}

/** How a hub shares its events with the other threads of one hall (see `cluster.ts`). */
export interface EventRelay {
  /** The next event id, unique across the threads (absent: this hub numbers its own). */
  nextId?(): number;
  /** Hand a locally published event to the other threads. */
  send(e: HallEvent): void;
}

/** Fan-out of hall events to SSE subscribers. */
export class EventHub {
  #next = 1;
  #buffer: HallEvent[] = [];
  #subscribers = new Set<(e: HallEvent) => void>();
  readonly #bufferSize: number;
  #relay: EventRelay | undefined;

  constructor(bufferSize = 500) {
    this.#bufferSize = bufferSize;
  }

  /** Share ids and events with the other threads of this hall from now on. */
  relayTo(relay: EventRelay): void {
    this.#relay = relay;
  }

  /**
   * Publish to every subscriber (synchronously; subscribers must not throw). `remote`: the event
   * came from another hall instance (it reaches this process's threads, not the instances again).
   */
  publish(event: HallEventName, data: Record<string, unknown>, remote = false): HallEvent {
    const id = this.#relay?.nextId ? this.#relay.nextId() : this.#next++;
    const e: HallEvent = remote ? { id, event, data, remote: true } : { id, event, data };
    this.deliver(e);
    if (this.#relay) {
      try {
        this.#relay.send(e);
      } catch (err) {
        // The other threads miss this event; the publisher (a request) must not fail for it.
        console.error(`hall: event ${e.id} not relayed to the other threads: ${String(err)}`);
      }
    }
    return e;
  }

  /**
   * Buffer and fan out an event (one published here, or relayed from another thread). Relayed
   * events can arrive slightly out of id order; the buffer stays sorted so replay is by id.
   */
  deliver(e: HallEvent): void {
    const buf = this.#buffer;
    let i = buf.length;
    while (i > 0 && buf[i - 1].id > e.id) i--;
    if (i === buf.length) buf.push(e);
    else buf.splice(i, 0, e);
    if (buf.length > this.#bufferSize) buf.shift();
    for (const s of this.#subscribers) {
      try {
        s(e);
      } catch {
        // A broken subscriber must not affect the others or the publisher.
      }
    }
  }

  /** Events after `lastId` still in the replay buffer. */
  since(lastId: number): HallEvent[] {
    return this.#buffer.filter((e) => e.id > lastId);
  }

  /** Subscribe; returns the unsubscribe function. */
  subscribe(fn: (e: HallEvent) => void): () => void {
    this.#subscribers.add(fn);
    return () => this.#subscribers.delete(fn);
  }

  #closers = new Set<() => void>();
  #closed = false;

  /** Run `fn` when the hub closes (streams end so the server can shut down); returns the undo. */
  onClose(fn: () => void): () => void {
    if (this.#closed) {
      fn();
      return () => {};
    }
    this.#closers.add(fn);
    return () => this.#closers.delete(fn);
  }

  /** End every stream. */
  close(): void {
    this.#closed = true;
    for (const fn of this.#closers) fn();
    this.#closers.clear();
  }

  /** Current subscriber count. */
  get subscriberCount(): number {
    return this.#subscribers.size;
  }
}
