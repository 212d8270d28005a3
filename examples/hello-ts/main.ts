// The TypeScript hello worker, governed: `deno run --allow-net=127.0.0.1 examples/hello-ts/main.ts`
// serves worker.ts on 127.0.0.1 (a port the OS picks), starts a hall, enrols the worker with that
// endpoint, dispatches a greeting through the hall and verifies the receipt. --json: a summary.
import { handler } from "./worker.ts";
import { runHelloDemo } from "../_hello.ts";
import record from "./record.json" with { type: "json" };

const json = Deno.args.includes("--json");
const worker = Deno.serve({ hostname: "127.0.0.1", port: 0, onListen: () => {} }, handler);
try {
  const summary = await runHelloDemo(
    record,
    `http://127.0.0.1:${worker.addr.port}/`,
    json,
  );
  if (json) console.log(JSON.stringify(summary));
  Deno.exitCode = summary.outcome === "DISPATCH" && summary.chain_ok ? 0 : 1;
} finally {
  await worker.shutdown();
}
