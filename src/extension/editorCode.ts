import * as vscode from 'vscode';
import { CodeUnit } from '../core/parse/codeUnit';
import { OpenDocuments } from './openDocuments';

/** The code a command acts on: the selection, or else the innermost function or class under the cursor. */
export interface EditorCode {
  readonly text: string;
  /** The unit under the cursor, when there was no selection. */
  readonly unit?: CodeUnit;
  /** Where the code starts in the document (1-based). */
  readonly startLine: number;
}

export async function editorCode(editor: vscode.TextEditor, documents: OpenDocuments, what: string): Promise<EditorCode> {
  const selected = editor.document.getText(editor.selection);
  if (selected.trim()) return { text: selected, startLine: editor.selection.start.line + 1 };
  const line = editor.selection.active.line + 1;
  const units = (await documents.units(editor.document)) ?? [];
  const unit = units
    .filter((candidate) => candidate.kind !== 'toplevel' && candidate.startLine <= line && line <= candidate.endLine)
    .sort((a, b) => (a.endLine - a.startLine) - (b.endLine - b.startLine))[0];
  if (!unit) throw new Error(`select code, or put the cursor inside a function or class, to ${what}`);
  return { text: unit.text, unit, startLine: unit.startLine };
}
