import assert from 'node:assert/strict';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { LanguageId } from '../../src/core/parse/languages';
import { constituentsOf, scoreConstituents } from '../../src/core/probe/constituents';
import { toFloat16Bits } from '../../src/core/probe/float16';
import { predictEncoding } from '../../src/core/probe/layerProbe';
import { probeTreeOf } from '../../src/core/probe/probeTree';
import { compareWithReference, sameRanking } from '../../src/core/probe/referenceEncoding';
import { formatTree, leavesOf, SyntaxTree } from '../../src/core/probe/syntaxTree';
import { decodeTree, encodeTree } from '../../src/core/probe/treeEncoding';
import { FIXTURES, treeSitter } from './helpers';

const GOLDEN = join(__dirname, '..', '..', '..', '..', 'shared', 'eval', 'ast-probe', 'golden_python.jsonl');

interface GoldenRecord {
  id: string;
  code: string;
  code_pre: string;
  tokens: string[];
  d: number[];
  c: string[];
  u: string[];
  gold_spans: string[];
}

function goldenRecords(): GoldenRecord[] {
  return readFileSync(GOLDEN, 'utf8').split('\n').filter((line) => line.trim()).map((line) => JSON.parse(line) as GoldenRecord);
}

async function probeTree(source: string, language: LanguageId): Promise<SyntaxTree> {
  const parser = await (await treeSitter()).createParser(language);
  const tree = parser.parse(source)!;
  try {
    return probeTreeOf(tree.rootNode, language)!;
  } finally {
    tree.delete();
    parser.delete();
  }
}

describe('AST-Probe tree encoding', () => {
  it('binarizes as the paper: unary chains merged, n-ary nodes right-branching under <empty>', async () => {
    const tree = await probeTree('def f(a):\n    pass\n', 'python');
    assert.deepEqual(leavesOf(tree).map((leaf) => leaf.text), ['def', 'f', '(', 'a', ')', ':', 'pass']);
    assert.deepEqual(encodeTree(tree), {
      // function_definition(def, f, parameters, :, block): its label on the first split, <empty> on the others.
      d: [5, 4, 2, 1, 3, 1],
      c: ['module<sep>function_definition', '<empty>', 'parameters', '<empty>', '<empty>', '<empty>'],
      u: ['<empty>', '<empty>', '<empty>', '<empty>', '<empty>', '<empty>', 'block<sep>pass_statement'],
    });
  });

  it('leaves out comments and docstrings and keeps a string literal as one leaf', async () => {
    const tree = await probeTree('def f():\n    """Doc."""\n    # note\n    return f"a {b} c"  # why\n', 'python');
    assert.deepEqual(leavesOf(tree).map((leaf) => leaf.text), ['def', 'f', '(', ')', ':', 'return', 'f"a {b} c"']);
    const go = await probeTree('package p\n\n// Doc.\nfunc F() string {\n\treturn `raw` + "x"\n}\n', 'go');
    assert.deepEqual(leavesOf(go).map((leaf) => leaf.text), ['package', 'p', 'func', 'F', '(', ')', 'string', '{', 'return', '`raw`', '+', '"x"', '}']);
  });

  it('rebuilds every tree exactly from its (d, c, u), in Python, JavaScript and Go', async () => {
    const sources: [string, LanguageId][] = [
      [readFileSync(join(FIXTURES, 'probe', 'geometry.py'), 'utf8'), 'python'],
      [readFileSync(join(FIXTURES, 'probe', 'server.go'), 'utf8'), 'go'],
      ['export function f(a, ...rest) { const [x, y] = a ?? [1, 2]; return x > y ? `${x}` : rest.map((r) => r * 2); }', 'javascript'],
    ];
    if (existsSync(GOLDEN)) for (const record of goldenRecords().slice(0, 100)) sources.push([record.code, 'python']);
    for (const [source, language] of sources) {
      const tree = await probeTree(source, language);
      const { d, c, u } = encodeTree(tree);
      const rebuilt = decodeTree(d, c, u, leavesOf(tree));
      assert.equal(formatTree(rebuilt), formatTree(tree));
      assert.deepEqual(rebuilt, tree);
      // Only the ranking of d matters: any order-preserving change rebuilds the same tree.
      assert.deepEqual(decodeTree(d.map((height) => height * height + 0.5), c, u, leavesOf(tree)), tree);
    }
  });

  it('reproduces the authors\' golden vectors: 300/300 from the preprocessed code and from the raw code', { skip: !existsSync(GOLDEN) && 'no ../shared/eval beside the checkout' }, async () => {
    const parser = await (await treeSitter()).createParser('python');
    try {
      const records = goldenRecords();
      assert.equal(records.length, 300);
      for (const record of records) {
        const reference = { tokens: record.tokens, d: record.d, c: record.c, u: record.u, goldSpans: record.gold_spans };
        assert.deepEqual(compareWithReference({ ...reference, code: record.code_pre }, parser, 'python'), [], `${record.id} (code_pre)`);
        assert.deepEqual(compareWithReference({ ...reference, code: record.code }, parser, 'python'), [], `${record.id} (code, our comment and docstring removal)`);
      }
    } finally {
      parser.delete();
    }
  });

  it('compares d as a ranking', () => {
    assert.ok(sameRanking([3, 1, 2], [30, 1, 2.5]));
    assert.ok(!sameRanking([3, 1, 2], [3, 2, 1]));
    assert.ok(!sameRanking([1, 1], [1, 2]));
  });
});

