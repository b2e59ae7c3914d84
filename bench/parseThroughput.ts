import { execFileSync } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { Parser } from 'web-tree-sitter';
import { findGrammarsDir } from '../src/core/parse/grammarsDir';
import { LanguageId } from '../src/core/parse/languages';
import { TreeSitterRuntime } from '../src/core/parse/treeSitterRuntime';
import { emptyReport, recordParsed, recordSkip } from '../src/core/scan/scanReport';
import { DEFAULT_SCAN_OPTIONS, scanFolder, ScanOptions } from '../src/core/scan/workspaceScanner';
import { BenchRow, median } from './benchTable';

/** Large real code bases present on every machine that ran `npm ci` with python3 installed. */
export function parseCorpus(repoRoot: string): { name: string; path: string }[] {
  const roots = [{ name: 'typescript package lib/ (JS)', path: join(repoRoot, 'node_modules', 'typescript', 'lib') }];
  const stdlib = pythonStdlib();
  if (stdlib) roots.push({ name: 'Python standard library', path: stdlib });
  return roots;
}

function pythonStdlib(): string | undefined {
  for (const python of ['/usr/bin/python3', 'python3']) {
    try {
      const path = execFileSync(python, ['-c', 'import os; print(os.path.dirname(os.__file__))'], { encoding: 'utf8' }).trim();
      if (existsSync(path)) return path;
    } catch {
      // try the next interpreter
    }
  }
  return undefined;
}

// The typescript package's files are large (up to ~9 MB); the pipeline is measured on all of them.
const OPTIONS: ScanOptions = { ...DEFAULT_SCAN_OPTIONS, exclude: [], maxFileSizeBytes: 64 * 1024 * 1024 };

/**
 * Scan-parse-chunk pipeline throughput against bare `parser.parse` over exactly the files the pipeline
 * parsed (texts already in memory), alternating the two `repeats` times and taking medians.
 */
export async function benchParseThroughput(repoRoot: string, repeats = 5): Promise<BenchRow[]> {
  const runtime = await TreeSitterRuntime.create(findGrammarsDir(repoRoot + '/dist'));
  const rows: BenchRow[] = [];
  const total = { megabytes: 0, files: 0, bare: 0, pipeline: 0 };
  for (const corpus of parseCorpus(repoRoot)) {
    // A first pipeline pass lists the files it parses (and warms the page cache and the JIT).
    const parsedFiles: { path: string; language: LanguageId }[] = [];
    for await (const file of scanFolder(corpus.path, runtime, OPTIONS)) {
      if (file.type === 'parsed') parsedFiles.push({ path: join(corpus.path, file.file), language: file.language });
    }
    const texts = parsedFiles.map((file) => ({ language: file.language, text: readFileSync(file.path, 'utf8') }));
    const bytes = parsedFiles.reduce((sum, file) => sum + readFileSync(file.path).length, 0);

    const parsers = new Map<LanguageId, Parser>();
    for (const { language } of texts) if (!parsers.has(language)) parsers.set(language, await runtime.createParser(language));

    const bareTimes: number[] = [];
    const pipelineTimes: number[] = [];
    let units = 0;
    for (let round = 0; round < repeats; round++) {
      let started = performance.now();
      for (const { language, text } of texts) parsers.get(language)!.parse(text)!.delete();
      bareTimes.push(performance.now() - started);

      started = performance.now();
      const report = emptyReport();
      for await (const file of scanFolder(corpus.path, runtime, OPTIONS)) {
        if (file.type === 'parsed') recordParsed(report, file.units.length, file.hasSyntaxErrors);
        else recordSkip(report, { root: corpus.name, file: file.file, reason: file.reason, detail: file.detail });
      }
      pipelineTimes.push(performance.now() - started);
      units = report.units;
    }
    for (const parser of parsers.values()) parser.delete();

    const bare = median(bareTimes) / 1000;
    const pipeline = median(pipelineTimes) / 1000;
    const megabytes = bytes / 1e6;
    total.megabytes += megabytes;
    total.files += parsedFiles.length;
    total.bare += bare;
    total.pipeline += pipeline;
    rows.push({
      bench: 'parse throughput',
      case: `${corpus.name}: ${parsedFiles.length} files, ${megabytes.toFixed(1)} MB, ${units} units`,
      metrics: {
        'bare parse MB/s': megabytes / bare,
        'pipeline MB/s': megabytes / pipeline,
        'pipeline files/s': parsedFiles.length / pipeline,
        'pipeline/bare ratio': bare / pipeline,
      },
    });
  }
  rows.push({
    bench: 'parse throughput',
    case: `the whole corpus (both parts): ${total.files} files, ${total.megabytes.toFixed(1)} MB`,
    metrics: { 'bare parse MB/s': total.megabytes / total.bare, 'pipeline MB/s': total.megabytes / total.pipeline, 'pipeline files/s': total.files / total.pipeline, 'pipeline/bare ratio': total.bare / total.pipeline },
    bar: { metric: 'pipeline/bare ratio', atLeast: 0.8 },
  });
  rows.push({
    bench: 'parse throughput',
    case: 'peak memory of the bench process',
    metrics: { 'peak RSS MB': process.resourceUsage().maxRSS / 1024 },
  });
  return rows;
}

export const repoRootFrom = (dir: string): string => dirname(findGrammarsDir(dir));
