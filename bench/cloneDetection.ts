// Clone detection: Type 1-2 recall against jscpd on real code, wall time and memory side by side;
// POJ-104 MAP@R of the Type-4 representation and the precision of Types 1-3 there; 100k -> 1M lines scaling.
import { execFileSync, spawnSync } from 'node:child_process';
import { cpSync, existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, relative } from 'node:path';
import { clonePairs, CloneReport, detectClones } from '../src/core/clones/cloneDetector';
import { centredRows, ModelCalibration, type4Threshold, UnitVectorSource } from '../src/core/clones/embeddingMatcher';
import { cloneSettings, DEFAULT_CLONE_SETTINGS } from '../src/core/clones/cloneSettings';
import { CloneCorpusBuilder } from '../src/core/clones/cloneSources';
import { quantizeVector } from '../src/core/index/int8Vectors';
import { UnitEmbedder } from '../src/core/model/unitEmbedder';
import { findGrammarsDir } from '../src/core/parse/grammarsDir';
import { languageForPath } from '../src/core/parse/languages';
import { TreeSitterRuntime } from '../src/core/parse/treeSitterRuntime';
import { decodeSourceFile } from '../src/core/scan/fileContent';
import { BenchRow, median } from './benchTable';
import { loadPoj104, sharedEvalDir } from './evalData';
import { mapAtR } from './evalScores';
import { parseCorpus } from './parseThroughput';

const REPEATS = 3;

export async function benchCloneDetection(repoRoot: string, modelDir: string): Promise<BenchRow[]> {
  const rows: BenchRow[] = [];
  rows.push(...jscpdComparison(repoRoot));
  rows.push(...await poj104(repoRoot, modelDir));
  rows.push(...scaling(repoRoot));
  return rows;
}

// ---------- jscpd side by side ----------

/** Real code both tools read: JavaScript and TypeScript of npm packages (sources, d.ts and builds). */
function jscpdCorpus(repoRoot: string, into: string): void {
  for (const [from, name] of [['@azure', 'azure'], ['mocha/lib', 'mocha'], ['@vscode/vsce/out', 'vsce'], ['commander', 'commander']] as const) {
    const source = join(repoRoot, 'node_modules', from);
    if (!existsSync(source)) continue;
    // Copied out: jscpd leaves node_modules paths out. Only languages both tools parse.
    cpSync(source, join(into, name), { recursive: true, filter: (path) => statSync(path).isDirectory() || /\.(m?js|cjs|ts|mts|cts|tsx|jsx)$/.test(path) });
  }
}

interface Timed { seconds: number; peakMB: number; stdout: string }

/** Runs a command under GNU time: wall seconds and peak resident memory of the process tree's largest. */
function timed(command: string, args: string[], cwd: string): Timed {
  const result = spawnSync('/usr/bin/time', ['-f', '%e %M', command, ...args], { cwd, encoding: 'utf8', maxBuffer: 1 << 30 });
  if (result.status !== 0) throw new Error(`${command} ${args.join(' ')} failed (${result.status}): ${result.stderr.slice(-2000)}`);
  const [seconds, kilobytes] = result.stderr.trim().split('\n').pop()!.split(' ').map(Number);
  return { seconds: seconds!, peakMB: kilobytes! / 1024, stdout: result.stdout };
}

interface Range { file: string; start: number; end: number }

