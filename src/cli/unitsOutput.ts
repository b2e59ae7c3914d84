import { CodeUnit } from '../core/parse/codeUnit';
import { ScanReport } from '../core/scan/scanReport';
import { SKIP_REASON_DESCRIPTIONS } from '../core/scan/skipReason';

/** One `units --jsonl` line: a unit with everything the JSON shape has, plus byte span and text. */
export function unitJsonLine(unit: CodeUnit): string {
  return JSON.stringify({
    file: unit.file, language: unit.language, kind: unit.kind, name: unit.name,
    start_line: unit.startLine, end_line: unit.endLine, start_byte: unit.startByte, end_byte: unit.endByte,
    hash: unit.hash, text: unit.text,
  });
}

/** The `units --json` shape: one object with every unit (without its text) and the scan counts. */
export function unitsJson(units: readonly CodeUnit[], report: ScanReport): object {
  return {
    units: units.map((unit) => ({
      file: unit.file,
      language: unit.language,
      kind: unit.kind,
      name: unit.name,
      start_line: unit.startLine,
      end_line: unit.endLine,
      hash: unit.hash,
    })),
    report: { seen: report.seen, parsed: report.parsed, skipped: report.skipped },
  };
}

export function formatUnitsText(units: readonly CodeUnit[], report: ScanReport): string {
  const lines: string[] = [];
  let file: string | undefined;
  for (const unit of units) {
    if (unit.file !== file) {
      file = unit.file;
      lines.push(`${file} (${unit.language})`);
    }
    lines.push(`  ${`${unit.startLine}-${unit.endLine}`.padEnd(11)} ${unit.kind.padEnd(9)} ${unit.name}`);
  }
  lines.push('', reportText(report));
  return `${lines.join('\n')}\n`;
}

export function reportText(report: ScanReport): string {
  const skippedTotal = Object.values(report.skipped).reduce((sum, count) => sum + (count ?? 0), 0);
  const lines = [`${report.seen} files seen, ${report.parsed} parsed (${report.withSyntaxErrors} with syntax errors), ${skippedTotal} skipped, ${report.units} code units`];
  for (const skip of report.skippedFiles) lines.push(`  skipped ${skip.file}: ${skip.reason} (${skip.detail})`);
  const unlisted = skippedTotal - report.skippedFiles.length;
  if (unlisted > 0) lines.push(`  ... and ${unlisted} more skipped`);
  const reasons = Object.keys(report.skipped) as (keyof typeof SKIP_REASON_DESCRIPTIONS)[];
  if (reasons.length > 0) lines.push(`reasons: ${reasons.map((reason) => `${reason} = ${SKIP_REASON_DESCRIPTIONS[reason]}`).join('; ')}`);
  return lines.join('\n');
}
