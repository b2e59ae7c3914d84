import { CodeSyntax, escapesIn, JAVASCRIPT_SYNTAX, literalQuoteAt } from './codeSyntax';
import { DecodingText, Monitor, MonitorEvent } from './monitor';
import { StaticAnalysis } from './staticAnalysis';
import { continuesIdentifier, TokenMask, VocabularyTrie } from './vocabularyTrie';

const SHOWN_NAMES = 50;
const CLOSERS: Record<string, string> = { '(': ')', '[': ']', '{': '}' };

/**
 * The dereference `text` ends in, if any: `.` (or `?.`), or `->` where the language has it, right after
 * an expression (an identifier, `)` or `]`); not a spread, a number's decimal point, or inside a line
 * comment or string on the current line.
 */
export function dereferenceAtEnd(text: string, syntax: CodeSyntax = JAVASCRIPT_SYNTAX): '.' | '->' | undefined {
  const operator = syntax.dereferences.find((candidate) => text.endsWith(candidate));
  if (!operator) return undefined;
  let end = text.length - operator.length;
  if (operator === '.' && text[end - 1] === '?') end--;
  const before = text[end - 1];
  if (before === undefined || !(continuesIdentifier(before) || before === ')' || before === ']')) return undefined;
  const line = text.slice(text.lastIndexOf('\n') + 1, end);
  if (operator === '.' && /(?:^|[^\w$.])\d[\d_]*$/.test(line)) return undefined; // 12. is a number
  return lineContext(line, syntax).inCommentOrString ? undefined : operator;
}

/**
 * The current line as a small lexer sees it: whether its end is inside a comment or a string (a
 * template literal's `${...}` is code again), and the closers of the brackets, templates and
 * `${` left open on it, innermost first.
 */
export function lineContext(line: string, syntax: CodeSyntax = JAVASCRIPT_SYNTAX): { readonly inCommentOrString: boolean; readonly closers: string } {
  // The stack holds what closes each open construct: ) ] } for brackets, ` for a template, $} for `${`.
  const stack: string[] = [];
  let quote: string | undefined;
  for (let index = 0; index < line.length; index++) {
    const char = line[index]!;
    const top = stack[stack.length - 1];
    if (quote) {
      if (char === '\\' && escapesIn(quote, syntax)) index++;
      else if (char === quote) quote = undefined;
    } else if (top === '`') {
      if (char === '\\') index++;
      else if (char === '`') stack.pop();
      else if (char === '$' && line[index + 1] === '{') {
        stack.push('$}');
        index++;
      }
    } else {
      quote = literalQuoteAt(line, index, syntax);
      if (quote) continue;
      if (char === '`' && syntax.backtick === 'template') stack.push('`');
      else if (line.startsWith(syntax.lineComment, index)) return { inCommentOrString: true, closers: '' };
      else if (CLOSERS[char]) stack.push(CLOSERS[char]!);
      else if ((char === ')' || char === ']' || char === '}') && (top === char || (char === '}' && top === '$}'))) stack.pop();
    }
  }
  const inTemplateText = stack[stack.length - 1] === '`';
  return { inCommentOrString: quote !== undefined || inTemplateText, closers: stack.reverse().map((closer) => (closer === '$}' ? '}' : closer)).join('') };
}

/**
 * Closing brackets for the brackets (and template literals) left open on the current line. The
 * cursor's line was cut at the cursor, so its closers are gone: adding them back keeps the expression
 * before the `.` parsed as in the finished code when static analysis reads the document.
 */
export function closersForLine(text: string, syntax: CodeSyntax = JAVASCRIPT_SYNTAX): string {
  return lineContext(text.slice(text.lastIndexOf('\n') + 1), syntax).closers;
}

/**
 * Logits added to the legal members the file already uses after a `.`: such a member is taken to be
 * about ten times likelier than the model alone says (the prior of a cache model: code repeats the names
 * it uses, and the model's window shows only part of the file).
 */
export const DEFAULT_USED_MEMBER_BONUS = Math.log(10);

const MEMBER_USE = /(?:\.|->)([\p{ID_Start}$_][\p{ID_Continue}$]*)/gu;

