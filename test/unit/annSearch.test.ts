import assert from 'node:assert/strict';
import { cpSync, mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { IndexStore } from '../../src/core/index/indexStore';
import { quantizeVector } from '../../src/core/index/int8Vectors';
import { updateIndex } from '../../src/core/index/workspaceIndexer';
import { defaultEncoderDir } from '../../src/core/model/modelsDir';
import { UnitEmbedder } from '../../src/core/model/unitEmbedder';
import { AnnIndex } from '../../src/core/search/annIndex';
import { SearchHit, SearchIndex, SearchOptions } from '../../src/core/search/searchIndex';
import { DEFAULT_SCAN_OPTIONS } from '../../src/core/scan/workspaceScanner';
import { temporaryFolder, treeSitter } from './helpers';

const REPO = join(__dirname, '..', '..', '..');
/** Low enough that these small real indexes go through the graph. */
const APPROXIMATE = { approximateFromUnits: 100 };
const EXACT = { approximateFromUnits: Infinity };

const QUERIES = [
  'split an identifier into words', 'read a file atomically', 'parse command line options', 'match a glob pattern',
  'reciprocal rank fusion of two rankings', 'walk a folder and honour gitignore', 'quantize a vector to int8',
  'tokenize source code', 'load the encoder model', 'report progress while indexing', 'keep the k best scores in a heap',
  'escape a regular expression', 'format a table of results', 'detect a binary file', 'cancel a long running task',
];

function keyOf(hit: SearchHit): string {
  return `${hit.file}#${hit.unit.name}#${hit.unit.startLine}`;
}

/** The share of the exact top-k that the approximate search found, over all queries. */
function recall(approximate: SearchIndex, exact: SearchIndex, vectors: readonly Float32Array[], options: SearchOptions): number {
  let found = 0;
  let total = 0;
  for (const vector of vectors) {
    const truth = exact.search(vector, [], options).map(keyOf);
    const got = new Set(approximate.search(vector, [], options).map(keyOf));
    found += truth.filter((key) => got.has(key)).length;
    total += truth.length;
  }
  return found / total;
}

async function index(root: string, store: IndexStore, embedder: UnitEmbedder): Promise<void> {
  for await (const _ of updateIndex(root, store, await treeSitter(), embedder, { ...DEFAULT_SCAN_OPTIONS, exclude: [] })) { /* progress */ }
}

describe('approximate (HNSW) vector search on an index built with the bundled encoder', () => {
  let embedder: UnitEmbedder;
  let root: string;
  let folder: string;
  let store: IndexStore;
  let queries: Float32Array[];

  before(async () => {
    embedder = await UnitEmbedder.load(defaultEncoderDir(__dirname), await treeSitter(), { threads: 1 });
    root = temporaryFolder({ after: (fn) => process.on('exit', fn) });
    folder = temporaryFolder({ after: (fn) => process.on('exit', fn) });
    // Real code: Astrolabe's own core and two of its dependencies (about 900 units).
    cpSync(join(REPO, 'src', 'core'), join(root, 'core'), { recursive: true });
    cpSync(join(REPO, 'node_modules', 'commander', 'lib'), join(root, 'commander'), { recursive: true });
    cpSync(join(REPO, 'node_modules', 'picomatch', 'lib'), join(root, 'picomatch'), { recursive: true });
    store = IndexStore.open(folder, { modelId: embedder.modelId, dimension: embedder.dimension }).store;
    await index(root, store, embedder);
    store.commit();
    queries = await Promise.all(QUERIES.map((query) => embedder.embedQuery(query)));
  });
  after(async () => { await embedder.dispose(); });

  it('finds what exact search finds (recall@10 >= 0.95), with the same scores, above the threshold only', () => {
    assert.ok(store.unitCount > 500, `${store.unitCount} units`);
    const exact = SearchIndex.fromStore(store, EXACT);
    const approximate = SearchIndex.fromStore(store, APPROXIMATE);
    assert.equal(exact.prepareVectorSearch(), 'exact');
    assert.equal(SearchIndex.fromStore(store).prepareVectorSearch(), 'exact', 'the default threshold is far above 1,000 units');
    assert.equal(approximate.prepareVectorSearch(), 'approximate');
    const measured = recall(approximate, exact, queries, { k: 10, mode: 'vector' });
    assert.ok(measured >= 0.95, `recall@10 ${measured}`);
    // Candidates are scored exactly: a unit both return has the same score in both.
    for (const vector of queries) {
      const scores = new Map(exact.search(vector, [], { k: 10, mode: 'vector' }).map((hit) => [keyOf(hit), hit.score]));
      for (const hit of approximate.search(vector, [], { k: 10, mode: 'vector' })) if (scores.has(keyOf(hit))) assert.equal(hit.score, scores.get(keyOf(hit)));
    }
    // Hybrid fuses the graph's 200 candidates with BM25's. Each list is min-max normalized over its
    // candidates, and the graph's 200 can differ from the exact 200 at the tail, which moves every fused
    // score a little: near ties may swap (they did on another CPU), so compare the best and the top five
    // as a set. Vector ranking alone shares only three of these five.
    const terms = ['split', 'identifier', 'words'];
    const approximateTop = approximate.search(queries[0], terms, { k: 5, mode: 'hybrid' }).map(keyOf);
    const exactTop = exact.search(queries[0], terms, { k: 5, mode: 'hybrid' }).map(keyOf);
    assert.equal(approximateTop[0], exactTop[0]);
    assert.ok(approximateTop.filter((key) => exactTop.includes(key)).length >= 4, `${approximateTop} against ${exactTop}`);
  });

  it('applies language and path filters: over-fetched candidates, or the exact scan when too few pass', () => {
    const exact = SearchIndex.fromStore(store, EXACT);
    const approximate = SearchIndex.fromStore(store, APPROXIMATE);
    for (const filter of [{ pathGlob: 'core/**' }, { pathGlob: 'picomatch/**' }, { languages: ['javascript' as const] }, { pathGlob: 'core/search/**', languages: ['typescript' as const] }]) {
      const options: SearchOptions = { k: 10, mode: 'vector', ...filter };
      for (const vector of queries) {
        const hits = approximate.search(vector, [], options);
        assert.ok(hits.every((hit) => (!filter.pathGlob || hit.file.startsWith(filter.pathGlob.replace('**', ''))) && (!filter.languages || (filter.languages as readonly string[]).includes(hit.unit.language))), JSON.stringify(filter));
        assert.equal(hits.length, exact.search(vector, [], options).length);
      }
      assert.ok(recall(approximate, exact, queries, options) >= 0.95, JSON.stringify(filter));
    }
  });

  it('follows incremental updates: added units are found, removed ones never come back, older snapshots stay correct', async () => {
    const before = SearchIndex.fromStore(store, APPROXIMATE);
    assert.equal(before.prepareVectorSearch(), 'approximate');
    const added = 'def levenshtein_distance(a, b):\n    """Edit distance between two strings."""\n    rows = [list(range(len(b) + 1))]\n    for i, ca in enumerate(a, 1):\n        row = [i]\n        for j, cb in enumerate(b, 1):\n            row.append(min(rows[-1][j] + 1, row[j - 1] + 1, rows[-1][j - 1] + (ca != cb)))\n        rows.append(row)\n    return rows[-1][-1]\n';
    mkdirSync(join(root, 'extra'), { recursive: true });
    writeFileSync(join(root, 'extra', 'strings.py'), added);
    const removedFile = 'picomatch/scan.js';
    const removedUnits = new Set(store.file(removedFile)!.units.map((unit) => unit.hash));
    const removedVector = (await embedder.embedUnits([{ text: readFileSync(join(root, removedFile), 'utf8'), language: 'javascript' }]))[0]!;
    rmSync(join(root, removedFile));
    await index(root, store, embedder);

    const after = SearchIndex.fromStore(store, APPROXIMATE);
    assert.equal(after.prepareVectorSearch(), 'approximate');
    const [addedVector] = await embedder.embedUnits([{ text: added, language: 'python' }]);
    const top = after.search(addedVector, [], { k: 3, mode: 'vector' });
    assert.equal(top[0]!.unit.name, 'levenshtein_distance');
    assert.ok(top[0]!.score > 0.99);
    for (const vector of [...queries, removedVector]) {
      assert.ok(after.search(vector, [], { k: 20, mode: 'vector' }).every((hit) => hit.file !== removedFile));
    }
    assert.ok(recall(after, SearchIndex.fromStore(store, EXACT), queries, { k: 10, mode: 'vector' }) >= 0.95);
    // The snapshot taken before the update no longer matches the shared graph: it answers by the exact scan, as of its time.
    assert.equal(before.prepareVectorSearch(), 'exact');
    assert.ok(before.search(removedVector, [], { k: 50, mode: 'vector' }).some((hit) => removedUnits.has(hit.unit.hash)));
    assert.ok(before.search(addedVector, [], { k: 50, mode: 'vector' }).every((hit) => hit.unit.name !== 'levenshtein_distance'));

    // Another process: a store opened anew loads the graph file and reconciles it with the index's units.
    store.commit();
    const reopened = IndexStore.open(folder, store.identity).store;
    const fresh = SearchIndex.fromStore(reopened, APPROXIMATE);
    assert.equal(fresh.prepareVectorSearch(), 'approximate');
    assert.equal(fresh.search(addedVector, [], { k: 1, mode: 'vector' })[0]!.unit.name, 'levenshtein_distance');
    assert.ok(recall(fresh, SearchIndex.fromStore(reopened, EXACT), queries, { k: 10, mode: 'vector' }) >= 0.95);
  });

  it('rebuilds a damaged graph file instead of searching it', () => {
    const graphFile = join(folder, 'ann-graph.bin');
    SearchIndex.fromStore(IndexStore.open(folder, store.identity).store, APPROXIMATE).prepareVectorSearch();
    const bytes = readFileSync(graphFile);
    bytes.fill(0x55, bytes.length - 5000, bytes.length - 4000);
    writeFileSync(graphFile, bytes);
    assert.match(AnnIndex.open(graphFile, store.identity).discarded ?? '', /checksum/);

    const reopened = IndexStore.open(folder, store.identity).store;
    const approximate = SearchIndex.fromStore(reopened, APPROXIMATE);
    assert.equal(approximate.prepareVectorSearch(), 'approximate');
    assert.ok(recall(approximate, SearchIndex.fromStore(reopened, EXACT), queries, { k: 10, mode: 'vector' }) >= 0.95);
    assert.equal(AnnIndex.open(graphFile, store.identity).discarded, undefined, 'the rebuilt graph was saved');
  });
});

describe('the ANN graph file', () => {
  const identity = { modelId: 'test-model', dimension: 16 };
  const vectors = new Map(Array.from({ length: 300 }, (_, i) => {
    const vector = Array.from({ length: 16 }, (__, d) => Math.sin(i * 0.7 + d * 1.3) + Math.cos(i * 0.11 * d));
    const norm = Math.hypot(...vector);
    return [i.toString(16).padStart(32, '0'), quantizeVector(vector.map((x) => x / norm)).codes] as const;
  }));

  it('saves and loads whole; refuses another model, other build parameters, truncation and damage', (t) => {
    const path = join(temporaryFolder(t), 'graph.bin');
    const { index, discarded } = AnnIndex.open(path, identity);
    assert.match(discarded!, /no graph file/);
    assert.deepEqual(index.sync(vectors, (hash) => vectors.get(hash)!), { added: 300, removed: 0, rebuilt: false });
    index.save();
    const loaded = AnnIndex.open(path, identity);
    assert.equal(loaded.discarded, undefined);
    assert.equal(loaded.index.size, 300);
    assert.deepEqual(loaded.index.sync(vectors, (hash) => vectors.get(hash)!), { added: 0, removed: 0, rebuilt: false });
    const query = Float32Array.from(vectors.get((42).toString(16).padStart(32, '0'))!, (x) => x / 127);
    assert.equal(loaded.index.search(query, 1)[0], (42).toString(16).padStart(32, '0'));

    assert.match(AnnIndex.open(path, { ...identity, modelId: 'other-model' }).discarded!, /modelId/);
    assert.match(AnnIndex.open(path, identity, { connectivity: 8, expansionAdd: 128, expansionSearch: 64 }).discarded!, /connectivity/);
    // The search size is not part of the graph: another one loads the same file.
    assert.equal(AnnIndex.open(path, identity, { connectivity: 16, expansionAdd: 128, expansionSearch: 200 }).discarded, undefined);
    const bytes = readFileSync(path);
    writeFileSync(path, bytes.subarray(0, bytes.length - 100));
    assert.match(AnnIndex.open(path, identity).discarded!, /checksum/);
    writeFileSync(path, 'not a graph');
    assert.match(AnnIndex.open(path, identity).discarded!, /not an Astrolabe ANN file/);
  });

  it('removes and adds incrementally, and builds anew once removals pile up', (t) => {
    const { index } = AnnIndex.open(join(temporaryFolder(t), 'graph.bin'), identity);
    index.sync(vectors, (hash) => vectors.get(hash)!);
    const version = index.version;
    const fewer = new Map([...vectors].slice(0, 280));
    assert.deepEqual(index.sync(fewer, (hash) => vectors.get(hash)!), { added: 0, removed: 20, rebuilt: false });
    assert.ok(index.version > version);
    const gone = [...vectors.keys()].slice(280);
    for (const hash of gone) {
      const query = Float32Array.from(vectors.get(hash)!, (x) => x / 127);
      assert.ok(!index.search(query, 10).includes(hash));
    }
    assert.deepEqual(index.sync(vectors, (hash) => vectors.get(hash)!), { added: 20, removed: 0, rebuilt: false });
    assert.equal(index.size, 300);
    assert.equal(index.sync(new Map([...vectors].slice(0, 200)), (hash) => vectors.get(hash)!).rebuilt, true);
    assert.equal(index.size, 200);
  });
});
