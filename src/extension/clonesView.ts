import { createHash } from 'node:crypto';
import picomatch from 'picomatch';
import * as vscode from 'vscode';
import { CloneClass, CloneInstance } from '../core/clones/cloneClasses';
import { CLONE_TYPES, CloneType } from '../core/clones/cloneSettings';
import { ViewNode } from './api';
import { FolderClones } from './codeSearch';

/** A clone class in a workspace folder, with the key that "ignore" remembers it by. */
export interface ShownClass {
  readonly folder: vscode.WorkspaceFolder;
  readonly cloneClass: CloneClass;
  readonly key: string;
}

export type CloneItem =
  | { readonly type: 'class'; readonly shown: ShownClass; readonly index: number }
  | { readonly type: 'instance'; readonly shown: ShownClass; readonly instance: CloneInstance }
  | { readonly type: 'message'; readonly text: string };

export interface CloneFilter {
  readonly types: readonly CloneType[];
  /** Only classes with an instance in a file matching this glob (relative to its folder). */
  readonly pathGlob?: string;
}

const IGNORED_KEY = 'astrolabe.clones.ignored';
const TYPE_NAMES: Record<CloneType, string> = { 1: 'copies', 2: 'renamed copies', 3: 'edited copies', 4: 'similar code' };

/**
 * The Clones view: clone classes, largest first, each with its instances (click to open; pick two to
 * compare). Filters by type and path; classes the person chose to ignore stay hidden in this workspace.
 */
export class ClonesView implements vscode.TreeDataProvider<CloneItem>, vscode.Disposable {
  private readonly changed = new vscode.EventEmitter<void>();
  readonly onDidChangeTreeData = this.changed.event;
  private results: readonly FolderClones[] | undefined;
  private problem: string | undefined;
  private filterValue: CloneFilter = { types: CLONE_TYPES };

  constructor(private readonly state: vscode.Memento) {}

  get filter(): CloneFilter {
    return this.filterValue;
  }

  /** Whether a search has been run: then results are refreshed as the index changes. */
  get hasResults(): boolean {
    return this.results !== undefined;
  }

  show(results: readonly FolderClones[]): void {
    this.results = results;
    this.problem = undefined;
    this.changed.fire();
  }

  showProblem(text: string): void {
    this.problem = text;
    this.changed.fire();
  }

  setFilter(filter: CloneFilter): void {
    this.filterValue = filter;
    this.changed.fire();
  }

  async ignore(shown: ShownClass): Promise<void> {
    await this.state.update(IGNORED_KEY, [...new Set([...this.ignoredKeys(), shown.key])]);
    this.changed.fire();
  }

  async clearIgnored(): Promise<number> {
    const count = this.ignoredKeys().length;
    await this.state.update(IGNORED_KEY, []);
    this.changed.fire();
    return count;
  }

  private ignoredKeys(): string[] {
    return this.state.get<string[]>(IGNORED_KEY, []);
  }

  /** The classes shown now: filtered, ignored ones left out, largest first across folders. */
  visibleClasses(): ShownClass[] {
    const ignored = new Set(this.ignoredKeys());
    const matches = this.filterValue.pathGlob ? picomatch(this.filterValue.pathGlob, { dot: true }) : undefined;
    return (this.results ?? [])
      .flatMap(({ folder, clones }) => clones.classes.map((cloneClass) => ({ folder, cloneClass, key: classKey(cloneClass) })))
      .filter(({ cloneClass, key }) => !ignored.has(key) && this.filterValue.types.includes(cloneClass.type) && (!matches || cloneClass.instances.some((instance) => matches(instance.file))))
      .sort((a, b) => b.cloneClass.lines - a.cloneClass.lines);
  }

  getChildren(item?: CloneItem): CloneItem[] {
    if (!item) {
      if (this.problem) return [{ type: 'message', text: this.problem }];
      if (!this.results) return [{ type: 'message', text: 'Run Astrolabe: Find Clones' }];
      const classes = this.visibleClasses();
      const notes = this.results.flatMap(({ folder, clones }) => (clones.type4Problem ? [{ type: 'message' as const, text: `${folder.name}: ${clones.type4Problem}` }] : []));
      if (classes.length === 0) return [...notes, { type: 'message', text: 'No clones found' }];
      return [...notes, ...classes.map((shown, index) => ({ type: 'class' as const, shown, index }))];
    }
    if (item.type !== 'class') return [];
    return item.shown.cloneClass.instances.map((instance) => ({ type: 'instance', shown: item.shown, instance }));
  }

  getTreeItem(item: CloneItem): vscode.TreeItem {
    if (item.type === 'message') return new vscode.TreeItem(item.text);
    if (item.type === 'class') {
      const { cloneClass } = item.shown;
      const tree = new vscode.TreeItem(`Type ${cloneClass.type}: ${cloneClass.instances.length} × ${TYPE_NAMES[cloneClass.type]}`, vscode.TreeItemCollapsibleState.Collapsed);
      tree.description = `${cloneClass.lines} lines${cloneClass.type === 1 ? '' : `, similarity ${cloneClass.similarity.toFixed(2)}`}`;
      tree.tooltip = cloneClass.instances.map((instance) => `${instance.file}:${instance.startLine}-${instance.endLine}`).join('\n');
      tree.contextValue = 'cloneClass';
      tree.iconPath = new vscode.ThemeIcon('copy');
      tree.id = `${item.shown.folder.uri.toString()}#${item.shown.key}#${item.index}`;
      return tree;
    }
    const { instance, shown } = item;
    const tree = new vscode.TreeItem(`${instance.file}:${instance.startLine}-${instance.endLine}`);
    tree.description = instance.unit ? `${instance.unit.kind} ${instance.unit.name}` : `${instance.tokens} tokens`;
    tree.contextValue = 'cloneInstance';
    tree.resourceUri = vscode.Uri.joinPath(shown.folder.uri, instance.file);
    tree.command = { command: 'astrolabe.revealUnit', title: 'Open', arguments: [tree.resourceUri, instance.startLine, instance.endLine] };
    return tree;
  }

  /** The view as plain labels, for tests. */
  render(): ViewNode[] {
    return this.getChildren().map((item) => {
      const tree = this.getTreeItem(item);
      return {
        label: String(tree.label),
        description: typeof tree.description === 'string' ? tree.description : undefined,
        children: this.getChildren(item).map((child) => {
          const childTree = this.getTreeItem(child);
          return { label: String(childTree.label), description: typeof childTree.description === 'string' ? childTree.description : undefined, children: [] };
        }),
      };
    });
  }

  dispose(): void {
    this.changed.dispose();
  }
}

/**
 * What "ignore this class" remembers: its type and its instances' files and units, not line numbers,
 * so the class stays ignored when code above it moves.
 */
export function classKey(cloneClass: CloneClass): string {
  const parts = cloneClass.instances.map((instance) => `${instance.file}#${instance.unit ? `${instance.unit.kind} ${instance.unit.name}` : instance.endLine - instance.startLine}`).sort();
  return createHash('sha256').update(`${cloneClass.type}\n${parts.join('\n')}`).digest('hex').slice(0, 24);
}
