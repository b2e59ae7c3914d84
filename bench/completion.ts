// Monitor-guided completion on real TypeScript written by others (the paper's dereference benchmark):
// at each `.` inside a method of a well-typed package's sources, prompt with the file up to the dot
// (and, for fill-in-the-middle, the file after the dot's line), complete to the end of the line, and
// score with and without the dereference monitor.
import * as ts from 'typescript';
import { spawnSync } from 'node:child_process';
import { cpSync, existsSync, mkdirSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, relative } from 'node:path';
import { CompletionEngine } from '../src/core/monitor/completionEngine';
import { CompletionModel } from '../src/core/monitor/completionModel';
import { DereferenceMonitor, dereferenceAtEnd } from '../src/core/monitor/dereferenceMonitor';
import { StaticAnalysis } from '../src/core/monitor/staticAnalysis';
import { TypeScriptAnalysis } from '../src/core/monitor/typeScriptAnalysis';
import { BenchRow, median } from './benchTable';

/** The package whose sources the prompts come from: MIT, shipped as .ts in node_modules, not in the training corpus. */
const PACKAGE = join('node_modules', '@azure', 'msal-common');
const TSCONFIG = {
  compilerOptions: { target: 'ES2020', module: 'ESNext', moduleResolution: 'Bundler', lib: ['ES2020', 'DOM'], strict: true, skipLibCheck: true, noEmit: true },
  include: ['src'],
  exclude: ['src/**/*.prompt-*.ts'],
};

export interface DereferencePrompt {
  readonly file: string;
  /** Offset just after the `.`. */
  readonly offset: number;
  /** The rest of the line in the original file: what a perfect completion writes. */
  readonly truth: string;
  readonly prefix: string;
  /** The file from the end of the dot's line on. */
  readonly suffix: string;
}

export interface Scored {
  readonly nim: number;
  readonly ism: number;
  readonly pm: number;
  readonly compiles: number;
  readonly latencyMs: number;
  readonly analysisMs: number;
  readonly tokens: number;
  readonly triggered: number;
}

const IDENTIFIERS = /[\p{ID_Start}$_][\p{ID_Continue}$]*/gu;
const LEXEMES = /[\p{ID_Start}$_][\p{ID_Continue}$]*|\d+(?:\.\d+)?|"(?:[^"\\]|\\.)*"|'(?:[^'\\]|\\.)*'|\S/gu;

function commonPrefix(a: readonly string[], b: readonly string[]): number {
  let count = 0;
  while (count < a.length && count < b.length && a[count] === b[count]) count++;
  return count;
}

/** Next-identifier match, identifier-sequence match and prefix match (lexemes) of one completion. */
export function matchScores(completion: string, truth: string): { nim: number; ism: number; pm: number } {
  const generatedIds = completion.match(IDENTIFIERS) ?? [];
  const truthIds = truth.match(IDENTIFIERS) ?? [];
  const generatedLexemes = completion.match(LEXEMES) ?? [];
  const truthLexemes = truth.match(LEXEMES) ?? [];
  return {
    nim: generatedIds.length > 0 && generatedIds[0] === truthIds[0] ? 1 : 0,
    ism: truthIds.length ? commonPrefix(generatedIds, truthIds) / truthIds.length : 0,
    pm: truthLexemes.length ? commonPrefix(generatedLexemes, truthLexemes) / truthLexemes.length : 0,
  };
}

function sourceFiles(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true, recursive: true })
    .filter((entry) => entry.isFile() && entry.name.endsWith('.ts') && !entry.name.endsWith('.d.ts'))
    .map((entry) => join(entry.parentPath, entry.name))
    .sort();
}

const METHOD_KINDS = new Set([ts.SyntaxKind.MethodDeclaration, ts.SyntaxKind.Constructor, ts.SyntaxKind.GetAccessor, ts.SyntaxKind.SetAccessor]);

