import { CloneSettings } from './cloneSettings';
import { IDENTIFIER, TokenCorpus } from './tokenCorpus';
import { TokenPair } from './tokenPair';

/** At most this many distinct clone groups are told apart among the occurrences of one fingerprint. */
const MAX_ANCHORS = 8;

/**
 * Type 1 and 2 clones: token sequences equal once identifiers and literals are abstracted, found by
 * winnowing (Schleimer et al., 2003) so that cost and memory stay linear in the corpus size.
 *
 * Each file's normalized tokens are hashed in k-grams; a window of w consecutive k-gram hashes keeps
 * its minimum as a fingerprint. Any shared run of k + w - 1 tokens shares a fingerprint; that is set
 * below minTokens, because comments count towards a clone's size but are not tokens.
 * Occurrences of one fingerprint are extended token by token both ways into maximal matches; a match
 * equal token for token is Type 1, one whose identifiers follow a consistent renaming is Type 2.
 */
export function findCopies(corpus: TokenCorpus, settings: CloneSettings): TokenPair[] {
  const guaranteed = Math.max(10, Math.floor(0.8 * settings.minTokens));
  const window = Math.max(1, Math.min(10, Math.floor(guaranteed / 5)));
  const kgram = guaranteed - window + 1;
  const fingerprints = winnow(corpus, kgram, window, guaranteed);
  const order = sortByHash(fingerprints.hashes, fingerprints.length);
  const matcher = new MatchExtender(corpus, settings);
  for (let groupStart = 0; groupStart < order.length;) {
    const hash = fingerprints.hashes[order[groupStart]!]!;
    let groupEnd = groupStart + 1;
    while (groupEnd < order.length && fingerprints.hashes[order[groupEnd]!] === hash) groupEnd++;
    if (groupEnd - groupStart > 1) {
      // Occurrences come in position order (the sort is stable). Each is matched against the first
      // occurrences that started a clone group: a star per group, not all pairs, so common code costs linearly.
      const anchors: number[] = [];
      for (let index = groupStart; index < groupEnd; index++) {
        const position = fingerprints.positions[order[index]!]!;
        let matched = false;
        for (const anchor of anchors) {
          if (matcher.tryMatch(anchor, position)) { matched = true; break; }
        }
        if (!matched && anchors.length < MAX_ANCHORS) anchors.push(position);
      }
    }
    groupStart = groupEnd;
  }
  return matcher.pairs;
}

interface Fingerprints {
  hashes: Int32Array;
  positions: Int32Array;
  length: number;
}

/** Robust winnowing over every file long enough to hold a clone: fingerprints in position order. */
function winnow(corpus: TokenCorpus, kgram: number, window: number, minTokens: number): Fingerprints {
  const result: Fingerprints = { hashes: new Int32Array(1024), positions: new Int32Array(1024), length: 0 };
  const add = (hash: number, position: number): void => {
    if (result.length === result.hashes.length) {
      const hashes = new Int32Array(result.length * 2);
      hashes.set(result.hashes);
      const positions = new Int32Array(result.length * 2);
      positions.set(result.positions);
      result.hashes = hashes;
      result.positions = positions;
    }
    result.hashes[result.length] = hash;
    result.positions[result.length++] = position;
  };
  const base = 0x01000193;
  let topPower = 1; // base^kgram, mod 2^32
  for (let i = 0; i < kgram; i++) topPower = Math.imul(topPower, base);
  const normal = corpus.normal;
  const hashes = new Int32Array(1024);
  let ring = hashes;
  const deque = new Int32Array(window + 1);
  for (const file of corpus.files) {
    const count = file.tokenEnd - file.tokenStart;
    if (count < minTokens) continue;
    const grams = count - kgram + 1;
    if (ring.length < grams) ring = new Int32Array(grams);
    let hash = 0;
    for (let i = 0; i < count; i++) {
      hash = (Math.imul(hash, base) + mix(normal[file.tokenStart + i]!)) | 0;
      if (i >= kgram) hash = (hash - Math.imul(mix(normal[file.tokenStart + i - kgram]!), topPower)) | 0;
      if (i >= kgram - 1) ring[i - kgram + 1] = hash;
    }
    // A monotonic deque holds the window's candidates, the rightmost minimum in front. Robust winnowing:
    // the chosen fingerprint stays while it is in the window and still minimal, so runs of equal hashes
    // (repetitive code) give one fingerprint per window, not one per position.
    let head = 0;
    let tail = 0;
    let chosen = -1;
    for (let i = 0; i < grams; i++) {
      while (tail > head && ring[deque[(tail - 1) % (window + 1)]!]! >= ring[i]!) tail--;
      deque[tail++ % (window + 1)] = i;
      if (deque[head % (window + 1)]! <= i - window) head++;
      if (i < window - 1) continue;
      const minimum = deque[head % (window + 1)]!;
      if (chosen >= 0 && chosen > i - window && ring[chosen] === ring[minimum]) continue;
      if (minimum !== chosen) {
        chosen = minimum;
        add(ring[minimum]!, file.tokenStart + minimum);
      }
    }
    if (grams > 0 && grams < window) add(ring[0]!, file.tokenStart); // a file shorter than a window still gets one
  }
  return result;
}

