import type { Node, Parser } from 'web-tree-sitter';
import { LanguageId } from './languages';

/**
 * Semantics-preserving rewrites of a code unit, made with tree-sitter: the (code, rewritten code) pairs
 * that teach the encoder to see through renamed variables and reordered statements (Type-4 clones,
 * "find code like this"). Conservative on purpose: a transform applies only where it is clearly safe.
 */
export type RewriteTransform = 'rename' | 'reorder' | 'swap-branches';

export interface CodeRewrite {
  readonly code: string;
  /** The transforms that changed something, in the order applied. */
  readonly transforms: readonly RewriteTransform[];
}

interface TextEdit {
  readonly start: number;
  readonly end: number;
  readonly text: string;
}

/**
 * Applies renaming (most local variables and parameters get new names, consistently), reordering of
 * adjacent independent assignments and declarations, and if/else branch swapping (condition negated),
 * each re-parsing the previous one's output. Undefined when nothing could be changed or the unit does
 * not parse cleanly (a rewrite of broken code could change what it means).
 */
export function rewriteCode(parser: Parser, text: string, language: LanguageId, random: () => number): CodeRewrite | undefined {
  let code = text;
  const transforms: RewriteTransform[] = [];
  const steps: [RewriteTransform, (root: Node, language: LanguageId, random: () => number) => TextEdit[]][] = [
    ['rename', renameEdits],
    ['reorder', reorderEdits],
    ['swap-branches', branchSwapEdits],
  ];
  for (const [name, edits] of steps) {
    const tree = parser.parse(code);
    if (!tree) return undefined;
    try {
      if (tree.rootNode.hasError) return undefined;
      const changes = edits(tree.rootNode, language, random);
      if (changes.length > 0) {
        code = applyEdits(code, changes);
        transforms.push(name);
      }
    } finally {
      tree.delete();
    }
  }
  return transforms.length > 0 && code !== text ? { code, transforms } : undefined;
}

/** Non-overlapping edits applied from the end, so earlier offsets stay valid. */
function applyEdits(text: string, edits: TextEdit[]): string {
  let result = text;
  for (const edit of [...edits].sort((a, b) => b.start - a.start)) result = result.slice(0, edit.start) + edit.text + result.slice(edit.end);
  return result;
}

// ---- renaming -------------------------------------------------------------------------------------

/** Nodes between a declared name and the construct that declares it (tuple targets, C declarators...). */
const NAME_WRAPPERS = new Set([
  'pattern_list', 'tuple_pattern', 'list_pattern', 'array_pattern', 'expression_list', 'pointer_declarator', 'array_declarator',
  'reference_declarator', 'parenthesized_declarator', 'as_pattern_target', 'list_splat_pattern', 'dictionary_splat_pattern',
  'typed_parameter', 'mut_pattern', 'reference_pattern', 'rest_pattern', 'variadic_parameter',
]);

/** Declaring constructs, with the fields (or '' for an unnamed child) in which a name is declared. */
const BINDERS: Record<string, readonly string[]> = {
  init_declarator: ['declarator'], declaration: ['declarator'], parameter_declaration: ['declarator', 'name'],
  optional_parameter_declaration: ['declarator'],
  parameters: [''], lambda_parameters: [''], default_parameter: ['name'], typed_default_parameter: ['name'],
  assignment: ['left'], for_statement: ['left'], for_in_clause: ['left'], as_pattern: ['alias'],
  variable_declarator: ['name'], formal_parameters: [''], required_parameter: ['pattern'], optional_parameter: ['pattern'],
  assignment_pattern: ['left'], for_in_statement: ['left'], catch_clause: ['parameter'], arrow_function: ['parameter'],
  formal_parameter: ['name'], catch_formal_parameter: ['name'], enhanced_for_statement: ['name'],
  short_var_declaration: ['left'], var_spec: ['name'], const_spec: ['name'], range_clause: ['left'],
  let_declaration: ['pattern'], parameter: ['pattern'], for_expression: ['pattern'], closure_parameters: [''],
};

/** Names that mean something by themselves: renaming them would change or break the code. */
const KEEP = new Set(['main', 'self', 'this', 'cls', 'super', 'arguments', 'undefined', 'NULL', 'nil', 'None', 'True', 'False', '_']);

