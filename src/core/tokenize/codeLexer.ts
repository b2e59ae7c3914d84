import type { Parser, TreeCursor } from 'web-tree-sitter';
import { LanguageId } from '../parse/languages';
import { wordSpans } from './identifierSplitter';
import { Lexeme, LexemeKind } from './lexeme';

export interface LexerOptions {
  /** Words kept from a string literal's content (its delimiters come on top); the rest is dropped. */
  readonly maxStringWords: number;
  /** Words kept from a comment or a docstring. */
  readonly maxCommentWords: number;
}

export const DEFAULT_LEXER_OPTIONS: LexerOptions = { maxStringWords: 16, maxCommentWords: 64 };

/** The one thing the lexer needs from the tree-sitter runtime. */
export interface ParserSource {
  createParser(language: LanguageId): Promise<Parser>;
}

// How the walk treats a node type: descend into it (or classify it as a leaf), or take it whole.
const DESCEND = 0;
const STRING = 1;
const COMMENT = 2;

/** String-like node types, across our grammars, whose children (quotes, fragments, escapes) are read as one text. */
const STRING_TYPES = new Set([
  'string', 'template_string', 'regex', 'string_literal', 'raw_string_literal', 'interpreted_string_literal',
  'char_literal', 'character_literal', 'rune_literal', 'text_block', 'system_lib_string',
]);

