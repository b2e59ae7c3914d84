import { TreeSitterRuntime } from '../parse/treeSitterRuntime';
import { ScanRoot } from './scanRequest';
import { emptyReport, recordParsed, recordSkip, ScanReport } from './scanReport';
import { scanFolder, ScannedFile, ScanOptions } from './workspaceScanner';

export type ParsedFile = Extract<ScannedFile, { type: 'parsed' }>;

export interface ScanProgress {
  readonly root: string;
  readonly report: ScanReport;
}

/**
 * Scans every root into one report. `onParsed` receives each parsed file (the CLI lists its units, embed
 * and bench embed them) and is awaited, so slow consumers hold the scan back instead of piling up
 * units; `onProgress` is called after every file and may throttle itself.
 */
export async function scanRoots(
  roots: readonly ScanRoot[],
  runtime: TreeSitterRuntime,
  options: ScanOptions,
  hooks: { onParsed?: (root: ScanRoot, file: ParsedFile) => void | Promise<void>; onProgress?: (progress: ScanProgress) => void },
  signal?: AbortSignal,
): Promise<ScanReport> {
  const report = emptyReport();
  for (const root of roots) {
    for await (const scanned of scanFolder(root.path, runtime, options, signal)) {
      if (scanned.type === 'parsed') {
        recordParsed(report, scanned.units.length, scanned.hasSyntaxErrors);
        await hooks.onParsed?.(root, scanned);
      } else {
        recordSkip(report, { root: root.name, file: scanned.file, reason: scanned.reason, detail: scanned.detail });
      }
      hooks.onProgress?.({ root: root.name, report });
    }
  }
  return report;
}