function jscpdComparison(repoRoot: string): BenchRow[] {
  if (!existsSync('/usr/bin/time')) throw new Error('the jscpd comparison measures with /usr/bin/time (Debian package "time")');
  const work = mkdtempSync(join(tmpdir(), 'astrolabe-clones-'));
  try {
    const corpus = join(work, 'corpus');
    jscpdCorpus(repoRoot, corpus);
    const jscpd = join(repoRoot, 'node_modules', 'jscpd', 'bin', 'jscpd');
    const cli = join(repoRoot, 'dist', 'cli.js');
    const ours: Timed[] = [];
    const theirs: Timed[] = [];
    for (let round = 0; round < REPEATS; round++) {
      // jscpd at its defaults (min 50 tokens, 5 lines, mode mild), JSON report; Astrolabe's Type 1-2 at its defaults.
      theirs.push(timed(process.execPath, [jscpd, corpus, '--reporters', 'json', '--output', join(work, 'jscpd'), '--silent'], work));
      ours.push(timed(process.execPath, [cli, 'clones', corpus, '--types', '1,2', '--format', 'json'], work));
    }
    const report = JSON.parse(readFileSync(join(work, 'jscpd', 'jscpd-report.json'), 'utf8')) as { statistics: { total: { lines: number; sources: number } }; duplicates: { firstFile: { name: string; start: number; end: number }; secondFile: { name: string; start: number; end: number } }[] };
    const output = JSON.parse(ours[ours.length - 1]!.stdout) as { classes: { type: number; instances: { file: string; start_line: number; end_line: number }[]; pairs: unknown[] }[]; summary: { files: number; lines: number } };
    const toRange = (side: { name: string; start: number; end: number }): Range => ({ file: relative(corpus, join(work, side.name)), start: Math.min(side.start, side.end), end: Math.max(side.start, side.end) });
    const pairs = report.duplicates.map((pair) => [toRange(pair.firstFile), toRange(pair.secondFile)] as const);
    // Where our instances are, by file: (start, end, class, instance).
    const byFile = new Map<string, [number, number, number, number][]>();
    output.classes.forEach((cloneClass, classIndex) => cloneClass.instances.forEach((instance, index) => {
      const list = byFile.get(instance.file) ?? [];
      list.push([instance.start_line, instance.end_line, classIndex, index]);
      byFile.set(instance.file, list);
    }));
    /** Whether one of our classes holds both ranges, as two instances overlapping them (by at least `share` of jscpd's lines). */
    const found = (a: Range, b: Range, share: number): boolean => {
      const hits = (range: Range) => (byFile.get(range.file) ?? []).filter(([start, end]) => {
        const overlap = Math.min(end, range.end) - Math.max(start, range.start) + 1;
        return overlap > 0 && overlap >= share * (range.end - range.start + 1);
      });
      const bHits = hits(b);
      return hits(a).some(([, , classA, instanceA]) => bHits.some(([, , classB, instanceB]) => classA === classB && instanceA !== instanceB));
    };
    const missed = pairs.filter(([a, b]) => !found(a, b, 0.5));
    const missedAny = pairs.filter(([a, b]) => !found(a, b, 1e-9)).length;
    // Our classes that no jscpd pair touches: what Astrolabe reports beyond jscpd (mostly renamed copies).
    const touched = new Set<number>();
    for (const [a, b] of pairs) for (const range of [a, b]) for (const [start, end, classIndex] of byFile.get(range.file) ?? []) if (start <= range.end && end >= range.start) touched.add(classIndex);
    const extra = output.classes.filter((_, index) => !touched.has(index));
    const tinyMissed = missed.filter(([a, b]) => Math.max(a.end - a.start, b.end - b.start) + 1 < 8).length;
    const ourSeconds = median(ours.map((run) => run.seconds));
    const theirSeconds = median(theirs.map((run) => run.seconds));
    writeFileSync(join(repoRoot, 'bench', 'results', 'clone-detection-jscpd-missed.json'), `${JSON.stringify(missed.slice(0, 200), null, 1)}\n`);
    return [
      {
        bench: 'clone detection',
        case: `vs jscpd 4.3.0 at defaults on npm packages' JS/TS (@azure/*, mocha, vsce, commander): ${output.summary.files} files, ${output.summary.lines} lines`,
        metrics: {
          'jscpd pairs': pairs.length,
          'found (both sides ≥50% overlapped, same class)': pairs.length - missed.length,
          recall: (pairs.length - missed.length) / pairs.length,
          'recall, any overlap': (pairs.length - missedAny) / pairs.length,
          'missed pairs': missed.length,
          'missed pairs under 8 lines': tinyMissed,
          'Astrolabe Type 1-2 classes': output.classes.length,
          'of them Type 2': output.classes.filter((cloneClass) => cloneClass.type === 2).length,
          'classes jscpd has no pair in': extra.length,
        },
        bar: { metric: 'recall', atLeast: 0.95 },
      },
      {
        bench: 'clone detection',
        case: `wall time and peak memory, whole process, median of ${REPEATS} alternating runs`,
        metrics: {
          'Astrolabe s': ourSeconds,
          'jscpd s': theirSeconds,
          'wall-time ratio (Astrolabe / jscpd)': ourSeconds / theirSeconds,
          'Astrolabe peak RSS MB': median(ours.map((run) => run.peakMB)),
          'jscpd peak RSS MB': median(theirs.map((run) => run.peakMB)),
        },
        bar: { metric: 'wall-time ratio (Astrolabe / jscpd)', atMost: 1 },
      },
    ];
  } finally {
    rmSync(work, { recursive: true, force: true });
  }
}

