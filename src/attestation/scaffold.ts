/**
 * The files `scaffold_package` writes (reference contents, byte for byte). The fs adapter writes
 * them; the playground can show them.
 *
 * @module
 */

/**
 * The scaffold's file contents by relative path (the stub `code/worker_logic.py` included).
 * Together they hash to `a6eeb3dd3aafc410838802130e3675527dcceadf6d2b1e817e2b97f62abf3bb6`.
 *
 * @example
 * ```ts
 * import { packageHashFromContents, SCAFFOLD_FILES } from "@wcp/core";
 * packageHashFromContents(SCAFFOLD_FILES).package_hash.slice(0, 8); // "a6eeb3dd"
 * ```
 */
export const SCAFFOLD_FILES: Readonly<Record<string, string>> = Object.freeze({
  "code/bootstrap.py": "#!/usr/bin/env python3\nfrom worker_logic import run\n\n" +
    "if __name__ == '__main__':\n    run()\n",
  "code/worker_logic.py":
    '"""Worker business logic \u2014 replace this stub with your implementation."""\n\n\n' +
    'def run():\n    raise NotImplementedError("Replace this stub with your worker logic.")\n',
  "requirements.lock": "# Pin your dependencies here \u2014 one package==version per line\n",
  "config.schema.json": '{\n  "$schema": "https://json-schema.org/draft/2020-12/schema",\n' +
    '  "type": "object",\n  "properties": {},\n  "additionalProperties": true\n}\n',
});
