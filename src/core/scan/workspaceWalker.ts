import { Dirent, promises as fs } from 'node:fs';
import { join } from 'node:path';
import { LanguageInfo, languageForPath } from '../parse/languages';
import { ExcludeGlobs, GitignoreStack } from './ignoreRules';
import { SkipReason } from './skipReason';

export interface WalkOptions {
  /** Glob patterns relative to the root (astrolabe.exclude and the editor's files.exclude). */
  readonly exclude: readonly string[];
  readonly respectGitignore: boolean;
  readonly maxFileSizeBytes: number;
}

export type WalkEntry =
  | { readonly type: 'file'; readonly path: string; readonly file: string; readonly language: LanguageInfo }
  | { readonly type: 'skip'; readonly file: string; readonly reason: SkipReason; readonly detail: string };

interface PendingFolder {
  readonly path: string;
  /** Its real path (symbolic links resolved), to recognise a folder reached twice. */
  readonly realPath: string;
  /** Relative to the root, "/"-separated, "" for the root. */
  readonly relative: string;
  readonly gitignore: GitignoreStack;
}

/**
 * Lists the files of supported languages under `root`, in a stable order, leaving out what .gitignore
 * and the exclude globs leave out. Follows symbolic links, but never into a folder already visited,
 * so link loops end. Iterative: deep folder trees cannot overflow the stack.
 */
export async function* walkWorkspace(root: string, options: WalkOptions, signal?: AbortSignal): AsyncGenerator<WalkEntry> {
  const excluded = new ExcludeGlobs(options.exclude);
  const rootReal = await fs.realpath(root);
  const visited = new Set<string>([rootReal]);
  let rootIgnores = GitignoreStack.empty();
  if (options.respectGitignore) {
    const exclude = await readTextIfPresent(join(root, '.git', 'info', 'exclude'));
    if (exclude !== undefined) rootIgnores = rootIgnores.with('', exclude);
  }
  const pending: PendingFolder[] = [{ path: root, realPath: rootReal, relative: '', gitignore: rootIgnores }];

  while (pending.length > 0) {
    signal?.throwIfAborted();
    const folder = pending.pop()!;
    let entries: Dirent[];
    try {
      entries = await fs.readdir(folder.path, { withFileTypes: true });
    } catch (error) {
      yield { type: 'skip', file: folder.relative || '.', reason: 'unreadable', detail: `folder: ${errorText(error)}` };
      continue;
    }
    entries.sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));

    let gitignore = folder.gitignore;
    if (options.respectGitignore && entries.some((entry) => entry.name === '.gitignore' && !entry.isDirectory())) {
      const content = await readTextIfPresent(join(folder.path, '.gitignore'));
      if (content !== undefined) gitignore = gitignore.with(folder.relative, content);
    }

    const isExcluded = (relative: string, isDirectory: boolean): boolean =>
      excluded.excludes(relative, isDirectory) || (options.respectGitignore && gitignore.ignores(relative, isDirectory));
    const subfolders: PendingFolder[] = [];
    for (const entry of entries) {
      if (entry.name === '.git') continue;
      const path = join(folder.path, entry.name);
      const relative = folder.relative === '' ? entry.name : `${folder.relative}/${entry.name}`;
      let isDirectory = entry.isDirectory();
      let isFile = entry.isFile();
      if (entry.isSymbolicLink()) {
        try {
          const target = await fs.stat(path);
          isDirectory = target.isDirectory();
          isFile = target.isFile();
        } catch (error) {
          // A dangling link named like a source file is a file we could not read; anything else is noise.
          if (languageForPath(entry.name) && !isExcluded(relative, false)) yield { type: 'skip', file: relative, reason: 'unreadable', detail: `broken link: ${errorText(error)}` };
          continue;
        }
      }

      if (isDirectory) {
        if (isExcluded(relative, true)) continue;
        // Only a link can lead back into a folder; a plain folder's real path follows from its parent's.
        let real = join(folder.realPath, entry.name);
        if (entry.isSymbolicLink()) {
          try {
            real = await fs.realpath(path);
          } catch (error) {
            yield { type: 'skip', file: relative, reason: 'unreadable', detail: `folder: ${errorText(error)}` };
            continue;
          }
        }
        if (visited.has(real)) {
          yield { type: 'skip', file: relative, reason: 'symlink-loop', detail: `links to ${real}, already scanned` };
          continue;
        }
        visited.add(real);
        subfolders.push({ path, realPath: real, relative, gitignore });
        continue;
      }

      const language = languageForPath(entry.name);
      if (!language || isExcluded(relative, false)) continue;
      if (!isFile) {
        yield { type: 'skip', file: relative, reason: 'not-regular', detail: 'a pipe, socket or device' };
        continue;
      }
      // Size and readability are checked by the reader, which runs ahead of parsing.
      yield { type: 'file', path, file: relative, language };
    }
    // Depth-first in name order: push in reverse so the first name is visited first.
    for (let i = subfolders.length - 1; i >= 0; i--) pending.push(subfolders[i]!);
  }
}

async function readTextIfPresent(path: string): Promise<string | undefined> {
  try {
    return await fs.readFile(path, 'utf8');
  } catch {
    return undefined; // absent or unreadable ignore files simply add no rules
  }
}

/** "ENOENT: no such file…" for Node's system errors, the message otherwise. */
export function errorText(error: unknown): string {
  if (!(error instanceof Error)) return String(error);
  const code = (error as NodeJS.ErrnoException).code;
  return code && !error.message.startsWith(code) ? `${code}: ${error.message}` : error.message;
}
