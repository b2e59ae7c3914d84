import { Lexeme, piecesOf } from './lexeme';
import { CONTINUATION, LEARNED_START, Vocabulary } from './vocabulary';

export interface TrainOptions {
  /** Total vocabulary size, special and byte-fallback tokens included (at most 65,536: shards are uint16). */
  readonly vocabSize: number;
  /** Pairs seen fewer times are never merged; rarer characters stay out of the alphabet (bytes cover them). */
  readonly minFrequency: number;
  /** Most single characters in the alphabet (printable ASCII, both as start and as continuation, always is). */
  readonly maxAlphabet: number;
  /** Longest learned piece, in UTF-16 units. */
  readonly maxPieceChars: number;
}

export const DEFAULT_TRAIN_OPTIONS: TrainOptions = { vocabSize: 16000, minFrequency: 2, maxAlphabet: 1000, maxPieceChars: 24 };

/** Longer pieces (base64 blobs, hashes) are counted by their beginning only. */
const MAX_COUNTED_CHARS = 64;

/** Counts the pieces the tokenizer will encode, keyed by whether they start or continue a lexeme. */
export class PieceCounter {
  /** '0' + piece for a piece starting a lexeme, '1' + piece for a continuation. */
  readonly counts = new Map<string, number>();

  addLexemes(lexemes: Iterable<Lexeme>): void {
    for (const lexeme of lexemes) {
      const pieces = piecesOf(lexeme.kind, lexeme.text);
      for (let i = 0; i < pieces.length; i++) this.add(pieces[i], i > 0);
    }
  }

  add(piece: string, continues: boolean, count = 1): void {
    let text = piece;
    if (text.length > MAX_COUNTED_CHARS) {
      const cut = text.charCodeAt(MAX_COUNTED_CHARS - 1) >= 0xd800 && text.charCodeAt(MAX_COUNTED_CHARS - 1) <= 0xdbff ? MAX_COUNTED_CHARS - 1 : MAX_COUNTED_CHARS;
      text = text.slice(0, cut);
    }
    const key = (continues ? '1' : '0') + text;
    this.counts.set(key, (this.counts.get(key) ?? 0) + count);
  }
}

/**
 * Learns a WordPiece vocabulary from piece counts by merging the most frequent adjacent pair (BPE-style
 * training, as Hugging Face's WordPiece trainer does); encoding then uses greedy longest match. The
 * alphabet is printable ASCII plus the most frequent other characters, each both as a lexeme start and
 * as a continuation (`##x`). Deterministic: word types are sorted first and ties between pairs are broken
 * by symbol ids, which are assigned in a fixed order, so the same counts always give the same vocabulary.
 */
export function trainVocabulary(source: PieceCounter | Iterable<readonly Lexeme[]>, options: TrainOptions = DEFAULT_TRAIN_OPTIONS): Vocabulary {
  let counter: PieceCounter;
  if (source instanceof PieceCounter) counter = source;
  else {
    counter = new PieceCounter();
    for (const lexemes of source) counter.addLexemes(lexemes);
  }
  if (options.vocabSize > 65536) throw new Error('vocabSize is at most 65536 (token ids are stored as uint16)');
  const types = [...counter.counts].sort((x, y) => (x[0] < y[0] ? -1 : x[0] > y[0] ? 1 : 0));
  const symbols = new SymbolTable();
  for (const char of alphabet(types, options)) symbols.intern(char.slice(1), char[0] === '1');

  const words: number[][] = [];
  const counts: number[] = [];
  for (const [key, count] of types) {
    const continues = key[0] === '1';
    const word: number[] = [];
    let i = 0;
    for (const char of key.slice(1)) word.push(symbols.find(char, continues || i++ > 0));
    if (word.length > 1) {
      words.push(word);
      counts.push(count);
    }
  }
  new Merger(words, counts, symbols, options).run(options.vocabSize - LEARNED_START);
  return new Vocabulary(symbols.tokens());
}

