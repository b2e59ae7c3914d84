// `npm run bench`: runs the benchmarks, prints one table, writes bench/results/<name>.json.
import { join } from 'node:path';
import { formatTable, writeResults } from './benchTable';
import { benchParseThroughput, repoRootFrom } from './parseThroughput';

async function main(): Promise<void> {
  const repoRoot = repoRootFrom(__dirname);
  const only = process.argv.slice(2);
  const benches: [string, () => Promise<import('./benchTable').BenchRow[]>][] = [['parse-throughput', () => benchParseThroughput(repoRoot)]];
  const resultsDir = join(repoRoot, 'bench', 'results');
  for (const [name, bench] of benches) {
    if (only.length > 0 && !only.includes(name)) continue;
    process.stderr.write(`bench: running ${name}...\n`);
    const rows = await bench();
    process.stdout.write(`\n## ${name}\n\n${formatTable(rows)}\n`);
    process.stdout.write(`\nwritten: ${writeResults(resultsDir, name, rows)}\n`);
  }
}

main().catch((error: unknown) => {
  process.stderr.write(`bench failed: ${error instanceof Error ? error.stack : String(error)}\n`);
  process.exitCode = 1;
});
