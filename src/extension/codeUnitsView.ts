import * as vscode from 'vscode';
import { CodeUnit } from '../core/parse/codeUnit';
import { SkippedFile } from '../core/scan/scanReport';
import { SKIP_REASON_DESCRIPTIONS, SkipReason } from '../core/scan/skipReason';
import { ViewNode } from './api';
import { OpenDocuments } from './openDocuments';
import { WorkspaceScan } from './workspaceScan';

type Item =
  | { readonly type: 'workspace' }
  | { readonly type: 'count'; readonly label: string; readonly count: number; readonly skips?: readonly SkippedFile[]; readonly reason?: SkipReason }
  | { readonly type: 'skippedFile'; readonly skip: SkippedFile }
  | { readonly type: 'activeFile'; readonly document: vscode.TextDocument | undefined }
  | { readonly type: 'unit'; readonly unit: CodeUnit; readonly uri: vscode.Uri }
  | { readonly type: 'message'; readonly label: string };

/** The "Code Units" view: the workspace scan report, then the code units of the active editor's file. */
export class CodeUnitsView implements vscode.TreeDataProvider<Item>, vscode.Disposable {
  private readonly changed = new vscode.EventEmitter<void>();
  readonly onDidChangeTreeData = this.changed.event;
  private readonly subscriptions: vscode.Disposable[];
  private refreshTimer: NodeJS.Timeout | undefined;

  constructor(private readonly scan: WorkspaceScan, private readonly documents: OpenDocuments) {
    this.subscriptions = [
      scan.onDidChange(() => this.refreshSoon()),
      documents.onDidChange((uri) => { if (uri.toString() === vscode.window.activeTextEditor?.document.uri.toString()) this.refreshSoon(); }),
      vscode.window.onDidChangeActiveTextEditor(() => this.refreshSoon()),
      this.changed,
    ];
  }

  /** Coalesces bursts (typing, progress) into one redraw. */
  private refreshSoon(): void {
    clearTimeout(this.refreshTimer);
    this.refreshTimer = setTimeout(() => this.changed.fire(), 100);
  }

  async getChildren(item?: Item): Promise<Item[]> {
    if (!item) return [{ type: 'workspace' }, { type: 'activeFile', document: vscode.window.activeTextEditor?.document }];
    switch (item.type) {
      case 'workspace': {
        const report = this.scan.lastReport;
        if (!report) return [{ type: 'message', label: this.scan.progress ?? 'Not scanned yet' }];
        const items: Item[] = [
          { type: 'count', label: 'Seen', count: report.seen },
          { type: 'count', label: 'Parsed', count: report.parsed },
          { type: 'count', label: 'Code units', count: report.units },
        ];
        if (report.withSyntaxErrors > 0) items.push({ type: 'count', label: 'With syntax errors', count: report.withSyntaxErrors });
        for (const [reason, count] of Object.entries(report.skipped) as [SkipReason, number][]) {
          items.push({ type: 'count', label: `Skipped: ${reason}`, count, reason, skips: report.skippedFiles.filter((skip) => skip.reason === reason) });
        }
        return items;
      }
      case 'count':
        return (item.skips ?? []).map((skip) => ({ type: 'skippedFile', skip }));
      case 'activeFile': {
        if (!item.document) return [{ type: 'message', label: 'No active editor' }];
        const units = await this.documents.units(item.document);
        if (!units) return [{ type: 'message', label: 'Not a supported language' }];
        if (units.length === 0) return [{ type: 'message', label: 'No code units' }];
        return units.map((unit) => ({ type: 'unit', unit, uri: item.document!.uri }));
      }
      default:
        return [];
    }
  }

  getTreeItem(item: Item): vscode.TreeItem {
    switch (item.type) {
      case 'workspace': {
        const tree = new vscode.TreeItem('Workspace', vscode.TreeItemCollapsibleState.Expanded);
        tree.iconPath = new vscode.ThemeIcon('root-folder');
        if (this.scan.progress) tree.description = this.scan.progress;
        return tree;
      }
      case 'count': {
        const tree = new vscode.TreeItem(item.label, item.skips && item.skips.length > 0 ? vscode.TreeItemCollapsibleState.Collapsed : vscode.TreeItemCollapsibleState.None);
        tree.description = String(item.count);
        if (item.reason) tree.tooltip = SKIP_REASON_DESCRIPTIONS[item.reason];
        return tree;
      }
      case 'skippedFile': {
        const tree = new vscode.TreeItem(item.skip.file);
        tree.description = item.skip.detail;
        tree.tooltip = `${item.skip.root}/${item.skip.file}: ${item.skip.reason} (${item.skip.detail})`;
        const folder = vscode.workspace.workspaceFolders?.find((candidate) => candidate.name === item.skip.root);
        if (folder) tree.resourceUri = vscode.Uri.joinPath(folder.uri, item.skip.file);
        return tree;
      }
      case 'activeFile': {
        const tree = new vscode.TreeItem('Active file', vscode.TreeItemCollapsibleState.Expanded);
        tree.iconPath = new vscode.ThemeIcon('file-code');
        if (item.document) tree.description = item.document.uri.path.split('/').pop();
        // A new id per document makes VS Code re-expand the node when the active editor changes.
        tree.id = `activeFile:${item.document?.uri.toString() ?? ''}`;
        return tree;
      }
      case 'unit': {
        const tree = new vscode.TreeItem(item.unit.name);
        tree.description = item.unit.kind;
        tree.tooltip = `${item.unit.kind} ${item.unit.name}, lines ${item.unit.startLine}-${item.unit.endLine}`;
        tree.iconPath = new vscode.ThemeIcon(UNIT_ICONS[item.unit.kind] ?? 'symbol-misc');
        tree.command = { command: 'astrolabe.revealUnit', title: 'Reveal', arguments: [item.uri, item.unit.startLine, item.unit.endLine] };
        return tree;
      }
      case 'message':
        return new vscode.TreeItem(item.label);
    }
  }

  /** The view as plain labels, the way a person reads it. */
  async render(item?: Item): Promise<ViewNode[]> {
    const nodes: ViewNode[] = [];
    for (const child of await this.getChildren(item)) {
      const tree = this.getTreeItem(child);
      const label = typeof tree.label === 'string' ? tree.label : tree.label?.label ?? '';
      const expandable = tree.collapsibleState !== undefined && tree.collapsibleState !== vscode.TreeItemCollapsibleState.None;
      nodes.push({ label, description: typeof tree.description === 'string' ? tree.description : undefined, children: expandable ? await this.render(child) : [] });
    }
    return nodes;
  }

  dispose(): void {
    clearTimeout(this.refreshTimer);
    for (const subscription of this.subscriptions) subscription.dispose();
  }
}

const UNIT_ICONS: Partial<Record<CodeUnit['kind'], string>> = {
  function: 'symbol-function', method: 'symbol-method', class: 'symbol-class', interface: 'symbol-interface',
  enum: 'symbol-enum', struct: 'symbol-struct', trait: 'symbol-interface', impl: 'symbol-namespace', toplevel: 'symbol-namespace',
};
