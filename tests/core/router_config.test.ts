// The router judges a hall config by validateHallConfig's rules: one source of truth, so a config
// the hall's loader refuses never routes, and one the loader accepts always does.
import assert from "node:assert/strict";
import { DEFAULT_HALL_CONFIG, validateHallConfig, WcpError } from "../../mod.ts";
import { decide, input } from "./_router_helpers.ts";

function validatorVerdict(config: unknown): string | null {
  try {
    validateHallConfig(config);
    return null;
  } catch (e) {
    assert.ok(e instanceof WcpError, String(e));
    return e.path;
  }
}

function routerVerdict(config: unknown): string | null {
  const d = decide(input(), { config: config as never, trace: true }).d;
  const r = d.deny_reason_if_denied;
  if (d.trace?.find((s) => s.step === "config")?.outcome !== "deny") return null;
  assert.equal(r?.code, "DENY_INTERNAL_ERROR");
  assert.equal(d.outcome, "DENY");
  assert.equal(d.matched_rule_id, "PRE_ROUTING");
  assert.match(r!.message, /^Invalid Hall configuration: /);
  return r!.message;
}

const CASES: [string, unknown][] = [
  ["threshold 101", { blast_gate_threshold: 101 }],
  ["threshold 100.5", { blast_gate_threshold: 100.5 }],
  ["threshold -1", { blast_gate_threshold: -1 }],
  ["empty tenant id", { require_signatory: true, allowed_tenants: ["acme", ""] }],
  ["empty egress destination", { egress_allowlist: { prod: [""] } }],
  ["unknown key unlike any floor", { listen: "127.0.0.1:8080" }],
  ["hall file section", { policy_gate: { default: "ALLOW" } }],
  ["misspelt floor", { require_signatry: true }],
  ["string switch", { require_signatory: "yes" }],
  ["ttl 0", { approval_ttl_seconds: 0 }],
  ["bad level", { default_supervisor_level: "boss" }],
  ["egress typo", { egress_allowlist: { prd: ["x"] } }],
  ["null", null],
  ["array", []],
  ["string", "yes"],
];

Deno.test("router config: every config validateHallConfig refuses denies, naming the key", () => {
  for (const [name, config] of CASES) {
    const path = validatorVerdict(config);
    assert.notEqual(path, null, `${name}: the validator accepts it`);
    const message = routerVerdict(config);
    assert.notEqual(message, null, `${name}: the router accepts it`);
    if (path) assert.ok(message!.includes(`config.${path}`), `${name}: ${message}`);
  }
  // The boundary values themselves.
  assert.match(routerVerdict({ blast_gate_threshold: 101 })!, /from 0 to 100, got number 101/);
  assert.match(
    routerVerdict({ allowed_tenants: ["acme", ""] })!,
    /config\.allowed_tenants\[1\] must be a non-empty string/,
  );
  assert.match(
    routerVerdict({ require_signatory: "yes" })!,
    /config\.require_signatory must be a boolean/,
  );
  assert.match(routerVerdict({ require_signatry: true })!, /did you mean "require_signatory"\?/);
});

Deno.test("router config: every config validateHallConfig accepts routes, with its values", () => {
  const ok: unknown[] = [
    undefined,
    {},
    { ...DEFAULT_HALL_CONFIG },
    DEFAULT_HALL_CONFIG,
    { blast_gate_threshold: 100 },
    { blast_gate_threshold: 0 },
    { require_signatory: true, allowed_tenants: ["acme"] },
    { approval_ttl_seconds: 31_536_000, egress_allowlist: { prod: ["api.example"], dev: [] } },
    validateHallConfig({ require_signatory: true, allowed_tenants: ["acme"] }),
  ];
  for (const config of ok) {
    assert.equal(validatorVerdict(config), null);
    assert.equal(routerVerdict(config), null, JSON.stringify(config));
    assert.equal(decide(input(), { config: config as never }).d.outcome, "DISPATCH");
  }
  // The validated values are the ones applied.
  const signatory = { require_signatory: true, allowed_tenants: ["globex"] };
  assert.equal(
    decide(input(), { config: signatory }).d.deny_reason_if_denied?.code,
    "DENY_UNKNOWN_TENANT",
  );
});

Deno.test("router config: a config object changed in place after use is validated again", () => {
  const config: Record<string, unknown> = { require_signatory: true, allowed_tenants: ["acme"] };
  assert.equal(decide(input(), { config }).d.outcome, "DISPATCH");
  // A tenant removed from the list in place: the cached verdict must not be reused.
  (config.allowed_tenants as string[]).pop();
  (config.allowed_tenants as string[]).push("globex");
  assert.equal(
    decide(input(), { config }).d.deny_reason_if_denied?.code,
    "DENY_UNKNOWN_TENANT",
  );
  // An empty tenant pushed in place makes it invalid.
  (config.allowed_tenants as string[]).push("");
  assert.match(routerVerdict(config)!, /config\.allowed_tenants\[1\]/);
  (config.allowed_tenants as string[]).pop();
  (config.allowed_tenants as string[]).push("acme");
  assert.equal(routerVerdict(config), null);
  assert.equal(decide(input(), { config }).d.outcome, "DISPATCH");
  // A key added, a value switched, an egress list edited.
  config.blast_gate_threshold = 101;
  assert.match(routerVerdict(config)!, /blast_gate_threshold/);
  config.blast_gate_threshold = 90;
  assert.equal(routerVerdict(config), null);
  config.require_signatory = "true";
  assert.match(routerVerdict(config)!, /config\.require_signatory must be a boolean/);
  config.require_signatory = false;
  config.egress_allowlist = { prod: ["a.example"] };
  assert.equal(routerVerdict(config), null);
  (config.egress_allowlist as Record<string, string[]>).prod.push("");
  assert.match(routerVerdict(config)!, /config\.egress_allowlist\.prod\[1\]/);
  (config.egress_allowlist as Record<string, unknown>).prod = ["a.example"];
  assert.equal(routerVerdict(config), null);
  (config.egress_allowlist as Record<string, unknown>).prd = [];
  assert.match(routerVerdict(config)!, /config\.egress_allowlist\.prd/);
  delete (config.egress_allowlist as Record<string, unknown>).prd;
  assert.equal(routerVerdict(config), null);
  config.listen = ":80";
  assert.match(routerVerdict(config)!, /config\.listen: unknown key/);
  delete config.listen;
  assert.equal(routerVerdict(config), null);
});

Deno.test("router config: a config that throws when read denies and never throws", () => {
  const hostile = {
    get require_signatory(): boolean {
      throw new Error("boom");
    },
  };
  const d = decide(input(), { config: hostile as never }).d;
  assert.equal(d.outcome, "DENY");
  assert.equal(d.deny_reason_if_denied?.code, "DENY_INTERNAL_ERROR");
});
