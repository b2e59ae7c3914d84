import * as vscode from 'vscode';
import { IndexCancelledError } from '../core/index/indexWorkerClient';
import { showCloneDiagnostics } from './cloneDiagnostics';
import { ClonesView } from './clonesView';
import { CodeSearch, FolderClones } from './codeSearch';
import { cloneDiagnosticSeverity, cloneSettingsFromConfig } from './settings';

const REFRESH_DEBOUNCE_MS = 2000;

/**
 * Runs clone detection in each folder's index worker, shows the classes in the Clones view and,
 * when turned on, as diagnostics; once run, it refreshes whenever the index changes.
 */
export class CloneDetection implements vscode.Disposable {
  private readonly diagnostics = vscode.languages.createDiagnosticCollection('astrolabe-clones');
  private readonly subscriptions: vscode.Disposable[];
  private refreshTimer: NodeJS.Timeout | undefined;
  private running: Promise<FolderClones[] | undefined> | undefined;

  constructor(private readonly search: CodeSearch, private readonly view: ClonesView, private readonly log: vscode.LogOutputChannel) {
    this.subscriptions = [
      this.diagnostics,
      search.onDidChangeIndex(() => this.refreshSoon()),
      view.onDidChangeTreeData(() => this.showDiagnostics()),
      vscode.workspace.onDidChangeConfiguration((event) => {
        if (event.affectsConfiguration('astrolabe.clones.diagnostics')) this.showDiagnostics();
        else if (event.affectsConfiguration('astrolabe.clones')) this.refreshSoon();
      }),
    ];
  }

  /** Finds clones in every folder (Notification: cancellable progress; Window: a quiet refresh). */
  find(location: vscode.ProgressLocation = vscode.ProgressLocation.Notification): Promise<FolderClones[] | undefined> {
    // One search at a time: a second request waits for the first, then runs with the settings of then.
    const previous = this.running ?? Promise.resolve(undefined);
    const next = previous.catch(() => undefined).then(() => this.findNow(location));
    this.running = next;
    return next;
  }

  private async findNow(location: vscode.ProgressLocation): Promise<FolderClones[] | undefined> {
    let settings;
    try {
      settings = cloneSettingsFromConfig();
    } catch (error) {
      throw new Error(`astrolabe.clones settings: ${error instanceof Error ? error.message : String(error)}`);
    }
    return vscode.window.withProgress({ location, title: 'Astrolabe: finding clones', cancellable: location === vscode.ProgressLocation.Notification }, async (_progress, token) => {
      const cancel = token.onCancellationRequested(() => this.search.cancel());
      try {
        const results = await this.search.clones(settings);
        this.view.show(results);
        for (const { folder, clones } of results) {
          this.log.info(`${folder.name}: ${clones.classes.length} clone classes in ${clones.files} files, ${clones.lines} lines, in ${clones.seconds.toFixed(1)} s`);
          if (clones.type4Problem) this.log.warn(`${folder.name}: ${clones.type4Problem}`);
        }
        return results;
      } catch (error) {
        if (error instanceof IndexCancelledError) {
          this.log.info('clone search cancelled');
          return undefined;
        }
        this.view.showProblem(`Clone search failed: ${error instanceof Error ? error.message : String(error)}`);
        throw error;
      } finally {
        cancel.dispose();
      }
    });
  }

  private refreshSoon(): void {
    if (!this.view.hasResults) return;
    clearTimeout(this.refreshTimer);
    this.refreshTimer = setTimeout(() => {
      this.find(vscode.ProgressLocation.Window).catch((error: unknown) => this.log.warn(`clone refresh failed: ${error instanceof Error ? error.message : String(error)}`));
    }, REFRESH_DEBOUNCE_MS);
  }

  private showDiagnostics(): void {
    showCloneDiagnostics(this.diagnostics, this.view.visibleClasses(), cloneDiagnosticSeverity());
  }

  dispose(): void {
    clearTimeout(this.refreshTimer);
    for (const subscription of this.subscriptions) subscription.dispose();
  }
}
