/** The page contract (`store_pages_contract.ts`) against SQLite, in memory and on a file. */
import { SqliteStore } from "../../src/hall/store/sqlite/mod.ts";
import { runPageContract } from "./store_pages_contract.ts";

runPageContract("sqlite memory", () => Promise.resolve(new SqliteStore(":memory:")));
runPageContract("sqlite file", async () => {
  const dir = await Deno.makeTempDir({ prefix: "wcp-pages-" });
  return new SqliteStore(`${dir}/hall.sqlite`);
});
