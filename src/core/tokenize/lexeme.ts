import { splitIdentifier } from './identifierSplitter';

/**
 * What a lexeme is. Strings, comments and docstrings are cut into words, each its own lexeme of that kind
 * (the first is the opening delimiter: `"`, `f"`, `//`, `#`, `/**`; strings also get their closing one).
 * Natural-language text (a query) is made of `word` lexemes.
 */
export type LexemeKind =
  | 'keyword' | 'punctuation' | 'identifier' | 'number'
  | 'string' | 'comment' | 'docstring' | 'word'
  | 'newline' | 'indent' | 'dedent';

/** One lexeme of a code unit or a text: the unit the tokenizer's alignment refers to. */
export interface Lexeme {
  readonly kind: LexemeKind;
  /** The source text (raw, before splitting and lower-casing); empty for indent and dedent. */
  readonly text: string;
  /** UTF-16 offsets into the encoded text, end exclusive. */
  readonly start: number;
  readonly end: number;
}

/** Kinds that stand for layout and become one special token each. */
export function isLayout(kind: LexemeKind): kind is 'newline' | 'indent' | 'dedent' {
  return kind === 'newline' || kind === 'indent' || kind === 'dedent';
}

/**
 * The pieces WordPiece encodes for one lexeme: the first starts a word, the others continue it (they get
 * the `##` continuation prefix). Identifiers and words are split at case and snake_case boundaries and
 * lower-cased; keywords and operators stay whole; numbers are lower-cased (0XFF = 0xff). Layout lexemes
 * have no pieces (they are special tokens).
 */
export function piecesOf(kind: LexemeKind, text: string): string[] {
  switch (kind) {
    case 'keyword':
    case 'punctuation':
      return [text];
    case 'number':
      return [text.toLowerCase()];
    case 'newline':
    case 'indent':
    case 'dedent':
      return [];
    case 'identifier':
      return splitIdentifier(text);
    default: // words of text, strings, comments and docstrings; delimiters (`f"`, `/**`) and `...` stay whole
      return isWordAt(text, 0) && isWordAt(text, lastCodePointIndex(text)) ? splitIdentifier(text) : [text];
  }
}

function isWordAt(text: string, index: number): boolean {
  const code = text.charCodeAt(index);
  if (code < 128) return (code >= 97 && code <= 122) || (code >= 65 && code <= 90) || (code >= 48 && code <= 57) || code === 95;
  return /[\p{L}\p{N}\p{M}]/u.test(String.fromCodePoint(text.codePointAt(index)!));
}

function lastCodePointIndex(text: string): number {
  const last = text.length - 1;
  const code = text.charCodeAt(last);
  return code >= 0xdc00 && code <= 0xdfff && last > 0 ? last - 1 : last;
}
