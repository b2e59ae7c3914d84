import { CodeSyntax, syntaxOf } from './codeSyntax';
import { CompletionModel } from './completionModel';
import { decodeCompletion, StopReason } from './decodeCompletion';
import { DereferenceMonitor } from './dereferenceMonitor';
import { DEFAULT_SUFFIX_SHARE, fimPromptIds } from './fimPrompt';
import { Monitor, MonitorEvent } from './monitor';
import { StaticAnalysis } from './staticAnalysis';
import { StopRule } from './stopRules';
import { Sampling } from './tokenChoice';
import { VocabularyTrie } from './vocabularyTrie';

export interface CompletionRequest {
  /** Absolute path of the file being edited (static analysis finds its project from it). */
  readonly fileName: string;
  /** The file's text before and after the cursor. */
  readonly prefix: string;
  readonly suffix: string;
  /** The file's language conventions; by default from the file name (an unsaved editor buffer has none). */
  readonly syntax?: CodeSyntax;
  readonly maxTokens?: number;
  readonly stop?: StopRule;
  /** false: plain decoding, no monitor (the baseline). */
  readonly useMonitors?: boolean;
  readonly sampling?: Sampling;
}

export interface Completion {
  readonly text: string;
  readonly tokens: number;
  readonly stoppedBy: StopReason;
  readonly monitorTriggered: boolean;
  /** Why the suggestion was constrained: one entry per monitor trigger. */
  readonly events: readonly MonitorEvent[];
  /** Wall time from the request to the answer, static-analysis calls included. */
  readonly latencyMs: number;
  /** Of which waiting for static analysis. */
  readonly analysisMs: number;
}

/** Builds a completion's monitors (fresh state per completion). */
export type MonitorFactory = (analysis: StaticAnalysis, trie: VocabularyTrie, endTokens: readonly number[]) => Monitor;

export const DEFAULT_MONITORS: readonly MonitorFactory[] = [(analysis, trie, endTokens) => new DereferenceMonitor(analysis, trie, endTokens)];
export const DEFAULT_MAX_TOKENS = 32;

/**
 * Monitor-guided code completion: the fill-in-the-middle prompt, the decoding loop, and the monitors
 * asking `analysis` (the TypeScript language service headless, VS Code's providers in the editor).
 * One engine per loaded model; requests may come one after another (the model runs one at a time).
 */
export class CompletionEngine {
  readonly trie: VocabularyTrie;

  constructor(readonly model: CompletionModel, private readonly analysis: StaticAnalysis, private readonly monitorFactories: readonly MonitorFactory[] = DEFAULT_MONITORS) {
    this.trie = new VocabularyTrie(model.tokenizer.tokenTexts);
  }

  async complete(request: CompletionRequest, signal?: AbortSignal): Promise<Completion> {
    const started = performance.now();
    const { tokenizer, config } = this.model;
    const maxTokens = Math.min(request.maxTokens ?? DEFAULT_MAX_TOKENS, config.contextTokens - 16);
    const promptIds = fimPromptIds(request, tokenizer, tokenizer.specials, { contextTokens: config.contextTokens, completionTokens: maxTokens, suffixShare: DEFAULT_SUFFIX_SHARE }, config.fimOrder);
    const endTokens = [tokenizer.specials.endOfText];
    const monitors = request.useMonitors === false ? [] : this.monitorFactories.map((create) => create(this.analysis, this.trie, endTokens));
    const decoded = await decodeCompletion(this.model, tokenizer, {
      fileName: request.fileName, prefix: request.prefix, suffix: request.suffix, syntax: request.syntax ?? syntaxOf(request.fileName), promptIds, maxTokens,
      stop: request.stop ?? 'line', monitors, sampling: request.sampling, signal,
    });
    return {
      text: decoded.text, tokens: decoded.tokens.length, stoppedBy: decoded.stoppedBy, monitorTriggered: decoded.monitorTriggered,
      events: decoded.events, latencyMs: performance.now() - started, analysisMs: decoded.analysisMs,
    };
  }
}
