import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { Bm25Index } from '../../src/core/search/bm25';
import { lexicalTerms } from '../../src/core/search/lexicalTerms';

describe('lexical search', () => {
  it('splits identifiers and words into lower-case terms, keeping whole identifiers too', () => {
    assert.deepEqual(lexicalTerms('def readLines(file_path): # Read a file.'), ['def', 'read', 'lines', 'readlines', 'file', 'path', 'file_path', 'read', 'a', 'file']);
  });

  it('ranks by BM25: rare matching terms first, long documents discounted', () => {
    const index = new Bm25Index();
    index.add(lexicalTerms('def read_lines(path): return open(path).readlines()'));
    index.add(lexicalTerms('def write_lines(path, lines): open(path, "w").writelines(lines)'));
    index.add(lexicalTerms('def retry(fn, attempts): backoff sleep retry'));
    const results = index.search(lexicalTerms('read file lines'), 3);
    assert.equal(results[0]!.id, 0);
    assert.deepEqual(index.search(lexicalTerms('retry with backoff'), 1).map((r) => r.id), [2]);
    assert.deepEqual(index.search(['nothing'], 5), []);
  });
});
