import { mkdtempSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { IndexStore } from '../src/core/index/indexStore';
import { Int8Vector, quantizeVector } from '../src/core/index/int8Vectors';
import { LanguageId } from '../src/core/parse/languages';
import { AnnIndex, DEFAULT_ANN_PARAMETERS } from '../src/core/search/annIndex';
import { SearchHit, SearchIndex, SearchMode, SearchOptions } from '../src/core/search/searchIndex';
import { BenchRow } from './benchTable';
import { realCodeVectors } from './realCodeVectors';

const DIMENSION = 256;
/** Queries per case: p50 and p95 of their latencies, recall averaged over them. */
const QUERIES = 200;
/** Real units embedded for the recall rows (and the 10k and 100k rows). */
const REAL_UNITS = 120_000;
/** The HNSW search sizes tried on real vectors (usearch's expansion_search; it searches with max(ef, k)). */
const EF_SWEEP = [16, 32, 64, 128];

interface VectorSet {
  readonly real: number;
  vector(i: number): Int8Vector;
  language(i: number): LanguageId;
  readonly queries: readonly Float32Array[];
}

/**
 * Query latency of exact and approximate (HNSW) vector search at 10k, 100k and 1M units, vector-only and
 * hybrid, with the ANN graph's build time, load time and size, and recall@10 of ANN against exact search.
 *
 * With an encoder, the vectors are real code units embedded by it (cached, see realCodeVectors.ts) and
 * the queries held-out real units; past the real units' count (the 1M row) the rest are synthetic:
 * each a real vector plus half of another, normalized. Not uniform random vectors: HNSW's cost and
 * recall depend on the data's distribution, and random 256-dimension vectors, unlike any embedding,
 * are its worst case. Without an encoder everything is uniform random. Terms are synthetic (BM25's cost
 * depends on posting lengths, not on meaning).
 */
export async function benchSearchLatency(repoRoot: string, modelDir: string | undefined, sizes = [10_000, 100_000, 1_000_000]): Promise<BenchRow[]> {
  const vectors = modelDir ? await realVectorSet(repoRoot, modelDir) : randomVectorSet();
  const rows: BenchRow[] = [];
  for (const size of sizes) {
    const folder = mkdtempSync(join(tmpdir(), 'astrolabe-latency-'));
    try {
      const store = syntheticStore(folder, vectors, size);
      const kind = size <= vectors.real ? (modelDir ? 'real vectors' : 'random vectors') : `${vectors.real.toLocaleString('en')} real + synthetic vectors`;
      const label = `${size.toLocaleString('en')} units, ${DIMENSION} dims int8, ${kind}`;
      const queries = vectors.queries.slice(0, QUERIES);
      const terms = queries.map((_, q) => Array.from({ length: 4 }, (__, t) => `term${(q * 7919 + t * 104729) % 5000}`));

      // Everything the exact index answers is measured first and the index dropped before the graph is built: at
      // 1M units the store and two indexes at once outgrow Node's default heap (4.3 GB, against 2.5 GB for one).
      const { loadSeconds, exactRuns, exactFilterRuns } = measureExact(store, queries, terms, size === 100_000 ? FILTERS : []);
      for (const mode of ['vector', 'hybrid'] as const) {
        const run = exactRuns.get(mode)!;
        rows.push({
          bench: 'search latency', case: `${label}, exact, ${mode}`,
          metrics: { 'p50 ms': run.p50, 'p95 ms': run.p95, 'load s': loadSeconds, 'heap MB': run.heapMB },
          ...(size === 100_000 ? { bar: { metric: 'p50 ms', atMost: 30 } } : {}),
        });
      }

      const rssBefore = process.memoryUsage().rss;
      let started = performance.now();
      const approximate = SearchIndex.fromStore(store, { approximateFromUnits: 0 });
      if (approximate.prepareVectorSearch() !== 'approximate') throw new Error('the ANN graph could not be built');
      const buildSeconds = (performance.now() - started) / 1000;
      const graphMB = statSync(join(folder, 'ann-graph.bin')).size / 1e6;
      const rssMB = (process.memoryUsage().rss - rssBefore) / 1e6;
      // What a new process pays instead of the build: read the file, check its checksum, load the graph.
      started = performance.now();
      if (AnnIndex.open(join(folder, 'ann-graph.bin'), store.identity).index.size !== size) throw new Error('the saved graph did not load whole');
      const graphLoadSeconds = (performance.now() - started) / 1000;
      for (const mode of ['vector', 'hybrid'] as const) {
        const run = measure(approximate, queries, terms, { k: 10, mode });
        rows.push({
          bench: 'search latency', case: `${label}, ANN (HNSW M=${DEFAULT_ANN_PARAMETERS.connectivity}, ef=${DEFAULT_ANN_PARAMETERS.expansionSearch}), ${mode}`,
          metrics: {
            'p50 ms': run.p50, 'p95 ms': run.p95, 'recall@10 vs exact': recall(run.results, exactRuns.get(mode)!.results),
            'graph build s': buildSeconds, 'graph load s': graphLoadSeconds, 'graph file MB': graphMB, 'RSS growth at build MB': rssMB,
          },
          ...(size === 100_000 ? { bar: { metric: 'p50 ms', atMost: 30 } } : {}),
        });
      }

      if (size === 100_000) {
        FILTERS.forEach(([name, filter], f) => {
          const exactRun = exactFilterRuns[f]!;
          const run = measure(approximate, queries, terms, { k: 10, mode: 'vector', ...filter });
          rows.push({
            bench: 'search latency', case: `${label}, filter ${name}, vector`,
            metrics: { 'exact p50 ms': exactRun.p50, 'ANN p50 ms': run.p50, 'ANN p95 ms': run.p95, 'ANN recall@10 vs exact': recall(run.results, exactRun.results) },
          });
        });
        if (modelDir) {
          for (const ef of EF_SWEEP) {
            const swept = SearchIndex.fromStore(store, { approximateFromUnits: 0, annParameters: { ...DEFAULT_ANN_PARAMETERS, expansionSearch: ef } });
            swept.prepareVectorSearch();
            const run = measure(swept, queries, terms, { k: 10, mode: 'vector' });
            rows.push({
              bench: 'search latency', case: `${label}, ANN ef=${ef}, vector (real queries: held-out code units)`,
              metrics: { 'p50 ms': run.p50, 'p95 ms': run.p95, 'recall@10 vs exact': recall(run.results, exactRuns.get('vector')!.results) },
              ...(ef === DEFAULT_ANN_PARAMETERS.expansionSearch ? { bar: { metric: 'recall@10 vs exact', atLeast: 0.95 } } : {}),
            });
          }
        }
      }
    } finally {
      rmSync(folder, { recursive: true, force: true });
    }
  }
  return rows;
}

interface Run {
  readonly p50: number;
  readonly p95: number;
  readonly results: readonly string[][];
}

/** The filters measured at 100k units: over-fetch from the graph, or the exact scan when too few candidates pass. */
const FILTERS = [['language python', { languages: ['python'] as LanguageId[] }], ['path glob matching ~1%', { pathGlob: 'dir1/**' }]] as const;

/** Exact search over the store: its load time, unfiltered runs per mode (with the heap in use then), and vector runs per filter. */
function measureExact(store: IndexStore, queries: readonly Float32Array[], terms: readonly string[][], filters: readonly (typeof FILTERS)[number][]) {
  const started = performance.now();
  const exact = SearchIndex.fromStore(store, { approximateFromUnits: Infinity });
  const loadSeconds = (performance.now() - started) / 1000;
  const exactRuns = new Map<SearchMode, Run & { readonly heapMB: number }>();
  for (const mode of ['vector', 'hybrid'] as const) {
    exactRuns.set(mode, { ...measure(exact, queries, terms, { k: 10, mode }), heapMB: process.memoryUsage().heapUsed / 1e6 });
  }
  const exactFilterRuns = filters.map(([, filter]) => measure(exact, queries, terms, { k: 10, mode: 'vector', ...filter }));
  return { loadSeconds, exactRuns, exactFilterRuns };
}

function measure(index: SearchIndex, queries: readonly Float32Array[], terms: readonly string[][], options: SearchOptions): Run {
  const times: number[] = [];
  const results: string[][] = [];
  queries.forEach((query, q) => {
    const started = performance.now();
    const hits: SearchHit[] = index.search(query, terms[q]!, options);
    times.push(performance.now() - started);
    results.push(hits.map((hit) => `${hit.file}#${hit.unit.name}`));
  });
  times.sort((a, b) => a - b);
  return { p50: times[Math.floor(times.length * 0.5)]!, p95: times[Math.floor(times.length * 0.95)]!, results };
}

/** The share of the exact top-10 that the other search found. */
function recall(found: readonly string[][], truth: readonly string[][]): number {
  let hits = 0;
  let total = 0;
  truth.forEach((exact, q) => {
    const set = new Set(found[q]);
    hits += exact.filter((id) => set.has(id)).length;
    total += exact.length;
  });
  return total > 0 ? hits / total : 1;
}

/** `size` units of 100 per file in folders dir0..dir99 (so `dir1/**` matches 1%), with synthetic terms. */
function syntheticStore(folder: string, vectors: VectorSet, size: number): IndexStore {
  const random = seeded(size);
  const { store } = IndexStore.open(folder, { modelId: 'bench', dimension: DIMENSION });
  const vocabulary = Array.from({ length: 5000 }, (_, i) => `term${i}`);
  let units = [];
  for (let i = 0; i < size; i++) {
    const hash = i.toString(16).padStart(32, '0');
    store.addVector(hash, vectors.vector(i));
    const terms = Array.from({ length: 30 }, () => vocabulary[Math.floor(random() ** 2 * vocabulary.length)]!).join(' ');
    units.push({ language: vectors.language(i), kind: 'function' as const, name: `f${i}`, startLine: 1, endLine: 5, hash, terms });
    if (units.length === 100) {
      store.setFile(`dir${Math.floor(i / 100) % 100}/file${i}.src`, { mtimeMs: 0, size: 0, units });
      units = [];
    }
  }
  return store;
}

async function realVectorSet(repoRoot: string, modelDir: string): Promise<VectorSet> {
  const real = await realCodeVectors(repoRoot, modelDir, REAL_UNITS);
  if (real.dimension !== DIMENSION) throw new Error(`the encoder embeds in ${real.dimension} dimensions, the bench wants ${DIMENSION}`);
  const n = real.vectors.length;
  const random = seeded(42);
  const mixed = new Float32Array(DIMENSION);
  return {
    real: n,
    vector(i) {
      if (i < n) return real.vectors[i]!;
      const a = real.vectors[i % n]!;
      const b = real.vectors[Math.floor(random() * n)]!;
      for (let d = 0; d < DIMENSION; d++) mixed[d] = a.codes[d]! * a.scale + 0.5 * b.codes[d]! * b.scale;
      const norm = Math.hypot(...mixed);
      return quantizeVector(mixed.map((x) => x / norm));
    },
    language: (i) => real.units[i % n]!.language,
    queries: real.queries,
  };
}

function randomVectorSet(): VectorSet {
  const random = seeded(7);
  return {
    real: Infinity,
    vector: () => quantizeVector(unitVector(random)),
    language: (i) => (i % 3 === 0 ? 'python' : 'typescript'),
    queries: Array.from({ length: QUERIES }, () => Float32Array.from(unitVector(random))),
  };
}

function seeded(seed: number): () => number {
  let state = seed % 2147483647 || 1;
  return () => (state = (state * 16807) % 2147483647) / 2147483647;
}

function unitVector(random: () => number): number[] {
  const vector = Array.from({ length: DIMENSION }, () => random() - 0.5);
  const norm = Math.hypot(...vector);
  return vector.map((x) => x / norm);
}
