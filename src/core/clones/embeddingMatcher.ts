import { CloneSettings, DEFAULT_TYPE4_SIMILARITY } from './cloneSettings';
import { CorpusUnit, TokenCorpus } from './tokenCorpus';
import { PairLookup, TokenPair } from './tokenPair';

/** A unit's embedding, or undefined when it has none (the index skipped it). */
export type UnitVectorSource = (unit: CorpusUnit, path: string) => Float32Array | undefined;

/** What the encoder that made the vectors says about them (`UnitEmbedder` has both). */
export interface ModelCalibration {
  /** Its mean embedding of real code: small workspaces centre on it too (centredRows). */
  readonly meanEmbedding?: ArrayLike<number>;
  /** Its calibrated Type-4 threshold, used when the settings give none. */
  readonly type4Similarity?: number;
}

/** The Type-4 threshold in force: the user's, else the model's, else the default. */
export function type4Threshold(settings: CloneSettings, model?: ModelCalibration): number {
  return settings.type4Similarity ?? model?.type4Similarity ?? DEFAULT_TYPE4_SIMILARITY;
}

/**
 * Type 4 clones: units whose embeddings are nearest neighbours with cosine similarity at least
 * the Type-4 threshold (type4Threshold), after centring (below). Pairs already found as Type 1-3, and nested units, are left out.
 * Exact search, blocked over rows: O(units² × dimension), seconds for ten thousand units.
 */
export function findSemanticClones(corpus: TokenCorpus, settings: CloneSettings, vectorOf: UnitVectorSource, found: PairLookup, model?: ModelCalibration): TokenPair[] {
  const units: CorpusUnit[] = [];
  const vectors: Float32Array[] = [];
  const seen = new Set<string>();
  for (const unit of corpus.units) {
    if (unit.tokenEnd - unit.tokenStart < settings.minTokens || unit.endLine - unit.startLine + 1 < settings.minLines || seen.has(unit.hash)) continue;
    const vector = vectorOf(unit, corpus.files[unit.file]!.path);
    if (!vector) continue;
    seen.add(unit.hash); // copies of a unit have one embedding and are Type 1 already
    units.push(unit);
    vectors.push(vector);
  }
  if (units.length < 2) return [];
  const dimension = vectors[0]!.length;
  const modelMean = model?.meanEmbedding;
  const matrix = centredRows(vectors, dimension, modelMean?.length === dimension ? modelMean : undefined);
  const neighbours = nearestAbove(matrix, dimension, settings.type4Neighbours, type4Threshold(settings, model));
  const pairs: TokenPair[] = [];
  const reported = new Set<number>();
  for (let i = 0; i < units.length; i++) {
    for (const { index: j, score } of neighbours[i]!) {
      const key = Math.min(i, j) * units.length + Math.max(i, j);
      if (reported.has(key)) continue;
      reported.add(key);
      const [first, second] = units[i]!.tokenStart < units[j]!.tokenStart ? [units[i]!, units[j]!] : [units[j]!, units[i]!];
      if (first.file === second.file && second.tokenStart < first.tokenEnd) continue; // nested
      if (found.covers(first.tokenStart, first.tokenEnd, second.tokenStart, second.tokenEnd)) continue;
      pairs.push({ type: 4, similarity: score, aStart: first.tokenStart, aEnd: first.tokenEnd, bStart: second.tokenStart, bEnd: second.tokenEnd });
    }
  }
  return pairs;
}

/** How many units the model's own mean counts for when it is blended with a workspace's (below). */
const MODEL_MEAN_WEIGHT = 200;

/**
 * Unit vectors with a mean vector subtracted, renormalized (row-major). Embeddings share a common
 * direction (anisotropy) that makes unrelated code look alike; removing it spreads cosines out, and on
 * POJ-104 it ranks programs of the same problem better than the raw vectors (bench/cloneDetection.ts).
 * The mean is the workspace's, blended with the model's mean over real code (from its config) as if that
 * were MODEL_MEAN_WEIGHT more units: a few dozen units cannot estimate their own mean, thousands can.
 */
export function centredRows(vectors: readonly ArrayLike<number>[], dimension: number, modelMean?: ArrayLike<number>): Float32Array {
  const mean = new Float64Array(dimension);
  const total = vectors.length + (modelMean ? MODEL_MEAN_WEIGHT : 0);
  for (const vector of vectors) for (let d = 0; d < dimension; d++) mean[d]! += vector[d]! / total;
  if (modelMean) for (let d = 0; d < dimension; d++) mean[d]! += (modelMean[d]! * MODEL_MEAN_WEIGHT) / total;
  const matrix = new Float32Array(vectors.length * dimension);
  vectors.forEach((vector, row) => {
    let norm = 0;
    for (let d = 0; d < dimension; d++) {
      const value = vector[d]! - mean[d]!;
      matrix[row * dimension + d] = value;
      norm += value * value;
    }
    const scale = norm > 0 ? 1 / Math.sqrt(norm) : 0;
    for (let d = 0; d < dimension; d++) matrix[row * dimension + d]! *= scale;
  });
  return matrix;
}

/** For each row, its up to `k` most similar other rows scoring at least `threshold`, best first. */
export function nearestAbove(matrix: Float32Array, dimension: number, k: number, threshold: number): { index: number; score: number }[][] {
  const rows = matrix.length / dimension;
  const best: { index: number; score: number }[][] = Array.from({ length: rows }, () => []);
  const offer = (row: number, index: number, score: number): void => {
    const list = best[row]!;
    if (list.length === k && list[k - 1]!.score >= score) return;
    let at = list.length;
    while (at > 0 && list[at - 1]!.score < score) at--;
    list.splice(at, 0, { index, score });
    if (list.length > k) list.pop();
  };
  for (let i = 0; i < rows; i++) {
    const base = i * dimension;
    for (let j = i + 1; j < rows; j++) {
      const other = j * dimension;
      let dot = 0;
      for (let d = 0; d < dimension; d++) dot += matrix[base + d]! * matrix[other + d]!;
      if (dot < threshold) continue;
      offer(i, j, dot);
      offer(j, i, dot);
    }
  }
  return best;
}