describe('AST-Probe constituents and scores', () => {
  it('gives labelled spans, chains split and <empty> nodes left out', () => {
    const leaves = ['a', 'b', 'c'].map((text, i) => ({ text, start: i, end: i + 1 }));
    const tree = decodeTree([2, 1], ['x<sep>y', '<empty>'], ['<empty>', 'z', '<empty>'], leaves);
    assert.deepEqual([...constituentsOf(tree)].sort(), ['x-0-2', 'y-0-2', 'z-1-1']);
    assert.deepEqual(scoreConstituents(new Set(['x-0-2', 'q-1-2']), new Set(['x-0-2', 'y-0-2', 'z-1-1'])), { precision: 0.5, recall: 1 / 3, f1: 0.4 });
    assert.deepEqual(scoreConstituents(new Set(), new Set(['x-0-1'])), { precision: 0, recall: 0, f1: 0 });
  });

  it('predicts d from squared distances of projected neighbours, c and u from linear heads', () => {
    // hidden 2, rank 1: the projection keeps the first coordinate.
    const probe = {
      layer: 0, rank: 1, hidden: 2, projection: Float32Array.of(1, 0),
      cWeight: Float32Array.of(1, -1), cBias: Float32Array.of(0, 0), cLabels: ['grows', 'shrinks'],
      uWeight: Float32Array.of(0, 1), uBias: Float32Array.of(0.5, 0), uLabels: ['<empty>', 'big'],
    };
    const vectors = Float32Array.of(0, 9, 3, 9, 1, 9);
    const { d, c, u } = predictEncoding(probe, vectors, 3);
    assert.deepEqual(Array.from(d), [9, 4]);
    assert.deepEqual(c, ['grows', 'shrinks']);
    assert.deepEqual(u, ['<empty>', 'big', 'big']);
  });

  it('writes float16 as IEEE half precision', () => {
    assert.equal(toFloat16Bits(1), 0x3c00);
    assert.equal(toFloat16Bits(-2), 0xc000);
    assert.equal(toFloat16Bits(65504), 0x7bff);
    assert.equal(toFloat16Bits(1e6), 0x7c00);
    assert.equal(toFloat16Bits(2 ** -24), 0x0001);
    assert.equal(toFloat16Bits(1 + 2 ** -11), 0x3c00); // halfway rounds to even
    assert.equal(toFloat16Bits(0.1), 0x2e66);
  });
});
