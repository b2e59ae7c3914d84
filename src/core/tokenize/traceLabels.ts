import { LanguageId } from '../parse/languages';
import { CodeTokenizer } from './codeTokenizer';
import { isLayout, Lexeme } from './lexeme';

/**
 * TRACED-style training labels (issue 8): one execution of a function becomes a token sequence, the
 * function's code then the concrete input (`[CLS] <lang> code... <text> input... [SEP]`), with two label
 * sequences aligned to it. Training only: the extension never runs workspace code.
 */

/** One variable's value after a line ran, as recorded by the tracers (training/traces/). */
export interface TracedValue {
  /** 0-based line offset in the function's source. */
  readonly line: number;
  readonly name: string;
  readonly category: string;
}

export interface TracedExecution {
  readonly language: LanguageId;
  /** The function's source text exactly as in its file. */
  readonly source: string;
  /** The code that called it (a doctest example, a JSDoc example). */
  readonly input: string;
  /** 0-based line offsets that ran. */
  readonly executed: readonly number[];
  readonly values: readonly TracedValue[];
}

/** Label 0 means "no label here"; the loss skips it. */
export const NO_LABEL = 0;
export const LINE_NOT_EXECUTED = 1;
export const LINE_EXECUTED = 2;

export interface TraceSequence {
  readonly ids: Int32Array;
  /** At the first token of each code line that holds more than punctuation (the signature line excepted): executed or not. */
  readonly coverage: Uint16Array;
  /** At the first token of each occurrence of a traced variable on its line: 1 + the category's index. */
  readonly values: Uint16Array;
  /** Lines labelled, and how many of them ran. */
  readonly labelledLines: number;
  readonly executedLines: number;
  readonly labelledValues: number;
}

export interface TraceBudget {
  /** Tokens of the whole sequence, [CLS] and [SEP] included. */
  readonly maxTokens: number;
  /** Tokens the input may take, its <text> tag and the final [SEP] included. */
  readonly maxInputTokens: number;
}

/**
 * Encodes an execution with its labels. `categories` is the value-category vocabulary
 * (training/traces/categories.json); a value of another category is left unlabelled.
 */
export function encodeTracedExecution(tokenizer: CodeTokenizer, execution: TracedExecution, categories: readonly string[], budget: TraceBudget): TraceSequence {
  // The input's encoding is [CLS] <text> words... [SEP]; its [CLS] is dropped, the <text> tag separates it from the code.
  const input = tokenizer.encodeText(execution.input, Math.max(3, budget.maxInputTokens + 1)).ids.subarray(1);
  const code = tokenizer.encodeUnit(execution.source, execution.language, Math.max(3, budget.maxTokens - input.length + 1));
  // The code's [SEP] gives way to the input, which ends with its own.
  const codeIds = code.ids.subarray(0, code.ids.length - 1);
  const length = codeIds.length + input.length;
  const ids = new Int32Array(length);
  ids.set(codeIds, 0);
  ids.set(input, codeIds.length);
  const coverage = new Uint16Array(length);
  const values = new Uint16Array(length);

  const lineOf = lineFinder(execution.source);
  const executed = new Set(execution.executed);
  const categoryIndex = new Map(categories.map((category, index) => [category, index]));
  const valueAt = new Map<string, number>();
  for (const value of execution.values) {
    const index = categoryIndex.get(value.category);
    if (index !== undefined) valueAt.set(`${value.line}\0${value.name}`, 1 + index);
  }

  // The first token of each lexeme, and each line's lexemes, so a line is labelled only when it holds more than punctuation.
  const firstToken = new Map<number, number>();
  for (let token = 0; token < codeIds.length; token++) {
    const lexeme = code.lexemeIndex[token];
    if (lexeme >= 0 && !firstToken.has(lexeme)) firstToken.set(lexeme, token);
  }
  const lines = new Map<number, { first: number; substantive: boolean }>();
  let labelledValues = 0;
  for (const [lexemeIndex, token] of firstToken) {
    const lexeme: Lexeme = code.lexemes[lexemeIndex];
    if (isLayout(lexeme.kind) || lexeme.kind === 'comment' || lexeme.kind === 'docstring') continue;
    const line = lineOf(lexeme.start);
    const seen = lines.get(line);
    const substantive = lexeme.kind !== 'punctuation';
    if (!seen) lines.set(line, { first: token, substantive });
    else if (substantive) seen.substantive = true;
    if (lexeme.kind === 'identifier') {
      const label = valueAt.get(`${line}\0${lexeme.text}`);
      if (label !== undefined) {
        values[token] = label;
        labelledValues++;
      }
    }
  }
  let labelledLines = 0;
  let executedLines = 0;
  for (const [line, { first, substantive }] of lines) {
    // Line 0 is the signature: tracers never report it, so labelling it would teach nothing.
    if (line === 0 || !substantive) continue;
    const ran = executed.has(line);
    coverage[first] = ran ? LINE_EXECUTED : LINE_NOT_EXECUTED;
    labelledLines++;
    if (ran) executedLines++;
  }
  return { ids, coverage, values, labelledLines, executedLines, labelledValues };
}

/** 0-based line of a UTF-16 offset in `text`. */
function lineFinder(text: string): (offset: number) => number {
  const starts = [0];
  for (let i = text.indexOf('\n'); i >= 0; i = text.indexOf('\n', i + 1)) starts.push(i + 1);
  return (offset) => {
    let low = 0;
    let high = starts.length - 1;
    while (low < high) {
      const middle = (low + high + 1) >> 1;
      if (starts[middle] <= offset) low = middle;
      else high = middle - 1;
    }
    return low;
  };
}
