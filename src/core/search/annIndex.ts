import { createHash } from 'node:crypto';
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { basename, dirname, join } from 'node:path';
import type { Index as UsearchIndex } from 'usearch';
import { writeFileAtomic } from '../index/atomicFile';
import { IndexIdentity } from '../index/indexStore';
import { quantizeVector } from '../index/int8Vectors';

/** HNSW parameters (usearch's names): edges per node, and candidate list sizes when adding and searching. */
export interface AnnParameters {
  readonly connectivity: number;
  readonly expansionAdd: number;
  /** usearch searches with max(expansionSearch, k). */
  readonly expansionSearch: number;
}

/** Chosen on real code embeddings (bench/searchLatency.ts): recall@10 >= 0.95 at the least latency and build time. */
export const DEFAULT_ANN_PARAMETERS: AnnParameters = { connectivity: 16, expansionAdd: 128, expansionSearch: 64 };

const FILE_MAGIC = 'ASTROLABE-ANN\n';
const FILE_FORMAT_VERSION = 1;
/** More removals than this share of the graph since it was built, and it is built anew: HNSW degrades with tombstones. */
const REBUILD_AFTER_REMOVED = 0.2;
/** Save after this share of the graph changed since the file was written; smaller differences are reconciled at load. */
const SAVE_AFTER_CHANGED = 0.05;

/** What the file records: the vectors' identity and how the graph was built (expansionSearch applies at search time only). */
interface FileHeader extends IndexIdentity, Omit<AnnParameters, 'expansionSearch'> {
  readonly format: number;
  readonly count: number;
  readonly nextKey: number;
  /** Removals since the graph was built (usearch keeps them as tombstones). */
  readonly removed: number;
  /** SHA-256 of everything after the header: usearch loads a damaged file without complaint, and then answers wrongly. */
  readonly sha256: string;
}

type Usearch = typeof import('usearch');
let usearch: Usearch | null | undefined;

/** usearch's native module, or null where it has no prebuilt binary for this platform (search then stays exact). */
function loadUsearch(): Usearch | null {
  if (usearch === undefined) {
    try {
      usearch = require('usearch') as Usearch;
    } catch {
      usearch = null;
    }
  }
  return usearch;
}

/**
 * An approximate nearest-neighbour index (HNSW, by usearch) over distinct unit vectors, keyed by unit
 * hash. It proposes candidates only: callers score them exactly. The graph holds the int8 codes and
 * ranks by cosine, which is the index's dot product up to rounding.
 *
 * Kept in one file beside the index, written atomically, with a checksum and the identity and
 * parameters it was built with: a file that does not match is rebuilt, never searched. It is a cache:
 * `sync` reconciles a stale one with the live vectors.
 */
export class AnnIndex {
  /** Key (usearch's uint64 label, a slot number here) to hash; undefined where removed. */
  private readonly hashes: (string | undefined)[] = [];
  private readonly keys = new Map<string, number>();
  private removedSinceBuild = 0;
  private changedSinceSave = 0;
  private generation = 0;

  private constructor(
    private readonly path: string,
    private readonly identity: IndexIdentity,
    private readonly parameters: AnnParameters,
    private graph: UsearchIndex,
  ) {}

  /** Whether this platform can run the ANN index at all. */
  static available(): boolean {
    return loadUsearch() !== null;
  }

  /**
   * The index kept at `path` if it was built with this identity and these build parameters and is intact;
   * otherwise an empty one, and why the file was not used.
   */
  static open(path: string, identity: IndexIdentity, parameters: AnnParameters = DEFAULT_ANN_PARAMETERS): { index: AnnIndex; discarded?: string } {
    const index = new AnnIndex(path, identity, parameters, newGraph(identity.dimension, parameters));
    if (!existsSync(path)) return { index, discarded: 'no graph file yet' };
    try {
      index.load();
      return { index };
    } catch (error) {
      const empty = new AnnIndex(path, identity, parameters, newGraph(identity.dimension, parameters));
      return { index: empty, discarded: `${path}: ${error instanceof Error ? error.message : String(error)}` };
    }
  }

