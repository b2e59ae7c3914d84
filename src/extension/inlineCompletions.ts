import * as vscode from 'vscode';
import { syntaxOf } from '../core/monitor/codeSyntax';
import { Completion, CompletionEngine } from '../core/monitor/completionEngine';
import { CompletionModel, readCompletionModelConfig } from '../core/monitor/completionModel';
import { LanguageId, LANGUAGES } from '../core/parse/languages';
import { documentName, EditorAnalysis } from './editorAnalysis';

/** The last suggestion made, kept for "Explain Completion": what the monitors allowed and why. */
export interface ShownCompletion {
  readonly file: string;
  readonly position: vscode.Position;
  readonly completion: Completion;
}

/**
 * Inline completions from Astrolabe's local code LM, guided by monitors that ask the editor's own
 * language features which members may follow `obj.` (monitor-guided decoding). Debounced, cancelled
 * when the person types on, bounded by `astrolabe.completion.maxLatencyMs`, and off with
 * `astrolabe.completion.enabled`. The model loads on first use and stays loaded.
 */
export class InlineCompletions implements vscode.InlineCompletionItemProvider, vscode.Disposable {
  private engine: Promise<CompletionEngine> | undefined;
  private readonly analysis = new EditorAnalysis();
  private readonly status = vscode.window.createStatusBarItem('astrolabe.completion', vscode.StatusBarAlignment.Right, 90);
  private last: ShownCompletion | undefined;
  private running = 0;

  constructor(private readonly modelFolder: string, private readonly log: vscode.LogOutputChannel) {
    this.status.name = 'Astrolabe completion';
    this.status.text = '$(loading~spin) Astrolabe';
    this.status.tooltip = 'Astrolabe is generating a completion';
  }

  /**
   * The documents to complete: those in the languages the model was trained on (its config says which),
   * saved or not. Every language Astrolabe parses where the config cannot be read: the model's load
   * error then reaches the log at the first completion.
   */
  documentSelector(): vscode.DocumentFilter[] {
    let languages: readonly LanguageId[] = LANGUAGES.map((language) => language.id);
    try {
      languages = readCompletionModelConfig(this.modelFolder).languages;
    } catch (error) {
      this.log.warn(`completion model: ${error instanceof Error ? error.message : String(error)}`);
    }
    const editorLanguageIds = LANGUAGES.filter((language) => languages.includes(language.id)).flatMap((language) => language.editorLanguageIds);
    return editorLanguageIds.flatMap((language) => [{ language, scheme: 'file' }, { language, scheme: 'untitled' }]);
  }

  get lastCompletion(): ShownCompletion | undefined {
    return this.last;
  }

  async provideInlineCompletionItems(document: vscode.TextDocument, position: vscode.Position, _context: vscode.InlineCompletionContext, token: vscode.CancellationToken): Promise<vscode.InlineCompletionItem[]> {
    const settings = vscode.workspace.getConfiguration('astrolabe.completion', document);
    if (!settings.get<boolean>('enabled', true)) return [];
    this.log.trace(`inline completion asked at ${vscode.workspace.asRelativePath(document.uri)}:${position.line + 1}:${position.character + 1}`);
    // Wait out fast typing: a newer keystroke cancels this request before the model runs.
    await new Promise((resolve) => setTimeout(resolve, settings.get<number>('debounceMs', 75)));
    if (token.isCancellationRequested) return [];
    const abort = new AbortController();
    const cancel = token.onCancellationRequested(() => abort.abort());
    let deadline: NodeJS.Timeout | undefined;
    this.running++;
    this.status.show();
    try {
      const engine = await (this.engine ??= this.load());
      // The time limit starts once the model is loaded: loading happens once, not per completion.
      deadline = setTimeout(() => abort.abort(), settings.get<number>('maxLatencyMs', 1000));
      const text = document.getText();
      const offset = document.offsetAt(position);
      const fileName = documentName(document);
      const completion = await engine.complete({ fileName, prefix: text.slice(0, offset), suffix: text.slice(offset), syntax: syntaxOf(fileName, document.languageId) }, abort.signal);
      if (completion.stoppedBy === 'cancelled') {
        this.log.trace(`completion cancelled or over its time limit after ${completion.latencyMs.toFixed(0)} ms`);
        return [];
      }
      this.last = { file: fileName, position, completion };
      this.log.trace(`completion ${JSON.stringify(completion.text)} in ${completion.latencyMs.toFixed(0)} ms${completion.monitorTriggered ? ', constrained by a monitor' : ''}`);
      if (token.isCancellationRequested || !completion.text.trim()) return [];
      return [new vscode.InlineCompletionItem(completion.text, new vscode.Range(position, position))];
    } catch (error) {
      if (!abort.signal.aborted) this.log.warn(`completion failed: ${error instanceof Error ? error.message : String(error)}`);
      else this.log.trace('completion cancelled or over its time limit');
      return [];
    } finally {
      if (deadline) clearTimeout(deadline);
      cancel.dispose();
      if (--this.running === 0) this.status.hide();
    }
  }

  private async load(): Promise<CompletionEngine> {
    try {
      const model = await CompletionModel.load(this.modelFolder, { threads: 2 });
      this.log.info(`completion model ${model.config.modelId} loaded from ${this.modelFolder}`);
      return new CompletionEngine(model, this.analysis);
    } catch (error) {
      this.engine = undefined; // try again next time (the model file may be fixed meanwhile)
      throw error;
    }
  }

  /** Says, in a document beside the editor, what constrained the last suggestion. */
  async explain(): Promise<string> {
    const last = this.last;
    const lines = last
      ? [
        `Last completion at ${vscode.workspace.asRelativePath(last.file)}:${last.position.line + 1}:${last.position.character + 1}: ${JSON.stringify(last.completion.text)}`,
        `${last.completion.tokens} tokens, ${last.completion.latencyMs.toFixed(0)} ms, stopped by ${last.completion.stoppedBy}.`,
        '',
        ...(last.completion.events.length === 0
          ? ['No monitor constrained it: the model chose every token freely.']
          : last.completion.events.flatMap((event) => [
            `${event.monitor} at generated offset ${event.at}: ${event.reason}`,
            `  allowed (${event.legal.length}${event.legal.length >= 50 ? '+' : ''}): ${event.legal.join(', ')}`,
          ])),
      ]
      : ['No completion has been suggested yet in this window.'];
    const text = lines.join('\n');
    const document = await vscode.workspace.openTextDocument({ language: 'markdown', content: text });
    await vscode.window.showTextDocument(document, { viewColumn: vscode.ViewColumn.Beside, preview: true, preserveFocus: true });
    return text;
  }

  dispose(): void {
    this.status.dispose();
    this.analysis.dispose();
    void this.engine?.then((engine) => engine.model.release()).catch(() => undefined);
  }
}
