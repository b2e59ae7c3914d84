import type { Node } from 'web-tree-sitter';
import { LanguageId } from '../parse/languages';
import { SyntaxTree } from './syntaxTree';

/** Literal node types read as one leaf (their quotes, fragments, escapes and interpolations inside). */
const STRING_LEAVES: Partial<Record<LanguageId, ReadonlySet<string>>> = {
  python: new Set(['string']),
  javascript: new Set(['string', 'template_string', 'regex']),
  typescript: new Set(['string', 'template_string', 'regex']),
  tsx: new Set(['string', 'template_string', 'regex']),
  go: new Set(['interpreted_string_literal', 'raw_string_literal', 'rune_literal']),
  java: new Set(['string_literal', 'character_literal', 'text_block']),
  rust: new Set(['string_literal', 'raw_string_literal', 'char_literal']),
  c: new Set(['string_literal', 'char_literal', 'system_lib_string']),
  cpp: new Set(['string_literal', 'raw_string_literal', 'char_literal', 'system_lib_string']),
};

/** Left out: comments, and Python's backslash continuation (layout, which the authors' preprocessing joins away). */
const LEFT_OUT = new Set(['comment', 'line_comment', 'block_comment', 'html_comment', 'line_continuation']);

/**
 * The probe's tree of a parsed unit, as AST-Probe (Hernández López et al., 2022) reads tree-sitter's:
 * every node, named or not, with comments left out and string literals as one leaf. Python docstrings
 * (a statement that is only a string) are left out too, as the authors' preprocessing drops them.
 * Leaves with no visible text (zero-width nodes of error recovery, Go's newline terminator) are dropped:
 * no token of the encoder stands for them. Undefined when nothing is left.
 */
export function probeTreeOf(root: Node, language: LanguageId): SyntaxTree | undefined {
  const strings = STRING_LEAVES[language] ?? new Set<string>();
  const python = language === 'python';
  const build = (node: Node): SyntaxTree | undefined => {
    const type = node.type;
    if (strings.has(type) || node.childCount === 0) {
      const text = node.text;
      return text.trim().length > 0 ? { text, start: node.startIndex, end: node.endIndex } : undefined;
    }
    const children: SyntaxTree[] = [];
    for (const child of node.children) {
      if (!child || LEFT_OUT.has(child.type) || (python && isDocstring(child))) continue;
      const built = build(child);
      if (built) children.push(built);
    }
    return children.length > 0 ? { label: type, children } : undefined;
  };
  return build(root);
}

function isDocstring(node: Node): boolean {
  if (node.type !== 'expression_statement' || node.namedChildCount === 0) return false;
  return node.namedChildren.every((child) => child !== null && (child.type === 'string' || child.type === 'concatenated_string'));
}
