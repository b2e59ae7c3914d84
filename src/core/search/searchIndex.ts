import { join } from 'node:path';
import picomatch from 'picomatch';
import { IndexedUnit, IndexStore } from '../index/indexStore';
import { Int8Vector } from '../index/int8Vectors';
import { LanguageId } from '../parse/languages';
import { AnnIndex, AnnParameters, DEFAULT_ANN_PARAMETERS } from './annIndex';
import { Bm25Index, UnitFields } from './bm25';
import { nameTerms } from './lexicalTerms';
import { expandTerms } from './termExpansions';
import { TopK } from './topK';

export type SearchMode = 'hybrid' | 'vector' | 'lexical';

export interface SearchOptions {
  readonly k: number;
  readonly mode: SearchMode;
  readonly languages?: readonly LanguageId[];
  /** Glob on the file path relative to the workspace folder, e.g. `src/**`. */
  readonly pathGlob?: string;
  /** Hybrid fusion weights (`DEFAULT_FUSION_WEIGHTS` when left out). */
  readonly vectorWeight?: number;
  readonly lexicalWeight?: number;
}

/**
 * Hybrid ranking sums both signals' scores, min-max normalized over the candidates of both lists, with these
 * weights (a convex combination). Tuned on CoSQA dev (bench/searchQuality.ts): with astrolabe-code-encoder-0.10,
 * abbreviations expanded and the name a BM25F field, MRR 0.464 at 0.6 / 0.4 (0.450 at 0.5 / 0.5, 0.462 at 0.7 / 0.3;
 * encoder 0.9: 0.457 / 0.454 / 0.457), so 0.6 stays: the best weight moves with the encoder. Scores beat reciprocal rank
 * fusion (0.393 against 0.376 with encoder 0.2), since they keep how far ahead a strong lexical match is,
 * where ranks do not.
 */
export const DEFAULT_FUSION_WEIGHTS = { vector: 0.6, lexical: 0.4 } as const;

export interface SearchHit {
  readonly file: string;
  readonly unit: IndexedUnit;
  readonly score: number;
}

/** How many candidates each list contributes to fusion. */
const CANDIDATES = 200;

/**
 * From this many units on, vector search goes through the HNSW graph; below it the exact scan is fast
 * enough (about 0.3 µs a unit: 3 ms at 10k, 32 ms at 100k on the reference machine) and needs no graph
 * to build. Measured in bench/searchLatency.ts.
 */
export const APPROXIMATE_FROM_UNITS = 50_000;
/**
 * The graph ranks by the cosine of int8 codes (the query quantized too), so near ties at the k-th place
 * can swap: it is asked for twice k candidates, which are scored exactly. With a filter that leaves at
 * least APPROXIMATE_FROM_UNITS units, for ten times k; when fewer than k of them pass, the exact scan of
 * the units that pass answers.
 */
const CANDIDATES_PER_RESULT = 2;
const FILTERED_CANDIDATES_PER_RESULT = 10;
const FILTERS_KEPT = 8;
/** The graph's file in the index's folder (the store leaves files it does not know alone). */
const ANN_FILE = 'ann-graph.bin';

export interface SearchIndexOptions {
  /** Vector search is approximate from this many units on (default APPROXIMATE_FROM_UNITS). */
  readonly approximateFromUnits?: number;
  readonly annParameters?: AnnParameters;
}

/** One graph per store, kept across the snapshots of it that follow its updates (syncing costs the difference only). */
const graphs = new WeakMap<IndexStore, { readonly index: AnnIndex; readonly parameters: AnnParameters }>();

/**
 * A read-only snapshot of an index, ready to answer queries: dot-product search over the int8 vectors
 * (exact, or above a size an HNSW graph's candidates scored exactly), BM25 over the units' lexical
 * terms (names weighted, abbreviations expanded on both sides), and their fusion (a weighted sum of min-max normalized scores).
 */
export class SearchIndex {
  /** The graph once prepared; null when this snapshot searches exactly. */
  private ann: { readonly index: AnnIndex; readonly version: number } | null | undefined;
  /** Entry ids by unit hash: the first, then a chain through the others with the same hash (-1 ends it). */
  private firstWithHash: Map<string, number> | undefined;
  private nextWithHash: Int32Array | undefined;
  private readonly allowedByFilter = new Map<string, Int32Array>();

  private constructor(
    private readonly entries: readonly { readonly file: string; readonly unit: IndexedUnit }[],
    /** Every unit's int8 vector, back to back (one contiguous array scans fastest), and its scale. */
    private readonly codes: Int8Array,
    private readonly scales: Float32Array,
    private readonly dimension: number,
    private readonly lexical: Bm25Index,
    private readonly store: IndexStore,
    private readonly options: SearchIndexOptions,
  ) {}

