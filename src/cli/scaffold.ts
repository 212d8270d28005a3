// `wcp scaffold`: a TypeScript worker package (worker, HTTP entry, tests, registry record, rule
// snippet). Refuses to overwrite any file unless --force.

import { getCatalog, isWcpId } from "../../mod.ts";
import { replaceFile } from "../adapters/fs.ts";
import { type Command, optString, positionals, requireString } from "./_args.ts";
import { dim, err, EXIT, FailedError, out, outJson, UsageError, yellow } from "./_io.ts";

const WORKER_ID = /^(org|x)\.[a-z0-9][a-z0-9_-]*(\.[a-z0-9][a-z0-9_-]*)+$/;

function workerTs(capability: string, species: string): string {
  return `// The worker's logic. The hall POSTs a WorkerCall as JSON and reads back the JSON result;
// it mints the evidence receipt itself, so the worker only reports what it did.

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

/** The capability this worker serves. */
export const CAPABILITY_ID = ${JSON.stringify(capability)};
/** Its species (taxonomy only; trust comes from the worker_id). */
export const SPECIES_ID = ${JSON.stringify(species)};

/** Do the work. Replace the body with the real thing; keep it deterministic where you can. */
export function handle(call: WorkerCall): Record<string, unknown> {
  if (call.capability_id !== CAPABILITY_ID) {
    throw new Error(\`this worker serves \${CAPABILITY_ID}, not \${call.capability_id}\`);
  }
  return { ok: true, correlation_id: call.correlation_id, echo: call.request };
}

function isCall(v: unknown): v is WorkerCall {
  if (typeof v !== "object" || v === null) return false;
  const o = v as Record<string, unknown>;
  return ["correlation_id", "decision_id", "tenant_id", "capability_id", "worker_id", "env"]
    .every((k) => typeof o[k] === "string") && typeof o.request === "object" && o.request !== null;
}

/** HTTP entry: POST a WorkerCall, get the result; bad input is a 400 naming the problem. */
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
    return Response.json(handle(body));
  } catch (e) {
    return Response.json({ error: (e as Error).message }, { status: 422 });
  }
}
`;
}

const MAIN_TS =
  `// Serve the worker on 127.0.0.1 (PORT, default 8790). Register registry_record.json's endpoint.
import { handler } from "./worker.ts";

const port = Number(Deno.env.get("PORT") ?? "8790");
Deno.serve({ hostname: "127.0.0.1", port }, handler);
`;

function testTs(capability: string): string {
  return `import assert from "node:assert/strict";
import { handle, handler, type WorkerCall } from "./worker.ts";

const call: WorkerCall = {
  correlation_id: "7f1c1f8e-8f3c-4d55-9a43-1b2b3c4d5e6f",
  decision_id: "d-1",
  tenant_id: "acme",
  capability_id: ${JSON.stringify(capability)},
  worker_id: "org.example.worker.1",
  request: { text: "hello" },
  env: "dev",
};

Deno.test("handle echoes the request and the correlation id", () => {
  const r = handle(call);
  assert.equal(r.correlation_id, call.correlation_id);
  assert.deepEqual(r.echo, { text: "hello" });
});

Deno.test("handle refuses another capability", () => {
  assert.throws(() => handle({ ...call, capability_id: "cap.other.thing" }));
});

Deno.test("handler answers 400 for a body that is not a WorkerCall", async () => {
  const res = await handler(new Request("http://w/", { method: "POST", body: "{}" }));
  assert.equal(res.status, 400);
});

Deno.test("handler answers a WorkerCall with JSON", async () => {
  const res = await handler(new Request("http://w/", { method: "POST", body: JSON.stringify(call) }));
  assert.equal(res.status, 200);
  assert.equal((await res.json()).ok, true);
});
`;
}

function readme(workerId: string, capability: string, species: string): string {
  return `# ${workerId}

A WCP worker serving \`${capability}\` (species \`${species}\`), scaffolded by \`wcp scaffold\`.

- \`worker.ts\`: the logic (\`handle\`) and the HTTP entry (\`handler\`)
- \`main.ts\`: serves it on 127.0.0.1 (\`PORT\`, default 8790)
- \`worker_test.ts\`: tests (\`deno task test\`)
- \`registry_record.json\`: enroll it with \`wcp enroll registry_record.json --hall URL\`
- \`rule_snippet.json\`: a routing rule (dev only) to merge into your rules file

Check the record with \`wcp check --worker registry_record.json\`, then declare the controls the worker
really implements in \`currently_implements\` before widening \`allowed_environments\`.
`;
}

