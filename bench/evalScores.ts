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
