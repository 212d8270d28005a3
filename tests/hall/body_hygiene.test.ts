// Bodies and request heads the hall refuses by name (bytes that are not UTF-8, a repeated JSON
// key, no Host header), and a client that closes mid-body: a debug line, not an internal error.
import assert from "node:assert/strict";
import { decodeUtf8, parseJsonStrict } from "../../src/hall/_body.ts";
import { findDuplicateKey } from "../../src/encoding/strict_json.ts";
import { ADMIN, HALL_TEST, j, routeInput, testHall } from "./_helpers.ts";

Deno.test("parseJsonStrict: repeated keys are found at any depth, escapes and colons in strings are not keys", () => {
  const dup = (text: string) => {
    try {
      parseJsonStrict(text);
      return null;
    } catch (e) {
      return (e as { path?: string }).path ?? "?";
    }
  };
  assert.equal(dup('{"a":1,"a":2}'), "a");
  assert.equal(dup('{"a":{"b":[1,{"c":1, "c" :2}]}}'), "a.b[1].c");
  assert.equal(dup('{"q\\"":1,"q\\"":2}'), 'q"');
  assert.equal(dup('{"x":"\\\\","x":1}'), "x");
  assert.equal(dup('{"__proto__":{},"__proto__":{}}'), "__proto__");
  assert.equal(dup('{"a":"b:","c":"\\":","d":{"a":1}}'), null);
  assert.equal(dup('[{"k":1},{"k":2}]'), null);
  assert.equal(dup('"a:b"'), null);
  assert.deepEqual(findDuplicateKey('{"a":[{"x":1,"y":{"x":2}}],"a":3}'), { path: "a" });
  assert.throws(() => parseJsonStrict("{nope"), SyntaxError);
});

Deno.test("decodeUtf8: a U+FFFD that was sent is kept, one an ill-formed byte would make is a 400", () => {
  const enc = (t: string) => new TextEncoder().encode(t);
  const refused = (b: Uint8Array) => {
    try {
      decodeUtf8(b);
      return null;
    } catch (e) {
      return `${(e as { code?: string }).code}: ${(e as Error).message}`;
    }
  };
  // Well-formed: a sent U+FFFD (EF BF BD), astral and multi-byte text, a leading BOM dropped.
  assert.equal(decodeUtf8(enc('{"t":"a\uFFFDb é 😀"}')), '{"t":"a\uFFFDb é 😀"}');
  assert.equal(decodeUtf8(new Uint8Array([0xef, 0xbb, 0xbf, ...enc("{}")])), "{}");
  // Ill-formed next to a sent U+FFFD (the replacing decode alone cannot tell them apart), a lone
  // continuation byte, a truncated sequence at the end, an encoded surrogate, an overlong form.
  const sent = [...enc('{"t":"\uFFFD')];
  assert.equal(
    refused(new Uint8Array([...sent, 0xff, ...enc('"}')])),
    `INVALID_UTF8: the body is not valid UTF-8 (at byte ${sent.length})`,
  );
  for (const bad of [[0x80], [0xe2, 0x82], [0xed, 0xa0, 0x80], [0xc0, 0xaf]]) {
    assert.match(refused(new Uint8Array([...enc('{"t":"'), ...bad])) ?? "", /^INVALID_UTF8: /);
  }
});

Deno.test({
  name: "full app: a repeated key or bytes that are not UTF-8 are 400s naming the problem",
  ...HALL_TEST,
  fn: async () => {
    const h = await testHall();
    try {
      const post = (body: BodyInit, path = "/wcp/namespaces") =>
        h.req(path, {
          method: "POST",
          body,
          headers: {
            "content-type": "application/json",
            ...(body instanceof Uint8Array ? { "content-length": String(body.length) } : {}),
          },
        });
      let res = await post('{"namespace":"org.one","tier":"free","owner":"a","tier":"team"}');
      let body = await j(res);
      assert.equal(res.status, 400);
      assert.deepEqual(
        [body.error.code, body.error.path],
        ["DUPLICATE_KEY", "tier"],
        JSON.stringify(body),
      );
      assert.match(body.error.message, /^tier: the key appears twice in one object/);
      assert.equal((await h.store.listNamespaces()).length, 0, "nothing was created");
      // The namespace name with a byte that is no UTF-8 (it was turned into U+FFFD and accepted).
      const bad = new Uint8Array([
        ...new TextEncoder().encode('{"namespace":"org.t'),
        0xff,
        ...new TextEncoder().encode('x","tier":"free","owner":"a"}'),
      ]);
      res = await post(bad);
      body = await j(res);
      assert.equal(res.status, 400);
      assert.equal(body.error.code, "INVALID_UTF8");
      assert.equal(body.error.message, "the body is not valid UTF-8 (at byte 19)");
      // Dispatch (a non-lane route) too.
      const text = JSON.stringify(routeInput()).replace('"env":"dev"', '"env":"dev","env":"prod"');
      res = await post(text, "/wcp/dispatch");
      body = await j(res);
      assert.deepEqual([res.status, body.error.code, body.error.path], [
        400,
        "DUPLICATE_KEY",
        "env",
      ]);
    } finally {
      await h.stop();
    }
  },
});

