import { FileStamp } from '../scan/workspaceScanner';

export interface IndexDiff {
  /** New files, and files whose size or modification time changed: to read and parse again. */
  readonly toParse: string[];
  /** Indexed files that are gone (deleted, renamed, newly ignored): to drop. */
  readonly toRemove: string[];
  readonly unchanged: number;
}

/**
 * What an index update must do, from what the index holds and what is on disk: a pure function, so the
 * incremental logic is tested without files. A changed stamp only means "parse again"; whether a unit
 * needs the encoder is decided later by its content hash, so touching a file re-embeds nothing.
 */
export function diffIndex(indexed: ReadonlyMap<string, FileStamp>, current: ReadonlyMap<string, FileStamp>): IndexDiff {
  const toParse: string[] = [];
  const toRemove: string[] = [];
  let unchanged = 0;
  for (const [path, stamp] of current) {
    const before = indexed.get(path);
    if (before && before.mtimeMs === stamp.mtimeMs && before.size === stamp.size) unchanged++;
    else toParse.push(path);
  }
  for (const path of indexed.keys()) if (!current.has(path)) toRemove.push(path);
  return { toParse: toParse.sort(), toRemove: toRemove.sort(), unchanged };
}
