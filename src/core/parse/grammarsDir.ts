import { existsSync } from 'node:fs';
import { dirname, join } from 'node:path';

/**
 * Finds the grammars/ folder that ships with Astrolabe, looking upward from `start` (the folder of the
 * running script: dist/ when bundled, out/src/... when compiled for tests).
 */
export function findGrammarsDir(start: string): string {
  for (let dir = start; ; dir = dirname(dir)) {
    const candidate = join(dir, 'grammars');
    if (existsSync(join(candidate, 'web-tree-sitter.wasm'))) return candidate;
    if (dirname(dir) === dir) break;
  }
  throw new Error(`cannot find Astrolabe's grammars/ folder (with web-tree-sitter.wasm) above ${start}; run "npm run build"`);
}
