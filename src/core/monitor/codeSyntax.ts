/**
 * The few lexical facts completion needs about a file's language: how a line comment starts, whether
 * backticks open template literals, and whether blocks end at a `}` or at a dedent.
 */
export interface CodeSyntax {
  readonly name: 'c-family' | 'python';
  readonly lineComment: string;
  readonly templateLiterals: boolean;
  readonly blocks: 'braces' | 'indentation';
}

/** JavaScript, TypeScript and the other brace languages (`//` comments; backtick templates are JS's). */
export const C_FAMILY_SYNTAX: CodeSyntax = { name: 'c-family', lineComment: '//', templateLiterals: true, blocks: 'braces' };

/** Python: `#` comments (`//` is floor division), no template literals, blocks by indentation. */
export const PYTHON_SYNTAX: CodeSyntax = { name: 'python', lineComment: '#', templateLiterals: false, blocks: 'indentation' };

const PYTHON_FILE = /\.pyi?$/i;

/**
 * The syntax of the file a completion is for: from the editor's language id where there is one (an
 * unsaved buffer's name has no extension), else from the file name.
 */
export function syntaxOf(fileName: string, languageId?: string): CodeSyntax {
  if (languageId !== undefined) return languageId === 'python' ? PYTHON_SYNTAX : C_FAMILY_SYNTAX;
  return PYTHON_FILE.test(fileName) ? PYTHON_SYNTAX : C_FAMILY_SYNTAX;
}
