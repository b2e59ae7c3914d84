import type * as ts from 'typescript';
import { existsSync, statSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { AnalysisDocument, StaticAnalysis } from './staticAnalysis';

type TypeScript = typeof ts;

const IDENTIFIER = /^[\p{ID_Start}$_][\p{ID_Continue}$\u200c\u200d]*$/u;
const CONFIG_FILES = ['tsconfig.json', 'jsconfig.json'];
const SOURCE = /\.(?:[cm]?[jt]sx?)$/;

/** Options for a file outside any tsconfig.json/jsconfig.json. */
function looseOptions(typescript: TypeScript): ts.CompilerOptions {
  return { target: typescript.ScriptTarget.ES2022, module: typescript.ModuleKind.ESNext, moduleResolution: typescript.ModuleResolutionKind.Bundler, allowJs: true, strict: true, skipLibCheck: true };
}

/** One project: a tsconfig.json's files and options (or a lone file's), with in-memory overlays. */
class TypeScriptProject {
  private readonly overlays = new Map<string, { text: string; version: number }>();
  private readonly disk = new Map<string, ts.IScriptSnapshot | undefined>();
  private signal: AbortSignal | undefined;
  private version = 0;
  readonly service: ts.LanguageService;

  constructor(private readonly typescript: TypeScript, readonly root: string, private readonly fileNames: readonly string[], private readonly options: ts.CompilerOptions, registry: ts.DocumentRegistry) {
    const host: ts.LanguageServiceHost = {
      getCompilationSettings: () => this.options,
      getScriptFileNames: () => [...new Set([...this.fileNames, ...this.overlays.keys()])],
      getScriptVersion: (fileName) => String(this.overlays.get(fileName)?.version ?? 0),
      getScriptSnapshot: (fileName) => {
        const overlay = this.overlays.get(fileName);
        if (overlay) return typescript.ScriptSnapshot.fromString(overlay.text);
        // Files on disk are read once: the analysis runs against a snapshot of the project.
        if (!this.disk.has(fileName)) {
          const text = typescript.sys.readFile(fileName);
          this.disk.set(fileName, text === undefined ? undefined : typescript.ScriptSnapshot.fromString(text));
        }
        return this.disk.get(fileName);
      },
      getCurrentDirectory: () => root,
      getDefaultLibFileName: (options) => typescript.getDefaultLibFilePath(options),
      fileExists: (path) => this.overlays.has(path) || typescript.sys.fileExists(path),
      readFile: (path) => this.overlays.get(path)?.text ?? typescript.sys.readFile(path),
      readDirectory: typescript.sys.readDirectory,
      directoryExists: typescript.sys.directoryExists,
      getDirectories: typescript.sys.getDirectories,
      getCancellationToken: () => ({ isCancellationRequested: () => this.signal?.aborted ?? false, throwIfCancellationRequested: () => { if (this.signal?.aborted) throw new typescript.OperationCanceledException(); } }),
    };
    this.service = typescript.createLanguageService(host, registry);
  }

  /**
   * Makes `text` the file's content for the next questions (a completion in progress). One file is
   * edited at a time: any other file's overlay is dropped, so it reads from disk again and a long batch
   * does not pile extra files into the program.
   */
  setText(fileName: string, text: string): void {
    const overlay = this.overlays.get(fileName);
    if (overlay?.text === text) return;
    for (const other of [...this.overlays.keys()]) if (other !== fileName) this.overlays.delete(other);
    this.version++;
    this.overlays.set(fileName, { text, version: this.version });
  }

  withSignal<T>(signal: AbortSignal | undefined, run: () => T): T | undefined {
    this.signal = signal;
    try {
      return run();
    } catch (error) {
      if (error instanceof this.typescript.OperationCanceledException) return undefined;
      throw error;
    } finally {
      this.signal = undefined;
    }
  }
}

/**
 * Static analysis by the TypeScript language service (typescript@5's JS API), for TypeScript and
 * JavaScript files headless: the CLI, the tests and the benchmarks. A file belongs to the nearest
 * tsconfig.json or jsconfig.json above it (its files and options), else to a project of its own.
 * Projects are kept, so a batch of completions in one project parses the libraries once.
 */
export class TypeScriptAnalysis implements StaticAnalysis {
  private readonly projects = new Map<string, TypeScriptProject>();
  private readonly registry: ts.DocumentRegistry;

  constructor(private readonly typescript: TypeScript = loadTypeScript()) {
    this.registry = typescript.createDocumentRegistry();
  }

  async memberNames(document: AnalysisDocument, signal?: AbortSignal): Promise<readonly string[] | undefined> {
    if (!SOURCE.test(document.fileName) || signal?.aborted) return undefined;
    const fileName = resolve(document.fileName);
    const project = this.projectFor(fileName);
    project.setText(fileName, document.text);
    const completions = project.withSignal(signal, () => project.service.getCompletionsAtPosition(fileName, document.offset, { includeCompletionsWithInsertText: false, includeCompletionsForModuleExports: false }));
    if (!completions?.isMemberCompletion) return undefined;
    // 'warning' entries are the file's own words, offered where the type is unknown (plain JS): not members.
    const names = completions.entries.filter((entry) => entry.kind !== this.typescript.ScriptElementKind.warning && !entry.insertText && IDENTIFIER.test(entry.name)).map((entry) => entry.name);
    return names.length > 0 ? names : undefined;
  }

  /** The file's syntactic and semantic diagnostics with `text` as its content, as "TScode: message" lines. */
  diagnostics(fileName: string, text: string): string[] {
    const path = resolve(fileName);
    const project = this.projectFor(path);
    project.setText(path, text);
    const all = [...project.service.getSyntacticDiagnostics(path), ...project.service.getSemanticDiagnostics(path)];
    return all.map((diagnostic) => `TS${diagnostic.code}: ${this.typescript.flattenDiagnosticMessageText(diagnostic.messageText, '\n')}`);
  }

  private projectFor(fileName: string): TypeScriptProject {
    const config = findConfig(fileName);
    const key = config ?? fileName;
    let project = this.projects.get(key);
    if (!project) {
      project = config ? this.projectFromConfig(config) : new TypeScriptProject(this.typescript, dirname(fileName), [fileName], looseOptions(this.typescript), this.registry);
      this.projects.set(key, project);
    }
    return project;
  }

  private projectFromConfig(configPath: string): TypeScriptProject {
    const typescript = this.typescript;
    const parsed = typescript.getParsedCommandLineOfConfigFile(configPath, {}, {
      ...typescript.sys,
      onUnRecoverableConfigFileDiagnostic: () => undefined,
    });
    const options = parsed?.options ?? looseOptions(typescript);
    return new TypeScriptProject(typescript, dirname(configPath), parsed?.fileNames ?? [], { ...options, noEmit: true }, this.registry);
  }
}

function findConfig(fileName: string): string | undefined {
  for (let dir = dirname(fileName); ; dir = dirname(dir)) {
    for (const name of CONFIG_FILES) {
      const candidate = join(dir, name);
      if (existsSync(candidate) && statSync(candidate).isFile()) return candidate;
    }
    if (dirname(dir) === dir || existsSync(join(dir, '.git'))) return undefined;
  }
}

/** typescript@5 (not 7: the native build has no JS language service), loaded on first use. */
function loadTypeScript(): TypeScript {
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  return require('typescript') as TypeScript;
}

