import { createHash } from 'node:crypto';
import * as vscode from 'vscode';
import { IndexCancelledError, IndexWorkerClient } from '../core/index/indexWorkerClient';
import { QueryRequest, WorkerClones, WorkerHit } from '../core/index/indexWorkerProtocol';
import { CloneSettings } from '../core/clones/cloneSettings';
import { languageForEditorId } from '../core/parse/languages';
import { SearchMode } from '../core/search/searchIndex';
import { editorCode } from './editorCode';
import { OpenDocuments } from './openDocuments';
import { SearchResultsView } from './searchResultsView';
import { scanOptionsFor } from './settings';

/** A folder's clone search results. */
export interface FolderClones {
  readonly folder: vscode.WorkspaceFolder;
  readonly clones: WorkerClones;
}

/** A search result in a workspace folder. */
export interface CodeHit extends WorkerHit {
  readonly uri: vscode.Uri;
}

const UPDATE_DEBOUNCE_MS = 1500;
const QUERY_DEBOUNCE_MS = 150;

/**
 * Search by meaning and by words over the workspace: one index worker per folder (indexing and queries
 * never run on the extension host's main thread), kept fresh by a file watcher, queried by the
 * Search Code and Find Similar Code commands.
 */
export class CodeSearch implements vscode.Disposable {
  private readonly clients = new Map<string, { folder: vscode.WorkspaceFolder; client: IndexWorkerClient; updating?: Promise<void> }>();
  private subscriptions: vscode.Disposable[] = [];
  private updateTimer: NodeJS.Timeout | undefined;
  private firstIndexing: Promise<void> | undefined;

  constructor(
    private readonly context: vscode.ExtensionContext,
    private readonly encoderFolder: () => string,
    private readonly documents: OpenDocuments,
    private readonly results: SearchResultsView,
    private readonly log: vscode.LogOutputChannel,
  ) {}

  get enabled(): boolean {
    return vscode.workspace.getConfiguration('astrolabe').get<boolean>('indexing.enabled', true);
  }

  /** Starts the workers and the first indexing (shown with counts, cancellable), then watches for changes. */
  start(): Promise<void> {
    if (!this.enabled) {
      this.log.info('indexing is off (astrolabe.indexing.enabled)');
      return Promise.resolve();
    }
    for (const folder of vscode.workspace.workspaceFolders?.filter((candidate) => candidate.uri.scheme === 'file') ?? []) {
      const storage = this.context.storageUri ?? this.context.globalStorageUri;
      const key = createHash('sha256').update(folder.uri.fsPath).digest('hex').slice(0, 16);
      const client = new IndexWorkerClient(this.context.asAbsolutePath('dist/indexWorker.js'), {
        root: folder.uri.fsPath,
        indexDir: vscode.Uri.joinPath(storage, 'index', key).fsPath,
        modelDir: this.encoderFolder(),
        grammarsDir: this.context.asAbsolutePath('grammars'),
        options: scanOptionsFor(folder),
        dimension: vscode.workspace.getConfiguration('astrolabe').get<number>('indexing.dimension'),
        threads: 1,
      }, () => undefined);
      this.clients.set(folder.uri.toString(), { folder, client });
    }
    const watcher = vscode.workspace.createFileSystemWatcher('**/*');
    const changed = (): void => {
      clearTimeout(this.updateTimer);
      this.updateTimer = setTimeout(() => void this.updateAll(vscode.ProgressLocation.Window), UPDATE_DEBOUNCE_MS);
    };
    this.subscriptions.push(watcher, watcher.onDidChange(changed), watcher.onDidCreate(changed), watcher.onDidDelete(changed));
    this.firstIndexing = this.updateAll(vscode.ProgressLocation.Notification);
    return this.firstIndexing;
  }

  /** Stops the workers and watcher, then starts again with the current settings (turned off: stays off). */
  async restart(): Promise<void> {
    this.stop();
    await this.start();
  }

  private stop(): void {
    clearTimeout(this.updateTimer);
    for (const subscription of this.subscriptions) subscription.dispose();
    this.subscriptions = [];
    for (const { client } of this.clients.values()) void client.dispose();
    this.clients.clear();
    this.firstIndexing = undefined;
  }

