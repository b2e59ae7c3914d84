import { LanguageId, languageForEditorId, languageForPath } from '../parse/languages';

/**
 * The few lexical facts completion needs about a file's language: how a line comment starts, what a
 * backtick or a single quote opens, whether blocks end at a `}` or at a dedent, and which operators
 * reach a member.
 */
export interface CodeSyntax {
  readonly name: 'javascript' | 'python' | 'java' | 'go' | 'rust' | 'c';
  readonly lineComment: string;
  /** A template literal with `${...}` in it (JavaScript), a raw string without escapes (Go), or nothing. */
  readonly backtick: 'template' | 'raw-string' | 'none';
  /** Rust: `'a` is a lifetime or a loop label unless a `'` right after closes it as a character literal. */
  readonly lifetimes: boolean;
  readonly blocks: 'braces' | 'indentation';
  /** The member-access operators after which the monitor asks for members: `.` (and `?.`), and `->` in C and C++. */
  readonly dereferences: readonly ('.' | '->')[];
}

const BRACES = { lineComment: '//', backtick: 'none', lifetimes: false, blocks: 'braces', dereferences: ['.'] } as const;

/** JavaScript and TypeScript: backticks open template literals. The syntax of files of unknown language too. */
export const JAVASCRIPT_SYNTAX: CodeSyntax = { ...BRACES, name: 'javascript', backtick: 'template' };

/** Python: `#` comments (`//` is floor division), no template literals, blocks by indentation. */
export const PYTHON_SYNTAX: CodeSyntax = { ...BRACES, name: 'python', lineComment: '#', blocks: 'indentation' };

/** Java: braces and `//` only (its `->` is a lambda's arrow, not a dereference). */
export const JAVA_SYNTAX: CodeSyntax = { ...BRACES, name: 'java' };

/** Go: backticks open raw strings, which span lines and have no escapes. */
export const GO_SYNTAX: CodeSyntax = { ...BRACES, name: 'go', backtick: 'raw-string' };

/** Rust: lifetimes and labels (`'a`) beside character literals (`'a'`). */
export const RUST_SYNTAX: CodeSyntax = { ...BRACES, name: 'rust', lifetimes: true };

/** C and C++: `p->member` dereferences a pointer. */
export const C_SYNTAX: CodeSyntax = { ...BRACES, name: 'c', dereferences: ['.', '->'] };

const SYNTAX_OF_LANGUAGE: Record<LanguageId, CodeSyntax> = {
  javascript: JAVASCRIPT_SYNTAX, typescript: JAVASCRIPT_SYNTAX, tsx: JAVASCRIPT_SYNTAX, python: PYTHON_SYNTAX,
  java: JAVA_SYNTAX, go: GO_SYNTAX, rust: RUST_SYNTAX, c: C_SYNTAX, cpp: C_SYNTAX,
};

/**
 * The language of the file a completion is for: from the editor's language id where it names one
 * Astrolabe knows (an unsaved buffer's name has no extension), else from the file name.
 */
export function completionLanguageOf(fileName: string, editorLanguageId?: string): LanguageId | undefined {
  return (editorLanguageId !== undefined ? languageForEditorId(editorLanguageId) : undefined)?.id ?? languageForPath(fileName)?.id;
}

/** The syntax of a language Astrolabe parses. */
export function syntaxOfLanguage(language: LanguageId): CodeSyntax {
  return SYNTAX_OF_LANGUAGE[language];
}

/** The syntax of the file a completion is for; JavaScript's where the language is unknown. */
export function syntaxOf(fileName: string, editorLanguageId?: string): CodeSyntax {
  const language = completionLanguageOf(fileName, editorLanguageId);
  return language ? syntaxOfLanguage(language) : JAVASCRIPT_SYNTAX;
}

// A character literal: one character or one escape between single quotes.
const CHARACTER_LITERAL = /'(?:[^\\'\n]|\\(?:u\{[0-9a-fA-F]{1,6}\}|x[0-9a-fA-F]{2}|.))'/y;

/**
 * The quote that closes the string or character literal opening at `text[index]`, or undefined where
 * none opens there (JavaScript's template literals nest code, so their callers track them apart).
 */
export function literalQuoteAt(text: string, index: number, syntax: CodeSyntax): string | undefined {
  const char = text[index];
  if (char === '"') return char;
  if (char === "'") {
    if (!syntax.lifetimes) return char;
    CHARACTER_LITERAL.lastIndex = index;
    return CHARACTER_LITERAL.test(text) ? char : undefined;
  }
  return char === '`' && syntax.backtick === 'raw-string' ? char : undefined;
}

/** Whether a backslash escapes the next character inside a literal closed by `quote` (not in Go's raw strings). */
export function escapesIn(quote: string, syntax: CodeSyntax): boolean {
  return !(quote === '`' && syntax.backtick === 'raw-string');
}
