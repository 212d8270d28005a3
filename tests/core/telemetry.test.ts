// Telemetry: the mandatory events in the reference order, decision_id on every event, every
// string sanitised (C0, C1, DEL, U+2028/2029; README 13), dry-run tagging, and sinks that fail.
import assert from "node:assert/strict";
import {
  emitTelemetry,
  makeDecision,
  sanitizeTelemetryString,
  type TelemetryEvent,
} from "../../mod.ts";
import { decide, input, NOW, registryWith, rulesOf, worker } from "./_router_helpers.ts";

// deno-lint-ignore no-control-regex
const CONTROL = /[\u0000-\u001f\u007f-\u009f\u2028\u2029]/;

function allStrings(e: TelemetryEvent): string[] {
  return Object.values(e).filter((v): v is string => typeof v === "string");
}

Deno.test("telemetry: sanitiser strips C0, DEL, C1, U+2028/2029 and keeps everything else", () => {
  assert.equal(
    sanitizeTelemetryString("a\nb\r\u0000c\u007fd\u0085e\u009ff\u2028g\u2029h"),
    "abcdefgh",
  );
  assert.equal(sanitizeTelemetryString("héllo ✓ \u{1F600}"), "héllo ✓ \u{1F600}");
  assert.equal(sanitizeTelemetryString(42), "");
  // Lone surrogates cannot be written as UTF-8: replaced, pairs kept.
  assert.equal(sanitizeTelemetryString("a\ud800b\udc00"), "a\ufffdb\ufffd");
  assert.equal(sanitizeTelemetryString("\ud83d\ude00"), "\u{1F600}");
});

Deno.test("telemetry: dev allow emits exactly the three mandatory events, in order", () => {
  const { d, events } = decide(input());
  assert.deepEqual(d.telemetry_envelopes.map((e) => e.event_id), [
    "evt.os.task.routed",
    "evt.os.worker.selected",
    "evt.os.policy.gated",
  ]);
  assert.deepEqual(events, d.telemetry_envelopes, "the sink sees the same events");
  for (const e of d.telemetry_envelopes) {
    assert.equal(e.decision_id, d.decision_id);
    assert.equal(e.correlation_id, d.correlation_id);
    assert.equal(e.timestamp, new Date(NOW).toISOString());
  }
  const [routed, selected, gated] = d.telemetry_envelopes;
  assert.equal(routed.task_id, "task_default");
  assert.equal(routed.qos_class, "P2");
  assert.equal(routed.matched_rule_id, "r-sum");
  assert.equal(selected.reason, "first_available_candidate");
  assert.equal(gated.decision, "ALLOW");
  assert.equal(gated.reason, "no_gate_required");
});

Deno.test("telemetry: prod allow order is blast, privilege, attestation-skipped, then the three", () => {
  const { d } = decide(input({ env: "prod", task_id: "task-7" }), {
    rules: rulesOf({ required_controls_suggested: ["ctrl.privilege_envelopes_required"] }),
    registry: registryWith(worker({
      currently_implements: ["ctrl.privilege_envelopes_required"],
      privilege_envelope: { network_egress: "none" },
    })),
  });
  assert.equal(d.outcome, "DISPATCH");
  assert.deepEqual(d.telemetry_envelopes.map((e) => e.event_id), [
    "evt.gov.blast_scored",
    "evt.gov.privilege_envelope.checked",
    "evt.os.worker.attestation_skipped",
    "evt.os.task.routed",
    "evt.os.worker.selected",
    "evt.os.policy.gated",
  ]);
  assert.equal(d.telemetry_envelopes[3].task_id, "task-7");
  assert.equal(d.privilege_envelope_ok, true);
});

Deno.test("telemetry: attestation at dispatch replaces the skipped warning", () => {
  const { d } = decide(input({ env: "prod" }), {
    registry: registryWith(worker({ attestation: { code_hash: "12".repeat(32) } })),
    config: { require_worker_attestation: true },
    currentWorkerHash: () => "12".repeat(32),
  });
  assert.equal(d.worker_attestation_checked, true);
  assert.equal(d.worker_attestation_valid, true);
  assert.ok(!d.telemetry_envelopes.some((e) => e.event_id === "evt.os.worker.attestation_skipped"));
});

Deno.test("telemetry: a tampered worker skipped for a healthy one raises a critical event", () => {
  const { d } = decide(input(), {
    registry: registryWith(
      worker({ worker_id: "org.acme.a", attestation: { code_hash: "12".repeat(32) } }),
      worker({ worker_id: "org.acme.b", attestation: { code_hash: "34".repeat(32) } }),
    ),
    config: { require_worker_attestation: true },
    currentWorkerHash: () => "34".repeat(32),
  });
  assert.equal(d.selected_worker_id, "org.acme.b");
  const failed = d.telemetry_envelopes.find((e) => e.event_id === "evt.os.worker.tampered");
  assert.equal(failed?.worker_id, "org.acme.a");
  assert.equal(failed?.deny_code, "DENY_WORKER_TAMPERED");
  assert.equal(failed?.severity, "critical");
  assert.ok(!JSON.stringify(d).includes("12".repeat(32)), "no hash values in the decision");
});

