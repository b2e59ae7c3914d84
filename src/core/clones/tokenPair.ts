import { lowerBoundBy } from '../lowerBound';
import { CloneType } from './cloneSettings';

/**
 * A clone pair as the detectors find it: two token ranges of the corpus (positions, end exclusive),
 * `a` before `b`. Turned into file and line ranges only for the report.
 */
export interface TokenPair {
  readonly type: CloneType;
  /** 1 for copies; the share of identical tokens (Type 2), token-bag overlap (Type 3) or cosine (Type 4). */
  readonly similarity: number;
  readonly aStart: number;
  readonly aEnd: number;
  readonly bStart: number;
  readonly bEnd: number;
}

/** Tokens of [start, end) inside [otherStart, otherEnd). */
function overlap(start: number, end: number, otherStart: number, otherEnd: number): number {
  return Math.max(0, Math.min(end, otherEnd) - Math.max(start, otherStart));
}

/**
 * Whether `pair` already relates ranges x and y: its two sides cover at least half of each
 * (either way round). Used so a later detector does not report again what an earlier one found.
 */
export function pairCovers(pair: TokenPair, xStart: number, xEnd: number, yStart: number, yEnd: number): boolean {
  const half = (start: number, end: number, otherStart: number, otherEnd: number): boolean => 2 * overlap(start, end, otherStart, otherEnd) >= end - start;
  return (half(xStart, xEnd, pair.aStart, pair.aEnd) && half(yStart, yEnd, pair.bStart, pair.bEnd))
    || (half(xStart, xEnd, pair.bStart, pair.bEnd) && half(yStart, yEnd, pair.aStart, pair.aEnd));
}

/**
 * Pairs found so far, looked up by the file of their first side: answers "is x~y already a clone?"
 * without scanning every pair.
 */
export class PairLookup {
  private readonly byStart: TokenPair[] = [];

  constructor(pairs: readonly TokenPair[]) {
    // Each pair is listed under both orders, sorted by the start of the side listed first.
    for (const pair of pairs) this.byStart.push(pair, { ...pair, aStart: pair.bStart, aEnd: pair.bEnd, bStart: pair.aStart, bEnd: pair.aEnd });
    this.byStart.sort((p, q) => p.aStart - q.aStart);
  }

  covers(xStart: number, xEnd: number, yStart: number, yEnd: number): boolean {
    // Candidates: pairs whose first side starts before x ends; of those, only ones reaching into x matter.
    const afterX = lowerBoundBy(this.byStart, (pair) => pair.aStart, xEnd);
    for (let index = afterX - 1; index >= 0; index--) {
      const pair = this.byStart[index]!;
      if (pair.aEnd <= xStart) {
        // Sides are rarely longer than a few thousand tokens; stop once far enough back.
        if (xStart - pair.aStart > MAX_LOOKBACK) break;
        continue;
      }
      if (pairCovers(pair, xStart, xEnd, yStart, yEnd)) return true;
    }
    return false;
  }
}

/** How far back (tokens) a covering pair's start is looked for; longer clone sides are missed as covers. */
const MAX_LOOKBACK = 200_000;
