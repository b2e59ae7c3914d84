import { closeSync, createReadStream, mkdirSync, openSync, writeFileSync, writeSync } from 'node:fs';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import type { Parser } from 'web-tree-sitter';
import { Encoder } from '../model/encoder';
import { LanguageId } from '../parse/languages';
import { TreeSitterRuntime } from '../parse/treeSitterRuntime';
import { CodeTokenizer } from '../tokenize/codeTokenizer';
import { loadCodeTokenizer } from '../tokenize/tokenizerFile';
import { float16Bytes } from './float16';
import { leafVectors, probeExampleOf, ProbeSkip } from './probeExample';
import { seededRandom } from '../seededRandom';

export type ProbeSplit = 'train' | 'test';

export interface ProbeDataOptions {
  /** Training-corpus JSONL files (`language`, `kind`, `package`, `text`): units of `held_out` files are all test units. */
  readonly units: readonly string[];
  readonly heldOut: readonly string[];
  readonly languages: readonly LanguageId[];
  /** Functions and methods kept per language and split. */
  readonly perSplit: Readonly<Record<ProbeSplit, number>>;
  readonly modelDir: string;
  readonly out: string;
  readonly seed: number;
  /**
   * Also write each unit's text and its leaves' spans (UTF-16 offsets, [start, end)): what a model outside
   * the encoder format needs to make its own word vectors for the same trees (training/probe_lm_states.py).
   */
  readonly withText?: boolean;
  readonly onProgress?: (message: string) => void;
}

export interface ProbeDataReport {
  readonly functions: Record<string, number>;
  readonly leaves: Record<string, number>;
  readonly skipped: Record<ProbeSkip, number>;
}

/** Units longer than this are not even parsed: they would not fit the encoder's 256 tokens. */
const MAX_CHARS = 2500;
/** One training package in this many (by a hash of its name) is held out too: some languages have few held-out units. */
const HELD_OUT_BUCKETS = 10;
/** Candidates sampled per kept unit: some fail to parse alone or are too long. */
const OVERSAMPLE = 3;
const KINDS = new Set(['function', 'method']);

/**
 * Writes what probe training reads (training/probe_train.py): for each language and split, one JSON line
 * per unit (package, name, leaves, d, c, u) and, per layer, the leaves' word vectors (subword tokens
 * averaged) as little-endian float16 rows, in the same order. Units are a seeded sample of the corpus's
 * functions and methods; the test split is held out by package.
 */
export async function writeProbeData(options: ProbeDataOptions, runtime: TreeSitterRuntime): Promise<ProbeDataReport> {
  const samples = await sampleUnits(options);
  const encoder = await Encoder.load(options.modelDir);
  const { hiddenSize: hidden, layers, maxTokens } = encoder.config;
  const tokenizer: CodeTokenizer = await loadCodeTokenizer(join(options.modelDir, encoder.config.tokenizer), runtime, options.languages);
  mkdirSync(options.out, { recursive: true });
  const report: ProbeDataReport = { functions: {}, leaves: {}, skipped: { 'syntax-error': 0, 'too-few-leaves': 0, 'too-long': 0 } };
  try {
    for (const language of options.languages) {
      const parser: Parser = await runtime.createParser(language);
      try {
        for (const split of ['train', 'test'] as const) {
          const key = `${split}-${language}`;
          const candidates = samples.get(key) ?? [];
          const metadata: string[] = [];
          const vectorFiles = Array.from({ length: layers + 1 }, (_, layer) => openSync(join(options.out, `${key}.L${layer}.f16`), 'w'));
          let leafCount = 0;
          try {
            for (const unit of candidates) {
              if (metadata.length >= options.perSplit[split]) break;
              const example = probeExampleOf(unit.text, language, parser, tokenizer, maxTokens);
              if (typeof example === 'string') {
                report.skipped[example]++;
                continue;
              }
              const states = await encoder.allHiddenStates(example.ids);
              const length = example.ids.length;
              for (let layer = 0; layer <= layers; layer++) {
                const layerStates = states.subarray(layer * length * hidden, (layer + 1) * length * hidden);
                writeSync(vectorFiles[layer]!, float16Bytes(leafVectors(layerStates, hidden, example.tokenLeaf, example.leaves.length)));
              }
              const { d, c, u } = example.encoding;
              const text = options.withText ? { text: unit.text, spans: example.leaves.map((leaf) => [leaf.start, leaf.end]) } : {};
              metadata.push(JSON.stringify({ package: unit.package, name: unit.name, leaves: example.leaves.length, tokens: length, d, c, u, ...text }));
              leafCount += example.leaves.length;
              if (metadata.length % 200 === 0) options.onProgress?.(`${key}: ${metadata.length} units`);
            }
          } finally {
            for (const file of vectorFiles) closeSync(file);
          }
          writeFileSync(join(options.out, `${key}.jsonl`), metadata.length > 0 ? `${metadata.join('\n')}\n` : '');
          report.functions[key] = metadata.length;
          report.leaves[key] = leafCount;
        }
      } finally {
        parser.delete();
      }
    }
    writeFileSync(join(options.out, 'meta.json'), `${JSON.stringify({
      format: 'astrolabe-probe-data', formatVersion: 1, modelId: encoder.config.modelId, modelDir: options.modelDir,
      hiddenSize: hidden, layers, vectorDtype: '<f2', languages: options.languages, seed: options.seed, ...report,
    }, null, 2)}\n`);
    return report;
  } finally {
    tokenizer.dispose();
    await encoder.release();
  }
}

