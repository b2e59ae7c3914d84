import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

/** One measured case: named metrics, and optionally the bar one of them must meet. */
export interface BenchRow {
  readonly bench: string;
  readonly case: string;
  readonly metrics: Record<string, number>;
  readonly bar?: { readonly metric: string; readonly atLeast?: number; readonly atMost?: number };
}

export function median(values: readonly number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  const middle = Math.floor(sorted.length / 2);
  return sorted.length % 2 === 1 ? sorted[middle]! : (sorted[middle - 1]! + sorted[middle]!) / 2;
}

export function meetsBar(row: BenchRow): boolean | undefined {
  if (!row.bar) return undefined;
  const value = row.metrics[row.bar.metric];
  if (value === undefined) return false;
  return (row.bar.atLeast === undefined || value >= row.bar.atLeast) && (row.bar.atMost === undefined || value <= row.bar.atMost);
}

export function formatTable(rows: readonly BenchRow[]): string {
  const lines = ['| bench | case | metric | value | bar |', '|---|---|---|---|---|'];
  for (const row of rows) {
    for (const [metric, value] of Object.entries(row.metrics)) {
      let bar = '';
      if (row.bar?.metric === metric) {
        const limit = row.bar.atLeast !== undefined ? `>= ${row.bar.atLeast}` : `<= ${row.bar.atMost}`;
        bar = `${limit} ${meetsBar(row) ? 'met' : 'MISSED'}`;
      }
      lines.push(`| ${row.bench} | ${row.case} | ${metric} | ${formatNumber(value)} | ${bar} |`);
    }
  }
  return lines.join('\n');
}

function formatNumber(value: number): string {
  if (Number.isInteger(value)) return String(value);
  const magnitude = Math.abs(value);
  if (magnitude < 1e-3) return value.toExponential(2); // parity differences: 3.3e-7, not 0.000
  return magnitude >= 100 ? value.toFixed(0) : magnitude >= 1 ? value.toFixed(2) : value.toFixed(4);
}

export function writeResults(resultsDir: string, name: string, rows: readonly BenchRow[]): string {
  mkdirSync(resultsDir, { recursive: true });
  const path = join(resultsDir, `${name}.json`);
  const machine = { node: process.version, platform: `${process.platform}-${process.arch}`, cpus: (require('node:os') as typeof import('node:os')).cpus().length };
  writeFileSync(path, `${JSON.stringify({ name, date: new Date().toISOString(), machine, rows: rows.map((row) => ({ ...row, meetsBar: meetsBar(row) })) }, null, 2)}\n`);
  return path;
}
