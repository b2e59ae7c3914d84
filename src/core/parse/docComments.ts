import { LanguageId } from './languages';

/** A code unit's documentation, separated from its code. */
export interface UnitDocumentation {
  /** The documentation's text, comment markers and tag sections (@param, Args:, ...) removed. */
  readonly text: string;
  /** Its first sentence: how people describe what the code does, the closest thing to a search query. */
  readonly summary: string;
  /** The unit's text with the documentation removed (doc comment above, Python docstring inside). */
  readonly code: string;
}

/**
 * Splits a unit's documentation from its code: the comment block directly above it (units include it)
 * and, in Python, the docstring that opens the body. Undefined when the unit has no documentation.
 */
export function unitDocumentation(text: string, language: LanguageId): UnitDocumentation | undefined {
  const leading = leadingComment(text, language);
  let code = leading ? text.slice(leading.end) : text;
  let raw = leading?.text ?? '';
  if (language === 'python') {
    const docstring = pythonDocstring(code);
    if (docstring) {
      raw = raw ? `${raw.trimEnd()}\n${docstring.text}` : docstring.text;
      code = code.slice(0, docstring.start) + code.slice(docstring.end);
    }
  }
  const cleaned = cleanDocumentation(raw);
  if (!cleaned) return undefined;
  return { text: cleaned, summary: firstSentence(cleaned), code: code.replace(/^\s*\n/, '') };
}

const LINE_COMMENT: Record<LanguageId, RegExp> = {
  python: /^[ \t]*#.*(?:\r?\n|$)/,
  javascript: /^[ \t]*\/\/.*(?:\r?\n|$)/, typescript: /^[ \t]*\/\/.*(?:\r?\n|$)/, tsx: /^[ \t]*\/\/.*(?:\r?\n|$)/,
  java: /^[ \t]*\/\/.*(?:\r?\n|$)/, go: /^[ \t]*\/\/.*(?:\r?\n|$)/, rust: /^[ \t]*\/\/.*(?:\r?\n|$)/,
  c: /^[ \t]*\/\/.*(?:\r?\n|$)/, cpp: /^[ \t]*\/\/.*(?:\r?\n|$)/,
};
const BLOCK_COMMENT = /^[ \t]*\/\*[\s\S]*?\*\/[ \t]*(?:\r?\n|$)/;

/** The comments at the start of the unit; what follows them (attributes, decorators) is code. */
function leadingComment(text: string, language: LanguageId): { text: string; end: number } | undefined {
  let position = 0;
  let comments = '';
  for (;;) {
    const rest = text.slice(position);
    const match = LINE_COMMENT[language].exec(rest) ?? (language === 'python' ? null : BLOCK_COMMENT.exec(rest));
    if (!match) break;
    comments += match[0].endsWith('\n') ? match[0] : `${match[0]}\n`;
    position += match[0].length;
  }
  return comments ? { text: comments, end: position } : undefined;
}

/** The string literal that opens a Python function's or class's body, with its span in `code`. */
function pythonDocstring(code: string): { text: string; start: number; end: number } | undefined {
  const header = /^(?:[ \t]*@[^\n]*\n)*[ \t]*(?:async[ \t]+)?(?:def|class)\b[^\n]*?:[ \t]*(?:#[^\n]*)?\n/.exec(code);
  if (!header) return undefined;
  const body = code.slice(header[0].length);
  const literal = /^(?:[ \t]*\n)*[ \t]*[rRuUbBfF]{0,2}("""|''')([\s\S]*?)\1[ \t]*(?:\r?\n|$)|^(?:[ \t]*\n)*[ \t]*[rRuU]?(["'])((?:\\.|(?!\3)[^\\\n])*)\3[ \t]*(?:\r?\n|$)/.exec(body);
  if (!literal) return undefined;
  return { text: literal[2] ?? literal[4] ?? '', start: header[0].length, end: header[0].length + literal[0].length };
}

/** Comment markers, tag sections and markup off; whitespace collapsed per paragraph. */
export function cleanDocumentation(raw: string): string {
  const lines = raw
    .split(/\r?\n/)
    .map((line) => line.replace(/^[ \t]*(?:\/\*\*?|\*\/|\*(?!\/)|\/\/[\/!]?|#+)/, '').replace(/\*\/[ \t]*$/, '').trim());
  const kept: string[] = [];
  for (const line of lines) {
    // Tag sections end the description: JSDoc/Javadoc tags, Python's Args:/Returns:, reST fields.
    if (/^(?:@[a-zA-Z]+|:(?:param|type|returns?|rtype|raises?)\b|(?:Args|Arguments|Parameters|Returns|Raises|Yields|Examples?|Notes?|See Also)\s*:?\s*$|-{3,}$)/.test(line)) break;
    kept.push(line);
  }
  return kept.join('\n').replace(/\n{2,}/g, '\n\n').replace(/[ \t]+/g, ' ').replace(/\{@\w+\s+([^}]*)\}/g, '$1').trim();
}

/** The first sentence: up to the first period followed by a space or the end, or the first paragraph. */
function firstSentence(text: string): string {
  const paragraph = text.split(/\n\s*\n/)[0]!.replace(/\s+/g, ' ').trim();
  const end = /\.(?:\s|$)/.exec(paragraph);
  return end ? paragraph.slice(0, end.index + 1) : paragraph;
}
