/**
 * Retrieval quality measures used by the benchmarks, as the public benchmarks define them.
 * A ranking is a list of document ids, best first.
 */

/** 1/rank of the first relevant document (0 if it is not ranked). */
export function reciprocalRank(ranking: readonly number[], relevant: number): number {
  const rank = ranking.indexOf(relevant);
  return rank === -1 ? 0 : 1 / (rank + 1);
}

/** Whether the relevant document is among the first k. */
export function recallAt(ranking: readonly number[], relevant: number, k: number): number {
  const rank = ranking.indexOf(relevant);
  return rank !== -1 && rank < k ? 1 : 0;
}

/**
 * Average precision at R (CodeXGLUE's MAP@R for POJ-104): with R relevant documents, the mean over the
 * first R positions of precision@i, counted only at positions i that hold a relevant document.
 * `isRelevant` says whether a ranked id is relevant; `r` is R.
 */
export function averagePrecisionAtR(ranking: readonly number[], isRelevant: (id: number) => boolean, r: number): number {
  let hits = 0;
  let sum = 0;
  for (let i = 0; i < Math.min(r, ranking.length); i++) {
    if (isRelevant(ranking[i]!)) {
      hits++;
      sum += hits / (i + 1);
    }
  }
  return r > 0 ? sum / r : 0;
}

/**
 * Indices of the `k` rows of `matrix` (row-major, `dimension` columns) most similar to `query` by dot
 * product (cosine for unit vectors), best first; `exclude` is left out (the query itself).
 */
export function topKByDotProduct(query: Float32Array, matrix: Float32Array, dimension: number, k: number, exclude = -1): number[] {
  const rows = matrix.length / dimension;
  const scores = new Float32Array(rows);
  for (let row = 0; row < rows; row++) {
    let dot = 0;
    const base = row * dimension;
    for (let d = 0; d < dimension; d++) dot += query[d]! * matrix[base + d]!;
    scores[row] = dot;
  }
  if (exclude >= 0) scores[exclude] = -Infinity;
  const order = Array.from({ length: rows }, (_, row) => row);
  // Ties broken by index, so rankings are deterministic.
  order.sort((a, b) => scores[b]! - scores[a]! || a - b);
  return order.slice(0, Math.min(k, rows - (exclude >= 0 ? 1 : 0)));
}