/** Spreads small token ids over 32 bits before they enter the rolling hash. */
function mix(token: number): number {
  return Math.imul(token + 3, 0x9e3779b1);
}

/** Indices 0..length-1 ordered by hash; stable (LSD radix sort, two 16-bit passes), so ties stay in position order. */
function sortByHash(hashes: Int32Array, length: number): Int32Array {
  let order = new Int32Array(length);
  for (let i = 0; i < length; i++) order[i] = i;
  let scratch = new Int32Array(length);
  for (const shift of [0, 16]) {
    const counts = new Int32Array(65537);
    for (let i = 0; i < length; i++) counts[((hashes[i]! >>> shift) & 0xffff) + 1]++;
    for (let b = 0; b < 65536; b++) counts[b + 1]! += counts[b]!;
    for (let i = 0; i < length; i++) {
      const index = order[i]!;
      scratch[counts[(hashes[index]! >>> shift) & 0xffff]!++] = index;
    }
    [order, scratch] = [scratch, order];
  }
  return order;
}

/** Extends fingerprint matches into maximal token matches, classifies them, and remembers what they cover. */
class MatchExtender {
  readonly pairs: TokenPair[] = [];
  /**
   * Matches extended so far, by file pair, as (aStart, aEnd, bStart, bEnd, reported) records: a fingerprint
   * pair inside one (on any diagonal, as in code repeating itself) needs no second look.
   */
  private readonly covered = new Map<string, number[]>();

  constructor(private readonly corpus: TokenCorpus, private readonly settings: CloneSettings) {}

  /** Whether `a` and `b` (a < b) lie in one match, found now or before. */
  tryMatch(a: number, b: number): boolean {
    const corpus = this.corpus;
    const fileA = corpus.fileAt(a);
    const fileB = corpus.fileAt(b);
    if (fileA === fileB && this.inRepeat(fileA, a, b)) return true;
    const key = `${fileA}:${fileB}`;
    const spans = this.covered.get(key);
    if (spans) for (let i = 0; i < spans.length; i += 5) if (a >= spans[i]! && a < spans[i + 1]! && b >= spans[i + 2]! && b < spans[i + 3]!) return spans[i + 4] === 1;
    const normal = corpus.normal;
    const startA = corpus.files[fileA]!.tokenStart;
    const startB = corpus.files[fileB]!.tokenStart;
    const endB = corpus.files[fileB]!.tokenEnd;
    // Backwards, then forwards, never past either file's ends; within one file the two sides may touch
    // but never overlap.
    let back = 0;
    while (a - back > startA && b - back > startB && normal[a - back - 1] === normal[b - back - 1]) back++;
    const aStart = a - back;
    const bStart = b - back;
    const distance = bStart - aStart;
    const limit = fileA === fileB ? Math.min(endB - bStart, distance) : Math.min(corpus.files[fileA]!.tokenEnd - aStart, endB - bStart);
    let length = 0;
    while (length < limit && normal[aStart + length] === normal[bStart + length]) length++;
    if (fileA === fileB && length === distance) {
      // The code repeats itself with period `distance` (a table, unrolled code): find where the
      // repetition ends once, so later fingerprints inside it cost nothing.
      let end = bStart + length;
      while (end < endB && normal[end] === normal[end - distance]) end++;
      this.addRepeat(fileA, aStart, end);
    }
    const reported = length > 0 && Math.max(corpus.sizeOf(aStart, length), corpus.sizeOf(bStart, length)) >= this.settings.minTokens && this.classify(aStart, bStart, length);
    const record = [aStart, aStart + length, bStart, bStart + length, reported ? 1 : 0];
    if (spans) spans.push(...record);
    else this.covered.set(key, record);
    return reported;
  }

