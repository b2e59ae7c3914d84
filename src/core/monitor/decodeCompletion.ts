import { CodeSyntax } from './codeSyntax';
import { NextTokenModel } from './completionModel';
import { Monitor, MonitorEvent } from './monitor';
import { StopRule, stopLength } from './stopRules';
import { chooseToken, intersectMasks, Sampling } from './tokenChoice';

export type StopReason = 'stop-rule' | 'end-of-text' | 'token-budget' | 'cancelled';

export interface DecodingRequest {
  readonly fileName: string;
  readonly prefix: string;
  readonly suffix: string;
  readonly syntax: CodeSyntax;
  readonly promptIds: readonly number[];
  readonly maxTokens: number;
  readonly stop: StopRule;
  readonly monitors: readonly Monitor[];
  readonly sampling?: Sampling;
  readonly signal?: AbortSignal;
}

export interface DecodedCompletion {
  readonly text: string;
  readonly tokens: readonly number[];
  readonly stoppedBy: StopReason;
  /** Whether any monitor reached its trigger point (and asked static analysis). */
  readonly monitorTriggered: boolean;
  readonly events: readonly MonitorEvent[];
  /** Time spent waiting for static analysis (a_phi), in milliseconds. */
  readonly analysisMs: number;
}

/** What decoding needs from the tokenizer: ids to text, and which id ends the text. */
export interface TokenText {
  decode(ids: readonly number[]): string;
  readonly specials: { readonly endOfText: number };
}

/**
 * The decoding loop of monitor-guided decoding: one model step per token (key/value cache), each
 * monitor consulted before every choice, stop rules applied to the text, cancellation checked
 * between steps (a cancelled completion returns what it has, marked `cancelled`).
 */
export async function decodeCompletion(model: NextTokenModel, tokenizer: TokenText, request: DecodingRequest): Promise<DecodedCompletion> {
  const { monitors, signal } = request;
  const tokens: number[] = [];
  let text = '';
  let triggered = false;
  let stoppedBy: StopReason = 'token-budget';
  let analysisMs = 0;
  const stopContext = { syntax: request.syntax, cursorLine: request.prefix.slice(request.prefix.lastIndexOf('\n') + 1) };
  const events = (): MonitorEvent[] => monitors.flatMap((monitor) => monitor.events);
  if (signal?.aborted) return { text, tokens, stoppedBy: 'cancelled', monitorTriggered: false, events: [], analysisMs };
  /** pre, then a_phi where it fires: before every token. */
  const consultMonitors = async (): Promise<void> => {
    const state = { fileName: request.fileName, prefix: request.prefix, generated: text, suffix: request.suffix, syntax: request.syntax };
    for (const monitor of monitors) {
      if (!monitor.pre(state)) continue;
      triggered = true;
      const started = performance.now();
      await monitor.analyze(state, signal);
      analysisMs += performance.now() - started;
    }
  };
  // The prompt's own trigger (it usually ends in `.`) is analysed while onnxruntime runs the prompt on its threads.
  const [stream] = await Promise.all([model.start(request.promptIds), consultMonitors()]);
  let logits = stream.logits;
  for (let step = 0; step < request.maxTokens; step++) {
    if (step > 0) await consultMonitors();
    if (signal?.aborted) {
      stoppedBy = 'cancelled';
      break;
    }
    const token = chooseToken(logits, intersectMasks(monitors.map((monitor) => monitor.maskgen())), request.sampling);
    if (token === tokenizer.specials.endOfText) {
      stoppedBy = 'end-of-text';
      break;
    }
    tokens.push(token);
    const next = tokenizer.decode(tokens);
    const tokenText = next.startsWith(text) ? next.slice(text.length) : next;
    text = next;
    for (const monitor of monitors) monitor.update(tokenText);
    const keep = stopLength(text, request.stop, stopContext);
    if (keep !== undefined) {
      text = text.slice(0, keep);
      stoppedBy = 'stop-rule';
      break;
    }
    if (step + 1 < request.maxTokens) logits = await stream.append(token);
  }
  return { text, tokens, stoppedBy, monitorTriggered: triggered, events: events(), analysisMs };
}
