/**
 * Resources: the WCP catalog and the enrolled workers, as templated, paginated JSON documents.
 *
 * - `wcp://catalog`: index (version, counts, first page of each type)
 * - `wcp://catalog/{type}/page/{page}`: one page (50 entries) of a type, with `next`
 * - `wcp://catalog/entry/{id}`: one entry
 * - `wcp://workers/page/{page}`: one page of enrolled workers, with `next`
 * - `wcp://workers/{worker_id}`: one registry record
 *
 * @module
 */

import { type McpServer, ResourceTemplate } from "./_sdk_server.ts";
import type { ReadResourceResult } from "./_sdk_server.ts";
import { McpError } from "./_sdk_server.ts";
import type { Governor } from "./governor.ts";
import { getCatalog } from "../src/catalog/mod.ts";
import type { CatalogEntryType } from "../src/catalog/types.ts";

/** Entries per page. */
export const PAGE_SIZE = 50;

const TYPES: CatalogEntryType[] = [
  "capability",
  "species",
  "control",
  "policy",
  "profile",
  "event",
];
const INVALID_PARAMS = -32602;

function json(uri: URL, value: unknown): ReadResourceResult {
  return {
    contents: [{ uri: uri.href, mimeType: "application/json", text: JSON.stringify(value) }],
  };
}

function one(v: string | string[]): string {
  return Array.isArray(v) ? v[0] ?? "" : v;
}

function pageOf<T>(items: T[], raw: string, uriFor: (page: number) => string) {
  if (!/^[1-9][0-9]{0,5}$/.test(raw)) {
    throw new McpError(INVALID_PARAMS, `page must be a positive integer, got "${raw}"`);
  }
  const page = Number(raw);
  const pages = Math.max(1, Math.ceil(items.length / PAGE_SIZE));
  if (page > pages) {
    throw new McpError(INVALID_PARAMS, `page ${page} is past the last page (${pages})`);
  }
  return {
    page,
    pages,
    total: items.length,
    items: items.slice((page - 1) * PAGE_SIZE, page * PAGE_SIZE),
    next: page < pages ? uriFor(page + 1) : null,
  };
}

/**
 * Register the catalog and worker resources.
 *
 * @example
 * ```ts
 * import { McpServer } from "./_sdk_server.ts";
 * import { Governor } from "./governor.ts";
 * import { demoConfig } from "./demo_config.ts";
 * import { registerResources } from "./resources.ts";
 * registerResources(new McpServer({ name: "x", version: "0" }), new Governor(demoConfig()));
 * ```
 */
export function registerResources(server: McpServer, gov: Governor): void {
  const catalog = getCatalog();
  const catalogPage = (type: string, page: number) => `wcp://catalog/${type}/page/${page}`;
  const workerPage = (page: number) => `wcp://workers/page/${page}`;

  server.registerResource("catalog", "wcp://catalog", {
    title: "WCP catalog index",
    description: "Catalog version, entry counts per type, and the first page of each type",
    mimeType: "application/json",
  }, (uri) =>
    json(uri, {
      version: catalog.version,
      types: Object.fromEntries(
        TYPES.map((t) => [t, { count: catalog.ofType(t).length, first_page: catalogPage(t, 1) }]),
      ),
    }));

  server.registerResource(
    "catalog-page",
    new ResourceTemplate("wcp://catalog/{type}/page/{page}", {
      list: () => ({
        resources: TYPES.map((t) => ({
          uri: catalogPage(t, 1),
          name: `catalog ${t} page 1`,
          mimeType: "application/json",
        })),
      }),
      complete: { type: (v) => TYPES.filter((t) => t.startsWith(v)) },
    }),
    {
      title: "WCP catalog page",
      description: `${PAGE_SIZE} catalog entries of one type`,
      mimeType: "application/json",
    },
    (uri, vars) => {
      const type = one(vars.type) as CatalogEntryType;
      if (!TYPES.includes(type)) {
        throw new McpError(
          INVALID_PARAMS,
          `unknown catalog type "${type}" (one of ${TYPES.join(", ")})`,
        );
      }
      return json(uri, {
        type,
        ...pageOf([...catalog.ofType(type)], one(vars.page), (p) => catalogPage(type, p)),
      });
    },
  );

  server.registerResource(
    "catalog-entry",
    new ResourceTemplate("wcp://catalog/entry/{id}", {
      list: undefined,
      complete: {
        id: (v) => catalog.entries.filter((e) => e.id.startsWith(v)).slice(0, 100).map((e) => e.id),
      },
    }),
    {
      title: "WCP catalog entry",
      description: "One catalog entry by id",
      mimeType: "application/json",
    },
    (uri, vars) => {
      const id = decodeURIComponent(one(vars.id));
      const entry = catalog.get(id);
      if (!entry) throw new McpError(INVALID_PARAMS, `"${id}" is not in the catalog`);
      return json(uri, entry);
    },
  );

  server.registerResource(
    "workers-page",
    new ResourceTemplate("wcp://workers/page/{page}", {
      list: () => ({
        resources: [{
          uri: workerPage(1),
          name: "enrolled workers page 1",
          mimeType: "application/json",
        }],
      }),
    }),
    {
      title: "Enrolled workers",
      description: `${PAGE_SIZE} registry records per page`,
      mimeType: "application/json",
    },
    (uri, vars) => json(uri, pageOf(gov.registry.workers(), one(vars.page), workerPage)),
  );

  server.registerResource(
    "worker",
    new ResourceTemplate("wcp://workers/{worker_id}", {
      list: undefined,
      complete: {
        worker_id: (v) =>
          gov.registry.workers().map((w) => w.worker_id).filter((id) => id.startsWith(v)),
      },
    }),
    {
      title: "Enrolled worker",
      description: "One registry record by worker id",
      mimeType: "application/json",
    },
    (uri, vars) => {
      const id = decodeURIComponent(one(vars.worker_id));
      const rec = gov.registry.get(id);
      if (!rec) throw new McpError(INVALID_PARAMS, `worker "${id}" is not enrolled`);
      return json(uri, rec);
    },
  );
}
