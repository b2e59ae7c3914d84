import assert from 'node:assert/strict';
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { IndexStore } from '../../src/core/index/indexStore';
import { quantizeVector } from '../../src/core/index/int8Vectors';
import { updateIndex } from '../../src/core/index/workspaceIndexer';
import { defaultEncoderDir } from '../../src/core/model/modelsDir';
import { UnitEmbedder } from '../../src/core/model/unitEmbedder';
import { lexicalTerms } from '../../src/core/search/lexicalTerms';
import { DEFAULT_FUSION_WEIGHTS, SearchIndex } from '../../src/core/search/searchIndex';
import { DEFAULT_SCAN_OPTIONS } from '../../src/core/scan/workspaceScanner';
import { temporaryFolder, treeSitter } from './helpers';

describe('search over an index built with the bundled encoder', () => {
  let embedder: UnitEmbedder;
  let index: SearchIndex;
  let store: IndexStore;

  before(async () => {
    embedder = await UnitEmbedder.load(defaultEncoderDir(__dirname), await treeSitter(), { threads: 1 });
    const root = temporaryFolder({ after: (fn) => process.on('exit', fn) });
    mkdirSync(join(root, 'src'));
    mkdirSync(join(root, 'lib'));
    writeFileSync(join(root, 'src', 'files.py'), 'def read_lines(path):\n    """Read a text file line by line."""\n    with open(path) as f:\n        return f.readlines()\n\ndef retry_with_backoff(fn, attempts=5):\n    """Call fn again after failures, waiting longer each time."""\n    import time\n    for i in range(attempts):\n        try:\n            return fn()\n        except Exception:\n            time.sleep(2 ** i)\n');
    writeFileSync(join(root, 'lib', 'math.ts'), 'export function clamp(x: number, lo: number, hi: number): number {\n  return Math.min(hi, Math.max(lo, x));\n}\n\nexport function mean(values: number[]): number {\n  return values.reduce((a, b) => a + b, 0) / values.length;\n}\n');
    store = IndexStore.open(temporaryFolder({ after: (fn) => process.on('exit', fn) }), { modelId: embedder.modelId, dimension: embedder.dimension }).store;
    for await (const _ of updateIndex(root, store, await treeSitter(), embedder, DEFAULT_SCAN_OPTIONS)) { /* progress */ }
    index = SearchIndex.fromStore(store);
  });
  after(async () => { await embedder.dispose(); });

  it('finds by words: identifiers and docstrings are searchable', () => {
    const hits = index.search(undefined, lexicalTerms('read file lines'), { k: 3, mode: 'lexical' });
    assert.equal(hits[0]!.unit.name, 'read_lines');
    assert.equal(hits[0]!.file, 'src/files.py');
    assert.equal(index.search(undefined, lexicalTerms('backoff'), { k: 3, mode: 'lexical' })[0]!.unit.name, 'retry_with_backoff');
  });

  it('finds a unit by its own vector first, and filters by language and path', async () => {
    const clamp = store.file('lib/math.ts')!.units.find((unit) => unit.name === 'clamp')!;
    const [vector] = await embedder.embedUnits([{ text: 'export function clamp(x: number, lo: number, hi: number): number {\n  return Math.min(hi, Math.max(lo, x));\n}', language: 'typescript' }]);
    const hits = index.search(vector, [], { k: 4, mode: 'vector' });
    assert.equal(hits[0]!.unit.hash, clamp.hash);
    assert.ok(hits[0]!.score > 0.99);
    assert.ok(index.search(vector, [], { k: 10, mode: 'vector', languages: ['python'] }).every((hit) => hit.unit.language === 'python'));
    assert.ok(index.search(vector, [], { k: 10, mode: 'vector', pathGlob: 'src/**' }).every((hit) => hit.file.startsWith('src/')));
  });

  it('fuses the two rankings: what either list ranks first is in the hybrid top results', async () => {
    const query = 'python retry a call with exponential backoff';
    const vector = await embedder.embedQuery(query);
    const terms = lexicalTerms(query);
    const hybrid = index.search(vector, terms, { k: 3, mode: 'hybrid' }).map((hit) => hit.unit.name);
    assert.ok(hybrid.includes(index.search(undefined, terms, { k: 1, mode: 'lexical' })[0]!.unit.name));
    assert.ok(hybrid.includes(index.search(vector, terms, { k: 1, mode: 'vector' })[0]!.unit.name));
    assert.throws(() => index.search(undefined, terms, { k: 3, mode: 'hybrid' }), /need a query vector/);
  });

  it('fuses by weighted min-max normalized scores: a zero weight leaves the other ranking as it was', async () => {
    const query = 'read a text file line by line';
    const vector = await embedder.embedQuery(query);
    const terms = lexicalTerms(query);
    const names = (hits: readonly { unit: { name: string } }[]) => hits.map((hit) => hit.unit.name);
    // (Hybrid also lists the vector's candidates that hold no query term, after the lexical ones.)
    const lexical = names(index.search(undefined, terms, { k: 3, mode: 'lexical' }));
    assert.deepEqual(names(index.search(vector, terms, { k: 3, mode: 'hybrid', vectorWeight: 0, lexicalWeight: 1 })).slice(0, lexical.length), lexical);
    assert.deepEqual(names(index.search(vector, terms, { k: 4, mode: 'hybrid', vectorWeight: 1, lexicalWeight: 0 })), names(index.search(vector, terms, { k: 4, mode: 'vector' })));
    // Each list's best scores 1 there, so no fused score passes the weights' sum, and a unit first in both reaches it.
    const hybrid = index.search(vector, terms, { k: 4, mode: 'hybrid' });
    assert.ok(hybrid.every((hit) => hit.score <= DEFAULT_FUSION_WEIGHTS.vector + DEFAULT_FUSION_WEIGHTS.lexical + 1e-9));
    const lexicalFirst = index.search(undefined, terms, { k: 1, mode: 'lexical' })[0]!;
    const vectorFirst = index.search(vector, terms, { k: 1, mode: 'vector' })[0]!;
    if (lexicalFirst.unit.hash === vectorFirst.unit.hash) assert.ok(Math.abs(hybrid[0]!.score - 1) < 1e-9);
    assert.equal(hybrid[0]!.unit.name, 'read_lines');
  });

  it("scores each candidate of either list by both signals, each normalized over the union", async () => {
    const query = 'call again after failures';
    const vector = await embedder.embedQuery(query);
    const terms = lexicalTerms(query);
    // Four units: every one is a vector candidate, and those without a query term score 0 in BM25, not the lexical list's last score.
    const vectorScores = new Map(index.search(vector, [], { k: 10, mode: 'vector' }).map((hit) => [hit.unit.hash, hit.score]));
    const lexicalScores = new Map(index.search(undefined, terms, { k: 10, mode: 'lexical' }).map((hit) => [hit.unit.hash, hit.score]));
    assert.equal(vectorScores.size, 4);
    assert.ok(lexicalScores.size >= 1 && lexicalScores.size < 4);
    const scaled = (values: Map<string, number>, hash: string, all: number[]) => ((values.get(hash) ?? 0) - Math.min(...all)) / (Math.max(...all) - Math.min(...all));
    const hashes = [...vectorScores.keys()];
    const lexicalAll = hashes.map((hash) => lexicalScores.get(hash) ?? 0);
    for (const hit of index.search(vector, terms, { k: 4, mode: 'hybrid' })) {
      const expected = DEFAULT_FUSION_WEIGHTS.vector * scaled(vectorScores, hit.unit.hash, [...vectorScores.values()]) + DEFAULT_FUSION_WEIGHTS.lexical * scaled(lexicalScores, hit.unit.hash, lexicalAll);
      assert.ok(Math.abs(hit.score - expected) < 1e-6, `${hit.unit.name}: ${hit.score} != ${expected}`);
    }
  });
});

