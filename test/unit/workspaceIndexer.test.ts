import assert from 'node:assert/strict';
import { renameSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { IndexStore } from '../../src/core/index/indexStore';
import { IndexProgress, updateIndex, UnitVectors } from '../../src/core/index/workspaceIndexer';
import { defaultEncoderDir } from '../../src/core/model/modelsDir';
import { UnitEmbedder } from '../../src/core/model/unitEmbedder';
import { DEFAULT_SCAN_OPTIONS } from '../../src/core/scan/workspaceScanner';
import { temporaryFolder, treeSitter } from './helpers';

/** The bundled encoder, counting what it is asked to embed. */
class CountingVectors implements UnitVectors {
  embedded = 0;
  constructor(private readonly embedder: UnitEmbedder) {}
  async embedUnits(units: Parameters<UnitVectors['embedUnits']>[0], signal?: AbortSignal): Promise<Float32Array[]> {
    this.embedded += units.length;
    return this.embedder.embedUnits(units, signal);
  }
}

async function run(root: string, folder: string, vectors: UnitVectors, identity: { modelId: string; dimension: number }): Promise<{ progress: IndexProgress; store: IndexStore }> {
  const { store } = IndexStore.open(folder, identity);
  const updates = updateIndex(root, store, await treeSitter(), vectors, DEFAULT_SCAN_OPTIONS);
  let result = await updates.next();
  while (!result.done) result = await updates.next();
  return { progress: result.value, store };
}

describe('incremental indexing with the bundled encoder', () => {
  let embedder: UnitEmbedder;
  before(async () => { embedder = await UnitEmbedder.load(defaultEncoderDir(__dirname), await treeSitter(), { threads: 1 }); });
  after(async () => { await embedder.dispose(); });

  it('indexes a folder, then re-embeds only what changed: nothing, an edit, a rename, a delete', async (t) => {
    const root = temporaryFolder(t);
    const folder = temporaryFolder(t);
    const identity = { modelId: embedder.modelId, dimension: embedder.dimension };
    writeFileSync(join(root, 'shapes.py'), 'def area(r):\n    return 3.14 * r * r\n\ndef perimeter(r):\n    return 2 * 3.14 * r\n');
    writeFileSync(join(root, 'util.ts'), 'export function clamp(x: number, lo: number, hi: number) {\n  return Math.min(hi, Math.max(lo, x));\n}\n');
    writeFileSync(join(root, 'blob.go'), Buffer.from([0, 1, 2, 3]));
    const vectors = new CountingVectors(embedder);

    const first = await run(root, folder, vectors, identity);
    assert.deepEqual(first.progress, { files: 3, toParse: 3, parsed: 3, embedded: 3, removed: 0 });
    assert.equal(first.store.unitCount, 3);

    const again = await run(root, folder, vectors, identity);
    assert.deepEqual(again.progress, { files: 3, toParse: 0, parsed: 0, embedded: 0, removed: 0 }, 'nothing changed: nothing parsed, nothing embedded');

    writeFileSync(join(root, 'shapes.py'), 'def area(r):\n    return 3.14 * r * r\n\ndef perimeter(r):\n    return 2.0 * 3.14159 * r\n');
    const edited = await run(root, folder, vectors, identity);
    assert.equal(edited.progress.parsed, 1);
    assert.equal(edited.progress.embedded, 1, 'only the edited function is embedded again');

    renameSync(join(root, 'util.ts'), join(root, 'helpers.ts'));
    const renamed = await run(root, folder, vectors, identity);
    assert.deepEqual([renamed.progress.parsed, renamed.progress.embedded, renamed.progress.removed], [1, 0, 1], 'a rename re-embeds nothing');
    assert.deepEqual(renamed.store.file('helpers.ts')!.units.map((unit) => unit.name), ['clamp']);

    rmSync(join(root, 'shapes.py'));
    const deleted = await run(root, folder, vectors, identity);
    assert.equal(deleted.progress.removed, 1);
    assert.equal(deleted.store.unitCount, 1);
    assert.equal(vectors.embedded, 4);
  });

  it('a cancelled first indexing keeps what it embedded, and the next run does only the rest', async (t) => {
    const root = temporaryFolder(t);
    const folder = temporaryFolder(t);
    for (let i = 0; i < 300; i++) writeFileSync(join(root, `m${String(i).padStart(3, '0')}.py`), `def f${i}(x):\n    return x + ${i}\n`);
    const identity = { modelId: embedder.modelId, dimension: embedder.dimension };
    const abort = new AbortController();
    const { store } = IndexStore.open(folder, identity);
    let seen = 0;
    await assert.rejects(async () => {
      // Past the first group of 256 embeddings, short of the end.
      for await (const _ of updateIndex(root, store, await treeSitter(), embedder, DEFAULT_SCAN_OPTIONS, abort.signal)) if (++seen === 280) abort.abort(new Error('stop'));
    }, /stop/);
    const kept = IndexStore.open(folder, identity).store.fileCount;
    assert.ok(kept >= 256 && kept < 300, `kept ${kept} files`);
    const vectors = new CountingVectors(embedder);
    const resumed = await run(root, folder, vectors, identity);
    assert.equal(resumed.store.unitCount, 300);
    assert.equal(resumed.progress.parsed, 300 - kept, 'only the files not yet indexed are parsed');
    assert.equal(vectors.embedded, 300 - kept);
  });
});
