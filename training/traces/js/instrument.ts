import type { Node } from 'web-tree-sitter';

/**
 * Instruments one JavaScript function of a module for TRACED-style traces, by inserting probe calls
 * with tree-sitter (no code generation: the module's text is kept and probes are spliced in, so every
 * other line and column stays where it was).
 *
 * Probes (see runtime.ts): `T.l(offset, extra?)` before a statement marks its line(s) as executed and
 * appends the line to the path; `T.v(offset, "a,b", () => [a, b])` after it records the values of the
 * variables visible there. Offsets are rows relative to the function's first row. Statements of nested
 * functions (callbacks, returned closures) are probed too and report to the call that created them.
 */

/** Global the sandboxed runtime installs; the instrumented function reads it when called. */
export const TRACE_GLOBAL = '__astrolabeTrace';
/** The per-call tracer, the return-value temporary and the caught error; unlikely to clash with real names. */
const T = '__astrolabe$t';
const RET = '__astrolabe$r';
const ERR = '__astrolabe$e';
const RESERVED = new Set([T, RET, ERR, 'arguments', 'undefined', 'this']);

export interface InstrumentedFunction {
  /** The whole module with the target function instrumented. */
  readonly code: string;
  /** Probes inserted, for reporting. */
  readonly probes: number;
}

const FUNCTION_TYPES = new Set([
  'function_declaration', 'generator_function_declaration', 'function_expression', 'function', 'generator_function',
  'arrow_function', 'method_definition',
]);
const LOOPS = new Set(['for_statement', 'for_in_statement', 'while_statement']);
const JUMPS = new Set(['break_statement', 'continue_statement', 'throw_statement']);
const SIMPLE = new Set(['expression_statement', 'lexical_declaration', 'variable_declaration', 'debugger_statement']);
/** Parents whose children are statement lists, where probes can sit beside a statement. */
const LISTS = new Set(['statement_block', 'switch_case', 'switch_default', 'program', 'class_static_block']);

export function isFunctionNode(node: Node): boolean {
  return FUNCTION_TYPES.has(node.type);
}

interface Edit {
  readonly start: number;
  readonly end: number;
  readonly text: string;
  /** Closing edits at a position go before opening ones, innermost first. */
  readonly close: boolean;
  readonly seq: number;
}

/** A variable binding the function (or a function nested in it) declares, and where it can be read. */
interface Declaration {
  readonly name: string;
  /** Readable from this index on (its declaration has been evaluated when control passes here). */
  readonly from: number;
  /** Within this node's span. */
  readonly scope: Node;
}

export function instrumentFunction(moduleText: string, target: Node): InstrumentedFunction {
  if (!isFunctionNode(target)) throw new Error(`not a function: ${target.type}`);
  const instrumenter = new Instrumenter(target);
  instrumenter.instrument(target, true);
  return { code: applyEdits(moduleText, instrumenter.edits), probes: instrumenter.probes };
}

function applyEdits(text: string, edits: readonly Edit[]): string {
  const sorted = [...edits].sort((a, b) => a.start - b.start
    || (a.close === b.close ? (a.close ? b.seq - a.seq : a.seq - b.seq) : a.close ? -1 : 1));
  const parts: string[] = [];
  let cursor = 0;
  for (const edit of sorted) {
    if (edit.start < cursor) throw new Error(`overlapping edits at ${edit.start}`);
    parts.push(text.slice(cursor, edit.start), edit.text);
    cursor = edit.end;
  }
  parts.push(text.slice(cursor));
  return parts.join('');
}

class Instrumenter {
  readonly edits: Edit[] = [];
  probes = 0;
  private seq = 0;
  private readonly baseRow: number;
  private readonly declarations: Declaration[] = [];
  /** Rows strictly inside nested functions' block bodies: their own probes mark them. */
  private readonly nestedRows = new Set<number>();

  constructor(target: Node) {
    this.baseRow = target.startPosition.row;
    this.collectDeclarations(target);
  }

  // ---- edits ----

  private open(at: number, text: string): void {
    this.edits.push({ start: at, end: at, text, close: false, seq: this.seq++ });
  }

  private close(at: number, text: string): void {
    this.edits.push({ start: at, end: at, text, close: true, seq: this.seq++ });
  }

  private replace(start: number, end: number, text: string, close: boolean): void {
    this.edits.push({ start, end, text, close, seq: this.seq++ });
  }

  // ---- probes ----

  private offset(row: number): number {
    return row - this.baseRow;
  }

