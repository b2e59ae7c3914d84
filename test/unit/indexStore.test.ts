import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { createHash } from 'node:crypto';
import { readdirSync, readFileSync, truncateSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { quantizeVector } from '../../src/core/index/int8Vectors';
import { IndexedUnit, IndexStore } from '../../src/core/index/indexStore';
import { temporaryFolder } from './helpers';

const IDENTITY = { modelId: 'test-model-v1', dimension: 8 };

function hashOf(text: string): string {
  return createHash('sha256').update(text).digest('hex').slice(0, 32);
}

function unit(name: string, text = name): IndexedUnit {
  return { language: 'python', kind: 'function', name, startLine: 1, endLine: 2, hash: hashOf(text), terms: name };
}

function vectorFor(hash: string): ReturnType<typeof quantizeVector> {
  return quantizeVector(Array.from({ length: 8 }, (_, i) => Math.sin(parseInt(hash.slice(i * 2, i * 2 + 2), 16) + i)));
}

function addFile(store: IndexStore, path: string, units: IndexedUnit[]): void {
  for (const hash of store.missingVectors(units)) store.addVector(hash, vectorFor(hash));
  store.setFile(path, { mtimeMs: 1, size: 10, units });
}

describe('index store', () => {
  it('survives a reopen with everything it committed', (t) => {
    const folder = temporaryFolder(t);
    const { store, discarded } = IndexStore.open(folder, IDENTITY);
    assert.equal(discarded?.reason, 'missing');
    addFile(store, 'a.py', [unit('one'), unit('two')]);
    addFile(store, 'b.py', [unit('three')]);
    store.commit();
    const reopened = IndexStore.open(folder, IDENTITY);
    assert.equal(reopened.discarded, undefined);
    assert.equal(reopened.store.fileCount, 2);
    assert.equal(reopened.store.unitCount, 3);
    assert.deepEqual(reopened.store.file('a.py')!.units.map((u) => u.name), ['one', 'two']);
    const hash = hashOf('two');
    assert.deepEqual(Array.from(reopened.store.vector(hash)!.codes), Array.from(vectorFor(hash).codes));
  });

  it('keeps each distinct text\'s terms once, in compressed term segments, through churn and reopening', (t) => {
    const folder = temporaryFolder(t);
    const { store } = IndexStore.open(folder, IDENTITY);
    const shared = { ...unit('copy'), terms: 'read file line by line' };
    addFile(store, 'a.py', [shared, { ...unit('a'), terms: 'alpha beta' }]);
    addFile(store, 'b.py', [{ ...shared, name: 'copy_in_b' }]);
    store.commit();
    // Recorded, then gone before a commit, then recorded again: its terms are written when it returns.
    addFile(store, 'c.py', [{ ...unit('transient'), terms: 'gamma' }]);
    store.removeFile('c.py');
    store.commit();
    addFile(store, 'd.py', [{ ...unit('transient'), terms: 'gamma' }]);
    store.commit();
    for (let round = 0; round < 20; round++) {
      addFile(store, 'churn.py', [{ ...unit(`version-${round}`), terms: `delta ${round}` }]);
      store.commit();
    }
    const names = readdirSync(folder);
    assert.ok(names.filter((name) => name.startsWith('terms-')).length <= 16, names.join(' '));
    assert.ok(!readFileSync(join(folder, names.find((name) => name.startsWith('files-'))!), 'utf8').includes('line by line'), 'the files list holds no terms');
    const reopened = IndexStore.open(folder, IDENTITY);
    assert.equal(reopened.discarded, undefined);
    const termsOf = (path: string): string[] => reopened.store.file(path)!.units.map((u) => u.terms);
    assert.deepEqual(termsOf('a.py'), ['read file line by line', 'alpha beta']);
    assert.deepEqual(termsOf('b.py'), ['read file line by line']);
    assert.deepEqual(termsOf('d.py'), ['gamma']);
    assert.deepEqual(termsOf('churn.py'), ['delta 19']);
  });

  it('reports a corrupt term segment', (t) => {
    const folder = temporaryFolder(t);
    const { store } = IndexStore.open(folder, IDENTITY);
    addFile(store, 'a.py', [unit('one')]);
    store.commit();
    const segment = readdirSync(folder).find((name) => name.startsWith('terms-'))!;
    writeFileSync(join(folder, segment), 'not gzip');
    const opened = IndexStore.open(folder, IDENTITY);
    assert.equal(opened.discarded?.reason, 'corrupt');
    assert.match(opened.discarded!.detail, /terms-1\.json\.gz: not a term segment/);
  });

  it('embeds only what is new: identical units share a vector, renames cost nothing', (t) => {
    const { store } = IndexStore.open(temporaryFolder(t), IDENTITY);
    addFile(store, 'a.py', [unit('one'), unit('two')]);
    assert.deepEqual(store.missingVectors([unit('one'), unit('three'), unit('three')]), [hashOf('three')]);
    const moved = store.file('a.py')!;
    store.removeFile('a.py');
    store.setFile('renamed.py', moved);
    assert.deepEqual(store.missingVectors(moved.units), []);
    assert.throws(() => store.setFile('c.py', { mtimeMs: 1, size: 1, units: [unit('never embedded')] }), /no vector for unit never embedded/);
  });

  it('starts over, saying why, when the model, the dimension or the format differ', (t) => {
    const folder = temporaryFolder(t);
    const { store } = IndexStore.open(folder, IDENTITY);
    addFile(store, 'a.py', [unit('one')]);
    store.commit();
    const otherModel = IndexStore.open(folder, { ...IDENTITY, modelId: 'test-model-v2' });
    assert.equal(otherModel.discarded?.reason, 'model');
    assert.equal(otherModel.store.fileCount, 0);
    assert.equal(IndexStore.open(folder, { ...IDENTITY, dimension: 16 }).discarded?.reason, 'model');
    const manifestPath = join(folder, 'manifest.json');
    const manifest = JSON.parse(readFileSync(manifestPath, 'utf8')) as Record<string, unknown>;
    writeFileSync(manifestPath, JSON.stringify({ ...manifest, formatVersion: 99 }));
    assert.equal(IndexStore.open(folder, IDENTITY).discarded?.reason, 'format');
  });

  it('reports a corrupt index instead of failing: garbage manifest, truncated segment', (t) => {
    const folder = temporaryFolder(t);
    const { store } = IndexStore.open(folder, IDENTITY);
    addFile(store, 'a.py', [unit('one'), unit('two')]);
    store.commit();
    const segment = readdirSync(folder).find((name) => name.startsWith('vectors-'))!;
    truncateSync(join(folder, segment), 20);
    const truncated = IndexStore.open(folder, IDENTITY);
    assert.equal(truncated.discarded?.reason, 'corrupt');
    assert.match(truncated.discarded!.detail, /vectors-1\.bin: 20 bytes do not hold 2 vectors/);
    assert.equal(truncated.store.fileCount, 0);
    writeFileSync(join(folder, 'manifest.json'), '{"format": "astrolabe-ind');
    assert.equal(IndexStore.open(folder, IDENTITY).discarded?.reason, 'corrupt');
  });

  it('compacts: vectors of deleted units and old generations do not pile up', (t) => {
    const folder = temporaryFolder(t);
    const { store } = IndexStore.open(folder, IDENTITY);
    for (let round = 0; round < 20; round++) {
      addFile(store, 'churn.py', [unit(`version-${round}`)]);
      store.commit();
    }
    const files = readdirSync(folder);
    assert.ok(files.filter((name) => name.startsWith('vectors-')).length <= 16, files.join(' '));
    assert.equal(files.filter((name) => name.startsWith('files-')).length, 1);
    const reopened = IndexStore.open(folder, IDENTITY).store;
    assert.deepEqual(reopened.file('churn.py')!.units.map((u) => u.name), ['version-19']);
  });

  it('loads after a kill -9 at any moment of a write, 50 times, holding exactly one committed generation', async (t) => {
    const folder = temporaryFolder(t);
    const storeModule = require.resolve('../../src/core/index/indexStore');
    const vectorsModule = require.resolve('../../src/core/index/int8Vectors');
    // The writer commits generation after generation; generation g holds file-(g % 5) with g+1 units and
    // a file `latest` naming g. Whatever the kill interrupts, the index must be one of these generations.
    const writer = `
      const { IndexStore } = require(${JSON.stringify(storeModule)});
      const { quantizeVector } = require(${JSON.stringify(vectorsModule)});
      const { createHash } = require('node:crypto');
      const hash = (text) => createHash('sha256').update(text).digest('hex').slice(0, 32);
      const { store } = IndexStore.open(${JSON.stringify(folder)}, ${JSON.stringify(IDENTITY)});
      let g = Number(process.argv[1]);
      for (;;) {
        g++;
        const units = Array.from({ length: g % 50 + 1 }, (_, j) => ({ language: 'python', kind: 'function', name: 'g' + g + 'u' + j, startLine: j, endLine: j, hash: hash(g + ':' + j), terms: 'g' + g }));
        const latest = [{ language: 'python', kind: 'function', name: 'latest-' + g, startLine: 1, endLine: 1, hash: hash('latest' + g), terms: 'latest' }];
        for (const u of [...units, ...latest]) store.addVector(u.hash, quantizeVector(Array.from({ length: 8 }, (_, i) => Math.cos(g + i))));
        store.setFile('file-' + (g % 5), { mtimeMs: g, size: g, units });
        store.setFile('latest', { mtimeMs: g, size: g, units: latest });
        store.commit();
        if (g === Number(process.argv[1]) + 1) process.stdout.write('committed\\n');
      }`;
    let generation = 0;
    for (let kill = 0; kill < 50; kill++) {
      const child = spawn(process.execPath, ['-e', writer, String(generation)], { stdio: ['ignore', 'pipe', 'ignore'] });
      // Killed a random moment after its first commit, so the kill lands in the commits that follow however slow
      // the machine is to start node (a fixed delay left the first kills before any commit on a loaded machine).
      await new Promise((resolve) => child.stdout.once('data', resolve));
      await new Promise((resolve) => setTimeout(resolve, Math.random() * 40));
      child.kill('SIGKILL');
      await new Promise((resolve) => child.once('exit', resolve));
      const { store, discarded } = IndexStore.open(folder, IDENTITY);
      assert.equal(discarded, undefined, `after kill ${kill}`);
      const latest = store.file('latest')!.units[0]!.name;
      const g = Number(latest.slice('latest-'.length));
      assert.ok(g >= generation, 'generations never go back');
      const file = store.file(`file-${g % 5}`)!;
      assert.equal(file.units.length, g % 50 + 1, `generation ${g} is whole`);
      assert.equal(file.units[0]!.name, `g${g}u0`);
      for (const u of file.units) assert.ok(store.vector(u.hash), 'every unit has its vector');
      generation = g;
    }
  });
});
