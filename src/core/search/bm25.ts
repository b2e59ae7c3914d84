import { TopK } from './topK';

/**
 * Okapi BM25 over term lists: the lexical half of hybrid search, and the baseline retrieval is compared
 * with. Documents are added once; scoring uses an inverted index, so a query touches only the postings
 * of its own terms.
 */
export class Bm25Index {
  private readonly postings = new Map<string, { documents: number[]; counts: number[] }>();
  private readonly lengths: number[] = [];
  private totalLength = 0;

  /**
   * b = 0.9 rather than the textbook 0.75: long units (a class, a file's top level) mention many words in
   * passing, so length is normalized harder (CoSQA dev BM25 MRR 0.359 -> 0.367, names weighted in both).
   */
  constructor(private readonly k1 = 1.2, private readonly b = 0.9) {}

  get size(): number {
    return this.lengths.length;
  }

  /** Adds a document; returns its id (0, 1, 2, ... in order of addition). */
  add(terms: readonly string[]): number {
    const id = this.lengths.length;
    const counts = new Map<string, number>();
    for (const term of terms) counts.set(term, (counts.get(term) ?? 0) + 1);
    for (const [term, count] of counts) {
      let posting = this.postings.get(term);
      if (!posting) {
        posting = { documents: [], counts: [] };
        this.postings.set(term, posting);
      }
      posting.documents.push(id);
      posting.counts.push(count);
    }
    this.lengths.push(terms.length);
    this.totalLength += terms.length;
    return id;
  }

  /** The best `k` documents for the query terms among those `allowed` passes, with scores, best first (ties by id). */
  search(queryTerms: readonly string[], k: number, allowed?: (id: number) => boolean): { id: number; score: number }[] {
    return TopK.best(this.scores(queryTerms), k, allowed);
  }

  /** The score of every document that holds a query term (the others score 0). */
  scores(queryTerms: readonly string[]): Map<number, number> {
    const scores = new Map<number, number>();
    const averageLength = this.totalLength / Math.max(1, this.lengths.length);
    const documentCount = this.lengths.length;
    for (const term of new Set(queryTerms)) {
      const posting = this.postings.get(term);
      if (!posting) continue;
      const df = posting.documents.length;
      const idf = Math.log(1 + (documentCount - df + 0.5) / (df + 0.5));
      for (let i = 0; i < posting.documents.length; i++) {
        const id = posting.documents[i]!;
        const tf = posting.counts[i]!;
        const norm = tf * (this.k1 + 1) / (tf + this.k1 * (1 - this.b + this.b * this.lengths[id]! / averageLength));
        scores.set(id, (scores.get(id) ?? 0) + idf * norm);
      }
    }
    return scores;
  }
}
