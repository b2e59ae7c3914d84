/** The languages Astrolabe parses, keyed by a stable id used everywhere (units, settings, index). */
export type LanguageId = 'python' | 'javascript' | 'typescript' | 'tsx' | 'java' | 'go' | 'rust' | 'c' | 'cpp';

export interface LanguageInfo {
  readonly id: LanguageId;
  /** File name of the grammar in grammars/. */
  readonly grammarFile: string;
  /** Lower-case file extensions, with the dot. */
  readonly extensions: readonly string[];
  /** VS Code language ids that map to this grammar (for open editors). */
  readonly editorLanguageIds: readonly string[];
}

export const LANGUAGES: readonly LanguageInfo[] = [
  { id: 'python', grammarFile: 'tree-sitter-python.wasm', extensions: ['.py', '.pyi', '.pyw'], editorLanguageIds: ['python'] },
  { id: 'javascript', grammarFile: 'tree-sitter-javascript.wasm', extensions: ['.js', '.mjs', '.cjs', '.jsx'], editorLanguageIds: ['javascript', 'javascriptreact'] },
  { id: 'typescript', grammarFile: 'tree-sitter-typescript.wasm', extensions: ['.ts', '.mts', '.cts'], editorLanguageIds: ['typescript'] },
  { id: 'tsx', grammarFile: 'tree-sitter-tsx.wasm', extensions: ['.tsx'], editorLanguageIds: ['typescriptreact'] },
  { id: 'java', grammarFile: 'tree-sitter-java.wasm', extensions: ['.java'], editorLanguageIds: ['java'] },
  { id: 'go', grammarFile: 'tree-sitter-go.wasm', extensions: ['.go'], editorLanguageIds: ['go'] },
  { id: 'rust', grammarFile: 'tree-sitter-rust.wasm', extensions: ['.rs'], editorLanguageIds: ['rust'] },
  { id: 'c', grammarFile: 'tree-sitter-c.wasm', extensions: ['.c', '.h'], editorLanguageIds: ['c'] },
  { id: 'cpp', grammarFile: 'tree-sitter-cpp.wasm', extensions: ['.cc', '.cpp', '.cxx', '.c++', '.hh', '.hpp', '.hxx', '.h++', '.ipp'], editorLanguageIds: ['cpp', 'cuda-cpp'] },
];

const byExtension = new Map<string, LanguageInfo>();
const byEditorId = new Map<string, LanguageInfo>();
for (const language of LANGUAGES) {
  for (const extension of language.extensions) byExtension.set(extension, language);
  for (const editorId of language.editorLanguageIds) byEditorId.set(editorId, language);
}

/** The language of a file, from its extension; undefined when Astrolabe does not parse it. */
export function languageForPath(path: string): LanguageInfo | undefined {
  const slash = Math.max(path.lastIndexOf('/'), path.lastIndexOf('\\'));
  const dot = path.lastIndexOf('.');
  if (dot <= slash + 1) return undefined; // no extension, or a dotfile such as ".py"
  return byExtension.get(path.slice(dot).toLowerCase());
}

/** The language of an editor document, from VS Code's language id. */
export function languageForEditorId(editorLanguageId: string): LanguageInfo | undefined {
  return byEditorId.get(editorLanguageId);
}

export function languageInfo(id: LanguageId): LanguageInfo {
  const found = LANGUAGES.find((language) => language.id === id);
  if (!found) throw new Error(`unknown language id: ${id}`);
  return found;
}
