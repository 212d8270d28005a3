/**
 * The backend-independent store contract (`store_contract.ts`) against PostgreSQL: every test gets
 * its own empty schema on one throwaway server.
 */
import { openPostgresStore } from "../../src/hall/store/postgres/mod.ts";
import { sharedPostgres, skipPostgresTests } from "../helpers/postgres.ts";
import { runStoreContract } from "./store_contract.ts";

if (skipPostgresTests()) {
  Deno.test({ name: "store contract [postgres]", ignore: true, fn() {} });
} else {
  let n = 0;
  runStoreContract("postgres", async () => {
    const pg = await sharedPostgres();
    return openPostgresStore(pg.url, { schema: `contract_${n++}`, migrate: false, max: 4 });
  }, { approvedExpiry: true });
}