// ---------- POJ-104 ----------

/** Only the POJ-104 rows (`clone-poj104`): what changes with the encoder, without the slow jscpd and scaling runs. */
export async function benchClonePoj104(repoRoot: string, modelDir: string): Promise<BenchRow[]> {
  return poj104(repoRoot, modelDir);
}

async function poj104(repoRoot: string, modelDir: string): Promise<BenchRow[]> {
  const set = loadPoj104(sharedEvalDir(repoRoot));
  const runtime = await TreeSitterRuntime.create(findGrammarsDir(join(repoRoot, 'dist')));
  const embedder = await UnitEmbedder.load(modelDir, runtime, { threads: 2 });
  // The vectors are centred below on 6,000 programs' own mean: only the model's threshold is needed.
  const calibration: ModelCalibration = { type4Similarity: embedder.type4Similarity };
  let vectors: Float32Array[] = [];
  try {
    // As the index stores them: each program a unit, embedded, kept in int8.
    for (let start = 0; start < set.programs.length; start += 64) {
      const batch = await embedder.embedUnits(set.programs.slice(start, start + 64).map((program) => ({ text: program.code, language: 'cpp' as const })));
      vectors.push(...batch.map((vector) => {
        const stored = quantizeVector(vector);
        return Float32Array.from(stored.codes, (code) => code * stored.scale);
      }));
    }
  } finally {
    await embedder.dispose();
  }
  const dimension = vectors[0]!.length;
  const normalized = new Float32Array(vectors.length * dimension);
  vectors.forEach((vector, row) => {
    const norm = Math.hypot(...vector) || 1;
    for (let d = 0; d < dimension; d++) normalized[row * dimension + d] = vector[d]! / norm;
  });
  const centred = centredRows(vectors, dimension);
  vectors = [];
  const encoderMap = mapAtR(set, normalized, dimension);
  const type4Map = mapAtR(set, centred, dimension);

  // Types 1-3 and Type 4 at their defaults over the 6,000 programs as one workspace: each pair's two
  // programs should solve the same problem.
  const builder = await CloneCorpusBuilder.create(runtime, ['cpp']);
  set.programs.forEach((program, index) => builder.addText(`${index}.cpp`, 'cpp', program.code));
  builder.dispose();
  const labelOf = (file: string) => set.programs[Number(file.replace('.cpp', ''))]!.label;
  const programOfUnit = new Map(builder.corpus.units.map((unit) => [unit, Number(builder.corpus.files[unit.file]!.path.replace('.cpp', ''))]));
  const vectorOf: UnitVectorSource = (unit) => {
    const row = programOfUnit.get(unit)!;
    return centred.subarray(row * dimension, (row + 1) * dimension);
  };
  const started = performance.now();
  const report = detectClones(builder.corpus, DEFAULT_CLONE_SETTINGS, vectorOf, calibration);
  const seconds = (performance.now() - started) / 1000;
  // Pairs across programs, each with whether its two programs solve the same problem.
  const labelledPairs = (found: CloneReport) => clonePairs(found)
    .filter(({ a, b }) => a.file !== b.file) // within one program: says nothing about the labels
    .map(({ type, similarity, a, b }) => ({ type, similarity, same: labelOf(a.file) === labelOf(b.file) }));
  const precision: Record<string, number> = {};
  const atDefaults = labelledPairs(report);
  for (const type of [1, 2, 3, 4]) {
    const ofType = atDefaults.filter((pair) => pair.type === type);
    precision[`Type ${type} pairs`] = ofType.length;
    precision[`Type ${type} precision`] = ofType.length > 0 ? ofType.filter((pair) => pair.same).length / ofType.length : NaN;
  }
  // The Type-4 threshold depends on how a model spreads its cosines: pairs and precision at each threshold.
  const sweepFloor = 0.6;
  const semantic = labelledPairs(detectClones(builder.corpus, cloneSettings({ type4Similarity: sweepFloor }), vectorOf)).filter((pair) => pair.type === 4);
  const sweep: Record<string, number> = {};
  for (const threshold of [0.6, 0.65, 0.7, 0.75, 0.8, 0.85, 0.9]) {
    const kept = semantic.filter((pair) => pair.similarity >= threshold);
    sweep[`>= ${threshold.toFixed(2)} pairs`] = kept.length;
    sweep[`>= ${threshold.toFixed(2)} precision`] = kept.length > 0 ? kept.filter((pair) => pair.same).length / kept.length : NaN;
  }
  return [
    {
      bench: 'clone detection',
      case: 'POJ-104 dev MAP@R (R = 499): the encoder\'s int8 unit vectors as indexed, raw vs Type-4 representation (workspace-centred)',
      metrics: { 'encoder MAP@R': encoderMap, 'Type-4 representation MAP@R': type4Map, 'difference': type4Map - encoderMap },
      bar: { metric: 'difference', atLeast: 0 },
    },
    {
      bench: 'clone detection',
      case: `POJ-104 dev as one workspace, default settings (Type 4 at ${type4Threshold(DEFAULT_CLONE_SETTINGS, calibration)}): pairs across programs, precision = same problem (12 classes: chance 0.083); detection ${seconds.toFixed(1)} s`,
      metrics: precision,
    },
    {
      bench: 'clone detection',
      case: `POJ-104 dev as one workspace, Type 4 by threshold: pairs across programs and their precision`,
      metrics: sweep,
    },
  ];
}

