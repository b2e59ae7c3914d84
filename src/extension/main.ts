// The extension's composition root: builds the pieces, wires them to VS Code, and nothing else.
import * as vscode from 'vscode';
import { TreeSitterRuntime } from '../core/parse/treeSitterRuntime';
import { AstrolabeApi } from './api';
import { CLONE_RANGE_SCHEME, CloneRangeDocuments } from './cloneDiff';
import { CloneDetection } from './cloneDetection';
import { ClonesView } from './clonesView';
import { CodeSearch } from './codeSearch';
import { InlineCompletions } from './inlineCompletions';
import { ProbePanel } from './probePanel';
import { CodeUnitsView } from './codeUnitsView';
import { SearchResultsView } from './searchResultsView';
import { registerCommands, reportError } from './commands';
import { encoderFolder } from './encoderStatus';
import { OpenDocuments } from './openDocuments';
import { SCAN_SETTINGS } from './settings';
import { ScanStatusBar } from './statusBar';
import { summarize, WorkspaceScan } from './workspaceScan';

export function activate(context: vscode.ExtensionContext): AstrolabeApi {
  const log = vscode.window.createOutputChannel('Astrolabe', { log: true });
  const grammarsDir = context.asAbsolutePath('grammars');
  let runtime: Promise<TreeSitterRuntime> | undefined;
  const treeSitter = (): Promise<TreeSitterRuntime> => (runtime ??= TreeSitterRuntime.create(grammarsDir));

  const scan = new WorkspaceScan(context.asAbsolutePath('dist/scanWorker.js'), grammarsDir, log);
  const documents = new OpenDocuments(treeSitter, log);
  const view = new CodeUnitsView(scan, documents);
  const results = new SearchResultsView();
  const search = new CodeSearch(context, () => encoderFolder(context), documents, results, log);
  const clonesView = new ClonesView(context.workspaceState);
  const clones = new CloneDetection(search, clonesView, log);
  const probe = new ProbePanel(context.extensionUri, () => encoderFolder(context), treeSitter, documents);
  const completions = new InlineCompletions(context.asAbsolutePath('models/completion'), log);
  const rescanInBackground = (): void => {
    scan.scan(vscode.ProgressLocation.Window).catch((error: unknown) => reportError(log, 'workspace scan', error));
  };
  let settingsTimer: NodeJS.Timeout | undefined;

  context.subscriptions.push(
    log,
    scan,
    documents,
    view,
    new ScanStatusBar(scan),
    vscode.window.registerTreeDataProvider('astrolabe.codeUnits', view),
    ...registerCommands({ scan, log, encoderFolder: () => encoderFolder(context), search, clones, clonesView, probe, completions }),
    probe,
    completions,
    vscode.languages.registerInlineCompletionItemProvider(completions.documentSelector(), completions),
    search,
    clonesView,
    clones,
    vscode.window.createTreeView('astrolabe.clones', { treeDataProvider: clonesView, canSelectMany: true }),
    vscode.workspace.registerTextDocumentContentProvider(CLONE_RANGE_SCHEME, new CloneRangeDocuments()),
    results,
    vscode.window.registerTreeDataProvider('astrolabe.searchResults', results),
    vscode.workspace.onDidChangeWorkspaceFolders(rescanInBackground),
    vscode.workspace.onDidChangeConfiguration((event) => {
      // Turning indexing off stops it now; another encoder means another index.
      if (['astrolabe.indexing.enabled', 'astrolabe.indexing.dimension', 'astrolabe.encoder.path'].some((setting) => event.affectsConfiguration(setting))) void search.restart();
      if (event.affectsConfiguration('astrolabe.encoder.path')) probe.reset();
      if (!SCAN_SETTINGS.some((setting) => event.affectsConfiguration(setting))) return;
      clearTimeout(settingsTimer);
      settingsTimer = setTimeout(rescanInBackground, 500);
    }),
    { dispose: () => clearTimeout(settingsTimer) },
  );
  rescanInBackground();
  void search.start();
  log.info(`Astrolabe activated (grammars in ${grammarsDir})`);

  return {
    lastSummary: () => (scan.lastReport ? summarize(scan.lastReport) : undefined),
    rescan: () => scan.scan(vscode.ProgressLocation.Notification),
    codeUnitsTree: () => view.render(),
    whenIndexed: () => search.whenIndexed(),
    searchResultsTree: () => results.render(),
    clonesTree: () => clonesView.render(),
    lastCompletion: () => completions.lastCompletion && { file: completions.lastCompletion.file, text: completions.lastCompletion.completion.text, monitorTriggered: completions.lastCompletion.completion.monitorTriggered, legal: completions.lastCompletion.completion.events.flatMap((event) => event.legal) },
  };
}

export function deactivate(): void {
  // Everything is disposed through context.subscriptions.
}
