// Where the governed-call overhead goes, in process (no transport):
//   deno bench --allow-read mcp/governor_bench.ts
import { Governor } from "./governor.ts";
import { demoConfig } from "./demo_config.ts";
import { BUILTIN_WORKERS } from "./builtin_workers.ts";
import type { RouteInput } from "../src/model.ts";

const gov = new Governor(demoConfig());
const input = gov.buildInput(
  "cap.hello.greet",
  { payload: { text: "hello" } },
  {},
  null,
) as RouteInput;
await gov.dispatch(input); // generate the signing key before measuring

Deno.bench("worker alone (echo)", { baseline: true }, async () => {
  await BUILTIN_WORKERS.echo.run({
    worker_id: "org.demo.echo.1",
    capability_id: "cap.hello.greet",
    correlation_id: input.correlation_id,
    decision_id: "d",
    tenant_id: "demo-tenant",
    env: "dev",
    data_label: "INTERNAL",
    request: input.request ?? {},
  });
});

Deno.bench("buildInput + makeDecision", () => {
  gov.decide(
    gov.buildInput("cap.hello.greet", { payload: { text: "hello" } }, {}, null) as RouteInput,
  );
});

Deno.bench("governed dispatch (decide, execute, signed receipt)", async () => {
  await gov.dispatch(
    gov.buildInput("cap.hello.greet", { payload: { text: "hello" } }, {}, null) as RouteInput,
  );
});
