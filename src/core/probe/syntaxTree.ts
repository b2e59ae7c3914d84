/**
 * A syntax tree as the probe sees it: labelled inner nodes over the unit's leaves, in source order.
 * Built from tree-sitter (`probeTree.ts`) or rebuilt from a (d, c, u) encoding (`treeEncoding.ts`).
 */
export interface SyntaxLeaf {
  readonly text: string;
  /** UTF-16 offsets into the unit's text, end exclusive. */
  readonly start: number;
  readonly end: number;
}

export interface SyntaxNode {
  readonly label: string;
  readonly children: readonly SyntaxTree[];
}

export type SyntaxTree = SyntaxLeaf | SyntaxNode;

export function isLeaf(tree: SyntaxTree): tree is SyntaxLeaf {
  return !('children' in tree);
}

/** The leaves, left to right. */
export function leavesOf(tree: SyntaxTree): SyntaxLeaf[] {
  const leaves: SyntaxLeaf[] = [];
  const visit = (node: SyntaxTree): void => {
    if (isLeaf(node)) leaves.push(node);
    else for (const child of node.children) visit(child);
  };
  visit(tree);
  return leaves;
}

/** An indented outline, one node per line (leaves quoted): what `astrolabe probe` prints. */
export function formatTree(tree: SyntaxTree): string {
  const lines: string[] = [];
  const visit = (node: SyntaxTree, depth: number): void => {
    const indent = '  '.repeat(depth);
    if (isLeaf(node)) lines.push(`${indent}${JSON.stringify(node.text)}`);
    else {
      lines.push(`${indent}${node.label}`);
      for (const child of node.children) visit(child, depth + 1);
    }
  };
  visit(tree, 0);
  return lines.join('\n');
}
