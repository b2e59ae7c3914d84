import { join } from 'node:path';
import { CodeUnit } from '../parse/codeUnit';
import { LANGUAGES } from '../parse/languages';
import { TreeSitterRuntime } from '../parse/treeSitterRuntime';
import { CodeTokenizer } from '../tokenize/codeTokenizer';
import { loadCodeTokenizer } from '../tokenize/tokenizerFile';
import { Encoder, EncoderOptions } from './encoder';
import { embedInWindows, MAX_WINDOWS } from './unitWindows';

/** Longest query, in tokens: queries are short; longer text is cut. */
const QUERY_TOKENS = 64;

/**
 * The encoder with its tokenizer: code units and queries in, unit-length vectors out, at the dimension
 * chosen when it was loaded. What indexing, search and `astrolabe embed` use. Call `dispose()`.
 */
export class UnitEmbedder {
  private constructor(readonly encoder: Encoder, private readonly tokenizer: CodeTokenizer, readonly dimension: number) {}

  /**
   * `dimension`: the embedding size, one the model offers (an error otherwise); `preferredDimension`: the
   * size to use when the model offers it, else its full size (a setting that another encoder may not fit).
   */
  static async load(modelDir: string, runtime: TreeSitterRuntime, options: EncoderOptions & { dimension?: number; preferredDimension?: number } = {}): Promise<UnitEmbedder> {
    const encoder = await Encoder.load(modelDir, options);
    try {
      const preferred = options.preferredDimension !== undefined && encoder.config.dimensions.includes(options.preferredDimension) ? options.preferredDimension : undefined;
      const dimension = options.dimension ?? preferred ?? encoder.config.hiddenSize;
      if (!encoder.config.dimensions.includes(dimension)) throw new Error(`embedding dimension ${dimension} is not one of the model's ${encoder.config.dimensions.join(', ')}`);
      const tokenizer = await loadCodeTokenizer(join(modelDir, encoder.config.tokenizer), runtime, LANGUAGES.map((language) => language.id));
      return new UnitEmbedder(encoder, tokenizer, dimension);
    } catch (error) {
      await encoder.release();
      throw error;
    }
  }

  /** The model's mean embedding of real code at this dimension, when its config records one. */
  get meanEmbedding(): Float32Array | undefined {
    const mean = this.encoder.config.meanEmbeddings?.[String(this.dimension)];
    return mean ? Float32Array.from(mean) : undefined;
  }

  /** The Type-4 clone threshold calibrated for this model, when its config records one. */
  get type4Similarity(): number | undefined {
    return this.encoder.config.type4Similarity;
  }

  /** Identifies the vectors: another model, or another dimension of the same one, makes other vectors. */
  get modelId(): string {
    return this.encoder.config.modelId;
  }

  /** A unit longer than the model's window is embedded in windows, their vectors averaged (`unitWindows.ts`). */
  embedUnits(units: readonly Pick<CodeUnit, 'text' | 'language'>[], signal?: AbortSignal): Promise<Float32Array[]> {
    const maxTokens = this.encoder.config.maxTokens;
    const ids = units.map((unit) => Array.from(this.tokenizer.encodeUnit(unit.text, unit.language, maxTokens * MAX_WINDOWS).ids));
    return embedInWindows(ids, maxTokens, (sequences, tokenCounts) => this.encoder.embed(sequences, { dimension: this.dimension, signal, tokenCounts }));
  }

  async embedQuery(text: string): Promise<Float32Array> {
    const [vector] = await this.embedQueries([text]);
    return vector!;
  }

  /** Many queries in the encoder's length-sorted batches. */
  embedQueries(texts: readonly string[]): Promise<Float32Array[]> {
    return this.encoder.embed(texts.map((text) => Array.from(this.tokenizer.encodeText(text, QUERY_TOKENS).ids)), { dimension: this.dimension });
  }

  async dispose(): Promise<void> {
    this.tokenizer.dispose();
    await this.encoder.release();
  }
}
