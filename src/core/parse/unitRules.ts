import type { Node } from 'web-tree-sitter';
import type { UnitKind } from './codeUnit';
import type { LanguageId } from './languages';

export type UnitOrScope = UnitKind | 'scope';

/**
 * How to find code units in one language's syntax tree without visiting every node.
 *
 * - `markers`: text that every unit (and every node containing one) must contain, such as `def` in
 *   Python. The walk skips any subtree whose text has no marker, which is most of a file: finding
 *   units then costs a small fraction of parsing (a full traversal costs about a quarter of it).
 *   A marker inside a string or comment only makes the walk look a little closer; it never hides a unit.
 * - `classify`: whether a node is a unit (and its kind), a named scope, or neither.
 * - `opaque`: node types whose insides hold no units worth their cost (function bodies in C or Go).
 * - `transparent`: node types whose children are all visited, markers or not (a class body's members).
 */
export interface UnitRules {
  /** Sorted positions in `source` where a marker ends. */
  markers(source: string): number[];
  classify(node: Node, type: string, parentType: string | undefined): UnitOrScope | undefined;
  readonly opaque: ReadonlySet<string>;
  readonly transparent: ReadonlySet<string>;
}

const NONE: ReadonlySet<string> = new Set();

const FUNCTION_VALUES = new Set(['arrow_function', 'function_expression', 'generator_function', 'function']);

function valueKind(node: Node, field: string): UnitOrScope | undefined {
  const value = node.childForFieldName(field);
  if (!value) return undefined;
  if (FUNCTION_VALUES.has(value.type)) return 'function';
  if (value.type === 'class') return 'class';
  return undefined;
}

function jsClassify(node: Node, type: string, parentType: string | undefined): UnitOrScope | undefined {
  switch (type) {
    case 'function_declaration':
    case 'generator_function_declaration':
      return 'function';
    case 'class_declaration':
    case 'abstract_class_declaration':
      return 'class';
    case 'method_definition':
      return 'method';
    case 'interface_declaration':
      return 'interface';
    case 'enum_declaration':
      return 'enum';
    case 'internal_module':
      return 'scope';
    case 'variable_declarator':
      return valueKind(node, 'value');
    case 'assignment_expression':
      return parentType === 'expression_statement' ? valueKind(node, 'right') : undefined;
    case 'pair':
      // Only pairs of an object literal bound to a name: `const api = { get: () => ... }` gives `api.get`.
      return node.parent?.parent?.type === 'variable_declarator' && valueKind(node, 'value') === 'function' ? 'method' : undefined;
    case 'field_definition':
    case 'public_field_definition':
      return valueKind(node, 'value') === 'function' ? 'method' : undefined;
    default:
      return undefined;
  }
}

