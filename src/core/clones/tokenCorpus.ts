import { CodeUnit } from '../parse/codeUnit';
import { LanguageId } from '../parse/languages';
import { lowerBound, lowerBoundBy } from '../lowerBound';

/**
 * How a clone token takes part in matching. Type 2 matching reads identifiers and literals as their
 * class only; Type 1 reads every token exactly.
 */
export const IDENTIFIER = -1;
export const LITERAL = -2;

const WORD_START = /^[\p{L}\p{N}_$"'`]/u;

/** A code unit of the corpus, with the tokens it spans (corpus positions, end exclusive). */
export interface CorpusUnit extends Pick<CodeUnit, 'kind' | 'name' | 'startLine' | 'endLine' | 'hash'> {
  readonly file: number;
  readonly tokenStart: number;
  readonly tokenEnd: number;
}

export interface CorpusFile {
  /** Path relative to the scanned root, "/" separated. */
  readonly path: string;
  readonly language: LanguageId;
  readonly tokenStart: number;
  readonly tokenEnd: number;
  readonly lines: number;
}

/**
 * Every file's clone tokens, end to end, in flat typed arrays (20 bytes a token: a million lines of code
 * is about 150 MB), with the token texts interned to integers. Positions are indices into these arrays.
 */
export class TokenCorpus {
  /** Interned token text: equal text, equal id (ids start at 1). */
  exact: Int32Array;
  /** `exact`, with identifiers and literals replaced by IDENTIFIER and LITERAL: what Type 2 compares. */
  normal: Int32Array;
  /** 1-based lines of each token's first and last character. */
  line: Int32Array;
  lastLine: Int32Array;
  /** Comments seen before each token, cumulative: comments are not tokens, but they count towards a clone's size. */
  commentsBefore: Int32Array;
  length = 0;
  private comments = 0;
  readonly files: CorpusFile[] = [];
  readonly units: CorpusUnit[] = [];
  private readonly vocabulary = new Map<string, number>();
  /** By token id: 1 when the text is a word (a name, a keyword, a literal), 0 for an operator or a bracket. */
  private wordIds = new Uint8Array(1 << 12);

  /** `capacity`: tokens to allocate for at first (the arrays grow); small for one file's corpus. */
  constructor(capacity = 1 << 16) {
    this.exact = new Int32Array(capacity);
    this.normal = new Int32Array(capacity);
    this.line = new Int32Array(capacity);
    this.lastLine = new Int32Array(capacity);
    this.commentsBefore = new Int32Array(capacity);
  }

  /**
   * Appends all of `other`: its tokens (re-interned into this corpus's ids), comment counts, files and
   * units. How a refresh reuses the files that did not change instead of parsing them again.
   */
  append(other: TokenCorpus): void {
    const ids = new Int32Array(other.vocabulary.size + 1);
    for (const [text, id] of other.vocabulary) ids[id] = this.intern(text);
    const offset = this.length;
    const firstFile = this.files.length;
    for (let at = 0; at < other.length; at++) {
      if (this.length === this.exact.length) this.grow();
      const to = this.length++;
      const exact = ids[other.exact[at]!]!;
      this.exact[to] = exact;
      this.normal[to] = other.normal[at]! < 0 ? other.normal[at]! : exact;
      this.line[to] = other.line[at]!;
      this.lastLine[to] = other.lastLine[at]!;
      this.commentsBefore[to] = this.comments + other.commentsBefore[at]!;
    }
    this.comments += other.comments;
    for (const file of other.files) this.files.push({ ...file, tokenStart: file.tokenStart + offset, tokenEnd: file.tokenEnd + offset });
    for (const unit of other.units) this.units.push({ ...unit, file: unit.file + firstFile, tokenStart: unit.tokenStart + offset, tokenEnd: unit.tokenEnd + offset });
  }

  /** The id of a token text, interning it on first sight. */
  intern(text: string): number {
    let id = this.vocabulary.get(text);
    if (id === undefined) {
      id = this.vocabulary.size + 1;
      // A slice keeps its whole file alive in V8; a copied key does not.
      this.vocabulary.set(text.length > 12 ? Buffer.from(text, 'utf8').toString('utf8') : text, id);
      if (id >= this.wordIds.length) {
        const grown = new Uint8Array(this.wordIds.length * 2);
        grown.set(this.wordIds);
        this.wordIds = grown;
      }
      this.wordIds[id] = WORD_START.test(text) ? 1 : 0;
    }
    return id;
  }

  /** Whether token id `id` is a word: what token bags (Type 3) are made of. */
  isWord(id: number): boolean {
    return this.wordIds[id] === 1;
  }

  get vocabularySize(): number {
    return this.vocabulary.size;
  }

  push(exactId: number, kind: 0 | typeof IDENTIFIER | typeof LITERAL, line: number, lastLine: number): void {
    if (this.length === this.exact.length) this.grow();
    const at = this.length++;
    this.exact[at] = exactId;
    this.normal[at] = kind === 0 ? exactId : kind;
    this.line[at] = line;
    this.lastLine[at] = lastLine;
    this.commentsBefore[at] = this.comments;
  }

  /** Notes a comment before the next token. */
  pushComment(): void {
    this.comments++;
  }

  /**
   * The size of the range [start, start + length): its tokens and the comments between them, which is
   * how jscpd counts (it keeps comments as tokens), so sizes compare; what comments say never matters.
   */
  sizeOf(start: number, length: number): number {
    return length + this.commentsBefore[start + length - 1]! - this.commentsBefore[start]!;
  }

  /** Records the file whose tokens were pushed since `tokenStart`, and its units (mapped to tokens by line). */
  addFile(path: string, language: LanguageId, tokenStart: number, lines: number, units: readonly Pick<CodeUnit, 'kind' | 'name' | 'startLine' | 'endLine' | 'hash'>[]): void {
    const file = this.files.length;
    this.files.push({ path, language, tokenStart, tokenEnd: this.length, lines });
    for (const unit of units) {
      const start = this.firstTokenAtLine(tokenStart, this.length, unit.startLine);
      const end = this.firstTokenAtLine(start, this.length, unit.endLine + 1);
      this.units.push({ kind: unit.kind, name: unit.name, startLine: unit.startLine, endLine: unit.endLine, hash: unit.hash, file, tokenStart: start, tokenEnd: end });
    }
  }

  /** The index of the file holding token `position`. */
  fileAt(position: number): number {
    // The last file starting at or before `position`: the one before the first starting after it.
    return Math.max(0, lowerBoundBy(this.files, (file) => file.tokenStart, position + 1) - 1);
  }

  get lineCount(): number {
    let lines = 0;
    for (const file of this.files) lines += file.lines;
    return lines;
  }

  /** Typed arrays are over-allocated while growing; this releases the slack once the corpus is complete. */
  trim(): void {
    this.exact = this.exact.slice(0, this.length);
    this.normal = this.normal.slice(0, this.length);
    this.line = this.line.slice(0, this.length);
    this.lastLine = this.lastLine.slice(0, this.length);
    this.commentsBefore = this.commentsBefore.slice(0, this.length);
  }

  private firstTokenAtLine(from: number, to: number, line: number): number {
    return lowerBound(this.line, line, from, to);
  }

  private grow(): void {
    const size = Math.max(1024, this.exact.length * 2);
    for (const name of ['exact', 'normal', 'line', 'lastLine', 'commentsBefore'] as const) {
      const grown = new Int32Array(size);
      grown.set(this[name]);
      this[name] = grown;
    }
  }
}
