import { promises as fs } from 'node:fs';
import { Parser } from 'web-tree-sitter';
import { CodeUnit } from '../parse/codeUnit';
import { ChunkingOptions, CodeUnitExtractor, DEFAULT_CHUNKING } from '../parse/codeUnitExtractor';
import { LanguageId } from '../parse/languages';
import { TreeSitterRuntime } from '../parse/treeSitterRuntime';
import { decodeSourceFile } from './fileContent';
import { SkipReason } from './skipReason';
import { errorText, walkWorkspace, WalkEntry, WalkOptions } from './workspaceWalker';

export interface ScanOptions extends WalkOptions {
  readonly chunking: ChunkingOptions;
}

export const DEFAULT_SCAN_OPTIONS: ScanOptions = {
  exclude: ['**/node_modules/**', '**/.venv/**', '**/venv/**', '**/__pycache__/**', '**/target/**', '**/vendor/**'],
  respectGitignore: true,
  maxFileSizeBytes: 1024 * 1024,
  chunking: DEFAULT_CHUNKING,
};

/** The stat of a file when it was read: how an index tells later whether it changed. */
export interface FileStamp {
  readonly mtimeMs: number;
  readonly size: number;
}

export type ScannedFile =
  | { readonly type: 'parsed'; readonly file: string; readonly language: LanguageId; readonly bytes: number; readonly units: CodeUnit[]; readonly hasSyntaxErrors: boolean; readonly stamp: FileStamp }
  | { readonly type: 'skipped'; readonly file: string; readonly reason: SkipReason; readonly detail: string; readonly stamp?: FileStamp };

/** How many file reads run ahead of parsing, so disk waits overlap with CPU work. */
const READ_AHEAD = 8;

/**
 * Scans one folder: walks it, reads and classifies each file, parses it and cuts it into code units.
 * Yields one result per file of a supported language, parsed or skipped with a reason.
 * Stops between files when `signal` aborts (throwing its reason).
 */
export function scanFolder(root: string, runtime: TreeSitterRuntime, options: ScanOptions = DEFAULT_SCAN_OPTIONS, signal?: AbortSignal): AsyncGenerator<ScannedFile> {
  return scanEntries(walkWorkspace(root, options, signal), runtime, options, signal);
}

/** Reads, classifies, parses and cuts the given walk entries (a whole walk, or just the files that changed). */
export async function* scanEntries(entries: AsyncIterable<WalkEntry> | Iterable<WalkEntry>, runtime: TreeSitterRuntime, options: ScanOptions = DEFAULT_SCAN_OPTIONS, signal?: AbortSignal): AsyncGenerator<ScannedFile> {
  const extractor = new CodeUnitExtractor(options.chunking);
  const parsers = new Map<LanguageId, Parser>();
  const reads: Promise<ReadResult>[] = [];
  try {
    for await (const entry of entries) {
      reads.push(readEntry(entry, options.maxFileSizeBytes));
      if (reads.length >= READ_AHEAD) yield await parseRead(await reads.shift()!);
    }
    while (reads.length > 0) yield await parseRead(await reads.shift()!);
  } finally {
    // Reads already started may still settle; they never reject, so nothing is left unhandled.
    for (const parser of parsers.values()) parser.delete();
  }

  async function parseRead(read: ReadResult): Promise<ScannedFile> {
    signal?.throwIfAborted();
    if (read.type === 'skipped') return read;
    let parser = parsers.get(read.language);
    if (!parser) {
      parser = await runtime.createParser(read.language);
      parsers.set(read.language, parser);
    }
    const tree = parser.parse(read.text);
    if (!tree) return { type: 'skipped', file: read.file, reason: 'unreadable', detail: 'the parser returned no tree', stamp: read.stamp };
    try {
      const units = extractor.extract(tree, read.text, read.language, read.file);
      return { type: 'parsed', file: read.file, language: read.language, bytes: read.bytes, units, hasSyntaxErrors: tree.rootNode.hasError, stamp: read.stamp };
    } finally {
      tree.delete();
    }
  }
}

type ReadResult =
  | { readonly type: 'text'; readonly file: string; readonly language: LanguageId; readonly text: string; readonly bytes: number; readonly stamp: FileStamp }
  | Extract<ScannedFile, { type: 'skipped' }>;

async function readEntry(entry: WalkEntry, maxFileSizeBytes: number): Promise<ReadResult> {
  if (entry.type === 'skip') return { type: 'skipped', file: entry.file, reason: entry.reason, detail: entry.detail };
  let bytes: Buffer;
  let stamp: FileStamp;
  try {
    // Stat before opening: opening a pipe would block until someone writes to it.
    const stat = await fs.stat(entry.path);
    stamp = { mtimeMs: stat.mtimeMs, size: stat.size };
    if (!stat.isFile()) return { type: 'skipped', file: entry.file, reason: 'not-regular', detail: 'a pipe, socket or device' };
    if (stat.size > maxFileSizeBytes) return { type: 'skipped', file: entry.file, reason: 'too-large', detail: `${stat.size} bytes, limit ${maxFileSizeBytes}`, stamp };
    bytes = await fs.readFile(entry.path);
  } catch (error) {
    return { type: 'skipped', file: entry.file, reason: 'unreadable', detail: errorText(error) };
  }
  // The file may have grown between stat and read.
  if (bytes.length > maxFileSizeBytes) return { type: 'skipped', file: entry.file, reason: 'too-large', detail: `${bytes.length} bytes, limit ${maxFileSizeBytes}`, stamp };
  const decoded = decodeSourceFile(entry.file, bytes);
  if (!decoded.ok) return { type: 'skipped', file: entry.file, reason: decoded.reason, detail: decoded.detail, stamp };
  return { type: 'text', file: entry.file, language: entry.language.id, text: decoded.text, bytes: bytes.length, stamp };
}
