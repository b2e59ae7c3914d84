import { join } from 'node:path';
import type { Parser } from 'web-tree-sitter';
import { Encoder } from '../model/encoder';
import { LanguageId } from '../parse/languages';
import { TreeSitterRuntime } from '../parse/treeSitterRuntime';
import { CodeTokenizer } from '../tokenize/codeTokenizer';
import { loadCodeTokenizer } from '../tokenize/tokenizerFile';
import { ConstituentScore, constituentsOf, scoreConstituents } from './constituents';
import { LayerProbe, predictEncoding } from './layerProbe';
import { leafVectors, probeExampleOf, ProbeSkip } from './probeExample';
import { loadLayerProbe, ProbeManifest, ProbeLoadError, readProbeManifest } from './probeWeights';
import { SyntaxTree } from './syntaxTree';
import { decodeTree } from './treeEncoding';

export interface ProbeResult {
  readonly layer: number;
  /** tree-sitter's tree, as the probe sees it (comments out, strings whole). */
  readonly truth: SyntaxTree;
  /** The tree the probe rebuilt from the encoder's hidden states. */
  readonly predicted: SyntaxTree;
  readonly score: ConstituentScore;
  /** Encoder input tokens ([CLS] and [SEP] included). */
  readonly tokens: number;
  /** Time of the encoder pass and of the probe on top of it (projection, heads, rebuilding, scoring), ms. */
  readonly encoderMs: number;
  readonly probeMs: number;
}

/**
 * AST-Probe at run time: encodes a unit, projects one layer's word vectors with the trained probe,
 * rebuilds the syntax tree from the predicted (d, c, u) and scores it against tree-sitter's.
 * Call `dispose()` when done.
 */
export class AstProbe {
  private readonly parsers = new Map<LanguageId, Promise<Parser>>();
  private readonly probes = new Map<string, LayerProbe>();

  private constructor(
    private readonly runtime: TreeSitterRuntime,
    private readonly encoder: Encoder,
    private readonly tokenizer: CodeTokenizer,
    private readonly probeDir: string,
    readonly manifest: ProbeManifest,
  ) {}

  /** The encoder in `modelDir` with the probes in `probeDir` (default `modelDir/probe`). */
  static async load(modelDir: string, runtime: TreeSitterRuntime, probeDir = join(modelDir, 'probe')): Promise<AstProbe> {
    const manifest = readProbeManifest(probeDir);
    const encoder = await Encoder.load(modelDir, { threads: 2 });
    try {
      if (encoder.config.modelId !== manifest.modelId) throw new ProbeLoadError(join(probeDir, 'probe.json'), `trained for encoder ${manifest.modelId}, not ${encoder.config.modelId}`);
      const languages = Object.keys(manifest.languages) as LanguageId[];
      const tokenizer = await loadCodeTokenizer(join(modelDir, encoder.config.tokenizer), runtime, languages);
      return new AstProbe(runtime, encoder, tokenizer, probeDir, manifest);
    } catch (error) {
      await encoder.release();
      throw error;
    }
  }

  get languages(): LanguageId[] {
    return Object.keys(this.manifest.languages) as LanguageId[];
  }

  /** Probes one unit's text at `layer` (default: the language's best layer); a string says why it cannot be probed. */
  async probe(text: string, language: LanguageId, layer?: number): Promise<ProbeResult | ProbeSkip> {
    const probe = this.layerProbe(language, layer);
    const example = probeExampleOf(text, language, await this.parser(language), this.tokenizer, this.encoder.config.maxTokens);
    if (typeof example === 'string') return example;
    const started = performance.now();
    const states = await this.encoder.hiddenStates(example.ids, probe.layer);
    const encoded = performance.now();
    const hidden = this.encoder.config.hiddenSize;
    const flat = new Float32Array(states.length * hidden);
    states.forEach((state, token) => flat.set(state, token * hidden));
    const leaves = example.leaves.length;
    const { d, c, u } = predictEncoding(probe, leafVectors(flat, hidden, example.tokenLeaf, leaves), leaves);
    const predicted = decodeTree(d, c, u, example.leaves);
    const score = scoreConstituents(constituentsOf(predicted), constituentsOf(example.tree));
    return { layer: probe.layer, truth: example.tree, predicted, score, tokens: example.ids.length, encoderMs: encoded - started, probeMs: performance.now() - encoded };
  }

  private layerProbe(language: LanguageId, layer: number | undefined): LayerProbe {
    const key = `${language}:${layer ?? 'best'}`;
    let probe = this.probes.get(key);
    if (!probe) this.probes.set(key, (probe = loadLayerProbe(this.probeDir, this.manifest, language, layer)));
    return probe;
  }

  private parser(language: LanguageId): Promise<Parser> {
    let parser = this.parsers.get(language);
    if (!parser) this.parsers.set(language, (parser = this.runtime.createParser(language)));
    return parser;
  }

  async dispose(): Promise<void> {
    for (const parser of this.parsers.values()) (await parser).delete();
    this.parsers.clear();
    this.tokenizer.dispose();
    await this.encoder.release();
  }
}