/** The names written right after a `.` (or `->`) in `text`. */
export function usedMembers(text: string): Set<string> {
  return new Set(Array.from(text.matchAll(MEMBER_USE), (match) => match[1]!));
}

/** What is left to write of each name that begins with `typed`. */
function unwritten(names: readonly string[], typed: string): string[] {
  return names.filter((name) => name.startsWith(typed)).map((name) => name.slice(typed.length));
}

type State =
  | { readonly kind: 'idle' }
  | { readonly kind: 'constraining'; readonly legal: readonly string[]; readonly used: readonly string[]; typed: string };

export interface DereferenceMonitorOptions {
  /** Logit bonus for members the file already uses (0: legality only, the paper's monitor). */
  readonly usedMemberBonus?: number;
}

/**
 * The dereference monitor: after `expr.` it asks static analysis for the members of `expr`'s type and
 * lets the decoder write only one of them (a member name followed by a character that ends it); the
 * members the file already uses elsewhere get a logit bonus.
 */
export class DereferenceMonitor implements Monitor {
  readonly name = 'dereference';
  readonly events: MonitorEvent[] = [];
  private state: State = { kind: 'idle' };
  private lastTrigger = -1;
  private readonly usedMemberBonus: number;

  constructor(private readonly analysis: StaticAnalysis, private readonly trie: VocabularyTrie, private readonly endTokens: readonly number[], options: DereferenceMonitorOptions = {}) {
    this.usedMemberBonus = options.usedMemberBonus ?? DEFAULT_USED_MEMBER_BONUS;
  }

  pre(text: DecodingText): boolean {
    const position = text.prefix.length + text.generated.length;
    return this.state.kind === 'idle' && position !== this.lastTrigger && dereferenceAtEnd(text.prefix + text.generated, text.syntax) !== undefined;
  }

  async analyze(text: DecodingText, signal?: AbortSignal): Promise<void> {
    const before = text.prefix + text.generated;
    this.lastTrigger = before.length;
    const document = { fileName: text.fileName, text: before + closersForLine(before, text.syntax) + text.suffix, offset: before.length };
    const names = await this.analysis.memberNames(document, signal);
    const line = before.split('\n').length;
    if (!names || names.length === 0) {
      this.events.push({ monitor: this.name, at: text.generated.length, reason: `line ${line}: static analysis knows no members here; not constrained`, legal: [] });
      return;
    }
    const usedElsewhere = this.usedMemberBonus > 0 ? new Set([...usedMembers(before), ...usedMembers(text.suffix)]) : new Set<string>();
    const used = names.filter((name) => usedElsewhere.has(name));
    this.state = { kind: 'constraining', legal: names, used, typed: '' };
    const preferred = used.length > 0 ? ` (${used.length} of them used elsewhere in the file, preferred)` : '';
    this.events.push({ monitor: this.name, at: text.generated.length, reason: `line ${line}: after '${dereferenceAtEnd(before, text.syntax) ?? '.'}', only the ${names.length} members static analysis lists${preferred}`, legal: [...used, ...names.filter((name) => !usedElsewhere.has(name))].slice(0, SHOWN_NAMES) });
  }

  maskgen(): TokenMask | undefined {
    if (this.state.kind !== 'constraining') return undefined;
    const remainders = unwritten(this.state.legal, this.state.typed);
    if (remainders.length === 0) {
      this.state = { kind: 'idle' };
      return undefined;
    }
    const mask = this.trie.identifierMask(remainders, this.endTokens);
    const usedRemainders = unwritten(this.state.used, this.state.typed);
    if (usedRemainders.length === 0) return mask;
    const preferred = this.trie.identifierMask(usedRemainders).allowed;
    return { ...mask, bonus: Float32Array.from(preferred, (allowed) => (allowed ? this.usedMemberBonus : 0)) };
  }

  update(tokenText: string): void {
    if (this.state.kind !== 'constraining') return;
    this.state.typed += tokenText;
    // Any character that cannot continue an identifier ends the member name: back to waiting.
    if ([...this.state.typed].some((char) => !continuesIdentifier(char))) this.state = { kind: 'idle' };
  }
}
