import { TokenMask } from './vocabularyTrie';

/** Greedy when absent; otherwise temperature sampling among the `topK` most likely allowed tokens. */
export interface Sampling {
  readonly temperature: number;
  readonly topK: number;
  /** Uniform in [0, 1): a seeded generator makes runs repeatable. */
  readonly random: () => number;
}

/** The next token from `logits`, only among `mask`'s tokens when given (and not empty), with its bonus added. */
export function chooseToken(modelLogits: Float32Array, mask: TokenMask | undefined, sampling?: Sampling): number {
  const allowed = mask && mask.count > 0 ? mask.allowed : undefined;
  const bonus = allowed ? mask?.bonus : undefined;
  const logits = bonus ? modelLogits.map((logit, token) => logit + bonus[token]!) : modelLogits;
  if (!sampling || sampling.temperature <= 0) {
    let best = -1;
    let bestLogit = -Infinity;
    for (let token = 0; token < logits.length; token++) {
      if (allowed && !allowed[token]) continue;
      if (logits[token]! > bestLogit || best < 0) {
        best = token;
        bestLogit = logits[token]!;
      }
    }
    return best;
  }
  const candidates: number[] = [];
  for (let token = 0; token < logits.length; token++) if (!allowed || allowed[token]) candidates.push(token);
  candidates.sort((a, b) => logits[b]! - logits[a]!);
  const top = candidates.slice(0, Math.max(1, sampling.topK));
  const max = logits[top[0]!]!;
  const weights = top.map((token) => Math.exp((logits[token]! - max) / sampling.temperature));
  let draw = sampling.random() * weights.reduce((sum, weight) => sum + weight, 0);
  for (let index = 0; index < top.length; index++) {
    draw -= weights[index]!;
    if (draw <= 0) return top[index]!;
  }
  return top[top.length - 1]!;
}

/** The tokens every mask allows, with their bonuses summed (undefined = no constraint). */
export function intersectMasks(masks: readonly (TokenMask | undefined)[]): TokenMask | undefined {
  const present = masks.filter((mask): mask is TokenMask => mask !== undefined);
  if (present.length <= 1) return present[0];
  const allowed = Uint8Array.from(present[0]!.allowed);
  let count = 0;
  for (let token = 0; token < allowed.length; token++) {
    allowed[token] = present.every((mask) => mask.allowed[token]) ? 1 : 0;
    count += allowed[token]!;
  }
  const bonuses = present.flatMap((mask) => (mask.bonus ? [mask.bonus] : []));
  if (bonuses.length === 0) return { allowed, count };
  const bonus = new Float32Array(allowed.length);
  for (const each of bonuses) for (let token = 0; token < bonus.length; token++) bonus[token] += each[token]!;
  return { allowed, count, bonus };
}
