import { appendFileSync, cpSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { IndexStore } from '../src/core/index/indexStore';
import { updateIndex } from '../src/core/index/workspaceIndexer';
import { UnitEmbedder } from '../src/core/model/unitEmbedder';
import { CodeUnit } from '../src/core/parse/codeUnit';
import { findGrammarsDir } from '../src/core/parse/grammarsDir';
import { TreeSitterRuntime } from '../src/core/parse/treeSitterRuntime';
import { DEFAULT_SCAN_OPTIONS, scanFolder, ScanOptions } from '../src/core/scan/workspaceScanner';
import { BenchRow } from './benchTable';

/**
 * Full indexing of a large real code base (the typescript package's JavaScript), against embedding the
 * same units alone; then re-indexing after an edit to one file; index size on disk; peak memory.
 */
export async function benchIndexThroughput(repoRoot: string, modelDir: string, source = join(repoRoot, 'node_modules', 'typescript', 'lib')): Promise<BenchRow[]> {
  const work = mkdtempSync(join(tmpdir(), 'astrolabe-index-bench-'));
  try {
    const root = join(work, 'code');
    cpSync(source, root, { recursive: true });
    const options: ScanOptions = { ...DEFAULT_SCAN_OPTIONS, exclude: [], maxFileSizeBytes: 64 * 1024 * 1024 };
    const runtime = await TreeSitterRuntime.create(findGrammarsDir(join(repoRoot, 'dist')));
    const embedder = await UnitEmbedder.load(modelDir, runtime, { threads: 2 });
    try {
      const lines = readdirSync(root).filter((name) => name.endsWith('.js')).reduce((sum, name) => sum + readFileSync(join(root, name), 'utf8').split('\n').length, 0);
      const { store } = IndexStore.open(join(work, 'index'), { modelId: embedder.modelId, dimension: embedder.dimension });
      let started = performance.now();
      for await (const _ of updateIndex(root, store, runtime, embedder, options)) { /* progress */ }
      const indexSeconds = (performance.now() - started) / 1000;
      const units = store.unitCount;

      // The encoder alone on the same distinct units (tokenize and embed, no walking, parsing or writing).
      const distinct = new Map<string, CodeUnit>();
      for await (const file of scanFolder(root, runtime, options)) if (file.type === 'parsed') for (const unit of file.units) distinct.set(unit.hash, unit);
      started = performance.now();
      const all = [...distinct.values()];
      for (let i = 0; i < all.length; i += 256) await embedder.embedUnits(all.slice(i, i + 256));
      const embedSeconds = (performance.now() - started) / 1000;

      // Edit one file of median size (append a function) and update: a typical edit, not a 6 MB bundle.
      const bySize = readdirSync(root).filter((name) => name.endsWith('.js')).sort((a, b) => statSync(join(root, a)).size - statSync(join(root, b)).size);
      const edited = bySize[Math.floor(bySize.length / 2)]!;
      appendFileSync(join(root, edited), '\nfunction astrolabeBenchEdit(a, b) { return a + b; }\n');
      started = performance.now();
      for await (const _ of updateIndex(root, store, runtime, embedder, options)) { /* progress */ }
      const reindexSeconds = (performance.now() - started) / 1000;
      const indexBytes = readdirSync(join(work, 'index')).reduce((sum, name) => sum + statSync(join(work, 'index', name)).size, 0);
      return [{
        bench: 'index throughput',
        case: `${source.split('/').slice(-2).join('/')}: ${store.fileCount} files, ${lines.toLocaleString('en')} lines, ${units.toLocaleString('en')} units (${distinct.size.toLocaleString('en')} distinct), ${embedder.modelId}`,
        metrics: {
          'lines/s': lines / indexSeconds,
          'units/s': units / indexSeconds,
          'full index s': indexSeconds,
          'encoder alone s': embedSeconds,
          'indexing/encoder throughput ratio': embedSeconds / indexSeconds,
          're-index after one edit s': reindexSeconds,
          'edited file KB': statSync(join(root, edited)).size / 1024,
          'index KB per 1,000 units': indexBytes / 1024 / (units / 1000),
          'peak RSS MB': process.resourceUsage().maxRSS / 1024,
        },
        bar: { metric: 're-index after one edit s', atMost: 1 },
      }];
    } finally {
      await embedder.dispose();
    }
  } finally {
    rmSync(work, { recursive: true, force: true });
  }
}
