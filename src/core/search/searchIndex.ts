import picomatch from 'picomatch';
import { IndexedUnit, IndexStore } from '../index/indexStore';
import { Int8Vector } from '../index/int8Vectors';
import { LanguageId } from '../parse/languages';
import { Bm25Index } from './bm25';
import { TopK } from './topK';

export type SearchMode = 'hybrid' | 'vector' | 'lexical';

export interface SearchOptions {
  readonly k: number;
  readonly mode: SearchMode;
  readonly languages?: readonly LanguageId[];
  /** Glob on the file path relative to the workspace folder, e.g. `src/**`. */
  readonly pathGlob?: string;
  /** Reciprocal rank fusion: each list adds weight / (rrfK + rank). */
  readonly rrfK?: number;
  readonly vectorWeight?: number;
  readonly lexicalWeight?: number;
}

export interface SearchHit {
  readonly file: string;
  readonly unit: IndexedUnit;
  readonly score: number;
}

/** How many candidates each list contributes to fusion. */
const CANDIDATES = 200;

/**
 * A read-only snapshot of an index, ready to answer queries: exact dot-product search over the int8
 * vectors, BM25 over the units' lexical terms, and their fusion by reciprocal rank.
 */
export class SearchIndex {
  private constructor(
    private readonly entries: readonly { readonly file: string; readonly unit: IndexedUnit }[],
    /** Every unit's int8 vector, back to back (one contiguous array scans fastest), and its scale. */
    private readonly codes: Int8Array,
    private readonly scales: Float32Array,
    private readonly dimension: number,
    private readonly lexical: Bm25Index,
  ) {}

  static fromStore(store: IndexStore): SearchIndex {
    const entries: { file: string; unit: IndexedUnit }[] = [];
    const vectors: Int8Vector[] = [];
    const lexical = new Bm25Index();
    for (const file of [...store.filePaths()].sort()) {
      for (const unit of store.file(file)!.units) {
        entries.push({ file, unit });
        vectors.push(store.vector(unit.hash)!);
        lexical.add(unit.terms.length > 0 ? unit.terms.split(' ') : []);
      }
    }
    const dimension = store.identity.dimension;
    const codes = new Int8Array(entries.length * dimension);
    const scales = new Float32Array(entries.length);
    vectors.forEach((vector, id) => {
      codes.set(vector.codes, id * dimension);
      scales[id] = vector.scale;
    });
    return new SearchIndex(entries, codes, scales, dimension, lexical);
  }

  get size(): number {
    return this.entries.length;
  }

  /** `queryVector` (unit length, the index's dimension) is needed for vector and hybrid modes. */
  search(queryVector: Float32Array | undefined, queryTerms: readonly string[], options: SearchOptions): SearchHit[] {
    const allowed = this.filter(options);
    const rrfK = options.rrfK ?? 60;
    const vectorList = options.mode === 'lexical' ? [] : this.vectorRanking(queryVector, allowed, options.mode === 'vector' ? options.k : CANDIDATES);
    const lexicalLimit = options.mode === 'lexical' ? options.k : CANDIDATES;
    // With a filter, BM25 must rank everything it matches, since the filter may drop the best.
    const filtered = options.languages?.length || options.pathGlob;
    const lexicalList = options.mode === 'vector' ? [] : this.lexical.search(queryTerms, filtered ? this.entries.length : lexicalLimit).filter((hit) => allowed(hit.id)).slice(0, lexicalLimit);
    if (options.mode === 'vector') return vectorList.map(({ id, score }) => this.hit(id, score));
    if (options.mode === 'lexical') return lexicalList.map(({ id, score }) => this.hit(id, score));
    const fused = new Map<number, number>();
    const add = (list: readonly { id: number }[], weight: number): void => list.forEach(({ id }, rank) => fused.set(id, (fused.get(id) ?? 0) + weight / (rrfK + rank + 1)));
    add(vectorList, options.vectorWeight ?? 1);
    add(lexicalList, options.lexicalWeight ?? 1);
    return [...fused.entries()].sort((a, b) => b[1] - a[1] || a[0] - b[0]).slice(0, options.k).map(([id, score]) => this.hit(id, score));
  }

  private vectorRanking(query: Float32Array | undefined, allowed: (id: number) => boolean, k: number): { id: number; score: number }[] {
    if (!query) throw new Error('vector and hybrid search need a query vector (is the encoder loaded?)');
    const { codes, scales, dimension } = this;
    const top = new TopK(k);
    for (let id = 0, base = 0; id < scales.length; id++, base += dimension) {
      let dot = 0;
      for (let d = 0; d < dimension; d++) dot += query[d]! * codes[base + d]!;
      const score = dot * scales[id]!;
      if (score > top.threshold && allowed(id)) top.add(id, score);
    }
    return top.sorted();
  }

  private filter(options: SearchOptions): (id: number) => boolean {
    const languages = options.languages && options.languages.length > 0 ? new Set(options.languages) : undefined;
    const path = options.pathGlob ? picomatch(options.pathGlob, { dot: true }) : undefined;
    if (!languages && !path) return () => true;
    return (id) => {
      const entry = this.entries[id]!;
      return (!languages || languages.has(entry.unit.language)) && (!path || path(entry.file));
    };
  }

  private hit(id: number, score: number): SearchHit {
    const entry = this.entries[id]!;
    return { file: entry.file, unit: entry.unit, score };
  }
}

