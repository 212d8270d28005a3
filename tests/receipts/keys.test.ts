// parseTrustedKeys: one reader for the hall's key answer, the dashboard export, a CLI key file
// and the playground's list, each checked (key_id must match the key), never a private key out.
import assert from "node:assert/strict";
import {
  exportKeyFile,
  generateSigningKey,
  mintReceipt,
  parseTrustedKeys,
  verifyReceiptChain,
  WcpError,
} from "../../mod.ts";

const key = await generateSigningKey({ namespace: "org.acme" });
const pub = { key_id: key.key_id, public_key: key.public_key, namespace: "org.acme" };

function refused(doc: unknown, path: string, message: RegExp): void {
  assert.throws(() => parseTrustedKeys(doc), (e: unknown) => {
    assert.ok(e instanceof WcpError);
    assert.equal(e.code, "KEY_INVALID");
    assert.equal(e.path, path);
    assert.match(e.message, message);
    return true;
  });
}

Deno.test("parseTrustedKeys reads every shape a receipt key arrives in", async () => {
  const receipt = await mintReceipt(null, {
    tenant_id: "acme",
    correlation_id: "c-1",
    dispatched_at: "2026-01-01T00:00:00.000Z",
    worker_id: "org.acme.w.1",
    capability_id: "cap.doc.summarize",
    policy_decision: "ALLOW",
    controls_verified: [],
    artifact_hash: "sha256:" + "0".repeat(64),
  }, key);
  const privateFile = await exportKeyFile(key, { includePrivate: true });
  const shapes: Record<string, unknown> = {
    "hall GET /wcp/receipts/key": { keys: [pub] },
    "dashboard export": {
      tenant_id: "acme",
      exported_at: "2026-01-01T00:00:00.000Z",
      keys: [pub],
      receipts: [receipt],
    },
    "CLI public key file": await exportKeyFile(key, { includePrivate: false }),
    "CLI private key file": privateFile,
    "playground list": [pub],
    "one key": pub,
  };
  for (const [name, doc] of Object.entries(shapes)) {
    const keys = parseTrustedKeys(doc);
    assert.equal(keys.length, 1, name);
    assert.equal(keys[0].key_id, key.key_id, name);
    assert.ok(!("private_key" in keys[0]), `${name}: no private key comes out`);
    assert.equal((await verifyReceiptChain([receipt], { keys })).ok, true, name);
  }
});

Deno.test("parseTrustedKeys names what is wrong and where", () => {
  refused({ hello: 1 }, "", /expected receipt keys/);
  assert.deepEqual(parseTrustedKeys([]), [], "no trusted key: nothing will verify");
  assert.deepEqual(parseTrustedKeys({ keys: [] }), []);
  refused({ keys: "x" }, "keys", /must be a list/);
  refused({ keys: [pub, 7] }, "keys[1]", /got number/);
  refused([{ ...pub, key_id: "ed25519:" + "0".repeat(64) }], "[0].key_id", /does not match/);
  refused([{ key_id: pub.key_id, public_key: "short" }], "[0].public_key", /32 bytes/);
  refused({ wcp_key_file: 2, alg: "ed25519", ...pub }, "wcp_key_file", /must be 1/);
  refused(null, "", /expected receipt keys/);
});
