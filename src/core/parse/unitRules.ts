import type { Node } from 'web-tree-sitter';
import type { UnitKind } from './codeUnit';
import type { LanguageId } from './languages';

/**
 * Which syntax nodes are code units, per language, as tree-sitter queries: matching runs inside the
 * wasm runtime, so finding units costs a fraction of the parse. Capture names are unit kinds, or
 * "scope" for named scopes that qualify names without being units (namespaces, modules).
 */
const JS_COMMON = `
(function_declaration) @function
(generator_function_declaration) @function
(class_declaration) @class
(method_definition) @method
(variable_declarator value: [(arrow_function) (function_expression) (generator_function)]) @function
(variable_declarator value: (class)) @class
(assignment_expression right: [(arrow_function) (function_expression) (generator_function)]) @function
(variable_declarator value: (object (pair value: [(arrow_function) (function_expression) (generator_function)]) @method))
`;

export const UNIT_QUERIES: Record<LanguageId, string> = {
  python: `
(function_definition) @function
(class_definition) @class
`,
  javascript: `${JS_COMMON}
(field_definition value: [(arrow_function) (function_expression)]) @method
`,
  typescript: `${JS_COMMON}
(abstract_class_declaration) @class
(interface_declaration) @interface
(enum_declaration) @enum
(public_field_definition value: [(arrow_function) (function_expression)]) @method
(internal_module) @scope
`,
  tsx: '', // filled below: the same rules as TypeScript
  java: `
(class_declaration) @class
(record_declaration) @class
(interface_declaration) @interface
(annotation_type_declaration) @interface
(enum_declaration) @enum
(method_declaration) @method
(constructor_declaration) @method
(compact_constructor_declaration) @method
`,
  go: `
(function_declaration) @function
(method_declaration) @method
(type_spec type: (struct_type)) @struct
(type_spec type: (interface_type)) @interface
`,
  rust: `
(function_item) @function
(struct_item) @struct
(union_item) @struct
(enum_item) @enum
(trait_item) @trait
(impl_item) @impl
(mod_item body: (declaration_list)) @scope
`,
  c: `
(function_definition) @function
(struct_specifier name: (_) body: (_)) @struct
(union_specifier name: (_) body: (_)) @struct
(enum_specifier name: (_) body: (_)) @enum
(type_definition type: [(struct_specifier body: (_)) (union_specifier body: (_))]) @struct
(type_definition type: (enum_specifier body: (_))) @enum
`,
  cpp: `
(function_definition) @function
(class_specifier name: (_) body: (_)) @class
(struct_specifier name: (_) body: (_)) @struct
(union_specifier name: (_) body: (_)) @struct
(enum_specifier name: (_) body: (_)) @enum
(type_definition type: [(struct_specifier body: (_)) (class_specifier body: (_))]) @struct
(namespace_definition) @scope
`,
};
UNIT_QUERIES.tsx = UNIT_QUERIES.typescript;

export type CaptureKind = UnitKind | 'scope';

/** Kinds whose nested functions are methods and whose names qualify what they contain. */
export const CONTAINER_KINDS: ReadonlySet<CaptureKind> = new Set(['class', 'interface', 'enum', 'struct', 'trait', 'impl']);

const NAME_LIKE = new Set([
  'identifier', 'field_identifier', 'type_identifier', 'property_identifier', 'private_property_identifier',
  'qualified_identifier', 'destructor_name', 'operator_name', 'template_function', 'namespace_identifier',
  'scoped_identifier', 'operator_cast', 'scoped_type_identifier', 'generic_type', 'template_type',
]);

/** Wrappers whose span belongs to the unit inside them (decorators, export, template, typedef). */
const WRAPPERS = new Set(['decorated_definition', 'export_statement', 'template_declaration']);

/** The node whose span the unit covers: the captured node, widened to a wrapper or a one-item declaration. */
export function unitSpanNode(captured: Node): Node {
  let span = captured;
  const parent = span.parent;
  if (parent) {
    const t = parent.type;
    const onlyItem = parent.namedChildCount === 1 ||
      (t === 'lexical_declaration' || t === 'variable_declaration') && countDeclarators(parent) === 1;
    if ((t === 'lexical_declaration' || t === 'variable_declaration' || t === 'type_declaration') && onlyItem) span = parent;
    else if (t === 'expression_statement' && captured.type === 'assignment_expression') span = parent;
  }
  // Wrappers may nest (export of a decorated class, template of a template).
  for (let up = span.parent; up && WRAPPERS.has(up.type); up = up.parent) span = up;
  return span;
}

function countDeclarators(declaration: Node): number {
  let count = 0;
  for (const child of declaration.namedChildren) if (child && child.type === 'variable_declarator') count++;
  return count;
}

/** The unit's own name (not yet qualified by its scopes). */
export function unitName(captured: Node, language: LanguageId): string {
  switch (captured.type) {
    case 'variable_declarator':
    case 'type_spec':
      return textOf(captured.childForFieldName('name'));
    case 'assignment_expression':
      return oneLine(textOf(captured.childForFieldName('left')));
    case 'pair': {
      // Only pairs of an object literal bound to a name are units: `const api = { get: () => ... }` gives `api.get`.
      const owner = captured.parent?.parent?.childForFieldName('name');
      const key = stripQuotes(textOf(captured.childForFieldName('key')));
      return owner ? `${owner.text}.${key}` : key;
    }
    case 'field_definition':
      return textOf(captured.childForFieldName('property'));
    case 'method_declaration':
      if (language === 'go') return goMethodName(captured);
      break;
    case 'impl_item': {
      const type = captured.childForFieldName('type');
      return baseTypeName(type);
    }
    case 'function_definition':
      if (language === 'c' || language === 'cpp') return declaratorName(captured.childForFieldName('declarator'));
      break;
    case 'type_definition':
      return declaratorName(captured.childForFieldName('declarator'));
    case 'namespace_definition':
      return captured.childForFieldName('name') ? normalizeScopes(textOf(captured.childForFieldName('name'))) : '(anonymous)';
  }
  const name = captured.childForFieldName('name');
  if (name) return normalizeScopes(textOf(name));
  if (captured.parent?.type === 'export_statement') return 'default';
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
  const receiver = method.childForFieldName('receiver');
  const receiverType = receiver?.descendantsOfType('type_identifier')[0];
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
export const BODY_WRAPPERS = new Set(['statement_list', 'enum_body_declarations']);