/** Where an `identifier` is a member name rather than a variable (it must keep its text). */
function isMemberName(node: Node): boolean {
  const parent = node.parent;
  if (!parent) return false;
  const field = fieldOf(node);
  return (parent.type === 'attribute' && field === 'attribute') || (parent.type === 'keyword_argument' && field === 'name')
    || (parent.type === 'field_access' && field === 'field') || (parent.type === 'method_invocation' && field === 'name')
    || parent.type === 'shorthand_property_identifier_pattern' || parent.type === 'shorthand_property_identifier';
}

function fieldOf(node: Node): string {
  const parent = node.parent;
  if (!parent) return '';
  for (let index = 0; index < parent.childCount; index++) {
    if (parent.child(index)?.id === node.id) return parent.fieldNameForChild(index) ?? '';
  }
  return '';
}

function declaresName(node: Node): boolean {
  let child = node;
  let parent = node.parent;
  while (parent && NAME_WRAPPERS.has(parent.type)) {
    child = parent;
    parent = parent.parent;
  }
  if (!parent || parent.parent?.type === 'field_declaration') return false; // a class field, reached through `this.`
  const fields = BINDERS[parent.type];
  return fields !== undefined && fields.includes(fieldOf(child));
}

function identifiers(root: Node): Node[] {
  return root.descendantsOfType('identifier').filter((node): node is Node => node !== null);
}

function renameEdits(root: Node, language: LanguageId, random: () => number): TextEdit[] {
  const all = identifiers(root);
  const used = new Set(all.map((node) => node.text));
  const renames = new Map<string, string>();
  // `{ name }` in JavaScript is both a property and a variable: such names keep their text.
  for (const type of ['shorthand_property_identifier', 'shorthand_property_identifier_pattern']) {
    for (const node of root.descendantsOfType(type)) if (node) renames.set(node.text, node.text);
  }
  for (const node of all) {
    const name = node.text;
    if (renames.has(name) || KEEP.has(name) || !declaresName(node) || isMemberName(node)) continue;
    if (random() < 0.2) { renames.set(name, name); continue; } // some names stay, as in a real edit
    const fresh = freshName(language, random, used);
    used.add(fresh);
    renames.set(name, fresh);
  }
  const edits: TextEdit[] = [];
  for (const node of all) {
    const fresh = renames.get(node.text);
    if (fresh !== undefined && fresh !== node.text && !isMemberName(node)) edits.push({ start: node.startIndex, end: node.endIndex, text: fresh });
  }
  return edits;
}

const SHORT_NAMES = ['a', 'b', 'c', 'd', 'k', 'm', 'n', 'p', 'q', 'r', 's', 't', 'u', 'v', 'w', 'x', 'y', 'z', 'i', 'j', 'tmp', 'num', 'cnt', 'res', 'ans', 'val', 'idx', 'len', 'sum', 'arr', 'buf', 'cur', 'ret', 'acc', 'out'];
const WORDS = ['item', 'value', 'count', 'node', 'total', 'index', 'buffer', 'result', 'left', 'right', 'temp', 'data', 'list', 'name', 'key', 'entry', 'first', 'last', 'current', 'number', 'size', 'flag', 'input', 'output', 'state', 'text', 'line', 'word', 'min', 'max', 'step', 'limit', 'offset', 'target', 'source', 'element'];
const CAMEL_CASE: ReadonlySet<LanguageId> = new Set(['javascript', 'typescript', 'tsx', 'java', 'go']);

/** A name not yet in the unit: a short one, one word, or two words in the language's usual case. */
function freshName(language: LanguageId, random: () => number, used: ReadonlySet<string>): string {
  for (let attempt = 0; ; attempt++) {
    const pick = <T>(items: readonly T[]): T => items[Math.floor(random() * items.length)]!;
    const roll = random();
    let name: string;
    if (roll < 0.4) name = pick(SHORT_NAMES);
    else if (roll < 0.7) name = pick(WORDS);
    else {
      const [first, second] = [pick(WORDS), pick(WORDS)];
      name = CAMEL_CASE.has(language) ? first + second[0]!.toUpperCase() + second.slice(1) : `${first}_${second}`;
    }
    if (attempt > 8) name += String(attempt);
    if (!used.has(name) && !RESERVED.has(name)) return name;
  }
}

const RESERVED = new Set(['len', 'sum', 'min', 'max', 'list', 'input', 'next', 'iter', 'type', 'str', 'int', 'char', 'float', 'long', 'short', 'out']);

// ---- reordering -----------------------------------------------------------------------------------