/** Every `expr.name` inside a class method whose dot follows an expression on the same line. */
function dereferencesIn(file: string, text: string): DereferencePrompt[] {
  const source = ts.createSourceFile(file, text, ts.ScriptTarget.Latest, true);
  const prompts: DereferencePrompt[] = [];
  const visit = (node: ts.Node, inMethod: boolean): void => {
    const here = inMethod || METHOD_KINDS.has(node.kind);
    if (here && ts.isPropertyAccessExpression(node) && ts.isIdentifier(node.name)) {
      const offset = node.name.getStart(source);
      const prefix = text.slice(0, offset);
      const lineEnd = text.indexOf('\n', offset);
      if (dereferenceAtEnd(prefix) && lineEnd > offset) {
        prompts.push({ file, offset, truth: text.slice(offset, lineEnd), prefix, suffix: text.slice(lineEnd) });
      }
    }
    node.forEachChild((child) => visit(child, here));
  };
  visit(source, false);
  return prompts;
}

/** `count` items spread evenly over `all` (all of them when there are fewer): the benchmark's prompts. */
export function evenlySpaced<T>(all: readonly T[], count: number): T[] {
  const taken = Math.min(count, all.length);
  return Array.from({ length: taken }, (_, index) => all[Math.floor((index * all.length) / taken)]!);
}

export function percentile(values: readonly number[], share: number): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.floor(share * sorted.length))] ?? 0;
}

export function mean(values: readonly number[]): number {
  return values.length ? values.reduce((sum, value) => sum + value, 0) / values.length : 0;
}

/** How completions are made in the benchmark: the product's monitor, the paper's (legality alone), none. */
const MODES = ['monitor', 'legality only', 'plain'] as const;
type Mode = (typeof MODES)[number];

interface DereferenceBench {
  readonly bench: string;
  readonly modelDir: string;
  readonly analysis: StaticAnalysis;
  readonly prompts: readonly DereferencePrompt[];
  readonly maxTokens: number;
  /** Where prompt files live (samples name them relative to it). */
  readonly sourceRoot: string;
  /** Whether the file with `completion` at the prompt compiles (no new errors). */
  compiles(prompt: DereferencePrompt, completion: string): Promise<boolean>;
}

/**
 * Completes every prompt in each mode with one loaded model and scores it: the rows every dereference
 * benchmark reports (each mode's scores, the gains over plain decoding with their bars, latency), and the
 * samples.
 */