  /** `T.l(first, [others])` marking rows first..last, less rows that nested function bodies own. */
  private markProbe(firstRow: number, lastRow = firstRow, extraRows: readonly number[] = []): string {
    this.probes++;
    const others: number[] = [];
    for (let row = firstRow + 1; row <= lastRow; row++) if (!this.nestedRows.has(row)) others.push(this.offset(row));
    for (const row of extraRows) if (row !== firstRow) others.push(this.offset(row));
    return others.length > 0 ? `${T}.l(${this.offset(firstRow)},[${others.join(',')}]);` : `${T}.l(${this.offset(firstRow)});`;
  }

  /** `T.v(line, "a,b", () => [a, b])` with the variables readable at `at`, or '' when there are none. */
  private valueProbe(row: number, at: number): string {
    const names = this.visibleAt(at);
    if (names.length === 0) return '';
    this.probes++;
    return `${T}.v(${this.offset(row)},${JSON.stringify(names.join(','))},()=>[${names.join(',')}]);`;
  }

  private visibleAt(at: number): string[] {
    const names: string[] = [];
    const seen = new Set<string>();
    for (const declaration of this.declarations) {
      if (declaration.from > at || at < declaration.scope.startIndex || at > declaration.scope.endIndex) continue;
      if (seen.has(declaration.name)) continue;
      seen.add(declaration.name);
      names.push(declaration.name);
    }
    return names;
  }

  // ---- declarations ----

  private collectDeclarations(target: Node): void {
    const visit = (node: Node, fn: Node): void => {
      if (isFunctionNode(node)) {
        fn = node;
        const body = node.childForFieldName('body');
        if (body && body.type === 'statement_block' && node.id !== target.id) {
          for (let row = body.startPosition.row + 1; row < body.endPosition.row; row++) this.nestedRows.add(row);
        }
        const single = node.childForFieldName('parameter');
        if (single) this.declare(single, node.startIndex, node);
        const parameters = node.childForFieldName('parameters');
        if (parameters) for (const parameter of named(parameters)) this.declare(parameter, node.startIndex, node);
      } else if (node.type === 'variable_declaration') {
        for (const declarator of named(node)) {
          const name = declarator.childForFieldName('name');
          if (name) this.declare(name, node.endIndex, fn);
        }
      } else if (node.type === 'lexical_declaration') {
        const scope = lexicalScope(node);
        for (const declarator of named(node)) {
          const name = declarator.childForFieldName('name');
          if (name) this.declare(name, node.endIndex, scope);
        }
      } else if (node.type === 'for_in_statement') {
        const left = node.childForFieldName('left');
        const kind = node.childForFieldName('kind')?.text;
        if (left && kind) this.declare(left, left.endIndex, kind === 'var' ? fn : node);
      } else if (node.type === 'catch_clause') {
        const parameter = node.childForFieldName('parameter');
        if (parameter) this.declare(parameter, parameter.endIndex, node);
      }
      for (const child of named(node)) visit(child, fn);
    };
    visit(target, target);
  }

  /** Declares every name bound by a pattern (identifier, destructuring, default, rest). */
  private declare(pattern: Node, from: number, scope: Node): void {
    switch (pattern.type) {
      case 'identifier':
      case 'shorthand_property_identifier_pattern':
        if (!RESERVED.has(pattern.text)) this.declarations.push({ name: pattern.text, from, scope });
        return;
      case 'assignment_pattern':
      case 'object_assignment_pattern': {
        const left = pattern.childForFieldName('left');
        if (left) this.declare(left, from, scope);
        return;
      }
      case 'pair_pattern': {
        const value = pattern.childForFieldName('value');
        if (value) this.declare(value, from, scope);
        return;
      }
      case 'object_pattern':
      case 'array_pattern':
      case 'rest_pattern':
        for (const child of named(pattern)) this.declare(child, from, scope);
        return;
      default:
        return; // member expressions in patterns, comments
    }
  }

  // ---- functions ----