  get size(): number {
    return this.keys.size;
  }

  /** Changes with every `sync` that changed the graph: a search snapshot built on an older one must not use it. */
  get version(): number {
    return this.generation;
  }

  /**
   * Makes the graph hold exactly the vectors of `live`: adds the new ones (`codesOf` gives their int8
   * codes), removes the gone; builds it anew once removals pile up.
   */
  sync(live: { has(hash: string): boolean; keys(): Iterable<string> }, codesOf: (hash: string) => Int8Array): { added: number; removed: number; rebuilt: boolean } {
    const gone = [...this.keys.keys()].filter((hash) => !live.has(hash));
    const fresh = [...live.keys()].filter((hash) => !this.keys.has(hash));
    if (gone.length === 0 && fresh.length === 0) return { added: 0, removed: 0, rebuilt: false };
    this.generation++;
    const liveCount = this.keys.size - gone.length + fresh.length;
    if (this.removedSinceBuild + gone.length > REBUILD_AFTER_REMOVED * liveCount) {
      this.graph = newGraph(this.identity.dimension, this.parameters);
      this.hashes.length = 0;
      this.keys.clear();
      this.removedSinceBuild = 0;
      this.add([...live.keys()], codesOf);
      this.changedSinceSave = Infinity;
      return { added: this.keys.size, removed: gone.length, rebuilt: true };
    }
    if (gone.length > 0) {
      const keys = BigUint64Array.from(gone, (hash) => BigInt(this.keys.get(hash)!));
      this.graph.remove(keys);
      for (const hash of gone) {
        this.hashes[this.keys.get(hash)!] = undefined;
        this.keys.delete(hash);
      }
      this.removedSinceBuild += gone.length;
    }
    this.add(fresh, codesOf);
    this.changedSinceSave += gone.length + fresh.length;
    return { added: fresh.length, removed: gone.length, rebuilt: false };
  }

  /** The hashes of (about) the `k` vectors nearest to `query` (unit length), nearest first. */
  search(query: Float32Array, k: number): string[] {
    if (this.keys.size === 0) return [];
    const matches = this.graph.search(quantizeVector(query).codes, Math.min(k, this.keys.size), 1);
    const found: string[] = [];
    for (const key of matches.keys) {
      const hash = this.hashes[Number(key)];
      if (hash !== undefined) found.push(hash);
    }
    return found;
  }

  /** Whether enough changed since the file was written that the next `save` should write it. */
  get saveDue(): boolean {
    return this.changedSinceSave > SAVE_AFTER_CHANGED * this.keys.size;
  }

  /** Writes the graph to its file, atomically (the previous file or this one, whatever happens). */
  save(): void {
    const scratch = mkdtempSync(join(tmpdir(), 'astrolabe-ann-'));
    try {
      // usearch writes only to a path; the checksummed file is assembled from what it wrote.
      this.graph.save(join(scratch, 'graph.usearch'));
      const table = Buffer.alloc(this.keys.size * 24);
      let offset = 0;
      for (const [hash, key] of this.keys) {
        table.writeBigUInt64LE(BigInt(key), offset);
        table.write(hash, offset + 8, 16, 'hex');
        offset += 24;
      }
      const graph = readFileSync(join(scratch, 'graph.usearch'));
      const header: FileHeader = {
        format: FILE_FORMAT_VERSION, modelId: this.identity.modelId, dimension: this.identity.dimension,
        connectivity: this.parameters.connectivity, expansionAdd: this.parameters.expansionAdd, count: this.keys.size, nextKey: this.hashes.length, removed: this.removedSinceBuild,
        sha256: createHash('sha256').update(table).update(graph).digest('hex'),
      };
      // Temporaries of a write that a crash interrupted (a concurrent writer's would fail its rename: the file is a cache).
      for (const name of readdirSync(dirname(this.path))) if (name.startsWith(`${basename(this.path)}.tmp-`)) rmSync(join(dirname(this.path), name), { force: true });
      // One copy of the graph's bytes besides usearch's own: at 1M units it is over 400 MB.
      writeFileAtomic(this.path, Buffer.concat([Buffer.from(`${FILE_MAGIC}${JSON.stringify(header)}\n`), table, graph]));
      this.changedSinceSave = 0;
    } finally {
      rmSync(scratch, { recursive: true, force: true });
    }
  }