function alphabet(types: readonly [string, number][], options: TrainOptions): string[] {
  const frequency = new Map<string, number>();
  for (const [key, count] of types) {
    let continues = key[0] === '1';
    let first = true;
    for (const char of key.slice(1)) {
      const symbol = (continues || !first ? '1' : '0') + char;
      frequency.set(symbol, (frequency.get(symbol) ?? 0) + count);
      first = false;
      continues = true;
    }
  }
  const chosen = new Set<string>();
  for (let code = 33; code < 127; code++) {
    chosen.add('0' + String.fromCharCode(code));
    chosen.add('1' + String.fromCharCode(code));
  }
  const others = [...frequency]
    .filter(([symbol, count]) => count >= options.minFrequency && !chosen.has(symbol))
    .sort((x, y) => y[1] - x[1] || (x[0] < y[0] ? -1 : 1));
  for (const [symbol] of others.slice(0, Math.max(0, options.maxAlphabet - chosen.size))) chosen.add(symbol);
  return [...chosen].sort((x, y) => (x < y ? -1 : x > y ? 1 : 0));
}

/** Learned symbols: their text (without `##`) and whether they continue a lexeme. */
class SymbolTable {
  readonly texts: string[] = [];
  readonly continues: boolean[] = [];
  private readonly ids = new Map<string, number>();

  intern(text: string, continues: boolean): number {
    const key = (continues ? '1' : '0') + text;
    let id = this.ids.get(key);
    if (id === undefined) {
      id = this.texts.length;
      this.ids.set(key, id);
      this.texts.push(text);
      this.continues.push(continues);
    }
    return id;
  }

  /** The id of a single-character symbol, or -1 outside the alphabet (such characters never merge). */
  find(char: string, continues: boolean): number {
    return this.ids.get((continues ? '1' : '0') + char) ?? -1;
  }

  get size(): number {
    return this.texts.length;
  }

  tokens(): string[] {
    return this.texts.map((text, id) => (this.continues[id] ? CONTINUATION + text : text));
  }
}

const PAIR = 65536;

/** The merge loop: pair counts, the words each pair occurs in, and a max-heap of pairs with lazy updates. */
class Merger {
  private readonly pairCounts = new Map<number, number>();
  private readonly pairWords = new Map<number, number[]>();
  private readonly heap = new PairHeap();
  private readonly seen: Int32Array;
  private stamp = 0;

  constructor(
    private readonly words: number[][],
    private readonly counts: number[],
    private readonly symbols: SymbolTable,
    private readonly options: TrainOptions,
  ) {
    this.seen = new Int32Array(words.length);
    words.forEach((word, w) => {
      for (let i = 0; i + 1 < word.length; i++) {
        if (word[i] < 0 || word[i + 1] < 0) continue;
        const key = word[i] * PAIR + word[i + 1];
        this.pairCounts.set(key, (this.pairCounts.get(key) ?? 0) + counts[w]);
        let list = this.pairWords.get(key);
        if (!list) this.pairWords.set(key, (list = []));
        if (list[list.length - 1] !== w) list.push(w);
      }
    });
    for (const [key, count] of this.pairCounts) this.heap.push(count, key);
  }

  run(learnedSize: number): void {
    while (this.symbols.size < learnedSize) {
      const key = this.nextPair();
      if (key < 0) return;
      const a = Math.floor(key / PAIR);
      const b = key % PAIR;
      const merged = this.symbols.intern(this.symbols.texts[a] + this.symbols.texts[b], this.symbols.continues[a]);
      this.apply(key, a, b, merged);
    }
  }

