import { CompletionSpecialTokens } from './completionTokenizer';

/** What a prompt is built from: the text before the cursor and after it. */
export interface CursorText {
  readonly prefix: string;
  readonly suffix: string;
}

export interface PromptBudget {
  /** Tokens the prompt and the completion share (the model's trained context). */
  readonly contextTokens: number;
  /** Tokens kept free for the completion. */
  readonly completionTokens: number;
  /** Share of the prompt given to the suffix, at most (the prefix matters more). */
  readonly suffixShare: number;
}

export const DEFAULT_SUFFIX_SHARE = 0.25;

/**
 * How a model was trained to read a fill-in-the-middle prompt (its config's `fimOrder`; training/lm_data.py):
 * `spm` `<fim_suffix> suffix <fim_prefix> prefix` then the middle, continuing the prefix directly;
 * `psm` `<fim_prefix> prefix <fim_suffix> suffix <fim_middle>` then the middle (the first models').
 */
export type FimOrder = 'spm' | 'psm';

interface Encoder {
  encode(text: string): number[];
}

/**
 * The fill-in-the-middle prompt, as the model was trained (`order`); the model then writes the middle.
 * The prefix keeps its end and the suffix its start; characters are cut before encoding so a huge file
 * costs no more than its window (about 4 characters a token at most, checked after encoding).
 */
export function fimPromptIds(text: CursorText, tokenizer: Encoder, specials: CompletionSpecialTokens, budget: PromptBudget, order: FimOrder): number[] {
  const available = Math.max(8, budget.contextTokens - budget.completionTokens - 3);
  const suffixBudget = Math.floor(available * budget.suffixShare);
  let suffix = tokenizer.encode(text.suffix.slice(0, suffixBudget * 6));
  if (suffix.length > suffixBudget) suffix = suffix.slice(0, suffixBudget);
  const prefixBudget = available - suffix.length;
  // Cut the prefix at a line start so its first token is one the model has seen begin a line.
  let window = text.prefix.slice(Math.max(0, text.prefix.length - prefixBudget * 6));
  let prefix = tokenizer.encode(window);
  while (prefix.length > prefixBudget) {
    const cut = window.indexOf('\n', Math.max(1, Math.floor(window.length * (1 - prefixBudget / prefix.length)) ));
    window = cut < 0 ? window.slice(window.length - prefixBudget * 2) : window.slice(cut + 1);
    prefix = tokenizer.encode(window);
    if (cut < 0 && prefix.length > prefixBudget) prefix = prefix.slice(prefix.length - prefixBudget);
  }
  return order === 'spm'
    ? [specials.fimSuffix, ...suffix, specials.fimPrefix, ...prefix]
    : [specials.fimPrefix, ...prefix, specials.fimSuffix, ...suffix, specials.fimMiddle];
}
