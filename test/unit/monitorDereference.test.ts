import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { C_SYNTAX, completionLanguageOf, GO_SYNTAX, JAVA_SYNTAX, JAVASCRIPT_SYNTAX, PYTHON_SYNTAX, RUST_SYNTAX, syntaxOf } from '../../src/core/monitor/codeSyntax';
import { closersForLine, DereferenceMonitor, dereferenceAtEnd, usedMembers } from '../../src/core/monitor/dereferenceMonitor';
import { chooseToken, intersectMasks } from '../../src/core/monitor/tokenChoice';
import { AnalysisDocument, StaticAnalysis } from '../../src/core/monitor/staticAnalysis';
import { VocabularyTrie } from '../../src/core/monitor/vocabularyTrie';

/** A static-analysis port answering from a table, recording what it was asked. */
class TableAnalysis implements StaticAnalysis {
  readonly asked: AnalysisDocument[] = [];
  constructor(private readonly answer: readonly string[] | undefined) {}
  async memberNames(document: AnalysisDocument): Promise<readonly string[] | undefined> {
    this.asked.push(document);
    return this.answer;
  }
}

const VOCABULARY = ['area', 'ar', 'ea', 'ea(', 'radius', '.', 'x', ' ', '(', ')', 'zz', ''];
const END = 11;

function allowed(monitor: DereferenceMonitor): string[] | undefined {
  const mask = monitor.maskgen();
  if (!mask) return undefined;
  return VOCABULARY.map((text, token) => (token === END ? '<end>' : text)).filter((_, token) => mask.allowed[token]);
}

describe('dereferenceAtEnd (pre)', () => {
  it('triggers after an expression and a dot', () => {
    for (const text of ['circle.', 'make().', 'items[0].', 'maybe?.', 'this.a.b.', 'const s = `${circle.', 'f(a, b.']) assert.equal(dereferenceAtEnd(text), '.', text);
  });
  it('does not trigger on spreads, numbers, comments, strings and a dot alone', () => {
    for (const text of ['[...', 'x = 12.', '// see circle.', 'const s = "circle.', 'const s = `circle.', 'x\n  .', '.', 'a = 1 + .']) assert.equal(dereferenceAtEnd(text), undefined, text);
  });
  it('reads Python comments, strings and floor division as Python does', () => {
    for (const text of ['total = count // self.', 'print(`x`, os.path.', 'self.items[0].']) assert.equal(dereferenceAtEnd(text, PYTHON_SYNTAX), '.', text);
    for (const text of ['# see circle.', "name = 'circle.", 'x = 1.']) assert.equal(dereferenceAtEnd(text, PYTHON_SYNTAX), undefined, text);
    assert.equal(dereferenceAtEnd('total = count // self.', JAVASCRIPT_SYNTAX), undefined, 'in JavaScript // starts a comment');
  });
  it('takes `->` as a dereference in C and C++ only (in Java it is a lambda arrow)', () => {
    for (const text of ['node->', 'list->head->', 'nodes[i]->', 'parent(node)->']) assert.equal(dereferenceAtEnd(text, C_SYNTAX), '->', text);
    for (const text of ['return x ->', '// p->', 'puts("p->']) assert.equal(dereferenceAtEnd(text, C_SYNTAX), undefined, text);
    assert.equal(dereferenceAtEnd('list.stream().map(x ->', JAVA_SYNTAX), undefined);
    assert.equal(dereferenceAtEnd('node->', JAVASCRIPT_SYNTAX), undefined);
    assert.equal(dereferenceAtEnd("char c = '\\''; node.", C_SYNTAX), '.', 'an escaped quote in a character literal');
  });
  it("reads Rust's lifetimes as code and its character literals as literals", () => {
    assert.equal(dereferenceAtEnd("fn first<'a>(items: &'a [Item]) -> &'a Item { items.", RUST_SYNTAX), '.');
    assert.equal(dereferenceAtEnd("'outer: loop { self.", RUST_SYNTAX), '.');
    assert.equal(dereferenceAtEnd("let c = '.'; self.", RUST_SYNTAX), '.');
    assert.equal(dereferenceAtEnd("let c = '\\u{2e}'; self.", RUST_SYNTAX), '.');
    assert.equal(dereferenceAtEnd('let s = "self.', RUST_SYNTAX), undefined);
    assert.equal(dereferenceAtEnd("'outer: loop { self.", JAVASCRIPT_SYNTAX), undefined, "elsewhere ' opens a string");
  });
  it("reads Go's backticks as raw strings, where a backslash escapes nothing", () => {
    assert.equal(dereferenceAtEnd('pattern := `\\d+`; re.', GO_SYNTAX), '.');
    assert.equal(dereferenceAtEnd('pattern := `\\`; re.', GO_SYNTAX), '.', 'the backslash does not escape the closing backtick');
    assert.equal(dereferenceAtEnd('text := `see os.', GO_SYNTAX), undefined);
  });
  it('picks the syntax from the file name', () => {
    assert.equal(syntaxOf('/p/app.py'), PYTHON_SYNTAX);
    assert.equal(syntaxOf('/p/stubs.pyi'), PYTHON_SYNTAX);
    assert.equal(syntaxOf('/p/app.ts'), JAVASCRIPT_SYNTAX);
    assert.equal(syntaxOf('/p/main.go'), GO_SYNTAX);
    assert.equal(syntaxOf('/p/lib.rs'), RUST_SYNTAX);
    assert.equal(syntaxOf('/p/list.h'), C_SYNTAX);
    assert.equal(syntaxOf('/p/list.hpp'), C_SYNTAX);
    assert.equal(syntaxOf('/p/App.java'), JAVA_SYNTAX);
    assert.equal(syntaxOf('/p/notes.txt'), JAVASCRIPT_SYNTAX, 'an unknown language reads as JavaScript');
  });
  it("prefers the editor's language id to the file name", () => {
    assert.equal(syntaxOf('Untitled-1', 'python'), PYTHON_SYNTAX);
    assert.equal(completionLanguageOf('Untitled-1', 'cpp'), 'cpp');
    assert.equal(completionLanguageOf('/p/script', 'plaintext'), undefined);
    assert.equal(completionLanguageOf('/p/a.rs', 'plaintext'), 'rust', 'a language id Astrolabe does not know falls back to the name');
  });
});

