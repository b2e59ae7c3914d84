// The tokenizer's command line for the training side (bundled to dist/tokenizer.js):
//   train   learn a vocabulary from units JSONL files and write a tokenizer file
//   shards  tokenize units JSONL into a binary shard that Python memory-maps
//   pairs   mine (documentation, code) and (code, rewritten code) pairs and write aligned query and code shards
//   traces  turn traced executions (training/traces/) into code+input shards with aligned coverage and value labels
//   encode  show how a file or a query is tokenized (for debugging)
import { Command } from 'commander';
import { nonNegativeInt, positiveInt, runCommandLine, UsageError } from './commandLine';
import { createHash } from 'node:crypto';
import { createReadStream, mkdirSync, readFileSync } from 'node:fs';
import { basename, dirname, join } from 'node:path';
import { createInterface } from 'node:readline';
import type { Parser } from 'web-tree-sitter';
import { rewriteCode } from '../core/parse/codeRewrites';
import { seededRandom } from '../core/seededRandom';
import { unitDocumentation } from '../core/parse/docComments';
import { documentationPairs, searchStyle } from '../core/parse/documentationPairs';
import { findGrammarsDir } from '../core/parse/grammarsDir';
import { LANGUAGES, LanguageId, languageForPath } from '../core/parse/languages';
import { TreeSitterRuntime } from '../core/parse/treeSitterRuntime';
import { CodeLexer, DEFAULT_LEXER_OPTIONS, LexerOptions } from '../core/tokenize/codeLexer';
import { CodeTokenizer } from '../core/tokenize/codeTokenizer';
import { NameTable, ShardWriter } from '../core/tokenize/shardWriter';
import { readTokenizerFile, writeTokenizerFile } from '../core/tokenize/tokenizerFile';
import { countLines, LineProblems, readExamplePairLines, readUnitLines, sampleIndexes } from '../core/tokenize/unitLines';
import { LANGUAGE_TAGS } from '../core/tokenize/vocabulary';
import { encodeTracedExecution, TracedValue } from '../core/tokenize/traceLabels';
import { DEFAULT_TRAIN_OPTIONS, PieceCounter, trainVocabulary } from '../core/tokenize/vocabularyTrainer';

const ALL_LANGUAGES = LANGUAGES.map((language) => language.id);
const KINDS = ['function', 'method', 'class', 'interface', 'enum', 'struct', 'trait', 'impl', 'toplevel'];

const program = new Command().name('astrolabe-tokenizer').description("Astrolabe's code tokenizer: train a vocabulary, write token shards.").showHelpAfterError();

