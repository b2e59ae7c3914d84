import * as vscode from 'vscode';
import { CLONE_TYPES, CloneType } from '../core/clones/cloneSettings';
import { compareInstances } from './cloneDiff';
import { CloneDetection } from './cloneDetection';
import { CloneItem, ClonesView } from './clonesView';
import { CodeSearch } from './codeSearch';
import { InlineCompletions } from './inlineCompletions';
import { ProbePanel } from './probePanel';
import { checkEncoder } from './encoderStatus';
import { SearchMode } from '../core/search/searchIndex';
import { WorkspaceScan } from './workspaceScan';

export interface CommandContext {
  readonly scan: WorkspaceScan;
  readonly log: vscode.LogOutputChannel;
  /** The encoder folder in effect (setting or bundled). */
  readonly encoderFolder: () => string;
  readonly search: CodeSearch;
  readonly clones: CloneDetection;
  readonly clonesView: ClonesView;
  readonly probe: ProbePanel;
  readonly completions: InlineCompletions;
}

type CommandTable = Record<string, (context: CommandContext, ...args: never[]) => unknown>;

/** Every command, keyed by id: each a small function over the context. */
const COMMANDS = {
  'astrolabe.rescanWorkspace': ({ scan }) => scan.scan(vscode.ProgressLocation.Notification),
  'astrolabe.revealUnit': async (_context, uri: vscode.Uri, startLine: number, endLine: number) => {
    const editor = await vscode.window.showTextDocument(uri, { preserveFocus: false });
    const range = new vscode.Range(startLine - 1, 0, endLine - 1, editor.document.lineAt(Math.min(endLine, editor.document.lineCount) - 1).text.length);
    editor.selection = new vscode.Selection(range.start, range.start);
    editor.revealRange(range, vscode.TextEditorRevealType.InCenterIfOutsideViewport);
  },
  'astrolabe.showLog': ({ log }) => log.show(),
  // With a query (from another extension or a test), returns the hits instead of opening the picker.
  'astrolabe.searchCode': async ({ search }, query?: string, mode?: SearchMode) => (query === undefined ? search.showSearchPick() : search.searchAndShow(query, mode)),
  'astrolabe.findSimilar': ({ search }) => search.showSimilarPick(),
  // Returns the classes found per folder (for tests and other extensions).
  'astrolabe.findClones': async ({ clones }) => (await clones.find())?.map(({ folder, clones: found }) => ({ folder: folder.name, classes: found.classes.length })),
  'astrolabe.filterClones': async ({ clonesView }) => {
    const current = clonesView.filter;
    const picked = await vscode.window.showQuickPick(CLONE_TYPES.map((type) => ({ label: `Type ${type}`, type, picked: current.types.includes(type) })), { canPickMany: true, title: 'Clone types to show' });
    if (!picked) return;
    const pathGlob = await vscode.window.showInputBox({ title: 'Only clones in files matching (glob, relative to the folder; empty: all)', value: current.pathGlob ?? '', placeHolder: 'src/**' });
    if (pathGlob === undefined) return;
    clonesView.setFilter({ types: picked.map((item) => item.type as CloneType), pathGlob: pathGlob.trim() || undefined });
  },
  // From the view: the clicked item and, with several selected, all of them.
  'astrolabe.compareClones': async (_context, item?: CloneItem, selected?: CloneItem[]) => {
    const instances = (selected && selected.length > 1 ? selected : item ? [item] : []).filter((each): each is Extract<CloneItem, { type: 'instance' }> => each.type === 'instance');
    if (instances.length === 2) return compareInstances(instances[0]!.shown.folder, instances[0]!.instance, instances[1]!.instance);
    const shown = item && item.type !== 'message' ? item.shown : undefined;
    if (!shown) throw new Error('select a clone class, or two clone instances, to compare');
    const [first, second] = item?.type === 'instance' ? [item.instance, shown.cloneClass.instances.find((other) => other !== item.instance)] : shown.cloneClass.instances;
    if (!first || !second) throw new Error('this clone class has a single instance');
    return compareInstances(shown.folder, first, second);
  },
  'astrolabe.ignoreCloneClass': async ({ clonesView }, item?: CloneItem) => {
    if (item?.type !== 'class') throw new Error('pick a clone class in the Clones view to ignore');
    await clonesView.ignore(item.shown);
  },
  'astrolabe.clearIgnoredClones': async ({ clonesView }) => {
    const count = await clonesView.clearIgnored();
    void vscode.window.showInformationMessage(`Astrolabe: ${count} ignored clone ${count === 1 ? 'class is' : 'classes are'} shown again`);
  },
  // Returns what the webview shows (for tests and other extensions).
  'astrolabe.probeSyntax': ({ probe }) => probe.probeEditor(),
  'astrolabe.explainCompletion': ({ completions }) => completions.explain(),
  'astrolabe.checkEncoder': async ({ log, encoderFolder }) => {
    const summary = await checkEncoder(encoderFolder(), log);
    void vscode.window.showInformationMessage(`Astrolabe: ${summary}`);
    return summary;
  },
} satisfies CommandTable;

export function registerCommands(context: CommandContext): vscode.Disposable[] {
  return Object.entries(COMMANDS).map(([id, command]) =>
    vscode.commands.registerCommand(id, async (...args: unknown[]) => {
      try {
        return await (command as (context: CommandContext, ...rest: unknown[]) => unknown)(context, ...args);
      } catch (error) {
        reportError(context.log, id, error);
        return undefined;
      }
    }),
  );
}

/** Errors end here: the whole story in the log, a short message with a way to it for the person. */
export function reportError(log: vscode.LogOutputChannel, what: string, error: unknown): void {
  log.error(`${what} failed:`, error instanceof Error ? error : String(error));
  const message = error instanceof Error ? error.message : String(error);
  void vscode.window.showErrorMessage(`Astrolabe: ${message}`, 'Show Log').then((choice) => {
    if (choice === 'Show Log') log.show();
  });
}
