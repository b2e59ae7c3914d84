import * as vscode from 'vscode';
import { mergeReports, ScanReport } from '../core/scan/scanReport';
import { ScanCancelledError, scanInWorker } from '../core/scan/scanInWorker';
import { ScanSummary } from './api';
import { scanOptionsFor } from './settings';

/**
 * Scans the workspace folders in a worker thread (the extension host stays responsive), one scan at a
 * time: a new request cancels the one running. Keeps the last report for the view and status bar.
 */
export class WorkspaceScan implements vscode.Disposable {
  private readonly changed = new vscode.EventEmitter<void>();
  readonly onDidChange = this.changed.event;
  private running: { abort: AbortController; done: Promise<ScanSummary | undefined> } | undefined;
  private report: ScanReport | undefined;
  private progressText: string | undefined;

  constructor(private readonly workerScript: string, private readonly grammarsDir: string, private readonly log: vscode.LogOutputChannel) {}

  get lastReport(): ScanReport | undefined {
    return this.report;
  }

  /** "120 files seen, 100 parsed" while a scan runs. */
  get progress(): string | undefined {
    return this.progressText;
  }

  /** Starts a scan (cancelling any running one) with progress at `location`; resolves with its summary, or undefined if cancelled. */
  scan(location: vscode.ProgressLocation): Promise<ScanSummary | undefined> {
    this.running?.abort.abort();
    const abort = new AbortController();
    const done = Promise.resolve(vscode.window.withProgress(
      { location, title: 'Astrolabe: scanning workspace', cancellable: location === vscode.ProgressLocation.Notification },
      async (progress, token) => {
        token.onCancellationRequested(() => abort.abort());
        return this.run(abort, (message) => progress.report({ message }));
      },
    ));
    this.running = { abort, done };
    return done;
  }

  private async run(abort: AbortController, report: (message: string) => void): Promise<ScanSummary | undefined> {
    const folders = vscode.workspace.workspaceFolders?.filter((folder) => folder.uri.scheme === 'file') ?? [];
    const started = Date.now();
    const reports: ScanReport[] = [];
    try {
      // Settings are per folder (files.exclude may differ), so each folder is one worker request.
      for (const folder of folders) {
        const folderReport = await scanInWorker(
          this.workerScript,
          { roots: [{ name: folder.name, path: folder.uri.fsPath }], options: scanOptionsFor(folder), grammarsDir: this.grammarsDir },
          (progress) => {
            this.progressText = `${progress.seen} files seen, ${progress.parsed} parsed, ${progress.units} units`;
            report(folders.length > 1 ? `${folder.name}: ${this.progressText}` : this.progressText);
            this.changed.fire();
          },
          abort.signal,
        );
        reports.push(folderReport);
      }
    } catch (error) {
      if (error instanceof ScanCancelledError) {
        this.log.info('scan cancelled');
        return undefined;
      }
      throw error;
    } finally {
      this.progressText = undefined;
      if (this.running?.abort === abort) this.running = undefined;
      this.changed.fire();
    }
    this.report = mergeReports(reports);
    this.log.info(`scan of ${folders.length} folder(s) in ${Date.now() - started} ms: ${this.report.seen} seen, ${this.report.parsed} parsed, ${this.report.units} units, skipped ${JSON.stringify(this.report.skipped)}`);
    for (const skip of this.report.skippedFiles) this.log.debug(`skipped ${skip.root}/${skip.file}: ${skip.reason} (${skip.detail})`);
    this.changed.fire();
    return summarize(this.report);
  }

  dispose(): void {
    this.running?.abort.abort();
    this.changed.dispose();
  }
}

export function summarize(report: ScanReport): ScanSummary {
  return { seen: report.seen, parsed: report.parsed, skipped: { ...report.skipped } as Record<string, number>, units: report.units };
}
