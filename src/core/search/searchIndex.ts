import picomatch from 'picomatch';
import { IndexedUnit, IndexStore } from '../index/indexStore';
import { dotInt8, Int8Vector } from '../index/int8Vectors';
import { LanguageId } from '../parse/languages';
import { Bm25Index } from './bm25';

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
    private readonly entries: readonly { readonly file: string; readonly unit: IndexedUnit; readonly vector: Int8Vector }[],
    private readonly lexical: Bm25Index,
  ) {}

  static fromStore(store: IndexStore): SearchIndex {
    const entries: { file: string; unit: IndexedUnit; vector: Int8Vector }[] = [];
    const lexical = new Bm25Index();
    for (const file of [...store.filePaths()].sort()) {
      for (const unit of store.file(file)!.units) {
        entries.push({ file, unit, vector: store.vector(unit.hash)! });
        lexical.add(unit.terms.length > 0 ? unit.terms.split(' ') : []);
      }
    }
    return new SearchIndex(entries, lexical);
  }

  get size(): number {
    return this.entries.length;
  }

  /** `queryVector` (unit length, the index's dimension) is needed for vector and hybrid modes. */
  search(queryVector: Float32Array | undefined, queryTerms: readonly string[], options: SearchOptions): SearchHit[] {
    const allowed = this.filter(options);
    const rrfK = options.rrfK ?? 60;
    const vectorList = options.mode === 'lexical' ? [] : this.vectorRanking(queryVector, allowed, options.mode === 'vector' ? options.k : CANDIDATES);
    const lexicalList = options.mode === 'vector' ? [] : this.lexical.search(queryTerms, this.entries.length).filter((hit) => allowed(hit.id)).slice(0, options.mode === 'lexical' ? options.k : CANDIDATES);
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
    // A bounded min-heap would save the sort; at these sizes a partial sort of the scores is as fast.
    const scored: { id: number; score: number }[] = [];
    for (let id = 0; id < this.entries.length; id++) if (allowed(id)) scored.push({ id, score: dotInt8(query, this.entries[id]!.vector) });
    scored.sort((a, b) => b.score - a.score || a.id - b.id);
    return scored.slice(0, k);
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
