import type { Node, Parser } from 'web-tree-sitter';
import { isFunctionNode } from './instrument';

/**
 * Finds JavaScript functions documented with JSDoc `@example` blocks, and the example code that calls them.
 */

export interface DocumentedFunction {
  /** The function node (a declaration, expression, arrow or method). */
  readonly node: Node;
  /** How examples call it: the function's own name, else the name it is assigned to, else the method name. */
  readonly name: string;
  /** The module-level name bound to it (or to the curried wrapper around it), when there is one. */
  readonly binding?: string;
  /** The class a method belongs to (examples call `Class.method` or `new Class().method`). */
  readonly className?: string;
  readonly examples: readonly string[];
}

/** Every function preceded by a `/** ... @example ... *\/` comment, with the examples that parse as JavaScript. */
export function documentedFunctions(parser: Parser, root: Node): DocumentedFunction[] {
  const found: DocumentedFunction[] = [];
  const seen = new Set<number>();
  for (const comment of root.descendantsOfType('comment')) {
    if (!comment || !comment.text.startsWith('/**') || !comment.text.includes('@example')) continue;
    const documented = nextDocumented(comment);
    if (!documented) continue;
    const target = functionOf(documented);
    if (!target || seen.has(target.node.id)) continue;
    const examples = exampleBlocks(comment.text).filter((code) => parsesAsModule(parser, code));
    if (examples.length === 0) continue;
    seen.add(target.node.id);
    found.push({ ...target, examples });
  }
  return found;
}

/** The statement or class member right after a doc comment (other comments skipped). */
function nextDocumented(comment: Node): Node | null {
  let next = comment.nextNamedSibling;
  while (next && next.type === 'comment') {
    if (next.text.startsWith('/**')) return null; // that one documents what follows
    next = next.nextNamedSibling;
  }
  if (next?.type === 'export_statement') next = next.childForFieldName('declaration') ?? next.childForFieldName('value') ?? next;
  return next;
}

interface Target {
  readonly node: Node;
  readonly name: string;
  readonly binding?: string;
  readonly className?: string;
}

