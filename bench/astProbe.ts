import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { CodeUnitExtractor } from '../src/core/parse/codeUnitExtractor';
import { findGrammarsDir } from '../src/core/parse/grammarsDir';
import { TreeSitterRuntime } from '../src/core/parse/treeSitterRuntime';
import { AstProbe } from '../src/core/probe/astProbe';
import { compareWithReference } from '../src/core/probe/referenceEncoding';
import { BenchRow, median } from './benchTable';
import { sharedEvalDir } from './evalData';

interface GoldenRecord {
  readonly id: string;
  readonly code: string;
  readonly code_pre: string;
  readonly tokens: string[];
  readonly d: number[];
  readonly c: string[];
  readonly u: string[];
  readonly gold_spans: string[];
}

/** What training/probe_train.py measured (models/encoder/probe/results.json). */
interface ProbeResults {
  readonly modelId: string;
  readonly baselineModelId: string;
  readonly rank: number;
  readonly languages: Record<string, {
    readonly layers: Record<string, { readonly trained: { f1: number }; readonly random: { f1: number } }>;
    readonly sweep: Record<string, number>;
    readonly bestLayer: number;
    readonly bestF1: number;
    readonly bestRandomF1: number;
    readonly rankAt95: number;
    readonly testUnits: number;
  }>;
}

/**
 * AST-Probe: the (d, c, u) encoding against the paper authors' golden vectors; the trained probes' F1 per
 * layer against the random-weights baseline and the subspace sweep (from probe_train.py's held-out
 * measurements); the runtime probe's F1 per layer on the 300 golden functions (CoSQA code, never trained
 * on) recomputed here; and the probe's time on top of the encoder pass for functions of about 200 tokens.
 */
export async function benchAstProbe(repoRoot: string, modelDir: string): Promise<BenchRow[]> {
  const rows: BenchRow[] = [];
  const runtime = await TreeSitterRuntime.create(findGrammarsDir(join(repoRoot, 'dist')));
  const golden = readFileSync(join(sharedEvalDir(repoRoot), 'ast-probe', 'golden_python.jsonl'), 'utf8')
    .split('\n').filter((line) => line.trim()).map((line) => JSON.parse(line) as GoldenRecord);

  const parser = await runtime.createParser('python');
  try {
    let preprocessed = 0;
    let raw = 0;
    for (const record of golden) {
      const reference = { tokens: record.tokens, d: record.d, c: record.c, u: record.u, goldSpans: record.gold_spans };
      const differences = compareWithReference({ ...reference, code: record.code_pre }, parser, 'python');
      if (differences.length === 0) preprocessed++;
      else process.stderr.write(`ast-probe: ${record.id}: ${differences.join('; ')}\n`);
      if (compareWithReference({ ...reference, code: record.code }, parser, 'python').length === 0) raw++;
    }
    rows.push({ bench: 'ast-probe', case: 'golden vectors (authors\' code_pre)', metrics: { matching: preprocessed, of: golden.length }, bar: { metric: 'matching', atLeast: golden.length } });
    rows.push({ bench: 'ast-probe', case: 'golden vectors (raw code, our comment/docstring removal)', metrics: { matching: raw, of: golden.length } });
  } finally {
    parser.delete();
  }

  const probeDir = join(modelDir, 'probe');
  const resultsPath = join(probeDir, 'results.json');
  if (!existsSync(resultsPath)) {
    process.stderr.write(`ast-probe: no trained probes at ${probeDir} (training/README.md, "AST probe"): F1 and timing skipped\n`);
    return rows;
  }
  const results = JSON.parse(readFileSync(resultsPath, 'utf8')) as ProbeResults;
  for (const [language, entry] of Object.entries(results.languages)) {
    for (const [layer, measured] of Object.entries(entry.layers)) {
      rows.push({ bench: 'ast-probe', case: `${language} layer ${layer}, m=${results.rank} (held-out packages, ${entry.testUnits} units)`, metrics: { 'F1 trained': measured.trained.f1, 'F1 random': measured.random.f1 } });
    }
    rows.push({
      bench: 'ast-probe', case: `${language} best layer ${entry.bestLayer}: trained - random (best layers)`,
      metrics: { 'F1 gain': entry.bestF1 - entry.bestRandomF1, layer: entry.bestLayer }, bar: { metric: 'F1 gain', atLeast: 0.2 },
    });
    const sweep = Object.fromEntries(Object.entries(entry.sweep).map(([rank, f1]) => [`m=${rank}`, f1]));
    rows.push({ bench: 'ast-probe', case: `${language} layer ${entry.bestLayer}: F1 by subspace dimension`, metrics: { ...sweep, 'm at 95%': entry.rankAt95 } });
  }

  const probe = await AstProbe.load(modelDir, runtime);
  try {
    // The shipped probes through the runtime path (parse, tokenize, encode, project, rebuild, score) on code
    // neither the encoder nor the probes saw.
    const layers = Object.keys(results.languages.python?.layers ?? {}).map(Number);
    for (const layer of layers) {
      let sum = 0;
      let count = 0;
      for (const record of golden) {
        const result = await probe.probe(record.code, 'python', layer);
        if (typeof result === 'string') continue;
        sum += result.score.f1;
        count++;
      }
      rows.push({ bench: 'ast-probe', case: `python layer ${layer}, runtime probe on the 300 golden (CoSQA) functions`, metrics: { F1: count > 0 ? sum / count : 0, functions: count } });
    }
    rows.push(await timeLongFunctions(probe, runtime, repoRoot));
  } finally {
    await probe.dispose();
  }
  return rows;
}

/**
 * Probe time on top of the encoder pass (medians over 3 runs each) for real functions of 170-256 encoder
 * tokens: this repository's own Python (training/*.py); the golden functions are shorter.
 */
async function timeLongFunctions(probe: AstProbe, runtime: TreeSitterRuntime, repoRoot: string): Promise<BenchRow> {
  const folder = join(repoRoot, 'training');
  const parser = await runtime.createParser('python');
  const candidates: string[] = [];
  try {
    for (const file of readdirSync(folder).filter((name) => name.endsWith('.py')).sort()) {
      const source = readFileSync(join(folder, file), 'utf8');
      const tree = parser.parse(source);
      if (!tree) continue;
      try {
        for (const unit of new CodeUnitExtractor().extract(tree, source, 'python', file)) if (unit.kind === 'function' || unit.kind === 'method') candidates.push(unit.text);
      } finally {
        tree.delete();
      }
    }
  } finally {
    parser.delete();
  }
  const chosen: string[] = [];
  let tokens = 0;
  for (const text of candidates) {
    const result = await probe.probe(text, 'python');
    if (typeof result === 'string' || result.tokens < 170) continue;
    chosen.push(text);
    tokens += result.tokens;
  }
  const encoderMs: number[] = [];
  const probeMs: number[] = [];
  for (let run = 0; run < 3; run++) {
    for (const text of chosen) {
      const result = await probe.probe(text, 'python');
      if (typeof result === 'string') continue;
      encoderMs.push(result.encoderMs);
      probeMs.push(result.probeMs);
    }
  }
  return {
    bench: 'ast-probe', case: `probe time on top of the encoder pass: ${chosen.length} functions of ${Math.round(tokens / Math.max(1, chosen.length))} tokens on average (median of ${probeMs.length})`,
    metrics: { 'probe ms': median(probeMs), 'encoder ms': median(encoderMs) }, bar: { metric: 'probe ms', atMost: 20 },
  };
}
