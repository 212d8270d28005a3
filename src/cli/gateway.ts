// `wcp gateway`: start the governing MCP gateway (mcp/gateway/main.ts) as a child `deno run` with
// only the permissions its config needs; `wcp gateway pins list|diff|accept`: the tool pins of a
// gateway config (what is pinned, what changed, and an approver's acceptance, receipted).

import { type Command, optString, requireString } from "./_args.ts";
import { bold, EXIT, FailedError, out, outJson, table, UsageError, yellow } from "./_io.ts";
import { parentDir } from "../adapters/fs.ts";
import { uuidV4 } from "../ids.ts";
import { WcpError } from "../errors.ts";
import {
  defaultCapabilityId,
  type GatewayConfig,
  loadGatewayConfigFile,
} from "../../mcp/gateway/config.ts";
import { acceptPending, definitionDiff, FilePinStore } from "../../mcp/gateway/pins.ts";
import { mintPinReceipt, STATE_FILES, stateSigningKey } from "../../mcp/gateway/state.ts";
import { UPSTREAM_ENV } from "../../mcp/gateway/upstream.ts";
import { resolveInFile, withApprovalsFile } from "../../mcp/gateway/approvals.ts";

function flagValue(args: string[], name: string): string | undefined {
  for (let i = 0; i < args.length; i++) {
    if (args[i] === "--") return undefined;
    if (args[i] === name) return args[i + 1];
    if (args[i].startsWith(`${name}=`)) return args[i].slice(name.length + 1);
  }
  return undefined;
}

function hostOf(url: string): string {
  const u = new URL(url);
  return u.port ? `${u.hostname}:${u.port}` : u.hostname;
}

async function loadConfig(path: string): Promise<GatewayConfig> {
  try {
    return await loadGatewayConfigFile(path);
  } catch (e) {
    if (e instanceof WcpError) throw new UsageError(`--config: ${e.message}`, e.code);
    throw e;
  }
}

/**
 * The gateway's permissions: read its config (and the config's directory, for a rules file);
 * read and write its state directory; run each stdio upstream's command (by name) with the
 * environment variables the spawn reads (`UPSTREAM_ENV`); reach each HTTP upstream's host and,
 * with `--http`, listen on that address. The quick form gets only the run and env grants.
 */
export async function gatewayPermissions(args: string[]): Promise<string[]> {
  const dash = args.indexOf("--");
  const config = flagValue(args, "--config");
  const http = flagValue(args, "--http");
  const run = new Set<string>();
  const net = new Set<string>();
  const read: string[] = [];
  const write: string[] = [];
  if (http) net.add(http);
  if (dash >= 0 && args[dash + 1]) run.add(args[dash + 1]);
  if (config) {
    const cfg = await loadConfig(config);
    read.push(config, parentDir(config));
    if (cfg.state_dir) {
      read.push(cfg.state_dir);
      write.push(cfg.state_dir);
    }
    for (const spec of Object.values(cfg.servers)) {
      if ("command" in spec) {
        run.add(spec.command);
        if (spec.cwd) read.push(spec.cwd);
      } else net.add(hostOf(spec.url));
    }
  }
  return [
    ...(run.size ? [`--allow-run=${[...run].join(",")}`] : []),
    ...(run.size ? [`--allow-env=${UPSTREAM_ENV.join(",")}`] : []),
    ...(net.size ? [`--allow-net=${[...net].join(",")}`] : []),
    ...(read.length ? [`--allow-read=${read.join(",")}`] : []),
    ...(write.length ? [`--allow-write=${write.join(",")}`] : []),
  ];
}

async function runChild(perms: string[], args: string[]): Promise<number> {
  const script = new URL("../../mcp/gateway/main.ts", import.meta.url).pathname;
  const child = new Deno.Command("deno", {
    args: ["run", "--quiet", ...perms, script, ...args],
    stdin: "inherit",
    stdout: "inherit",
    stderr: "inherit",
  }).spawn();
  const forward = (sig: Deno.Signal) => () => {
    try {
      child.kill(sig);
    } catch { /* already gone */ }
  };
  const onInt = forward("SIGINT");
  const onTerm = forward("SIGTERM");
  Deno.addSignalListener("SIGINT", onInt);
  Deno.addSignalListener("SIGTERM", onTerm);
  try {
    return (await child.status).code;
  } finally {
    Deno.removeSignalListener("SIGINT", onInt);
    Deno.removeSignalListener("SIGTERM", onTerm);
  }
}

const gateway: Command = {
  name: "gateway",
  summary: "Govern existing MCP servers: --config FILE, or the DEMO quick form -- COMMAND ARGS...",
  options: {},
  passthrough: true,
  details:
    "Runs mcp/gateway/main.ts (stdio to the client; --http HOST:PORT for Streamable HTTP)\n" +
    "with read access to the config, read/write access to its state directory, --allow-run for\n" +
    "each stdio upstream's command and --allow-net for each HTTP upstream's host.\n" +
    "Examples:\n" +
    "  wcp gateway --config gateway.json\n" +
    "  wcp gateway -- npx -y @modelcontextprotocol/server-everything stdio   (DEMO policy)\n" +
    "Pins: wcp gateway pins list|diff|accept --config gateway.json",
  async run(ctx) {
    return await runChild(await gatewayPermissions(ctx.raw), ctx.raw);
  },
};

