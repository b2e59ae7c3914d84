import * as vscode from 'vscode';
import { CloneInstance } from '../core/clones/cloneClasses';

/** Read-only documents holding one clone instance's lines: the two sides of a clone diff. */
export const CLONE_RANGE_SCHEME = 'astrolabe-clone';

export class CloneRangeDocuments implements vscode.TextDocumentContentProvider {
  /** The instance's lines, from the open editor's text when the file is open (unsaved edits included). */
  async provideTextDocumentContent(uri: vscode.Uri): Promise<string> {
    const match = /^(\d+)-(\d+)$/.exec(uri.query);
    if (!match) throw new Error(`not a clone range: ${uri.toString()}`);
    const source = vscode.Uri.file(uri.path);
    const open = vscode.workspace.textDocuments.find((document) => document.uri.toString() === source.toString());
    const text = open ? open.getText() : Buffer.from(await vscode.workspace.fs.readFile(source)).toString('utf8');
    return text.split(/\r?\n/).slice(Number(match[1]) - 1, Number(match[2])).join('\n');
  }
}

/** The document of an instance's lines; its path keeps the file's extension, so the diff gets the language's colours. */
export function cloneRangeUri(folder: vscode.WorkspaceFolder, instance: CloneInstance): vscode.Uri {
  const file = vscode.Uri.joinPath(folder.uri, instance.file);
  return vscode.Uri.from({ scheme: CLONE_RANGE_SCHEME, path: file.fsPath, query: `${instance.startLine}-${instance.endLine}` });
}

/** Opens VS Code's diff editor on two clone instances' ranges. */
export async function compareInstances(folder: vscode.WorkspaceFolder, left: CloneInstance, right: CloneInstance): Promise<void> {
  const title = `${left.file}:${left.startLine}-${left.endLine} ↔ ${right.file}:${right.startLine}-${right.endLine}`;
  await vscode.commands.executeCommand('vscode.diff', cloneRangeUri(folder, left), cloneRangeUri(folder, right), title, { preview: true });
}
