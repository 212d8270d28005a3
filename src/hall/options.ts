/**
 * The hall's options, listed once: each one's flag, environment variable, `hall.json` key,
 * default, the Deno permission it needs and its help line. `main.ts` parses its flags and prints
 * its `--help` from this table, `wcp serve` (src/cli/serve.ts) grants the variables it names, and
 * README's options table is generated from it (`tests/hall/options_table.test.ts` fails when they
 * differ, and prints the table to paste). Pure: no Deno calls.
 *
 * @module
 */

/** One hall option. */
export interface HallOption {
  /** Command-line flag (`--host`), when there is one. */
  flag?: string;
  /** Placeholder of the flag's value (`H`); absent for a switch. */
  value?: string;
  /** Environment variable, when there is one. */
  env?: string;
  /** Key in `hall.json`, when there is one. */
  file?: string;
  /** The default, as shown to people. */
  default: string;
  /** What it needs granted beyond `--allow-env` for its variable ("" = nothing). */
  permission: string;
  /** One help line. */
  help: string;
}

/** Every hall option, in the order `--help` and README show them. */
export const HALL_OPTIONS = [
  {
    flag: "--host",
    value: "H",
    env: "WCP_HALL_HOST",
    file: "host",
    default: "`127.0.0.1`",
    permission: "`--allow-net` on it",
    help: "address to listen on (an allowed Host name too, unless hall.json sets allowed_hosts)",
  },
  {
    flag: "--port",
    value: "P",
    env: "WCP_HALL_PORT",
    file: "port",
    default: "`8787` (0 = any)",
    permission: "`--allow-net`",
    help: "port to listen on",
  },
  {
    flag: "--data-dir",
    value: "D",
    env: "WCP_DATA_DIR",
    default: "`./data`",
    permission: "`--allow-read` and `--allow-write` on it",
    help: "data directory (SQLite database, signing key, hall.json, rules.json); made 0700",
  },
  {
    flag: "--config",
    value: "FILE",
    env: "WCP_HALL_CONFIG",
    default: "`<data>/hall.json`",
    permission: "`--allow-read` on its directory",
    help: "hall.json (floors, policy gate, hosts, origins, telemetry, ...); must exist when named",
  },
  {
    flag: "--database-url",
    value: "URL",
    env: "WCP_DATABASE_URL",
    file: "database_url",
    default: "SQLite in the data dir",
    permission: "`--allow-net` on the database host",
    help: "`postgres://user@host:port/db` selects PostgreSQL",
  },
  {
    flag: "--rate-limit",
    value: "N",
    file: "rate_limit_per_minute",
    default: "`0` (no limit)",
    permission: "",
    help: "requests per minute per admin token (namespace tokens use their tier)",
  },
  {
    flag: "--threads",
    value: "N",
    env: "WCP_HALL_THREADS",
    file: "threads",
    default: "`1`",
    permission: "`--unstable-net`; `--allow-read` on `./src` and `./mcp`",
    help: "serve the port from N threads of this process (1 to 64)",
  },
  {
    flag: "--reuse-port",
    default: "off",
    permission: "`--unstable-net`",
    help: "share the port with other hall processes on this machine (SO_REUSEPORT, Linux)",
  },
  {
    flag: "--header-timeout",
    value: "S",
    file: "header_timeout_seconds",
    default: "`30` (0 = never)",
    permission: "",
    help: "close a connection with no request in flight for S seconds (Slowloris, idle)",
  },
  {
    flag: "--new-admin-token",
    default: "off",
    permission: "",
    help: "mint another admin token and print it once",
  },
  {
    flag: "--help",
    default: "",
    permission: "",
    help: "print this help",
  },
  {
    env: "WCP_ADMIN_TOKEN",
    default: "generated at first start",
    permission: "",
    help: "use this admin token (added if missing; a revoked one stops the start)",
  },
  {
    env: "WCP_ATTEST_HMAC_KEY",
    default: "none",
    permission: "",
    help: "HMAC secret of reference-mode manifests",
  },
  {
    env: "WCP_OTLP_ENDPOINT",
    file: "telemetry.otlp_endpoint",
    default: "none",
    permission: "`--allow-net` on its host",
    help: "OTLP/HTTP JSON traces URL",
  },
  {
    env: "WCP_TELEMETRY_JSONL",
    file: "telemetry.jsonl_path",
    default: "none",
    permission: "`--allow-write` on the file",
    help: "telemetry events as JSON Lines to this file",
  },
  {
    env: "WCP_GATE_SECRET",
    default: "none",
    permission: "",
    help: "a webhook policy gate's shared secret (the variable `policy_gate.secret_env` names)",
  },
  {
    env: "PGAPPNAME",
    default: "none",
    permission: "",
    help: "read by the PostgreSQL driver (application name)",
  },
  {
    env: "PGPASSWORD",
    default: "none",
    permission: "",
    help: "read by the PostgreSQL driver (password when the URL has none)",
  },
] as const satisfies readonly HallOption[];