function functionOf(documented: Node): Target | undefined {
  const topLevel = (node: Node): boolean => {
    let parent = node.parent;
    if (parent?.type === 'export_statement') parent = parent.parent;
    return parent?.type === 'program';
  };
  if (isFunctionNode(documented)) {
    const name = documented.childForFieldName('name')?.text;
    if (!name) return undefined;
    if (documented.type === 'method_definition') {
      const className = enclosingClassName(documented);
      return { node: documented, name, ...(className ? { className } : {}) };
    }
    return { node: documented, name, ...(topLevel(documented) ? { binding: name } : {}) };
  }
  if (documented.type === 'lexical_declaration' || documented.type === 'variable_declaration') {
    for (const declarator of documented.namedChildren) {
      const variable = declarator?.childForFieldName('name');
      const value = declarator?.childForFieldName('value');
      if (!variable || variable.type !== 'identifier' || !value) continue;
      const fn = firstFunction(value);
      if (!fn) continue;
      return { node: fn, name: variable.text, ...(topLevel(documented) ? { binding: variable.text } : {}) };
    }
    return undefined;
  }
  if (documented.type === 'field_definition' || documented.type === 'pair') {
    const key = documented.childForFieldName('property') ?? documented.childForFieldName('key');
    const value = documented.childForFieldName('value');
    const fn = value ? firstFunction(value) : undefined;
    if (!key || !fn) return undefined;
    const className = documented.type === 'field_definition' ? enclosingClassName(documented) : undefined;
    return { node: fn, name: key.text.replace(/^['"]|['"]$/g, ''), ...(className ? { className } : {}) };
  }
  if (documented.type === 'expression_statement') {
    // `exports.name = function ...`, `Foo.prototype.name = function ...`
    const assignment = documented.namedChildren[0];
    if (assignment?.type !== 'assignment_expression') return undefined;
    const left = assignment.childForFieldName('left');
    const right = assignment.childForFieldName('right');
    const fn = right ? firstFunction(right) : undefined;
    if (!left || !fn) return undefined;
    const name = left.type === 'member_expression' ? left.childForFieldName('property')?.text : left.text;
    return name ? { node: fn, name } : undefined;
  }
  return undefined;
}

/** The first function in an initializer: the value itself, or one passed to a wrapper (`_curry2(function ...)`). */
function firstFunction(value: Node): Node | undefined {
  const queue: Node[] = [value];
  while (queue.length > 0) {
    const node = queue.shift()!;
    if (isFunctionNode(node)) return node;
    if (node.type === 'class' || node.type === 'class_body' || node.type === 'object') continue;
    for (const child of node.namedChildren) if (child) queue.push(child);
  }
  return undefined;
}

function enclosingClassName(member: Node): string | undefined {
  const body = member.parent;
  const owner = body?.parent;
  if (!owner || (owner.type !== 'class_declaration' && owner.type !== 'class')) return undefined;
  const name = owner.childForFieldName('name')?.text;
  if (name) return name;
  // `const Foo = class { ... }`
  const declarator = owner.parent;
  return declarator?.type === 'variable_declarator' ? declarator.childForFieldName('name')?.text : undefined;
}

/** The code of each `@example` block of a JSDoc comment: captions, fences and the leading ` * ` removed. */
export function exampleBlocks(comment: string): string[] {
  const lines = comment.replace(/^\/\*\*/, '').replace(/\*\/$/, '').split('\n').map((line) => line.replace(/^\s*\* ?/, ''));
  const blocks: string[] = [];
  let current: string[] | undefined;
  let fence: string | undefined;
  for (const line of lines) {
    const tag = /^\s*@(\w+)\s?(.*)$/.exec(line);
    if (tag && !fence) {
      if (current) blocks.push(current.join('\n'));
      current = undefined;
      if (tag[1] !== 'example') continue;
      current = [];
      const rest = tag[2]!.replace(/<caption>.*?<\/caption>/, '').trim();
      // Text on the tag's line is a caption unless it reads like code.
      if (rest && /[(;=]|^\w+\.\w/.test(rest)) current.push(rest);
      continue;
    }
    if (!current) continue;
    const fenceMark = /^\s*(```+|~~~+)\s*([\w-]*)/.exec(line);
    if (fenceMark) {
      if (fence) fence = undefined;
      else {
        fence = fenceMark[1];
        // A fence in another language (graphql, sh, json) ends the usable part of the example.
        if (fenceMark[2] && !/^(js|javascript|jsx|mjs|cjs|ts|typescript)$/i.test(fenceMark[2])) current.push('\u0000');
      }
      continue;
    }
    current.push(line);
  }
  if (current) blocks.push(current.join('\n'));
  return blocks.filter((block) => !block.includes('\u0000')).map(dedent).filter((block) => block.trim().length > 0);
}

function dedent(block: string): string {
  const lines = block.split('\n');
  while (lines.length > 0 && lines[0]!.trim() === '') lines.shift();
  while (lines.length > 0 && lines[lines.length - 1]!.trim() === '') lines.pop();
  const indents = lines.filter((line) => line.trim()).map((line) => /^\s*/.exec(line)![0].length);
  const cut = indents.length > 0 ? Math.min(...indents) : 0;
  return lines.map((line) => line.slice(cut)).join('\n');
}

function parsesAsModule(parser: Parser, code: string): boolean {
  const tree = parser.parse(code);
  if (!tree) return false;
  try {
    const root = tree.rootNode;
    if (root.hasError) return false;
    // Examples that only describe (a bare expression such as `true`) or declare exports are not run.
    return root.descendantsOfType(['call_expression', 'new_expression']).length > 0 && root.descendantsOfType('export_statement').length === 0;
  } finally {
    tree.delete();
  }
}
