import assert from 'node:assert/strict';
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { LANGUAGES, languageForPath } from '../../src/core/parse/languages';
import { CodeLexer } from '../../src/core/tokenize/codeLexer';
import { Lexeme } from '../../src/core/tokenize/lexeme';
import { FIXTURES, treeSitter } from './helpers';

/** "kind:text", with layout by name: short enough to write expectations by hand. */
function render(lexemes: readonly Lexeme[]): string[] {
  return lexemes.map((lexeme) => {
    if (lexeme.kind === 'newline') return 'NL';
    if (lexeme.kind === 'indent') return 'INDENT';
    if (lexeme.kind === 'dedent') return 'DEDENT';
    return `${lexeme.kind.slice(0, 2)}:${lexeme.text}`;
  });
}

describe('CodeLexer', () => {
  let lexer: CodeLexer;
  before(async () => {
    lexer = await CodeLexer.create(await treeSitter(), LANGUAGES.map((language) => language.id));
  });
  after(() => lexer.dispose());

  it('lexes Python with a docstring, one newline per line break and indent/dedent pairs', () => {
    const source = 'def area(self):\n    """Return the area."""\n\n    if self.r:\n        return 3.14 * self.r ** 2\n    return 0\n';
    assert.deepEqual(render(lexer.lex(source, 'python')), [
      'ke:def', 'id:area', 'pu:(', 'id:self', 'pu:)', 'pu::', 'NL', 'INDENT',
      'do:"""', 'do:Return', 'do:the', 'do:area', 'do:.', 'do:"""', 'NL',
      'ke:if', 'id:self', 'pu:.', 'id:r', 'pu::', 'NL', 'INDENT',
      'ke:return', 'nu:3.14', 'pu:*', 'id:self', 'pu:.', 'id:r', 'pu:**', 'nu:2', 'NL', 'DEDENT',
      'ke:return', 'nu:0',
    ]);
  });

  it('ignores Python indentation inside brackets and on comment lines, and copes with a method cut from its class', () => {
    const source = '    def method(self):\n        x = [1,\n             2]\n  # odd comment\n        return x  # done\n';
    assert.deepEqual(render(lexer.lex(source, 'python')), [
      'ke:def', 'id:method', 'pu:(', 'id:self', 'pu:)', 'pu::', 'NL', 'INDENT',
      'id:x', 'pu:=', 'pu:[', 'nu:1', 'pu:,', 'NL', 'nu:2', 'pu:]', 'NL', 'co:#', 'co:odd', 'co:comment', 'NL',
      'ke:return', 'id:x', 'co:#', 'co:done',
    ]);
  });

  it('opens Python blocks only after a colon: a decorated method cut from its class gets one indent', () => {
    const source = '@property\n    def area(self):\n        return self.w * \\\n            self.h\n';
    assert.deepEqual(render(lexer.lex(source, 'python')), [
      'pu:@', 'id:property', 'NL', 'ke:def', 'id:area', 'pu:(', 'id:self', 'pu:)', 'pu::', 'NL', 'INDENT',
      'ke:return', 'id:self', 'pu:.', 'id:w', 'pu:*', 'id:self', 'pu:.', 'id:h',
    ]);
  });

  it('leaves comment decoration out: rulers, four marks or more, lost-encoding runs, but not a short operator', () => {
    // `??` runs are what a comment whose encoding was lost turns into; they would outnumber the words.
    const source = 'int f() { // ?? ???? \uFFFD\uFFFD sum -> total (of all) ... a == b\n  /* ===== x + 2 ?!?! */ return 0; }\n';
    const comments = render(lexer.lex(source, 'cpp')).filter((lexeme) => lexeme.startsWith('co:'));
    assert.deepEqual(comments, ['co://', 'co:sum', 'co:->', 'co:total', 'co:(', 'co:of', 'co:all', 'co:)', 'co:...', 'co:a', 'co:==', 'co:b',
      'co:/*', 'co:x', 'co:+', 'co:2']);
  });

  it('tells a docstring from a string used in an expression', () => {
    const kinds = lexer.lex('x = "value"\n"""A note."""\n', 'python').map((lexeme) => lexeme.kind);
    assert.deepEqual(kinds, ['identifier', 'punctuation', 'string', 'string', 'string', 'newline', 'docstring', 'docstring', 'docstring', 'docstring', 'docstring']);
  });

  it('lexes TypeScript, Go, C, Rust and Java', () => {
    assert.deepEqual(render(lexer.lex('function add(a: number, b: number): number {\n  // sum\n  return a + b;\n}\n', 'typescript')), [
      'ke:function', 'id:add', 'pu:(', 'id:a', 'pu::', 'ke:number', 'pu:,', 'id:b', 'pu::', 'ke:number', 'pu:)', 'pu::', 'ke:number', 'pu:{', 'NL',
      'co://', 'co:sum', 'NL', 'ke:return', 'id:a', 'pu:+', 'id:b', 'pu:;', 'NL', 'pu:}',
    ]);
    assert.deepEqual(render(lexer.lex('func Add(a, b int) int {\n\treturn a + b // sum\n}\n', 'go')), [
      'ke:func', 'id:Add', 'pu:(', 'id:a', 'pu:,', 'id:b', 'id:int', 'pu:)', 'id:int', 'pu:{', 'NL',
      'ke:return', 'id:a', 'pu:+', 'id:b', 'co://', 'co:sum', 'NL', 'pu:}',
    ]);
    assert.deepEqual(render(lexer.lex('int max(int a, int b) {\n  /* bigger\n   * one */\n  return a > b ? a : b;\n}\n', 'c')), [
      'id:int', 'id:max', 'pu:(', 'id:int', 'id:a', 'pu:,', 'id:int', 'id:b', 'pu:)', 'pu:{', 'NL',
      'co:/*', 'co:bigger', 'co:one', 'NL', 'ke:return', 'id:a', 'pu:>', 'id:b', 'pu:?', 'id:a', 'pu::', 'id:b', 'pu:;', 'NL', 'pu:}',
    ]);
    assert.deepEqual(render(lexer.lex('fn name(&self) -> &str { r#"Hi "there""# }', 'rust')), [
      'ke:fn', 'id:name', 'pu:(', 'pu:&', 'id:self', 'pu:)', 'pu:->', 'pu:&', 'id:str', 'pu:{', 'st:r#"', 'st:Hi', 'st:"', 'st:there', 'st:"', 'st:"#', 'pu:}',
    ]);
    assert.deepEqual(render(lexer.lex('public int size() { return items.size(); }', 'java')), [
      'ke:public', 'ke:int', 'id:size', 'pu:(', 'pu:)', 'pu:{', 'ke:return', 'id:items', 'pu:.', 'id:size', 'pu:(', 'pu:)', 'pu:;', 'pu:}',
    ]);
  });

  it('reads C macro bodies and text tree-sitter could not place with a plain lexer', () => {
    assert.deepEqual(render(lexer.lex('#define MAX(a,b) ((a)>(b))\n', 'c')), [
      'pu:#define', 'id:MAX', 'pu:(', 'id:a', 'pu:,', 'id:b', 'pu:)', 'pu:(', 'pu:(', 'id:a', 'pu:)', 'pu:>', 'pu:(', 'id:b', 'pu:)', 'pu:)',
    ]);
    const broken = lexer.lex('x = = ) @@ "unterminated', 'python').map((lexeme) => lexeme.text).join(' ');
    for (const part of ['x', '=', ')', '@', 'unterminated']) assert.ok(broken.includes(part), broken);
  });

  it('blanks escapes out of strings and bounds the words of strings and comments', async () => {
    const source = 's = "line one\\nline two"  # a b c d e f g h';
    assert.deepEqual(render(lexer.lex(source, 'python')).slice(2), ['st:"', 'st:line', 'st:one', 'st:line', 'st:two', 'st:"', 'co:#', 'co:a', 'co:b', 'co:c', 'co:d', 'co:e', 'co:f', 'co:g', 'co:h']);
    const bounded = await CodeLexer.create(await treeSitter(), ['python'], { maxStringWords: 3, maxCommentWords: 2 });
    try {
      assert.deepEqual(render(bounded.lex(source, 'python')).slice(2), ['st:"', 'st:line', 'st:one', 'st:line', 'st:"', 'co:#', 'co:a', 'co:b']);
    } finally {
      bounded.dispose();
    }
  });

  it('stops after maxLexemes', () => {
    assert.equal(lexer.lex('a = 1\nb = 2\nc = 3\n', 'python', 4).length, 4);
  });

  it('covers every visible character of the language fixtures, in order, without overlaps', async (t) => {
    const unbounded = await CodeLexer.create(await treeSitter(), LANGUAGES.map((language) => language.id), { maxStringWords: 1e9, maxCommentWords: 1e9 });
    t.after(() => unbounded.dispose());
    const folder = join(FIXTURES, 'languages');
    for (const file of readdirSync(folder)) {
      const language = languageForPath(file)?.id;
      if (!language) continue;
      const source = readFileSync(join(folder, file), 'utf8');
      const lexemes = unbounded.lex(source, language);
      assert.ok(lexemes.length > 20, file);
      const covered = new Uint8Array(source.length);
      let previousEnd = 0;
      for (const lexeme of lexemes) {
        if (lexeme.kind === 'indent' || lexeme.kind === 'dedent') continue;
        assert.ok(lexeme.start >= previousEnd && lexeme.end > lexeme.start, `${file}: ${JSON.stringify(lexeme)} out of order`);
        if (lexeme.kind !== 'newline') assert.equal(source.slice(lexeme.start, lexeme.end), lexeme.text, file);
        covered.fill(1, lexeme.start, lexeme.end);
        previousEnd = lexeme.end;
      }
      // Only comment closers and decoration, and string escapes, may be left out.
      const missed = [...source].filter((char, i) => covered[i] === 0 && char.trim() !== '' && !'*/\\'.includes(char));
      assert.deepEqual(missed, [], file);
    }
  });
});