  static fromStore(store: IndexStore, options: SearchIndexOptions = {}): SearchIndex {
    const entries: { file: string; unit: IndexedUnit }[] = [];
    const vectors: Int8Vector[] = [];
    const lexical = new Bm25Index();
    for (const file of [...store.filePaths()].sort()) {
      for (const unit of store.file(file)!.units) {
        entries.push({ file, unit });
        vectors.push(store.vector(unit.hash)!);
        lexical.add(documentTerms(unit));
      }
    }
    const dimension = store.identity.dimension;
    const codes = new Int8Array(entries.length * dimension);
    const scales = new Float32Array(entries.length);
    vectors.forEach((vector, id) => {
      codes.set(vector.codes, id * dimension);
      scales[id] = vector.scale;
    });
    return new SearchIndex(entries, codes, scales, dimension, lexical, store, options);
  }

  get size(): number {
    return this.entries.length;
  }

  /** `queryVector` (unit length, the index's dimension) is needed for vector and hybrid modes. */
  search(queryVector: Float32Array | undefined, queryTerms: readonly string[], options: SearchOptions): SearchHit[] {
    const allowed = this.filter(options);
    // All of BM25's matches are ranked under the filter: it may drop the best.
    if (options.mode === 'lexical') return this.lexical.search(expandTerms(queryTerms), options.k, allowed).map(({ id, score }) => this.hit(id, score));
    const filtered = Boolean(options.languages?.length || options.pathGlob);
    const vectorList = this.vectorRanking(queryVector, filtered ? this.allowedIds(options, allowed) : undefined, options.mode === 'vector' ? options.k : CANDIDATES);
    if (options.mode === 'vector') return vectorList.map(({ id, score }) => this.hit(id, score));
    const lexicalScores = this.lexical.scores(expandTerms(queryTerms));
    const fused = this.fuse(queryVector!, vectorList, lexicalScores, TopK.best(lexicalScores, CANDIDATES, allowed), {
      vector: options.vectorWeight ?? DEFAULT_FUSION_WEIGHTS.vector, lexical: options.lexicalWeight ?? DEFAULT_FUSION_WEIGHTS.lexical,
    });
    return fused.slice(0, options.k).map(({ id, score }) => this.hit(id, score));
  }

  /**
   * Hybrid ranking: the union of both lists' candidates, each scored by both signals exactly (a unit one
   * list missed keeps its true score there: its dot product, or BM25's 0 when it holds no query term),
   * each signal min-max normalized over the union, then summed with the weights. Best first, ties by id.
   */
  private fuse(
    query: Float32Array,
    vectorList: readonly { id: number; score: number }[],
    lexicalScores: ReadonlyMap<number, number>,
    lexicalList: readonly { id: number; score: number }[],
    weights: { readonly vector: number; readonly lexical: number },
  ): { id: number; score: number }[] {
    const vectorScores = new Map(vectorList.map(({ id, score }) => [id, score]));
    const candidates = [...new Set([...vectorList.map(({ id }) => id), ...lexicalList.map(({ id }) => id)])];
    const vector = candidates.map((id) => vectorScores.get(id) ?? this.score(query, id));
    const lexical = candidates.map((id) => lexicalScores.get(id) ?? 0);
    const scaleVector = unitRange(vector);
    const scaleLexical = unitRange(lexical);
    return candidates
      .map((id, index) => ({ id, score: weights.vector * scaleVector(vector[index]!) + weights.lexical * scaleLexical(lexical[index]!) }))
      .sort((a, b) => b.score - a.score || a.id - b.id);
  }

  /**
   * Loads, builds or updates the HNSW graph now if this snapshot's size calls for one (otherwise the
   * first vector query does it), and says which search answers vector queries.
   */
  prepareVectorSearch(): 'exact' | 'approximate' {
    return this.approximateIndex() ? 'approximate' : 'exact';
  }

  /** The k nearest units; with `allowedIds`, among those only. */
  private vectorRanking(query: Float32Array | undefined, allowedIds: Int32Array | undefined, k: number): { id: number; score: number }[] {
    if (!query) throw new Error('vector and hybrid search need a query vector (is the encoder loaded?)');
    // A filter that leaves fewer units than the threshold is answered as exactly and as fast as a small index.
    const ann = !allowedIds || allowedIds.length >= this.approximateFrom ? this.approximateIndex() : undefined;
    const approximate = ann && this.approximateRanking(ann, query, allowedIds, k);
    return approximate || this.exactRanking(query, allowedIds, k);
  }

  /** The graph's candidates scored exactly; undefined when fewer than k pass the filter (the exact scan must answer). */
  private approximateRanking(ann: AnnIndex, query: Float32Array, allowedIds: Int32Array | undefined, k: number): { id: number; score: number }[] | undefined {
    const top = new TopK(k);
    for (const hash of ann.search(query, (allowedIds ? FILTERED_CANDIDATES_PER_RESULT : CANDIDATES_PER_RESULT) * k)) {
      for (let id = this.firstWithHash!.get(hash) ?? -1; id >= 0; id = this.nextWithHash![id]!) {
        if (!allowedIds || isIn(allowedIds, id)) top.add(id, this.score(query, id));
      }
    }
    return top.size < Math.min(k, allowedIds?.length ?? this.entries.length) ? undefined : top.sorted();
  }

