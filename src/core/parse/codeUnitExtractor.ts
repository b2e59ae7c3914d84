import { hash } from 'node:crypto';
import { Node, Tree } from 'web-tree-sitter';
import { lowerBound } from '../lowerBound';
import { ByteOffsets } from './byteOffsets';
import { CodeUnit, UnitKind } from './codeUnit';
import { LanguageId } from './languages';
import { BODY_WRAPPERS, CONTAINER_KINDS, LEADING_TYPES, SINGLE_ITEM_DECLARATIONS, UNIT_RULES, unitName, UnitOrScope, UnitRules, WRAPPER_TYPES } from './unitRules';

export interface ChunkingOptions {
  /** Units longer than this are split on statement boundaries. */
  readonly maxUnitLines: number;
  /** Top-level code outside units is grouped into windows of at most this many lines. */
  readonly topLevelWindowLines: number;
}

export const DEFAULT_CHUNKING: ChunkingOptions = { maxUnitLines: 150, topLevelWindowLines: 40 };

/** A span in the source: UTF-16 indices (end exclusive) and 0-based rows (end inclusive). */
interface Span {
  start: number;
  end: number;
  startRow: number;
  endRow: number;
}

/** A node the walk entered, with what it knows about the node's place in the tree. */
interface Frame {
  readonly node: Node;
  readonly type: string;
  readonly parent: Frame | undefined;
  readonly siblings: readonly Node[];
  readonly index: number;
}

interface OpenScope {
  readonly end: number;
  readonly kind: UnitOrScope;
  readonly qualifiedName: string;
}

/**
 * Turns syntax trees into code units: functions, methods, types (with their doc comments), and
 * top-level code in bounded windows. Oversized units are split on statement boundaries.
 */
export class CodeUnitExtractor {
  constructor(
    private readonly options: ChunkingOptions = DEFAULT_CHUNKING,
    private readonly rules: Readonly<Record<LanguageId, UnitRules>> = UNIT_RULES,
  ) {}

  extract(tree: Tree, source: string, language: LanguageId, file: string): CodeUnit[] {
    const rules = this.rules[language];
    const markers = rules.markers(source);
    const offsets = new ByteOffsets(source);
    const units: CodeUnit[] = [];
    const emit = (kind: UnitKind, name: string, span: Span): void => {
      const text = source.slice(span.start, span.end);
      units.push({
        file, language, kind, name,
        startLine: span.startRow + 1,
        endLine: span.endRow + 1,
        startByte: offsets.byteAt(span.start),
        endByte: offsets.byteAt(span.end),
        text,
        hash: hash('sha256', text, 'hex').slice(0, 32),
      });
    };

    const root = tree.rootNode;
    const rootChildren = namedChildrenOf(root);
    const scopes: OpenScope[] = [];
    const topLevelSpans: Span[] = [];
    // Depth-first, in source order, on an explicit stack: deep nesting cannot overflow the call stack.
    const pending: Frame[] = [];
    pushChildren(pending, { node: root, type: root.type, parent: undefined, siblings: [], index: 0 }, rootChildren, root.endIndex, markers, rules.transparent);
    while (pending.length > 0) {
      const frame = pending.pop()!;
      const kind = rules.classify(frame.node, frame.type, frame.parent?.type);
      if (kind) {
        const outer = unitOuterFrame(frame);
        const span = withLeadingComments(outer);
        while (scopes.length > 0 && scopes[scopes.length - 1]!.end <= span.start) scopes.pop();
        const parent = scopes[scopes.length - 1];
        let ownName = unitName(frame.node, frame.type, language);
        if (ownName === '(anonymous)' && outer.type === 'export_statement') ownName = 'default';
        const qualifiedName = parent ? `${parent.qualifiedName}.${ownName}` : ownName;
        scopes.push({ end: span.end, kind, qualifiedName });
        if (!parent) topLevelSpans.push(span);
        if (kind !== 'scope') {
          let unitKind = kind;
          // A function directly inside a type is a method; so is C++'s out-of-class `A::m` definition.
          if (unitKind === 'function' && ((parent && CONTAINER_KINDS.has(parent.kind)) || (language === 'cpp' && ownName.includes('.')))) unitKind = 'method';
          if (span.endRow - span.startRow + 1 <= this.options.maxUnitLines) emit(unitKind, qualifiedName, span);
          else this.emitParts(frame.node, span, unitKind, qualifiedName, emit);
        }
      }
      if (!rules.opaque.has(frame.type)) pushChildren(pending, frame, namedChildrenOf(frame.node), frame.node.endIndex, markers, rules.transparent);
    }
    topLevelSpans.sort((a, b) => a.start - b.start);
    this.emitTopLevel(rootChildren, topLevelSpans, emit);
    return units.sort((a, b) => a.startByte - b.startByte || b.endByte - a.endByte);
  }