const SIMPLE_STATEMENTS = new Set([
  'declaration', 'expression_statement', 'local_variable_declaration', 'lexical_declaration', 'variable_declaration',
  'short_var_declaration', 'assignment_statement', 'let_declaration', 'var_declaration',
]);
/** Inside a statement, these may touch state beyond its own variables (calls, memory through pointers). */
const EFFECTFUL = /call|invocation|new_expression|await|yield|macro|lambda|function|closure|subscript|field_expression|member_expression|attribute|pointer_expression|field_access|selector_expression|index_expression|update_expression|delete|throw|comma_expression|sequence_expression/;

/** Adjacent assignments or declarations that share no name and make no call are swapped (each pair at most once). */
function reorderEdits(root: Node, _language: LanguageId, random: () => number): TextEdit[] {
  const edits: TextEdit[] = [];
  const visit = (node: Node): void => {
    const children = node.namedChildren.filter((child): child is Node => child !== null);
    for (let index = 0; index + 1 < children.length; index++) {
      const [first, second] = [children[index]!, children[index + 1]!];
      if (isIndependentSimple(first, second) && first.startPosition.row !== second.startPosition.row && random() < 0.6) {
        edits.push({ start: first.startIndex, end: first.endIndex, text: second.text }, { start: second.startIndex, end: second.endIndex, text: first.text });
        index++; // a statement moves at most once
      }
    }
    for (const child of children) if (!SIMPLE_STATEMENTS.has(child.type)) visit(child);
  };
  visit(root);
  return edits;
}

function isIndependentSimple(first: Node, second: Node): boolean {
  if (!isSimple(first) || !isSimple(second)) return false;
  const names = new Set(identifiers(first).map((node) => node.text));
  return identifiers(second).every((node) => !names.has(node.text));
}

function isSimple(node: Node): boolean {
  if (!SIMPLE_STATEMENTS.has(node.type) || node.text.includes('\n')) return false;
  const stack = [...node.namedChildren];
  while (stack.length > 0) {
    const next = stack.pop();
    if (!next) continue;
    if (EFFECTFUL.test(next.type)) return false;
    stack.push(...next.namedChildren);
  }
  return true;
}

// ---- if/else swapping -----------------------------------------------------------------------------

const BLOCKS = new Set(['compound_statement', 'block', 'statement_block']);

/** `if (c) {A} else {B}` becomes `if (!(c)) {B} else {A}`, when both branches are plain blocks and there is no else-if. */
function branchSwapEdits(root: Node, language: LanguageId, random: () => number): TextEdit[] {
  const edits: TextEdit[] = [];
  const statements = [...root.descendantsOfType('if_statement'), ...root.descendantsOfType('if_expression')];
  const taken: Node[] = [];
  for (const statement of statements) {
    if (!statement || random() >= 0.5) continue;
    if (taken.some((outer) => outer.startIndex <= statement.startIndex && statement.endIndex <= outer.endIndex)) continue; // one edit per region
    const condition = statement.childForFieldName('condition');
    const consequence = statement.childForFieldName('consequence');
    const alternative = statement.childForFieldName('alternative');
    if (!condition || !consequence || !alternative || statement.childForFieldName('initializer')) continue;
    if (/let|declaration/.test(condition.type) || condition.namedChildren.some((child) => child && /declaration|let/.test(child.type))) continue;
    if (statement.namedChildren.some((child) => child?.type === 'elif_clause')) continue;
    const otherwise = alternative.type === 'else_clause' ? (alternative.childForFieldName('body') ?? alternative.namedChildren.find((child) => child && BLOCKS.has(child.type)) ?? null) : alternative;
    if (!otherwise || !BLOCKS.has(consequence.type) || !BLOCKS.has(otherwise.type)) continue;
    edits.push(
      { start: condition.startIndex, end: condition.endIndex, text: negated(condition, language) },
      { start: consequence.startIndex, end: consequence.endIndex, text: otherwise.text },
      { start: otherwise.startIndex, end: otherwise.endIndex, text: consequence.text },
    );
    taken.push(statement);
  }
  return edits;
}

function negated(condition: Node, language: LanguageId): string {
  const text = condition.text;
  if (language === 'python') return `not (${text})`;
  // C, C++, Java and JavaScript keep the parentheses in the condition node (C++ in a condition_clause).
  if (text.startsWith('(') && text.endsWith(')')) return `(!${text})`;
  return `!(${text})`;
}
