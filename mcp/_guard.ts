// Params checking for the protocol's own requests. The SDK answers a request whose params do not
// fit its schema (e.g. tools/call without a name) with -32603 Internal error; JSON-RPC says that
// is -32602 Invalid params, and says which field. Both transports run messages through this first.

import { ClientRequestSchema, type JSONRPCMessage } from "./_sdk_server.ts";

const SCHEMAS = new Map<string, { safeParse(v: unknown): { success: boolean; error?: unknown } }>();
for (const option of (ClientRequestSchema as unknown as { options: unknown[] }).options) {
  const o = option as {
    shape: { method: { value: string } };
    safeParse(v: unknown): { success: boolean };
  };
  SCHEMAS.set(o.shape.method.value, o);
}

function firstIssue(error: unknown): string {
  const issues = (error as { issues?: { path: PropertyKey[]; message: string }[] })?.issues ?? [];
  const i = issues[0];
  if (!i) return "invalid params";
  return i.path.length ? `${i.path.map(String).join(".")}: ${i.message}` : i.message;
}

/** A -32602 error response for a known request whose params are malformed, or null. */
export function invalidParamsResponse(message: JSONRPCMessage): JSONRPCMessage | null {
  const m = message as { id?: string | number; method?: string };
  if (m.id === undefined || typeof m.method !== "string") return null;
  const schema = SCHEMAS.get(m.method);
  if (!schema) return null;
  const r = schema.safeParse(message);
  if (r.success) return null;
  return {
    jsonrpc: "2.0",
    id: m.id,
    error: { code: -32602, message: `Invalid params for ${m.method}: ${firstIssue(r.error)}` },
  } as JSONRPCMessage;
}