const STRING_OPENER = /^[A-Za-z0-9]{0,3}#*(?:"""|'''|["'`<\/])/;
const STRING_CLOSER = /(?:"""|'''|["'`>])#*$/;
const COMMENT_OPENER = /^(?:\/\/[\/!]?|\/\*[*!]?|#!?|--|<!--)/;
/** Escapes blanked out of string contents: `\n` is layout, not the word "n". */
const ESCAPE = /\\(?:[nrtvfb0ae]|x[0-9A-Fa-f]{2}|u\{?[0-9A-Fa-f]{1,6}\}?)/g;
/**
 * Comment decoration, not content: `*` at the start of block comment lines, rulers such as `=====`, four or more
 * marks in a row, which prose never has, and `??` or `\uFFFD` runs, which is what text whose encoding was lost turns
 * into (`// ?? ????`, a Chinese comment saved in the wrong code page). `->`, `==`, `...`, `(!)` stay. Tested only on
 * a comment's runs of marks (`wordSpans` that are not words), so `[^]{4,}` is four marks, never a four-letter word.
 */
const DECORATION = /^(?:[*\/#]+|[=\-~+]{3,}|[?\uFFFD]{2,}|[^]{4,})$/u;

// The plain lexer, for text tree-sitter leaves unexplained (error recovery, C macro bodies, ...).
const IDENTIFIER = /[\p{L}\p{M}_$][\p{L}\p{N}\p{M}_$]*/uy;
const NUMBER = /\.?[0-9][0-9A-Za-z_.]*/y;
const OPERATOR = /(?:===|!==|\*\*=|<<=|>>=|>>>|\.\.\.|=>|->|::|==|!=|<=|>=|&&|\|\||\+\+|--|\+=|-=|\*=|\/=|%=|&=|\|=|\^=|<<|>>|\?\?|\?\.|[^\s\p{L}\p{N}\p{M}_$])/uy;

interface LanguageLexer {
  readonly parser: Parser;
  /** DESCEND, STRING or COMMENT by node type id. */
  readonly classes: Uint8Array;
  /** 1 where the node type is named (identifiers, literals), 0 for anonymous ones (keywords, operators). */
  readonly named: Uint8Array;
  /** Node type names by id: an anonymous node's name is its text (a keyword or an operator). */
  readonly names: readonly string[];
}

/**
 * Cuts a code unit into lexemes from the leaves of its tree-sitter tree: keywords, operators, identifiers,
 * numbers, and the words of strings and comments (bounded in number). Newlines between leaves become one
 * `newline` lexeme (blank lines collapse; indentation is not recorded), except in Python, where a change
 * of indentation outside brackets also gives `indent`/`dedent` lexemes, because there it is syntax: the
 * end of a block is otherwise invisible. A Python string standing alone as a statement is a `docstring`.
 *
 * Owns one tree-sitter parser per language (wasm memory): call `dispose()` when done.
 */
export class CodeLexer {
  private constructor(
    private readonly lexers: ReadonlyMap<LanguageId, LanguageLexer>,
    readonly options: LexerOptions,
  ) {}

  static async create(source: ParserSource, languages: readonly LanguageId[], options: LexerOptions = DEFAULT_LEXER_OPTIONS): Promise<CodeLexer> {
    const lexers = new Map<LanguageId, LanguageLexer>();
    try {
      for (const language of languages) {
        const parser = await source.createParser(language);
        lexers.set(language, { parser, ...typeTables(parser) });
      }
    } catch (error) {
      for (const { parser } of lexers.values()) parser.delete();
      throw error;
    }
    return new CodeLexer(lexers, options);
  }

  get languages(): LanguageId[] {
    return [...this.lexers.keys()];
  }

  /** The lexemes of `text`, at most `maxLexemes` of them (the walk stops there). */
  lex(text: string, language: LanguageId, maxLexemes = Infinity): Lexeme[] {
    const lexer = this.lexers.get(language);
    if (!lexer) throw new Error(`the lexer was not created for ${language}`);
    const state = new LexState(text, language === 'python', this.options, maxLexemes);
    const tree = lexer.parser.parse(text);
    if (!tree) {
      state.plain(0, text.length);
      return state.lexemes;
    }
    try {
      const cursor = tree.walk();
      try {
        walk(cursor, lexer, state);
      } finally {
        cursor.delete();
      }
    } finally {
      tree.delete();
    }
    if (!state.full) state.plain(state.position, text.length);
    return state.lexemes;
  }

  dispose(): void {
    for (const { parser } of this.lexers.values()) parser.delete();
  }
}

function typeTables(parser: Parser): Pick<LanguageLexer, 'classes' | 'named' | 'names'> {
  const language = parser.language!;
  const count = language.nodeTypeCount;
  const classes = new Uint8Array(count);
  const named = new Uint8Array(count);
  const names: string[] = [];
  for (let id = 0; id < count; id++) {
    const name = language.nodeTypeForId(id) ?? '';
    names.push(name);
    const isNamed = language.nodeTypeIsNamed(id);
    named[id] = isNamed ? 1 : 0;
    if (isNamed && name.endsWith('comment')) classes[id] = COMMENT;
    else if (isNamed && STRING_TYPES.has(name)) classes[id] = STRING;
  }
  return { classes, named, names };
}

/** Depth-first over the tree, reading leaves (and strings and comments whole) in order. */
function walk(cursor: TreeCursor, lexer: LanguageLexer, state: LexState): void {
  for (;;) {
    const type = cursor.nodeTypeId;
    const nodeClass = lexer.classes[type];
    if (nodeClass !== DESCEND || !cursor.gotoFirstChild()) {
      const start = cursor.startIndex;
      const end = cursor.endIndex;
      if (end > start && start >= state.position) {
        state.plain(state.position, start);
        if (nodeClass === STRING) state.string(start, end);
        else if (nodeClass === COMMENT) state.comment(start, end);
        else state.leaf(start, end, lexer.named[type] === 1 ? undefined : lexer.names[type]);
        state.position = end;
        if (state.full) return;
      }
      while (!cursor.gotoNextSibling()) {
        if (!cursor.gotoParent()) return;
      }
    }
  }
}

function hasSpace(text: string): boolean {
  for (let i = 0; i < text.length; i++) if (text.charCodeAt(i) <= 32) return true;
  return false;
}

/** The lexemes found so far, and the layout state (pending newline, Python's indentation and bracket depth). */
class LexState {
  readonly lexemes: Lexeme[] = [];
  /** Text before this offset has been lexed. */
  position = 0;
  private newlineAt = -1;
  private lineStart = 0;
  private readonly indents = [0];
  private brackets = 0;
  /** Whether the last code lexeme (comments aside) is ':', the only thing a Python block can open after. */
  private afterColon = false;

  constructor(
    private readonly text: string,
    private readonly python: boolean,
    private readonly options: LexerOptions,
    private readonly maxLexemes: number,
  ) {}

  get full(): boolean {
    return this.lexemes.length >= this.maxLexemes;
  }

  /** Text that no tree-sitter leaf covers, or a leaf that needs a plain lexer: whitespace, words, operators. */
  plain(from: number, to: number): void {
    const text = this.text;
    let i = from;
    while (i < to && !this.full) {
      const code = text.charCodeAt(i);
      if (code === 10) {
        this.newlineAt = i;
        this.lineStart = i + 1;
        i++;
        continue;
      }
      if (code === 32 || code === 9 || code === 13 || code === 12 || code === 11 || (code > 127 && /\s/.test(text[i]))) {
        i++;
        continue;
      }
      if (code === 92 && i + 1 < to && (text.charCodeAt(i + 1) === 10 || (text.charCodeAt(i + 1) === 13 && text.charCodeAt(i + 2) === 10))) {
        i += text.charCodeAt(i + 1) === 10 ? 2 : 3; // a backslash line continuation: the logical line goes on
        continue;
      }
      let kind: LexemeKind = 'identifier';
      let regex = IDENTIFIER;
      if (code >= 48 && code <= 57) {
        kind = 'number';
        regex = NUMBER;
      }
      regex.lastIndex = i;
      if (!regex.test(text)) {
        kind = 'punctuation';
        regex = OPERATOR;
        regex.lastIndex = i;
        regex.test(text);
      }
      const end = Math.min(Math.max(regex.lastIndex, i + 1), to);
      this.push(kind, i, end);
      i = end;
    }
  }

  /** A leaf; `anonymousType` is the type name of an anonymous one (a keyword or operator), undefined for a named one. */
  leaf(start: number, end: number, anonymousType: string | undefined): void {
    const code = this.text.charCodeAt(start);
    const wordLike = (code >= 97 && code <= 122) || (code >= 65 && code <= 90) || code === 95 || code === 36 || code > 127;
    if (anonymousType !== undefined) {
      // A keyword or operator reads as its type's name. Error recovery sometimes gives an anonymous leaf
      // other text (a method name, "name:"), and Go's statement terminator is "\n": read those plainly.
      const text = this.text.slice(start, end);
      if (text !== anonymousType || hasSpace(text)) this.plain(start, end);
      else this.push(wordLike && code <= 127 ? 'keyword' : 'punctuation', start, end, text);
      return;
    }
    // Named leaves: identifiers of all sorts, numbers, `true`, `self`; anything else (an error leaf, a C
    // macro body) goes through the plain lexer.
    IDENTIFIER.lastIndex = start;
    if (wordLike && IDENTIFIER.test(this.text) && IDENTIFIER.lastIndex === end) this.push('identifier', start, end);
    else if ((code >= 48 && code <= 57) || (code === 46 && end > start + 1)) this.push('number', start, end);
    else this.plain(start, end);
  }

  string(start: number, end: number): void {
    const raw = this.text.slice(start, end);
    const kind: LexemeKind = this.python && this.standsAlone(end) ? 'docstring' : 'string';
    const opener = STRING_OPENER.exec(raw)?.[0] ?? '';
    let closer = '';
    if (opener.endsWith('/')) {
      const slash = raw.lastIndexOf('/');
      if (slash >= opener.length) closer = raw.slice(slash);
    } else if (opener) {
      const match = STRING_CLOSER.exec(raw);
      if (match && raw.length - match[0].length >= opener.length) closer = match[0];
    }
    if (opener) this.push(kind, start, start + opener.length);
    const contentStart = start + opener.length;
    const content = raw.slice(opener.length, raw.length - closer.length).replace(ESCAPE, (escape) => ' '.repeat(escape.length));
    const limit = kind === 'docstring' ? this.options.maxCommentWords : this.options.maxStringWords;
    for (const span of wordSpans(content, 0, content.length, limit)) {
      if (this.full) return;
      this.push(kind, contentStart + span.start, contentStart + span.end, content.slice(span.start, span.end));
    }
    if (closer) this.push(kind, end - closer.length, end);
  }

  comment(start: number, end: number): void {
    const raw = this.text.slice(start, end);
    const opener = COMMENT_OPENER.exec(raw)?.[0] ?? '';
    if (opener) this.push('comment', start, start + opener.length);
    const to = raw.endsWith('*/') && raw.length >= opener.length + 2 ? end - 2 : end;
    let words = 0;
    // Spans past the limit are never read; decoration is skipped after cutting, so leave room for some.
    const limit = 2 * this.options.maxCommentWords + 16;
    for (const span of wordSpans(this.text, start + opener.length, to, limit)) {
      if (words >= this.options.maxCommentWords || this.full) return;
      if (!span.isWord && DECORATION.test(this.text.slice(span.start, span.end))) continue;
      this.push('comment', span.start, span.end);
      words++;
    }
  }

  /** Whether only whitespace or a comment follows `end` on its line (with a statement start before it). */
  private standsAlone(end: number): boolean {
    const previous = this.lexemes[this.lexemes.length - 1];
    const atStatementStart = this.brackets === 0 && (this.newlineAt >= 0 || previous === undefined || previous.kind === 'indent' || previous.kind === 'dedent' || previous.kind === 'newline');
    if (!atStatementStart) return false;
    const text = this.text;
    for (let i = end; i < text.length; i++) {
      const code = text.charCodeAt(i);
      if (code === 10 || code === 35) return true; // newline, '#'
      if (code !== 32 && code !== 9 && code !== 13) return false;
    }
    return true;
  }

  private push(kind: LexemeKind, start: number, end: number, text = this.text.slice(start, end)): void {
    if (this.newlineAt >= 0) this.layout(kind, start);
    if (this.full) return;
    if (this.python && kind === 'punctuation' && text.length === 1) {
      if (text === '(' || text === '[' || text === '{') this.brackets++;
      else if ((text === ')' || text === ']' || text === '}') && this.brackets > 0) this.brackets--;
    }
    if (kind !== 'comment') this.afterColon = kind === 'punctuation' && text === ':';
    this.lexemes.push({ kind, text, start, end });
  }

  /** A newline was seen before the lexeme at `start`: one `newline`, then Python's indentation changes. */
  private layout(kind: LexemeKind, start: number): void {
    const newlineAt = this.newlineAt;
    this.newlineAt = -1;
    if (this.lexemes.length === 0) return; // leading blank lines
    this.lexemes.push({ kind: 'newline', text: '\n', start: newlineAt, end: newlineAt + 1 });
    // Python ignores indentation inside brackets, and a comment's indentation means nothing.
    if (!this.python || this.brackets > 0 || kind === 'comment') return;
    const column = start - this.lineStart;
    const indents = this.indents;
    if (column > indents[indents.length - 1]) {
      if (this.afterColon) {
        indents.push(column);
        this.lexemes.push({ kind: 'indent', text: '', start: this.lineStart, end: start });
      } else if (indents.length === 1) {
        // A unit's first line starts at column 0 of its text whatever its column in the file, so a method's
        // decorator line is followed by a deeper `def`: that sets the unit's base level, it opens no block.
        indents[0] = column;
      } // else a continuation line (after a backslash): no block either
      return;
    }
    while (indents.length > 1 && column < indents[indents.length - 1]) {
      indents.pop();
      this.lexemes.push({ kind: 'dedent', text: '', start: this.lineStart, end: start });
    }
    if (column < indents[0]) indents[0] = column;
  }
}
