import { lowerBound } from '../lowerBound';
import { TopK } from './topK';

/** One field of a document: how much a match in it weighs, and how hard its length is normalized. */
export interface Bm25Field {
  readonly weight: number;
  readonly b: number;
}

/** The fields a unit is indexed by: its text (code, comments, docstrings) and its own name. */
export interface UnitFields<T> {
  readonly text: T;
  readonly name: T;
}

/**
 * The text: b = 0.9 rather than the textbook 0.75, as long units (a class, a file's top level) mention many
 * words in passing (CoSQA dev BM25 MRR 0.359 -> 0.367). The name, a field of its own as BM25F gives a title,
 * normalized by the name's length and not the text's, so a match on the name is worth as much in a long
 * unit as in a short one (copied twice into the text instead, as before, it counted less the longer the
 * unit: CoSQA dev BM25 0.368 -> 0.373, hybrid 0.446 -> 0.448, one bench run; k1 1.0-1.6, b 0.8-1.0 and name
 * weights 1.5-3 all within 0.003 of these in hybrid search).
 */
export const UNIT_FIELDS: UnitFields<Bm25Field> = { text: { weight: 1, b: 0.9 }, name: { weight: 2, b: 0.5 } };

/** A field's inverted index: per term, the ids of the documents holding it (ascending) and how often; every document's length. */
class FieldIndex {
  readonly postings = new Map<string, { readonly documents: number[]; readonly counts: number[] }>();
  readonly lengths: number[] = [];
  totalLength = 0;

  add(id: number, terms: readonly string[]): void {
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
  }
}

const NO_POSTING = { documents: [] as readonly number[], counts: [] as readonly number[] };

/**
 * Okapi BM25F over a unit's text and name: the lexical half of hybrid search, and the baseline retrieval is
 * compared with. A term's count in each field is normalized by that field's length, weighted, summed, and
 * only then saturated (k1), so a match in both fields counts once, more strongly. Each field has its own
 * inverted index, so a query touches only the postings of its own terms. Documents are added once.
 */
export class Bm25Index {
  private readonly text = new FieldIndex();
  private readonly name = new FieldIndex();
  private documentCount = 0;

  constructor(private readonly fields: UnitFields<Bm25Field> = UNIT_FIELDS, private readonly k1 = 1.2) {}

  get size(): number {
    return this.documentCount;
  }

  /** Adds a document; returns its id (0, 1, 2, ... in order of addition). */
  add(terms: UnitFields<readonly string[]>): number {
    const id = this.documentCount++;
    this.text.add(id, terms.text);
    this.name.add(id, terms.name);
    return id;
  }

  /** The best `k` documents for the query terms among those `allowed` passes, with scores, best first (ties by id). */
  search(queryTerms: readonly string[], k: number, allowed?: (id: number) => boolean): { id: number; score: number }[] {
    return TopK.best(this.scores(queryTerms), k, allowed);
  }

  /** The score of every document that holds a query term (the others score 0). */
  scores(queryTerms: readonly string[]): Map<number, number> {
    const scores = new Map<number, number>();
    const { text, name, k1 } = this;
    const textAverage = text.totalLength / this.documentCount;
    const nameAverage = name.totalLength / this.documentCount;
    const { weight: textWeight, b: textB } = this.fields.text;
    const { weight: nameWeight, b: nameB } = this.fields.name;
    for (const term of new Set(queryTerms)) {
      const inText = text.postings.get(term) ?? NO_POSTING;
      const inName = name.postings.get(term) ?? NO_POSTING;
      const df = inText.documents.length + inName.documents.filter((id) => !sortedIncludes(inText.documents, id)).length;
      if (df === 0) continue;
      const idf = Math.log(1 + (this.documentCount - df + 0.5) / (df + 0.5));
      const add = (id: number, tf: number) => scores.set(id, (scores.get(id) ?? 0) + idf * tf * (k1 + 1) / (tf + k1));
      const nameFrequency = (n: number) => nameWeight * inName.counts[n]! / (1 - nameB + nameB * name.lengths[inName.documents[n]!]! / nameAverage);
      // Merge the two ascending postings (the name's is short), written out for the text's long one: this
      // loop is lexical search's whole cost.
      let n = 0;
      for (let t = 0; t < inText.documents.length; t++) {
        const id = inText.documents[t]!;
        for (; n < inName.documents.length && inName.documents[n]! < id; n++) add(inName.documents[n]!, nameFrequency(n));
        let tf = textWeight * inText.counts[t]! / (1 - textB + textB * text.lengths[id]! / textAverage);
        if (n < inName.documents.length && inName.documents[n] === id) tf += nameFrequency(n++);
        add(id, tf);
      }
      for (; n < inName.documents.length; n++) add(inName.documents[n]!, nameFrequency(n));
    }
    return scores;
  }
}

/** Whether ascending `values` hold `value`. */
function sortedIncludes(values: readonly number[], value: number): boolean {
  const index = lowerBound(values, value);
  return index < values.length && values[index] === value;
}