program
  .command('train')
  .description('learn a WordPiece vocabulary from code units and write the tokenizer file')
  .requiredOption('--units <jsonl...>', 'units JSONL files (lines with "language" and "text")')
  .requiredOption('--out <file>', 'tokenizer file to write')
  .option('--vocab-size <n>', 'vocabulary size, special and byte tokens included', positiveInt, DEFAULT_TRAIN_OPTIONS.vocabSize)
  .option('--sample <n>', 'train on this many units drawn at random (seeded) instead of all', positiveInt)
  .option('--seed <n>', 'seed of the sample', positiveInt, 1)
  .option('--min-frequency <n>', 'least count of a merged pair', positiveInt, DEFAULT_TRAIN_OPTIONS.minFrequency)
  .option('--max-string-words <n>', 'words kept from a string literal', positiveInt, DEFAULT_LEXER_OPTIONS.maxStringWords)
  .option('--max-comment-words <n>', 'words kept from a comment or docstring', positiveInt, DEFAULT_LEXER_OPTIONS.maxCommentWords)
  .action(async (flags: { units: string[]; out: string; vocabSize: number; sample?: number; seed: number; minFrequency: number; maxStringWords: number; maxCommentWords: number }) => {
    const started = performance.now();
    let select: ((index: number) => boolean) | undefined;
    if (flags.sample !== undefined) {
      const chosen = sampleIndexes(await countLines(flags.units), flags.sample, flags.seed);
      select = (index) => chosen.has(index);
    }
    const lexerOptions: LexerOptions = { maxStringWords: flags.maxStringWords, maxCommentWords: flags.maxCommentWords };
    const lexer = await createLexer(lexerOptions);
    const counter = new PieceCounter();
    const problems: LineProblems = { malformed: 0, unknownLanguage: 0 };
    let units = 0;
    let lexemes = 0;
    try {
      for await (const unit of readUnitLines(flags.units, problems, select)) {
        const unitLexemes = lexer.lex(unit.text, unit.language);
        counter.addLexemes(unitLexemes);
        lexemes += unitLexemes.length;
        if (++units % 20000 === 0) progress(`lexed ${units} units`);
      }
    } finally {
      lexer.dispose();
    }
    const lexed = performance.now();
    const vocabulary = trainVocabulary(counter, { ...DEFAULT_TRAIN_OPTIONS, vocabSize: flags.vocabSize, minFrequency: flags.minFrequency });
    const trained = performance.now();
    mkdirSync(dirname(flags.out), { recursive: true });
    writeTokenizerFile(flags.out, { vocabulary, lexer: lexerOptions });
    progress(`${units} units, ${lexemes} lexemes, ${counter.counts.size} distinct pieces; lexing ${seconds(lexed - started)}, ` +
      `training ${seconds(trained - lexed)}; vocabulary of ${vocabulary.size} tokens written to ${flags.out}${problemText(problems)}`);
  });

program
  .command('shards')
  .description('tokenize code units into <out>.bin (uint16 token ids), <out>.idx (records) and <out>.json')
  .requiredOption('--units <jsonl...>', 'units JSONL files')
  .requiredOption('--tokenizer <file>', 'tokenizer file (from train)')
  .requiredOption('--out <prefix>', 'output path without extension, e.g. shards/train-000')
  .option('--max-tokens <n>', 'tokens per sequence, [CLS] and [SEP] included', positiveInt, 256)
  .option('--drop-comments', 'leave comments and docstrings out of the code')
  .action(async (flags: { units: string[]; tokenizer: string; out: string; maxTokens: number; dropComments?: boolean }) => {
    const started = performance.now();
    const { spec, lexer, tokenizer } = await openTokenizer(flags.tokenizer, flags.out);
    const writer = new ShardWriter(flags.out);
    const problems: LineProblems = { malformed: 0, unknownLanguage: 0 };
    const kinds = new NameTable(KINDS);
    const packages = new NameTable();
    let truncated = 0;
    try {
      for await (const unit of readUnitLines(flags.units, problems)) {
        const { ids, lexemes } = tokenizer.encodeUnit(unit.text, unit.language, flags.maxTokens, { dropComments: flags.dropComments });
        if (ids.length === flags.maxTokens && lexemes.length > 0) truncated++;
        writer.add(ids, { unit: unit.index, package: packages.id(unit.package), language: LANGUAGE_TAGS.indexOf(unit.language), kind: kinds.id(unit.kind) });
        if (writer.sequences % 20000 === 0) progress(`${writer.sequences} units`);
      }
    } finally {
      lexer.dispose();
      writer.close({
        tokenizer: { file: basename(flags.tokenizer), sha256: sha256(flags.tokenizer), vocabSize: spec.vocabulary.size },
        maxTokens: flags.maxTokens,
        dropComments: flags.dropComments === true,
        sources: flags.units.map((file) => basename(file)),
        languages: LANGUAGE_TAGS,
        kinds: kinds.names,
        packages: packages.names,
        skipped: problems,
        truncated,
      });
    }
    const elapsed = (performance.now() - started) / 1000;
    progress(`${writer.sequences} sequences, ${writer.totalTokens} tokens (${truncated} reached ${flags.maxTokens}) in ${elapsed.toFixed(1)} s: ` +
      `${Math.round(writer.sequences / elapsed)} units/s, ${Math.round(writer.totalTokens / elapsed)} tokens/s; wrote ${flags.out}.{bin,idx,json}${problemText(problems)}`);
  });