  /** Resolves when the first indexing has finished (or failed, or was cancelled). */
  whenIndexed(): Promise<void> {
    return this.firstIndexing ?? Promise.resolve();
  }

  /** Cancels what the folders' workers are doing now (an update or a clone search). */
  cancel(): void {
    for (const { client } of this.clients.values()) client.cancel();
  }

  private readonly indexChanged = new vscode.EventEmitter<void>();
  /** Fires when an update changed some folder's index (files parsed or removed): clone results may be stale. */
  readonly onDidChangeIndex = this.indexChanged.event;

  private async updateAll(location: vscode.ProgressLocation): Promise<void> {
    let changed = false;
    await vscode.window.withProgress({ location, title: 'Astrolabe: indexing', cancellable: location === vscode.ProgressLocation.Notification }, async (progress, token) => {
      for (const entry of this.clients.values()) {
        const cancel = token.onCancellationRequested(() => entry.client.cancel());
        try {
          const ready = await entry.client.ready;
          if (ready.rebuilt) this.log.info(`${entry.folder.name}: rebuilding the index (${ready.rebuilt})`);
          if (ready.encoderProblem) this.log.warn(`${entry.folder.name}: the encoder did not load (${ready.encoderProblem}); search works by words only until it does`);
          const wanted = vscode.workspace.getConfiguration('astrolabe').get<number>('indexing.dimension');
          if (ready.encoderProblem === undefined && wanted !== undefined && ready.dimension !== wanted) {
            this.log.warn(`${entry.folder.name}: the encoder ${ready.modelId} has no ${wanted}-dimension embedding (astrolabe.indexing.dimension); indexing at ${ready.dimension}`);
          }
          progress.report({ message: `${entry.folder.name}: ${ready.modelId}` });
          const result = await entry.client.update();
          changed ||= result.parsed + result.removed > 0;
          this.log.info(`${entry.folder.name}: ${result.files} files, ${result.units} units indexed; parsed ${result.parsed}, embedded ${result.embedded}, removed ${result.removed}`);
        } catch (error) {
          if (error instanceof IndexCancelledError) this.log.info(`${entry.folder.name}: indexing cancelled; what was embedded is kept, the next update goes on from there`);
          else this.log.warn(`${entry.folder.name}: search index unavailable: ${error instanceof Error ? error.message : String(error)}`);
        } finally {
          cancel.dispose();
        }
      }
    });
    if (changed) this.indexChanged.fire();
  }

  /** Searches every folder; results best first. */
  async search(query: string, mode: SearchMode = 'hybrid', k = 20): Promise<CodeHit[]> {
    const request: QueryRequest = { k, mode };
    const hits = await Promise.all([...this.clients.values()].map(async ({ folder, client }) => (await client.search(query, request)).map((hit) => toCodeHit(folder, hit))));
    return hits.flat().sort((a, b) => b.score - a.score).slice(0, k);
  }

  /** Code like `text` (in `languageId`), across every folder. */
  async similar(text: string, editorLanguageId: string, k = 20): Promise<CodeHit[]> {
    const language = languageForEditorId(editorLanguageId)?.id;
    if (!language) throw new Error(`Astrolabe does not parse ${editorLanguageId}`);
    const hits = await Promise.all([...this.clients.values()].map(async ({ folder, client }) => (await client.similar(text, language, { k, mode: 'vector' })).map((hit) => toCodeHit(folder, hit))));
    return hits.flat().sort((a, b) => b.score - a.score).slice(0, k);
  }

  /**
   * Clones in every folder, found by each folder's index worker (after any update in flight, with the
   * index's embeddings for Type 4), so the editor never blocks on them.
   */
  async clones(settings: CloneSettings): Promise<FolderClones[]> {
    if (this.clients.size === 0) throw new Error(this.enabled ? 'no workspace folder to look for clones in' : 'clone detection runs with the index, which is off (astrolabe.indexing.enabled)');
    return Promise.all([...this.clients.values()].map(async ({ folder, client }) => ({ folder, clones: await client.clones(settings) })));
  }

  /** Searches and shows the results in the Search view (for a query given to the command). */
  async searchAndShow(query: string, mode: SearchMode = 'hybrid'): Promise<CodeHit[]> {
    const hits = await this.search(query, mode);
    this.results.show(`"${query}"`, hits);
    return hits;
  }

