/**
 * The npm part of a deno.lock (v5) read as a graph, for the runtime/dev split of the project's
 * three configs (`deno.json` runtime, `mcp/deno.json` MCP server, `tests/deno.json` dev tooling).
 *
 *   deno run --allow-read --allow-write scripts/lock_tool.ts prune deno.lock [npm:keep@1 ...]
 *
 * `prune` keeps only the lock's top-level specifiers that its config imports
 * (`workspace.dependencies`) plus the ones named, and drops every npm entry no kept specifier
 * reaches, so a runtime lock never carries what a dev command once wrote into it. The lock's
 * resolutions (versions, integrity) stay as they were.
 *
 * @module
 */

/** The fields of a deno.lock this tool reads. */
export interface DenoLock {
  version: string;
  specifiers?: Record<string, string>;
  npm?: Record<string, { dependencies?: string[]; optionalDependencies?: string[] }>;
  workspace?: { dependencies?: string[] };
  [other: string]: unknown;
}

/** The package name of an npm specifier or lock key: `npm:@a/b@1` and `@a/b@1_x@2` give `@a/b`. */
export function packageName(spec: string): string {
  const s = spec.replace(/^npm:\/?/, "");
  const at = s.indexOf("@", 1);
  return at === -1 ? s : s.slice(0, at);
}

/** The npm entry key a dependency string of `from` names (`name` or `name@version`). */
function resolveDep(lock: DenoLock, dep: string): string | undefined {
  const npm = lock.npm ?? {};
  if (dep.indexOf("@", 1) !== -1 && dep in npm) return dep;
  const name = packageName(dep);
  const keys = Object.keys(npm).filter((k) => packageName(k) === name);
  if (dep.indexOf("@", 1) !== -1) return keys.find((k) => k.startsWith(dep));
  return keys.length === 1 ? keys[0] : undefined;
}

/** The npm entries reachable from the given top-level specifiers (all of them by default). */
export function reachable(lock: DenoLock, specifiers?: string[]): Set<string> {
  const specs = lock.specifiers ?? {};
  const seen = new Set<string>();
  const todo: string[] = [];
  for (const spec of specifiers ?? Object.keys(specs)) {
    if (!spec.startsWith("npm:") || !(spec in specs)) continue;
    todo.push(`${packageName(spec)}@${specs[spec]}`);
  }
  while (todo.length > 0) {
    const key = todo.pop()!;
    if (seen.has(key) || !(key in (lock.npm ?? {}))) continue;
    seen.add(key);
    const entry = lock.npm![key];
    for (const dep of [...(entry.dependencies ?? []), ...(entry.optionalDependencies ?? [])]) {
      const next = resolveDep(lock, dep);
      if (next !== undefined) todo.push(next);
    }
  }
  return seen;
}

/** The lock with only the workspace's specifiers (plus `keep`) and the npm entries they reach. */
export function prune(lock: DenoLock, keep: string[] = []): DenoLock {
  const wanted = new Set([...(lock.workspace?.dependencies ?? []), ...keep]);
  const specifiers = Object.fromEntries(
    Object.entries(lock.specifiers ?? {}).filter(([s]) => !s.startsWith("npm:") || wanted.has(s)),
  );
  const out: DenoLock = { ...lock, specifiers };
  const live = reachable(out);
  out.npm = Object.fromEntries(Object.entries(lock.npm ?? {}).filter(([k]) => live.has(k)));
  return out;
}

if (import.meta.main) {
  const [command, path, ...keep] = Deno.args;
  if (command !== "prune" || path === undefined) {
    console.error("usage: lock_tool.ts prune <deno.lock> [npm:keep@version ...]");
    Deno.exit(2);
  }
  const lock = JSON.parse(await Deno.readTextFile(path)) as DenoLock;
  const pruned = prune(lock, keep);
  await Deno.writeTextFile(path, JSON.stringify(pruned, null, 2) + "\n");
  console.log(
    `${path}: ${Object.keys(lock.npm ?? {}).length} -> ${
      Object.keys(pruned.npm ?? {}).length
    } npm packages`,
  );
}
