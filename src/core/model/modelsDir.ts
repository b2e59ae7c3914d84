import { existsSync } from 'node:fs';
import { dirname, join } from 'node:path';

/**
 * The bundled default encoder, `models/encoder/` in Astrolabe's install folder, looking upward from
 * `start` (dist/ when bundled, out/src/... in tests). Returned even when absent: loading then says
 * which file is missing.
 */
export function defaultEncoderDir(start: string): string {
  for (let dir = start; ; dir = dirname(dir)) {
    if (existsSync(join(dir, 'models', 'encoder'))) return join(dir, 'models', 'encoder');
    if (existsSync(join(dir, 'package.json'))) return join(dir, 'models', 'encoder');
    if (dirname(dir) === dir) return join(start, 'models', 'encoder');
  }
}
