import type { InferenceSession, Tensor } from 'onnxruntime-node';
import { existsSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { defaultEncoderDir } from '../model/modelsDir';
import { onnxRuntime } from '../model/onnxRuntime';
import { LanguageId, LANGUAGES } from '../parse/languages';
import { CompletionTokenizer } from './completionTokenizer';
import type { FimOrder } from './fimPrompt';

/** models/completion/config.json, written by training/lm_export.py. */
export interface CompletionModelConfig {
  readonly format: 'astrolabe-completion-lm';
  readonly version: 1;
  readonly modelId: string;
  readonly vocabSize: number;
  readonly layers: number;
  readonly heads: number;
  readonly headDim: number;
  /** Longest sequence (prompt + completion) the model was trained on; prompts are cut to fit. */
  readonly contextTokens: number;
  /** Prompt layout the model was trained on; `load` reads a config without one (the first models') as `psm`. */
  readonly fimOrder: FimOrder;
  readonly onnx: string;
  readonly tokenizer: string;
  /** The languages the model was trained on; a config without them (the first models') is read as every language. */
  readonly languages: readonly LanguageId[];
}

/** Reads and checks `folder`/config.json; errors name the file and what is wrong with it. */
export function readCompletionModelConfig(folder: string): CompletionModelConfig {
  const configPath = join(folder, 'config.json');
  if (!existsSync(configPath)) throw new Error(`no completion model in ${folder} (config.json missing)`);
  let raw: Omit<CompletionModelConfig, 'fimOrder' | 'languages'> & { fimOrder?: unknown; languages?: unknown };
  try {
    raw = JSON.parse(readFileSync(configPath, 'utf8'));
  } catch (error) {
    throw new Error(`${configPath}: unreadable (${error instanceof Error ? error.message : String(error)})`);
  }
  if (typeof raw !== 'object' || raw === null || raw.format !== 'astrolabe-completion-lm' || raw.version !== 1) throw new Error(`${configPath}: not an astrolabe-completion-lm version 1 config`);
  const fimOrder = raw.fimOrder ?? 'psm';
  if (fimOrder !== 'spm' && fimOrder !== 'psm') throw new Error(`${configPath}: fimOrder must be "spm" or "psm", got ${JSON.stringify(fimOrder)}`);
  const known = LANGUAGES.map((language) => language.id);
  const languages = raw.languages ?? known;
  if (!Array.isArray(languages) || languages.some((language) => !known.includes(language))) {
    throw new Error(`${configPath}: languages must be a list of ${known.join(', ')}; got ${JSON.stringify(raw.languages)}`);
  }
  return { ...raw, fimOrder, languages };
}

/** A sequence being decoded: the logits for its next token, and a way to extend it by one token. */
export interface TokenStream {
  readonly logits: Float32Array;
  readonly length: number;
  append(token: number): Promise<Float32Array>;
}

/** What decoding needs from a language model: start a sequence from prompt ids. */
export interface NextTokenModel {
  readonly vocabularySize: number;
  start(promptIds: readonly number[]): Promise<TokenStream>;
}

export interface CompletionModelOptions {
  readonly threads?: number;
  /** Spinning threads answer faster but burn CPU while idle; off by default, kinder to an editor. */
  readonly allowSpinning?: boolean;
}

/**
 * The causal code LM in ONNX (int8), with its key/value cache: the prompt runs once, then each new
 * token costs one position. Release it when done (the session holds native memory).
 */
export class CompletionModel implements NextTokenModel {
  private constructor(readonly folder: string, readonly config: CompletionModelConfig, readonly tokenizer: CompletionTokenizer, private readonly session: InferenceSession) {}

  static async load(folder: string, options: CompletionModelOptions = {}): Promise<CompletionModel> {
    const config = readCompletionModelConfig(folder);
    const configPath = join(folder, 'config.json');
    const tokenizer = CompletionTokenizer.fromFile(join(folder, config.tokenizer));
    if (tokenizer.vocabularySize !== config.vocabSize) throw new Error(`${configPath}: vocabSize ${config.vocabSize}, tokenizer has ${tokenizer.vocabularySize}`);
    const ort = onnxRuntime();
    const session = await ort.InferenceSession.create(join(folder, config.onnx), {
      intraOpNumThreads: options.threads ?? 2,
      interOpNumThreads: 1,
      executionMode: 'sequential',
      graphOptimizationLevel: 'all',
      extra: { session: { intra_op: { allow_spinning: options.allowSpinning ? '1' : '0' } } },
    });
    return new CompletionModel(folder, config, tokenizer, session);
  }

  get vocabularySize(): number {
    return this.config.vocabSize;
  }

  async start(promptIds: readonly number[]): Promise<TokenStream> {
    if (promptIds.length === 0) throw new Error('empty prompt');
    const { layers, heads, headDim } = this.config;
    const ort = onnxRuntime();
    const empty = new ort.Tensor('float32', new Float32Array(0), [layers, 1, heads, 0, headDim]);
    let past = await this.run(promptIds, empty, empty);
    let length = promptIds.length;
    const stream = {
      logits: past.logits,
      get length() { return length; },
      append: async (token: number): Promise<Float32Array> => {
        const next = await this.run([token], past.keys, past.values);
        past.keys.dispose();
        past.values.dispose();
        past = next;
        length++;
        stream.logits = next.logits;
        return next.logits;
      },
    };
    return stream;
  }

  private async run(ids: readonly number[], keys: Tensor, values: Tensor): Promise<{ logits: Float32Array; keys: Tensor; values: Tensor }> {
    const ort = onnxRuntime();
    const inputIds = new ort.Tensor('int64', BigInt64Array.from(ids, (id) => BigInt(id)), [1, ids.length]);
    const output = await this.session.run({ input_ids: inputIds, past_keys: keys, past_values: values });
    return { logits: output.logits!.data as Float32Array, keys: output.present_keys!, values: output.present_values! };
  }

  async release(): Promise<void> {
    await this.session.release();
  }
}

/** The bundled completion model, `models/completion/` beside the bundled encoder. */
export function defaultCompletionModelDir(start: string): string {
  return join(dirname(defaultEncoderDir(start)), 'completion');
}
