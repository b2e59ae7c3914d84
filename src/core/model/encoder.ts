import { existsSync } from 'node:fs';
import { join } from 'node:path';
import type { InferenceSession, Tensor } from 'onnxruntime-node';
import { EncoderConfig, readEncoderConfig } from './encoderConfig';
import { EncoderLoadError } from './encoderErrors';
import { onnxRuntime } from './onnxRuntime';

export interface EncoderOptions {
  /** onnxruntime intra-op threads. */
  readonly threads?: number;
  /** Busy-wait between operators: faster, but it burns CPU the editor needs. Off by default. */
  readonly allowSpinning?: boolean;
}

export interface EmbedOptions {
  /** Matryoshka prefix length; one of the model's `dimensions`. Defaults to the full size. */
  readonly dimension?: number;
  /** Sequences per inference call; 8 was fastest on 2 cores. */
  readonly batchSize?: number;
  readonly signal?: AbortSignal;
  /**
   * Per sequence, each token's count in the unit the sequence belongs to (`unitTokenCounts`), for a unit
   * embedded in windows. Without it each sequence is its own unit. Only models that take `token_counts` read it.
   */
  readonly tokenCounts?: readonly (readonly number[])[];
}

const INPUTS = ['input_ids', 'attention_mask'];
/** Optional input: models whose pooling weighs tokens by their count in the unit (see training/encoder_model.py). */
const COUNTS_INPUT = 'token_counts';
const OUTPUTS = ['embedding', 'hidden_states'];

/**
 * The code encoder: one ONNX session, loaded once. Takes token ids (already tokenized, [CLS] ... [SEP])
 * and returns L2-normalized embeddings, or one layer's hidden state per token. Call `release()` when done.
 */
export class Encoder {
  private constructor(readonly folder: string, readonly config: EncoderConfig, private readonly session: InferenceSession) {}

  static async load(folder: string, options: EncoderOptions = {}): Promise<Encoder> {
    const config = readEncoderConfig(folder);
    const modelPath = join(folder, config.onnx);
    if (!existsSync(modelPath)) throw new EncoderLoadError(modelPath, 'missing');
    const ort = onnxRuntime();
    let session: InferenceSession;
    try {
      session = await ort.InferenceSession.create(modelPath, {
        intraOpNumThreads: options.threads ?? 2,
        interOpNumThreads: 1,
        executionMode: 'sequential',
        graphOptimizationLevel: 'all',
        extra: { session: { intra_op: { allow_spinning: options.allowSpinning ? '1' : '0' } } },
      });
    } catch (error) {
      throw new EncoderLoadError(modelPath, `not a loadable ONNX model (${error instanceof Error ? error.message : String(error)})`, error);
    }
    const mismatch = [...INPUTS.filter((name) => !session.inputNames.includes(name)).map((name) => `input ${name}`), ...OUTPUTS.filter((name) => !session.outputNames.includes(name)).map((name) => `output ${name}`)];
    if (mismatch.length > 0) {
      await session.release();
      throw new EncoderLoadError(modelPath, `does not match the encoder format: missing ${mismatch.join(', ')} (has inputs ${session.inputNames.join(', ')}; outputs ${session.outputNames.join(', ')})`);
    }
    return new Encoder(folder, config, session);
  }

  /** Embeddings of `sequences` (token ids), in input order, each normalized to unit length. */
  async embed(sequences: readonly (readonly number[])[], options: EmbedOptions = {}): Promise<Float32Array[]> {
    const dimension = options.dimension ?? this.config.hiddenSize;
    if (!this.config.dimensions.includes(dimension)) throw new Error(`embedding dimension ${dimension} is not one of the model's ${this.config.dimensions.join(', ')}`);
    const batchSize = options.batchSize ?? 8;
    // Similar lengths together: less padding, less work.
    const order = sequences.map((_, index) => index).sort((a, b) => sequences[b]!.length - sequences[a]!.length);
    const results = new Array<Float32Array>(sequences.length);
    for (let start = 0; start < order.length; start += batchSize) {
      options.signal?.throwIfAborted();
      const batch = order.slice(start, start + batchSize);
      const output = await this.run(batch.map((index) => sequences[index]!), ['embedding'], options.tokenCounts && batch.map((index) => options.tokenCounts![index]!));
      const embedding = output.embedding!.data as Float32Array;
      const hidden = this.config.hiddenSize;
      batch.forEach((index, row) => {
        results[index] = normalize(embedding.subarray(row * hidden, row * hidden + dimension));
      });
    }
    return results;
  }