  private load(): void {
    const bytes = readFileSync(this.path);
    const headerEnd = bytes.indexOf(0x0a, FILE_MAGIC.length);
    if (bytes.toString('latin1', 0, FILE_MAGIC.length) !== FILE_MAGIC || headerEnd < 0) throw new Error('not an Astrolabe ANN file');
    const header = JSON.parse(bytes.toString('utf8', FILE_MAGIC.length, headerEnd)) as FileHeader;
    const expected = { format: FILE_FORMAT_VERSION, modelId: this.identity.modelId, dimension: this.identity.dimension, connectivity: this.parameters.connectivity, expansionAdd: this.parameters.expansionAdd };
    for (const [field, value] of Object.entries(expected)) {
      if (header[field as keyof FileHeader] !== value) throw new Error(`built with ${field} ${String(header[field as keyof FileHeader])}, now ${String(value)}`);
    }
    const payload = bytes.subarray(headerEnd + 1);
    if (createHash('sha256').update(payload).digest('hex') !== header.sha256) throw new Error('checksum mismatch: the file is damaged');
    const tableBytes = header.count * 24;
    for (let offset = 0; offset < tableBytes; offset += 24) {
      const key = Number(payload.readBigUInt64LE(offset));
      const hash = payload.toString('hex', offset + 8, offset + 24);
      if (key >= header.nextKey || this.hashes[key] !== undefined) throw new Error(`key ${key} out of range or repeated`);
      this.hashes[key] = hash;
      this.keys.set(hash, key);
    }
    this.hashes.length = header.nextKey;
    this.removedSinceBuild = header.removed;
    const scratch = mkdtempSync(join(tmpdir(), 'astrolabe-ann-'));
    try {
      writeFileSync(join(scratch, 'graph.usearch'), payload.subarray(tableBytes));
      this.graph.load(join(scratch, 'graph.usearch'));
    } finally {
      rmSync(scratch, { recursive: true, force: true });
    }
    if (this.graph.size() !== header.count || this.graph.dimensions() !== this.identity.dimension) throw new Error(`graph holds ${this.graph.size()} vectors of ${this.graph.dimensions()}, the table ${header.count} of ${this.identity.dimension}`);
  }

  private add(hashes: readonly string[], codesOf: (hash: string) => Int8Array): void {
    if (hashes.length === 0) return;
    const dimension = this.identity.dimension;
    const codes = new Int8Array(hashes.length * dimension);
    const keys = new BigUint64Array(hashes.length);
    hashes.forEach((hash, i) => {
      const key = this.hashes.length;
      this.hashes.push(hash);
      this.keys.set(hash, key);
      keys[i] = BigInt(key);
      codes.set(codesOf(hash), i * dimension);
    });
    // Threads 0: as many as the machine has; building is the one costly step.
    this.graph.add(keys, codes, 0);
  }
}

function newGraph(dimension: number, parameters: AnnParameters): UsearchIndex {
  const module = loadUsearch();
  if (!module) throw new Error('usearch is not available on this platform');
  return new module.Index({
    dimensions: dimension, metric: module.MetricKind.Cos, quantization: module.ScalarKind.I8,
    connectivity: parameters.connectivity, expansion_add: parameters.expansionAdd, expansion_search: parameters.expansionSearch, multi: false,
  });
}
