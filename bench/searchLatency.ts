import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { IndexStore } from '../src/core/index/indexStore';
import { quantizeVector } from '../src/core/index/int8Vectors';
import { SearchIndex, SearchMode } from '../src/core/search/searchIndex';
import { BenchRow } from './benchTable';

const DIMENSION = 256;
const QUERIES = 50;

/**
 * Query latency of exact search at 10k, 100k and 1M units: synthetic unit vectors (latency does not
 * depend on what vectors hold) and synthetic terms, p50 and p95 over queries, hybrid and vector-only.
 */
export async function benchSearchLatency(sizes = [10_000, 100_000, 1_000_000]): Promise<BenchRow[]> {
  const rows: BenchRow[] = [];
  for (const size of sizes) {
    const folder = mkdtempSync(join(tmpdir(), 'astrolabe-latency-'));
    try {
      const random = seeded(size);
      const { store } = IndexStore.open(folder, { modelId: 'synthetic', dimension: DIMENSION });
      const vocabulary = Array.from({ length: 5000 }, (_, i) => `term${i}`);
      let units = [];
      for (let i = 0; i < size; i++) {
        const hash = i.toString(16).padStart(32, '0');
        store.addVector(hash, quantizeVector(unitVector(random)));
        const terms = Array.from({ length: 30 }, () => vocabulary[Math.floor(random() ** 2 * vocabulary.length)]!).join(' ');
        units.push({ language: 'python' as const, kind: 'function' as const, name: `f${i}`, startLine: 1, endLine: 5, hash, terms });
        if (units.length === 100) { store.setFile(`file${i}.py`, { mtimeMs: 0, size: 0, units }); units = []; }
      }
      const built = performance.now();
      const index = SearchIndex.fromStore(store);
      const buildSeconds = (performance.now() - built) / 1000;
      const measure = (mode: SearchMode): number[] => {
        const times: number[] = [];
        for (let q = 0; q < QUERIES; q++) {
          const vector = Float32Array.from(unitVector(random));
          const terms = Array.from({ length: 4 }, () => vocabulary[Math.floor(random() * vocabulary.length)]!);
          const started = performance.now();
          index.search(vector, terms, { k: 10, mode });
          times.push(performance.now() - started);
        }
        return times.sort((a, b) => a - b);
      };
      for (const mode of ['vector', 'hybrid'] as const) {
        const times = measure(mode);
        rows.push({
          bench: 'search latency',
          case: `${size.toLocaleString('en')} units, ${DIMENSION} dims int8, exact, ${mode}`,
          metrics: { 'p50 ms': times[Math.floor(QUERIES * 0.5)]!, 'p95 ms': times[Math.floor(QUERIES * 0.95)]!, 'load s': buildSeconds, 'heap MB': process.memoryUsage().heapUsed / 1e6 },
          ...(size === 100_000 ? { bar: { metric: 'p50 ms', atMost: 30 } } : {}),
        });
      }
    } finally {
      rmSync(folder, { recursive: true, force: true });
    }
  }
  return rows;
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