program
  .command('pairs')
  .description('mine (documentation, code) and (code, rewritten code) pairs from units; write aligned shards <out>.query.* and <out>.code.*')
  .requiredOption('--units <jsonl...>', 'units JSONL files')
  .option('--example-pairs <jsonl...>', 'ready-made (question, code) pairs from documentation pages (training/corpus/doc_pairs.py), added after the mined ones')
  .requiredOption('--tokenizer <file>', 'tokenizer file (from train)')
  .requiredOption('--out <prefix>', 'output path without extension, e.g. pairs/train')
  .option('--max-query-tokens <n>', 'tokens per documentation query, [CLS] and [SEP] included', positiveInt, 64)
  .option('--max-tokens <n>', 'tokens per code sequence, [CLS] and [SEP] included', positiveInt, 256)
  .option('--rewrite-share <fraction>', 'share of functions and methods that also give a (code, rewritten code) pair', fraction, 0)
  .action(async (flags: { units: string[]; examplePairs?: string[]; tokenizer: string; out: string; maxQueryTokens: number; maxTokens: number; rewriteShare: number }) => {
    const started = performance.now();
    const { spec, lexer, tokenizer } = await openTokenizer(flags.tokenizer, flags.out);
    const runtime = await TreeSitterRuntime.create(findGrammarsDir(__dirname));
    const parsers = new Map<LanguageId, Parser>();
    const queries = new ShardWriter(`${flags.out}.query`);
    const codes = new ShardWriter(`${flags.out}.code`);
    const problems: LineProblems = { malformed: 0, unknownLanguage: 0 };
    const packages = new NameTable();
    const seen = new Set<string>();
    let units = 0;
    let duplicates = 0;
    let rewrites = 0;
    let examples = 0;
    const pairKey = (query: string, code: string): string => createHash('sha256').update(query).update('\0').update(code).digest('hex');
    /** Writes the pair unless one with the same key was written; whether it was. */
    const add = (query: Int32Array, code: Int32Array, key: string, info: { unit: number; package: number; language: number; kind: number }): boolean => {
      if (seen.has(key)) { duplicates++; return false; }
      seen.add(key);
      queries.add(query, info);
      codes.add(code, info);
      return true;
    };
    try {
      for await (const unit of readUnitLines(flags.units, problems)) {
        units++;
        // Both sides record the unit's line, so a pair can be traced back to its source; kind 1 marks a rewrite pair.
        const info = { unit: unit.index, package: packages.id(unit.package), language: LANGUAGE_TAGS.indexOf(unit.language), kind: 0 };
        for (const pair of documentationPairs(unit.text, unit.language, unit.kind)) {
          add(tokenizer.encodeText(pair.query, flags.maxQueryTokens).ids, tokenizer.encodeUnit(pair.code, unit.language, flags.maxTokens).ids, pairKey(pair.query, pair.code), info);
        }
        const digest = createHash('sha256').update(unit.text).digest();
        if ((unit.kind === 'function' || unit.kind === 'method') && digest.readUInt32BE(0) / 2 ** 32 < flags.rewriteShare) {
          // Documentation removed from both sides: identical comments would make the pair trivial.
          const code = unitDocumentation(unit.text, unit.language)?.code ?? unit.text;
          let parser = parsers.get(unit.language);
          if (!parser) parsers.set(unit.language, (parser = await runtime.createParser(unit.language)));
          const rewrite = code.split('\n').length >= 3 ? rewriteCode(parser, code, unit.language, seededRandom(digest.readUInt32BE(4))) : undefined;
          if (rewrite && add(tokenizer.encodeUnit(code, unit.language, flags.maxTokens).ids, tokenizer.encodeUnit(rewrite.code, unit.language, flags.maxTokens).ids,
            `rewrite\0${digest.toString('hex')}`, { ...info, kind: 1 })) rewrites++;
        }
        if (units % 20000 === 0) progress(`${units} units, ${queries.sequences} pairs (${rewrites} rewrites)`);
      }
      // Kind 2: the pair's "unit" is its line in the example files. Each question also goes in search style, as mined summaries do.
      for await (const example of readExamplePairLines(flags.examplePairs ?? [], problems)) {
        const info = { unit: example.index, package: packages.id(example.package), language: LANGUAGE_TAGS.indexOf(example.language), kind: 2 };
        const code = tokenizer.encodeUnit(example.code, example.language, flags.maxTokens).ids;
        for (const query of new Set([example.query, searchStyle(example.query, example.language)])) {
          if (add(tokenizer.encodeText(query, flags.maxQueryTokens).ids, code, pairKey(query, example.code), info)) examples++;
        }
      }
    } finally {
      lexer.dispose();
      for (const parser of parsers.values()) parser.delete();
      const metadata = {
        tokenizer: { file: basename(flags.tokenizer), sha256: sha256(flags.tokenizer), vocabSize: spec.vocabulary.size },
        sources: flags.units.map((file) => basename(file)),
        languages: LANGUAGE_TAGS,
        kinds: ['documentation', 'rewrite', 'example'],
        packages: packages.names,
        rewriteShare: flags.rewriteShare,
        skipped: problems,
      };
      queries.close({ ...metadata, side: 'query', maxTokens: flags.rewriteShare > 0 ? Math.max(flags.maxQueryTokens, flags.maxTokens) : flags.maxQueryTokens });
      codes.close({ ...metadata, side: 'code', maxTokens: flags.maxTokens });
    }
    const elapsed = (performance.now() - started) / 1000;
    progress(`${units} units gave ${queries.sequences - examples} pairs, ${rewrites} of them rewrites; ${examples} example pairs added (${duplicates} duplicates skipped) in ${elapsed.toFixed(1)} s; ` +
      `wrote ${flags.out}.{query,code}.{bin,idx,json}${problemText(problems)}`);
  });

