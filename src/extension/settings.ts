import * as vscode from 'vscode';
import { CloneSettings, cloneSettings, CloneType } from '../core/clones/cloneSettings';
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


/** Settings whose change makes the clone results stale. */
export const CLONE_SETTINGS = ['astrolabe.clones'];

/** `astrolabe.clones.*` as the core's clone settings (checked there; a bad value is reported, not guessed at). */
export function cloneSettingsFromConfig(): CloneSettings {
  const clones = vscode.workspace.getConfiguration('astrolabe.clones');
  return cloneSettings({
    types: clones.get<CloneType[]>('types'),
    minTokens: clones.get<number>('minTokens'),
    minLines: clones.get<number>('minLines'),
    type3Similarity: clones.get<number>('type3Similarity'),
    type4Similarity: clones.get<number | null>('type4Similarity') ?? undefined, // null: the model's own
  });
}

/** How clone diagnostics show, or undefined when they are off (the default). */
export function cloneDiagnosticSeverity(): vscode.DiagnosticSeverity | undefined {
  const clones = vscode.workspace.getConfiguration('astrolabe.clones.diagnostics');
  if (!clones.get<boolean>('enabled')) return undefined;
  const severities: Record<string, vscode.DiagnosticSeverity> = {
    error: vscode.DiagnosticSeverity.Error, warning: vscode.DiagnosticSeverity.Warning,
    information: vscode.DiagnosticSeverity.Information, hint: vscode.DiagnosticSeverity.Hint,
  };
  return severities[clones.get<string>('severity') ?? 'information'] ?? vscode.DiagnosticSeverity.Information;
}
