// `wcp tokens`, `wcp namespaces`, `wcp tiers`: the hall's signatory namespaces, their tokens and
// tiers (admin token; a namespace token sees its own namespace). New tokens are printed once.

import { type Command, optInt, optString, positionals, requireString } from "./_args.ts";
import { callHall, HALL_OPTS, hallClient } from "./_hall.ts";
import {
  bold,
  cyan,
  dim,
  EXIT,
  green,
  out,
  outJson,
  red,
  table,
  UsageError,
  yellow,
} from "./_io.ts";

const NAMESPACE = /^(org|x)\.[a-z0-9][a-z0-9_-]*$/;

function checkNamespace(ns: string, flag: string): string {
  if (!NAMESPACE.test(ns)) {
    throw new UsageError(`${flag}: ${JSON.stringify(ns)} must be org.<name> or x.<name>`);
  }
  return ns;
}

const HALL_EXIT =
  "Exit status: 0 ok, 1 refused by the hall, 2 bad input, 3 unreachable, 4 rate limited.";

const tokensList: Command = {
  name: "tokens",
  summary: "List the hall's tokens (never their secrets); also: tokens create, tokens revoke.",
  options: { ...HALL_OPTS },
  details: "wcp tokens create --role admin|namespace --label TEXT [--namespace org.x]\n" +
    "wcp tokens revoke TOKEN_ID\n" + HALL_EXIT,
  async run(ctx) {
    positionals(ctx, []);
    const client = hallClient(ctx);
    const tokens = await callHall("tokens", () => client.tokens());
    if (ctx.json) outJson(tokens);
    else {
      for (
        const l of table([
          ["token", "role", "namespace", "created", "label"].map((h) => bold(h)),
          ...tokens.map((t) => [
            t.revoked_at ? dim(t.token_id) : cyan(t.token_id),
            t.role,
            t.namespace ?? "-",
            t.revoked_at ? red(`revoked ${t.revoked_at}`) : t.created_at,
            t.label,
          ]),
        ])
      ) out(l);
    }
    return EXIT.ok;
  },
};

const tokensCreate: Command = {
  name: "tokens create",
  summary: "Create a token (admin, or for one namespace); the secret is printed once.",
  options: {
    ...HALL_OPTS,
    role: { type: "string", arg: "ROLE", help: "admin or namespace (required)" },
    label: { type: "string", arg: "TEXT", help: "who or what it is for (required)" },
    namespace: { type: "string", arg: "NS", help: "org.<name> or x.<name> (namespace tokens)" },
  },
  details: HALL_EXIT,
  async run(ctx) {
    positionals(ctx, []);
    const role = requireString(ctx, "role");
    if (role !== "admin" && role !== "namespace") {
      throw new UsageError(`--role: ${JSON.stringify(role)} is not admin or namespace`);
    }
    const label = requireString(ctx, "label");
    const ns = optString(ctx, "namespace");
    if (role === "namespace" && ns === undefined) {
      throw new UsageError("--namespace is required for a namespace token");
    }
    if (role === "admin" && ns !== undefined) {
      throw new UsageError("--namespace is not allowed on an admin token");
    }
    const client = hallClient(ctx);
    const t = await callHall("create token", () =>
      client.createToken({
        role,
        label,
        ...(ns !== undefined ? { namespace: checkNamespace(ns, "--namespace") } : {}),
      }));
    if (ctx.json) outJson(t);
    else {
      out(`${green("created")} ${t.token_id} (${t.role}${t.namespace ? ` ${t.namespace}` : ""})`);
      out(t.token);
      out(dim("the token is shown once: store it now"));
    }
    return EXIT.ok;
  },
};

const tokensRevoke: Command = {
  name: "tokens revoke",
  summary: "Revoke a token (the last active admin token is refused).",
  positionals: "TOKEN_ID",
  options: { ...HALL_OPTS },
  details: HALL_EXIT,
  async run(ctx) {
    const [id] = positionals(ctx, ["TOKEN_ID"]);
    const client = hallClient(ctx);
    const r = await callHall(`revoke ${id}`, () => client.revokeToken(id));
    if (ctx.json) outJson(r);
    else out(`${red("revoked")} ${r.token_id}`);
    return EXIT.ok;
  },
};