const scaffold: Command = {
  name: "scaffold",
  summary: "Create a TypeScript worker package: worker, tests, registry record, rule snippet.",
  positionals: "DIR",
  options: {
    "worker-id": {
      type: "string",
      arg: "ID",
      help: "worker id, org.<name>.… or x.<name>.… (required)",
    },
    capability: { type: "string", arg: "ID", help: "capability served, cap.… (required)" },
    species: {
      type: "string",
      arg: "ID",
      help: "species, wrk.… (default: the catalog's species for the capability)",
    },
    port: { type: "string", arg: "PORT", help: "port in the record's endpoint (default 8790)" },
    force: { type: "boolean", help: "overwrite existing files" },
  },
  details: "Never overwrites a file without --force (exit 1, nothing written).\n" +
    "Example: wcp scaffold ./summarizer --worker-id org.acme.summarizer.1 --capability cap.doc.summarize",
  async run(ctx) {
    const [dir] = positionals(ctx, ["DIR"]);
    const workerId = requireString(ctx, "worker-id");
    const capability = requireString(ctx, "capability");
    if (!WORKER_ID.test(workerId) || workerId.length > 128) {
      throw new UsageError(
        `--worker-id: ${JSON.stringify(workerId)} must be org.<name>.… or x.<name>.… (lowercase)`,
      );
    }
    if (!isWcpId(capability, { strict: false }) || !capability.startsWith("cap.")) {
      throw new UsageError(`--capability: ${JSON.stringify(capability)} is not a cap.* identifier`);
    }
    const catalog = getCatalog();
    const cap = catalog.get(capability);
    let species = optString(ctx, "species");
    if (
      species !== undefined && (!isWcpId(species, { strict: false }) || !species.startsWith("wrk."))
    ) {
      throw new UsageError(`--species: ${JSON.stringify(species)} is not a wrk.* identifier`);
    }
    species ??= cap?.served_by?.find((s) => catalog.get(s)?.status === "active");
    if (!species) {
      throw new UsageError(`--species is required: ${capability} is not in ${catalog.version}`);
    }
    const warnings: string[] = [];
    if (!cap) warnings.push(`${capability} is not in ${catalog.version} (a custom capability)`);
    else if (cap.status === "deprecated") {
      warnings.push(`${capability} is deprecated; use ${cap.superseded_by}`);
    }
    const sp = catalog.get(species);
    if (!sp) warnings.push(`${species} is not in ${catalog.version} (a custom species)`);
    const port = ctx.values.port === undefined ? 8790 : Number(ctx.values.port);
    if (!Number.isInteger(port) || port < 1 || port > 65535) {
      throw new UsageError(
        `--port must be an integer 1-65535, got ${JSON.stringify(ctx.values.port)}`,
      );
    }
    const record = {
      worker_id: workerId,
      worker_species_id: species,
      capabilities: [capability],
      risk_tier: cap?.risk_tier ?? sp?.risk_tier ?? "medium",
      idempotency: "idempotent",
      determinism: "deterministic",
      required_controls: [...(sp?.controls ?? [])],
      currently_implements: [],
      allowed_environments: ["dev"],
      privilege_envelope: {
        secrets_access: [],
        network_egress: [],
        filesystem_writes: [],
        tools: [],
      },
      blast_radius: { data: 0, network: 0, financial: 0, time: 0, reversibility: "reversible" },
      endpoint: `http://127.0.0.1:${port}/`,
      catalog_version_min: catalog.version.replace("wcp-catalog@", ""),
    };
    const leaf = species.split(".").slice(1).join("-");
    const rule = {
      rules: [{
        rule_id: `${leaf}-dev`,
        match: { capability_id: capability, env: { in: ["dev"] } },
        decision: {
          candidate_workers_ranked: [{ worker_species_id: species, score_hint: 1 }],
          required_controls_suggested: [],
        },
      }],
    };
    const files: Record<string, string> = {
      "worker.ts": workerTs(capability, species),
      "main.ts": MAIN_TS,
      "worker_test.ts": testTs(capability),
      "registry_record.json": JSON.stringify(record, null, 2) + "\n",
      "rule_snippet.json": JSON.stringify(rule, null, 2) + "\n",
      "deno.json": JSON.stringify(
        {
          tasks: {
            start: "deno run --allow-net=127.0.0.1 --allow-env=PORT main.ts",
            test: "deno test worker_test.ts",
          },
        },
        null,
        2,
      ) + "\n",
      "README.md": readme(workerId, capability, species),
    };
    const sep = dir.endsWith("/") ? "" : "/";
    // Checked first: the per-file checks below would fail with an OS error under a file.
    let isNew = false;
    try {
      const st = await Deno.stat(dir);
      if (!st.isDirectory) throw new UsageError(`DIR: ${dir} exists and is not a directory`);
    } catch (e) {
      if (!(e instanceof Deno.errors.NotFound)) throw e;
      isNew = true;
    }
    const existing: string[] = [];
    for (const name of Object.keys(files)) {
      try {
        await Deno.lstat(dir + sep + name);
        existing.push(name);
      } catch (e) {
        if (!(e instanceof Deno.errors.NotFound)) throw e;
      }
    }
    if (existing.length && ctx.values.force !== true) {
      throw new FailedError(
        `${dir} already has ${existing.join(", ")}; nothing written (use --force to overwrite)`,
        "EXISTS",
      );
    }
    if (isNew) await Deno.mkdir(dir, { recursive: true });
    for (const [name, text] of Object.entries(files)) {
      await replaceFile(dir + sep + name, text); // --force never writes through a symlink
    }
    for (const w of warnings) err(yellow(`warning: ${w}`));
    if (ctx.json) {
      outJson({
        dir,
        files: Object.keys(files),
        overwritten: existing,
        record,
        rule: rule.rules[0],
        warnings,
      });
    } else {
      out(`created ${dir}${sep}{${Object.keys(files).join(",")}}`);
      if (existing.length) out(dim(`overwrote ${existing.join(", ")}`));
      out(
        dim(
          `next: cd ${dir} && deno task test; wcp check --worker ${dir}${sep}registry_record.json`,
        ),
      );
    }
    return EXIT.ok;
  },
};

/** The scaffold command. */
export const scaffoldCommands: Command[] = [scaffold];
