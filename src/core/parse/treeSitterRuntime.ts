import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { Language, Parser } from 'web-tree-sitter';
import { LanguageId, languageInfo } from './languages';

/**
 * Owns the web-tree-sitter wasm runtime and the grammars loaded from one grammars/ folder.
 * Parsers hold wasm memory: whoever asks for one owns it and must call `parser.delete()`.
 */
export class TreeSitterRuntime {
  private readonly languages = new Map<LanguageId, Promise<Language>>();

  private constructor(readonly grammarsDir: string) {}

  /** Initializes the wasm runtime (once per process) and returns a runtime reading grammars from `grammarsDir`. */
  static async create(grammarsDir: string): Promise<TreeSitterRuntime> {
    await initOnce(grammarsDir);
    return new TreeSitterRuntime(grammarsDir);
  }

  language(id: LanguageId): Promise<Language> {
    let loading = this.languages.get(id);
    if (!loading) {
      const file = join(this.grammarsDir, languageInfo(id).grammarFile);
      loading = readFile(file).then((bytes) => Language.load(bytes)).catch((error: unknown) => {
        this.languages.delete(id);
        throw new GrammarLoadError(file, error);
      });
      this.languages.set(id, loading);
    }
    return loading;
  }

  async createParser(id: LanguageId): Promise<Parser> {
    const parser = new Parser();
    parser.setLanguage(await this.language(id));
    return parser;
  }
}

export class GrammarLoadError extends Error {
  constructor(readonly file: string, cause: unknown) {
    super(`cannot load tree-sitter grammar ${file}: ${cause instanceof Error ? cause.message : String(cause)}`, { cause });
    this.name = 'GrammarLoadError';
  }
}

let initialized: Promise<void> | undefined;

function initOnce(grammarsDir: string): Promise<void> {
  // The runtime's own wasm ships in grammars/ too, and we hand over its bytes: once bundled, the library
  // cannot locate files relative to itself.
  const file = join(grammarsDir, 'web-tree-sitter.wasm');
  initialized ??= readFile(file).then((wasmBinary) => Parser.init({ wasmBinary })).catch((error: unknown) => {
    initialized = undefined;
    throw new GrammarLoadError(file, error);
  });
  return initialized;
}
