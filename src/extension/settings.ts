import * as vscode from 'vscode';
import { ScanOptions } from '../core/scan/workspaceScanner';
import { toScanOptions } from './scanOptions';

/** Settings whose change makes the last scan stale. */
export const SCAN_SETTINGS = ['astrolabe.exclude', 'astrolabe.respectGitignore', 'astrolabe.maxFileSizeKB', 'astrolabe.maxUnitLines', 'astrolabe.topLevelWindowLines', 'files.exclude'];

/** Reads `astrolabe.*` (and the editor's files.exclude) for one workspace folder into plain scan options for core. */
export function scanOptionsFor(folder: vscode.WorkspaceFolder | undefined): ScanOptions {
  const astrolabe = vscode.workspace.getConfiguration('astrolabe', folder);
  const filesExclude = vscode.workspace.getConfiguration('files', folder).get<Record<string, unknown>>('exclude') ?? {};
  return toScanOptions({
    exclude: astrolabe.get<unknown>('exclude'),
    respectGitignore: astrolabe.get<unknown>('respectGitignore'),
    maxFileSizeKB: astrolabe.get<unknown>('maxFileSizeKB'),
    maxUnitLines: astrolabe.get<unknown>('maxUnitLines'),
    topLevelWindowLines: astrolabe.get<unknown>('topLevelWindowLines'),
    filesExclude,
  });
}

