import * as vscode from 'vscode';
import type { Parser } from 'web-tree-sitter';
import { CodeUnit } from '../core/parse/codeUnit';
import { CodeUnitExtractor } from '../core/parse/codeUnitExtractor';
import { LanguageId, languageForEditorId } from '../core/parse/languages';
import { ParsedDocument, TextChange } from '../core/parse/parsedDocument';
import { TreeSitterRuntime } from '../core/parse/treeSitterRuntime';
import { scanOptionsFor } from './settings';

/**
 * Keeps the documents open in editors parsed: created when a document is first asked for, updated
 * incrementally on every change (tree-sitter edit + reparse, not the whole workspace), dropped on close.
 */
export class OpenDocuments implements vscode.Disposable {
  private readonly documents = new Map<string, ParsedDocument>();
  private readonly extractors = new Map<string, CodeUnitExtractor>();
  // Parses are synchronous, so one parser per language serves every document.
  private readonly parsers = new Map<LanguageId, Promise<Parser>>();
  private readonly changed = new vscode.EventEmitter<vscode.Uri>();
  readonly onDidChange = this.changed.event;
  private readonly subscriptions: vscode.Disposable[];

  constructor(private readonly runtime: () => Promise<TreeSitterRuntime>, private readonly log: vscode.LogOutputChannel) {
    this.subscriptions = [
      vscode.workspace.onDidChangeTextDocument((event) => this.applyChanges(event)),
      vscode.workspace.onDidCloseTextDocument((document) => this.forget(document.uri)),
      this.changed,
    ];
  }

  /** The units of `document`, parsing it first if needed; undefined for unsupported or oversized documents. */
  async units(document: vscode.TextDocument): Promise<CodeUnit[] | undefined> {
    const parsed = await this.parsed(document);
    return parsed?.units();
  }

  private async parsed(document: vscode.TextDocument): Promise<ParsedDocument | undefined> {
    const key = document.uri.toString();
    const existing = this.documents.get(key);
    if (existing) return existing;
    const language = languageForEditorId(document.languageId);
    if (!language) return undefined;
    const folder = vscode.workspace.getWorkspaceFolder(document.uri);
    const options = scanOptionsFor(folder);
    if (document.getText().length > options.maxFileSizeBytes) return undefined;
    let parser = this.parsers.get(language.id);
    if (!parser) {
      parser = this.runtime().then((runtime) => runtime.createParser(language.id));
      this.parsers.set(language.id, parser);
    }
    const extractorKey = JSON.stringify(options.chunking);
    let extractor = this.extractors.get(extractorKey);
    if (!extractor) {
      extractor = new CodeUnitExtractor(options.chunking);
      this.extractors.set(extractorKey, extractor);
    }
    const file = folder ? vscode.workspace.asRelativePath(document.uri, false) : document.uri.fsPath;
    const ready = await parser;
    // Another call may have parsed it while we awaited the grammar.
    const raced = this.documents.get(key);
    if (raced) return raced;
    const parsed = new ParsedDocument(ready, extractor, language.id, file, document.getText());
    this.documents.set(key, parsed);
    return parsed;
  }

  private applyChanges(event: vscode.TextDocumentChangeEvent): void {
    const parsed = this.documents.get(event.document.uri.toString());
    if (!parsed || event.contentChanges.length === 0) return;
    const changes: TextChange[] = event.contentChanges.map((change) => ({
      startIndex: change.rangeOffset,
      oldEndIndex: change.rangeOffset + change.rangeLength,
      startPosition: { row: change.range.start.line, column: change.range.start.character },
      oldEndPosition: { row: change.range.end.line, column: change.range.end.character },
      newText: change.text,
    }));
    try {
      parsed.update(changes, event.document.getText());
    } catch (error) {
      this.log.warn(`incremental parse of ${event.document.uri.fsPath} failed, parsing it afresh: ${String(error)}`);
      parsed.reset(event.document.getText());
    }
    this.changed.fire(event.document.uri);
  }

  private forget(uri: vscode.Uri): void {
    const key = uri.toString();
    this.documents.get(key)?.delete();
    this.documents.delete(key);
  }

  dispose(): void {
    for (const document of this.documents.values()) document.delete();
    this.documents.clear();
    for (const parser of this.parsers.values()) void parser.then((ready) => ready.delete(), () => undefined);
    this.extractors.clear();
    for (const subscription of this.subscriptions) subscription.dispose();
  }
}
