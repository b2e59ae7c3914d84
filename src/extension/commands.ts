import * as vscode from 'vscode';
import { CodeSearch } from './codeSearch';
import { checkEncoder } from './encoderStatus';
import { SearchMode } from '../core/search/searchIndex';
import { WorkspaceScan } from './workspaceScan';

export interface CommandContext {
  readonly scan: WorkspaceScan;
  readonly log: vscode.LogOutputChannel;
  /** The encoder folder in effect (setting or bundled). */
  readonly encoderFolder: () => string;
  readonly search: CodeSearch;
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
