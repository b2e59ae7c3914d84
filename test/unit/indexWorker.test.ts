import assert from 'node:assert/strict';
import { cpSync, mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { cloneSettings } from '../../src/core/clones/cloneSettings';
import { IndexWorkerClient } from '../../src/core/index/indexWorkerClient';
import { DEFAULT_SCAN_OPTIONS } from '../../src/core/scan/workspaceScanner';
import { FIXTURES, GRAMMARS, temporaryFolder } from './helpers';

// The bundled worker, as the extension starts it (built by `npm run build`).
const WORKER = join(__dirname, '..', '..', '..', 'dist', 'indexWorker.js');
const MODEL = join(__dirname, '..', '..', '..', 'models', 'encoder');

function workspace(t: { after(fn: () => void): void }): string {
  const root = temporaryFolder(t);
  mkdirSync(join(root, 'src'));
  writeFileSync(join(root, 'src', 'retry.py'), 'def retry_with_backoff(call, attempts):\n    for attempt in range(attempts):\n        try:\n            return call()\n        except OSError:\n            sleep(2 ** attempt)\n');
  writeFileSync(join(root, 'src', 'lines.py'), 'def count_lines(path):\n    with open(path) as f:\n        return sum(1 for _ in f)\n');
  return root;
}

describe('index worker', () => {
  it('indexes with the encoder and answers word, vector and similar-code queries', async (t) => {
    const root = workspace(t);
    const client = new IndexWorkerClient(WORKER, { root, indexDir: join(root, '.index'), modelDir: MODEL, grammarsDir: GRAMMARS, options: DEFAULT_SCAN_OPTIONS, threads: 1 }, () => undefined);
    try {
      const ready = await client.ready;
      assert.equal(ready.encoderProblem, undefined);
      assert.ok(ready.dimension > 0);
      const updated = await client.update();
      assert.equal(updated.units, 2);
      assert.equal((await client.search('retry with backoff', { k: 1, mode: 'hybrid' }))[0]?.name, 'retry_with_backoff');
      const similar = await client.similar('def number_of_lines(name):\n    with open(name) as handle:\n        return len(handle.readlines())\n', 'python', { k: 2, mode: 'vector' });
      assert.equal(similar.length, 2);
    } finally {
      await client.dispose();
    }
  });

  it('indexes at the embedding size asked for when the model offers it, else at its full size', async (t) => {
    for (const [asked, expected] of [[64, 64], [100, 256]] as const) {
      const root = workspace(t);
      const client = new IndexWorkerClient(WORKER, { root, indexDir: join(root, '.index'), modelDir: MODEL, grammarsDir: GRAMMARS, options: DEFAULT_SCAN_OPTIONS, dimension: asked, threads: 1 }, () => undefined);
      try {
        assert.equal((await client.ready).dimension, expected, `asked for ${asked}`);
        await client.update();
        assert.equal((await client.search('retry with backoff', { k: 1, mode: 'vector' }))[0]?.name, 'retry_with_backoff');
      } finally {
        await client.dispose();
      }
    }
  });

  it('keeps searching by words when the encoder cannot load, and says why', async (t) => {
    const root = workspace(t);
    const noModel = join(root, 'no-model');
    const client = new IndexWorkerClient(WORKER, { root, indexDir: join(root, '.index'), modelDir: noModel, grammarsDir: GRAMMARS, options: DEFAULT_SCAN_OPTIONS, threads: 1 }, () => undefined);
    try {
      const ready = await client.ready;
      assert.equal(ready.encoderProblem, `encoder file ${join(noModel, 'config.json')}: missing`);
      assert.equal(ready.dimension, 0);
      assert.equal((await client.update()).units, 2);
      const hits = await client.search('count lines of a file', { k: 2, mode: 'hybrid' });
      assert.equal(hits[0]?.name, 'count_lines');
      await assert.rejects(client.search('count lines', { k: 2, mode: 'vector' }), /vector search needs the encoder, which did not load: encoder file .*config\.json: missing/);
      await assert.rejects(client.similar('def f():\n    return 1\n', 'python', { k: 2, mode: 'vector' }), /finding similar code needs the encoder/);
    } finally {
      await client.dispose();
    }
  });

  it('finds clones in its folder, and says why Type 4 is left out without an encoder', async (t) => {
    const root = temporaryFolder(t);
    cpSync(join(FIXTURES, 'clones', 'planted'), join(root, 'src'), { recursive: true });
    const client = new IndexWorkerClient(WORKER, { root, indexDir: join(root, '.index'), modelDir: join(root, 'no-model'), grammarsDir: GRAMMARS, options: DEFAULT_SCAN_OPTIONS, threads: 1 }, () => undefined);
    try {
      await client.update();
      const found = await client.clones(cloneSettings());
      assert.match(found.type4Problem ?? '', /^Type 4 clones need the encoder, which did not load: encoder file .*config\.json: missing$/);
      assert.ok(found.classes.length > 0 && found.classes.every((cloneClass) => cloneClass.type !== 4));
      assert.ok(found.classes.some((cloneClass) => cloneClass.instances.some((instance) => instance.file.startsWith('src/'))));
      // A second search reuses the files cut into tokens the first time, and finds the same.
      assert.deepEqual((await client.clones(cloneSettings())).classes, found.classes);
    } finally {
      await client.dispose();
    }
  });
});