/** A snapshot of an index holding one Python function per file (dummy vectors), for lexical search. */
function lexicalIndex(units: Record<string, { name: string; text: string }>): SearchIndex {
  const store = IndexStore.open(temporaryFolder({ after: (fn) => process.on('exit', fn) }), { modelId: 'lexical-only', dimension: 4 }).store;
  Object.entries(units).forEach(([file, unit], index) => {
    const hash = String(index).padStart(32, '0');
    store.addVector(hash, quantizeVector(Float32Array.from([1, 0, 0, index])));
    const endLine = unit.text.trimEnd().split('\n').length;
    store.setFile(file, { mtimeMs: 0, size: unit.text.length, units: [{ language: 'python', kind: 'function', name: unit.name, startLine: 1, endLine, hash, terms: lexicalTerms(unit.text).join(' ') }] });
  });
  return SearchIndex.fromStore(store);
}

describe("lexical search weighs a unit's name", () => {
  it('ranks the unit named by the query above one that only mentions its words more often', () => {
    const index = lexicalIndex({
      'config.py': { name: 'parse_config', text: 'def parse_config(path):\n    return json.load(open(path))\n' },
      'settings.py': { name: 'load_settings', text: 'def load_settings(path):\n    # parse the config, check the config, parse again\n    return check(parse(config(path)))\n' },
    });
    const hits = index.search(undefined, lexicalTerms('parse config'), { k: 2, mode: 'lexical' });
    assert.deepEqual(hits.map((hit) => hit.unit.name), ['parse_config', 'load_settings']);
  });

  it("gives a nested unit its own name's weight, not its container's", () => {
    const outer = [
      'def split_identifier(text):', '    pieces, start = [], 0', '    def flush(end):', '        nonlocal start',
      '        if end > start:', '            pieces.append(text[start:end].lower())', '        start = end',
      '    for i, char in enumerate(text):', "        if char == '_':", '            flush(i)', '            start = i + 1',
      '        elif char.isupper() and i > start:', '            flush(i)', '    flush(len(text))', '    return pieces',
    ];
    const index = lexicalIndex({
      'split.py': { name: 'split_identifier', text: outer.join('\n') + '\n' },
      'split.py#flush': { name: 'split_identifier.flush', text: outer.slice(2, 7).join('\n') + '\n' },
    });
    const hits = index.search(undefined, lexicalTerms('split an identifier'), { k: 2, mode: 'lexical' });
    assert.deepEqual(hits.map((hit) => hit.unit.name), ['split_identifier', 'split_identifier.flush']);
    assert.deepEqual(index.search(undefined, lexicalTerms('flush'), { k: 1, mode: 'lexical' }).map((hit) => hit.unit.name), ['split_identifier.flush']);
  });
});

describe('lexical search meets abbreviations', () => {
  it("finds code's shorthand by the words a question uses, and the other way round", () => {
    const index = lexicalIndex({
      'folders.py': { name: 'names_in', text: 'def names_in(folder):\n    return sorted(os.listdir(folder))\n' },
      'numbers.py': { name: 'parse_number', text: 'def parse_number(text):\n    return int(text.strip())\n' },
      'words.py': { name: 'word_counts', text: 'def word_counts(text):\n    return collections.Counter(text.split())\n' },
      'lookup.py': { name: 'lookup', text: 'def lookup(mapping, key):\n    """The key\'s entry in the dictionary."""\n    return mapping.get(key)\n' },
    });
    const names = (query: string) => index.search(undefined, lexicalTerms(query), { k: 3, mode: 'lexical' }).map((hit) => hit.unit.name);
    assert.deepEqual(names('list directory'), ['names_in']);
    assert.equal(names('convert a string to an integer')[0], 'parse_number');
    assert.deepEqual(names('trim whitespace'), ['parse_number']);
    assert.deepEqual(names('dict'), ['lookup']);
  });
});
