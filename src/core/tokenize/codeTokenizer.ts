import { LanguageId } from '../parse/languages';
import { CodeLexer } from './codeLexer';
import { wordSpans } from './identifierSplitter';
import { isLayout, Lexeme, LexemeKind, piecesOf } from './lexeme';
import { BYTES_START, CLS, DEDENT, INDENT, languageTag, NEWLINE, SEP, TEXT_TAG, Vocabulary } from './vocabulary';

/** Token ids and, for each token, the lexeme it came from. */
export interface Encoding {
  readonly ids: Int32Array;
  /** For each token, its lexeme's index in `lexemes`; -1 for [CLS], the tag and [SEP]. */
  readonly lexemeIndex: Int32Array;
  /** The lexemes encoded (those cut off by `maxTokens` too, which no token points to). */
  readonly lexemes: readonly Lexeme[];
}

export interface EncodeOptions {
  /** Leave comments and docstrings out (e.g. the code side of query-code training, so it cannot copy the summary). */
  readonly dropComments?: boolean;
}

/** Cached pieces' ids per (kind class, text): identifiers and keywords repeat endlessly. */
const CACHE_LIMIT = 200_000;

/**
 * Turns code units and natural-language text into token ids: [CLS], a tag (<python>, ..., or <text>),
 * the lexemes' WordPiece tokens, [SEP]; at most `maxTokens` in all (cut before [SEP], which is always last).
 * Code and text share one vocabulary, so "parse http response" and `parseHTTPResponse` meet on the same
 * pieces (the identifier's later pieces carry the continuation prefix).
 */
export class CodeTokenizer {
  private readonly cache = new Map<string, readonly number[]>();

  /** `lexer` may be left out for a tokenizer of text only; `dispose()` disposes it. */
  constructor(readonly vocabulary: Vocabulary, private readonly lexer?: CodeLexer) {}

  dispose(): void {
    this.lexer?.dispose();
  }

  encodeUnit(text: string, language: LanguageId, maxTokens: number, options: EncodeOptions = {}): Encoding {
    if (!this.lexer) throw new Error('this tokenizer has no lexer: it encodes text only');
    let lexemes = this.lexer.lex(text, language, options.dropComments ? Infinity : Math.max(0, maxTokens - 2));
    if (options.dropComments) lexemes = withoutComments(lexemes);
    return this.encodeLexemes(lexemes, languageTag(language), maxTokens);
  }

  /** A query or any natural-language text: words (split like identifiers), no layout. */
  encodeText(text: string, maxTokens: number): Encoding {
    const lexemes: Lexeme[] = wordSpans(text, 0, text.length, Math.max(0, maxTokens - 2))
      .map((span) => ({ kind: 'word', text: text.slice(span.start, span.end), start: span.start, end: span.end }));
    return this.encodeLexemes(lexemes, TEXT_TAG, maxTokens);
  }

  encodeLexemes(lexemes: readonly Lexeme[], tag: number, maxTokens: number): Encoding {
    if (maxTokens < 2) throw new Error('maxTokens must leave room for [CLS] and [SEP]');
    const ids: number[] = [CLS];
    const lexemeIndex: number[] = [-1];
    if (maxTokens > 2) {
      ids.push(tag);
      lexemeIndex.push(-1);
    }
    const budget = maxTokens - 1;
    for (let i = 0; i < lexemes.length && ids.length < budget; i++) {
      const pieceIds = this.idsOf(lexemes[i].kind, lexemes[i].text);
      for (let j = 0; j < pieceIds.length && ids.length < budget; j++) {
        ids.push(pieceIds[j]);
        lexemeIndex.push(i);
      }
    }
    ids.push(SEP);
    lexemeIndex.push(-1);
    return { ids: Int32Array.from(ids), lexemeIndex: Int32Array.from(lexemeIndex), lexemes };
  }

  private idsOf(kind: LexemeKind, text: string): readonly number[] {
    if (kind === 'newline') return LAYOUT_NEWLINE;
    if (kind === 'indent') return LAYOUT_INDENT;
    if (kind === 'dedent') return LAYOUT_DEDENT;
    const key = cacheClass(kind) + text;
    let ids = this.cache.get(key);
    if (ids === undefined) {
      const out: number[] = [];
      const pieces = piecesOf(kind, text);
      for (let i = 0; i < pieces.length; i++) this.vocabulary.encodePiece(pieces[i], i > 0, out);
      if (this.cache.size >= CACHE_LIMIT) this.cache.clear();
      this.cache.set(key, (ids = out));
    }
    return ids;
  }

  /** The lexemes the ids stand for, normalized (identifiers as their joined lower-case pieces); specials by name. */
  decodeLexemes(ids: ArrayLike<number>): string[] {
    const vocabulary = this.vocabulary;
    const out: string[] = [];
    let current: string[] | undefined; // parts of the lexeme being read
    let bytes: number[] = [];
    const flushBytes = () => {
      if (bytes.length > 0 && current) current.push(UTF8.decode(Uint8Array.from(bytes)));
      bytes = [];
    };
    const finish = () => {
      flushBytes();
      if (current) out.push(current.join(''));
      current = undefined;
    };
    for (let k = 0; k < ids.length; k++) {
      const id = ids[k];
      if (id < 0 || id >= vocabulary.size) throw new Error(`token id ${id} is outside the vocabulary`);
      const continues = vocabulary.isContinuation(id) && current !== undefined;
      if (!continues) finish();
      current ??= [];
      const byte = Vocabulary.byteOf(id);
      if (byte >= 0) {
        bytes.push(byte);
        continue;
      }
      flushBytes();
      const token = vocabulary.tokens[id];
      current.push(vocabulary.isContinuation(id) ? token.slice(2) : token);
      if (id < BYTES_START) finish(); // a special token stands alone
    }
    finish();
    return out;
  }

  /** For debugging: the lexemes, space-separated. */
  decode(ids: ArrayLike<number>): string {
    return this.decodeLexemes(ids).join(' ');
  }

  /** The normalized form of a lexeme, as `decodeLexemes` gives it back. */
  static normalize(lexeme: Lexeme): string {
    if (lexeme.kind === 'newline') return '[NEWLINE]';
    if (lexeme.kind === 'indent') return '[INDENT]';
    if (lexeme.kind === 'dedent') return '[DEDENT]';
    return piecesOf(lexeme.kind, lexeme.text).join('');
  }
}

const UTF8 = new TextDecoder();
const LAYOUT_NEWLINE = [NEWLINE];
const LAYOUT_INDENT = [INDENT];
const LAYOUT_DEDENT = [DEDENT];

function cacheClass(kind: LexemeKind): string {
  switch (kind) {
    case 'keyword':
    case 'punctuation':
      return 'k';
    case 'number':
      return 'n';
    case 'identifier':
      return 'i';
    default:
      return 'w';
  }
}

/** Drops comments and docstrings, and the layout that only they had caused (no blank-line pairs left behind). */
function withoutComments(lexemes: readonly Lexeme[]): Lexeme[] {
  const kept: Lexeme[] = [];
  for (const lexeme of lexemes) {
    if (lexeme.kind === 'comment' || lexeme.kind === 'docstring') continue;
    // Layout is always a newline, then indents or dedents: a newline right after layout was left by a dropped line.
    if (lexeme.kind === 'newline' && (kept.length === 0 || isLayout(kept[kept.length - 1].kind))) continue;
    kept.push(lexeme);
  }
  return kept;
}
