import * as vscode from 'vscode';
import { AnalysisDocument, StaticAnalysis } from '../core/monitor/staticAnalysis';

/** Completion kinds that name a member after `obj.`; keywords, snippets and words from the text do not. */
const MEMBER_KINDS = new Set([
  vscode.CompletionItemKind.Method, vscode.CompletionItemKind.Function, vscode.CompletionItemKind.Constructor,
  vscode.CompletionItemKind.Field, vscode.CompletionItemKind.Variable, vscode.CompletionItemKind.Class,
  vscode.CompletionItemKind.Interface, vscode.CompletionItemKind.Module, vscode.CompletionItemKind.Property,
  vscode.CompletionItemKind.Enum, vscode.CompletionItemKind.EnumMember, vscode.CompletionItemKind.Constant,
  vscode.CompletionItemKind.Struct, vscode.CompletionItemKind.Event, vscode.CompletionItemKind.TypeParameter,
]);
const IDENTIFIER = /^[\p{L}_$][\p{L}\p{N}_$]*$/u;

/**
 * Static analysis from VS Code's own language features: the completion providers of whatever language
 * extension handles the file (TypeScript's built-in ones for TS/JS), asked at the point after `obj.` (or `p->`).
 * When the question is about the editor's document as it is, the document itself is asked (its project,
 * imports and all); when the completion has generated text, an untitled scratch copy holding the text
 * with that applied is asked (one per language, reused, so nothing piles up).
 */
export class EditorAnalysis implements StaticAnalysis, vscode.Disposable {
  private readonly scratch = new Map<string, Promise<vscode.TextDocument>>();

  async memberNames(question: AnalysisDocument, signal?: AbortSignal): Promise<readonly string[] | undefined> {
    // The completion's file name is its document's path (or URI, for an unsaved one).
    const document = vscode.workspace.textDocuments.find((candidate) => documentName(candidate) === question.fileName);
    if (!document) return undefined;
    const target = question.text === document.getText() ? document : await this.scratchWith(document.languageId, question.text);
    if (signal?.aborted) return undefined;
    // The trigger is the dereference's last character: `.`, or `>` of C/C++'s `->`.
    const trigger = question.text.charAt(question.offset - 1);
    const list = await vscode.commands.executeCommand<vscode.CompletionList | undefined>('vscode.executeCompletionItemProvider', target.uri, target.positionAt(question.offset), trigger);
    const names = (list?.items ?? [])
      .filter((item) => item.kind === undefined || MEMBER_KINDS.has(item.kind))
      .map((item) => (typeof item.label === 'string' ? item.label : item.label.label))
      .filter((name) => IDENTIFIER.test(name));
    // No members known (an untyped receiver, no language support): leave the model unconstrained.
    return names.length > 0 ? [...new Set(names)] : undefined;
  }

  private async scratchWith(language: string, text: string): Promise<vscode.TextDocument> {
    let opening = this.scratch.get(language);
    if (!opening) this.scratch.set(language, (opening = Promise.resolve(vscode.workspace.openTextDocument({ language, content: '' }))));
    const scratch = await opening;
    const edit = new vscode.WorkspaceEdit();
    edit.replace(scratch.uri, new vscode.Range(scratch.positionAt(0), scratch.positionAt(scratch.getText().length)), text);
    await vscode.workspace.applyEdit(edit);
    return scratch;
  }

  dispose(): void {
    this.scratch.clear();
  }
}

/** How completions name a document: its path on disk, or its URI when it has none. */
export function documentName(document: vscode.TextDocument): string {
  return document.uri.scheme === 'file' ? document.uri.fsPath : document.uri.toString();
}
