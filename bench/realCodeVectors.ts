import { existsSync, mkdirSync, readdirSync, readFileSync } from 'node:fs';
import { homedir } from 'node:os';
import { join } from 'node:path';
import { writeFileAtomic } from '../src/core/index/atomicFile';
import { Int8Vector, quantizeVector } from '../src/core/index/int8Vectors';
import { UnitEmbedder } from '../src/core/model/unitEmbedder';
import { CodeUnit } from '../src/core/parse/codeUnit';
import { findGrammarsDir } from '../src/core/parse/grammarsDir';
import { LanguageId } from '../src/core/parse/languages';
import { TreeSitterRuntime } from '../src/core/parse/treeSitterRuntime';
import { DEFAULT_SCAN_OPTIONS, scanFolder, ScanOptions } from '../src/core/scan/workspaceScanner';

/** Real code units embedded with a real encoder: what ANN recall is measured on (random vectors flatter it). */
export interface RealCodeVectors {
  readonly modelId: string;
  readonly dimension: number;
  /** Distinct units (by hash) to index, with their int8 vectors. */
  readonly units: readonly { readonly file: string; readonly language: LanguageId; readonly hash: string }[];
  readonly vectors: readonly Int8Vector[];
  /** Vectors of held-out units, not in `units`: "find similar code" queries. */
  readonly queries: readonly Float32Array[];
}

/** Every HOLD_OUT-th distinct unit becomes a query instead of an indexed unit. */
const HOLD_OUT = 200;
const CACHE_DIR = join(homedir(), '.cache', 'astrolabe', 'bench-vectors');

/**
 * `count` distinct real code units (the repository's node_modules, then the Python standard library and
 * Debian's Python packages, in walk order), embedded with the encoder in `modelDir`. Embedding 100k units
 * takes minutes, so the vectors are cached in ~/.cache/astrolabe/bench-vectors/ per model, dimension and count.
 */
export async function realCodeVectors(repoRoot: string, modelDir: string, count: number): Promise<RealCodeVectors> {
  const runtime = await TreeSitterRuntime.create(findGrammarsDir(join(repoRoot, 'dist')));
  const embedder = await UnitEmbedder.load(modelDir, runtime, { threads: 2 });
  try {
    const cacheBase = join(CACHE_DIR, `${embedder.modelId}-d${embedder.dimension}-n${count}`);
    const cached = readCache(cacheBase, embedder.modelId, embedder.dimension);
    if (cached) return cached;

    const options: ScanOptions = { ...DEFAULT_SCAN_OPTIONS, exclude: [], respectGitignore: false, maxFileSizeBytes: 64 * 1024 * 1024 };
    const distinct = new Map<string, CodeUnit>();
    const wanted = count + Math.ceil(count / (HOLD_OUT - 1));
    scan: for (const source of codeSources(repoRoot)) {
      for await (const file of scanFolder(source, runtime, options)) {
        if (file.type !== 'parsed') continue;
        for (const unit of file.units) {
          if (!distinct.has(unit.hash)) distinct.set(unit.hash, { ...unit, file: join(source, unit.file) });
          if (distinct.size >= wanted) break scan;
        }
      }
    }
    const all = [...distinct.values()];
    // Batches of similar length waste the least padding.
    const order = all.map((_, i) => i).sort((a, b) => all[a]!.text.length - all[b]!.text.length);
    const floats: Float32Array[] = new Array(all.length);
    const started = performance.now();
    for (let i = 0; i < order.length; i += 256) {
      const batch = order.slice(i, i + 256);
      const embedded = await embedder.embedUnits(batch.map((id) => all[id]!));
      batch.forEach((id, j) => { floats[id] = embedded[j]!; });
      if ((i / 256) % 40 === 0) process.stderr.write(`bench: embedded ${i.toLocaleString('en')} of ${all.length.toLocaleString('en')} real units (${((performance.now() - started) / 1000).toFixed(0)} s)\n`);
    }
    const units: { file: string; language: LanguageId; hash: string }[] = [];
    const vectors: Int8Vector[] = [];
    const queries: Float32Array[] = [];
    all.forEach((unit, i) => {
      if (i % HOLD_OUT === HOLD_OUT - 1) queries.push(floats[i]!);
      else {
        units.push({ file: unit.file, language: unit.language, hash: unit.hash });
        vectors.push(quantizeVector(floats[i]!));
      }
    });
    const result = { modelId: embedder.modelId, dimension: embedder.dimension, units, vectors, queries };
    writeCache(cacheBase, result);
    return result;
  } finally {
    await embedder.dispose();
  }
}

function codeSources(repoRoot: string): string[] {
  const python = existsSync('/usr/lib') ? readdirSync('/usr/lib').filter((name) => /^python3\.\d+$/.test(name)).sort().map((name) => join('/usr/lib', name)) : [];
  return [join(repoRoot, 'node_modules'), ...python, '/usr/lib/python3/dist-packages'].filter((dir) => existsSync(dir));
}

// Cache: <base>.bin holds the int8 codes, then the float32 scales, then the float32 queries; <base>.json
// the units and counts, written last, so a .json always describes a complete .bin.
function writeCache(base: string, vectors: RealCodeVectors): void {
  mkdirSync(CACHE_DIR, { recursive: true });
  const { dimension } = vectors;
  const codes = new Int8Array(vectors.vectors.length * dimension);
  const scales = new Float32Array(vectors.vectors.length);
  vectors.vectors.forEach((vector, i) => { codes.set(vector.codes, i * dimension); scales[i] = vector.scale; });
  const queries = new Float32Array(vectors.queries.length * dimension);
  vectors.queries.forEach((query, i) => queries.set(query, i * dimension));
  writeFileAtomic(`${base}.bin`, Buffer.concat([Buffer.from(codes.buffer), Buffer.from(scales.buffer), Buffer.from(queries.buffer)]));
  writeFileAtomic(`${base}.json`, JSON.stringify({ modelId: vectors.modelId, dimension, queries: vectors.queries.length, units: vectors.units }));
}

function readCache(base: string, modelId: string, dimension: number): RealCodeVectors | undefined {
  if (!existsSync(`${base}.json`) || !existsSync(`${base}.bin`)) return undefined;
  const meta = JSON.parse(readFileSync(`${base}.json`, 'utf8')) as { modelId: string; dimension: number; queries: number; units: RealCodeVectors['units'] };
  const bytes = readFileSync(`${base}.bin`);
  const n = meta.units.length;
  if (meta.modelId !== modelId || meta.dimension !== dimension || bytes.length !== n * dimension + n * 4 + meta.queries * dimension * 4) return undefined;
  const copy = new Uint8Array(bytes).buffer; // aligned for the float views
  const scales = new Float32Array(copy, n * dimension, n);
  const vectors = meta.units.map((_, i) => ({ codes: new Int8Array(copy, i * dimension, dimension), scale: scales[i]! }));
  const queryStart = n * dimension + n * 4;
  const queries = Array.from({ length: meta.queries }, (_, i) => new Float32Array(copy, queryStart + i * dimension * 4, dimension));
  return { modelId, dimension, units: meta.units, vectors, queries };
}