  private score(query: Float32Array, id: number): number {
    const { codes, dimension } = this;
    let dot = 0;
    for (let d = 0, base = id * dimension; d < dimension; d++) dot += query[d]! * codes[base + d]!;
    return dot * this.scales[id]!;
  }

  /** The graph this snapshot searches, prepared on first use; undefined where the exact scan answers. */
  private approximateIndex(): AnnIndex | undefined {
    if (this.ann === undefined) this.ann = this.prepareGraph();
    // A later snapshot of the store changed the shared graph: it no longer matches this one's units.
    return this.ann && this.ann.index.version === this.ann.version ? this.ann.index : undefined;
  }

  private prepareGraph(): { index: AnnIndex; version: number } | null {
    if (this.entries.length < this.approximateFrom || this.dimension === 0 || !AnnIndex.available()) return null;
    const parameters = this.options.annParameters ?? DEFAULT_ANN_PARAMETERS;
    try {
      const first = new Map<string, number>();
      const next = new Int32Array(this.entries.length).fill(-1);
      for (let id = this.entries.length - 1; id >= 0; id--) {
        const hash = this.entries[id]!.unit.hash;
        next[id] = first.get(hash) ?? -1;
        first.set(hash, id);
      }
      this.firstWithHash = first;
      this.nextWithHash = next;
      let shared = graphs.get(this.store);
      if (!shared || JSON.stringify(shared.parameters) !== JSON.stringify(parameters)) {
        shared = { index: AnnIndex.open(join(this.store.folder, ANN_FILE), this.store.identity, parameters).index, parameters };
        graphs.set(this.store, shared);
      }
      const { dimension, codes } = this;
      shared.index.sync(first, (hash) => codes.subarray(first.get(hash)! * dimension, (first.get(hash)! + 1) * dimension));
      if (shared.index.saveDue) {
        try {
          shared.index.save();
        } catch {
          // The file is a cache: unwritable, the graph is built again next time.
        }
      }
      return { index: shared.index, version: shared.index.version };
    } catch {
      // No graph (no memory, a native failure): the exact scan always answers correctly.
      graphs.delete(this.store);
      return null;
    }
  }

  private exactRanking(query: Float32Array, allowedIds: Int32Array | undefined, k: number): { id: number; score: number }[] {
    const { codes, scales, dimension } = this;
    const top = new TopK(k);
    if (allowedIds) {
      for (const id of allowedIds) {
        const score = this.score(query, id);
        if (score > top.threshold) top.add(id, score);
      }
      return top.sorted();
    }
    // The whole index: the hot loop, kept inline.
    for (let id = 0, base = 0; id < scales.length; id++, base += dimension) {
      let dot = 0;
      for (let d = 0; d < dimension; d++) dot += query[d]! * codes[base + d]!;
      const score = dot * scales[id]!;
      if (score > top.threshold) top.add(id, score);
    }
    return top.sorted();
  }

  /** The ids that pass a filter, ascending; kept for the last few filters (a picker keeps its filter while the query changes). */
  private allowedIds(options: SearchOptions, allowed: (id: number) => boolean): Int32Array {
    const key = JSON.stringify([options.languages ?? [], options.pathGlob ?? '']);
    let ids = this.allowedByFilter.get(key);
    if (!ids) {
      const passing: number[] = [];
      for (let id = 0; id < this.entries.length; id++) if (allowed(id)) passing.push(id);
      ids = Int32Array.from(passing);
      if (this.allowedByFilter.size >= FILTERS_KEPT) this.allowedByFilter.delete(this.allowedByFilter.keys().next().value!);
      this.allowedByFilter.set(key, ids);
    }
    return ids;
  }

  private get approximateFrom(): number {
    return this.options.approximateFromUnits ?? APPROXIMATE_FROM_UNITS;
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

/** Whether sorted `ids` holds `id` (binary search). */
function isIn(ids: Int32Array, id: number): boolean {
  let low = 0;
  let high = ids.length - 1;
  while (low <= high) {
    const middle = (low + high) >> 1;
    if (ids[middle] === id) return true;
    if (ids[middle]! < id) low = middle + 1;
    else high = middle - 1;
  }
  return false;
}

/** Maps values onto [0, 1] over their range (all to 1 when they are equal: no signal to weigh). */
function unitRange(values: readonly number[]): (value: number) => number {
  let low = Infinity;
  let high = -Infinity;
  for (const value of values) {
    if (value < low) low = value;
    if (value > high) high = value;
  }
  return high > low ? (value) => (value - low) / (high - low) : () => 1;
}

/**
 * What BM25 indexes for a unit: its text's terms with the names of what contains it (the text seldom
 * repeats them, and a closure is not about its function), and its own name as a field of its own;
 * abbreviations expanded in both.
 */
function documentTerms(unit: IndexedUnit): UnitFields<string[]> {
  const name = nameTerms(unit.name);
  const text = unit.terms.length > 0 ? unit.terms.split(' ') : [];
  return { text: expandTerms([...text, ...name.containers]), name: expandTerms(name.own) };
}