  /** Hidden state of layer `layer` (0 = embeddings, `layers` = last) for each token of `sequence`. */
  async hiddenStates(sequence: readonly number[], layer: number): Promise<Float32Array[]> {
    if (!Number.isInteger(layer) || layer < 0 || layer > this.config.layers) throw new Error(`layer must be 0..${this.config.layers}, got ${layer}`);
    const output = await this.run([sequence], ['hidden_states']);
    const states = output.hidden_states!;
    const [, , length, hidden] = states.dims as [number, number, number, number];
    const data = states.data as Float32Array;
    const base = layer * length * hidden;
    return Array.from({ length: sequence.length }, (_, token) => data.slice(base + token * hidden, base + (token + 1) * hidden));
  }

  /**
   * Every layer's hidden states in one pass: `layers + 1` blocks of `sequence.length x hiddenSize`,
   * layer-major (what probing all layers needs; `hiddenStates` would run the model once per layer).
   */
  async allHiddenStates(sequence: readonly number[]): Promise<Float32Array> {
    const output = await this.run([sequence], ['hidden_states']);
    return output.hidden_states!.data as Float32Array;
  }

  private async run(batch: readonly (readonly number[])[], outputs: string[], counts?: readonly (readonly number[])[]): Promise<Record<string, Tensor>> {
    const ort = onnxRuntime();
    const length = Math.max(...batch.map((sequence) => sequence.length));
    if (length > this.config.maxTokens) throw new Error(`a sequence of ${length} tokens exceeds the model's ${this.config.maxTokens}`);
    const ids = new BigInt64Array(batch.length * length);
    const mask = new BigInt64Array(batch.length * length);
    batch.forEach((sequence, row) => {
      for (let i = 0; i < sequence.length; i++) {
        ids[row * length + i] = BigInt(sequence[i]!);
        mask[row * length + i] = 1n;
      }
    });
    const feeds: Record<string, Tensor> = { input_ids: new ort.Tensor('int64', ids, [batch.length, length]), attention_mask: new ort.Tensor('int64', mask, [batch.length, length]) };
    if (this.session.inputNames.includes(COUNTS_INPUT)) {
      const tokenCounts = new Float32Array(batch.length * length);
      batch.forEach((sequence, row) => {
        const own = counts?.[row] ?? unitTokenCounts([sequence])[0]!;
        if (own.length !== sequence.length) throw new Error(`token counts for ${own.length} tokens, but the sequence has ${sequence.length}`);
        tokenCounts.set(own, row * length);
      });
      feeds[COUNTS_INPUT] = new ort.Tensor('float32', tokenCounts, [batch.length, length]);
    }
    return this.session.run(feeds, outputs);
  }

  async release(): Promise<void> {
    await this.session.release();
  }
}

/** For each token of `sequences` (one unit, maybe in windows), how often its id occurs in all of them. */
export function unitTokenCounts(sequences: readonly (readonly number[])[]): number[][] {
  const counts = new Map<number, number>();
  for (const sequence of sequences) for (const id of sequence) counts.set(id, (counts.get(id) ?? 0) + 1);
  return sequences.map((sequence) => sequence.map((id) => counts.get(id)!));
}

/** A unit-length copy of `vector` (zeros stay zeros). */
export function normalize(vector: Float32Array): Float32Array {
  let sum = 0;
  for (let i = 0; i < vector.length; i++) sum += vector[i]! * vector[i]!;
  const scale = sum > 0 ? 1 / Math.sqrt(sum) : 0;
  const normalized = new Float32Array(vector.length);
  for (let i = 0; i < vector.length; i++) normalized[i] = vector[i]! * scale;
  return normalized;
}