interface TraceRecord {
  language: string;
  package: string;
  split: string;
  source: string;
  input: string;
  status: string;
  executed?: number[];
  values?: TracedValue[];
}

program
  .command('traces')
  .description('turn traced executions into <out>/{train,valid}.{ids,coverage,values} shards: code then input, with line-coverage and value-category labels')
  .requiredOption('--traces <jsonl...>', 'traces JSONL files (training/traces/collect.py)')
  .requiredOption('--tokenizer <file>', 'tokenizer file (from train)')
  .requiredOption('--out <dir>', 'output folder')
  .option('--categories <file>', 'value-category vocabulary', join(__dirname, '..', 'training', 'traces', 'categories.json'))
  .option('--max-tokens <n>', 'tokens per sequence, [CLS] and [SEP] included', positiveInt, 256)
  .option('--max-input-tokens <n>', 'tokens of the input at most', positiveInt, 48)
  .option('--valid-buckets <n>', 'also hold out the packages whose name hashes to bucket 0 of n (0: only the corpus\'s validation packages)', nonNegativeInt, 0)
  .action(async (flags: { traces: string[]; tokenizer: string; out: string; categories: string; maxTokens: number; maxInputTokens: number; validBuckets: number }) => {
    const started = performance.now();
    const vocabularies = JSON.parse(readFileSync(flags.categories, 'utf8')) as { categories: string[] };
    if (!Array.isArray(vocabularies.categories)) throw new UsageError(`${flags.categories}: no "categories" list`);
    const { spec, lexer, tokenizer } = await openTokenizer(flags.tokenizer, join(flags.out, 'x'));
    const writers = new Map<string, { ids: ShardWriter; coverage: ShardWriter; values: ShardWriter }>();
    const packages = new NameTable();
    const counts = { records: 0, used: 0, notRun: 0, duplicates: 0, malformed: 0, unknownLanguage: 0, labelledLines: 0, executedLines: 0, labelledValues: 0, tokens: 0 };
    const seen = new Set<string>();
    try {
      for (const file of flags.traces) {
        const lines = createInterface({ input: createReadStream(file, 'utf8'), crlfDelay: Infinity });
        let lineNumber = 0;
        for await (const line of lines) {
          lineNumber++;
          if (!line.trim()) continue;
          counts.records++;
          let record: TraceRecord;
          try {
            record = JSON.parse(line) as TraceRecord;
          } catch {
            counts.malformed++;
            continue;
          }
          if (!ALL_LANGUAGES.includes(record.language as LanguageId)) { counts.unknownLanguage++; continue; }
          // Timeouts, crashes and blocked runs are counted by the collector; only finished runs teach anything.
          if ((record.status !== 'ok' && record.status !== 'exception') || !record.executed?.length || typeof record.source !== 'string') { counts.notRun++; continue; }
          const key = createHash('sha256').update(record.source).update('\0').update(record.input ?? '').update('\0').update(JSON.stringify(record.executed)).digest('hex');
          if (seen.has(key)) { counts.duplicates++; continue; }
          seen.add(key);
          const split = record.split === 'valid' || heldOutPackage(record.package, flags.validBuckets) ? 'valid' : 'train';
          let writer = writers.get(split);
          if (!writer) {
            const prefix = join(flags.out, split);
            writers.set(split, (writer = { ids: new ShardWriter(`${prefix}.ids`), coverage: new ShardWriter(`${prefix}.coverage`), values: new ShardWriter(`${prefix}.values`) }));
          }
          const sequence = encodeTracedExecution(tokenizer, {
            language: record.language as LanguageId, source: record.source, input: record.input ?? '', executed: record.executed, values: record.values ?? [],
          }, vocabularies.categories, { maxTokens: flags.maxTokens, maxInputTokens: flags.maxInputTokens });
          // unit: the record's line in its file, kind: 1 when the function raised.
          const info = { unit: lineNumber, package: packages.id(record.package), language: LANGUAGE_TAGS.indexOf(record.language as LanguageId), kind: record.status === 'exception' ? 1 : 0 };
          writer.ids.add(sequence.ids, info);
          writer.coverage.add(sequence.coverage, info);
          writer.values.add(sequence.values, info);
          counts.used++;
          counts.labelledLines += sequence.labelledLines;
          counts.executedLines += sequence.executedLines;
          counts.labelledValues += sequence.labelledValues;
          counts.tokens += sequence.ids.length;
          if (counts.used % 5000 === 0) progress(`${counts.used} executions`);
        }
      }
    } finally {
      lexer.dispose();
      const metadata = {
        tokenizer: { file: basename(flags.tokenizer), sha256: sha256(flags.tokenizer), vocabSize: spec.vocabulary.size },
        sources: flags.traces.map((file) => basename(file)),
        languages: LANGUAGE_TAGS,
        kinds: ['returned', 'raised'],
        packages: packages.names,
        categories: vocabularies.categories,
        maxTokens: flags.maxTokens,
        maxInputTokens: flags.maxInputTokens,
      };
      for (const [split, writer] of writers) {
        writer.ids.close({ ...metadata, split, labels: 'token ids' });
        writer.coverage.close({ ...metadata, split, labels: 'line coverage: 0 none, 1 not executed, 2 executed' });
        writer.values.close({ ...metadata, split, labels: 'value category: 0 none, else 1 + index in categories' });
      }
    }
    const elapsed = (performance.now() - started) / 1000;
    progress(`${counts.records} records: ${counts.used} executions encoded (${counts.tokens} tokens, ${counts.labelledLines} lines labelled, ${counts.executedLines} of them executed, ` +
      `${counts.labelledValues} values), ${counts.notRun} not run to the end, ${counts.duplicates} duplicates, ${counts.malformed} malformed, ${counts.unknownLanguage} in unknown languages, in ${elapsed.toFixed(1)} s; ` +
      `wrote ${[...writers.keys()].map((split) => join(flags.out, `${split}.{ids,coverage,values}`)).join(', ')}`);
  });

