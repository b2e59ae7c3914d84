import type { Parser } from 'web-tree-sitter';
import { LanguageId } from '../parse/languages';
import { CodeTokenizer } from '../tokenize/codeTokenizer';
import { probeTreeOf } from './probeTree';
import { leavesOf, SyntaxLeaf, SyntaxTree } from './syntaxTree';
import { encodeTree, TreeEncoding } from './treeEncoding';

/** A unit ready to probe: its tree and (d, c, u), the encoder's input, and which leaf each token belongs to. */
export interface ProbeExample {
  readonly tree: SyntaxTree;
  readonly leaves: readonly SyntaxLeaf[];
  readonly encoding: TreeEncoding;
  /** Token ids, [CLS] ... [SEP], comments and docstrings dropped like the tree's. */
  readonly ids: readonly number[];
  /** For each token, the index of the leaf its lexeme starts in; -1 for specials and layout. */
  readonly tokenLeaf: Int32Array;
}

export type ProbeSkip = 'syntax-error' | 'too-few-leaves' | 'too-long';

/** Fewer leaves give no pair of distances to rank. */
const MIN_LEAVES = 3;

/**
 * Parses and tokenizes a unit for probing. Every leaf must own at least one token (subwords are averaged
 * into the leaf's vector), so a unit cut by the encoder's `maxTokens` is skipped as `too-long`.
 */
export function probeExampleOf(text: string, language: LanguageId, parser: Parser, tokenizer: CodeTokenizer, maxTokens: number): ProbeExample | ProbeSkip {
  const parsed = parser.parse(text);
  if (!parsed) return 'syntax-error';
  let tree: SyntaxTree | undefined;
  try {
    if (parsed.rootNode.hasError) return 'syntax-error';
    tree = probeTreeOf(parsed.rootNode, language);
  } finally {
    parsed.delete();
  }
  if (!tree) return 'too-few-leaves';
  const leaves = leavesOf(tree);
  if (leaves.length < MIN_LEAVES) return 'too-few-leaves';
  const tokens = tokenizer.encodeUnit(text, language, maxTokens, { dropComments: true });
  const tokenLeaf = leafOfEachToken(tokens.lexemeIndex, tokens.lexemes, leaves);
  if (!tokenLeaf) return 'too-long';
  return { tree, leaves, encoding: encodeTree(tree), ids: Array.from(tokens.ids), tokenLeaf };
}

/** Maps tokens to leaves by where their lexeme starts; undefined when some leaf gets no token. */
function leafOfEachToken(lexemeIndex: Int32Array, lexemes: readonly { start: number; kind: string }[], leaves: readonly SyntaxLeaf[]): Int32Array | undefined {
  const tokenLeaf = new Int32Array(lexemeIndex.length).fill(-1);
  const covered = new Uint8Array(leaves.length);
  let leaf = 0;
  for (let token = 0; token < lexemeIndex.length; token++) {
    const index = lexemeIndex[token]!;
    if (index < 0) continue;
    const lexeme = lexemes[index]!;
    if (lexeme.kind === 'newline' || lexeme.kind === 'indent' || lexeme.kind === 'dedent') continue;
    // Tokens come in text order, so the leaf pointer only moves forward.
    while (leaf < leaves.length && leaves[leaf]!.end <= lexeme.start) leaf++;
    if (leaf === leaves.length) break;
    if (lexeme.start < leaves[leaf]!.start) continue; // text no leaf holds (a dropped comment)
    tokenLeaf[token] = leaf;
    covered[leaf] = 1;
  }
  return covered.every((flag) => flag === 1) ? tokenLeaf : undefined;
}

/**
 * The leaves' word vectors for one layer: each leaf's tokens averaged. `states` holds `tokens x hidden`
 * floats of that layer (a view into the encoder's output); the result is `leaves x hidden`.
 */
export function leafVectors(states: Float32Array, hidden: number, tokenLeaf: Int32Array, leafCount: number): Float32Array {
  const sums = new Float32Array(leafCount * hidden);
  const counts = new Uint32Array(leafCount);
  for (let token = 0; token < tokenLeaf.length; token++) {
    const leaf = tokenLeaf[token]!;
    if (leaf < 0) continue;
    counts[leaf]++;
    const from = token * hidden;
    const to = leaf * hidden;
    for (let k = 0; k < hidden; k++) sums[to + k] += states[from + k];
  }
  for (let leaf = 0; leaf < leafCount; leaf++) {
    const scale = 1 / counts[leaf];
    for (let k = 0; k < hidden; k++) sums[leaf * hidden + k] *= scale;
  }
  return sums;
}
