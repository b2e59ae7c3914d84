import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import type { Node, Parser } from 'web-tree-sitter';
import { documentedFunctions, exampleBlocks } from '../../training/traces/js/examples';
import { buildHarness } from '../../training/traces/js/harness';
import { instrumentFunction, isFunctionNode } from '../../training/traces/js/instrument';
import { categorize, installTraceRuntime, TraceCall, TraceRuntime, VALUE_CATEGORIES, VALUE_TYPES } from '../../training/traces/js/runtime';
import { treeSitter } from './helpers';

// Line offsets are rows from the function's first line (written at the right of each line).
const CLASSIFY = `function classify(values, limit) {
  const seen = new Set();
  let total = 0;
  for (const value of values) {
    if (value < 0) continue;
    if (seen.has(value)) {
      total -= 1;
    } else {
      seen.add(value);
      total += value;
    }
  }
  const label = total > limit ? 'big' : total === 0 ? '' : 'small';
  return [label, total, seen];
}`;

describe('JavaScript trace instrumentation', () => {
  let parser: Parser;
  before(async () => {
    parser = await (await treeSitter()).createParser('javascript');
  });
  after(() => parser.delete());

  /** The first function of `code` named `name` (or the first function at all). */
  function functionNode(root: Node, name?: string): Node {
    const stack = [root];
    while (stack.length > 0) {
      const node = stack.shift()!;
      const declared = node.childForFieldName('name')?.text ?? (node.parent?.type === 'variable_declarator' ? node.parent.childForFieldName('name')?.text : undefined);
      if (isFunctionNode(node) && (!name || declared === name)) return node;
      stack.push(...node.namedChildren.filter((child): child is Node => child !== null));
    }
    throw new Error(`no function ${name ?? ''}`);
  }

  /** Instruments `name` in `code`, evaluates the result as a script, and returns its exports and a runtime. */
  function load(code: string, name: string, exported: string[] = [name]): { exports: Record<string, (...args: never[]) => unknown>; runtime: TraceRuntime } {
    const tree = parser.parse(code)!;
    try {
      const instrumented = instrumentFunction(code, functionNode(tree.rootNode, name)).code;
      const check = parser.parse(instrumented)!;
      assert.equal(check.rootNode.hasError, false, instrumented);
      check.delete();
      const runtime = installTraceRuntime({ write: () => {} }, false);
      const exports = new Function(`${instrumented}\nreturn { ${exported.join(', ')} };`)() as Record<string, (...args: never[]) => unknown>;
      runtime.begin();
      return { exports, runtime };
    } finally {
      tree.delete();
    }
  }

  function valuesAt(call: TraceCall, line: number): Record<string, string> {
    return Object.fromEntries(call.values.filter((value) => value.line === line).map((value) => [value.name, `${value.type}:${value.category}`]));
  }

  it('records the executed lines, the path and the value categories of a call', () => {
    const { exports, runtime } = load(CLASSIFY, 'classify');
    const result = exports.classify!(...[[3, -1, 3], 10] as never[]) as [string, number, Set<number>];
    assert.deepEqual(result.slice(0, 2), ['small', 2]); // behaviour unchanged
    const [call] = runtime.report().calls;
    assert.ok(call);
    assert.equal(call.status, 'ok');
    assert.deepEqual(call.executed, [1, 2, 3, 4, 5, 6, 7, 8, 9, 12, 13]);
    // 3: the loop header, once per iteration; 7: the else branch taken
    assert.deepEqual(call.path, [1, 2, 3, 4, 5, 7, 8, 9, 3, 4, 3, 4, 5, 6, 12, 13]);
    assert.deepEqual(valuesAt(call, 1), { values: 'list:non_empty', limit: 'int:positive', seen: 'set:empty' });
    assert.deepEqual(valuesAt(call, 2), { values: 'list:non_empty', limit: 'int:positive', seen: 'set:empty', total: 'int:zero' });
    // the last value per line wins: the third iteration's value 3
    assert.equal(valuesAt(call, 3).value, 'int:positive');
    // recorded before the jump: the negative value that made `continue` run
    assert.equal(valuesAt(call, 4).value, 'int:negative');
    assert.equal(valuesAt(call, 6).total, 'int:positive');
    assert.deepEqual(valuesAt(call, 12), { values: 'list:non_empty', limit: 'int:positive', seen: 'set:non_empty', total: 'int:positive', label: 'str:non_empty' });
    assert.equal(valuesAt(call, 13).label, 'str:non_empty');
  });

  it('records each call separately, exceptions included', () => {
    const { exports, runtime } = load(CLASSIFY, 'classify');
    exports.classify!(...[[], 0] as never[]);
    assert.throws(() => exports.classify!(...[null, 0] as never[]));
    const [empty, failed] = runtime.report().calls;
    assert.equal(empty!.status, 'ok');
    assert.deepEqual(empty!.executed, [1, 2, 3, 12, 13]);
    assert.equal(valuesAt(empty!, 12).label, 'str:empty');
    assert.equal(failed!.status, 'exception');
    assert.deepEqual(failed!.executed, [1, 2, 3]);
    assert.match(failed!.error ?? '', /TypeError/);
  });

  it('keeps the meaning of tricky constructs', () => {
    const code = `function tricky(n) {
  'use strict'
  const steps = []
  outer: for (let i = 0; i < n; i++) {
    for (const j of [0, 1, 2]) {
      if (j > i) continue outer
      if (i === 3) break outer
      steps.push(i * 10 + j)
    }
  }
  switch (steps.length) {
    case 0:
      return 'none'
    case 1: {
      const only = steps[0]
      return only
    }
    default:
  }
  const twice = steps.map((s) => s * 2)
  let caught
  try {
    null.x
  } catch ({ name }) {
    caught = name
  } finally {
    steps.push(-1)
  }
  if (n > 100) return
  return [twice, caught, steps.length, typeof this]
}`;
    const { exports, runtime } = load(code, 'tricky');
    // called as a plain function, like the uninstrumented twin, so that `this` is the same
    const tricky = exports.tricky! as (n: number) => unknown;
    const result = tricky(5);
    const plain = (new Function(`${code}\nreturn tricky;`)() as (n: number) => unknown)(5);
    assert.deepEqual(result, plain);
    assert.equal((result as unknown[])[3], 'undefined', "'use strict' still holds");
    assert.deepEqual(tricky(0), 'none');
    assert.equal(tricky(1), 0);
    const [call] = runtime.report().calls;
    assert.ok(call!.executed.includes(22) && call!.executed.includes(23) && call!.executed.includes(25), 'catch and finally lines');
    assert.equal(valuesAt(call!, 19).twice, 'list:non_empty');
    assert.equal(valuesAt(call!, 23).name, 'str:non_empty'); // the destructured catch parameter
    assert.equal(valuesAt(call!, 24).caught, 'str:non_empty');
    // the callback's line is marked by the callback's own probe too
    assert.ok(call!.executed.includes(19));
    assert.equal(call!.executed.includes(1), false, 'the directive is not a statement');
  });

  it('instruments arrow functions with expression bodies, generators, async functions and methods', async () => {
    const arrow = load('const double = (x) => ({ value: x * 2 })', 'double');
    assert.deepEqual(arrow.exports.double!(...[4] as never[]), { value: 8 });
    const [arrowCall] = arrow.runtime.report().calls;
    assert.deepEqual(arrowCall!.executed, [0]);
    assert.deepEqual(valuesAt(arrowCall!, 0), { x: 'int:positive' });

    const generator = load('function* count(limit) {\n  for (let i = 0; i < limit; i++) yield i\n  return limit\n}', 'count');
    assert.deepEqual([...(generator.exports.count!(...[3] as never[]) as Iterable<number>)], [0, 1, 2]);
    assert.deepEqual(generator.runtime.report().calls[0]!.executed, [1, 2]);

    const asynchronous = load('async function later(value) {\n  const got = await Promise.resolve(value)\n  if (!got) throw new Error("none")\n  return got\n}', 'later');
    assert.equal(await (asynchronous.exports.later!(...[7] as never[]) as Promise<number>), 7);
    await assert.rejects(asynchronous.exports.later!(...[0] as never[]) as Promise<number>);
    const [resolved, rejected] = asynchronous.runtime.report().calls;
    assert.equal(resolved!.status, 'ok');
    assert.equal(rejected!.status, 'exception');
    assert.deepEqual(valuesAt(resolved!, 1), { value: 'int:positive', got: 'int:positive' });

    const code = 'class Base { constructor(v) { this.v = v } }\nclass Box extends Base {\n  constructor(v) {\n    super(v)\n    this.w = v\n  }\n}';
    const tree = parser.parse(code)!;
    const method = tree.rootNode.descendantsOfType('method_definition')[1]!;
    const instrumented = instrumentFunction(code, method).code;
    tree.delete();
    const runtime = installTraceRuntime({ write: () => {} }, false);
    runtime.begin();
    const Box = new Function(`${instrumented}\nreturn Box;`)() as new (v: number) => { w: number };
    assert.equal(new Box(3).w, 3);
    assert.deepEqual(runtime.report().calls[0]!.executed, [1, 2]);
  });

  it('categorizes JavaScript values with the shared vocabulary', () => {
    const cases: [unknown, string][] = [
      [0, 'int:zero'], [-0, 'int:zero'], [7, 'int:positive'], [-2, 'int:negative'], [2 ** 31, 'int:large_positive'],
      [-(2 ** 31), 'int:large_negative'], [0.5, 'float:positive'], [Number.NaN, 'float:nan'], [Infinity, 'float:large_positive'],
      [10n, 'int:positive'], ['', 'str:empty'], ['a', 'str:non_empty'], [true, 'bool:true'], [false, 'bool:false'],
      [null, 'none:none'], [undefined, 'undefined:undefined'], [[], 'list:empty'], [[1], 'list:non_empty'],
      [{}, 'dict:empty'], [{ a: 1 }, 'dict:non_empty'], [Object.create(null), 'dict:empty'], [new Map([[1, 2]]), 'dict:non_empty'],
      [new Set(), 'set:empty'], [new Uint8Array(2), 'bytes:non_empty'], [new Float64Array(0), 'list:empty'],
      [() => 1, 'function:function'], [class {}, 'function:function'], [new Date(0), 'object:object'], [/x/, 'object:object'],
      [Symbol('s'), 'object:object'], [new (class Point {})(), 'object:object'],
    ];
    for (const [index, [value, expected]] of cases.entries()) {
      const [type, category] = categorize(value);
      assert.equal(`${type}:${category}`, expected, `case ${index}`);
      assert.ok((VALUE_TYPES as readonly string[]).includes(type) && (VALUE_CATEGORIES as readonly string[]).includes(category));
    }
  });

  it('finds documented functions and their examples', () => {
    const code = `/**
 * Adds.
 * @example
 *
 *      R.add(2, 3);      //=> 5
 * @see R.subtract
 */
var add = _curry2(function add(a, b) {
  return Number(a) + Number(b);
});
/**
 * @example <caption>Twice</caption>
 * \`\`\`js
 * twice(2) // 4
 * \`\`\`
 * @example
 * \`\`\`graphql
 * { field }
 * \`\`\`
 */
export const twice = (x) => x * 2;
class Clock {
  /**
   * @example Clock.now() //~> a time
   */
  static now() { return 1; }
}
/** @example undocumented */
function prose() {}
`;
    const tree = parser.parse(code)!;
    const found = documentedFunctions(parser, tree.rootNode);
    tree.delete();
    assert.deepEqual(found.map((f) => [f.name, f.binding, f.className, f.examples]), [
      ['add', 'add', undefined, ['R.add(2, 3);      //=> 5']],
      ['twice', 'twice', undefined, ['twice(2) // 4']],
      ['now', undefined, 'Clock', ['Clock.now() //~> a time']],
    ]);
    assert.deepEqual(exampleBlocks('/**\n * @example\n * a()\n *\n * b()\n * @returns x\n */'), ['a()\n\nb()']);
  });

  it('builds a harness that binds the example\'s free names and points imports into the mirror', () => {
    const files = new Set(['index.js', 'Array.js', 'function.js', 'other.js']);
    const context = {
      packageName: 'fp-ts', files, targetFile: 'Array.js', name: 'isEmpty', binding: 'isEmpty',
      globals: new Set(['Math', 'console']), builtins: new Set(['fs']),
    };
    const built = buildHarness(parser, "import { pipe } from 'fp-ts/lib/function'\nconst n = 010\nresult = pipe([], isEmpty)\nother(Math.max(1, 2))\nassert.ok(n)", context);
    assert.ok('harness' in built, JSON.stringify(built));
    const harness = built.harness;
    assert.match(harness, /^import '\.\/runtime\.mjs';\nimport \{ pipe \} from "\.\/pkg\/function\.js"/);
    assert.match(harness, /__astrolabe\.run\(\["pipe","isEmpty","other","assert"\]/);
    assert.match(harness, /lookup\("isEmpty", \[\["\.\/pkg\/Array\.js","target"\]\]/);
    assert.match(harness, /lookup\("other", \[\["\.\/pkg\/Array\.js","export"\],\["\.\/pkg\/other\.js","module"\],\["\.\/pkg\/index\.js","export"\]\]/);
    assert.doesNotMatch(harness, /"result"|"Math"/); // assigned, or a global
    assert.deepEqual(buildHarness(parser, "import x from 'left-pad'\nx(isEmpty)", context), { skipped: 'import left-pad' });
  });
});