const JS_KEYWORDS = /function|=>|\bclass\b|\binterface\b|\benum\b|\bnamespace\b/g;
/** `) {` or `): Type {`: where a parameter list meets a body. */
const BODY_AFTER_PARAMETERS = /\)[ \t]*(?::[^{;\n]*)?\{/g;
/** Words that may stand before `(...) {` without making it a method. */
const CONTROL_WORDS = new Set(['if', 'for', 'while', 'switch', 'catch', 'with', 'return', 'function', 'do', 'else', 'new', 'await', 'typeof', 'yield', 'in', 'of']);

/**
 * Functions announce themselves (function, =>, class); shorthand methods (`name(...) {` in classes and
 * object literals) do not. In JavaScript `name(...) {` is a method definition whenever `name` is not
 * a control word, so each `) {` whose `(` follows such a name is a marker too. Two cheap scans: one
 * regex with that check inside it cost several times more.
 */
function jsMarkers(source: string): number[] {
  const keywords = regexPositions(JS_KEYWORDS, source);
  const methods: number[] = [];
  BODY_AFTER_PARAMETERS.lastIndex = 0;
  for (let match = BODY_AFTER_PARAMETERS.exec(source); match; match = BODY_AFTER_PARAMETERS.exec(source)) {
    const open = matchingParenthesis(source, match.index);
    if (open === -1) continue;
    const name = nameBefore(source, open);
    // The marker goes on the name, not the body: a body is only worth entering for what is nested in it.
    // `function name(...) {` is marked by its keyword already.
    if (name && !CONTROL_WORDS.has(source.slice(name.start, name.end)) && !followsFunctionKeyword(source, name.start)) methods.push(name.start);
  }
  return mergeSorted(keywords, methods);
}

function followsFunctionKeyword(source: string, nameStart: number): boolean {
  let i = nameStart - 1;
  while (i >= 0 && (isSpace(source.charCodeAt(i)) || source.charCodeAt(i) === 42 /* * */)) i--;
  return i >= 7 && source.startsWith('function', i - 7);
}

/** The identifier right before `(` at `open` (skipping spaces and `<type parameters>`), if any. */
function nameBefore(source: string, open: number): { start: number; end: number } | undefined {
  let i = open - 1;
  while (i >= 0 && isSpace(source.charCodeAt(i))) i--;
  if (source.charCodeAt(i) === 62 /* > */) {
    for (let depth = 0, limit = i - 200; i > limit && i >= 0; i--) {
      const code = source.charCodeAt(i);
      if (code === 62) depth++;
      else if (code === 60 /* < */ && --depth === 0) break;
    }
    i--;
    while (i >= 0 && isSpace(source.charCodeAt(i))) i--;
  }
  const end = i + 1;
  while (i >= 0 && isNameCharacter(source.charCodeAt(i))) i--;
  return end > i + 1 ? { start: i + 1, end } : undefined;
}

function isSpace(code: number): boolean {
  return code === 32 || code === 9 || code === 10 || code === 13;
}

function isNameCharacter(code: number): boolean {
  return (code >= 97 && code <= 122) || (code >= 65 && code <= 90) || (code >= 48 && code <= 57) || code === 95 || code === 36 || code === 35 || code > 127;
}

/** The index of the `(` that the `)` at `close` closes, looking back at most 4,000 characters. */
function matchingParenthesis(source: string, close: number): number {
  let depth = 0;
  for (let i = close; i >= 0 && close - i < 4000; i--) {
    const code = source.charCodeAt(i);
    if (code === 41) depth++; // )
    else if (code === 40 && --depth === 0) return i; // (
  }
  return -1;
}

function mergeSorted(a: readonly number[], b: readonly number[]): number[] {
  const merged: number[] = [];
  let i = 0;
  let j = 0;
  while (i < a.length || j < b.length) merged.push(j >= b.length || (i < a.length && a[i]! <= b[j]!) ? a[i++]! : b[j++]!);
  return merged;
}

/** Positions of the last character of each match of a global regex. */
export function regexPositions(pattern: RegExp, source: string): number[] {
  const positions: number[] = [];
  pattern.lastIndex = 0;
  for (let match = pattern.exec(source); match; match = pattern.exec(source)) {
    positions.push(match.index + match[0].length - 1);
    if (match[0].length === 0) pattern.lastIndex++;
  }
  return positions;
}

const byRegex = (pattern: RegExp) => (source: string): number[] => regexPositions(pattern, source);

const JS_RULES: UnitRules = {
  markers: jsMarkers,
  classify: jsClassify,
  opaque: new Set(['string', 'template_string', 'regex', 'comment', 'jsx_text']),
  // Methods need no marker inside a class body: `class A { m() {} }` on one line has no method head opening a line.
  transparent: new Set(['class_body']),
};

const PYTHON_RULES: UnitRules = {
  markers: byRegex(/\b(?:def|class)\b/g),
  classify: (_node, type) => (type === 'function_definition' ? 'function' : type === 'class_definition' ? 'class' : undefined),
  opaque: new Set(['string', 'comment']),
  transparent: NONE,
};

const JAVA_RULES: UnitRules = {
  markers: byRegex(/\b(?:class|interface|enum|record)\b|\)[ \t\r\n]*(?:throws[^{;]*)?\{/g),
  // A method without a body (in an interface, or abstract) declares rather than defines: not a unit.
  classify: (node, type) => (type === 'method_declaration' && !node.childForFieldName('body') ? undefined : JAVA_KINDS.get(type)),
  // Units inside method bodies (local and anonymous classes) belong to their method.
  opaque: new Set(['block', 'constructor_body', 'string_literal', 'block_comment', 'line_comment']),
  transparent: NONE,
};
const JAVA_KINDS = new Map<string, UnitOrScope>([
  ['class_declaration', 'class'], ['record_declaration', 'class'], ['interface_declaration', 'interface'],
  ['annotation_type_declaration', 'interface'], ['enum_declaration', 'enum'], ['method_declaration', 'method'],
  ['constructor_declaration', 'method'], ['compact_constructor_declaration', 'method'],
]);

const GO_RULES: UnitRules = {
  markers: byRegex(/\b(?:func|struct|interface)\b/g),
  classify: (node, type) => {
    if (type === 'function_declaration') return 'function';
    if (type === 'method_declaration') return 'method';
    if (type === 'type_spec') {
      const spec = node.childForFieldName('type')?.type;
      return spec === 'struct_type' ? 'struct' : spec === 'interface_type' ? 'interface' : undefined;
    }
    return undefined;
  },
  opaque: new Set(['block', 'parameter_list', 'interpreted_string_literal', 'raw_string_literal', 'comment']),
  transparent: NONE,
};

const RUST_RULES: UnitRules = {
  markers: byRegex(/\b(?:fn|struct|enum|union|trait|impl|mod)\b/g),
  classify: (node, type) => {
    switch (type) {
      case 'function_item': return 'function';
      case 'struct_item': case 'union_item': return 'struct';
      case 'enum_item': return 'enum';
      case 'trait_item': return 'trait';
      case 'impl_item': return 'impl';
      case 'mod_item': return node.childForFieldName('body') ? 'scope' : undefined;
      default: return undefined;
    }
  },
  opaque: new Set(['string_literal', 'raw_string_literal', 'line_comment', 'block_comment', 'parameters']),
  transparent: NONE,
};

function cClassify(node: Node, type: string): UnitOrScope | undefined {
  switch (type) {
    case 'function_definition': return 'function';
    case 'class_specifier': return hasNameAndBody(node) ? 'class' : undefined;
    case 'struct_specifier': case 'union_specifier': return hasNameAndBody(node) ? 'struct' : undefined;
    case 'enum_specifier': return hasNameAndBody(node) ? 'enum' : undefined;
    case 'type_definition': {
      const inner = node.childForFieldName('type');
      if (!inner?.childForFieldName('body')) return undefined;
      return inner.type === 'enum_specifier' ? 'enum' : inner.type === 'struct_specifier' || inner.type === 'union_specifier' || inner.type === 'class_specifier' ? 'struct' : undefined;
    }
    case 'namespace_definition': return 'scope';
    default: return undefined;
  }
}

function hasNameAndBody(node: Node): boolean {
  return node.childForFieldName('name') !== null && node.childForFieldName('body') !== null;
}

const C_RULES: UnitRules = {
  // Every definition worth a unit has a body in braces.
  markers: byRegex(/\{/g),
  classify: cClassify,
  // Function bodies hold no further units (C++ lambdas and local classes belong to their function);
  // a typedef's struct is the typedef's unit.
  opaque: new Set(['compound_statement', 'type_definition', 'string_literal', 'comment', 'parameter_list', 'initializer_list', 'enumerator_list']),
  transparent: NONE,
};

export const UNIT_RULES: Record<LanguageId, UnitRules> = {
  python: PYTHON_RULES,
  javascript: JS_RULES,
  typescript: JS_RULES,
  tsx: JS_RULES,
  java: JAVA_RULES,
  go: GO_RULES,
  rust: RUST_RULES,
  c: C_RULES,
  cpp: C_RULES,
};

/** Kinds whose nested functions are methods and whose names qualify what they contain. */
export const CONTAINER_KINDS: ReadonlySet<UnitOrScope> = new Set(['class', 'interface', 'enum', 'struct', 'trait', 'impl']);

/** Wrappers whose span belongs to the unit inside them (decorators, export, C++ templates). */
export const WRAPPER_TYPES: ReadonlySet<string> = new Set(['decorated_definition', 'export_statement', 'template_declaration']);

/** Declarations that, holding a single unit, lend it their span (`const f = () => ...` includes `const`). */
export const SINGLE_ITEM_DECLARATIONS: ReadonlySet<string> = new Set(['lexical_declaration', 'variable_declaration', 'type_declaration', 'expression_statement']);

/** Comments and attributes directly above a unit belong to it (doc comments, Rust's #[derive]). */
export const LEADING_TYPES: ReadonlySet<string> = new Set(['comment', 'line_comment', 'block_comment', 'attribute_item']);

const NAME_LIKE = new Set([
  'identifier', 'field_identifier', 'type_identifier', 'property_identifier', 'private_property_identifier',
  'qualified_identifier', 'destructor_name', 'operator_name', 'template_function', 'namespace_identifier',
  'scoped_identifier', 'operator_cast', 'scoped_type_identifier', 'generic_type', 'template_type',
]);

/** The unit's own name (not yet qualified by its scopes). */
export function unitName(node: Node, type: string, language: LanguageId): string {
  switch (type) {
    case 'variable_declarator':
    case 'type_spec':
      return textOf(node.childForFieldName('name'));
    case 'assignment_expression':
      return oneLine(textOf(node.childForFieldName('left')));
    case 'pair': {
      const owner = node.parent?.parent?.childForFieldName('name');
      const key = stripQuotes(textOf(node.childForFieldName('key')));
      return owner ? `${owner.text}.${key}` : key;
    }
    case 'field_definition':
      return textOf(node.childForFieldName('property'));
    case 'method_declaration':
      if (language === 'go') return goMethodName(node);
      break;
    case 'impl_item':
      return baseTypeName(node.childForFieldName('type'));
    case 'function_definition':
      if (language === 'c' || language === 'cpp') return declaratorName(node.childForFieldName('declarator'));
      break;
    case 'type_definition':
      return declaratorName(node.childForFieldName('declarator'));
  }
  const name = node.childForFieldName('name');
  if (name) return normalizeScopes(name.text);
  return '(anonymous)';
}

/** C and C++: walk the declarator chain (pointer, reference, function declarators) down to the name. */
function declaratorName(declarator: Node | null): string {
  let node = declarator;
  for (let depth = 0; node && depth < 16; depth++) {
    if (NAME_LIKE.has(node.type)) return normalizeScopes(node.text);
    node = node.childForFieldName('declarator') ?? node.namedChildren.find((child) => child !== null && (child.type.endsWith('declarator') || NAME_LIKE.has(child.type))) ?? null;
  }
  return '(anonymous)';
}

function goMethodName(method: Node): string {
  const receiverType = method.childForFieldName('receiver')?.descendantsOfType('type_identifier')[0];
  const name = textOf(method.childForFieldName('name'));
  return receiverType ? `${receiverType.text}.${name}` : name;
}

function baseTypeName(type: Node | null): string {
  if (!type) return '(anonymous)';
  if (type.type === 'generic_type') return baseTypeName(type.childForFieldName('type'));
  return normalizeScopes(type.text);
}

/** C++ `A::b` and Rust `a::B` become `A.b`, the one separator qualified names use. */
function normalizeScopes(name: string): string {
  return oneLine(name).replace(/::/g, '.');
}

function oneLine(text: string): string {
  return text.replace(/\s+/g, ' ').trim();
}

function stripQuotes(text: string): string {
  return text.replace(/^(['"`])(.*)\1$/s, '$2');
}

function textOf(node: Node | null): string {
  return node ? node.text : '(anonymous)';
}

/** Node types that wrap the statements of a body and should be looked through when splitting. */
export const BODY_WRAPPERS: ReadonlySet<string> = new Set(['statement_list', 'enum_body_declarations']);
