import { CodeSyntax } from './codeSyntax';
import { TokenMask } from './vocabularyTrie';

/** The text around the cursor while decoding: the prompt's prefix, what was generated, the suffix. */
export interface DecodingText {
  readonly fileName: string;
  readonly prefix: string;
  readonly generated: string;
  readonly suffix: string;
  readonly syntax: CodeSyntax;
}

/** One constraint a monitor applied, kept so the editor can show why a suggestion was constrained. */
export interface MonitorEvent {
  readonly monitor: string;
  /** Offset in the generated text where the constraint began. */
  readonly at: number;
  /** What the monitor asked and what it learned, in words. */
  readonly reason: string;
  /** The legal strings it allowed (capped for display). */
  readonly legal: readonly string[];
}

/**
 * A monitor of monitor-guided decoding (Agrawal et al., NeurIPS 2023): a state machine run beside
 * the decoder. After each token, `pre` says whether the text has reached a trigger point; if so the
 * decoder awaits `analyze` (a_phi: ask static analysis, move to the constraining state); while the
 * monitor constrains, `maskgen` gives the tokens allowed next; `update` takes each accepted token's
 * text and moves the state on (back to idle when the constrained span is done). One instance serves
 * one completion.
 */
export interface Monitor {
  readonly name: string;
  pre(text: DecodingText): boolean;
  analyze(text: DecodingText, signal?: AbortSignal): Promise<void>;
  /** Allowed tokens for the next step, or undefined when not constraining. */
  maskgen(): TokenMask | undefined;
  update(tokenText: string): void;
  readonly events: readonly MonitorEvent[];
}
