// A hello worker in TypeScript: an HTTP worker the hall calls. The hall POSTs a WorkerCall (JSON)
// and reads back the JSON result; it mints the evidence receipt itself, so the worker only does
// the work. Run it on its own with:
//
//   deno run --allow-net=127.0.0.1 --allow-env=PORT examples/hello-ts/worker.ts
//
// (PORT, default 8791), then enrol examples/hello-ts/record.json with its endpoint.

/** What the hall sends (the WorkerCall of @wcp/core, src/engine/types.ts). */
export interface WorkerCall {
  correlation_id: string;
  decision_id: string;
  tenant_id: string;
  capability_id: string;
  worker_id: string;
  request: Record<string, unknown>;
  env: string;
  /** Data label of the request (sent by halls from this version on). */
  data_label?: string;
}

function isCall(v: unknown): v is WorkerCall {
  if (typeof v !== "object" || v === null) return false;
  const o = v as Record<string, unknown>;
  return ["correlation_id", "decision_id", "tenant_id", "capability_id", "worker_id", "env"]
    .every((k) => typeof o[k] === "string") && typeof o.request === "object" && o.request !== null;
}

/** The greeting for one call; a bad `name` is refused with the field named. */
export function greet(call: WorkerCall): Record<string, unknown> {
  if (call.capability_id !== "cap.hello.greet") {
    throw new Error(`capability_id: this worker serves cap.hello.greet, not ${call.capability_id}`);
  }
  const name = call.request.name ?? "world";
  if (typeof name !== "string" || name.length === 0 || name.length > 100) {
    throw new Error("request.name: a string of 1-100 characters");
  }
  return { greeting: `Hello, ${name}!`, worker: "typescript", correlation_id: call.correlation_id };
}

/** HTTP entry: POST a WorkerCall, get the greeting; bad input is a 400 naming the problem. */
export async function handler(req: Request): Promise<Response> {
  if (req.method !== "POST") return Response.json({ error: "POST a WorkerCall" }, { status: 405 });
  let body: unknown;
  try {
    body = await req.json();
  } catch {
    return Response.json({ error: "body is not JSON" }, { status: 400 });
  }
  if (!isCall(body)) return Response.json({ error: "body is not a WorkerCall" }, { status: 400 });
  try {
    return Response.json(greet(body));
  } catch (e) {
    return Response.json({ error: (e as Error).message }, { status: 400 });
  }
}

if (import.meta.main) {
  const port = Number(Deno.env.get("PORT") ?? "8791");
  Deno.serve({ hostname: "127.0.0.1", port }, handler);
}
