import { SkipReason } from './skipReason';

/** What a scan saw, as counts. `seen` counts files of supported languages that no ignore rule left out. */
export interface ScanCounts {
  seen: number;
  parsed: number;
  skipped: Partial<Record<SkipReason, number>>;
  units: number;
  /** Parsed files whose tree has syntax errors (their units are what tree-sitter recovered). */
  withSyntaxErrors: number;
}

export interface SkippedFile {
  /** The workspace folder, when several were scanned. */
  readonly root: string;
  readonly file: string;
  readonly reason: SkipReason;
  readonly detail: string;
}

/** Counts plus the first skipped files with their reasons (bounded, so a huge repository cannot flood memory). */
export interface ScanReport extends ScanCounts {
  skippedFiles: SkippedFile[];
}

export const MAX_LISTED_SKIPS = 1000;

export function emptyReport(): ScanReport {
  return { seen: 0, parsed: 0, skipped: {}, units: 0, withSyntaxErrors: 0, skippedFiles: [] };
}

export function recordSkip(report: ScanReport, skip: SkippedFile): void {
  report.seen++;
  report.skipped[skip.reason] = (report.skipped[skip.reason] ?? 0) + 1;
  if (report.skippedFiles.length < MAX_LISTED_SKIPS) report.skippedFiles.push(skip);
}

export function recordParsed(report: ScanReport, unitCount: number, hasSyntaxErrors: boolean): void {
  report.seen++;
  report.parsed++;
  report.units += unitCount;
  if (hasSyntaxErrors) report.withSyntaxErrors++;
}

export function mergeReports(reports: readonly ScanReport[]): ScanReport {
  const merged = emptyReport();
  for (const report of reports) {
    merged.seen += report.seen;
    merged.parsed += report.parsed;
    merged.units += report.units;
    merged.withSyntaxErrors += report.withSyntaxErrors;
    for (const [reason, count] of Object.entries(report.skipped) as [SkipReason, number][]) merged.skipped[reason] = (merged.skipped[reason] ?? 0) + count;
    for (const skip of report.skippedFiles) if (merged.skippedFiles.length < MAX_LISTED_SKIPS) merged.skippedFiles.push(skip);
  }
  return merged;
}
