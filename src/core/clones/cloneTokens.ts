import type { Parser, Tree, TreeCursor } from 'web-tree-sitter';
import { LanguageId } from '../parse/languages';
import { IDENTIFIER, LITERAL, TokenCorpus } from './tokenCorpus';

// What a node type is to the clone tokenizer.
const DESCEND = 0; // an inner node: its leaves are read
const COMMENT = 1; // not a token, but counted towards a clone's size
const WHOLE_LITERAL = 2; // a literal, read as one token whatever its children (string quotes, escapes)
const IDENTIFIER_LEAF = 3;
const OTHER_LEAF = 4; // keywords, operators, and named leaves such as `this` or `primitive_type`

/** Literal node types across our nine grammars. Not `composite_literal` or `func_literal` (Go): those hold code. */
const LITERAL_TYPES = new Set([
  'string', 'template_string', 'regex', 'string_literal', 'raw_string_literal', 'interpreted_string_literal', 'concatenated_string',
  'char_literal', 'character_literal', 'rune_literal', 'text_block', 'system_lib_string',
  'number', 'integer', 'float', 'number_literal', 'integer_literal', 'float_literal', 'int_literal', 'imaginary_literal',
  'decimal_integer_literal', 'hex_integer_literal', 'octal_integer_literal', 'binary_integer_literal',
  'decimal_floating_point_literal', 'hex_floating_point_literal', 'boolean_literal', 'null_literal',
  'true', 'false', 'none', 'null', 'nil', 'undefined',
]);

const IDENTIFIER_TYPE = /(^|_)identifier$|^identifier/;
/** Splits text tree-sitter leaves unexplained (error recovery, C macro bodies) into rough tokens. */
const ROUGH_TOKEN = /[\p{L}_$][\p{L}\p{N}_$]*|[0-9][\w.]*|\S/gu;

interface TypeTable {
  readonly parser: Parser;
  /** DESCEND ... OTHER_LEAF by node type id. */
  readonly roles: Uint8Array;
  /** An anonymous type's token id (its name is its text), 0 until first seen. */
  readonly anonymousIds: Int32Array;
  readonly names: readonly string[];
}

/**
 * Cuts source files into clone tokens from the leaves of their tree-sitter trees, appending them to a
 * TokenCorpus: keywords and operators as they are, identifiers and literals whole (marked, so Type 2 can
 * abstract them); comments and layout are dropped (comments are counted, for clone sizes).
 * Owns one parser per language: call `dispose()`.
 */
export class CloneTokenizer {
  /** The corpus whose token ids the tables' caches hold. */
  private cachedFor: TokenCorpus | undefined;

  private constructor(private readonly tables: ReadonlyMap<LanguageId, TypeTable>) {}

  static async create(source: { createParser(language: LanguageId): Promise<Parser> }, languages: readonly LanguageId[]): Promise<CloneTokenizer> {
    const tables = new Map<LanguageId, TypeTable>();
    try {
      for (const language of languages) tables.set(language, typeTable(await source.createParser(language)));
    } catch (error) {
      for (const table of tables.values()) table.parser.delete();
      throw error;
    }
    return new CloneTokenizer(tables);
  }

  /** The parser for `language`, for callers that need the tree too (code units); still owned by this tokenizer. */
  parser(language: LanguageId): Parser {
    return this.table(language).parser;
  }

  /** Appends the tokens of `tree` (parsed from `text`) to `corpus`. */
  tokenizeTree(tree: Tree, text: string, language: LanguageId, corpus: TokenCorpus): void {
    const table = this.table(language);
    if (this.cachedFor !== corpus) {
      for (const other of this.tables.values()) other.anonymousIds.fill(0);
      this.cachedFor = corpus;
    }
    const lines = new LineIndex(text);
    const cursor = tree.walk();
    try {
      walk(cursor, table, text, lines, corpus);
    } finally {
      cursor.delete();
    }
  }

  dispose(): void {
    for (const table of this.tables.values()) table.parser.delete();
  }

  private table(language: LanguageId): TypeTable {
    const table = this.tables.get(language);
    if (!table) throw new Error(`the clone tokenizer was not created for ${language}`);
    return table;
  }
}

