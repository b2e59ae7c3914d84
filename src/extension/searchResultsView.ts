import * as vscode from 'vscode';
import { ViewNode } from './api';
import { CodeHit } from './codeSearch';

type Item = { readonly type: 'hit'; readonly hit: CodeHit } | { readonly type: 'line'; readonly text: string; readonly hit: CodeHit; readonly line: number } | { readonly type: 'message'; readonly text: string };

const SNIPPET_LINES = 6;

/** The Search view: the latest query's results, each with a few lines of its code; click to open. */
export class SearchResultsView implements vscode.TreeDataProvider<Item>, vscode.Disposable {
  private readonly changed = new vscode.EventEmitter<void>();
  readonly onDidChangeTreeData = this.changed.event;
  private title = '';
  private hits: readonly CodeHit[] = [];

  show(title: string, hits: readonly CodeHit[]): void {
    this.title = title;
    this.hits = hits;
    this.changed.fire();
  }

  async getChildren(item?: Item): Promise<Item[]> {
    if (!item) {
      if (!this.title) return [{ type: 'message', text: 'Run Astrolabe: Search Code or Find Similar Code' }];
      if (this.hits.length === 0) return [{ type: 'message', text: `No results for ${this.title}` }];
      return this.hits.map((hit) => ({ type: 'hit', hit }));
    }
    if (item.type !== 'hit') return [];
    try {
      const lines = Buffer.from(await vscode.workspace.fs.readFile(item.hit.uri)).toString('utf8').split('\n');
      const last = Math.min(item.hit.endLine, item.hit.startLine + SNIPPET_LINES - 1);
      return lines.slice(item.hit.startLine - 1, last).map((text, index) => ({ type: 'line', text: text.replace(/\t/g, '  '), hit: item.hit, line: item.hit.startLine + index }));
    } catch (error) {
      return [{ type: 'message', text: `cannot read ${item.hit.file}: ${error instanceof Error ? error.message : String(error)}` }];
    }
  }

  getTreeItem(item: Item): vscode.TreeItem {
    if (item.type === 'message') return new vscode.TreeItem(item.text);
    if (item.type === 'line') {
      const tree = new vscode.TreeItem(item.text.trimEnd() || ' ');
      tree.description = String(item.line);
      tree.command = { command: 'astrolabe.revealUnit', title: 'Open', arguments: [item.hit.uri, item.line, item.line] };
      return tree;
    }
    const tree = new vscode.TreeItem(item.hit.name, vscode.TreeItemCollapsibleState.Collapsed);
    tree.description = `${vscode.workspace.asRelativePath(item.hit.uri)}:${item.hit.startLine}  ${item.hit.score.toFixed(3)}`;
    tree.tooltip = `${item.hit.kind} ${item.hit.name}, lines ${item.hit.startLine}-${item.hit.endLine}`;
    tree.iconPath = new vscode.ThemeIcon(item.hit.kind === 'method' ? 'symbol-method' : item.hit.kind === 'function' ? 'symbol-function' : 'symbol-class');
    tree.command = { command: 'astrolabe.revealUnit', title: 'Open', arguments: [item.hit.uri, item.hit.startLine, item.hit.endLine] };
    return tree;
  }

  /** The view as plain labels (results and their snippets), for tests. */
  async render(): Promise<ViewNode[]> {
    const nodes: ViewNode[] = [];
    for (const item of await this.getChildren()) {
      const tree = this.getTreeItem(item);
      const children = item.type === 'hit' ? (await this.getChildren(item)).map((child) => ({ label: String(this.getTreeItem(child).label), children: [] })) : [];
      nodes.push({ label: String(tree.label), description: typeof tree.description === 'string' ? tree.description : undefined, children });
    }
    return nodes;
  }

  dispose(): void {
    this.changed.dispose();
  }
}
