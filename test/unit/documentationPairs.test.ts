import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { documentationPairs, searchStyle } from '../../src/core/parse/documentationPairs';

describe('documentation pairs', () => {
  it('pairs a documented function with its undocumented code, plus a search-style query', () => {
    const text = 'def count_lines(path):\n    """Returns the number of lines in a file."""\n    with open(path) as f:\n        return sum(1 for _ in f)\n';
    const pairs = documentationPairs(text, 'python', 'function');
    assert.deepEqual(pairs.map((pair) => pair.query), ['Returns the number of lines in a file.', 'python number of lines in a file']);
    for (const pair of pairs) assert.ok(!pair.code.includes('Returns the number'), 'the summary is not in the code');
  });

  it('skips classes, boilerplate, one-word summaries and trivial code', () => {
    assert.deepEqual(documentationPairs('class A:\n    """A class that does many things."""\n    x = 1\n    y = 2\n', 'python', 'class'), []);
    assert.deepEqual(documentationPairs('// TODO: make this work again later.\nfunction f() {\n  return 1;\n}', 'javascript', 'function'), []);
    assert.deepEqual(documentationPairs('/** Getter. */\nfunction f() {\n  return 1;\n}', 'javascript', 'function'), []);
    assert.deepEqual(documentationPairs('// Adds two numbers together.\nint add(int a, int b) { return a + b; }', 'c', 'function'), []);
  });

  it('phrases queries the way people search', () => {
    assert.equal(searchStyle('This function reads a file line by line.', 'python'), 'python reads a file line by line');
    assert.equal(searchStyle('Computes the SHA-256 `hash` of a buffer.', 'go'), 'golang sha-256 hash of a buffer');
  });
});
