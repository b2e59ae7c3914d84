import { ScanOptions } from './workspaceScanner';

/** One workspace folder to scan; `name` tells folders apart in reports of multi-root workspaces. */
export interface ScanRoot {
  readonly name: string;
  readonly path: string;
}

export interface ScanRequest {
  readonly roots: readonly ScanRoot[];
  readonly options: ScanOptions;
  readonly grammarsDir: string;
}