function typeTable(parser: Parser): TypeTable {
  const language = parser.language!;
  const count = language.nodeTypeCount;
  const roles = new Uint8Array(count);
  const names: string[] = [];
  for (let id = 0; id < count; id++) {
    const name = language.nodeTypeForId(id) ?? '';
    names.push(name);
    if (!language.nodeTypeIsNamed(id)) roles[id] = OTHER_LEAF;
    else if (name.endsWith('comment')) roles[id] = COMMENT;
    else if (LITERAL_TYPES.has(name)) roles[id] = WHOLE_LITERAL;
    else if (IDENTIFIER_TYPE.test(name)) roles[id] = IDENTIFIER_LEAF;
    else roles[id] = DESCEND; // a named inner node, or a named leaf (read as OTHER_LEAF when it has no children)
  }
  return { parser, roles, anonymousIds: new Int32Array(count), names };
}

/** 1-based line of a UTF-16 offset; offsets are asked in increasing order, so a moving pointer suffices. */
class LineIndex {
  private readonly newlines: number[] = [];
  private next = 0;

  constructor(text: string) {
    for (let i = text.indexOf('\n'); i !== -1; i = text.indexOf('\n', i + 1)) this.newlines.push(i);
  }

  get count(): number {
    return this.newlines.length + 1;
  }

  /** The line of `offset`; resets the pointer when asked about an earlier offset. */
  lineOf(offset: number): number {
    if (this.next > 0 && this.newlines[this.next - 1]! >= offset) this.next = 0;
    while (this.next < this.newlines.length && this.newlines[this.next]! < offset) this.next++;
    return this.next + 1;
  }

  /** The line of an offset at or after the last one asked, without moving the pointer. */
  peekLineOf(offset: number): number {
    let index = this.next;
    while (index < this.newlines.length && this.newlines[index]! < offset) index++;
    return index + 1;
  }
}

/** Depth-first over the tree, in source order, on the cursor (no recursion: deep trees cannot overflow). */
function walk(cursor: TreeCursor, table: TypeTable, text: string, lines: LineIndex, corpus: TokenCorpus): void {
  let lastEnd = 0;
  for (;;) {
    const type = cursor.nodeTypeId;
    const role = table.roles[type]!;
    if (role !== DESCEND || !cursor.gotoFirstChild()) {
      const start = cursor.startIndex;
      const end = cursor.endIndex;
      // Zero-width nodes are error recovery's missing tokens; a node before lastEnd was already read.
      if (end > start && start >= lastEnd) {
        emit(role, type, start, end, table, text, lines, corpus);
        lastEnd = end;
      }
      while (!cursor.gotoNextSibling()) {
        if (!cursor.gotoParent()) return;
      }
    }
  }
}

function emit(role: number, type: number, start: number, end: number, table: TypeTable, text: string, lines: LineIndex, corpus: TokenCorpus): void {
  if (role === COMMENT) {
    // Not a token: comments never make code differ (Type 1 ignores them), but they count towards size.
    corpus.pushComment();
    return;
  }
  const line = lines.lineOf(start);
  if (role === OTHER_LEAF && table.anonymousIds[type]! !== 0 && end - start === table.names[type]!.length) {
    corpus.push(table.anonymousIds[type]!, 0, line, line);
    return;
  }
  const value = text.slice(start, end);
  if (role === WHOLE_LITERAL) {
    corpus.push(corpus.intern(value), LITERAL, line, lines.peekLineOf(end - 1));
    return;
  }
  if (role === IDENTIFIER_LEAF && !hasSpace(value)) {
    corpus.push(corpus.intern(value), IDENTIFIER, line, line);
    return;
  }
  if (!hasSpace(value)) {
    const id = corpus.intern(value);
    // An anonymous leaf whose text is its type name (nearly all are) gets its id cached by type.
    if (role === OTHER_LEAF && value === table.names[type]) table.anonymousIds[type] = id;
    corpus.push(id, 0, line, line);
    return;
  }
  // Text with spaces in one leaf (a macro body, an error): rough tokens, each on its own line.
  for (const match of value.matchAll(ROUGH_TOKEN)) {
    const tokenLine = lines.peekLineOf(start + match.index!);
    corpus.push(corpus.intern(match[0]), 0, tokenLine, tokenLine);
  }
}

function hasSpace(text: string): boolean {
  for (let i = 0; i < text.length; i++) if (text.charCodeAt(i) <= 32) return true;
  return false;
}