// ---------- scaling ----------

/** Source files of real code bases on this machine, in a fixed pseudo-random order. */
function scalingFiles(repoRoot: string): { path: string; lines: number }[] {
  const roots = [join(repoRoot, 'node_modules'), ...parseCorpus(repoRoot).filter((root) => !root.path.includes('node_modules')).map((root) => root.path), '/usr/include'];
  const files: string[] = [];
  const visit = (dir: string, depth: number): void => {
    let entries;
    try { entries = readdirSync(dir, { withFileTypes: true }); } catch { return; }
    for (const entry of entries) {
      const path = join(dir, entry.name);
      if (entry.isDirectory() && depth < 12) visit(path, depth + 1);
      else if (entry.isFile() && languageForPath(path)) files.push(path);
    }
  };
  for (const root of roots) if (existsSync(root)) visit(root, 0);
  files.sort();
  let seed = 12345;
  const random = () => ((seed = (Math.imul(seed, 1103515245) + 12345) >>> 0) / 2 ** 32);
  for (let i = files.length - 1; i > 0; i--) {
    const j = Math.floor(random() * (i + 1));
    [files[i], files[j]] = [files[j]!, files[i]!];
  }
  const result: { path: string; lines: number }[] = [];
  let total = 0;
  for (const path of files) {
    if (total >= 1_000_000) break;
    const bytes = readFileSync(path);
    if (bytes.length > 1024 * 1024 || !decodeSourceFile(path, bytes).ok) continue; // as a scan would skip them
    const lines = bytes.toString('utf8').split('\n').length;
    result.push({ path, lines });
    total += lines;
  }
  return result;
}

