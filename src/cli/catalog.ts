// `wcp search`, `wcp explain`, `wcp browse`: the catalog from the command line.

import {
  type CatalogEntry,
  type CatalogEntryType,
  entryTypeOf,
  explain,
  getCatalog,
  isWcpId,
  type RiskTier,
  searchCatalog,
} from "../../mod.ts";
import { type Command, optInt, optList, positionals } from "./_args.ts";
import { bold, cyan, dim, EXIT, out, outJson, red, table, UsageError, yellow } from "./_io.ts";

const TYPE_ALIASES: Record<string, CatalogEntryType> = {
  cap: "capability",
  capability: "capability",
  capabilities: "capability",
  wrk: "species",
  species: "species",
  worker: "species",
  workers: "species",
  ctrl: "control",
  control: "control",
  controls: "control",
  pol: "policy",
  policy: "policy",
  policies: "policy",
  prof: "profile",
  profile: "profile",
  profiles: "profile",
  evt: "event",
  event: "event",
  events: "event",
};

function parseType(v: string, flag: string): CatalogEntryType {
  const t = TYPE_ALIASES[v.toLowerCase()];
  if (!t) {
    throw new UsageError(
      `${flag}: unknown type ${
        JSON.stringify(v)
      } (capability, species, control, policy, profile, event)`,
    );
  }
  return t;
}

const RISKS = ["low", "medium", "high", "critical"];

function statusMark(e: { status: string }): string {
  return e.status === "deprecated"
    ? red("deprecated")
    : e.status === "experimental"
    ? yellow("experimental")
    : "";
}

function riskMark(tier: string | undefined): string {
  if (!tier) return "";
  return tier === "critical" ? red(tier) : tier === "high" ? yellow(tier) : tier;
}

const search: Command = {
  name: "search",
  summary: "Search the catalog (typo tolerant; several words are fine).",
  positionals: "QUERY...",
  options: {
    type: {
      type: "string",
      short: "t",
      multiple: true,
      arg: "TYPE",
      help: "only this type (cap, wrk, ctrl, pol, prof, evt)",
    },
    namespace: {
      type: "string",
      short: "n",
      multiple: true,
      arg: "NS",
      help: "only this domain (doc) or id prefix (cap.doc)",
    },
    risk: {
      type: "string",
      multiple: true,
      arg: "TIER",
      help: "only this risk tier (low, medium, high, critical)",
    },
    tag: { type: "string", multiple: true, arg: "TAG", help: "only entries with this tag" },
    limit: { type: "string", arg: "N", help: "hits to show (default 20, 0 = all)" },
    "no-deprecated": { type: "boolean", help: "leave tombstoned ids out" },
    facets: { type: "boolean", help: "also print facet counts" },
  },
  details: "Exit status: 0 when something matched, 1 when nothing did, 2 on bad options.\n" +
    'Example: wcp search "send email" --type cap',
  run(ctx) {
    const query = ctx.positionals.join(" ");
    const risks = optList(ctx, "risk");
    for (const r of risks) {
      if (!RISKS.includes(r)) {
        throw new UsageError(`--risk: unknown tier ${JSON.stringify(r)} (${RISKS.join(", ")})`);
      }
    }
    const result = searchCatalog(query, {
      type: optList(ctx, "type").map((t) => parseType(t, "--type")),
      namespace: optList(ctx, "namespace"),
      riskTier: risks as RiskTier[],
      tags: optList(ctx, "tag"),
      includeDeprecated: ctx.values["no-deprecated"] !== true,
      limit: optInt(ctx, "limit", 20),
    });
    if (ctx.json) {
      outJson({
        catalog_version: getCatalog().version,
        ...result,
        hits: result.hits.map(({ entry: _entry, ...h }) => h),
      });
      return Promise.resolve(result.total ? EXIT.ok : EXIT.failed);
    }
    for (const [from, to] of Object.entries(result.corrections)) {
      out(dim(`(read "${from}" as "${to}")`));
    }
    if (result.total === 0) {
      out(`no catalog entry matches ${JSON.stringify(query)}`);
      return Promise.resolve(EXIT.failed);
    }
    const rows = result.hits.map((h) => [
      cyan(h.id),
      h.type,
      riskMark(h.risk_tier),
      h.name + (h.status !== "active" ? ` ${statusMark(h)}` : ""),
    ]);
    for (const line of table(rows)) out(line);
    out(dim(`${result.hits.length} of ${result.total} shown (${getCatalog().version})`));
    if (ctx.values.facets) {
      for (const [facet, counts] of Object.entries(result.facets)) {
        const top = Object.entries(counts).slice(0, 12).map(([k, n]) => `${k} ${n}`).join(", ");
        out(`${bold(facet)}: ${top}`);
      }
    }
    return Promise.resolve(EXIT.ok);
  },
};

function describe(e: CatalogEntry): string[] {
  const lines = [`${bold(e.id)}  ${e.type}${e.risk_tier ? `, risk ${riskMark(e.risk_tier)}` : ""}`];
  lines.push(`  ${e.name}`, `  ${e.description}`);
  lines.push(
    `  domain ${e.domain}; tags ${e.tags.join(", ")}; since ${e.since}; status ${e.status}`,
  );
  if (e.legacy_id) {
    lines.push(`  ${yellow("legacy id")}: uses underscores (kept for interoperability)`);
  }
  if (e.superseded_by) {
    lines.push(
      `  ${red("tombstone")}: use ${e.superseded_by} (deprecated in ${e.deprecated_catalog})`,
    );
  }
  if (e.environments) lines.push(`  environments ${e.environments.join(", ")}`);
  if (e.fields) lines.push(`  fields ${e.fields.join(", ")}`);
  if (e.emitted_by) lines.push(`  emitted by the ${e.emitted_by}`);
  return lines;
}