export async function runDereferenceBench(spec: DereferenceBench): Promise<{ rows: (source: string) => BenchRow[]; samples: Record<string, unknown>[] }> {
  const model = await CompletionModel.load(spec.modelDir, { threads: 2 });
  // Plain decoding is the product's engine asked not to use its monitors: one vocabulary trie built, not two.
  const product = new CompletionEngine(model, spec.analysis);
  const engines: Record<Mode, CompletionEngine> = {
    monitor: product,
    'legality only': new CompletionEngine(model, spec.analysis, [(analysis, trie, endTokens) => new DereferenceMonitor(analysis, trie, endTokens, { usedMemberBonus: 0 })]),
    plain: product,
  };
  const results: Record<Mode, Scored[]> = { monitor: [], 'legality only': [], plain: [] };
  const samples: Record<string, unknown>[] = [];
  const { prompts, maxTokens } = spec;
  try {
    // The first question loads the project's libraries (seconds): done before timing, as a long-lived CLI or editor would.
    await engines.monitor.complete({ fileName: prompts[0]!.file, prefix: prompts[0]!.prefix, suffix: prompts[0]!.suffix, maxTokens: 2 });
    for (const [index, prompt] of prompts.entries()) {
      const sample: Record<string, unknown> = { file: relative(spec.sourceRoot, prompt.file), offset: prompt.offset, truth: prompt.truth };
      for (const mode of MODES) {
        const completion = await engines[mode].complete({ fileName: prompt.file, prefix: prompt.prefix, suffix: prompt.suffix, maxTokens, stop: 'line', useMonitors: mode !== 'plain' });
        const compiles = (await spec.compiles(prompt, completion.text)) ? 1 : 0;
        results[mode].push({ ...matchScores(completion.text, prompt.truth), compiles, latencyMs: completion.latencyMs, analysisMs: completion.analysisMs, tokens: completion.tokens, triggered: completion.monitorTriggered ? 1 : 0 });
        sample[mode] = completion.text;
      }
      samples.push(sample);
      if ((index + 1) % 50 === 0) process.stderr.write(`${spec.bench}: ${index + 1}/${prompts.length}\n`);
    }
  } finally {
    await model.release();
  }
  const [withMonitor, legalityOnly, plain] = MODES.map((mode) => summarizeScores(results[mode]));
  const bench = spec.bench;
  const rows = (source: string): BenchRow[] => [
    { bench, case: `with monitor: legal members, those the file uses preferred (${source})`, metrics: withMonitor! },
    { bench, case: 'with monitor, legality only (the paper\'s monitor)', metrics: legalityOnly! },
    { bench, case: 'without monitor', metrics: plain! },
    { bench, case: 'NIM gain (points)', metrics: { nim_gain: withMonitor!.nim_percent - plain!.nim_percent }, bar: { metric: 'nim_gain', atLeast: 15 } },
    { bench, case: 'NIM gain, legality only (points)', metrics: { nim_gain: legalityOnly!.nim_percent - plain!.nim_percent } },
    { bench, case: 'compilation gain (points)', metrics: { compile_gain: withMonitor!.compile_percent - plain!.compile_percent }, bar: { metric: 'compile_gain', atLeast: 0.1 } },
    { bench, case: 'in-process latency p50, with monitor', metrics: { latency_p50_ms: withMonitor!.latency_p50_ms }, bar: { metric: 'latency_p50_ms', atMost: 150 } },
    { bench, case: 'in-process latency p95, with monitor', metrics: { latency_p95_ms: withMonitor!.latency_p95_ms }, bar: { metric: 'latency_p95_ms', atMost: 400 } },
  ];
  return { rows, samples };
}

/** The bench's table row for one mode's scores. */
export function summarizeScores(scores: readonly Scored[]) {
  return {
    prompts: scores.length,
    nim_percent: 100 * mean(scores.map((s) => s.nim)),
    ism_percent: 100 * mean(scores.map((s) => s.ism)),
    pm_percent: 100 * mean(scores.map((s) => s.pm)),
    compile_percent: 100 * mean(scores.map((s) => s.compiles)),
    latency_p50_ms: median(scores.map((s) => s.latencyMs)),
    latency_p95_ms: percentile(scores.map((s) => s.latencyMs), 0.95),
    analysis_p50_ms: median(scores.map((s) => s.analysisMs)),
    tokens_mean: mean(scores.map((s) => s.tokens)),
    ms_per_token_p50: median(scores.filter((s) => s.tokens > 0).map((s) => (s.latencyMs - s.analysisMs) / s.tokens)),
    monitor_triggered_percent: 100 * mean(scores.map((s) => s.triggered)),
  };
}