// One raw HTTP/1.1 exchange over TCP: what the server writes before closing (or `ms` passes).
async function raw(port: number, head: string, closeAfterWrite = false): Promise<string> {
  const conn = await Deno.connect({ hostname: "127.0.0.1", port });
  await conn.write(new TextEncoder().encode(head));
  if (closeAfterWrite) {
    conn.close();
    return "";
  }
  const chunks: Uint8Array[] = [];
  const buf = new Uint8Array(16_384);
  try {
    while (true) {
      const n = await conn.read(buf);
      if (n === null) break;
      chunks.push(buf.slice(0, n));
      const text = new TextDecoder().decode(new Uint8Array(chunks.flatMap((c) => [...c])));
      const m = /content-length: (\d+)\r\n[^]*?\r\n\r\n([^]*)$/i.exec(text);
      if (m && new TextEncoder().encode(m[2]).length >= Number(m[1])) return text;
    }
  } finally {
    try {
      conn.close();
    } catch { /* closed */ }
  }
  return new TextDecoder().decode(new Uint8Array(chunks.flatMap((c) => [...c])));
}

Deno.test({
  name: "served: a request without a Host header is 400 HOST_MISSING (HTTP/1.1 and 1.0)",
  ...HALL_TEST,
  fn: async () => {
    const h = await testHall();
    const server = Deno.serve({ hostname: "127.0.0.1", port: 0, onListen: () => {} }, h.fetch);
    try {
      const body = JSON.stringify(routeInput());
      for (const version of ["HTTP/1.1", "HTTP/1.0"]) {
        for (const [path, req] of [["/wcp/health", ""], ["/wcp/route", body]]) {
          const text = await raw(
            server.addr.port,
            `${req ? "POST" : "GET"} ${path} ${version}\r\nAuthorization: Bearer ${ADMIN}\r\n` +
              `Content-Type: application/json\r\nContent-Length: ${req.length}\r\n` +
              `Connection: close\r\n\r\n${req}`,
          );
          assert.match(text, /^HTTP\/1\.[01] 400 /, `${version} ${path}: ${text}`);
          assert.match(text, /"code":"HOST_MISSING"/);
          assert.match(text, /x-wcp-api-version: 1/);
        }
      }
      // With a Host the same request is served.
      const ok = await raw(
        server.addr.port,
        `GET /wcp/health HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n`,
      );
      assert.match(ok, /^HTTP\/1\.1 200 /);
    } finally {
      await server.shutdown();
      await h.stop();
    }
  },
});

Deno.test({
  name: "served: a client that closes mid-body is a debug line, never an internal-error line",
  ...HALL_TEST,
  fn: async () => {
    const h = await testHall();
    // Counts the requests the hall has answered (so the test waits for each, however long).
    let answered = 0;
    const server = Deno.serve(
      { hostname: "127.0.0.1", port: 0, onListen: () => {} },
      async (req, info) => {
        try {
          return await h.fetch(req, info);
        } finally {
          answered++;
        }
      },
    );
    const errors: string[] = [];
    const debug: string[] = [];
    const { error, debug: dbg } = console;
    console.error = (...a: unknown[]) => void errors.push(a.join(" "));
    console.debug = (...a: unknown[]) => void debug.push(a.join(" "));
    try {
      const head = (path: string, framing: string) =>
        `POST ${path} HTTP/1.1\r\nHost: localhost\r\nAuthorization: Bearer ${ADMIN}\r\n` +
        `Content-Type: application/json\r\n${framing}\r\n`;
      const cases = [
        // The route fast lane (declared length), the full app (another route; chunked).
        head("/wcp/route", "Content-Length: 400\r\n") + '{"tenant_id":',
        head("/wcp/namespaces", "Content-Length: 400\r\n") + '{"namespace":',
        head("/wcp/route", "Transfer-Encoding: chunked\r\n") + '5\r\n{"a":\r\n',
      ];
      for (const [i, c] of cases.entries()) {
        await raw(server.addr.port, c, true);
        while (answered <= i) await new Promise((ok) => setTimeout(ok, 20));
      }
      assert.equal(debug.length, 3, debug.join("\n"));
      assert.match(debug[0], /^hall: debug: POST \/wcp\/route: the client closed mid-body$/);
      assert.match(debug[1], /POST \/wcp\/namespaces: the client closed mid-body/);
      assert.deepEqual(errors, [], "no internal-error line");
      // The hall serves on.
      const res = await h.req("/wcp/route", { method: "POST", json: routeInput() });
      assert.equal(res.status, 200);
      await res.body?.cancel();
    } finally {
      console.error = error;
      console.debug = dbg;
      await server.shutdown();
      await h.stop();
    }
  },
});
