import { createReadStream } from 'node:fs';
import { createInterface } from 'node:readline';
import { LanguageId, LANGUAGES } from '../parse/languages';

/** The fields of a units JSONL line (from `astrolabe units --jsonl` or the training corpus) the tokenizer reads. */
export interface UnitLine {
  /** The line's number, from 0, counting across all inputs in order. */
  readonly index: number;
  readonly language: LanguageId;
  readonly kind: string;
  readonly package: string;
  readonly text: string;
}

export interface LineProblems {
  /** Lines that are not JSON objects with a string `text` and `language`. */
  malformed: number;
  /** Lines in a language the tokenizer has no lexer for. */
  unknownLanguage: number;
}

const KNOWN = new Set<string>(LANGUAGES.map((language) => language.id));

/** Streams the units of JSONL files; `select` (by line index) skips lines before they are parsed. */
export async function* readUnitLines(files: readonly string[], problems: LineProblems, select: (index: number) => boolean = () => true): AsyncGenerator<UnitLine> {
  for await (const { index, value } of readJsonLines(files, problems, select, ['text'])) {
    yield {
      index,
      language: value.language as LanguageId,
      kind: typeof value.kind === 'string' ? value.kind : '',
      package: typeof value.package === 'string' ? value.package : '',
      text: value.text as string,
    };
  }
}

/** A ready-made (question, code) pair: `training/corpus/doc_pairs.py` writes them from documentation pages. */
export interface ExamplePairLine {
  /** The line's number, from 0, counting across all inputs in order. */
  readonly index: number;
  readonly language: LanguageId;
  readonly package: string;
  readonly query: string;
  readonly code: string;
}

/** Streams the pairs of JSONL files with string `query`, `code` and `language` fields. */
export async function* readExamplePairLines(files: readonly string[], problems: LineProblems): AsyncGenerator<ExamplePairLine> {
  for await (const { index, value } of readJsonLines(files, problems, () => true, ['query', 'code'])) {
    yield { index, language: value.language as LanguageId, package: typeof value.package === 'string' ? value.package : '', query: value.query as string, code: value.code as string };
  }
}

/** JSON object lines with a string `language` the tokenizer knows and string `fields`; others are counted as problems. */
async function* readJsonLines(files: readonly string[], problems: LineProblems, select: (index: number) => boolean, fields: readonly string[]): AsyncGenerator<{ index: number; value: Record<string, unknown> }> {
  let index = 0;
  for (const file of files) {
    const lines = createInterface({ input: createReadStream(file), crlfDelay: Infinity });
    for await (const line of lines) {
      const current = index++;
      if (line.trim() === '' || !select(current)) continue;
      let value: Record<string, unknown>;
      try {
        value = JSON.parse(line) as Record<string, unknown>;
      } catch {
        problems.malformed++;
        continue;
      }
      if (typeof value?.language !== 'string' || fields.some((field) => typeof value[field] !== 'string')) {
        problems.malformed++;
        continue;
      }
      if (!KNOWN.has(value.language)) {
        problems.unknownLanguage++;
        continue;
      }
      yield { index: current, value };
    }
  }
}

/** Counts the lines of JSONL files (for sampling), without parsing them. */
export async function countLines(files: readonly string[]): Promise<number> {
  let count = 0;
  for (const file of files) {
    let last = 10;
    for await (const chunk of createReadStream(file) as AsyncIterable<Buffer>) {
      for (let i = chunk.indexOf(10); i >= 0; i = chunk.indexOf(10, i + 1)) count++;
      if (chunk.length > 0) last = chunk[chunk.length - 1];
    }
    if (last !== 10) count++; // a last line without its newline
  }
  return count;
}

/**
 * `size` distinct line indexes out of `total`, chosen by a seeded generator (Floyd's algorithm): the same
 * inputs always give the same sample.
 */
export function sampleIndexes(total: number, size: number, seed = 1): Set<number> {
  const chosen = new Set<number>();
  if (size >= total) {
    for (let i = 0; i < total; i++) chosen.add(i);
    return chosen;
  }
  let state = seed >>> 0 || 1;
  const random = (bound: number) => {
    // xorshift32: small, fast, and the same on every platform.
    state ^= state << 13;
    state >>>= 0;
    state ^= state >>> 17;
    state ^= state << 5;
    state >>>= 0;
    return state % bound;
  };
  for (let j = total - size; j < total; j++) {
    const t = random(j + 1);
    chosen.add(chosen.has(t) ? j : t);
  }
  return chosen;
}
