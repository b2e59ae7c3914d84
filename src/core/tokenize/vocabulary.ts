import { LanguageId } from '../parse/languages';

/** Continuation pieces (inside one lexeme) carry this prefix in the token table, as in BERT's WordPiece. */
export const CONTINUATION = '##';

/** The language tags, in id order after the other special tokens. */
export const LANGUAGE_TAGS: readonly LanguageId[] = ['python', 'javascript', 'typescript', 'tsx', 'java', 'go', 'rust', 'c', 'cpp'];

/**
 * Special tokens with fixed ids, the same in every vocabulary: [PAD]=0, [UNK]=1, [CLS]=2, [SEP]=3,
 * [MASK]=4, layout, the natural-language tag, one tag per language, then reserved slots up to 32 so that
 * later specials do not move the other ids.
 */
export const SPECIAL_COUNT = 32;
export const SPECIAL_TOKENS: readonly string[] = (() => {
  const named = ['[PAD]', '[UNK]', '[CLS]', '[SEP]', '[MASK]', '[NEWLINE]', '[INDENT]', '[DEDENT]', '<text>', ...LANGUAGE_TAGS.map((id) => `<${id}>`)];
  const reserved = Array.from({ length: SPECIAL_COUNT - named.length }, (_, i) => `[unused${i}]`);
  return [...named, ...reserved];
})();

export const PAD = 0;
export const UNK = 1;
export const CLS = 2;
export const SEP = 3;
export const MASK = 4;
export const NEWLINE = 5;
export const INDENT = 6;
export const DEDENT = 7;
export const TEXT_TAG = 8;

export function languageTag(language: LanguageId): number {
  return TEXT_TAG + 1 + LANGUAGE_TAGS.indexOf(language);
}

/** Byte-fallback tokens: `<0xNN>` starts a lexeme, `##<0xNN>` continues one. */
export const BYTES_START = SPECIAL_COUNT;
export const CONTINUATION_BYTES_START = BYTES_START + 256;
/** The first learned token (the alphabet, then the merged pieces). */
export const LEARNED_START = CONTINUATION_BYTES_START + 256;

const UTF8 = new TextEncoder();

function byteToken(byte: number, continuation: boolean): string {
  return `${continuation ? CONTINUATION : ''}<0x${byte.toString(16).toUpperCase().padStart(2, '0')}>`;
}

/**
 * The token table: fixed special and byte tokens, then the learned pieces, and WordPiece encoding of a
 * piece by greedy longest match. Pieces starting a lexeme and pieces continuing one are looked up in
 * separate maps, so `##` in the source (a C token paste) is never mistaken for the continuation prefix;
 * a learned piece starting a lexeme never begins with `##` (the trainer makes sure), so the printed
 * table is unambiguous too. A character no piece covers falls back to its UTF-8 bytes: every string
 * encodes, nothing is dropped, [UNK] is never produced.
 */
export class Vocabulary {
  readonly tokens: readonly string[];
  private readonly initial = new Map<string, number>();
  private readonly continuation = new Map<string, number>();
  /** The longest learned piece, in UTF-16 units: the greedy match starts there. */
  private readonly longest: number;

  constructor(learned: readonly string[]) {
    const tokens = [...SPECIAL_TOKENS];
    for (let byte = 0; byte < 256; byte++) tokens.push(byteToken(byte, false));
    for (let byte = 0; byte < 256; byte++) tokens.push(byteToken(byte, true));
    let longest = 1;
    for (const token of learned) {
      const id = tokens.length;
      const isContinuation = token.startsWith(CONTINUATION);
      const piece = isContinuation ? token.slice(CONTINUATION.length) : token;
      const map = isContinuation ? this.continuation : this.initial;
      if (piece.length === 0 || map.has(piece)) throw new Error(`bad or repeated vocabulary entry ${JSON.stringify(token)} (id ${id})`);
      map.set(piece, id);
      longest = Math.max(longest, piece.length);
      tokens.push(token);
    }
    if (tokens.length > 65536) throw new Error(`vocabulary of ${tokens.length} tokens does not fit the uint16 shards`);
    this.tokens = tokens;
    this.longest = longest;
  }

  get size(): number {
    return this.tokens.length;
  }

  /** The learned pieces, in id order (what the tokenizer file stores). */
  get learned(): string[] {
    return this.tokens.slice(LEARNED_START);
  }

  /** Appends the ids of `piece` to `out`; `continues` when the piece continues a lexeme. */
  encodePiece(piece: string, continues: boolean, out: number[]): void {
    let start = 0;
    let first = !continues;
    while (start < piece.length) {
      const map = first ? this.initial : this.continuation;
      let end = Math.min(piece.length, start + this.longest);
      let id: number | undefined;
      for (; end > start; end--) {
        id = map.get(start === 0 && end === piece.length ? piece : piece.slice(start, end));
        if (id !== undefined) break;
      }
      // Learned pieces are whole code points, so a match never ends inside a surrogate pair.
      if (id !== undefined) out.push(id);
      else end = this.bytes(piece, start, first, out);
      start = end;
      first = false;
    }
  }

  /** The UTF-8 bytes of the code point at `start`; returns the offset after it. */
  private bytes(piece: string, start: number, first: boolean, out: number[]): number {
    const code = piece.codePointAt(start)!;
    const end = start + (code > 0xffff ? 2 : 1);
    const bytes = UTF8.encode(piece.slice(start, end));
    for (let i = 0; i < bytes.length; i++) out.push((first && i === 0 ? BYTES_START : CONTINUATION_BYTES_START) + bytes[i]);
    return end;
  }

  /** Whether `id` continues the lexeme of the token before it. */
  isContinuation(id: number): boolean {
    return id >= CONTINUATION_BYTES_START && (id < LEARNED_START || this.tokens[id].startsWith(CONTINUATION));
  }

  /** The UTF-8 byte of a byte-fallback token, or -1. */
  static byteOf(id: number): number {
    return id >= BYTES_START && id < LEARNED_START ? (id - BYTES_START) % 256 : -1;
  }
}
