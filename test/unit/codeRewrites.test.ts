import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import type { Parser } from 'web-tree-sitter';
import { rewriteCode } from '../../src/core/parse/codeRewrites';
import { seededRandom } from '../../src/core/seededRandom';
import { LanguageId } from '../../src/core/parse/languages';
import { treeSitter } from './helpers';

const C_PROGRAM = `int main() {
    int n, total = 0;
    int count = 0;
    scanf("%d", &n);
    for (int i = 0; i < n; i++) {
        total += i;
    }
    if (total > 10) {
        printf("%d\\n", total);
    } else {
        printf("small\\n");
    }
    return 0;
}
`;

const PYTHON_FUNCTION = `def mean(values, start=0):
    total = start
    count = 0
    for value in values:
        total += value
        count += 1
    if count == 0:
        return None
    else:
        return total / count
`;

describe('code rewrites', () => {
  const parsers = new Map<LanguageId, Parser>();
  before(async () => {
    const runtime = await treeSitter();
    for (const language of ['c', 'python', 'javascript', 'java'] as const) parsers.set(language, await runtime.createParser(language));
  });
  after(() => {
    for (const parser of parsers.values()) parser.delete();
  });

  /** The rewrite, and that it still parses without errors in its language. */
  function rewrite(text: string, language: LanguageId, seed: number) {
    const parser = parsers.get(language)!;
    const result = rewriteCode(parser, text, language, seededRandom(seed));
    if (result) {
      const tree = parser.parse(result.code)!;
      assert.ok(!tree.rootNode.hasError, `the rewrite parses:\n${result.code}`);
      tree.delete();
    }
    return result;
  }

  it('renames locals consistently and keeps main, calls and string contents', () => {
    for (let seed = 1; seed <= 20; seed++) {
      const result = rewrite(C_PROGRAM, 'c', seed);
      assert.ok(result, `seed ${seed} changes something`);
      assert.match(result.code, /^int main\(\) \{/);
      assert.ok(result.code.includes('scanf("%d", &') && result.code.includes('printf("small\\n")'));
      // The loop variable is declared once and used three times: whatever its new name, it appears 4 times.
      const loop = /for \(int (\w+) = 0; (\w+) < \w+; (\w+)\+\+\)/.exec(result.code);
      assert.ok(loop, result.code);
      assert.equal(loop[1], loop[2]);
      assert.equal(loop[1], loop[3]);
    }
  });

  it('is deterministic for a seed and varies across seeds', () => {
    assert.deepEqual(rewrite(PYTHON_FUNCTION, 'python', 7), rewrite(PYTHON_FUNCTION, 'python', 7));
    const distinct = new Set(Array.from({ length: 10 }, (_, seed) => rewrite(PYTHON_FUNCTION, 'python', seed)?.code));
    assert.ok(distinct.size >= 5, `${distinct.size} distinct rewrites`);
  });

  it('swaps if/else branches under a negated condition', () => {
    const seen = Array.from({ length: 30 }, (_, seed) => rewrite(PYTHON_FUNCTION, 'python', seed)).filter((result) => result?.transforms.includes('swap-branches'));
    assert.ok(seen.length > 0);
    for (const result of seen) assert.match(result!.code, /if not \(\w+ == 0\):\n\s+return \w+ \/ \w+\n\s+else:\n\s+return None/);
  });

  it('reorders only independent simple statements', () => {
    const seen = Array.from({ length: 30 }, (_, seed) => rewrite(PYTHON_FUNCTION, 'python', seed)).filter((result) => result?.transforms.includes('reorder'));
    assert.ok(seen.length > 0);
    for (const result of seen) {
      const lines = result!.code.split('\n');
      // Only statements of one block trade places: the two initialisations, or the two updates in the loop.
      const [, first, second, loop, third, fourth] = lines.map((line) => line.trim());
      assert.deepEqual([first, second].map((line) => /^\w+ = (0|\w+)$/.test(line!)), [true, true]);
      assert.ok([first, second].some((line) => line!.endsWith(' = 0')));
      assert.match(loop!, /^for /);
      assert.ok([third, fourth].some((line) => line!.endsWith(' += 1')) && [third, fourth].every((line) => line!.includes(' += ')));
    }
  });

  it('leaves member names, keyword arguments and shorthand properties alone', () => {
    const python = 'def f(self, size):\n    self.size = size\n    return g(size=size)\n';
    for (let seed = 0; seed < 10; seed++) {
      const result = rewrite(python, 'python', seed);
      if (!result) continue;
      assert.match(result.code, /self\.size = \w+\n {4}return g\(size=\w+\)/);
    }
    const javascript = 'function f(name, age) {\n  const person = { name, age: age };\n  return person;\n}\n';
    for (let seed = 0; seed < 10; seed++) {
      const result = rewrite(javascript, 'javascript', seed);
      if (result) assert.ok(result.code.includes('{ name, age: '), result.code);
    }
  });

  it('gives nothing for code with syntax errors or nothing to change', () => {
    assert.equal(rewrite('def f(:\n    return 1\n', 'python', 1), undefined);
    assert.equal(rewrite('class A { void f() { run(); } }', 'java', 1), undefined);
  });
});