  /** Splits an oversized unit on the statement (or member) boundaries of its body. */
  private emitParts(node: Node, whole: Span, kind: UnitKind, name: string, emit: (kind: UnitKind, name: string, span: Span) => void): void {
    const isContainer = CONTAINER_KINDS.has(kind);
    const max = this.options.maxUnitLines;
    const parts: (Span & { hasCode: boolean })[] = [];
    // The first part starts with the header (and doc comment) and grows statement by statement.
    let current: (Span & { hasCode: boolean }) | undefined = { ...whole, end: node.startIndex, endRow: node.startPosition.row, hasCode: true };
    for (const statement of bodyStatements(node)) {
      // A large type's members that are units themselves (its methods) are not repeated in its parts.
      if (isContainer && isMemberUnit(statement)) {
        if (current) { parts.push(current); current = undefined; }
        continue;
      }
      const statementSpan = spanOf(statement);
      if (current && statementSpan.endRow - current.startRow + 1 > max && current.end > current.start) {
        parts.push(current);
        current = undefined;
      }
      if (!current) current = { ...statementSpan, hasCode: false };
      else { current.end = statementSpan.end; current.endRow = statementSpan.endRow; }
      if (!isDocumentationOnly(statement)) current.hasCode = true;
    }
    if (current) parts.push(current);
    if (parts.length === 0) { emit(kind, name, whole); return; }
    // A function's last part runs to its end (the closing brace).
    if (!isContainer) { parts[parts.length - 1]!.end = whole.end; parts[parts.length - 1]!.endRow = whole.endRow; }
    // A part holding only comments (between two methods of a large class) is not code worth a unit.
    const nonEmpty = parts.filter((part) => part.end > part.start && part.hasCode).map(({ hasCode: _, ...span }) => span);
    nonEmpty.forEach((part, index) => emit(kind, nonEmpty.length === 1 ? name : `${name}#${index + 1}`, part));
  }

  /** Code outside every unit, in windows of bounded line count, breaking at units. */
  private emitTopLevel(children: readonly Node[], unitSpans: readonly Span[], emit: (kind: UnitKind, name: string, span: Span) => void): void {
    const windowLines = this.options.topLevelWindowLines;
    let window: Span | undefined;
    let windowHasCode = false;
    let unitIndex = 0;
    const flush = (): void => {
      if (window && windowHasCode) emit('toplevel', '<top-level>', window);
      window = undefined;
      windowHasCode = false;
    };
    for (const child of children) {
      const start = child.startIndex;
      while (unitIndex < unitSpans.length && unitSpans[unitIndex]!.end <= start) unitIndex++;
      const end = child.endIndex;
      if (unitIndex < unitSpans.length && unitSpans[unitIndex]!.start < end) { flush(); continue; }
      const span = spanOf(child);
      if (window && span.endRow - window.startRow + 1 > windowLines) flush();
      if (!window) window = span;
      else { window.end = span.end; window.endRow = span.endRow; }
      if (!isDocumentationOnly(child)) windowHasCode = true;
    }
    flush();
  }
}

/**
 * Pushes the children of `frame` worth visiting, last first so the first is visited next: those that
 * contain a marker, those of a transparent type, and every child of a transparent node.
 */