  instrument(fn: Node, isTarget: boolean): void {
    const parameters = fn.childForFieldName('parameters');
    if (parameters) this.visitExpressions(parameters); // default values may hold functions
    const body = fn.childForFieldName('body');
    if (!body) return;
    // The leading `;` ends a directive written without one ('use strict' then our code).
    const enter = `;const ${T}=globalThis.${TRACE_GLOBAL}.enter();`;
    const guard = `}catch(${ERR}){${T}.x(${ERR});throw ${ERR};}finally{${T}.o();}`;
    if (body.type !== 'statement_block') {
      // An expression body becomes a block that evaluates, records, and returns it.
      const row = body.startPosition.row;
      const before = `{${isTarget ? enter + 'try{' : ''}${this.markProbe(row, body.endPosition.row)}const ${RET}=(`;
      const after = `);${this.valueProbe(row, body.endIndex)}return ${RET};${isTarget ? guard : ''}}`;
      this.open(body.startIndex, before);
      this.visitExpressions(body);
      this.close(body.endIndex, after);
      return;
    }
    const statements = named(body).filter((child) => child.type !== 'comment');
    let prologueEnd = body.startIndex + 1;
    let first = 0;
    // The directive prologue ('use strict') must stay first to keep its meaning.
    while (first < statements.length && isDirective(statements[first]!)) prologueEnd = statements[first++]!.endIndex;
    if (isTarget) {
      this.open(prologueEnd, `${enter}try{`);
      this.close(body.endIndex - 1, guard);
    }
    for (const statement of statements.slice(first)) this.visitStatement(statement);
  }

  /** Instruments the functions inside an expression (callbacks, closures, class bodies). */
  private visitExpressions(node: Node): void {
    if (isFunctionNode(node)) {
      this.instrument(node, false);
      return;
    }
    for (const child of named(node)) this.visitExpressions(child);
  }

  // ---- statements ----

  /** Places `before` and `after` around a statement, in a block when its parent is not a statement list. */
  private around(statement: Node, before: string, after: string): void {
    const inList = statement.parent !== null && LISTS.has(statement.parent.type);
    this.open(statement.startIndex, inList ? before : `{${before}`);
    this.close(statement.endIndex, inList ? after : `${after}}`);
  }

  private visitStatement(statement: Node): void {
    const row = statement.startPosition.row;
    const type = statement.type;
    if (type === 'comment' || type === 'empty_statement') return;
    if (SIMPLE.has(type)) {
      this.around(statement, this.markProbe(row, statement.endPosition.row), `;${this.valueProbe(row, statement.endIndex)}`);
      this.visitExpressions(statement);
      return;
    }
    if (type === 'return_statement') {
      const value = named(statement).find((child) => child.type !== 'comment');
      const mark = this.markProbe(row, value ? value.endPosition.row : row);
      if (value) {
        this.replace(statement.startIndex, value.startIndex, `{${mark}const ${RET}=(`, false);
        this.visitExpressions(value);
        this.replace(value.endIndex, statement.endIndex, `);${this.valueProbe(row, statement.endIndex)}return ${RET};}`, true);
      } else {
        this.open(statement.startIndex, `{${mark}${this.valueProbe(row, statement.startIndex)}`);
        this.close(statement.endIndex, '}');
      }
      return;
    }
    if (JUMPS.has(type)) {
      // Probes go before: nothing after a jump runs. A block keeps `if (x) break;` one statement.
      this.open(statement.startIndex, `{${this.markProbe(row, statement.endPosition.row)}${this.valueProbe(row, statement.startIndex)}`);
      this.close(statement.endIndex, '}');
      this.visitExpressions(statement);
      return;
    }
    switch (type) {
      case 'statement_block':
        for (const child of named(statement)) this.visitStatement(child);
        return;
      case 'function_declaration':
      case 'generator_function_declaration':
        this.instrument(statement, false);
        return;
      case 'class_declaration':
        this.visitExpressions(statement);
        return;
      case 'labeled_statement': {
        const body = statement.childForFieldName('body');
        if (!body) return;
        this.around(statement, this.markProbe(row), '');
        // A labelled loop must stay directly labelled (`continue label`); other bodies are visited as usual.
        if (LOOPS.has(body.type) || body.type === 'do_statement') this.visitCompound(body, false);
        else this.visitStatement(body);
        return;
      }
      default:
        this.visitCompound(statement, true);
    }
  }