  /** The most frequent pair that may merge, or -1 when none is frequent enough. */
  private nextPair(): number {
    while (this.heap.size > 0) {
      const [count, key] = this.heap.pop();
      const current = this.pairCounts.get(key) ?? 0;
      if (current !== count) {
        if (current > 0) this.heap.push(current, key);
        continue;
      }
      if (count < this.options.minFrequency) return -1;
      const a = Math.floor(key / PAIR);
      const text = this.symbols.texts[a] + this.symbols.texts[key % PAIR];
      // A piece starting a lexeme must not print as a continuation; pieces stay bounded.
      const banned = text.length > this.options.maxPieceChars || (!this.symbols.continues[a] && text.startsWith(CONTINUATION));
      if (banned) {
        this.pairCounts.delete(key);
        continue;
      }
      return key;
    }
    return -1;
  }

  private apply(key: number, a: number, b: number, merged: number): void {
    const list = this.pairWords.get(key) ?? [];
    this.pairWords.delete(key);
    const stamp = ++this.stamp;
    const touched = new Set<number>();
    for (const w of list) {
      if (this.seen[w] === stamp) continue;
      this.seen[w] = stamp;
      const word = this.words[w];
      const count = this.counts[w];
      const next: number[] = [];
      for (let i = 0; i < word.length; i++) {
        if (i + 1 < word.length && word[i] === a && word[i + 1] === b) {
          next.push(merged);
          i++;
        } else {
          next.push(word[i]);
        }
      }
      if (next.length === word.length) continue; // stale entry: the pair is gone from this word
      this.addPairs(word, -count, -1, w, touched);
      this.addPairs(next, count, merged, w, touched);
      this.words[w] = next;
    }
    for (const changed of touched) this.heap.push(this.pairCounts.get(changed) ?? 0, changed);
  }

  /** Adds `count` for each adjacent pair of `word`; pairs with `merged` are new here: list the word and the pair. */
  private addPairs(word: readonly number[], count: number, merged: number, w: number, touched: Set<number>): void {
    for (let i = 0; i + 1 < word.length; i++) {
      const x = word[i];
      const y = word[i + 1];
      if (x < 0 || y < 0) continue;
      const key = x * PAIR + y;
      const total = (this.pairCounts.get(key) ?? 0) + count;
      if (total > 0) this.pairCounts.set(key, total);
      else this.pairCounts.delete(key);
      if (count > 0 && (x === merged || y === merged)) {
        touched.add(key);
        let list = this.pairWords.get(key);
        if (!list) this.pairWords.set(key, (list = []));
        if (list[list.length - 1] !== w) list.push(w);
      }
    }
  }
}

/** A binary max-heap of (count, pair key); ties go to the smaller key, which keeps training deterministic. */
class PairHeap {
  private readonly counts: number[] = [];
  private readonly keys: number[] = [];

  get size(): number {
    return this.keys.length;
  }

  push(count: number, key: number): void {
    this.counts.push(count);
    this.keys.push(key);
    let i = this.keys.length - 1;
    while (i > 0) {
      const parent = (i - 1) >> 1;
      if (!this.before(i, parent)) break;
      this.swap(i, parent);
      i = parent;
    }
  }

  pop(): [number, number] {
    const top: [number, number] = [this.counts[0], this.keys[0]];
    const lastCount = this.counts.pop()!;
    const lastKey = this.keys.pop()!;
    if (this.keys.length > 0) {
      this.counts[0] = lastCount;
      this.keys[0] = lastKey;
      let i = 0;
      for (;;) {
        const left = 2 * i + 1;
        const right = left + 1;
        let best = i;
        if (left < this.keys.length && this.before(left, best)) best = left;
        if (right < this.keys.length && this.before(right, best)) best = right;
        if (best === i) break;
        this.swap(i, best);
        i = best;
      }
    }
    return top;
  }

  private before(i: number, j: number): boolean {
    return this.counts[i] > this.counts[j] || (this.counts[i] === this.counts[j] && this.keys[i] < this.keys[j]);
  }

  private swap(i: number, j: number): void {
    [this.counts[i], this.counts[j]] = [this.counts[j], this.counts[i]];
    [this.keys[i], this.keys[j]] = [this.keys[j], this.keys[i]];
  }
}