const namespacesList: Command = {
  name: "namespaces",
  summary: "List signatory namespaces; also: namespaces create, namespaces set-tier.",
  options: { ...HALL_OPTS },
  details: "wcp namespaces create NS --tier TIER --owner TEXT   (prints the owner token once)\n" +
    "wcp namespaces set-tier NS TIER\n" + HALL_EXIT,
  async run(ctx) {
    positionals(ctx, []);
    const client = hallClient(ctx);
    const list = await callHall("namespaces", () => client.namespaces());
    if (ctx.json) outJson(list);
    else if (!list.length) out("no namespaces");
    else {
      for (
        const l of table([
          ["namespace", "tier", "created", "owner"].map((h) => bold(h)),
          ...list.map((n) => [cyan(n.namespace), n.tier, n.created_at, n.owner]),
        ])
      ) out(l);
    }
    return EXIT.ok;
  },
};

const namespacesCreate: Command = {
  name: "namespaces create",
  summary: "Register a namespace (org.<name> or x.<name>); its owner token is printed once.",
  positionals: "NAMESPACE",
  options: {
    ...HALL_OPTS,
    tier: { type: "string", arg: "TIER", help: "tier (see wcp tiers; required)" },
    owner: { type: "string", arg: "TEXT", help: "who owns it (required)" },
  },
  details: HALL_EXIT,
  async run(ctx) {
    const [ns] = positionals(ctx, ["NAMESPACE"]);
    checkNamespace(ns, "NAMESPACE");
    const tier = requireString(ctx, "tier");
    const owner = requireString(ctx, "owner");
    const client = hallClient(ctx);
    const g = await callHall(
      `create ${ns}`,
      () => client.createNamespace({ namespace: ns, tier, owner }),
    );
    if (ctx.json) outJson(g);
    else {
      out(`${green("created")} ${g.namespace} (tier ${g.tier}); owner token ${g.token_id}:`);
      out(g.token);
      out(dim("the token is shown once: store it now"));
    }
    return EXIT.ok;
  },
};

const namespacesSetTier: Command = {
  name: "namespaces set-tier",
  summary: "Move a namespace to another tier.",
  positionals: "NAMESPACE TIER",
  options: { ...HALL_OPTS },
  details: HALL_EXIT,
  async run(ctx) {
    const [ns, tier] = positionals(ctx, ["NAMESPACE", "TIER"]);
    checkNamespace(ns, "NAMESPACE");
    const client = hallClient(ctx);
    const n = await callHall(`set tier of ${ns}`, () => client.setNamespaceTier(ns, tier));
    if (ctx.json) outJson(n);
    else out(`${n.namespace} is now in tier ${bold(n.tier)}`);
    return EXIT.ok;
  },
};

const tiersList: Command = {
  name: "tiers",
  summary: "List tiers (workers per namespace, requests per minute); also: tiers set.",
  options: { ...HALL_OPTS },
  details: "wcp tiers set TIER --max-workers N --requests-per-minute N\n" + HALL_EXIT,
  async run(ctx) {
    positionals(ctx, []);
    const client = hallClient(ctx);
    const tiers = await callHall("tiers", () => client.tiers());
    if (ctx.json) outJson(tiers);
    else {
      for (
        const l of table([
          ["tier", "max workers", "requests/min"].map((h) => bold(h)),
          ...tiers.map((t) => [cyan(t.tier), String(t.max_workers), String(t.requests_per_minute)]),
        ])
      ) out(l);
    }
    return EXIT.ok;
  },
};

const tiersSet: Command = {
  name: "tiers set",
  summary: "Create or change a tier.",
  positionals: "TIER",
  options: {
    ...HALL_OPTS,
    "max-workers": { type: "string", arg: "N", help: "active workers per namespace (required)" },
    "requests-per-minute": { type: "string", arg: "N", help: "per token (required)" },
  },
  details: HALL_EXIT,
  async run(ctx) {
    const [tier] = positionals(ctx, ["TIER"]);
    for (const f of ["max-workers", "requests-per-minute"]) {
      if (ctx.values[f] === undefined) throw new UsageError(`--${f} is required`);
    }
    const limits = {
      max_workers: optInt(ctx, "max-workers", 0),
      requests_per_minute: optInt(ctx, "requests-per-minute", 0),
    };
    const client = hallClient(ctx);
    const t = await callHall(`set tier ${tier}`, () => client.setTier(tier, limits));
    if (ctx.json) outJson(t);
    else {
      out(
        `${
          yellow("tier")
        } ${t.tier}: ${t.max_workers} workers, ${t.requests_per_minute} requests/min`,
      );
    }
    return EXIT.ok;
  },
};

/** The tokens, namespaces and tiers commands. */
export const tenantCommands: Command[] = [
  tokensList,
  tokensCreate,
  tokensRevoke,
  namespacesList,
  namespacesCreate,
  namespacesSetTier,
  tiersList,
  tiersSet,
];