Deno.test("telemetry: a banned worker skipped for another raises evt.os.worker.banned", () => {
  const registry = registryWith(
    worker({ worker_id: "org.acme.a", attestation: { code_hash: "12".repeat(32) } }),
    worker({ worker_id: "org.acme.b" }),
  );
  registry.ban({
    sha256: "12".repeat(32),
    reason: "malware",
    reported_at: "2026-11-01T00:00:00.000Z",
  });
  const { d } = decide(input(), { registry });
  assert.equal(d.selected_worker_id, "org.acme.b");
  const banned = d.telemetry_envelopes.find((e) => e.event_id === "evt.os.worker.banned");
  assert.equal(banned?.worker_id, "org.acme.a");
  assert.equal(banned?.severity, "critical");
});

Deno.test("telemetry: timestamps stay RFC 3339 (four-digit year) whatever the clock says", () => {
  const RFC3339_MS = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{3}Z$/;
  for (const t of [253402300800000, 8.64e15, -62167219200001, NaN, Infinity]) {
    const { d } = decide(input(), { now: () => t });
    assert.match(d.timestamp, RFC3339_MS, `clock ${t}`);
    for (const e of d.telemetry_envelopes) assert.match(String(e.timestamp), RFC3339_MS);
  }
  assert.equal(decide(input(), { now: () => 0 }).d.timestamp, "1970-01-01T00:00:00.000Z");
  // A hold whose expiry would pass year 9999 is still a hold, with an expiry clamped to it.
  const { d } = decide(input(), {
    now: () => 253402300799000,
    rules: rulesOf({ escalation: { human_required_default: true } }),
  });
  assert.equal(d.outcome, "STEWARD_HOLD");
  assert.equal(d.timestamp, "9999-12-31T23:59:59.000Z");
  assert.equal(d.approval_expires_at, "9999-12-31T23:59:59.999Z");
});

Deno.test("telemetry: every string in every event is sanitised, the decision keeps raw values", () => {
  const nasty = "x\n\u0085\u2028y";
  const rules = rulesOf({}, { capability_id: { any: true } });
  for (const env of ["dev", "prod"]) {
    const { d } = decide(
      input({
        env,
        correlation_id: "c\r\nFAKE",
        tenant_id: "t\u0000" + nasty,
        capability_id: "cap.a\nb",
        policy_version: "p\u2029v",
        task_id: nasty,
      }),
      { rules },
    );
    assert.equal(d.outcome, "DISPATCH");
    assert.equal(d.correlation_id, "c\r\nFAKE");
    for (const e of d.telemetry_envelopes) {
      for (const s of allStrings(e)) {
        assert.ok(!CONTROL.test(s), `${env} ${e.event_id}: ${JSON.stringify(s)}`);
      }
    }
    assert.equal(d.telemetry_envelopes.at(-3)!.correlation_id, "cFAKE");
  }
  const denied = decide(input({ capability_id: "cap.\u2028none" })).d;
  assert.equal(denied.telemetry_envelopes[0].capability_id, "cap.none");
});

Deno.test("telemetry: dry runs tag every event, on allow and on deny (B-13)", () => {
  const allow = decide(input({ dry_run: true })).d;
  assert.equal(allow.dry_run, true);
  assert.ok(allow.telemetry_envelopes.every((e) => e.dry_run === true));
  const deny = decide(input({ dry_run: true, capability_id: "cap.x.y" })).d;
  assert.equal(deny.telemetry_envelopes[0].dry_run, true);
  const normal = decide(input()).d;
  assert.ok(normal.telemetry_envelopes.every((e) => !("dry_run" in e)));
});

Deno.test("telemetry: a throwing sink never changes or breaks a decision", () => {
  const reference = decide(input()).d;
  const d = makeDecision(input(), {
    rules: rulesOf(),
    registry: registryWith(),
    now: () => NOW,
    newId: (() => {
      let n = 0;
      return () => `id-${++n}`;
    })(),
    telemetry: {
      emit: () => {
        throw new Error("collector down");
      },
    },
  });
  assert.deepEqual(d, reference);
  emitTelemetry(() => {
    throw new Error("x");
  }, reference.telemetry_envelopes[0]);
});

Deno.test("telemetry: a sink mutating events cannot alter the decision", () => {
  const d = makeDecision(input(), {
    rules: rulesOf(),
    registry: registryWith(),
    telemetry: (e) => {
      e.correlation_id = "rewritten";
    },
  });
  assert.ok(d.telemetry_envelopes.every((e) => e.correlation_id === d.correlation_id));
});
