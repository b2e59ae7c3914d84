import { unitDocumentation } from './docComments';
import { LanguageId } from './languages';

/** A (question, code) training pair for retrieval: what the documentation says the code does, and the code. */
export interface DocumentationPair {
  readonly query: string;
  /**
   * For the summary as written, the code with its documentation removed, so that the model learns what
   * code does rather than copying the summary; for the search-style variant, the unit as Astrolabe
   * indexes it, documentation included, since that is what a search meets.
   */
  readonly code: string;
}

const BOILERPLATE = /^(?:todo|fixme|xxx|hack|copyright|license|licensed|-\*-|deprecated|internal|private|see\b|note\b|overrides?\b|inherit|@)/i;
const LANGUAGE_NAMES: Record<LanguageId, string> = {
  python: 'python', javascript: 'javascript', typescript: 'typescript', tsx: 'react', java: 'java', go: 'golang', rust: 'rust', c: 'c', cpp: 'c++',
};

/**
 * Pairs for one documented function or method: its summary sentence as written, and a shorter,
 * search-style variant (lower case, no leading "Returns"/"This function", the language named), which
 * is how people phrase queries (web searches), paired with the documented unit. Empty when the unit has no
 * usable documentation: too short or long, boilerplate, or code too small to be worth finding.
 */
export function documentationPairs(text: string, language: LanguageId, kind: string): DocumentationPair[] {
  if (kind !== 'function' && kind !== 'method') return [];
  const documentation = unitDocumentation(text, language);
  if (!documentation) return [];
  const summary = documentation.summary.replace(/\s+/g, ' ').trim();
  const words = summary.split(' ');
  if (words.length < 3 || words.length > 48 || BOILERPLATE.test(summary) || !/[a-z]{3}/i.test(summary)) return [];
  const codeLines = documentation.code.split('\n').filter((line) => line.trim().length > 0);
  if (codeLines.length < 2) return [];
  const pairs: DocumentationPair[] = [{ query: summary, code: documentation.code }];
  const variant = searchStyle(summary, language);
  if (variant !== summary.toLowerCase() && variant.split(' ').length >= 2) pairs.push({ query: variant, code: text });
  return pairs;
}

/** "Returns the number of lines in a file." -> "python number of lines in a file" */
export function searchStyle(summary: string, language: LanguageId): string {
  let query = summary.toLowerCase().replace(/[.:;]+$/, '').replace(/[`'"]/g, '');
  query = query.replace(/^(?:this (?:function|method)|function that|method that|helper (?:that|to)|a helper to)\s+/, '');
  query = query.replace(/^(?:returns?|gets?|computes?|calculates?)\s+(?:the\s+|a\s+|an\s+)?/, '');
  query = query.replace(/^(?:the|a|an)\s+/, '');
  return `${LANGUAGE_NAMES[language]} ${query}`.replace(/\s+/g, ' ').trim();
}
