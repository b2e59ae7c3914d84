import type { Parser } from 'web-tree-sitter';
import { LanguageId } from '../parse/languages';
import { constituentsOf } from './constituents';
import { probeTreeOf } from './probeTree';
import { leavesOf } from './syntaxTree';
import { decodeTree, encodeTree, TreeEncoding } from './treeEncoding';

/** An encoding computed elsewhere (the paper authors' code, in ../shared/eval/ast-probe) to compare ours with. */
export interface ReferenceEncoding extends TreeEncoding {
  readonly code: string;
  readonly tokens: readonly string[];
  /** Constituents as `label-i-j-...` with every leaf index of the span. */
  readonly goldSpans?: readonly string[];
}

/**
 * How our encoding of `reference.code` differs from the reference: empty when the leaves, c and u are
 * equal, d ranks neighbours the same way, and (when given) the constituents are the same.
 */
export function compareWithReference(reference: ReferenceEncoding, parser: Parser, language: LanguageId): string[] {
  const tree = parser.parse(reference.code);
  if (!tree) return ['tree-sitter gave no tree'];
  try {
    const probeTree = probeTreeOf(tree.rootNode, language);
    if (!probeTree) return ['no leaves'];
    const leaves = leavesOf(probeTree);
    const ours = encodeTree(probeTree);
    const differences: string[] = [];
    const tokens = leaves.map((leaf) => leaf.text);
    const firstDifference = (a: readonly unknown[], b: readonly unknown[]): number => {
      for (let i = 0; i < Math.max(a.length, b.length); i++) if (a[i] !== b[i]) return i;
      return -1;
    };
    const at = firstDifference(tokens, reference.tokens);
    if (at >= 0) differences.push(`leaves differ at ${at}: ours ${JSON.stringify(tokens.slice(at, at + 3))}, reference ${JSON.stringify(reference.tokens.slice(at, at + 3))}`);
    else {
      if (!sameRanking(ours.d, reference.d)) differences.push(`d ranks differently: ours ${JSON.stringify(ours.d)}, reference ${JSON.stringify(reference.d)}`);
      const c = firstDifference(ours.c, reference.c);
      if (c >= 0) differences.push(`c differs at ${c}: ours ${ours.c[c]}, reference ${reference.c[c]}`);
      const u = firstDifference(ours.u, reference.u);
      if (u >= 0) differences.push(`u differs at ${u}: ours ${ours.u[u]}, reference ${reference.u[u]}`);
      if (reference.goldSpans) {
        const spans = [...constituentsOf(decodeTree(ours.d, ours.c, ours.u, leaves))].sort();
        const expected = [...new Set(reference.goldSpans.map(compactSpan))].sort();
        if (spans.join(' ') !== expected.join(' ')) differences.push(`constituents differ: ours ${spans.filter((s) => !expected.includes(s)).join(' ')}; reference ${expected.filter((s) => !spans.includes(s)).join(' ')}`);
      }
    }
    return differences;
  } finally {
    tree.delete();
  }
}

/** `label-3-4-5` (every index) to `label-3-5` (first and last). */
function compactSpan(span: string): string {
  const parts = span.split('-');
  // Labels may contain '-' themselves; the indices are the trailing all-digit parts.
  let first = parts.length;
  while (first > 0 && /^\d+$/.test(parts[first - 1]!)) first--;
  return `${parts.slice(0, first).join('-')}-${parts[first]}-${parts[parts.length - 1]}`;
}

/** Whether every pair of positions is ordered the same way (ties included) by both. */
export function sameRanking(a: ArrayLike<number>, b: ArrayLike<number>): boolean {
  if (a.length !== b.length) return false;
  for (let i = 0; i < a.length; i++) for (let j = i + 1; j < a.length; j++) if (Math.sign(a[i]! - a[j]!) !== Math.sign(b[i]! - b[j]!)) return false;
  return true;
}
