import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { Bm25Index } from '../../src/core/search/bm25';
import { lexicalTerms, nameTerms } from '../../src/core/search/lexicalTerms';
import { expandTerms } from '../../src/core/search/termExpansions';
import { TopK } from '../../src/core/search/topK';

/** A document with text and no name. */
function textOnly(text: string) {
  return { text: lexicalTerms(text), name: [] };
}

describe('lexical search', () => {
  it('splits identifiers and words into lower-case terms, keeping whole identifiers too', () => {
    assert.deepEqual(lexicalTerms('def readLines(file_path): # Read a file.'), ['def', 'read', 'line', 'readlin', 'file', 'path', 'file_path', 'read', 'a', 'file']);
  });

  it("meets a question's inflected words with the code's names: terms are Porter stems", () => {
    assert.deepEqual(lexicalTerms('reading files'), lexicalTerms('readFile').slice(0, 2));
    const index = new Bm25Index();
    index.add(textOnly('def load_settings(path): return json.load(open(path))'));
    index.add(textOnly('function readFile(name) { return fs.readFileSync(name, "utf8"); }'));
    assert.deepEqual(index.search(lexicalTerms('reading files'), 2).map((r) => r.id), [1]);
  });

  it('ranks by BM25: rare matching terms first, long documents discounted', () => {
    const index = new Bm25Index();
    index.add(textOnly('def read_lines(path): return open(path).readlines()'));
    index.add(textOnly('def write_lines(path, lines): open(path, "w").writelines(lines)'));
    index.add(textOnly('def retry(fn, attempts): backoff sleep retry'));
    const results = index.search(lexicalTerms('read file lines'), 3);
    assert.equal(results[0]!.id, 0);
    assert.deepEqual(index.search(lexicalTerms('retry with backoff'), 1).map((r) => r.id), [2]);
    assert.deepEqual(index.search(['nothing'], 5), []);
  });

  it("takes a qualified name's own terms apart from its containers', and none from the chunker's placeholders", () => {
    assert.deepEqual(nameTerms('Parser.readLine'), { own: ['read', 'line', 'readlin'], containers: ['parser'] });
    assert.deepEqual(nameTerms('Outer.Parser.readLine').containers, ['outer', 'parser']);
    assert.deepEqual(nameTerms('(anonymous)'), { own: [], containers: [] });
    assert.deepEqual(nameTerms('<top-level>'), { own: [], containers: [] });
    assert.deepEqual(nameTerms('Router.(anonymous)'), { own: [], containers: ['router'] });
  });

  it("weighs a match on the name by the name's length, not the text's (BM25F)", () => {
    const index = new Bm25Index();
    const filler = (words: number) => Array.from({ length: words }, (_, i) => `step${i}`).join(' ');
    index.add({ text: lexicalTerms(filler(5)), name: lexicalTerms('parseConfig') });
    index.add({ text: lexicalTerms(filler(80)), name: lexicalTerms('parseConfig') });
    index.add({ text: lexicalTerms(`parse ${filler(12)}`), name: lexicalTerms('load') });
    const scores = index.scores(lexicalTerms('parse config'));
    assert.equal(scores.get(0), scores.get(1));
    // The text's length still counts where the text matches: the same mention in a longer text weighs less.
    index.add({ text: lexicalTerms(`parse ${filler(60)}`), name: lexicalTerms('load') });
    assert.ok(index.scores(lexicalTerms('parse')).get(2)! > index.scores(lexicalTerms('parse')).get(3)!);
  });

  it('scores every document holding a query term, as search ranks them', () => {
    const index = new Bm25Index();
    for (const text of ['read lines', 'write lines', 'retry backoff', 'read read read']) index.add(textOnly(text));
    const scores = index.scores(lexicalTerms('read lines'));
    assert.deepEqual([...scores.keys()].sort(), [0, 1, 3]);
    assert.deepEqual(index.search(lexicalTerms('read lines'), 3), [...scores].map(([id, score]) => ({ id, score })).sort((a, b) => b.score - a.score || a.id - b.id));
  });
});

describe('abbreviation expansion', () => {
  it("adds the words code's shorthand stands for after it, stemmed like every term", () => {
    assert.deepEqual(expandTerms(lexicalTerms('dict str')), ['dict', ...lexicalTerms('dictionary'), 'str', 'string']);
    assert.deepEqual(expandTerms(lexicalTerms('os.listdir(src)')), ['os', 'listdir', 'list', 'directori', 'src', 'sourc']);
    // Words that are no abbreviation, and keywords every unit holds, add nothing.
    assert.deepEqual(expandTerms(lexicalTerms('def read_file const')), lexicalTerms('def read_file const'));
  });
});

describe('top k', () => {
  it('keeps the k best of many, best first, ties by id', () => {
    const top = new TopK(3);
    for (const [id, score] of [[5, 0.1], [1, 0.9], [7, 0.5], [3, 0.9], [9, 0.2], [2, 0.7]] as const) if (score > top.threshold) top.add(id, score);
    assert.deepEqual(top.sorted(), [{ id: 1, score: 0.9 }, { id: 3, score: 0.9 }, { id: 2, score: 0.7 }]);
  });
});