  /** Stretches of a file that repeat with a short period, by file: [start, end) pairs. */
  private readonly repeats = new Map<number, number[]>();

  private inRepeat(file: number, a: number, b: number): boolean {
    const spans = this.repeats.get(file);
    if (spans) for (let i = 0; i < spans.length; i += 2) if (a >= spans[i]! && b < spans[i + 1]!) return true;
    return false;
  }

  private addRepeat(file: number, start: number, end: number): void {
    const spans = this.repeats.get(file);
    if (spans) spans.push(start, end);
    else this.repeats.set(file, [start, end]);
  }

  /**
   * Records the match: Type 1 when equal token for token once edges that differ are trimmed; else Type 2
   * when its identifiers follow a consistent renaming; else its exact runs, as Type 1.
   */
  private classify(aStart: number, bStart: number, length: number): boolean {
    const { exact, normal } = this.corpus;
    const types = this.settings.types;
    // Exact runs long enough to count as anchors of a copy (shorter ones are coincidence: `) ; }`).
    const minRun = Math.max(3, Math.floor(this.settings.minTokens / 5));
    const runs: number[] = [];
    let same = 0;
    for (let i = 0; i < length;) {
      if (exact[aStart + i] !== exact[bStart + i]) { i++; continue; }
      let run = 1;
      while (i + run < length && exact[aStart + i + run] === exact[bStart + i + run]) run++;
      same += run;
      if (run >= minRun) runs.push(i, run);
      i += run;
    }
    if (runs.length === 2) {
      // One exact core, the rest only differing context at its edges: a copy (Type 1), trimmed to the core.
      return types.includes(1) && this.record(1, 1, aStart + runs[0]!, bStart + runs[0]!, runs[1]!);
    }
    if (types.includes(2) && renameConsistency(exact, normal, aStart, bStart, length) >= this.settings.minRenameConsistency) {
      return this.record(2, same / length, aStart, bStart, length);
    }
    if (!types.includes(1)) return false;
    let recorded = false;
    for (let r = 0; r < runs.length; r += 2) if (this.record(1, 1, aStart + runs[r]!, bStart + runs[r]!, runs[r + 1]!)) recorded = true;
    return recorded;
  }

  private record(type: 1 | 2, similarity: number, aStart: number, bStart: number, length: number): boolean {
    const { line, lastLine } = this.corpus;
    const minLines = this.settings.minLines;
    if (Math.max(this.corpus.sizeOf(aStart, length), this.corpus.sizeOf(bStart, length)) < this.settings.minTokens) return false;
    // One side long enough will do: a signature copied onto one line of a declaration file is still a copy.
    if (lastLine[aStart + length - 1]! - line[aStart]! + 1 < minLines && lastLine[bStart + length - 1]! - line[bStart]! + 1 < minLines) return false;
    this.pairs.push({ type, similarity, aStart, aEnd: aStart + length, bStart, bEnd: bStart + length });
    return true;
  }
}

/**
 * The share of identifier occurrences that agree with a one-to-one renaming: each name on one side
 * maps to the name it first met on the other, both ways. A copy with its names changed scores 1.
 */
function renameConsistency(exact: Int32Array, normal: Int32Array, aStart: number, bStart: number, length: number): number {
  const forward = new Map<number, number>();
  const backward = new Map<number, number>();
  let identifiers = 0;
  let consistent = 0;
  for (let i = 0; i < length; i++) {
    if (normal[aStart + i] !== IDENTIFIER) continue;
    identifiers++;
    const x = exact[aStart + i]!;
    const y = exact[bStart + i]!;
    const mappedX = forward.get(x);
    const mappedY = backward.get(y);
    if (mappedX === undefined && mappedY === undefined) {
      forward.set(x, y);
      backward.set(y, x);
      consistent++;
    } else if (mappedX === y && mappedY === x) {
      consistent++;
    }
  }
  return identifiers === 0 ? 1 : consistent / identifiers;
}