  /** The Search Code quick pick: results update as you type; Enter opens the unit. */
  async showSearchPick(): Promise<void> {
    if (this.clients.size === 0) throw new Error(this.enabled ? 'no workspace folder to search' : 'indexing is off (astrolabe.indexing.enabled)');
    const pick = vscode.window.createQuickPick<HitItem>();
    pick.placeholder = 'Search code by meaning or by words, e.g. "read a file line by line"';
    pick.matchOnDescription = false;
    pick.matchOnDetail = false;
    let timer: NodeJS.Timeout | undefined;
    let generation = 0;
    pick.onDidChangeValue((value) => {
      clearTimeout(timer);
      const current = ++generation;
      if (!value.trim()) { pick.items = []; return; }
      timer = setTimeout(async () => {
        pick.busy = true;
        try {
          const hits = await this.search(value);
          if (current === generation) {
            pick.items = await Promise.all(hits.map(hitItem));
            this.results.show(`"${value}"`, hits);
          }
        } catch (error) {
          this.log.warn(`search failed: ${String(error)}`);
        } finally {
          if (current === generation) pick.busy = false;
        }
      }, QUERY_DEBOUNCE_MS);
    });
    await this.showPick(pick);
  }

  /** Find Similar Code: on the selection, or the code unit under the cursor. */
  async showSimilarPick(): Promise<void> {
    const editor = vscode.window.activeTextEditor;
    if (!editor) throw new Error('open a file and select code (or put the cursor in a function) to find code like it');
    const code = await editorCode(editor, this.documents, 'find code like it');
    const text = code.text;
    const origin = code.unit ? { line: code.unit.startLine } : undefined;
    const hits = (await this.similar(text, editor.document.languageId)).filter((hit) => !(origin && hit.uri.toString() === editor.document.uri.toString() && hit.startLine === origin.line));
    this.results.show(`code like ${origin ? `the unit at line ${origin.line}` : 'the selection'} in ${vscode.workspace.asRelativePath(editor.document.uri)}`, hits);
    const pick = vscode.window.createQuickPick<HitItem>();
    pick.placeholder = `${hits.length} units like the ${origin ? 'one under the cursor' : 'selection'}`;
    pick.items = await Promise.all(hits.map(hitItem));
    await this.showPick(pick);
  }

  private showPick(pick: vscode.QuickPick<HitItem>): Promise<void> {
    return new Promise((resolve) => {
      pick.onDidAccept(async () => {
        const hit = pick.selectedItems[0]?.hit;
        pick.hide();
        if (hit) await vscode.commands.executeCommand('astrolabe.revealUnit', hit.uri, hit.startLine, hit.endLine);
      });
      pick.onDidHide(() => { pick.dispose(); resolve(); });
      pick.show();
    });
  }

  dispose(): void {
    this.stop();
    this.indexChanged.dispose();
  }
}

interface HitItem extends vscode.QuickPickItem {
  readonly hit: CodeHit;
}

function toCodeHit(folder: vscode.WorkspaceFolder, hit: WorkerHit): CodeHit {
  return { ...hit, uri: vscode.Uri.joinPath(folder.uri, hit.file) };
}

async function hitItem(hit: CodeHit): Promise<HitItem> {
  return {
    label: `$(${hit.kind === 'method' ? 'symbol-method' : hit.kind === 'function' ? 'symbol-function' : 'symbol-class'}) ${hit.name}`,
    description: `${vscode.workspace.asRelativePath(hit.uri)}:${hit.startLine}  ·  ${hit.score.toFixed(3)}`,
    detail: await preview(hit),
    alwaysShow: true,
    hit,
  };
}

/** The unit's first line of code (past comments and decorators), from the file as it is on disk. */
async function preview(hit: CodeHit): Promise<string> {
  try {
    const lines = Buffer.from(await vscode.workspace.fs.readFile(hit.uri)).toString('utf8').split('\n').slice(hit.startLine - 1, hit.endLine);
    const code = lines.map((line) => line.trim()).find((line) => line && !/^(\/\/|#|\/\*|\*|@)/.test(line));
    return (code ?? lines[0]?.trim() ?? '').slice(0, 160);
  } catch {
    return `${hit.kind}, lines ${hit.startLine}-${hit.endLine}`;
  }
}
