import { createHash } from 'node:crypto';
import { Language, Node, Query, Tree } from 'web-tree-sitter';
import { ByteOffsets } from './byteOffsets';
import { CodeUnit, UnitKind } from './codeUnit';
import { LanguageId } from './languages';
import { BODY_WRAPPERS, CaptureKind, CONTAINER_KINDS, UNIT_QUERIES, unitName, unitSpanNode } from './unitRules';

export interface ChunkingOptions {
  /** Units longer than this are split on statement boundaries. */
  readonly maxUnitLines: number;
  /** Top-level code outside units is grouped into windows of at most this many lines. */
  readonly topLevelWindowLines: number;
}

export const DEFAULT_CHUNKING: ChunkingOptions = { maxUnitLines: 150, topLevelWindowLines: 40 };

/** A span in the source, UTF-16 indices and 0-based rows, end exclusive. */
interface Span {
  start: number;
  end: number;
  startRow: number;
  endRow: number;
}

interface OpenScope {
  readonly end: number;
  readonly kind: CaptureKind;
  readonly qualifiedName: string;
}

/**
 * Turns syntax trees into code units. Holds one compiled query per language; call `delete()` when done
 * (queries live in wasm memory).
 */
export class CodeUnitExtractor {
  private readonly queries = new Map<Language, Query>();

  constructor(private readonly options: ChunkingOptions = DEFAULT_CHUNKING) {}

  extract(tree: Tree, source: string, language: LanguageId, file: string): CodeUnit[] {
    const root = tree.rootNode;
    const query = this.queryFor(tree.language, language);
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
        hash: createHash('sha256').update(text).digest('hex').slice(0, 32),
      });
    };

    const stack: OpenScope[] = [];
    const topLevelSpans: Span[] = [];
    let lastSpanNode: Node | undefined;
    for (const capture of query.captures(root)) {
      const captured = capture.node;
      const spanNode = unitSpanNode(captured);
      // A C typedef'd struct is captured twice (the typedef and the struct inside it): keep the typedef.
      if (lastSpanNode && (spanNode.id === lastSpanNode.id || captured.parent?.id === lastSpanNode.id)) continue;
      lastSpanNode = spanNode;

      while (stack.length > 0 && stack[stack.length - 1]!.end <= spanNode.startIndex) stack.pop();
      const parent = stack[stack.length - 1];
      const ownName = unitName(captured, language);
      const qualifiedName = parent ? `${parent.qualifiedName}.${ownName}` : ownName;
      const captureKind = capture.name as CaptureKind;
      stack.push({ end: spanNode.endIndex, kind: captureKind, qualifiedName });
      const span = withLeadingComments(spanNode);
      if (!parent) topLevelSpans.push(span);
      if (captureKind === 'scope') continue;

      let kind = captureKind as UnitKind;
      // A function directly inside a type is a method; so is C++'s out-of-class `A::m` definition.
      if (kind === 'function' && ((parent && CONTAINER_KINDS.has(parent.kind)) || (language === 'cpp' && ownName.includes('.')))) kind = 'method';
      const lines = span.endRow - span.startRow + 1;
      if (lines <= this.options.maxUnitLines) emit(kind, qualifiedName, span);
      else this.emitParts(captured, spanNode, kind, qualifiedName, emit);
    }
    this.emitTopLevel(root, topLevelSpans, emit);
    return units.sort((a, b) => a.startByte - b.startByte || b.endByte - a.endByte);
  }

  /** Splits an oversized unit on the statement (or member) boundaries of its body. */
  private emitParts(captured: Node, spanNode: Node, kind: UnitKind, name: string, emit: (kind: UnitKind, name: string, span: Span) => void): void {
    const isContainer = CONTAINER_KINDS.has(kind);
    const statements = bodyStatements(captured);
    const max = this.options.maxUnitLines;
    const parts: Span[] = [];
    const whole = withLeadingComments(spanNode);
    let current: Span | undefined = { ...whole, end: spanNode.startIndex, endRow: spanNode.startPosition.row };
    for (const statement of statements) {
      // Members of a large type that are units themselves (its methods) are not repeated in its parts.
      if (isContainer && isUnitNode(statement)) {
        if (current) { parts.push(current); current = undefined; }
        continue;
      }
      const statementSpan = spanOf(statement);
      if (current && statementSpan.endRow - current.startRow + 1 > max && current.end > current.start) {
        parts.push(current);
        current = undefined;
      }
      if (!current) current = statementSpan;
      else { current.end = statementSpan.end; current.endRow = statementSpan.endRow; }
    }
    if (current) parts.push(current);
    // The last part runs to the unit's end (closing brace); the first always starts at the header.
    if (parts.length === 0) { emit(kind, name, whole); return; }
    if (!isContainer) { parts[parts.length - 1]!.end = whole.end; parts[parts.length - 1]!.endRow = whole.endRow; }
    const nonEmpty = parts.filter((part) => part.end > part.start);
    nonEmpty.forEach((part, index) => emit(kind, nonEmpty.length === 1 ? name : `${name}#${index + 1}`, part));
  }

  /** Code outside every unit, in windows of bounded line count, breaking at units. */
  private emitTopLevel(root: Node, unitSpans: readonly Span[], emit: (kind: UnitKind, name: string, span: Span) => void): void {
    const windowLines = this.options.topLevelWindowLines;
    let window: Span | undefined;
    let windowHasCode = false;
    let unitIndex = 0;
    const flush = (): void => {
      if (window && windowHasCode) emit('toplevel', '<top-level>', window);
      window = undefined;
      windowHasCode = false;
    };
    for (const child of root.namedChildren) {
      if (!child) continue;
      while (unitIndex < unitSpans.length && unitSpans[unitIndex]!.end <= child.startIndex) unitIndex++;
      const overlapsUnit = unitIndex < unitSpans.length && unitSpans[unitIndex]!.start < child.endIndex;
      if (overlapsUnit) { flush(); continue; }
      const span = spanOf(child);
      if (window && span.endRow - window.startRow + 1 > windowLines) flush();
      if (!window) window = span;
      else { window.end = span.end; window.endRow = span.endRow; }
      if (!child.type.includes('comment')) windowHasCode = true;
    }
    flush();
  }

  private queryFor(grammar: Language, language: LanguageId): Query {
    let query = this.queries.get(grammar);
    if (!query) {
      query = new Query(grammar, UNIT_QUERIES[language]);
      this.queries.set(grammar, query);
    }
    return query;
  }

  delete(): void {
    for (const query of this.queries.values()) query.delete();
    this.queries.clear();
  }
}

