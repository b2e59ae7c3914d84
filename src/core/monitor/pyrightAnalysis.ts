import { ChildProcess, spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import { CancellationTokenSource, createMessageConnection, MessageConnection, StreamMessageReader, StreamMessageWriter } from 'vscode-jsonrpc/node';
import { completionLanguageOf } from './codeSyntax';
import { AnalysisDocument, StaticAnalysis } from './staticAnalysis';

/** Files that mark a Python project's root; the first folder above the file holding one is the root. */
const ROOT_MARKERS = ['pyrightconfig.json', 'pyproject.toml', 'setup.py', 'setup.cfg', '.git'];
const IDENTIFIER = /^[\p{L}_][\p{L}\p{N}_]*$/u;
/** LSP CompletionItemKind.Keyword: keywords are never members. */
const KEYWORD_KIND = 14;

interface CompletionItem {
  readonly label: string;
  readonly kind?: number;
}

interface Diagnostic {
  readonly severity?: number;
  readonly message: string;
  readonly code?: string | number;
  readonly range: { readonly start: { readonly line: number } };
}

/** One of pyright's errors: its 0-based line and "rule: message". */
export interface PyrightError {
  readonly line: number;
  readonly text: string;
}

/** LSP DiagnosticSeverity.Error. */
const ERROR_SEVERITY = 1;

/** Where `offset` is as an LSP position (lines split at \n; characters in UTF-16 units, as JS strings count). */
function positionAt(text: string, offset: number): { line: number; character: number } {
  let line = 0;
  let lineStart = 0;
  for (let index = text.indexOf('\n'); index >= 0 && index < offset; index = text.indexOf('\n', index + 1)) {
    line++;
    lineStart = index + 1;
  }
  return { line, character: offset - lineStart };
}

function projectRoot(fileName: string): string {
  for (let dir = dirname(fileName); ; dir = dirname(dir)) {
    if (ROOT_MARKERS.some((marker) => existsSync(join(dir, marker)))) return dir;
    if (dirname(dir) === dir) return dirname(fileName);
  }
}

/** One pyright language server for one project root, over LSP on stdio. */
class PyrightServer {
  private readonly versions = new Map<string, number>();
  /** Who waits for a document version's diagnostics (pyright publishes them after analysing a change). */
  private readonly diagnosticWaiters = new Map<string, (diagnostics: Diagnostic[]) => void>();
  private exited = false;

  private constructor(private readonly child: ChildProcess, private readonly connection: MessageConnection) {
    child.once('exit', () => {
      this.exited = true;
      connection.dispose();
    });
  }

  get alive(): boolean {
    return !this.exited;
  }

  static async start(root: string): Promise<PyrightServer> {
    const server = require.resolve('pyright/langserver.index.js');
    const child = spawn(process.execPath, [server, '--stdio'], { stdio: ['pipe', 'pipe', 'ignore'], cwd: root });
    const connection = createMessageConnection(new StreamMessageReader(child.stdout!), new StreamMessageWriter(child.stdin!));
    // Pyright asks for settings per section; defaults throughout, only open files analysed.
    connection.onRequest('workspace/configuration', (params: { items: { section?: string }[] }) =>
      params.items.map((item) => (item.section === 'python.analysis' ? { diagnosticMode: 'openFilesOnly', autoImportCompletions: false } : {})));
    connection.onRequest('client/registerCapability', () => null);
    connection.onRequest('window/workDoneProgress/create', () => null);
    const running = new PyrightServer(child, connection);
    connection.onNotification('textDocument/publishDiagnostics', (params: { uri: string; version?: number; diagnostics: Diagnostic[] }) => {
      const key = `${params.uri}#${params.version}`;
      running.diagnosticWaiters.get(key)?.(params.diagnostics);
      running.diagnosticWaiters.delete(key);
    });
    connection.listen();
    const failed = new Promise<never>((_, reject) => {
      child.once('error', (error) => reject(new Error(`pyright language server (${server}) did not start: ${error.message}`)));
      child.once('exit', (code) => reject(new Error(`pyright language server (${server}) exited with code ${code} while starting`)));
    });
    const rootUri = pathToFileURL(root).href;
    const initialized = connection.sendRequest('initialize', {
      processId: process.pid,
      rootUri,
      workspaceFolders: [{ uri: rootUri, name: root }],
      capabilities: { workspace: { configuration: true }, textDocument: { completion: { completionItem: { snippetSupport: false } }, publishDiagnostics: { versionSupport: true } } },
    });
    // Whichever loses the race must not surface later as an unhandled rejection.
    failed.catch(() => undefined);
    initialized.catch(() => undefined);
    try {
      await Promise.race([failed, initialized]);
      await connection.sendNotification('initialized', {});
    } catch (error) {
      await running.close();
      throw error;
    }
    return running;
  }

  /** The document's URI and its next version (1 opens it). */
  private nextVersion(fileName: string): { uri: string; version: number } {
    const uri = pathToFileURL(fileName).href;
    const version = (this.versions.get(uri) ?? 0) + 1;
    this.versions.set(uri, version);
    return { uri, version };
  }

  /** Opens the document with `text` at version 1, or replaces its text. */
  private async sendText({ uri, version }: { uri: string; version: number }, text: string): Promise<void> {
    if (version === 1) await this.connection.sendNotification('textDocument/didOpen', { textDocument: { uri, languageId: 'python', version, text } });
    else await this.connection.sendNotification('textDocument/didChange', { textDocument: { uri, version }, contentChanges: [{ text }] });
  }

  async members(fileName: string, text: string, offset: number, signal?: AbortSignal): Promise<string[] | undefined> {
    const document = this.nextVersion(fileName);
    await this.sendText(document, text);
    const { uri } = document;
    const cancel = new CancellationTokenSource();
    const onAbort = (): void => cancel.cancel();
    signal?.addEventListener('abort', onAbort);
    try {
      const answer = await this.connection.sendRequest<CompletionItem[] | { items: CompletionItem[] } | null>(
        'textDocument/completion', { textDocument: { uri }, position: positionAt(text, offset), context: { triggerKind: 2, triggerCharacter: '.' } }, cancel.token);
      const items = Array.isArray(answer) ? answer : answer?.items ?? [];
      return items.filter((item) => item.kind !== KEYWORD_KIND && IDENTIFIER.test(item.label)).map((item) => item.label);
    } catch (error) {
      if (signal?.aborted) return undefined;
      throw error;
    } finally {
      signal?.removeEventListener('abort', onAbort);
      cancel.dispose();
    }
  }

  async diagnostics(fileName: string, text: string, timeoutMs: number): Promise<Diagnostic[]> {
    const document = this.nextVersion(fileName);
    // Waited for from before the change is sent: pyright publishes per version.
    const key = `${document.uri}#${document.version}`;
    const published = new Promise<Diagnostic[]>((resolvePublished, reject) => {
      const timer = setTimeout(() => {
        this.diagnosticWaiters.delete(key);
        reject(new Error(`pyright published no diagnostics for ${fileName} within ${timeoutMs} ms`));
      }, timeoutMs);
      this.diagnosticWaiters.set(key, (diagnostics) => {
        clearTimeout(timer);
        resolvePublished(diagnostics);
      });
    });
    await this.sendText(document, text);
    return published;
  }

  async close(): Promise<void> {
    if (!this.exited) {
      try {
        await Promise.race([this.connection.sendRequest('shutdown'), new Promise((done) => setTimeout(done, 2000))]);
        await this.connection.sendNotification('exit');
      } catch {
        // Already gone: nothing to shut down.
      }
    }
    this.connection.dispose();
    this.child.kill();
  }
}

/**
 * Static analysis for Python headless (the CLI, the tests, the benchmarks): the pyright language server
 * (npm `pyright`, which runs on Node) over LSP on stdio. One server per project root (the nearest
 * folder above the file with pyrightconfig.json, pyproject.toml, setup.py, setup.cfg or .git), started
 * on first use and kept, so the standard library's stubs are read once; the file being completed is an
 * open document whose text is replaced at every question, never written to disk. `close()` stops them.
 * Pyright only reads the project: for import paths it reads a configured venv's folders or asks the
 * Python interpreter on PATH for its `sys.path`; no project code runs.
 */
export class PyrightAnalysis implements StaticAnalysis {
  private readonly servers = new Map<string, Promise<PyrightServer>>();

  async memberNames(document: AnalysisDocument, signal?: AbortSignal): Promise<readonly string[] | undefined> {
    if (completionLanguageOf(document.fileName) !== 'python' || signal?.aborted) return undefined;
    const fileName = resolve(document.fileName);
    const server = await this.serverFor(projectRoot(fileName));
    const names = await server.members(fileName, document.text, document.offset, signal);
    // An unknown receiver gets no members: leave the model unconstrained.
    return names && names.length > 0 ? [...new Set(names)] : undefined;
  }

  /** Pyright's errors in `fileName` with `text` as its content (the benchmark's compile check; warnings and hints are left out). */
  async errors(fileName: string, text: string, timeoutMs = 60_000): Promise<PyrightError[]> {
    const path = resolve(fileName);
    const server = await this.serverFor(projectRoot(path));
    const diagnostics = await server.diagnostics(path, text, timeoutMs);
    return diagnostics.filter((diagnostic) => diagnostic.severity === ERROR_SEVERITY)
      .map((diagnostic) => ({ line: diagnostic.range.start.line, text: `${diagnostic.code ?? 'error'}: ${diagnostic.message}` }));
  }

  private async serverFor(root: string): Promise<PyrightServer> {
    let server = this.servers.get(root);
    if (server && !(await server.catch(() => undefined))?.alive) server = undefined;
    if (!server) {
      server = PyrightServer.start(root);
      this.servers.set(root, server);
    }
    return server;
  }

  async close(): Promise<void> {
    const servers = [...this.servers.values()];
    this.servers.clear();
    await Promise.all(servers.map(async (server) => (await server.catch(() => undefined))?.close()));
  }
}
