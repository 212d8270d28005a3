/** The page contract (`store_pages_contract.ts`) against PostgreSQL (a fresh schema per test). */
import { openPostgresStore } from "../../src/hall/store/postgres/mod.ts";
import { sharedPostgres, skipPostgresTests } from "../helpers/postgres.ts";
import { runPageContract } from "./store_pages_contract.ts";

if (skipPostgresTests()) {
  Deno.test({ name: "store pages [postgres]", ignore: true, fn() {} });
} else {
  let n = 0;
  runPageContract("postgres", async () => {
    const pg = await sharedPostgres();
    return openPostgresStore(pg.url, { schema: `pages_${n++}`, migrate: false, max: 4 });
  });
}