const explainCmd: Command = {
  name: "explain",
  summary: "Show one catalog entry with what it points to and what points to it.",
  positionals: "ID",
  options: {},
  details:
    "Exit status: 0 found, 1 not in the catalog, 2 not a WCP identifier.\nExample: wcp explain cap.doc.summarize",
  run(ctx) {
    const [id] = positionals(ctx, ["ID"]);
    if (!isWcpId(id, { strict: false }) || !entryTypeOf(id)) {
      throw new UsageError(
        `ID: ${
          JSON.stringify(id)
        } is not a catalog identifier (cap., wrk., ctrl., pol., prof. or evt. + 1-3 segments)`,
      );
    }
    const x = explain(id);
    if (!x) {
      const near = searchCatalog(id, { limit: 3 }).hits.map((h) => h.id);
      if (ctx.json) outJson({ id, found: false, suggestions: near });
      else {out(
          `${id} is not in ${getCatalog().version}${
            near.length ? `; did you mean ${near.join(", ")}?` : ""
          }`,
        );}
      return Promise.resolve(EXIT.failed);
    }
    if (ctx.json) {
      outJson({ catalog_version: getCatalog().version, found: true, ...x });
      return Promise.resolve(EXIT.ok);
    }
    for (const l of describe(x.entry)) out(l);
    const show = (title: string, rels: typeof x.forward, arrow: string) => {
      if (!rels.length) return;
      out("", bold(title));
      for (
        const line of table(
          rels.map((r) => [`  ${r.relation}`, arrow, cyan(r.id), r.name ?? red("(unknown)")]),
        )
      ) out(line);
    };
    show("Points to", x.forward, "->");
    show("Pointed to by", x.reverse, "<-");
    return Promise.resolve(EXIT.ok);
  },
};

const browse: Command = {
  name: "browse",
  summary: "Browse the catalog: an overview, one type (cap, wrk, ...) or one namespace (cap.doc).",
  positionals: "[TYPE | PREFIX]",
  options: {
    tag: { type: "string", multiple: true, arg: "TAG", help: "only entries with this tag" },
    risk: { type: "string", multiple: true, arg: "TIER", help: "only this risk tier" },
    "no-deprecated": { type: "boolean", help: "leave tombstoned ids out" },
  },
  details: "Examples: wcp browse; wcp browse profiles; wcp browse cap.fin",
  run(ctx) {
    if (ctx.positionals.length > 1) {
      throw new UsageError(`unexpected argument ${JSON.stringify(ctx.positionals[1])}`);
    }
    const catalog = getCatalog();
    const what = ctx.positionals[0];
    const risks = optList(ctx, "risk");
    for (const r of risks) {
      if (!RISKS.includes(r)) {
        throw new UsageError(`--risk: unknown tier ${JSON.stringify(r)} (${RISKS.join(", ")})`);
      }
    }
    const filters = {
      tags: optList(ctx, "tag"),
      riskTier: risks as RiskTier[],
      includeDeprecated: ctx.values["no-deprecated"] !== true,
      limit: 0,
    };
    if (what === undefined && !filters.tags.length && !risks.length) {
      const overview = Object.fromEntries(
        (["capability", "species", "control", "policy", "profile", "event"] as const).map((t) => {
          const entries = catalog.ofType(t);
          const domains: Record<string, number> = {};
          for (const e of entries) domains[e.domain] = (domains[e.domain] ?? 0) + 1;
          return [t, { count: entries.length, domains }];
        }),
      );
      if (ctx.json) {
        outJson({ catalog_version: catalog.version, types: overview });
        return Promise.resolve(EXIT.ok);
      }
      out(bold(catalog.version));
      for (const [t, { count, domains }] of Object.entries(overview)) {
        out(`${t.padEnd(11)} ${String(count).padStart(4)}  ${dim(Object.keys(domains).join(" "))}`);
      }
      out(dim("wcp browse TYPE | PREFIX lists entries, e.g. wcp browse cap.doc"));
      return Promise.resolve(EXIT.ok);
    }
    let opts: Parameters<typeof searchCatalog>[1] = filters;
    if (what !== undefined) {
      opts = what.includes(".")
        ? { ...filters, namespace: what }
        : { ...filters, type: parseType(what, "TYPE") };
    }
    const r = searchCatalog("", opts);
    if (ctx.json) {
      outJson({
        catalog_version: catalog.version,
        total: r.total,
        entries: r.hits.map((h) => h.entry),
      });
      return Promise.resolve(r.total ? EXIT.ok : EXIT.failed);
    }
    if (!r.total) {
      out(`nothing in the catalog under ${JSON.stringify(what ?? "")}`);
      return Promise.resolve(EXIT.failed);
    }
    let domain = "";
    const rows: string[][] = [];
    for (const h of r.hits) {
      if (h.entry.domain !== domain) {
        domain = h.entry.domain;
        rows.push([bold(`${domain}: ${catalog.domains[domain] ?? ""}`)]);
      }
      rows.push([
        `  ${cyan(h.id)}`,
        riskMark(h.risk_tier),
        h.name + (h.status !== "active" ? ` ${statusMark(h)}` : ""),
      ]);
    }
    for (const line of table(rows)) out(line);
    out(dim(`${r.total} entries`));
    return Promise.resolve(EXIT.ok);
  },
};

/** The catalog commands. */
export const catalogCommands: Command[] = [search, explainCmd, browse];
