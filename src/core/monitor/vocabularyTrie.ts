/** A set of allowed token ids over a vocabulary. */
export interface TokenMask {
  readonly allowed: Uint8Array;
  readonly count: number;
  /** Added to the allowed tokens' logits before the choice: what a monitor believes beyond legality. */
  readonly bonus?: Float32Array;
}

interface TrieNode {
  readonly children: Map<string, TrieNode>;
  /** Tokens whose text ends exactly here. */
  readonly tokens: number[];
}

const IDENTIFIER_CHAR = /[\p{ID_Continue}$\u200c\u200d]/u;

/** Whether `char` may continue a JavaScript/TypeScript identifier; any other character ends one. */
export function continuesIdentifier(char: string): boolean {
  return IDENTIFIER_CHAR.test(char);
}

/**
 * A trie over the vocabulary's decoded token texts (monitor-guided decoding's maskgen). Built once
 * per tokenizer; each query walks only the paths of the legal strings, not the whole vocabulary.
 */
export class VocabularyTrie {
  private readonly root: TrieNode = { children: new Map(), tokens: [] };

  constructor(readonly tokenTexts: readonly string[]) {
    tokenTexts.forEach((text, token) => {
      if (!text) return;
      let node = this.root;
      for (const char of text) {
        let child = node.children.get(char);
        if (!child) node.children.set(char, (child = { children: new Map(), tokens: [] }));
        node = child;
      }
      node.tokens.push(token);
    });
  }

  get vocabularySize(): number {
    return this.tokenTexts.length;
  }

  /**
   * Tokens allowed when the text must continue with one of `remainders` (the unwritten rest of each
   * legal identifier): a token is allowed if its text is a non-empty prefix of a remainder, or is the
   * whole remainder followed by a character that ends an identifier (and anything after it).
   * `extra` ids (end of text, for instance) are added when some remainder is already empty.
   */
  identifierMask(remainders: Iterable<string>, extra: readonly number[] = []): TokenMask {
    const allowed = new Uint8Array(this.tokenTexts.length);
    let count = 0;
    const allow = (token: number): void => {
      if (!allowed[token]) {
        allowed[token] = 1;
        count++;
      }
    };
    let anyComplete = false;
    const seen = new Set<string>();
    for (const remainder of remainders) {
      if (seen.has(remainder)) continue;
      seen.add(remainder);
      let node: TrieNode | undefined = this.root;
      for (const char of remainder) {
        node = node.children.get(char);
        if (!node) break;
        node.tokens.forEach(allow);
      }
      if (!node) continue;
      if (remainder === '') anyComplete = true;
      // The whole remainder is written: the token's next character must end the identifier.
      for (const [char, child] of node.children) if (!continuesIdentifier(char)) this.forEachToken(child, allow);
    }
    if (anyComplete) extra.forEach(allow);
    return { allowed, count };
  }

  private forEachToken(node: TrieNode, visit: (token: number) => void): void {
    node.tokens.forEach(visit);
    for (const child of node.children.values()) this.forEachToken(child, visit);
  }
}
