// Splits identifiers and natural-language words into lower-case pieces: the units the vocabulary is
// trained on and that WordPiece encodes. Pure functions over strings; no tree-sitter here.

const enum CharClass { Upper, Lower, Digit, Separator, Other }

const UPPER = /\p{Lu}|\p{Lt}/u;
const LETTER_OR_DIGIT = /[\p{L}\p{N}\p{M}]/u;

function classOf(code: number, char: string): CharClass {
  if (code >= 97 && code <= 122) return CharClass.Lower;
  if (code >= 65 && code <= 90) return CharClass.Upper;
  if (code >= 48 && code <= 57) return CharClass.Digit;
  if (code === 95 || code === 36) return CharClass.Separator; // _ and $
  if (code < 128) return CharClass.Other;
  if (UPPER.test(char)) return CharClass.Upper;
  // Caseless scripts (CJK, ...) and lower-case letters behave alike; non-ASCII digits count as letters.
  return LETTER_OR_DIGIT.test(char) ? CharClass.Lower : CharClass.Other;
}

/**
 * `parseHTTPResponse2` -> parse, http, response, 2; `__init__` -> __, init, __; `MAX_SIZE` -> max, size.
 * Pieces break at snake_case separators (dropped inside the name, kept as a piece at either end, where
 * they mean something: private, dunder, `$`), at lower-to-upper changes, before the last capital of a
 * capital run followed by a lower-case letter (HTTPResponse), and between letters and digits. Any other
 * character (Rust's `r#`, odd grammar leaves) becomes a piece of its own, so nothing is dropped but the
 * inner separators. Pieces are lower-cased: queries are written in lower case.
 */
export function splitIdentifier(text: string): string[] {
  const pieces: string[] = [];
  const chars: string[] = [];
  const classes: CharClass[] = [];
  for (const char of text) { // code points: surrogate pairs stay whole
    chars.push(char);
    classes.push(classOf(char.charCodeAt(0), char));
  }
  const n = chars.length;
  let first = 0;
  while (first < n && classes[first] === CharClass.Separator) first++;
  let last = n;
  while (last > first && classes[last - 1] === CharClass.Separator) last--;
  if (first > 0) pieces.push(chars.slice(0, first).join(''));
  let start = first;
  const flush = (end: number) => {
    if (end > start) pieces.push(chars.slice(start, end).join('').toLowerCase());
    start = end;
  };
  for (let i = first; i < last; i++) {
    const c = classes[i];
    if (c === CharClass.Separator || c === CharClass.Other) {
      flush(i);
      if (c === CharClass.Other) pieces.push(chars[i]);
      start = i + 1;
      continue;
    }
    if (i === start) continue;
    const p = classes[i - 1];
    const breaks =
      (c === CharClass.Digit) !== (p === CharClass.Digit) ||
      (c === CharClass.Upper && p === CharClass.Lower) ||
      (c === CharClass.Lower && p === CharClass.Upper && i - 1 > start && classes[i - 2] === CharClass.Upper);
    if (breaks) flush(c === CharClass.Lower ? i - 1 : i);
  }
  flush(last);
  if (last < n) pieces.push(chars.slice(last).join(''));
  return pieces;
}

/** True for the characters that make up words (letters, digits, marks, `_`). */
export function isWordChar(code: number, char: string): boolean {
  if (code < 128) return (code >= 97 && code <= 122) || (code >= 65 && code <= 90) || (code >= 48 && code <= 57) || code === 95;
  return LETTER_OR_DIGIT.test(char);
}

export interface WordSpan {
  /** UTF-16 offsets into the text, end exclusive. */
  readonly start: number;
  readonly end: number;
  /** A run of word characters (split further with `splitIdentifier`), or a run of other visible characters. */
  readonly isWord: boolean;
}

/**
 * Cuts natural-language text (a query, a comment, a string's content) into words: runs of word characters,
 * and runs of other non-space characters ("...", "->", an emoji). Whitespace separates and is dropped.
 * Stops after `limit` words.
 */
export function wordSpans(text: string, from = 0, to = text.length, limit = Infinity): WordSpan[] {
  const spans: WordSpan[] = [];
  let i = from;
  while (i < to && spans.length < limit) {
    const code = text.codePointAt(i)!;
    const width = code > 0xffff ? 2 : 1;
    if (code === 32 || code === 9 || code === 10 || code === 13 || code === 12 || code === 11 || code === 0xa0 || (code > 127 && /\s/u.test(String.fromCodePoint(code)))) {
      i += width;
      continue;
    }
    const isWord = isWordChar(code, String.fromCodePoint(code));
    const start = i;
    i += width;
    while (i < to) {
      const next = text.codePointAt(i)!;
      const nextChar = String.fromCodePoint(next);
      if (next <= 32 || (next > 127 && /\s/u.test(nextChar)) || isWordChar(next, nextChar) !== isWord) break;
      i += next > 0xffff ? 2 : 1;
    }
    spans.push({ start, end: i, isWord });
  }
  return spans;
}
