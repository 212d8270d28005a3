/**
 * The hall's HTTP listener, with a header timeout (Slowloris): a connection that has no request
 * in flight (it never finished its first request head, or it sits between requests) for longer
 * than the timeout is closed, so slow or idle clients cannot hold connections (and file
 * descriptors) for ever.
 *
 * Why it is built this way. Deno 2.9's `Deno.serve` has no header-read timeout (its options are
 * `port`, `hostname`, `reusePort`, `tcpBacklog`, `signal`, `onError`, `onListen`,
 * `automaticCompression`), keeps a connection with a partial head open indefinitely (measured:
 * still open after 70 s), and tells the handler nothing about a connection before its head is
 * complete. A guard must therefore accept the connections itself. A TCP proxy in front copies
 * every byte through JavaScript (measured on a small JSON request: about 90 µs of CPU per request
 * instead of 12); the legacy `Deno.serveHttp` (hidden in Deno 2) about 30 µs. This listener
 * accepts with `Deno.listen` and hands each connection to the function `Deno.serve` itself serves
 * connections with (`serveHttpOnConnection`, reached through `Deno[Deno.internal]`): requests go
 * through the same HTTP engine as with `Deno.serve` (measured the same CPU per request, within
 * noise), and the guard costs a counter per request plus one sweep timer. That function is not a
 * public API: when a Deno version does not offer it, the hall serves with plain `Deno.serve` and
 * says at start that the header timeout is off.
 *
 * @module
 */

/** What serves the hall's port. */
export interface HallListener {
  /** The bound address (`port` is the real one for port 0). */
  readonly addr: Deno.NetAddr;
  /** Stop accepting; wait for the requests in flight (as `Deno.HttpServer.shutdown`). */
  shutdown(): Promise<void>;
  /** Whether the header timeout is enforced (false: plain `Deno.serve`). */
  readonly headerTimeout: boolean;
}

/** Options of `serveHall`. */
export interface HallListenOptions {
  hostname: string;
  port: number;
  reusePort?: boolean;
  /**
   * Close a connection with no request in flight after this long (ms): the time a client has
   * to send a request head, on a new connection and between requests. 0 = no guard.
   */
  headerTimeoutMs: number;
  /** Called once listening. */
  onListen?: (addr: Deno.NetAddr) => void;
}

type Handler = (
  req: Request,
  info: Deno.ServeHandlerInfo<Deno.NetAddr>,
) => Response | Promise<Response>;

interface ConnServer {
  finished: Promise<void>;
  shutdown(): Promise<void>;
}
type ServeOnConnection = (
  conn: Deno.Conn,
  signal: AbortSignal,
  handler: Handler,
  onError: (e: unknown) => Response | Promise<Response>,
  onListen: () => void,
) => ConnServer;

/** Deno's own per-connection server (what `Deno.serve` runs), or null when not offered. */
function serveOnConnection(): ServeOnConnection | null {
  const key = (Deno as unknown as { internal?: symbol }).internal;
  const internal = key ? (Deno as unknown as Record<symbol, unknown>)[key] : undefined;
  const fn = (internal as { serveHttpOnConnection?: unknown } | undefined)?.serveHttpOnConnection;
  return typeof fn === "function" ? fn as ServeOnConnection : null;
}

function onError(e: unknown): Response {
  // The hall's handler answers its own errors; this is a failure below it.
  console.error(`hall: request failed below the app: ${String(e)}`);
  return new Response(JSON.stringify({ error: { code: "INTERNAL", message: "internal error" } }), {
    status: 500,
    headers: { "content-type": "application/json" },
  });
}

/** Serve `handler` on `hostname:port`, with the header timeout when it can be enforced. */
export function serveHall(options: HallListenOptions, handler: Handler): HallListener {
  const serveOn = options.headerTimeoutMs > 0 ? serveOnConnection() : null;
  if (!serveOn) {
    const server = Deno.serve({
      hostname: options.hostname,
      port: options.port,
      ...(options.reusePort ? { reusePort: true } : {}),
      onListen: (addr) => options.onListen?.(addr),
      onError,
    }, handler);
    return { addr: server.addr, shutdown: () => server.shutdown(), headerTimeout: false };
  }
  const timeout = options.headerTimeoutMs;
  const listener = Deno.listen({
    hostname: options.hostname,
    port: options.port,
    ...(options.reusePort ? { reusePort: true } : {}),
  });
  const addr = listener.addr;
  options.onListen?.(addr);

  interface Conn {
    abort: AbortController;
    server: ConnServer | null;
    inFlight: number;
    /** When the connection is closed unless a request head arrives (Infinity: one is in flight). */
    deadline: number;
  }
  const conns = new Set<Conn>();
  // One timer for all connections (never one per request): a connection is closed between
  // `timeout` and `timeout + tick` after its last request ended (or it was accepted).
  const tick = Math.min(1_000, Math.max(10, Math.floor(timeout / 4)));
  const sweep = setInterval(() => {
    const now = Date.now();
    for (const c of conns) {
      if (c.inFlight === 0 && now >= c.deadline) {
        conns.delete(c);
        c.abort.abort();
      }
    }
  }, tick);
  Deno.unrefTimer(sweep);

  let closing = false;
  const accepting = (async () => {
    for await (const conn of listener) {
      const c: Conn = {
        abort: new AbortController(),
        server: null,
        inFlight: 0,
        deadline: Date.now() + timeout,
      };
      conns.add(c);
      try {
        c.server = serveOn(
          conn,
          c.abort.signal,
          (req, info) => {
            c.inFlight++;
            c.deadline = Infinity;
            info.completed.finally(() => {
              if (--c.inFlight === 0) c.deadline = Date.now() + timeout;
            }).catch(() => {});
            return handler(req, info);
          },
          onError,
          () => {},
        );
        c.server.finished.catch(() => {}).finally(() => conns.delete(c));
      } catch (e) {
        conns.delete(c);
        try {
          conn.close();
        } catch { /* already closed */ }
        if (!closing) console.error(`hall: a connection could not be served: ${String(e)}`);
      }
    }
  })().catch((e) => {
    if (!closing) console.error(`hall: the listener stopped: ${String(e)}`);
  });

  return {
    addr,
    headerTimeout: true,
    shutdown: async () => {
      closing = true;
      clearInterval(sweep);
      try {
        listener.close();
      } catch { /* already closed */ }
      await accepting;
      // As Deno.serve's shutdown: idle connections close, requests in flight finish first.
      await Promise.all([...conns].map((c) => c.server?.shutdown().catch(() => {})));
      conns.clear();
    },
  };
}