program
  .command('encode')
  .description('print the tokens of a source file (its language from the extension) or of a query')
  .requiredOption('--tokenizer <file>', 'tokenizer file')
  .option('--file <path>', 'a source file')
  .option('--text <query>', 'natural-language text')
  .option('--max-tokens <n>', 'tokens at most', positiveInt, 512)
  .action(async (flags: { tokenizer: string; file?: string; text?: string; maxTokens: number }) => {
    if ((flags.file === undefined) === (flags.text === undefined)) throw new UsageError('give exactly one of --file and --text');
    const spec = readTokenizerFile(flags.tokenizer);
    if (flags.text !== undefined) {
      const tokenizer = new CodeTokenizer(spec.vocabulary);
      print(tokenizer, tokenizer.encodeText(flags.text, flags.maxTokens).ids);
      return;
    }
    const language = languageForPath(flags.file!)?.id;
    if (!language) throw new UsageError(`${flags.file}: not a language Astrolabe parses`);
    const lexer = await createLexer(spec.lexer, [language]);
    try {
      const tokenizer = new CodeTokenizer(spec.vocabulary, lexer);
      print(tokenizer, tokenizer.encodeUnit(readFileSync(flags.file!, 'utf8'), language, flags.maxTokens).ids);
    } finally {
      lexer.dispose();
    }
  });

