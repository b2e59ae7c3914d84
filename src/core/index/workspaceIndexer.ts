import { promises as fs } from 'node:fs';
import { CodeUnit } from '../parse/codeUnit';
import { TreeSitterRuntime } from '../parse/treeSitterRuntime';
import { lexicalTerms } from '../search/lexicalTerms';
import { FileStamp, scanEntries, ScanOptions } from '../scan/workspaceScanner';
import { walkWorkspace, WalkEntry } from '../scan/workspaceWalker';
import { diffIndex } from './indexDiff';
import { IndexedUnit, IndexStore } from './indexStore';
import { quantizeVector } from './int8Vectors';

/** What the indexer needs of an embedder: vectors of the store's dimension, in input order. */
export interface UnitVectors {
  embedUnits(units: readonly Pick<CodeUnit, 'text' | 'language'>[], signal?: AbortSignal): Promise<Float32Array[]>;
}

export interface IndexProgress {
  readonly files: number;
  readonly toParse: number;
  readonly parsed: number;
  readonly embedded: number;
  readonly removed: number;
}

/** Units embedded per call: full batches, and memory that stays flat on any repository. */
const EMBED_GROUP = 256;
/** A long first indexing is committed this often, so a cancelled or killed run resumes where it stopped. */
const COMMIT_EVERY_MS = 5000;

/**
 * Brings the index of `root` up to date: walks the folder, parses only files whose stamp changed, embeds
 * only units whose text the index has no vector for, drops files that are gone, and commits atomically
 * (also every few seconds on a long run). Reports progress after each file; honours `signal` between files.
 */
export async function* updateIndex(root: string, store: IndexStore, runtime: TreeSitterRuntime, vectors: UnitVectors, options: ScanOptions, signal?: AbortSignal): AsyncGenerator<IndexProgress, IndexProgress> {
  const entries: WalkEntry[] = [];
  const current = new Map<string, FileStamp>();
  for await (const entry of walkWorkspace(root, options, signal)) {
    if (entry.type !== 'file') continue;
    try {
      const stat = await fs.stat(entry.path);
      current.set(entry.file, { mtimeMs: stat.mtimeMs, size: stat.size });
      entries.push(entry);
    } catch {
      // Gone between the walk and the stat: it is not there, so it is not indexed.
    }
  }
  const indexed = new Map<string, FileStamp>();
  for (const path of store.filePaths()) indexed.set(path, store.file(path)!);
  const diff = diffIndex(indexed, current);
  for (const path of diff.toRemove) store.removeFile(path);

  const toParse = new Set(diff.toParse);
  let parsed = 0;
  let embedded = 0;
  let lastCommit = Date.now();
  const progress = (): IndexProgress => ({ files: current.size, toParse: toParse.size, parsed, embedded, removed: diff.toRemove.length });
  // Files wait here until every unit of theirs has a vector; then they are recorded.
  let waiting: { file: string; stamp: FileStamp; units: CodeUnit[] }[] = [];
  const missing = new Map<string, CodeUnit>();

  const embedWaiting = async (): Promise<void> => {
    const units = [...missing.values()];
    for (let start = 0; start < units.length; start += EMBED_GROUP) {
      const group = units.slice(start, start + EMBED_GROUP);
      const groupVectors = await vectors.embedUnits(group, signal);
      group.forEach((unit, index) => store.addVector(unit.hash, quantizeVector(groupVectors[index]!)));
      embedded += group.length;
    }
    missing.clear();
    for (const file of waiting) store.setFile(file.file, { ...file.stamp, units: file.units.map(indexedUnit) });
    waiting = [];
  };

  try {
    for await (const scanned of scanEntries(entries.filter((entry) => entry.type === 'file' && toParse.has(entry.file)), runtime, options, signal)) {
      parsed++;
      if (scanned.type === 'skipped') {
        // Recorded without units, so an unchanged binary or huge file is not read again next time.
        if (scanned.stamp) store.setFile(scanned.file, { ...scanned.stamp, units: [] });
        else store.removeFile(scanned.file);
      } else {
        for (const hash of store.missingVectors(scanned.units)) missing.set(hash, scanned.units.find((unit) => unit.hash === hash)!);
        waiting.push({ file: scanned.file, stamp: scanned.stamp, units: scanned.units });
        if (missing.size >= EMBED_GROUP) await embedWaiting();
      }
      if (Date.now() - lastCommit > COMMIT_EVERY_MS) {
        await embedWaiting();
        store.commit();
        lastCommit = Date.now();
      }
      yield progress();
    }
  } catch (error) {
    // Cancelled or failed: keep every file whose units were all embedded, so the next run resumes there.
    store.commit();
    throw error;
  }
  await embedWaiting();
  store.commit();
  return progress();
}

function indexedUnit(unit: CodeUnit): IndexedUnit {
  return { language: unit.language, kind: unit.kind, name: unit.name, startLine: unit.startLine, endLine: unit.endLine, hash: unit.hash, terms: lexicalTerms(unit.text).join(' ') };
}
