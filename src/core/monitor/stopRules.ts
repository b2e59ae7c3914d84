/** Where a completion ends: the rest of the line, the statement, or the block the cursor is in. */
export type StopRule = 'line' | 'statement' | 'block';

export const STOP_RULES: readonly StopRule[] = ['line', 'statement', 'block'];

/**
 * How much of `generated` to keep under `rule`, or undefined while the completion may go on.
 * Brackets are counted from the cursor (a `)` closing one opened before it goes below zero);
 * string contents are skipped.
 * - line: up to the first line break.
 * - statement: through a `;` outside the completion's own brackets, or up to a line break there.
 * - block: up to a `}` closing a block opened before the cursor, or a blank line.
 */
export function stopLength(generated: string, rule: StopRule): number | undefined {
  if (rule === 'line') {
    const end = generated.indexOf('\n');
    return end < 0 ? undefined : end;
  }
  let depth = 0;
  let quote: string | undefined;
  for (let index = 0; index < generated.length; index++) {
    const char = generated[index]!;
    if (quote) {
      if (char === '\\') index++;
      else if (char === quote || (char === '\n' && quote !== '`')) quote = undefined;
      continue;
    }
    if (char === '"' || char === "'" || char === '`') quote = char;
    else if (char === '(' || char === '[' || char === '{') depth++;
    else if (char === ')' || char === ']' || char === '}') {
      depth--;
      if (rule === 'block' && char === '}' && depth < 0) return index;
    } else if (rule === 'statement' && depth <= 0 && char === ';') return index + 1;
    else if (char === '\n') {
      if (rule === 'statement' && depth <= 0 && generated.slice(0, index).trim()) return index;
      if (rule === 'block' && generated.slice(index + 1).startsWith('\n')) return index;
    }
  }
  return undefined;
}
