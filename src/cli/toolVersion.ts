import { existsSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';

/**
 * Astrolabe's version, from the package.json above this script (dist/ when bundled, out/src/cli in tests).
 * Read at run time rather than imported: importing it would make the TypeScript build copy package.json
 * into out/, where it would pose as the install folder.
 */
export function toolVersion(start = __dirname): string {
  for (let dir = start; dirname(dir) !== dir; dir = dirname(dir)) {
    const file = join(dir, 'package.json');
    if (!existsSync(file)) continue;
    const manifest = JSON.parse(readFileSync(file, 'utf8')) as { name?: string; version?: string };
    if (manifest.name === 'astrolabe' && manifest.version) return manifest.version;
  }
  return 'unknown';
}
