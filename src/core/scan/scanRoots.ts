import { CodeUnit } from '../parse/codeUnit';
import { TreeSitterRuntime } from '../parse/treeSitterRuntime';
import { ScanRoot } from './scanRequest';
import { emptyReport, recordParsed, recordSkip, ScanReport } from './scanReport';
import { scanFolder, ScanOptions } from './workspaceScanner';

export interface ScanProgress {
  readonly root: string;
  readonly report: ScanReport;
}

/**
 * Scans every root into one report. `onUnits` receives each parsed file's units (the CLI lists them,
 * indexing will embed them); `onProgress` is called after every file and may throttle itself.
 */
export async function scanRoots(
  roots: readonly ScanRoot[],
  runtime: TreeSitterRuntime,
  options: ScanOptions,
  hooks: { onUnits?: (root: ScanRoot, units: CodeUnit[]) => void; onProgress?: (progress: ScanProgress) => void },
  signal?: AbortSignal,
): Promise<ScanReport> {
  const report = emptyReport();
  for (const root of roots) {
    for await (const scanned of scanFolder(root.path, runtime, options, signal)) {
      if (scanned.type === 'parsed') {
        recordParsed(report, scanned.units.length, scanned.hasSyntaxErrors);
        hooks.onUnits?.(root, scanned.units);
      } else {
        recordSkip(report, { root: root.name, file: scanned.file, reason: scanned.reason, detail: scanned.detail });
      }
      hooks.onProgress?.({ root: root.name, report });
    }
  }
  return report;
}