function spanOf(node: Node): Span {
  return { start: node.startIndex, end: node.endIndex, startRow: node.startPosition.row, endRow: lastRow(node) };
}

/** The last row a node has text on: one that ends just after a newline (Rust's line comments) ends on the row before. */
function lastRow(node: Node): number {
  const end = node.endPosition;
  return end.column === 0 && end.row > node.startPosition.row ? end.row - 1 : end.row;
}

/**
 * The unit's span, reaching back over the comments and attributes directly above it (doc comments,
 * Rust's #[derive]): they describe the unit, and search and docstring mining need them with it.
 */
function withLeadingComments(node: Node): Span {
  const span = spanOf(node);
  for (let previous = node.previousNamedSibling; previous && LEADING_TYPES.has(previous.type); previous = previous.previousNamedSibling) {
    // Adjacent only: a blank line ends a doc comment; a comment trailing the line before is not ours.
    if (lastRow(previous) < span.startRow - 1) break;
    const before = previous.previousNamedSibling;
    if (before && lastRow(before) >= previous.startPosition.row) break;
    span.start = previous.startIndex;
    span.startRow = previous.startPosition.row;
  }
  return span;
}

const LEADING_TYPES = new Set(['comment', 'line_comment', 'block_comment', 'attribute_item']);

const UNIT_NODE_TYPES = new Set([
  'function_definition', 'decorated_definition', 'method_definition', 'method_declaration', 'constructor_declaration',
  'function_item', 'function_declaration', 'class_definition', 'class_declaration', 'template_declaration',
  'public_field_definition', 'field_definition', 'interface_declaration', 'enum_declaration',
]);

function isUnitNode(node: Node): boolean {
  if (!UNIT_NODE_TYPES.has(node.type)) return false;
  if (node.type === 'public_field_definition' || node.type === 'field_definition') {
    const value = node.childForFieldName('value');
    return value !== null && (value.type === 'arrow_function' || value.type === 'function_expression');
  }
  return true;
}

function bodyStatements(captured: Node): Node[] {
  let body = captured.childForFieldName('body');
  if (!body && captured.type === 'variable_declarator') body = captured.childForFieldName('value')?.childForFieldName('body') ?? null;
  if (!body && captured.type === 'type_spec') body = captured.childForFieldName('type');
  if (!body) body = captured.namedChildren[captured.namedChildCount - 1] ?? null;
  if (!body) return [];
  const statements: Node[] = [];
  for (const child of body.namedChildren) {
    if (!child) continue;
    if (BODY_WRAPPERS.has(child.type)) statements.push(...child.namedChildren.filter((inner): inner is Node => inner !== null));
    else statements.push(child);
  }
  return statements;
}
