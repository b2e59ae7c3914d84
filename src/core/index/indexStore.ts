import { existsSync, mkdirSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { gunzipSync, gzipSync } from 'node:zlib';
import { join } from 'node:path';
import { CodeUnit } from '../parse/codeUnit';
import { writeFileAtomic } from './atomicFile';
import { Int8Vector } from './int8Vectors';

export const INDEX_FORMAT = 'astrolabe-index';
// 2: terms in compressed, content-addressed segments. 3: terms stemmed (lexicalTerms), so older terms would not match queries.
export const INDEX_FORMAT_VERSION = 3;

/** What the index keeps of a code unit: where it is and what it is (its text stays in the file), and its terms. */
export type IndexedUnit = Pick<CodeUnit, 'language' | 'kind' | 'name' | 'startLine' | 'endLine' | 'hash'> & {
  /** Its lexical terms (`lexicalTerms`: identifiers split, comments and docstrings included), space-separated. */
  readonly terms: string;
};

/** A file as last indexed: its stat (to skip unchanged files cheaply) and its units. */
export interface IndexedFile {
  readonly mtimeMs: number;
  readonly size: number;
  readonly units: readonly IndexedUnit[];
}

/** The embedding an index was built with: another model or size means another index. */
export interface IndexIdentity {
  readonly modelId: string;
  readonly dimension: number;
}

interface Manifest extends IndexIdentity {
  readonly format: typeof INDEX_FORMAT;
  readonly formatVersion: number;
  readonly generation: number;
  readonly filesFile: string;
  readonly vectorSegments: readonly string[];
  readonly termSegments: readonly string[];
}

/** A unit as the files list stores it: its terms live in the term segments, once per distinct text. */
type StoredUnit = Omit<IndexedUnit, 'terms'>;
type StoredFile = Omit<IndexedFile, 'units'> & { readonly units: readonly StoredUnit[] };

/** Why an existing index was not used: reported, then the index is rebuilt. */
export type DiscardReason = 'missing' | 'format' | 'model' | 'corrupt';

const SEGMENT_MAGIC = 0x41535631; // "ASV1"
const HEADER_BYTES = 12; // magic, dimension, record count (uint32 each)
const HASH_BYTES = 16;

/**
 * A workspace's persistent index: files and their code units, and one int8 embedding per distinct unit
 * text (content-addressed by hash, so renames and identical units cost nothing to re-embed).
 *
 * On disk: `manifest.json` names the live `files-<generation>.json` (files and their units, without
 * terms), the vector segments (`vectors-<n>.bin`: a header, then per vector its hash, scale and int8
 * codes) and the term segments (`terms-<n>.json.gz`: gzipped JSON, hash to terms). Segments are
 * content-addressed and append-only, so a commit writes only what is new (the files list aside) and
 * compaction rewrites them when most is garbage. A commit writes new segments and the files list first,
 * each atomically, and the manifest last: a crash at any moment leaves the previous manifest, whose files
 * are all still there, or the new one.
 */
export class IndexStore {
  private readonly files = new Map<string, IndexedFile>();
  private readonly vectors = new Map<string, Int8Vector>();
  /** Vectors added since the last commit, to write as a new segment. */
  private readonly fresh = new Map<string, Int8Vector>();
  private segments: string[] = [];
  /** Terms by unit hash, and the hashes whose terms are not in a term segment yet. */
  private readonly terms = new Map<string, string>();
  private readonly freshTerms = new Set<string>();
  private termSegments: string[] = [];
  private generation = 0;
  private dirty = false;

  private constructor(readonly folder: string, readonly identity: IndexIdentity) {}

  /**
   * Opens the index in `folder` if it was built with `identity` and is intact; otherwise starts an empty
   * one there and says why the old one was discarded.
   */
  static open(folder: string, identity: IndexIdentity): { store: IndexStore; discarded?: { reason: DiscardReason; detail: string } } {
    mkdirSync(folder, { recursive: true });
    const store = new IndexStore(folder, identity);
    const manifestPath = join(folder, 'manifest.json');
    if (!existsSync(manifestPath)) return { store, discarded: { reason: 'missing', detail: 'no index yet' } };
    try {
      const manifest = JSON.parse(readFileSync(manifestPath, 'utf8')) as Manifest;
      if (manifest.format !== INDEX_FORMAT || manifest.formatVersion !== INDEX_FORMAT_VERSION) {
        return { store, discarded: { reason: 'format', detail: `format ${manifest.format} v${manifest.formatVersion}, this Astrolabe writes ${INDEX_FORMAT} v${INDEX_FORMAT_VERSION}` } };
      }
      if (manifest.modelId !== identity.modelId || manifest.dimension !== identity.dimension) {
        return { store, discarded: { reason: 'model', detail: `built with ${manifest.modelId} at ${manifest.dimension} dimensions, now ${identity.modelId} at ${identity.dimension}` } };
      }
      store.load(manifest);
      return { store };
    } catch (error) {
      store.files.clear();
      store.vectors.clear();
      store.terms.clear();
      return { store, discarded: { reason: 'corrupt', detail: `${manifestPath}: ${error instanceof Error ? error.message : String(error)}` } };
    }
  }

  get fileCount(): number {
    return this.files.size;
  }

  get unitCount(): number {
    let count = 0;
    for (const file of this.files.values()) count += file.units.length;
    return count;
  }

  file(path: string): IndexedFile | undefined {
    return this.files.get(path);
  }

  filePaths(): IterableIterator<string> {
    return this.files.keys();
  }

  vector(hash: string): Int8Vector | undefined {
    return this.vectors.get(hash);
  }

  /** The hashes among `units` that have no embedding yet: only these need the encoder. */
  missingVectors(units: readonly { readonly hash: string }[]): string[] {
    return [...new Set(units.map((unit) => unit.hash))].filter((hash) => !this.vectors.has(hash));
  }

  addVector(hash: string, vector: Int8Vector): void {
    if (vector.codes.length !== this.identity.dimension) throw new Error(`vector of ${vector.codes.length} dimensions in an index of ${this.identity.dimension}`);
    if (!/^[0-9a-f]{32}$/.test(hash)) throw new Error(`not a unit hash: ${hash}`);
    if (this.vectors.has(hash)) return;
    this.vectors.set(hash, vector);
    this.fresh.set(hash, vector);
    this.dirty = true;
  }

  /** Records a file's units; every unit's vector must have been added. */
  setFile(path: string, file: IndexedFile): void {
    for (const unit of file.units) if (!this.vectors.has(unit.hash)) throw new Error(`no vector for unit ${unit.name} (${unit.hash}) of ${path}`);
    for (const unit of file.units) {
      if (this.terms.has(unit.hash)) continue;
      this.terms.set(unit.hash, unit.terms);
      this.freshTerms.add(unit.hash);
    }
    this.files.set(path, file);
    this.dirty = true;
  }

  removeFile(path: string): void {
    if (this.files.delete(path)) this.dirty = true;
  }

  /** Makes every change since the last commit durable, atomically; then drops files no longer referenced. */
  commit(): void {
    if (!this.dirty) return;
    const generation = this.generation + 1;
    const live = new Set<string>();
    for (const file of this.files.values()) for (const unit of file.units) live.add(unit.hash);
    let segments = [...this.segments];
    let termSegments = [...this.termSegments];
    const stored = this.vectors.size - this.fresh.size;
    const garbage = [...this.vectors.keys()].filter((hash) => !live.has(hash)).length;
    if (segments.length >= 16 || termSegments.length >= 16 || (stored > 0 && garbage > stored / 2)) {
      // Compaction: one segment of the live vectors, and one of their terms, replace them all.
      for (const hash of [...this.vectors.keys()]) if (!live.has(hash)) this.vectors.delete(hash);
      for (const hash of [...this.terms.keys()]) if (!live.has(hash)) this.terms.delete(hash);
      segments = [this.writeSegment(`vectors-${generation}.bin`, this.vectors)];
      termSegments = [this.writeTermSegment(`terms-${generation}.json.gz`, [...this.terms.keys()])];
    } else {
      if (this.fresh.size > 0) segments.push(this.writeSegment(`vectors-${generation}.bin`, this.fresh));
      // Terms of units recorded since the last commit and still live; the others are forgotten, so that
      // recording such a unit again writes its terms then.
      const fresh = [...this.freshTerms].filter((hash) => live.has(hash));
      for (const hash of this.freshTerms) if (!live.has(hash)) this.terms.delete(hash);
      if (fresh.length > 0) termSegments.push(this.writeTermSegment(`terms-${generation}.json.gz`, fresh));
    }
    const filesFile = `files-${generation}.json`;
    const files = Object.fromEntries([...this.files].map(([path, file]) => [path, storedFile(file)]));
    writeFileAtomic(join(this.folder, filesFile), JSON.stringify(files));
    const manifest: Manifest = { format: INDEX_FORMAT, formatVersion: INDEX_FORMAT_VERSION, ...this.identity, generation, filesFile, vectorSegments: segments, termSegments };
    writeFileAtomic(join(this.folder, 'manifest.json'), JSON.stringify(manifest, null, 1));
    this.generation = generation;
    this.segments = segments;
    this.termSegments = termSegments;
    this.fresh.clear();
    this.freshTerms.clear();
    this.dirty = false;
    this.removeUnreferenced(new Set([filesFile, ...segments, ...termSegments, 'manifest.json']));
  }

  private load(manifest: Manifest): void {
    const files = JSON.parse(readFileSync(join(this.folder, manifest.filesFile), 'utf8')) as Record<string, StoredFile>;
    for (const segment of manifest.vectorSegments) this.readSegment(segment);
    for (const segment of manifest.termSegments) this.readTermSegment(segment);
    for (const [path, file] of Object.entries(files)) {
      const units = file.units.map((unit) => {
        if (!this.vectors.has(unit.hash)) throw new Error(`unit ${unit.name} of ${path} has no vector in the segments`);
        const terms = this.terms.get(unit.hash);
        if (terms === undefined) throw new Error(`unit ${unit.name} of ${path} has no terms in the segments`);
        return { ...unit, terms };
      });
      this.files.set(path, { ...file, units });
    }
    this.generation = manifest.generation;
    this.segments = [...manifest.vectorSegments];
    this.termSegments = [...manifest.termSegments];
  }

  private writeTermSegment(name: string, hashes: readonly string[]): string {
    const terms = Object.fromEntries(hashes.map((hash) => [hash, this.terms.get(hash)!]));
    writeFileAtomic(join(this.folder, name), gzipSync(JSON.stringify(terms), { level: 6 }));
    return name;
  }

  private readTermSegment(name: string): void {
    let terms: unknown;
    try {
      terms = JSON.parse(gunzipSync(readFileSync(join(this.folder, name))).toString('utf8'));
    } catch (error) {
      throw new Error(`${name}: not a term segment (${error instanceof Error ? error.message : String(error)})`);
    }
    if (typeof terms !== 'object' || terms === null) throw new Error(`${name}: not a term segment`);
    for (const [hash, text] of Object.entries(terms as Record<string, unknown>)) {
      if (typeof text !== 'string') throw new Error(`${name}: the terms of ${hash} are not a string`);
      this.terms.set(hash, text);
    }
  }

  private writeSegment(name: string, vectors: ReadonlyMap<string, Int8Vector>): string {
    const dimension = this.identity.dimension;
    const record = HASH_BYTES + 4 + dimension;
    const buffer = Buffer.alloc(HEADER_BYTES + vectors.size * record);
    buffer.writeUInt32LE(SEGMENT_MAGIC, 0);
    buffer.writeUInt32LE(dimension, 4);
    buffer.writeUInt32LE(vectors.size, 8);
    let offset = HEADER_BYTES;
    for (const [hash, vector] of vectors) {
      buffer.write(hash, offset, HASH_BYTES, 'hex');
      buffer.writeFloatLE(vector.scale, offset + HASH_BYTES);
      buffer.set(new Uint8Array(vector.codes.buffer, vector.codes.byteOffset, dimension), offset + HASH_BYTES + 4);
      offset += record;
    }
    writeFileAtomic(join(this.folder, name), buffer);
    return name;
  }

  private readSegment(name: string): void {
    const buffer = readFileSync(join(this.folder, name));
    const dimension = this.identity.dimension;
    const record = HASH_BYTES + 4 + dimension;
    if (buffer.length < HEADER_BYTES || buffer.readUInt32LE(0) !== SEGMENT_MAGIC) throw new Error(`${name}: not a vector segment`);
    const count = buffer.readUInt32LE(8);
    if (buffer.readUInt32LE(4) !== dimension || buffer.length !== HEADER_BYTES + count * record) throw new Error(`${name}: ${buffer.length} bytes do not hold ${count} vectors of ${dimension}`);
    for (let i = 0, offset = HEADER_BYTES; i < count; i++, offset += record) {
      const hash = buffer.toString('hex', offset, offset + HASH_BYTES);
      const codes = new Int8Array(dimension);
      codes.set(new Int8Array(buffer.buffer, buffer.byteOffset + offset + HASH_BYTES + 4, dimension));
      this.vectors.set(hash, { codes, scale: buffer.readFloatLE(offset + HASH_BYTES) });
    }
  }

  private removeUnreferenced(keep: ReadonlySet<string>): void {
    for (const name of readdirSync(this.folder)) {
      // Only our own files: files-*.json, vectors-*.bin, terms-*.json.gz, and temporaries a crash left behind.
      if (keep.has(name) || !/^(files-\d+\.json|vectors-\d+\.bin|terms-\d+\.json\.gz|manifest\.json)(\.tmp-.*)?$/.test(name)) continue;
      rmSync(join(this.folder, name), { force: true });
    }
  }
}

function storedFile(file: IndexedFile): StoredFile {
  return { mtimeMs: file.mtimeMs, size: file.size, units: file.units.map(({ terms: _terms, ...unit }) => unit) };
}
