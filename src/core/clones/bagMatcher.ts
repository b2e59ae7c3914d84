import { CloneSettings } from './cloneSettings';
import { CorpusUnit, TokenCorpus } from './tokenCorpus';
import { PairLookup, TokenPair } from './tokenPair';

interface Bag {
  readonly unit: CorpusUnit;
  /** Token ranks (rarest first), ascending, with repeats: a multiset. */
  readonly ranks: Int32Array;
}

/**
 * Type 3 clones: code units whose bags of words (names, keywords, literals; operators left out) overlap
 * by at least `type3Similarity` of the larger bag, after SourcererCC (Sajnani et al., 2016). Tokens are
 * ordered rarest first; two bags sharing t tokens must share one among the first |bag| - t + 1 of each
 * (prefix filtering), so only units meeting in those few rare tokens are compared: far from all pairs.
 * Pairs `found` already (Type 1-2) and units nested in each other are left out.
 */
export function findEditedCopies(corpus: TokenCorpus, settings: CloneSettings, found: PairLookup): TokenPair[] {
  const theta = settings.type3Similarity;
  const bags = unitBags(corpus, settings);
  bags.sort((x, y) => x.ranks.length - y.ranks.length);
  // Posting lists: bag indices by the ranks in their prefix.
  const postings = new Map<number, number[]>();
  const shared = new Int32Array(bags.length);
  const touched: number[] = [];
  const pairs: TokenPair[] = [];
  for (let index = 0; index < bags.length; index++) {
    const bag = bags[index]!;
    const size = bag.ranks.length;
    const needed = Math.ceil(theta * size - 1e-9);
    const prefix = size - needed + 1;
    // Query: earlier bags are no larger; they must hold at least `needed` tokens.
    for (let i = 0; i < prefix; i++) {
      if (i > 0 && bag.ranks[i] === bag.ranks[i - 1]) continue;
      const list = postings.get(bag.ranks[i]!);
      if (!list) continue;
      for (const other of list) {
        if (shared[other] === 0) touched.push(other);
        shared[other]!++;
      }
    }
    for (const other of touched) {
      shared[other] = 0;
      const candidate = bags[other]!;
      if (candidate.ranks.length < needed || nested(candidate.unit, bag.unit)) continue;
      const overlap = multisetOverlap(candidate.ranks, bag.ranks, needed);
      if (overlap < needed) continue;
      const [first, second] = candidate.unit.tokenStart < bag.unit.tokenStart ? [candidate.unit, bag.unit] : [bag.unit, candidate.unit];
      if (found.covers(first.tokenStart, first.tokenEnd, second.tokenStart, second.tokenEnd)) continue;
      pairs.push({ type: 3, similarity: overlap / size, aStart: first.tokenStart, aEnd: first.tokenEnd, bStart: second.tokenStart, bEnd: second.tokenEnd });
    }
    touched.length = 0;
    for (let i = 0; i < prefix; i++) {
      if (i > 0 && bag.ranks[i] === bag.ranks[i - 1]) continue;
      const rank = bag.ranks[i]!;
      const list = postings.get(rank);
      if (list) list.push(index);
      else postings.set(rank, [index]);
    }
  }
  return pairs;
}

/**
 * The bags of the units big enough to report, one per distinct unit text (copies of a unit are Type 1
 * already), with token ids replaced by their rank in increasing global frequency.
 */
function unitBags(corpus: TokenCorpus, settings: CloneSettings): Bag[] {
  const { exact } = corpus;
  const units: CorpusUnit[] = [];
  const seen = new Set<string>();
  for (const unit of corpus.units) {
    if (unit.tokenEnd - unit.tokenStart < settings.minTokens || unit.endLine - unit.startLine + 1 < settings.minLines || seen.has(unit.hash)) continue;
    seen.add(unit.hash);
    units.push(unit);
  }
  const frequency = new Map<number, number>();
  for (const unit of units) {
    for (let i = unit.tokenStart; i < unit.tokenEnd; i++) {
      const id = exact[i]!;
      if (corpus.isWord(id)) frequency.set(id, (frequency.get(id) ?? 0) + 1);
    }
  }
  const rank = new Map<number, number>();
  [...frequency.entries()].sort((x, y) => x[1] - y[1] || x[0] - y[0]).forEach(([id], index) => rank.set(id, index));
  return units.map((unit) => {
    const ranks: number[] = [];
    for (let i = unit.tokenStart; i < unit.tokenEnd; i++) {
      const r = rank.get(exact[i]!);
      if (r !== undefined) ranks.push(r);
    }
    return { unit, ranks: Int32Array.from(ranks).sort() };
  }).filter((bag) => bag.ranks.length > 0);
}

/** Whether one unit lies inside the other (a method in its class): not a clone of it. */
function nested(x: CorpusUnit, y: CorpusUnit): boolean {
  return x.file === y.file && x.tokenStart < y.tokenEnd && y.tokenStart < x.tokenEnd;
}

/** The size of the multiset intersection of two ascending arrays; stops early once `needed` is out of reach. */
function multisetOverlap(x: Int32Array, y: Int32Array, needed: number): number {
  let i = 0;
  let j = 0;
  let overlap = 0;
  while (i < x.length && j < y.length) {
    if (overlap + Math.min(x.length - i, y.length - j) < needed) return overlap;
    if (x[i] === y[j]) { overlap++; i++; j++; }
    else if (x[i]! < y[j]!) i++;
    else j++;
  }
  return overlap;
}
