import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { documentationPairs, searchStyle } from '../../src/core/parse/documentationPairs';

describe('documentation pairs', () => {
  it('pairs the summary with the undocumented code, and a search-style query with the unit as indexed', () => {
    const text = 'def count_lines(path):\n    """Returns the number of lines in a file."""\n    with open(path) as f:\n        return sum(1 for _ in f)\n';
    const [written, searchStyled, ...rest] = documentationPairs(text, 'python', 'function');
    assert.equal(rest.length, 0);
    assert.equal(written?.query, 'Returns the number of lines in a file.');
    assert.ok(!written.code.includes('Returns the number'), 'the summary is not in its code');
    assert.ok(written.code.includes('with open(path) as f:'));
    assert.equal(searchStyled?.query, 'python number of lines in a file');
    assert.equal(searchStyled.code, text);
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
