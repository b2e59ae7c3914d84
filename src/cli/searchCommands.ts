import { createHash } from 'node:crypto';
import { createReadStream, realpathSync } from 'node:fs';
import { homedir } from 'node:os';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { SingleBar } from 'cli-progress';
import { IndexStore } from '../core/index/indexStore';
import { isEncoderUnavailable, LEXICAL_ONLY, NO_VECTORS } from '../core/index/lexicalOnly';
import { IndexProgress, updateIndex } from '../core/index/workspaceIndexer';
import { UnitEmbedder } from '../core/model/unitEmbedder';
import { LanguageId } from '../core/parse/languages';
import { TreeSitterRuntime } from '../core/parse/treeSitterRuntime';
import { lexicalTerms } from '../core/search/lexicalTerms';
import { SearchHit, SearchIndex, SearchMode } from '../core/search/searchIndex';
import { ScanOptions } from '../core/scan/workspaceScanner';

/** Where a folder's index lives unless --index-dir says otherwise: the user's cache, one folder per workspace path. */
export function defaultIndexDir(root: string): string {
  const cache = process.env.XDG_CACHE_HOME || join(homedir(), '.cache');
  const key = createHash('sha256').update(realpathSync(root)).digest('hex').slice(0, 16);
  return join(cache, 'astrolabe', 'indexes', key);
}

export interface IndexedFolder {
  readonly store: IndexStore;
  /** Undefined when the encoder could not load: the index is lexical-only, and `encoderProblem` says why. */
  readonly embedder?: UnitEmbedder;
  readonly encoderProblem?: string;
  readonly progress: IndexProgress;
  readonly rebuilt?: string;
  readonly seconds: number;
}

/** Opens (or rebuilds) the folder's index and brings it up to date; shows a progress bar on a terminal. */
export async function indexFolder(root: string, indexDir: string, modelDir: string, options: ScanOptions, grammarsDir: string, dimension: number | undefined, signal: AbortSignal, quiet = false): Promise<IndexedFolder> {
  const started = performance.now();
  const runtime = await TreeSitterRuntime.create(grammarsDir);
  let embedder: UnitEmbedder | undefined;
  let encoderProblem: string | undefined;
  try {
    embedder = await UnitEmbedder.load(modelDir, runtime, { threads: 2, dimension });
  } catch (error) {
    if (!isEncoderUnavailable(error)) throw error;
    encoderProblem = error.message;
    process.stderr.write(`astrolabe: the encoder did not load (${encoderProblem}); indexing and searching by words only\n`);
  }
  const { store, discarded } = IndexStore.open(indexDir, embedder ? { modelId: embedder.modelId, dimension: embedder.dimension } : LEXICAL_ONLY);
  const bar = !quiet && process.stderr.isTTY ? new SingleBar({ format: 'indexing [{bar}] {value}/{total} files | {embedded} units embedded', stream: process.stderr, hideCursor: true }) : undefined;
  const updates = updateIndex(root, store, runtime, embedder ?? NO_VECTORS, options, signal);
  let result = await updates.next();
  bar?.start(result.done ? 0 : result.value.toParse, 0, { embedded: 0 });
  while (!result.done) {
    bar?.update(result.value.parsed, { embedded: result.value.embedded });
    result = await updates.next();
  }
  bar?.stop();
  return { store, embedder, encoderProblem, progress: result.value, rebuilt: discarded && discarded.reason !== 'missing' ? `${discarded.reason}: ${discarded.detail}` : undefined, seconds: (performance.now() - started) / 1000 };
}

export function indexSummary(folder: IndexedFolder): string {
  const { progress, store } = folder;
  return [
    ...(folder.rebuilt ? [`rebuilt the index (${folder.rebuilt})`] : []),
    `${store.fileCount} files, ${store.unitCount} units indexed ${folder.embedder ? `with ${folder.embedder.modelId} at ${folder.embedder.dimension} dimensions` : 'by words only (no encoder)'}; ` +
      `this run parsed ${progress.parsed} changed files, embedded ${progress.embedded} new units, dropped ${progress.removed} files, in ${folder.seconds.toFixed(1)} s`,
  ].join('\n');
}

export interface QueryOptions {
  readonly k: number;
  readonly mode: SearchMode;
  readonly languages?: LanguageId[];
  readonly pathGlob?: string;
}

/** Without an encoder, hybrid search falls back to words; vector search cannot run and says why. */
export async function runQuery(index: SearchIndex, embedder: UnitEmbedder | undefined, query: string, options: QueryOptions, encoderProblem?: string): Promise<SearchHit[]> {
  if (!embedder) {
    if (options.mode === 'vector') throw new Error(`vector search needs the encoder, which did not load: ${encoderProblem ?? 'no model'}`);
    return index.search(undefined, lexicalTerms(query), { ...options, mode: 'lexical' });
  }
  const vector = options.mode === 'lexical' ? undefined : await embedder.embedQuery(query);
  return index.search(vector, lexicalTerms(query), options);
}

export function hitJson(hit: SearchHit): object {
  return { file: hit.file, name: hit.unit.name, kind: hit.unit.kind, start_line: hit.unit.startLine, end_line: hit.unit.endLine, score: Math.round(hit.score * 1e6) / 1e6 };
}

/** Batch mode: one {"id", "query"} per input line, one {"id", "results"} per output line, in order. */
export async function runQueryFile(path: string, index: SearchIndex, embedder: UnitEmbedder | undefined, options: QueryOptions, write: (line: string) => void, encoderProblem?: string): Promise<number> {
  let count = 0;
  const lines = createInterface({ input: createReadStream(path), crlfDelay: Infinity });
  let lineNumber = 0;
  for await (const line of lines) {
    lineNumber++;
    if (!line.trim()) continue;
    let request: { id?: unknown; query?: unknown };
    try {
      request = JSON.parse(line) as { id?: unknown; query?: unknown };
    } catch {
      throw new Error(`${path}:${lineNumber}: not JSON`);
    }
    if (typeof request.query !== 'string' || (typeof request.id !== 'string' && typeof request.id !== 'number')) {
      throw new Error(`${path}:${lineNumber}: expected {"id": "...", "query": "..."}`);
    }
    const hits = await runQuery(index, embedder, request.query, options, encoderProblem);
    write(JSON.stringify({ id: request.id, results: hits.map(hitJson) }));
    count++;
  }
  return count;
}
