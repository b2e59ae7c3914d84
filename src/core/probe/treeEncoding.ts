import { isLeaf, SyntaxLeaf, SyntaxNode, SyntaxTree } from './syntaxTree';

/** The label of the nodes binarization adds, and of leaves without a unary chain above them. */
export const EMPTY = '<empty>';
/** Joins the labels of a merged unary chain, outermost first. */
export const SEPARATOR = '<sep>';

/**
 * AST-Probe's (d, c, u) encoding of a tree over n leaves (after Shen et al.'s syntactic distance):
 * `d[i]` is the height of the lowest common ancestor of leaves i and i+1 in the binarized tree (leaves
 * are 0), `c[i]` its label, `u[i]` the unary chain directly above leaf i. Heights matter only as a
 * ranking: any d with the same order between neighbours rebuilds the same tree.
 */
export interface TreeEncoding {
  readonly d: number[];
  readonly c: string[];
  readonly u: string[];
}

interface Encoded extends TreeEncoding {
  height: number;
}

/**
 * Encodes a tree as the paper's reference code does: unary chains are merged into one node labelled
 * `a<sep>b` (or into the leaf's u when they end at a leaf); a node with more than two children keeps its
 * label on its first split and the rest of its children hang right-branching under `<empty>` nodes.
 */
export function encodeTree(tree: SyntaxTree): TreeEncoding {
  const { d, c, u } = encode(tree);
  return { d, c, u };
}

function encode(tree: SyntaxTree): Encoded {
  if (isLeaf(tree)) return { d: [], c: [], u: [EMPTY], height: 0 };
  const chain: string[] = [];
  let node: SyntaxNode = tree;
  for (;;) {
    chain.push(node.label);
    const only = node.children.length === 1 ? node.children[0]! : undefined;
    if (!only) break;
    if (isLeaf(only)) return { d: [], c: [], u: [chain.join(SEPARATOR)], height: 0 };
    node = only;
  }
  return binarize(node.children, 0, chain.join(SEPARATOR));
}

function binarize(children: readonly SyntaxTree[], from: number, label: string): Encoded {
  const left = encode(children[from]!);
  const right = from + 2 === children.length ? encode(children[from + 1]!) : binarize(children, from + 1, EMPTY);
  const height = Math.max(left.height, right.height) + 1;
  // Reuse the left arrays: encodings are built bottom-up and never shared.
  left.d.push(height, ...right.d);
  left.c.push(label, ...right.c);
  left.u.push(...right.u);
  return { d: left.d, c: left.c, u: left.u, height };
}

/**
 * The inverse: the tree over `leaves` that (d, c, u) describes. The largest d in a span splits it (the
 * first one on ties, so predicted distances always give a tree); `<empty>` nodes are spliced into their
 * parent and `a<sep>b` labels become chains again. For an encoding made by `encodeTree` this gives back
 * the original tree exactly.
 */
export function decodeTree(d: ArrayLike<number>, c: readonly string[], u: readonly string[], leaves: readonly SyntaxLeaf[]): SyntaxTree {
  if (leaves.length === 0 || d.length !== leaves.length - 1 || c.length !== d.length || u.length !== leaves.length) {
    throw new Error(`an encoding of ${leaves.length} leaves needs ${Math.max(0, leaves.length - 1)} d and c and ${leaves.length} u; got ${d.length}, ${c.length}, ${u.length}`);
  }
  const build = (from: number, to: number): SyntaxTree => {
    if (from === to) return withChain(u[from]!, [leaves[from]!]);
    let split = from;
    for (let i = from + 1; i < to; i++) if (d[i]! > d[split]!) split = i;
    const children = [...spliced(build(from, split)), ...spliced(build(split + 1, to))];
    return c[split] === EMPTY ? { label: EMPTY, children } : withChain(c[split]!, children);
  };
  return build(0, leaves.length - 1);
}

function spliced(tree: SyntaxTree): readonly SyntaxTree[] {
  return !isLeaf(tree) && tree.label === EMPTY ? tree.children : [tree];
}

function withChain(label: string, children: readonly SyntaxTree[]): SyntaxTree {
  if (label === EMPTY) return children[0]!;
  const labels = label.split(SEPARATOR);
  let node: SyntaxTree = { label: labels[labels.length - 1]!, children };
  for (let i = labels.length - 2; i >= 0; i--) node = { label: labels[i]!, children: [node] };
  return node;
}
