/**
 * The data directory holds the receipt signing private key (in `hall.sqlite`), token hashes and
 * the audit trail: it is the hall's alone. Everything the hall creates in it is created
 * owner-only whatever the umask (directories 0700, files 0600: `OWNER_ONLY_FILE`; SQLite gives
 * its `-wal` and `-shm` files the mode of the database file, which `createOwnerOnly` makes first),
 * and `tightenDataDir` takes group and other access away from an existing directory and the files
 * in it, and says what it changed.
 *
 * @module
 */

/** Mode of every file the hall creates (a umask can only take bits away). */
export const OWNER_ONLY_FILE = 0o600;
/** Mode of the data directory. */
export const OWNER_ONLY_DIR = 0o700;

/**
 * Create `path` empty and owner-only if it does not exist (an existing file is left as it is).
 * SQLite opens an empty file as a new database and gives its journal files the same mode.
 */
export async function createOwnerOnly(path: string): Promise<void> {
  try {
    const f = await Deno.open(path, { write: true, createNew: true, mode: OWNER_ONLY_FILE });
    f.close();
  } catch (e) {
    if (!(e instanceof Deno.errors.AlreadyExists)) throw e;
  }
}

/** One permission change `tightenDataDir` made. */
export interface ModeChange {
  /** The path changed. */
  path: string;
  /** Mode bits before (permission bits only). */
  from: number;
  /** Mode bits after. */
  to: number;
}

/** `0o755` as text (`0755`). */
export function modeText(mode: number): string {
  return `0${(mode & 0o777).toString(8).padStart(3, "0")}`;
}

/**
 * Remove group and other access from `dir` (to 0700) and from the regular files directly in it
 * (to 0600 or less: an owner-only mode is kept as it is), plus `extraFiles` inside it (such as
 * a telemetry file in a subdirectory). Symbolic links are never followed. Returns the changes.
 */
export async function tightenDataDir(
  dir: string,
  extraFiles: string[] = [],
): Promise<ModeChange[]> {
  const changes: ModeChange[] = [];
  const tighten = async (path: string, to: (mode: number) => number) => {
    let info: Deno.FileInfo;
    try {
      info = await Deno.lstat(path);
    } catch (e) {
      if (e instanceof Deno.errors.NotFound) return;
      throw e;
    }
    if (info.isSymlink || info.mode === null) return;
    const from = info.mode & 0o777;
    if ((from & 0o077) === 0) return;
    const mode = to(from);
    await Deno.chmod(path, mode);
    changes.push({ path, from, to: mode });
  };
  await tighten(dir, () => OWNER_ONLY_DIR);
  const files = new Set(extraFiles);
  for await (const entry of Deno.readDir(dir)) {
    if (entry.isFile) files.add(`${dir}/${entry.name}`);
  }
  for (const path of files) await tighten(path, (m) => m & 0o700);
  return changes;
}
