import { readFileSync, writeFileSync } from 'node:fs';
import { LanguageId } from '../parse/languages';
import { CodeLexer, DEFAULT_LEXER_OPTIONS, LexerOptions, ParserSource } from './codeLexer';
import { CodeTokenizer } from './codeTokenizer';
import { BYTES_START, CONTINUATION, CONTINUATION_BYTES_START, LEARNED_START, SPECIAL_COUNT, Vocabulary } from './vocabulary';

export const TOKENIZER_FORMAT = 'astrolabe-tokenizer';
export const TOKENIZER_VERSION = 1;

/** What a tokenizer file holds (README.md in this folder describes it for the Python side). */
export interface TokenizerFile {
  readonly format: typeof TOKENIZER_FORMAT;
  readonly version: number;
  readonly model: 'wordpiece';
  readonly continuationPrefix: string;
  readonly lowercase: true;
  readonly lexer: LexerOptions;
  readonly specialTokens: Record<string, number>;
  readonly byteFallback: { readonly start: number; readonly continuationStart: number };
  readonly learnedStart: number;
  readonly vocabSize: number;
  /** Every token, specials and bytes included, in id order. */
  readonly vocab: readonly string[];
}

/** A loaded tokenizer file: the vocabulary and the lexer options it was trained with. */
export interface TokenizerSpec {
  readonly vocabulary: Vocabulary;
  readonly lexer: LexerOptions;
}

export function tokenizerToJson(spec: TokenizerSpec): TokenizerFile {
  const { tokens } = spec.vocabulary;
  const specialTokens: Record<string, number> = {};
  for (let id = 0; id < SPECIAL_COUNT; id++) if (!tokens[id].startsWith('[unused')) specialTokens[tokens[id]] = id;
  return {
    format: TOKENIZER_FORMAT,
    version: TOKENIZER_VERSION,
    model: 'wordpiece',
    continuationPrefix: CONTINUATION,
    lowercase: true,
    lexer: spec.lexer,
    specialTokens,
    byteFallback: { start: BYTES_START, continuationStart: CONTINUATION_BYTES_START },
    learnedStart: LEARNED_START,
    vocabSize: tokens.length,
    vocab: tokens,
  };
}

export function tokenizerFromJson(json: unknown): TokenizerSpec {
  const file = json as Partial<TokenizerFile>;
  if (file?.format !== TOKENIZER_FORMAT || file.version !== TOKENIZER_VERSION) {
    throw new TokenizerFileError(`not an ${TOKENIZER_FORMAT} file of version ${TOKENIZER_VERSION}`);
  }
  if (!Array.isArray(file.vocab) || file.learnedStart !== LEARNED_START) throw new TokenizerFileError('missing or misplaced vocabulary');
  const vocabulary = new Vocabulary(file.vocab.slice(LEARNED_START));
  for (let id = 0; id < LEARNED_START; id++) {
    if (vocabulary.tokens[id] !== file.vocab[id]) throw new TokenizerFileError(`fixed token ${id} is ${JSON.stringify(file.vocab[id])}, expected ${JSON.stringify(vocabulary.tokens[id])}`);
  }
  return { vocabulary, lexer: { ...DEFAULT_LEXER_OPTIONS, ...file.lexer } };
}

export function readTokenizerFile(path: string): TokenizerSpec {
  let json: unknown;
  try {
    json = JSON.parse(readFileSync(path, 'utf8'));
  } catch (error) {
    throw new TokenizerFileError(`cannot read tokenizer file ${path}`, { cause: error });
  }
  try {
    return tokenizerFromJson(json);
  } catch (error) {
    throw new TokenizerFileError(`${path}: ${error instanceof Error ? error.message : String(error)}`, { cause: error });
  }
}

/** A tokenizer for `languages` from a tokenizer file; it owns its parsers: `dispose()` it. */
export async function loadCodeTokenizer(path: string, parsers: ParserSource, languages: readonly LanguageId[]): Promise<CodeTokenizer> {
  const spec = readTokenizerFile(path);
  return new CodeTokenizer(spec.vocabulary, await CodeLexer.create(parsers, languages, spec.lexer));
}

export function writeTokenizerFile(path: string, spec: TokenizerSpec): void {
  writeFileSync(path, `${JSON.stringify(tokenizerToJson(spec), null, 1)}\n`);
}

export class TokenizerFileError extends Error {
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'TokenizerFileError';
  }
}