function scaling(repoRoot: string): BenchRow[] {
  const files = scalingFiles(repoRoot);
  const work = mkdtempSync(join(tmpdir(), 'astrolabe-scale-'));
  try {
    const measure = (lines: number) => {
      const chosen: string[] = [];
      let total = 0;
      for (const file of files) {
        if (total >= lines) break;
        chosen.push(file.path);
        total += file.lines;
      }
      const list = join(work, `files-${lines}.txt`);
      writeFileSync(list, chosen.join('\n'));
      // A child process per size, so its peak memory is its own.
      const output = execFileSync(process.execPath, ['--max-old-space-size=8192', __filename, '--scale-child', list, findGrammarsDir(join(repoRoot, 'dist'))], { encoding: 'utf8', maxBuffer: 1 << 26 });
      return JSON.parse(output.trim().split('\n').pop()!) as { files: number; lines: number; tokens: number; seconds: number; detectSeconds: number; peakMB: number; classes: number };
    };
    const small = measure(100_000);
    const large = measure(1_000_000);
    const growth = (large.seconds / small.seconds) / (large.lines / small.lines);
    return [
      { bench: 'clone detection', case: `Types 1-3, ~100k lines (node_modules, Python stdlib, /usr/include: ${small.files} files)`, metrics: { lines: small.lines, tokens: small.tokens, 'seconds (read, parse, detect)': small.seconds, 'detect s': small.detectSeconds, 'peak RSS MB': small.peakMB, classes: small.classes } },
      { bench: 'clone detection', case: `Types 1-3, ~1M lines (${large.files} files)`, metrics: { lines: large.lines, tokens: large.tokens, 'seconds (read, parse, detect)': large.seconds, 'detect s': large.detectSeconds, 'peak RSS MB': large.peakMB, classes: large.classes } },
      {
        bench: 'clone detection',
        case: '100k -> 1M lines: time ratio over line ratio (1 = linear)',
        metrics: { 'time ratio': large.seconds / small.seconds, 'line ratio': large.lines / small.lines, 'growth over linear': growth },
        bar: { metric: 'growth over linear', atMost: 1.5 },
      },
    ];
  } finally {
    rmSync(work, { recursive: true, force: true });
  }
}

/** The scaling child: reads, parses and searches the listed files for Types 1-3; prints one JSON line. */
async function scaleChild(listFile: string, grammarsDir: string): Promise<void> {
  const started = performance.now();
  const runtime = await TreeSitterRuntime.create(grammarsDir);
  const builder = await CloneCorpusBuilder.create(runtime);
  for (const path of readFileSync(listFile, 'utf8').split('\n')) {
    const language = languageForPath(path);
    if (language) builder.addText(path, language.id, readFileSync(path, 'utf8'));
  }
  builder.dispose();
  builder.corpus.trim();
  const detectStarted = performance.now();
  const report = detectClones(builder.corpus, cloneSettings({ types: [1, 2, 3] }));
  const now = performance.now();
  process.stdout.write(`${JSON.stringify({ files: report.files, lines: report.lines, tokens: report.tokens, seconds: (now - started) / 1000, detectSeconds: (now - detectStarted) / 1000, peakMB: process.resourceUsage().maxRSS / 1024, classes: report.classes.length })}\n`);
}

if (require.main === module && process.argv[2] === '--scale-child') {
  mkdirSync(dirname(process.argv[3]!), { recursive: true });
  scaleChild(process.argv[3]!, process.argv[4]!).catch((error: unknown) => {
    process.stderr.write(`${error instanceof Error ? error.stack : String(error)}\n`);
    process.exitCode = 1;
  });
}
