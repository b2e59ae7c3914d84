import { splitIdentifier } from '../tokenize/identifierSplitter';

const WORD = /[\p{L}\p{N}_$]+/gu;

/**
 * The terms lexical search indexes and queries by: every word and identifier of the text, split the way
 * the tokenizer splits identifiers (`readLines` -> read, lines), lower-cased, plus the whole identifier
 * when it splits (so an exact name still matches exactly). Separators and single punctuation are dropped.
 */
export function lexicalTerms(text: string): string[] {
  const terms: string[] = [];
  for (const match of text.matchAll(WORD)) {
    const word = match[0];
    const pieces = splitIdentifier(word).filter((piece) => /[\p{L}\p{N}]/u.test(piece));
    terms.push(...pieces);
    if (pieces.length > 1) terms.push(word.toLowerCase());
  }
  return terms;
}
