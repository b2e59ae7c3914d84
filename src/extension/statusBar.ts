import * as vscode from 'vscode';
import { WorkspaceScan } from './workspaceScan';

/** The status bar item: the unit count, a spinner with counts while scanning; click to open the view. */
export class ScanStatusBar implements vscode.Disposable {
  private readonly item = vscode.window.createStatusBarItem('astrolabe.status', vscode.StatusBarAlignment.Left, 10);
  private readonly subscription: vscode.Disposable;

  constructor(private readonly scan: WorkspaceScan) {
    this.item.name = 'Astrolabe';
    this.item.command = 'astrolabe.codeUnits.focus';
    this.subscription = scan.onDidChange(() => this.update());
    this.update();
    this.item.show();
  }

  private update(): void {
    const report = this.scan.lastReport;
    if (this.scan.progress) {
      this.item.text = `$(sync~spin) ${this.scan.progress}`;
      this.item.tooltip = 'Astrolabe is scanning the workspace';
    } else if (report) {
      this.item.text = `$(compass) ${report.units} units`;
      const skipped = Object.entries(report.skipped).map(([reason, count]) => `${reason} ${count}`).join(', ');
      this.item.tooltip = `Astrolabe: ${report.seen} files seen, ${report.parsed} parsed, ${report.units} code units${skipped ? `; skipped: ${skipped}` : ''}`;
    } else {
      this.item.text = '$(compass) Astrolabe';
      this.item.tooltip = 'Astrolabe: not scanned yet';
    }
  }

  dispose(): void {
    this.subscription.dispose();
    this.item.dispose();
  }
}
