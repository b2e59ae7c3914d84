import { Bm25Index } from '../src/core/search/bm25';
import { lexicalTerms } from '../src/core/search/lexicalTerms';
import { averagePrecisionAtR, recallAt, reciprocalRank, topKByDotProduct } from '../src/core/search/retrievalMetrics';
import { CosqaSet, Poj104Set } from './evalData';

export interface CosqaScores { mrr: number; recall1: number; recall5: number; recall10: number }

/** Scores rankings of CoSQA's corpus for each query (ranking(queryIndex) -> corpus indices, best first). */
export function scoreCosqa(set: CosqaSet, ranking: (query: number) => number[]): CosqaScores {
  let mrr = 0, recall1 = 0, recall5 = 0, recall10 = 0;
  set.queries.forEach((query, index) => {
    const ranked = ranking(index);
    mrr += reciprocalRank(ranked, query.relevant);
    recall1 += recallAt(ranked, query.relevant, 1);
    recall5 += recallAt(ranked, query.relevant, 5);
    recall10 += recallAt(ranked, query.relevant, 10);
  });
  const n = set.queries.length;
  return { mrr: mrr / n, recall1: recall1 / n, recall5: recall5 / n, recall10: recall10 / n };
}

/** BM25 over identifier-split terms of each function (its docstring included, as CoSQA gives it). */
export function bm25Cosqa(set: CosqaSet): CosqaScores {
  const index = new Bm25Index();
  for (const code of set.corpus) index.add(lexicalTerms(code));
  return scoreCosqa(set, (query) => index.search(lexicalTerms(set.queries[query]!.query), set.corpus.length).map((hit) => hit.id));
}

/** MAP@R (R = class size - 1) for unit-length program vectors (row-major, `dimension` columns). */
export function mapAtR(set: Poj104Set, vectors: Float32Array, dimension: number): number {
  const labels = set.programs.map((program) => program.label);
  let total = 0;
  for (let query = 0; query < labels.length; query++) {
    const label = labels[query]!;
    const r = labels.filter((other) => other === label).length - 1;
    const ranked = topKByDotProduct(vectors.subarray(query * dimension, (query + 1) * dimension), vectors, dimension, r, query);
    total += averagePrecisionAtR(ranked, (id) => labels[id] === label, r);
  }
  return total / labels.length;
}

/** TF-IDF bags of identifier-split terms, hashed into a fixed number of buckets and normalized. */
export function tfidfPoj104(set: Poj104Set, buckets = 4096): number {
  const documents = set.programs.map((program) => lexicalTerms(program.code));
  const df = new Map<string, number>();
  for (const terms of documents) for (const term of new Set(terms)) df.set(term, (df.get(term) ?? 0) + 1);
  const vectors = new Float32Array(documents.length * buckets);
  documents.forEach((terms, row) => {
    const counts = new Map<string, number>();
    for (const term of terms) counts.set(term, (counts.get(term) ?? 0) + 1);
    for (const [term, count] of counts) {
      const idf = Math.log(documents.length / df.get(term)!);
      vectors[row * buckets + (hashString(term) % buckets)] += (1 + Math.log(count)) * idf;
    }
    let norm = 0;
    for (let d = 0; d < buckets; d++) norm += vectors[row * buckets + d]! ** 2;
    norm = Math.sqrt(norm) || 1;
    for (let d = 0; d < buckets; d++) vectors[row * buckets + d]! /= norm;
  });
  return mapAtR(set, vectors, buckets);
}

function hashString(text: string): number {
  let hash = 2166136261;
  for (let i = 0; i < text.length; i++) hash = Math.imul(hash ^ text.charCodeAt(i), 16777619);
  return hash >>> 0;
}
