/**
 * One trained probe: AST-Probe's orthogonal projection B (rank x hidden) of one layer's word vectors, and
 * linear heads over the projected space for c (from the difference of neighbours) and u (from each word).
 */
export interface LayerProbe {
  readonly layer: number;
  readonly rank: number;
  readonly hidden: number;
  /** rank x hidden, row-major. */
  readonly projection: Float32Array;
  /** labels x rank, and one bias per label. */
  readonly cWeight: Float32Array;
  readonly cBias: Float32Array;
  readonly uWeight: Float32Array;
  readonly uBias: Float32Array;
  readonly cLabels: readonly string[];
  readonly uLabels: readonly string[];
}

/** What a probe reads off a unit's word vectors: a (d, c, u) encoding to rebuild the tree from. */
export interface PredictedEncoding {
  /** Squared distances of neighbouring projected words: only their ranking matters. */
  readonly d: Float32Array;
  readonly c: string[];
  readonly u: string[];
}

/** Applies the probe to `vectors` (`leaves x hidden`, row-major, of the probe's layer). */
export function predictEncoding(probe: LayerProbe, vectors: Float32Array, leaves: number): PredictedEncoding {
  const { rank, hidden } = probe;
  if (vectors.length !== leaves * hidden) throw new Error(`expected ${leaves} x ${hidden} word vectors, got ${vectors.length} numbers`);
  const projected = new Float32Array(leaves * rank);
  for (let leaf = 0; leaf < leaves; leaf++) {
    const word = leaf * hidden;
    for (let r = 0; r < rank; r++) {
      const row = r * hidden;
      let sum = 0;
      for (let k = 0; k < hidden; k++) sum += probe.projection[row + k]! * vectors[word + k]!;
      projected[leaf * rank + r] = sum;
    }
  }
  const d = new Float32Array(Math.max(0, leaves - 1));
  const c: string[] = [];
  const difference = new Float32Array(rank);
  for (let i = 0; i + 1 < leaves; i++) {
    let squared = 0;
    for (let r = 0; r < rank; r++) {
      const delta = projected[(i + 1) * rank + r]! - projected[i * rank + r]!;
      difference[r] = delta;
      squared += delta * delta;
    }
    d[i] = squared;
    c.push(probe.cLabels[argmaxLinear(probe.cWeight, probe.cBias, difference, 0, rank)]!);
  }
  const u: string[] = [];
  for (let leaf = 0; leaf < leaves; leaf++) u.push(probe.uLabels[argmaxLinear(probe.uWeight, probe.uBias, projected, leaf * rank, rank)]!);
  return { d, c, u };
}

/** The label whose row of `weight` (plus bias) scores `input[from, from + rank)` highest. */
function argmaxLinear(weight: Float32Array, bias: Float32Array, input: Float32Array, from: number, rank: number): number {
  let best = 0;
  let bestScore = -Infinity;
  for (let label = 0; label < bias.length; label++) {
    let score = bias[label]!;
    const row = label * rank;
    for (let r = 0; r < rank; r++) score += weight[row + r]! * input[from + r]!;
    if (score > bestScore) {
      bestScore = score;
      best = label;
    }
  }
  return best;
}