function capabilityOf(cfg: GatewayConfig, key: string): string {
  const dot = key.indexOf(".");
  return cfg.tools[key]?.capability_id ??
    defaultCapabilityId(key.slice(0, dot), key.slice(dot + 1)) ?? "";
}

const pins: Command = {
  name: "gateway pins",
  summary: "Tool pins of a gateway: list, diff (pending vs pinned), accept KEY (receipted).",
  positionals: "list|diff|accept [SERVER.TOOL]",
  options: {
    config: { type: "string", arg: "FILE", help: "the gateway configuration" },
    hash: {
      type: "string",
      arg: "SHA256",
      help: "accept: only if the pending definition still has this hash (from diff)",
    },
    note: { type: "string", arg: "TEXT", help: "accept: the approver's note (in the receipt)" },
    by: { type: "string", arg: "NAME", help: "accept: who accepts (default cli:$USER)" },
  },
  details: "A changed or new upstream tool definition is withheld from tools/list and its calls\n" +
    "refused (TOOL_DEFINITION_CHANGED) until accepted here. Accepting mints a receipt in\n" +
    "<state>/receipts/pins.jsonl (verify: wcp receipts verify FILE --key <state>/receipt-key.pub.json).\n" +
    "Exit 1 when diff or accept finds nothing pending.",
  async run(ctx) {
    const [action, key] = ctx.positionals;
    if (!["list", "diff", "accept"].includes(action ?? "")) {
      throw new UsageError("the first argument is list, diff or accept");
    }
    if (ctx.positionals.length > 2) {
      throw new UsageError(`unexpected argument ${JSON.stringify(ctx.positionals[2])}`);
    }
    const configPath = requireString(ctx, "config");
    const cfg = await loadConfig(configPath);
    if (!cfg.state_dir) {
      throw new UsageError("--config: this gateway keeps no state (state_dir: null)");
    }
    const store = new FilePinStore(`${cfg.state_dir}/${STATE_FILES.pins}`);
    const doc = await store.read();
    if (action === "list") {
      if (ctx.json) {
        outJson({ pins: doc.pins, pending: doc.pending });
        return EXIT.ok;
      }
      const rows = [["TOOL", "STATE", "HASH", "SINCE", "BY"]];
      for (const [k, p] of Object.entries(doc.pins).sort()) {
        rows.push([k, p.how, p.hash.slice(0, 19), p.pinned_at, p.accepted_by ?? "-"]);
      }
      for (const [k, p] of Object.entries(doc.pending).sort()) {
        rows.push([
          k,
          yellow(p.previous_hash ? "CHANGED" : "NEW"),
          p.hash.slice(0, 19),
          p.seen_at,
          "-",
        ]);
      }
      out(...table(rows));
      const n = Object.keys(doc.pending).length;
      if (n) out("", `${n} pending: see \`wcp gateway pins diff --config ${configPath}\``);
      return EXIT.ok;
    }
    const keys = key ? [key] : Object.keys(doc.pending).sort();
    if (action === "diff") {
      if (keys.length === 0 || (key && !doc.pending[key])) {
        throw new FailedError(
          key ? `nothing pending for ${key}` : "nothing pending",
          "PIN_NOT_PENDING",
        );
      }
      const diffs = keys.map((k) => ({
        tool: k,
        reason: doc.pending[k].previous_hash ? "changed" : "new",
        pinned_hash: doc.pending[k].previous_hash,
        hash: doc.pending[k].hash,
        diff: definitionDiff(doc.pins[k]?.definition ?? null, doc.pending[k].definition),
      }));
      if (ctx.json) {
        outJson({ diffs });
        return EXIT.ok;
      }
      for (const d of diffs) {
        out(
          bold(`${d.tool}: ${d.reason}`),
          `  pinned  ${d.pinned_hash ?? "(none)"}`,
          `  pending ${d.hash}`,
        );
        out(d.diff, "");
      }
      out(`accept with: wcp gateway pins accept TOOL --hash HASH --config ${configPath}`);
      return EXIT.ok;
    }
    if (!key) throw new UsageError("accept: name the tool (SERVER.TOOL, see pins list)");
    const pending = doc.pending[key];
    if (!pending) throw new FailedError(`nothing pending for ${key}`, "PIN_NOT_PENDING");
    const expect = optString(ctx, "hash");
    if (expect !== undefined && expect !== pending.hash) {
      throw new FailedError(
        `the pending definition of ${key} is ${pending.hash}, not ${expect} (it changed again: diff it)`,
        "PIN_MISMATCH",
      );
    }
    let user = "unknown";
    try {
      user = Deno.env.get("USER") ?? "unknown";
    } catch { /* no env permission */ }
    const by = optString(ctx, "by") ?? `cli:${user}`;
    const note = optString(ctx, "note");
    const now = Date.now();
    const key0 = await stateSigningKey(cfg.state_dir);
    const dot = key.indexOf(".");
    const receipt = await mintPinReceipt(cfg.state_dir, key0, {
      correlation_id: uuidV4(),
      worker_id: `x.gateway.${key.slice(0, dot)}`,
      capability_id: capabilityOf(cfg, key),
      policy_decision: "TOOL_DEFINITION_ACCEPTED",
      controls_verified: [],
      artifact_hash: pending.hash,
      tool: key,
      previous_hash: pending.previous_hash,
      accepted_by: by,
      note: note ?? null,
    }, now);
    try {
      await store.update((d) =>
        acceptPending(d, key, by, now, {
          expectHash: pending.hash,
          receiptId: receipt.receipt_id,
          ...(note ? { note } : {}),
        })
      );
    } catch (e) {
      if (e instanceof WcpError) throw new FailedError(e.message, e.code);
      throw e;
    }
    if (ctx.json) outJson({ accepted: key, hash: pending.hash, receipt });
    else {
      out(`accepted ${key} (${pending.hash}); receipt ${receipt.receipt_id} seq ${receipt.seq}`);
    }
    return EXIT.ok;
  },
};

