import { randomBytes } from 'node:crypto';
import * as vscode from 'vscode';
import { languageForEditorId, LanguageId } from '../core/parse/languages';
import { TreeSitterRuntime } from '../core/parse/treeSitterRuntime';
import { AstProbe, ProbeResult } from '../core/probe/astProbe';
import { constituentsOf } from '../core/probe/constituents';
import { SyntaxTree } from '../core/probe/syntaxTree';
import { editorCode } from './editorCode';
import { OpenDocuments } from './openDocuments';

/** What the webview draws: both trees, the chosen layer's scores, and F1 at every layer for this code. */
export interface ProbeView {
  readonly title: string;
  readonly language: LanguageId;
  readonly layers: readonly number[];
  readonly bestLayer: number;
  readonly layer: number;
  readonly truth: SyntaxTree;
  readonly predicted: SyntaxTree;
  /** Constituents (label-first-last) of each tree that the other lacks: what the webview highlights. */
  readonly missed: readonly string[];
  readonly wrong: readonly string[];
  readonly score: ProbeResult['score'];
  readonly perLayer: readonly { readonly layer: number; readonly f1: number }[];
  readonly probeMs: number;
}

type FromWebview = { readonly type: 'layer'; readonly layer: number } | { readonly type: 'ready' };

/**
 * `Astrolabe: Probe Syntax of Selection`: recovers the syntax tree of the selected code (or the function
 * under the cursor) from the encoder's hidden states and shows it beside tree-sitter's, in a webview
 * that loads nothing from the network (strict Content-Security-Policy, scripts from the extension only).
 */
export class ProbePanel implements vscode.Disposable {
  private probe: Promise<AstProbe> | undefined;
  private panel: vscode.WebviewPanel | undefined;
  private current: { text: string; language: LanguageId; title: string } | undefined;
  private lastView: ProbeView | undefined;

  constructor(
    private readonly extensionUri: vscode.Uri,
    private readonly encoderFolder: () => string,
    private readonly runtime: () => Promise<TreeSitterRuntime>,
    private readonly documents: OpenDocuments,
  ) {}

  /** Drops the loaded model (another encoder was chosen); the next probe loads the new one. */
  reset(): void {
    const loaded = this.probe;
    this.probe = undefined;
    void loaded?.then((probe) => probe.dispose()).catch(() => undefined);
  }

  async probeEditor(): Promise<ProbeView> {
    const editor = vscode.window.activeTextEditor;
    if (!editor) throw new Error('open a file and select code (or put the cursor in a function) to probe its syntax');
    const language = languageForEditorId(editor.document.languageId)?.id;
    if (!language) throw new Error(`Astrolabe does not parse ${editor.document.languageId}`);
    const code = await editorCode(editor, this.documents, 'probe its syntax');
    const title = `${code.unit ? code.unit.name : 'selection'} (${vscode.workspace.asRelativePath(editor.document.uri)}:${code.startLine})`;
    this.current = { text: code.text, language, title };
    return this.show();
  }

  /** The view last shown (for tests). */
  get shown(): ProbeView | undefined {
    return this.lastView;
  }

  private async show(layer?: number): Promise<ProbeView> {
    const view = await this.compute(layer);
    this.lastView = view;
    const panel = this.openPanel();
    await panel.webview.postMessage({ type: 'view', view });
    return view;
  }

  private async compute(layer: number | undefined): Promise<ProbeView> {
    const { text, language, title } = this.current!;
    const probe = await (this.probe ??= this.runtime().then((runtime) => AstProbe.load(this.encoderFolder(), runtime)));
    const probes = probe.manifest.languages[language];
    if (!probes) throw new Error(`the AST probe has no ${language} probe (it has ${probe.languages.join(', ')})`);
    const layers = probes.layers.map((entry) => entry.layer);
    const perLayer: { layer: number; f1: number }[] = [];
    let chosen: ProbeResult | undefined;
    for (const each of layers) {
      const result = await probe.probe(text, language, each);
      if (typeof result === 'string') throw new Error(`cannot probe this code: ${SKIP_REASONS[result] ?? result}`);
      perLayer.push({ layer: each, f1: result.score.f1 });
      if (each === (layer ?? probes.bestLayer)) chosen = result;
    }
    if (!chosen) throw new Error(`no probe for layer ${layer}`);
    const truth = constituentsOf(chosen.truth);
    const predicted = constituentsOf(chosen.predicted);
    return {
      title, language, layers, bestLayer: probes.bestLayer, layer: chosen.layer, truth: chosen.truth, predicted: chosen.predicted,
      missed: [...truth].filter((span) => !predicted.has(span)), wrong: [...predicted].filter((span) => !truth.has(span)),
      score: chosen.score, perLayer, probeMs: chosen.probeMs,
    };
  }

  private openPanel(): vscode.WebviewPanel {
    if (this.panel) {
      this.panel.reveal(vscode.ViewColumn.Beside, true);
      return this.panel;
    }
    const media = vscode.Uri.joinPath(this.extensionUri, 'media');
    const panel = vscode.window.createWebviewPanel('astrolabe.probe', 'Astrolabe: Syntax Probe', { viewColumn: vscode.ViewColumn.Beside, preserveFocus: true }, {
      enableScripts: true,
      localResourceRoots: [media],
      retainContextWhenHidden: false,
    });
    const nonce = randomBytes(16).toString('base64');
    const script = panel.webview.asWebviewUri(vscode.Uri.joinPath(media, 'probeView.js'));
    const style = panel.webview.asWebviewUri(vscode.Uri.joinPath(media, 'probeView.css'));
    panel.webview.html = `<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="UTF-8">
<meta http-equiv="Content-Security-Policy" content="default-src 'none'; img-src ${panel.webview.cspSource}; style-src ${panel.webview.cspSource}; script-src 'nonce-${nonce}';">
<meta name="viewport" content="width=device-width, initial-scale=1.0">
<link rel="stylesheet" href="${style.toString()}">
<title>Syntax Probe</title>
</head>
<body>
<header id="header"><h1 id="title">Syntax probe</h1><label>Layer <select id="layer"></select></label><span id="score"></span></header>
<section id="curve" aria-label="F1 per layer"></section>
<main id="trees">
  <figure><figcaption id="predicted-caption">Recovered</figcaption><div id="predicted" class="tree"></div></figure>
  <figure><figcaption>tree-sitter</figcaption><div id="truth" class="tree"></div></figure>
</main>
<script nonce="${nonce}" src="${script.toString()}"></script>
</body>
</html>`;
    panel.webview.onDidReceiveMessage((message: FromWebview) => {
      if (message.type === 'ready' && this.lastView) void panel.webview.postMessage({ type: 'view', view: this.lastView });
      if (message.type === 'layer' && this.current) this.show(message.layer).catch((error: unknown) => void vscode.window.showErrorMessage(`Astrolabe: ${error instanceof Error ? error.message : String(error)}`));
    });
    panel.onDidDispose(() => { this.panel = undefined; });
    this.panel = panel;
    return panel;
  }

  dispose(): void {
    this.panel?.dispose();
    this.reset();
  }
}

const SKIP_REASONS: Record<string, string> = {
  'syntax-error': 'it has syntax errors',
  'too-few-leaves': 'it is too short',
  'too-long': "it is longer than the encoder's input",
};