function print(tokenizer: CodeTokenizer, ids: Int32Array): void {
  process.stdout.write(`${ids.length} tokens\n${[...ids].map((id) => tokenizer.vocabulary.tokens[id]).join(' ')}\n`);
}

/** The tokenizer file's vocabulary with a lexer for every language, and the output's folder made. */
async function openTokenizer(path: string, out: string): Promise<{ spec: ReturnType<typeof readTokenizerFile>; lexer: CodeLexer; tokenizer: CodeTokenizer }> {
  const spec = readTokenizerFile(path);
  const lexer = await createLexer(spec.lexer);
  mkdirSync(dirname(out), { recursive: true });
  return { spec, lexer, tokenizer: new CodeTokenizer(spec.vocabulary, lexer) };
}

async function createLexer(options: LexerOptions, languages: readonly LanguageId[] = ALL_LANGUAGES): Promise<CodeLexer> {
  const runtime = await TreeSitterRuntime.create(findGrammarsDir(__dirname));
  return CodeLexer.create(runtime, languages, options);
}

function fraction(value: string): number {
  const number = Number(value);
  if (!Number.isFinite(number) || number < 0 || number > 1) throw new UsageError(`expected a fraction from 0 to 1, got "${value}"`);
  return number;
}

/** Whether a package is held out by name hash: bucket 0 of `buckets` (none when `buckets` is 0). */
function heldOutPackage(name: string, buckets: number): boolean {
  return buckets > 0 && createHash('sha256').update(name).digest().readUInt32BE(0) % buckets === 0;
}

function sha256(file: string): string {
  return createHash('sha256').update(readFileSync(file)).digest('hex');
}

function problemText(problems: LineProblems): string {
  return problems.malformed + problems.unknownLanguage > 0 ? ` (skipped ${problems.malformed} malformed lines, ${problems.unknownLanguage} in unknown languages)` : '';
}

function progress(line: string): void {
  process.stderr.write(`${line}\n`);
}

function seconds(ms: number): string {
  return `${(ms / 1000).toFixed(1)} s`;
}



runCommandLine(program, 'astrolabe-tokenizer');
