import { promises as fs } from 'node:fs';
import { CodeUnit } from '../parse/codeUnit';
import { CodeUnitExtractor } from '../parse/codeUnitExtractor';
import { LANGUAGES, LanguageId } from '../parse/languages';
import { TreeSitterRuntime } from '../parse/treeSitterRuntime';
import { emptyReport, recordParsed, recordSkip, ScanReport } from '../scan/scanReport';
import { decodeSourceFile } from '../scan/fileContent';
import { SkipReason } from '../scan/skipReason';
import { DEFAULT_SCAN_OPTIONS, ScanOptions } from '../scan/workspaceScanner';
import { errorText, walkWorkspace } from '../scan/workspaceWalker';
import { CloneTokenizer } from './cloneTokens';
import { TokenCorpus } from './tokenCorpus';

type UnitShape = Pick<CodeUnit, 'kind' | 'name' | 'startLine' | 'endLine' | 'hash'>;

/**
 * Builds a TokenCorpus from source texts: each is parsed once, cut into clone tokens and, unless its
 * units are given, into code units. Owns parsers: call `dispose()`.
 */
export class CloneCorpusBuilder {
  readonly corpus = new TokenCorpus();

  private constructor(private readonly tokenizer: CloneTokenizer, private readonly extractor: CodeUnitExtractor) {}

  static async create(runtime: TreeSitterRuntime, languages: readonly LanguageId[] = LANGUAGES.map((language) => language.id), extractor = new CodeUnitExtractor(DEFAULT_SCAN_OPTIONS.chunking)): Promise<CloneCorpusBuilder> {
    return new CloneCorpusBuilder(await CloneTokenizer.create(runtime, languages), extractor);
  }

  /**
   * Adds one file; its units are found from the same parse when not given. Says what it added, or
   * undefined when the parser gave no tree (the file is left out).
   */
  addText(path: string, language: LanguageId, text: string, units?: readonly UnitShape[], corpus = this.corpus): { units: number; hasSyntaxErrors: boolean } | undefined {
    const tree = this.tokenizer.parser(language).parse(text);
    if (!tree) return undefined;
    try {
      const start = corpus.length;
      this.tokenizer.tokenizeTree(tree, text, language, corpus);
      const fileUnits = units ?? this.extractor.extract(tree, text, language, path);
      corpus.addFile(path, language, start, lineCount(text), fileUnits);
      return { units: fileUnits.length, hasSyntaxErrors: tree.rootNode.hasError };
    } finally {
      tree.delete();
    }
  }

  dispose(): void {
    this.tokenizer.dispose();
  }
}

/**
 * Files already cut into clone tokens, each with the size and modification time it was read at, so a
 * refresh (the editor's, as the index changes) parses only the files that changed.
 */
export class CloneFileCache {
  readonly files = new Map<string, { mtimeMs: number; size: number; corpus: TokenCorpus; units: number; hasSyntaxErrors: boolean }>();
}

export interface CloneScan {
  readonly corpus: TokenCorpus;
  readonly report: ScanReport;
}

/**
 * Scans a folder with the same ignore rules, file checks and skip reasons as search (walkWorkspace,
 * decodeSourceFile), and builds its clone corpus, parsing each file once for both tokens and units.
 */
export async function scanCloneCorpus(root: string, runtime: TreeSitterRuntime, options: ScanOptions = DEFAULT_SCAN_OPTIONS, signal?: AbortSignal, onFile?: (report: ScanReport) => void, cache?: CloneFileCache): Promise<CloneScan> {
  const builder = await CloneCorpusBuilder.create(runtime, LANGUAGES.map((language) => language.id), new CodeUnitExtractor(options.chunking));
  const report = emptyReport();
  const seen = new Set<string>();
  try {
    for await (const entry of walkWorkspace(root, options, signal)) {
      if (entry.type === 'skip') {
        recordSkip(report, { root, file: entry.file, reason: entry.reason, detail: entry.detail });
        onFile?.(report);
        continue;
      }
      seen.add(entry.file);
      const stamp = cache ? await fs.stat(entry.path).catch(() => undefined) : undefined;
      const cached = stamp && cache?.files.get(entry.file);
      if (cached && cached.mtimeMs === stamp.mtimeMs && cached.size === stamp.size) {
        builder.corpus.append(cached.corpus);
        recordParsed(report, cached.units, cached.hasSyntaxErrors);
        onFile?.(report);
        continue;
      }
      cache?.files.delete(entry.file);
      const read = await readSource(entry.path, entry.file, options.maxFileSizeBytes);
      // With a cache, each file gets a corpus of its own, kept for the next refresh and appended to the whole.
      const fileCorpus = cache && read.ok ? new TokenCorpus(1024) : undefined;
      const added = read.ok ? builder.addText(entry.file, entry.language.id, read.text, undefined, fileCorpus) : undefined;
      if (!read.ok) recordSkip(report, { root, file: entry.file, reason: read.reason, detail: read.detail });
      else if (added) recordParsed(report, added.units, added.hasSyntaxErrors);
      else recordSkip(report, { root, file: entry.file, reason: 'unreadable', detail: 'the parser returned no tree' });
      if (fileCorpus && added) {
        fileCorpus.trim();
        if (stamp) cache!.files.set(entry.file, { mtimeMs: stamp.mtimeMs, size: stamp.size, corpus: fileCorpus, ...added });
        builder.corpus.append(fileCorpus);
      }
      onFile?.(report);
    }
  } finally {
    builder.dispose();
  }
  for (const path of cache?.files.keys() ?? []) if (!seen.has(path)) cache!.files.delete(path);
  builder.corpus.trim();
  return { corpus: builder.corpus, report };
}

/** A file's text, or why it is skipped: the checks workspaceScanner makes, in its order. */
async function readSource(path: string, file: string, maxFileSizeBytes: number): Promise<{ ok: true; text: string } | { ok: false; reason: SkipReason; detail: string }> {
  let bytes: Buffer;
  try {
    // Stat before opening: opening a pipe would block until someone writes to it.
    const stat = await fs.stat(path);
    if (!stat.isFile()) return { ok: false, reason: 'not-regular', detail: 'a pipe, socket or device' };
    if (stat.size > maxFileSizeBytes) return { ok: false, reason: 'too-large', detail: `${stat.size} bytes, limit ${maxFileSizeBytes}` };
    bytes = await fs.readFile(path);
  } catch (error) {
    return { ok: false, reason: 'unreadable', detail: errorText(error) };
  }
  if (bytes.length > maxFileSizeBytes) return { ok: false, reason: 'too-large', detail: `${bytes.length} bytes, limit ${maxFileSizeBytes}` };
  return decodeSourceFile(file, bytes);
}

function lineCount(text: string): number {
  let lines = text.length > 0 && !text.endsWith('\n') ? 1 : 0;
  for (let i = text.indexOf('\n'); i !== -1; i = text.indexOf('\n', i + 1)) lines++;
  return lines;
}
