// `astrolabe clones`: a thin adapter over src/core/clones.
import { resolve } from 'node:path';
import { InvalidArgumentError } from 'commander';
import { toolVersion } from './toolVersion';
import { CloneClass } from '../core/clones/cloneClasses';
import { CloneReport, detectClones } from '../core/clones/cloneDetector';
import { cloneSarif } from '../core/clones/cloneSarif';
import { CLONE_TYPES, cloneSettings, CloneType } from '../core/clones/cloneSettings';
import { scanCloneCorpus } from '../core/clones/cloneSources';
import { ModelCalibration, UnitVectorSource } from '../core/clones/embeddingMatcher';
import { findGrammarsDir } from '../core/parse/grammarsDir';
import { TreeSitterRuntime } from '../core/parse/treeSitterRuntime';
import { ScanReport } from '../core/scan/scanReport';
import { ScanOptions } from '../core/scan/workspaceScanner';
import { UsageError } from './commandLine';
import { defaultIndexDir, indexFolder } from './searchCommands';
import { reportText } from './unitsOutput';

export type CloneFormat = 'text' | 'json' | 'sarif';
export const CLONE_FORMATS: readonly CloneFormat[] = ['text', 'json', 'sarif'];

export interface ClonesFlags {
  readonly format: string;
  readonly types?: CloneType[];
  readonly minTokens?: number;
  readonly minLines?: number;
  readonly failOn?: number;
  readonly indexDir?: string;
  readonly modelDir: string;
}

/** Parses `--types 1,2,3`. */
export function cloneTypesArgument(value: string): CloneType[] {
  const types = value.split(',').map((part) => Number(part.trim()));
  if (types.length === 0 || types.some((type) => !CLONE_TYPES.includes(type as CloneType))) throw new InvalidArgumentError('expected clone types among 1,2,3,4, comma-separated');
  return types as CloneType[];
}

/** Parses `--fail-on N`: a count of clone classes, 0 or more. */
export function classCountArgument(value: string): number {
  const parsed = Number(value);
  if (!Number.isInteger(parsed) || parsed < 0) throw new InvalidArgumentError('expected a whole number of clone classes (0 or more)');
  return parsed;
}

/**
 * Finds clones in `root` and writes them in the chosen format. Returns the exit code: 1 when `--fail-on N`
 * was given and more than N clone classes were found, else 0.
 */
export async function runClones(root: string, flags: ClonesFlags, options: ScanOptions, signal: AbortSignal, write: (text: string) => void): Promise<number> {
  if (!CLONE_FORMATS.includes(flags.format as CloneFormat)) throw new UsageError(`--format must be one of ${CLONE_FORMATS.join(', ')}`);
  let settings;
  try {
    settings = cloneSettings({ types: flags.types, minTokens: flags.minTokens, minLines: flags.minLines });
  } catch (error) {
    throw new UsageError(error instanceof Error ? error.message : String(error));
  }
  const started = performance.now();
  const grammarsDir = findGrammarsDir(__dirname);
  let vectorOf: UnitVectorSource | undefined;
  let model: ModelCalibration | undefined;
  let release = async (): Promise<void> => {};
  if (settings.types.includes(4)) {
    // Type 4 reads unit embeddings from the search index, bringing it up to date first (shared with search).
    const indexed = await indexFolder(root, flags.indexDir ? resolve(flags.indexDir) : defaultIndexDir(root), flags.modelDir, options, grammarsDir, undefined, signal, flags.format !== 'text');
    const embedder = indexed.embedder;
    if (!embedder) throw new Error(`Type 4 clones need the encoder, which did not load (${indexed.encoderProblem}); leave Type 4 out with --types 1,2,3`);
    release = () => embedder.dispose();
    model = embedder;
    vectorOf = (unit) => {
      const stored = indexed.store.vector(unit.hash);
      return stored ? Float32Array.from(stored.codes, (code) => code * stored.scale) : undefined;
    };
  }
  let classCount = 0;
  try {
    const runtime = await TreeSitterRuntime.create(grammarsDir);
    const { corpus, report: scan } = await scanCloneCorpus(root, runtime, options, signal);
    const report = detectClones(corpus, settings, vectorOf, model);
    const seconds = (performance.now() - started) / 1000;
    if (flags.format === 'json') write(`${JSON.stringify(clonesJson(report, scan, seconds))}\n`);
    else if (flags.format === 'sarif') write(`${JSON.stringify(cloneSarif(report.classes, { name: 'astrolabe', version: toolVersion() }), null, 1)}\n`);
    else write(clonesText(report, scan, seconds));
    classCount = report.classes.length;
  } finally {
    await release();
  }
  return failsOn(classCount, flags.failOn) ? 1 : 0;
}

/** Whether `--fail-on N` fails the run: more than N classes. */
export function failsOn(classCount: number, failOn: number | undefined): boolean {
  return failOn !== undefined && classCount > failOn;
}

export function clonesJson(report: CloneReport, scan: ScanReport, seconds: number): object {
  return {
    classes: report.classes.map((cloneClass) => ({
      type: cloneClass.type,
      similarity: round(cloneClass.similarity),
      lines: cloneClass.lines,
      instances: cloneClass.instances.map((instance) => ({ file: instance.file, start_line: instance.startLine, end_line: instance.endLine, tokens: instance.tokens, ...(instance.unit ? { unit: instance.unit.name, kind: instance.unit.kind } : {}) })),
      pairs: cloneClass.pairs.map((pair) => ({ a: pair.a, b: pair.b, type: pair.type, similarity: round(pair.similarity) })),
    })),
    summary: { files: report.files, lines: report.lines, tokens: report.tokens, units: report.units, pairs: report.pairCounts, classes: report.classes.length, seconds: round(seconds) },
    report: { seen: scan.seen, parsed: scan.parsed, skipped: scan.skipped },
  };
}

const TYPE_NAMES: Record<CloneType, string> = { 1: 'copies', 2: 'copies, renamed', 3: 'edited copies', 4: 'similar code' };

export function clonesText(report: CloneReport, scan: ScanReport, seconds: number): string {
  const lines: string[] = [];
  report.classes.forEach((cloneClass: CloneClass, index) => {
    const similarity = cloneClass.type === 1 ? '' : `, similarity ≥ ${cloneClass.similarity.toFixed(2)}`;
    lines.push(`${index + 1}. Type ${cloneClass.type} (${TYPE_NAMES[cloneClass.type]}): ${cloneClass.instances.length} instances, ${cloneClass.lines} lines${similarity}`);
    for (const instance of cloneClass.instances) {
      lines.push(`     ${instance.file}:${instance.startLine}-${instance.endLine}${instance.unit ? `  ${instance.unit.kind} ${instance.unit.name}` : ''}`);
    }
  });
  const pairs = Object.entries(report.pairCounts).filter(([, count]) => count > 0).map(([type, count]) => `${count} Type ${type}`).join(', ') || 'none';
  lines.push(`${report.classes.length} clone classes (pairs: ${pairs}) in ${report.files} files, ${report.lines} lines, ${report.units} units, in ${seconds.toFixed(1)} s`);
  lines.push(reportText(scan));
  return `${lines.join('\n')}\n`;
}

function round(value: number): number {
  return Math.round(value * 1e4) / 1e4;
}