describe('closersForLine', () => {
  it('closes the brackets and template parts left open on the line, innermost first', () => {
    assert.equal(closersForLine('first(line\nf(a, [b, g(c.'), ')])');
    assert.equal(closersForLine('const s = `area ${circle.'), '}`');
    assert.equal(closersForLine('if (a(b) && "(" + c.'), ')');
    assert.equal(closersForLine('x.'), '');
    assert.equal(closersForLine('print(f"{a}", `b`, [c.', PYTHON_SYNTAX), '])', 'a backtick opens nothing in Python');
  });
});

describe('DereferenceMonitor', () => {
  const trie = new VocabularyTrie(VOCABULARY);
  const text = (generated: string) => ({ fileName: '/p/a.ts', prefix: 'const c = circle', generated, suffix: '\nnext();\n', syntax: JAVASCRIPT_SYNTAX });

  it('runs pre, a_phi, maskgen and update as a state machine', async () => {
    const analysis = new TableAnalysis(['area', 'radius']);
    const monitor = new DereferenceMonitor(analysis, trie, [END]);
    assert.equal(monitor.pre(text('')), false);
    assert.equal(monitor.maskgen(), undefined, 'idle: no constraint');
    assert.equal(monitor.pre(text('.')), true);
    await monitor.analyze(text('.'));
    // a_phi saw the document with the completion so far, closers, and the suffix; the offset right after the dot.
    assert.deepEqual(analysis.asked, [{ fileName: '/p/a.ts', text: 'const c = circle.\nnext();\n', offset: 17 }]);
    assert.deepEqual(allowed(monitor), ['area', 'ar', 'radius']);
    monitor.update('ar');
    assert.deepEqual(allowed(monitor), ['ea', 'ea(']);
    monitor.update('ea');
    assert.deepEqual(allowed(monitor), ['.', ' ', '(', ')', '<end>'], 'a complete name: only what ends it');
    monitor.update('(');
    assert.equal(monitor.maskgen(), undefined, 'back to idle once the name is written');
    assert.equal(monitor.pre(text('.area(')), false);
    assert.equal(monitor.pre(text('.area(x.')), true, 'the next dereference triggers again');
    assert.equal(monitor.events.length, 1);
    assert.deepEqual(monitor.events[0]!.legal, ['area', 'radius']);
  });

  it('leaves decoding free where static analysis knows nothing, and does not ask twice at one point', async () => {
    const monitor = new DereferenceMonitor(new TableAnalysis(undefined), trie, [END]);
    assert.ok(monitor.pre(text('.')));
    await monitor.analyze(text('.'));
    assert.equal(monitor.maskgen(), undefined);
    assert.equal(monitor.pre(text('.')), false);
    assert.match(monitor.events[0]!.reason, /knows no members/);
  });

  it("constrains after C's `->` as after `.`, and counts the members the file uses after either", async () => {
    const analysis = new TableAnalysis(['area', 'radius']);
    const monitor = new DereferenceMonitor(analysis, trie, [END]);
    const c = (generated: string) => ({ fileName: '/p/shape.c', prefix: 'double d = shape', generated, suffix: '\nreturn other.radius;\n', syntax: C_SYNTAX });
    assert.equal(monitor.pre(c('-')), false);
    assert.equal(monitor.pre(c('->')), true);
    await monitor.analyze(c('->'));
    assert.equal(analysis.asked[0]!.offset, 'double d = shape->'.length);
    assert.match(monitor.events[0]!.reason, /after '->', only the 2 members static analysis lists \(1 of them used elsewhere/);
    assert.deepEqual(allowed(monitor), ['area', 'ar', 'radius']);
    assert.deepEqual([...usedMembers('p->next = q.prev; r -> s; a->b')].sort(), ['b', 'next', 'prev']);
  });

  it('passes the unclosed brackets of the line to the analysis, closed', async () => {
    const analysis = new TableAnalysis(['area']);
    const monitor = new DereferenceMonitor(analysis, trie, [END]);
    await monitor.analyze({ fileName: '/p/a.ts', prefix: 'total(sum(circle.', generated: '', suffix: '\n', syntax: JAVASCRIPT_SYNTAX });
    assert.equal(analysis.asked[0]!.text, 'total(sum(circle.))\n');
  });

  it('prefers the legal members the file already uses: a logit bonus on the tokens that lead to them', async () => {
    assert.deepEqual([...usedMembers('a.radius + b.area(); x . y; 1.5; c?.zz')].sort(), ['area', 'radius', 'zz']);
    const analysis = new TableAnalysis(['area', 'radius']);
    const monitor = new DereferenceMonitor(analysis, trie, [END], { usedMemberBonus: 2 });
    await monitor.analyze({ fileName: '/p/a.ts', prefix: 'const c = circle.', generated: '', suffix: '\nreturn other.radius;\n', syntax: JAVASCRIPT_SYNTAX });
    assert.match(monitor.events[0]!.reason, /only the 2 members static analysis lists \(1 of them used elsewhere in the file, preferred\)/);
    assert.deepEqual(monitor.events[0]!.legal, ['radius', 'area'], 'the used member listed first');
    const mask = monitor.maskgen()!;
    const radius = VOCABULARY.indexOf('radius');
    const area = VOCABULARY.indexOf('area');
    assert.equal(mask.bonus?.[radius], 2);
    assert.equal(mask.bonus?.[area], 0);
    // The model slightly prefers area; the bonus turns the choice to radius, and never allows an illegal token.
    const logits = new Float32Array(VOCABULARY.length);
    logits[area] = 1;
    logits[radius] = 0;
    logits[VOCABULARY.indexOf('zz')] = 10;
    assert.equal(chooseToken(logits, mask), radius);
    assert.equal(chooseToken(logits, { allowed: mask.allowed, count: mask.count }), area, 'without the bonus: the model\'s choice');
    const legalityOnly = new DereferenceMonitor(analysis, trie, [END], { usedMemberBonus: 0 });
    await legalityOnly.analyze({ fileName: '/p/a.ts', prefix: 'const c = circle.', generated: '', suffix: '\nreturn other.radius;\n', syntax: JAVASCRIPT_SYNTAX });
    assert.equal(legalityOnly.maskgen()!.bonus, undefined);
    // Masks of several monitors: the intersection, with the bonuses summed.
    const both = intersectMasks([mask, mask])!;
    assert.equal(both.bonus?.[radius], 4);
    assert.equal(both.count, mask.count);
  });
});