function whoAmI(ctx: { values: Record<string, unknown> }): { principal_id: string; label: string } {
  let user = "unknown";
  try {
    user = Deno.env.get("USER") ?? "unknown";
  } catch { /* no env permission */ }
  const by = typeof ctx.values.by === "string" ? ctx.values.by : user;
  return { principal_id: `cli:${user}`, label: by };
}

const approvals: Command = {
  name: "gateway approvals",
  summary: "Held calls of a gateway: list, approve ID, deny ID (for clients without elicitation).",
  positionals: "list|approve|deny [ID]",
  options: {
    config: { type: "string", arg: "FILE", help: "the gateway configuration" },
    note: { type: "string", arg: "TEXT", help: "approve/deny: the note (in the receipt)" },
    by: { type: "string", arg: "NAME", help: "approve/deny: your name (default $USER)" },
  },
  details: "A held call (STEWARD_HOLD) names its approval id; approving it here lets the agent\n" +
    "repeat the same call with wcp_approval_id, which then runs once (within\n" +
    "hall_config.approval_ttl_seconds). Refusals: APPROVAL_UNKNOWN, APPROVAL_EXPIRED,\n" +
    "APPROVAL_NOT_PENDING (exit 1).",
  async run(ctx) {
    const [action, id] = ctx.positionals;
    if (!["list", "approve", "deny"].includes(action ?? "")) {
      throw new UsageError("the first argument is list, approve or deny");
    }
    const configPath = requireString(ctx, "config");
    const cfg = await loadConfig(configPath);
    if (!cfg.state_dir) {
      throw new UsageError("--config: this gateway keeps no state (state_dir: null)");
    }
    const path = `${cfg.state_dir}/${STATE_FILES.approvals}`;
    if (action === "list") {
      const now = Date.now();
      const rows = await Promise.resolve(withApprovalsFile(path, (doc) => ({
        write: false,
        value: Object.values(doc.approvals).map((e) => ({
          ...e.view,
          status: e.view.status === "pending" && now >= Date.parse(e.view.expires_at)
            ? "expired"
            : e.view.status,
          request: e.input.request,
        })),
      })));
      if (ctx.json) {
        outJson({ approvals: rows });
        return EXIT.ok;
      }
      const t = [["APPROVAL", "STATUS", "CAPABILITY", "LEVEL", "EXPIRES", "REQUEST"]];
      for (const r of rows) {
        t.push([
          r.approval_id,
          r.status,
          r.capability_id,
          r.supervisor_level,
          r.expires_at,
          JSON.stringify(r.request).slice(0, 60),
        ]);
      }
      out(...table(t));
      return EXIT.ok;
    }
    if (!id) throw new UsageError(`${action}: name the approval id (see approvals list)`);
    const ttl = typeof cfg.governance.hall_config.approval_ttl_seconds === "number"
      ? cfg.governance.hall_config.approval_ttl_seconds
      : 900;
    let view;
    try {
      view = resolveInFile(
        path,
        id,
        action as "approve" | "deny",
        whoAmI(ctx),
        optString(ctx, "note"),
        Date.now(),
        ttl,
      );
    } catch (e) {
      if (e instanceof WcpError) throw new FailedError(e.message, e.code);
      throw e;
    }
    if (ctx.json) outJson(view);
    else {
      out(
        `${view.status} ${id} (${view.capability_id})` +
          (view.status === "approved" ? "; the agent may now repeat the call, once" : ""),
      );
    }
    return EXIT.ok;
  },
};

/** The gateway commands. */
export const gatewayCommands: Command[] = [gateway, pins, approvals];
