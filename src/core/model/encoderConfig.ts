import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { EncoderLoadError } from './encoderErrors';

/**
 * `config.json` of an encoder folder (models/encoder/ or any folder `astrolabe.encoder.path` names):
 * what the ONNX file computes and how to feed it.
 */
export interface EncoderConfig {
  readonly format: 'astrolabe-encoder';
  readonly formatVersion: 1;
  /** Identifies the weights: an index built with another model id is rebuilt, never reused. */
  readonly modelId: string;
  /** The ONNX file, relative to the folder. Inputs `input_ids`, `attention_mask` (int64, batch x sequence), optionally `token_counts` (float32, batch x sequence: each token's count in its unit, for a pooling that weighs tokens by it); outputs `embedding` (batch x hidden) and `hidden_states` (layers+1 x batch x sequence x hidden). */
  readonly onnx: string;
  /** The tokenizer file, relative to the folder. */
  readonly tokenizer: string;
  readonly hiddenSize: number;
  /** Transformer layers; hidden_states has layers + 1 entries (0 is the embedding layer). */
  readonly layers: number;
  /** Longest input, in tokens, including [CLS] and [SEP]. */
  readonly maxTokens: number;
  /** Embedding sizes that work as embeddings on their own (Matryoshka prefixes), ascending, the last being hiddenSize. */
  readonly dimensions: readonly number[];
  /**
   * Optional: per dimension (as a string key), the mean of the model's normalized embeddings of real code.
   * Clone detection centres the vectors of a small workspace on it (too few units to estimate their own mean).
   */
  readonly meanEmbeddings?: Readonly<Record<string, readonly number[]>>;
  /**
   * Optional: the Type-4 clone threshold (centred cosine) calibrated for this model. Models spread their
   * cosines differently, so one number cannot serve them all; a user's `type4Similarity` setting wins.
   */
  readonly type4Similarity?: number;
}

export function readEncoderConfig(folder: string): EncoderConfig {
  const path = join(folder, 'config.json');
  let raw: unknown;
  try {
    raw = JSON.parse(readFileSync(path, 'utf8'));
  } catch (error) {
    throw new EncoderLoadError(path, (error as NodeJS.ErrnoException).code === 'ENOENT' ? 'missing' : `not valid JSON (${(error as Error).message})`, error);
  }
  return validateEncoderConfig(raw, path);
}

export function validateEncoderConfig(raw: unknown, path: string): EncoderConfig {
  const fail = (why: string): never => { throw new EncoderLoadError(path, why); };
  if (typeof raw !== 'object' || raw === null) return fail('not a JSON object');
  const config = raw as Record<string, unknown>;
  if (config.format !== 'astrolabe-encoder') fail(`"format" must be "astrolabe-encoder", found ${JSON.stringify(config.format)}`);
  if (config.formatVersion !== 1) fail(`unsupported "formatVersion" ${JSON.stringify(config.formatVersion)} (this Astrolabe reads 1)`);
  for (const key of ['modelId', 'onnx', 'tokenizer']) if (typeof config[key] !== 'string' || (config[key] as string).length === 0) fail(`"${key}" must be a non-empty string`);
  for (const key of ['hiddenSize', 'layers', 'maxTokens']) if (!Number.isInteger(config[key]) || (config[key] as number) <= 0) fail(`"${key}" must be a positive integer`);
  const dimensions = config.dimensions;
  if (!Array.isArray(dimensions) || dimensions.length === 0 || !dimensions.every((d, i) => Number.isInteger(d) && d > 0 && (i === 0 || d > dimensions[i - 1])) || dimensions[dimensions.length - 1] !== config.hiddenSize) {
    fail('"dimensions" must be ascending positive integers ending with hiddenSize');
  }
  const means = config.meanEmbeddings;
  if (means !== undefined) {
    if (typeof means !== 'object' || means === null) fail('"meanEmbeddings" must be an object');
    for (const [key, mean] of Object.entries(means as Record<string, unknown>)) {
      if (!Array.isArray(mean) || mean.length !== Number(key) || !mean.every((value) => typeof value === 'number' && Number.isFinite(value))) fail(`"meanEmbeddings"."${key}" must be ${key} numbers`);
    }
  }
  const threshold = config.type4Similarity;
  if (threshold !== undefined && !(typeof threshold === 'number' && threshold > 0 && threshold <= 1)) fail('"type4Similarity" must be a number in (0, 1]');
  return config as unknown as EncoderConfig;
}
