// `npm run bench`: runs the benchmarks, prints one table, writes bench/results/<name>.json.
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { benchAstProbe } from './astProbe';
import { BenchRow, formatTable, writeResults } from './benchTable';
import { benchCloneDetection, benchClonePoj104 } from './cloneDetection';
import { benchCompletion } from './completion';
import { benchCompletionLanguages } from './completionLanguages';
import { benchCompletionPython } from './completionPython';
import { benchEncoderParity } from './encoderParity';
import { benchEncoderQuality } from './encoderQuality';
import { benchEncoderThroughput } from './encoderThroughput';
import { benchIndexThroughput } from './indexThroughput';
import { benchParseThroughput, repoRootFrom } from './parseThroughput';
import { benchSearchLatency } from './searchLatency';
import { benchSearchQuality } from './searchQuality';

async function main(): Promise<void> {
  const repoRoot = repoRootFrom(__dirname);
  const valueFlags = new Set(['--model', '--results', '--completion-model']);
  const only = process.argv.slice(2).filter((arg, index, args) => !arg.startsWith('--') && !valueFlags.has(args[index - 1] ?? ''));
  // --model DIR evaluates another encoder folder than the bundled models/encoder.
  const modelFlag = process.argv.indexOf('--model');
  const modelDir = modelFlag > 0 ? process.argv[modelFlag + 1]! : join(repoRoot, 'models', 'encoder');
  // --completion-model DIR: completion-languages on another completion model (e.g. the one before).
  const completionModelFlag = process.argv.indexOf('--completion-model');
  const completionModelDir = completionModelFlag > 0 ? process.argv[completionModelFlag + 1]! : join(repoRoot, 'models', 'completion');
  // --results DIR keeps a comparison run (e.g. a random-weights baseline) apart from bench/results.
  const resultsFlag = process.argv.indexOf('--results');
  const resultsDir = resultsFlag > 0 ? process.argv[resultsFlag + 1]! : join(repoRoot, 'bench', 'results');
  const benches: [string, () => Promise<BenchRow[]>][] = [
    ['parse-throughput', () => benchParseThroughput(repoRoot)],
    ['encoder-parity', async () => (existsSync(join(modelDir, 'config.json')) ? benchEncoderParity(modelDir) : skipped(`no encoder at ${modelDir}`))],
    ['encoder-throughput', async () => (existsSync(join(modelDir, 'config.json')) ? benchEncoderThroughput(repoRoot, modelDir) : skipped(`no encoder at ${modelDir}`))],
    ['index-throughput', async () => (existsSync(join(modelDir, 'config.json')) ? benchIndexThroughput(repoRoot, modelDir) : skipped(`no encoder at ${modelDir}`))],
    ['search-latency', () => benchSearchLatency(repoRoot, existsSync(join(modelDir, 'config.json')) ? modelDir : undefined)],
    ['search-quality', async () => (existsSync(join(modelDir, 'config.json')) ? benchSearchQuality(repoRoot, modelDir) : skipped(`no encoder at ${modelDir}`))],
    ['ast-probe', async () => (existsSync(join(modelDir, 'config.json')) ? benchAstProbe(repoRoot, modelDir) : skipped(`no encoder at ${modelDir}`))],
    ['clone-detection', async () => (existsSync(join(modelDir, 'config.json')) ? benchCloneDetection(repoRoot, modelDir) : skipped(`no encoder at ${modelDir}`))],
    ['clone-poj104', async () => (existsSync(join(modelDir, 'config.json')) ? benchClonePoj104(repoRoot, modelDir) : skipped(`no encoder at ${modelDir}`))],
    ['completion', () => benchCompletion(repoRoot, resultsDir)],
    ['completion-python', () => benchCompletionPython(repoRoot, resultsDir)],
    ['completion-languages', () => benchCompletionLanguages(completionModelDir)],
    ['encoder-quality', async () => (existsSync(join(modelDir, 'config.json')) ? benchEncoderQuality(repoRoot, modelDir, modelDir.split('/').pop()!) : skipped(`no encoder at ${modelDir}`))],
  ];
  // Parts of a larger bench, run only when named: the whole run measures them already.
  const onRequest = new Set(['clone-poj104']);
  for (const [name, bench] of benches) {
    if (only.length > 0 ? !only.includes(name) : onRequest.has(name)) continue;
    process.stderr.write(`bench: running ${name}...\n`);
    const rows = await bench();
    process.stdout.write(`\n## ${name}\n\n${formatTable(rows)}\n`);
    process.stdout.write(`\nwritten: ${writeResults(resultsDir, name, rows)}\n`);
  }
}

function skipped(why: string): BenchRow[] {
  process.stderr.write(`bench: skipped (${why})\n`);
  return [];
}

main().catch((error: unknown) => {
  process.stderr.write(`bench failed: ${error instanceof Error ? error.stack : String(error)}\n`);
  process.exitCode = 1;
});