type Opt = (typeof HALL_OPTIONS)[number];
type FlagName<O> = O extends { flag: `--${infer N}` } ? N : never;

/** The flags as `node:util` `parseArgs` options, typed per flag (a value or a switch). */
export type HallParseOptions = {
  [O in Opt as FlagName<O>]: { type: O extends { value: string } ? "string" : "boolean" };
};

/** The environment variables the hall reads (what `--allow-env` must grant). */
export function hallEnvironment(): string[] {
  return (HALL_OPTIONS as readonly HallOption[]).flatMap((o) => (o.env ? [o.env] : []));
}

/** The flags as `node:util` `parseArgs` options (`--help` also as `-h`). */
export function hallParseOptions(): HallParseOptions {
  const out: Record<string, { type: "string" | "boolean"; short?: string }> = {};
  for (const o of HALL_OPTIONS as readonly HallOption[]) {
    if (!o.flag) continue;
    const name = o.flag.slice(2);
    out[name] = {
      type: o.value ? "string" : "boolean",
      ...(name === "help" ? { short: "h" } : {}),
    };
  }
  return out as HallParseOptions;
}

// README cells are Markdown; the terminal shows them without backticks.
function plain(text: string): string {
  return text.replaceAll("`", "");
}

/** The hall's `--help` text. */
export function hallUsage(): string {
  const all: readonly HallOption[] = HALL_OPTIONS;
  const flags = all.filter((o) => o.flag);
  const envOnly = all.filter((o) => !o.flag);
  const left = (o: HallOption) => `${o.flag}${o.value ? ` ${o.value}` : ""}`;
  const width = Math.max(...flags.map((o) => left(o).length)) + 2;
  const line = (o: HallOption) => {
    const extra = [
      o.env && o.flag ? o.env : "",
      o.file ? `hall.json ${o.file}` : "",
      o.default ? `default ${plain(o.default)}` : "",
    ].filter(Boolean).join("; ");
    return `  ${left(o).padEnd(width)}${plain(o.help)}${
      extra ? `\n  ${"".padEnd(width)}${extra}` : ""
    }`;
  };
  const envWidth = Math.max(...envOnly.map((o) => o.env!.length)) + 2;
  return [
    "wcp hall: the Worker Class Protocol hall server",
    "",
    "usage: deno task serve [flags]",
    "",
    "flags (a flag wins over its environment variable, which wins over hall.json):",
    ...flags.map(line),
    "",
    "environment:",
    ...envOnly.map((o) =>
      `  ${o.env!.padEnd(envWidth)}${plain(o.help)}${o.file ? ` (hall.json ${o.file})` : ""}`
    ),
  ].join("\n");
}

/** README's options table (Markdown), generated from `HALL_OPTIONS`. */
export function hallOptionsMarkdown(): string {
  const code = (s: string | undefined) => (s ? `\`${s}\`` : "");
  const rows = (HALL_OPTIONS as readonly HallOption[]).map((o) => [
    o.flag ? code(`${o.flag}${o.value ? ` ${o.value}` : ""}`) : "",
    code(o.env),
    code(o.file),
    o.default,
    o.permission,
    o.help,
  ]);
  const head = ["flag", "environment", "hall.json", "default", "permission", "what"];
  const widths = head.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i].length)));
  const row = (cells: string[]) => `| ${cells.map((c, i) => c.padEnd(widths[i])).join(" | ")} |`;
  return [row(head), row(widths.map((w) => "-".repeat(w))), ...rows.map(row)].join("\n");
}
