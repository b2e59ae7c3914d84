import { CodeSyntax, escapesIn, JAVASCRIPT_SYNTAX, literalQuoteAt } from './codeSyntax';

/** Where a completion ends: the rest of the line, the statement, or the block the cursor is in. */
export type StopRule = 'line' | 'statement' | 'block';

export const STOP_RULES: readonly StopRule[] = ['line', 'statement', 'block'];

/** What the rules need to know beyond the generated text. */
export interface StopContext {
  readonly syntax: CodeSyntax;
  /** The cursor's line up to the cursor: in an indentation language its indentation is the block's. */
  readonly cursorLine: string;
}

const BRACE_CONTEXT: StopContext = { syntax: JAVASCRIPT_SYNTAX, cursorLine: '' };

function indentation(line: string): number {
  return line.length - line.trimStart().length;
}

/**
 * How much of `generated` to keep under `rule`, or undefined while the completion may go on.
 * Brackets are counted from the cursor (a `)` closing one opened before it goes below zero);
 * string contents and line comments are skipped.
 * - line: up to the first line break.
 * - statement: through a `;` outside the completion's own brackets, or up to a line break there.
 * - block: up to a blank line, or where the cursor's block ends: a `}` closing a block opened before
 *   the cursor, or (Python) a line indented less than the cursor's line.
 */
export function stopLength(generated: string, rule: StopRule, context: StopContext = BRACE_CONTEXT): number | undefined {
  if (rule === 'line') {
    const end = generated.indexOf('\n');
    return end < 0 ? undefined : end;
  }
  const { syntax } = context;
  const blockIndentation = indentation(context.cursorLine);
  let depth = 0;
  let quote: string | undefined;
  for (let index = 0; index < generated.length; index++) {
    const char = generated[index]!;
    if (quote) {
      if (char === '\\' && escapesIn(quote, syntax)) index++;
      else if (char === quote || (char === '\n' && quote !== '`')) quote = undefined;
      continue;
    }
    // A template literal's `${...}` is not looked into here: it is read as one multi-line string.
    const opened = literalQuoteAt(generated, index, syntax) ?? (char === '`' && syntax.backtick === 'template' ? char : undefined);
    if (opened) quote = opened;
    else if (generated.startsWith(syntax.lineComment, index)) {
      const end = generated.indexOf('\n', index);
      if (end < 0) return undefined;
      index = end - 1; // the line break itself is read next
    } else if (char === '(' || char === '[' || char === '{') depth++;
    else if (char === ')' || char === ']' || char === '}') {
      depth--;
      if (rule === 'block' && syntax.blocks === 'braces' && char === '}' && depth < 0) return index;
    } else if (rule === 'statement' && depth <= 0 && char === ';') return index + 1;
    else if (char === '\n') {
      if (rule === 'statement' && depth <= 0 && generated.slice(0, index).trim()) return index;
      if (rule !== 'block') continue;
      if (generated.startsWith('\n', index + 1)) return index;
      if (syntax.blocks !== 'indentation' || depth > 0) continue;
      // A dedent ends a Python block; judged once the next line shows more than its indentation.
      const nextLine = generated.slice(index + 1).split('\n', 1)[0]!;
      if (nextLine.trim() && indentation(nextLine) < blockIndentation) return index;
    }
  }
  return undefined;
}