interface SampledUnit {
  readonly order: number;
  readonly package: string;
  readonly name: string;
  readonly text: string;
}

/**
 * A seeded reservoir sample of functions and methods per `split-language`, in a seeded order. Each reservoir
 * draws from its own stream, so the test sample is the same whatever the training size.
 */
async function sampleUnits(options: ProbeDataOptions): Promise<Map<string, SampledUnit[]>> {
  const wanted = new Set<string>(options.languages);
  const reservoirs = new Map<string, { seen: number; units: SampledUnit[]; random: () => number }>();
  let order = 0;
  const files = [...options.units.map((file) => ({ file, heldOut: false })), ...options.heldOut.map((file) => ({ file, heldOut: true }))];
  for (const { file, heldOut } of files) {
    const lines = createInterface({ input: createReadStream(file), crlfDelay: Infinity });
    for await (const line of lines) {
      order++;
      // A cheap look before parsing: most of the corpus is other languages or other kinds.
      const language = /"language": ?"([a-z]+)"/.exec(line.slice(0, 300))?.[1];
      if (!language || !wanted.has(language)) continue;
      let value: { language?: unknown; kind?: unknown; package?: unknown; name?: unknown; text?: unknown };
      try {
        value = JSON.parse(line) as typeof value;
      } catch {
        continue;
      }
      if (typeof value.text !== 'string' || value.text.length > MAX_CHARS || !KINDS.has(String(value.kind))) continue;
      const pkg = typeof value.package === 'string' ? value.package : '';
      const split: ProbeSplit = heldOut || fnv1a(pkg) % HELD_OUT_BUCKETS === 0 ? 'test' : 'train';
      const key = `${split}-${language}`;
      const capacity = options.perSplit[split] * OVERSAMPLE;
      let reservoir = reservoirs.get(key);
      if (!reservoir) reservoirs.set(key, (reservoir = { seen: 0, units: [], random: seededRandom(fnv1a(`${options.seed}:${key}`)) }));
      reservoir.seen++;
      const unit = { order, package: pkg, name: typeof value.name === 'string' ? value.name : '', text: value.text };
      if (reservoir.units.length < capacity) reservoir.units.push(unit);
      else {
        const slot = Math.floor(reservoir.random() * reservoir.seen);
        if (slot < capacity) reservoir.units[slot] = unit;
      }
    }
  }
  const samples = new Map<string, SampledUnit[]>();
  // A seeded shuffle: the first units of the corpus would otherwise be kept first.
  const rank = (unit: SampledUnit): number => fnv1a(`${options.seed}:${unit.order}`);
  for (const [key, reservoir] of reservoirs) samples.set(key, reservoir.units.sort((a, b) => rank(a) - rank(b) || a.order - b.order));
  return samples;
}

function fnv1a(text: string): number {
  let hash = 0x811c9dc5;
  for (let i = 0; i < text.length; i++) hash = Math.imul(hash ^ text.charCodeAt(i), 0x01000193) >>> 0;
  return hash;
}
