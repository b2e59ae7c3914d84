import { EMPTY } from './treeEncoding';
import { isLeaf, SyntaxTree } from './syntaxTree';

/** Labelled spans of a tree's inner nodes, `label-first-last` (leaf indices, inclusive): AST-Probe's constituents. */
export function constituentsOf(tree: SyntaxTree): Set<string> {
  const spans = new Set<string>();
  let next = 0;
  const visit = (node: SyntaxTree): void => {
    if (isLeaf(node)) {
      next++;
      return;
    }
    const first = next;
    for (const child of node.children) visit(child);
    if (node.label !== EMPTY) spans.add(`${node.label}-${first}-${next - 1}`);
  };
  visit(tree);
  return spans;
}

export interface ConstituentScore {
  readonly precision: number;
  readonly recall: number;
  readonly f1: number;
}

/** Precision, recall and F1 of the predicted constituents against the true ones (as sets, as the paper scores them). */
export function scoreConstituents(predicted: ReadonlySet<string>, truth: ReadonlySet<string>): ConstituentScore {
  let common = 0;
  for (const span of predicted) if (truth.has(span)) common++;
  const precision = predicted.size > 0 ? common / predicted.size : 0;
  const recall = truth.size > 0 ? common / truth.size : 0;
  const f1 = precision + recall > 0 ? (2 * precision * recall) / (precision + recall) : 0;
  return { precision, recall, f1 };
}