function pushChildren(pending: Frame[], frame: Frame, children: readonly Node[], parentEnd: number, markers: readonly number[], transparent: ReadonlySet<string>): void {
  const all = transparent.has(frame.type);
  for (let index = children.length - 1; index >= 0; index--) {
    const child = children[index]!;
    // Up to the next sibling's start: the same markers as the child's own end, without a wasm call.
    const end = index + 1 < children.length ? children[index + 1]!.startIndex : parentEnd;
    if (all || containsMarker(markers, child.startIndex, end) || (transparent.size > 0 && transparent.has(child.type))) {
      pending.push({ node: child, type: child.type, parent: frame, siblings: children, index });
    }
  }
}

/** The frame whose span the unit covers: widened to decorators, `export`, templates, and one-item declarations. */
function unitOuterFrame(frame: Frame): Frame {
  let outer = frame;
  const parent = outer.parent;
  if (parent && SINGLE_ITEM_DECLARATIONS.has(parent.type) && parent.node.namedChildCount === 1) outer = parent;
  while (outer.parent && WRAPPER_TYPES.has(outer.parent.type)) outer = outer.parent;
  return outer;
}

/**
 * The unit's span, reaching back over the comments and attributes directly above it (doc comments,
 * Rust's #[derive]): they describe the unit, and search and docstring mining need them with it.
 */
function withLeadingComments(frame: Frame): Span {
  const span = spanOf(frame.node);
  for (let index = frame.index - 1; index >= 0; index--) {
    const previous = frame.siblings[index]!;
    if (!LEADING_TYPES.has(previous.type)) break;
    // Adjacent only: a blank line ends a doc comment; a comment trailing the line before is not ours.
    if (lastRow(previous) < span.startRow - 1) break;
    const before = index > 0 ? frame.siblings[index - 1]! : undefined;
    if (before && lastRow(before) >= previous.startPosition.row) break;
    span.start = previous.startIndex;
    span.startRow = previous.startPosition.row;
  }
  return span;
}

/** A comment, or a statement that is only a string (a docstring): documentation, not code. */
function isDocumentationOnly(node: Node): boolean {
  if (node.type.includes('comment')) return true;
  return node.type === 'expression_statement' && node.namedChildCount === 1 && node.namedChildren[0]?.type === 'string';
}

function spanOf(node: Node): Span {
  return { start: node.startIndex, end: node.endIndex, startRow: node.startPosition.row, endRow: lastRow(node) };
}

/** The last row a node has text on: one that ends just after a newline (Rust's line comments) ends on the row before. */
function lastRow(node: Node): number {
  const end = node.endPosition;
  return end.column === 0 && end.row > node.startPosition.row ? end.row - 1 : end.row;
}

function namedChildrenOf(node: Node): Node[] {
  return node.namedChildren.filter((child): child is Node => child !== null);
}

function containsMarker(markers: readonly number[], start: number, end: number): boolean {
  const first = lowerBound(markers, start);
  return first < markers.length && markers[first]! < end;
}

const MEMBER_UNIT_TYPES = new Set([
  'function_definition', 'decorated_definition', 'method_definition', 'method_declaration', 'constructor_declaration',
  'function_item', 'function_declaration', 'class_definition', 'class_declaration', 'template_declaration',
  'interface_declaration', 'enum_declaration',
]);

function isMemberUnit(node: Node): boolean {
  if (MEMBER_UNIT_TYPES.has(node.type)) return true;
  if (node.type === 'public_field_definition' || node.type === 'field_definition') {
    const value = node.childForFieldName('value');
    return value !== null && (value.type === 'arrow_function' || value.type === 'function_expression');
  }
  return false;
}

function bodyStatements(node: Node): Node[] {
  let body = node.childForFieldName('body');
  if (!body && node.type === 'variable_declarator') body = node.childForFieldName('value')?.childForFieldName('body') ?? null;
  if (!body && node.type === 'type_spec') body = node.childForFieldName('type');
  if (!body) body = node.namedChildren[node.namedChildCount - 1] ?? null;
  if (!body) return [];
  const statements: Node[] = [];
  for (const child of namedChildrenOf(body)) {
    if (BODY_WRAPPERS.has(child.type)) statements.push(...namedChildrenOf(child));
    else statements.push(child);
  }
  return statements;
}
