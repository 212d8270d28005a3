// The Python hello worker, governed:
//
//   deno run --allow-net=127.0.0.1 --allow-run=python3 examples/hello-py/main.ts
//
// starts worker.py with python3 (standard library only) on a port the OS picks, starts a hall,
// enrols the worker with that endpoint, dispatches a greeting through the hall and verifies the
// receipt. --json: a summary.
import { runHelloDemo } from "../_hello.ts";
import record from "./record.json" with { type: "json" };

const json = Deno.args.includes("--json");
const script = new URL("./worker.py", import.meta.url).pathname;
let child: Deno.ChildProcess;
try {
  child = new Deno.Command("python3", {
    args: [script],
    env: { PORT: "0", PYTHONUNBUFFERED: "1" },
    stdout: "piped",
    stderr: "inherit",
  }).spawn();
} catch (e) {
  if (e instanceof Deno.errors.NotFound) {
    console.error("hello-py: python3 is not installed (or not on PATH)");
    Deno.exit(2);
  }
  throw e;
}
const lines = child.stdout.pipeThrough(new TextDecoderStream()).getReader();
let first = "";
while (!first.includes("\n")) {
  const { value, done } = await lines.read();
  if (done) {
    console.error(`hello-py: worker.py exited before listening: ${first}`);
    Deno.exit(1);
  }
  first += value;
}
const endpoint = first.match(/listening on (\S+)/)?.[1];
try {
  if (!endpoint) throw new Error(`unexpected first line from worker.py: ${first}`);
  const summary = await runHelloDemo(record, endpoint, json);
  if (json) console.log(JSON.stringify(summary));
  Deno.exitCode = summary.outcome === "DISPATCH" && summary.chain_ok ? 0 : 1;
} finally {
  child.kill("SIGTERM");
  await lines.cancel();
  await child.status;
}