  /** if, loops, switch, try, with: a probe for the header, then the parts. */
  private visitCompound(statement: Node, probeBefore: boolean): void {
    const row = statement.startPosition.row;
    const type = statement.type;
    const headerEnd = headerEndRow(statement);
    if (probeBefore) this.around(statement, this.markProbe(row, headerEnd), '');
    switch (type) {
      case 'if_statement': {
        this.visitExpressions(statement.childForFieldName('condition')!);
        this.visitBody(statement.childForFieldName('consequence'), []);
        const alternative = statement.childForFieldName('alternative');
        if (alternative) {
          const body = named(alternative).find((child) => child.type !== 'comment');
          if (body && body.type === 'statement_block') {
            this.open(body.startIndex + 1, this.markProbe(alternative.startPosition.row));
            for (const child of named(body)) this.visitStatement(child);
          } else if (body) {
            this.visitStatement(body);
          }
        }
        return;
      }
      case 'for_statement':
      case 'for_in_statement':
      case 'while_statement': {
        const body = statement.childForFieldName('body');
        for (const child of named(statement)) if (child.id !== body?.id) this.visitExpressions(child);
        // Each iteration passes the header again: its line joins the path and its variables are recorded.
        if (body) this.visitBody(body, [this.markProbe(row, headerEnd), this.valueProbe(row, body.startIndex)]);
        return;
      }
      case 'do_statement': {
        this.visitBody(statement.childForFieldName('body'), []);
        const condition = statement.childForFieldName('condition');
        if (condition) this.visitExpressions(condition);
        return;
      }
      case 'with_statement': {
        const object = statement.childForFieldName('object');
        if (object) this.visitExpressions(object);
        this.visitBody(statement.childForFieldName('body'), []);
        return;
      }
      case 'switch_statement': {
        const value = statement.childForFieldName('value');
        if (value) this.visitExpressions(value);
        const body = statement.childForFieldName('body');
        for (const clause of body ? named(body) : []) {
          if (clause.type !== 'switch_case' && clause.type !== 'switch_default') continue;
          const caseValue = clause.childForFieldName('value');
          if (caseValue) this.visitExpressions(caseValue);
          const colon = children(clause).find((child) => child.type === ':');
          if (colon) this.open(colon.endIndex, this.markProbe(clause.startPosition.row));
          for (const child of named(clause)) if (child.id !== caseValue?.id) this.visitStatement(child);
        }
        return;
      }
      case 'try_statement': {
        this.visitBody(statement.childForFieldName('body'), []);
        const handler = statement.childForFieldName('handler');
        const handlerBody = handler?.childForFieldName('body');
        if (handler && handlerBody) {
          this.open(handlerBody.startIndex + 1, this.markProbe(handler.startPosition.row) + this.valueProbe(handler.startPosition.row, handlerBody.startIndex + 1));
          for (const child of named(handlerBody)) this.visitStatement(child);
        }
        const finalizer = statement.childForFieldName('finalizer');
        const finalBody = finalizer?.childForFieldName('body');
        if (finalizer && finalBody) {
          this.open(finalBody.startIndex + 1, this.markProbe(finalizer.startPosition.row));
          for (const child of named(finalBody)) this.visitStatement(child);
        }
        return;
      }
      default:
        // Anything else (a class expression statement, an unknown construct): only its functions.
        this.visitExpressions(statement);
    }
  }

  /** A loop or branch body: `prefix` probes run first each time it is entered. */
  private visitBody(body: Node | null, prefix: readonly string[]): void {
    if (!body) return;
    const text = prefix.join('');
    if (body.type === 'statement_block') {
      if (text) this.open(body.startIndex + 1, text);
      for (const child of named(body)) this.visitStatement(child);
      return;
    }
    if (text) {
      // A single-statement body becomes a block holding the prefix and the statement.
      this.open(body.startIndex, `{${text}`);
      this.close(body.endIndex, '}');
    }
    this.visitStatement(body);
  }
}

function named(node: Node): Node[] {
  return node.namedChildren.filter((child): child is Node => child !== null);
}

function children(node: Node): Node[] {
  return node.children.filter((child): child is Node => child !== null);
}

function isDirective(statement: Node): boolean {
  if (statement.type !== 'expression_statement') return false;
  const expression = statement.namedChildren[0];
  return expression?.type === 'string';
}

/** Where `let`/`const` are visible: the enclosing block, case clause or for-loop. */
function lexicalScope(declaration: Node): Node {
  let node: Node | null = declaration.parent;
  while (node) {
    if (node.type === 'statement_block' || node.type === 'switch_case' || node.type === 'switch_default'
      || node.type === 'for_statement' || node.type === 'program' || node.type === 'class_static_block') return node;
    node = node.parent;
  }
  return declaration;
}

/** The last row of a compound statement's header (its condition or parenthesized clause). */
function headerEndRow(statement: Node): number {
  const row = statement.startPosition.row;
  const field = statement.type === 'if_statement' ? 'condition' : statement.type === 'switch_statement' ? 'value'
    : statement.type === 'while_statement' ? 'condition' : statement.type === 'with_statement' ? 'object' : undefined;
  if (field) return statement.childForFieldName(field)?.endPosition.row ?? row;
  if (statement.type === 'for_statement' || statement.type === 'for_in_statement') {
    const body = statement.childForFieldName('body');
    const closing = children(statement).filter((child) => child.type === ')' && (!body || child.endIndex <= body.startIndex)).pop();
    return closing?.endPosition.row ?? row;
  }
  return row;
}