// The samples (every prompt with its completions) go beside the results, so `--results DIR` keeps a run apart.
export async function benchCompletion(repoRoot: string, resultsDir: string, promptCount = Number(process.env.ASTROLABE_COMPLETION_PROMPTS ?? 360), maxTokens = 32): Promise<BenchRow[]> {
  const modelDir = join(repoRoot, 'models', 'completion');
  const sourceRoot = join(repoRoot, PACKAGE, 'src');
  if (!existsSync(join(modelDir, 'config.json')) || !existsSync(sourceRoot)) {
    process.stderr.write(`bench: completion skipped (needs ${modelDir} and ${sourceRoot})\n`);
    return [];
  }
  // A copy of the package's sources with a tsconfig of our own, so its imports resolve and prompt files can sit beside them.
  const project = join(tmpdir(), 'astrolabe-completion-bench', 'msal-common');
  rmSync(project, { recursive: true, force: true });
  mkdirSync(project, { recursive: true });
  cpSync(sourceRoot, join(project, 'src'), { recursive: true });
  writeFileSync(join(project, 'tsconfig.json'), JSON.stringify(TSCONFIG, null, 2));

  const analysis = new TypeScriptAnalysis(ts);
  const started = performance.now();
  const files = sourceFiles(join(project, 'src')).filter((file) => analysis.diagnostics(file, readFileSync(file, 'utf8')).length === 0);
  const all = files.flatMap((file) => dereferencesIn(file, readFileSync(file, 'utf8')));
  const prompts = evenlySpaced(all, promptCount);
  process.stderr.write(`completion: ${files.length} well-typed files, ${all.length} dereferences in methods, ${prompts.length} prompts (${((performance.now() - started) / 1000).toFixed(1)} s)\n`);

  const run = await runDereferenceBench({
    bench: 'completion', modelDir, analysis, prompts, maxTokens, sourceRoot: project,
    compiles: async (prompt, completion) => analysis.diagnostics(prompt.file, prompt.prefix + completion + prompt.suffix).length === 0,
  });
  mkdirSync(resultsDir, { recursive: true });
  writeFileSync(join(resultsDir, 'completion-samples.jsonl'), run.samples.map((sample) => JSON.stringify(sample)).join('\n') + '\n');
  const rows: BenchRow[] = [
    ...run.rows(`@azure/msal-common, TypeScript language service`),
    ...cliLatency(repoRoot, project, prompts, maxTokens),
  ];
  return rows;
}

/**
 * The same prompts through `astrolabe complete --prompts` (dist/cli.js, one process): each prompt's
 * file is written with the rest of the dot's line removed, beside the original so imports resolve.
 */
export function cliLatency(repoRoot: string, project: string, prompts: readonly DereferencePrompt[], maxTokens: number, bench = 'completion'): BenchRow[] {
  const cli = join(repoRoot, 'dist', 'cli.js');
  if (!existsSync(cli)) return [];
  const files = prompts.map((prompt, index) => prompt.file.replace(/(\.\w+)$/, `.prompt-${index}$1`));
  const promptsFile = join(project, 'prompts.jsonl');
  let outputs: { id: string; latency_ms: number }[];
  try {
    const lines = prompts.map((prompt, index) => {
      writeFileSync(files[index]!, prompt.prefix + prompt.suffix);
      return JSON.stringify({ id: String(index), file: files[index], offset: prompt.offset });
    });
    writeFileSync(promptsFile, lines.join('\n') + '\n');
    const run = spawnSync(process.execPath, [cli, 'complete', '--prompts', promptsFile, '--max-tokens', String(maxTokens)], { encoding: 'utf8', maxBuffer: 1 << 28 });
    if (run.status !== 0) throw new Error(`astrolabe complete --prompts failed: ${run.stderr}`);
    outputs = run.stdout.trim().split('\n').map((line) => JSON.parse(line) as { id: string; latency_ms: number });
  } finally {
    for (const file of [...files, promptsFile]) rmSync(file, { force: true });
  }
  // The first answer carries the project's first load (the libraries parsed once per process): reported apart.
  const latencies = outputs.slice(1).map((output) => output.latency_ms);
  return [
    { bench, case: 'CLI batch latency p50, with monitor', metrics: { latency_p50_ms: median(latencies), first_ms: outputs[0]?.latency_ms ?? 0, prompts: outputs.length }, bar: { metric: 'latency_p50_ms', atMost: 150 } },
    { bench, case: 'CLI batch latency p95, with monitor', metrics: { latency_p95_ms: percentile(latencies, 0.95) }, bar: { metric: 'latency_p95_ms', atMost: 400 } },
  ];
}
