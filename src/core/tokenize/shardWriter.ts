import { closeSync, openSync, writeFileSync, writeSync } from 'node:fs';

/**
 * One record of `<name>.idx`, little-endian, 24 bytes, no header (README.md gives the numpy dtype):
 * offset uint64 (in tokens, into `<name>.bin`), length uint32 (tokens), unit uint32 (the unit's line in
 * its JSONL input, counting from 0 across the inputs in order), package uint32, language uint16 and
 * kind uint16 (indexes into the lists in `<name>.json`).
 */
export const RECORD_BYTES = 24;
export const RECORD_FIELDS = [
  { name: 'offset', dtype: '<u8' },
  { name: 'length', dtype: '<u4' },
  { name: 'unit', dtype: '<u4' },
  { name: 'package', dtype: '<u4' },
  { name: 'language', dtype: '<u2' },
  { name: 'kind', dtype: '<u2' },
] as const;

export interface SequenceInfo {
  readonly unit: number;
  readonly package: number;
  readonly language: number;
  readonly kind: number;
}

/** Names (packages, kinds) numbered in order of first use: records hold the number, `<name>.json` the list. */
export class NameTable {
  readonly names: string[];
  private readonly ids = new Map<string, number>();

  constructor(initial: readonly string[] = []) {
    this.names = [];
    for (const name of initial) this.id(name);
  }

  id(name: string): number {
    let id = this.ids.get(name);
    if (id === undefined) {
      this.ids.set(name, (id = this.names.length));
      this.names.push(name);
    }
    return id;
  }
}

const TOKENS_PER_FLUSH = 1 << 20;
const RECORDS_PER_FLUSH = 1 << 14;

/**
 * Writes token sequences as a shard: `<prefix>.bin` (uint16 little-endian ids, all sequences one after
 * another), `<prefix>.idx` (one record per sequence) and, on `close`, `<prefix>.json` (counts and the
 * caller's metadata). Buffered; the files are complete only after `close`.
 */
export class ShardWriter {
  private readonly tokenFile: number;
  private readonly indexFile: number;
  private readonly tokens = new Uint16Array(TOKENS_PER_FLUSH);
  private tokenCount = 0;
  private readonly records = new DataView(new ArrayBuffer(RECORD_BYTES * RECORDS_PER_FLUSH));
  private recordCount = 0;
  /** Totals written so far. */
  sequences = 0;
  totalTokens = 0;

  constructor(readonly prefix: string) {
    this.tokenFile = openSync(`${prefix}.bin`, 'w');
    try {
      this.indexFile = openSync(`${prefix}.idx`, 'w');
    } catch (error) {
      closeSync(this.tokenFile);
      throw error;
    }
  }

  add(ids: ArrayLike<number>, info: SequenceInfo): void {
    const record = this.recordCount * RECORD_BYTES;
    const view = this.records;
    view.setBigUint64(record, BigInt(this.totalTokens), true);
    view.setUint32(record + 8, ids.length, true);
    view.setUint32(record + 12, info.unit, true);
    view.setUint32(record + 16, info.package, true);
    view.setUint16(record + 20, info.language, true);
    view.setUint16(record + 22, info.kind, true);
    if (++this.recordCount === RECORDS_PER_FLUSH) this.flushRecords();
    for (let i = 0; i < ids.length; i++) {
      const id = ids[i];
      if (id < 0 || id > 0xffff) throw new RangeError(`token id ${id} does not fit uint16`);
      this.tokens[this.tokenCount++] = id;
      if (this.tokenCount === TOKENS_PER_FLUSH) this.flushTokens();
    }
    this.sequences++;
    this.totalTokens += ids.length;
  }

  /** Flushes and closes the binary files, then writes `<prefix>.json` with the counts and `metadata`. */
  close(metadata: Record<string, unknown>): void {
    try {
      this.flushTokens();
      this.flushRecords();
    } finally {
      closeSync(this.tokenFile);
      closeSync(this.indexFile);
    }
    const description = {
      format: 'astrolabe-shard',
      version: 1,
      sequences: this.sequences,
      tokens: this.totalTokens,
      tokenDtype: '<u2',
      recordBytes: RECORD_BYTES,
      recordFields: RECORD_FIELDS,
      ...metadata,
    };
    writeFileSync(`${this.prefix}.json`, `${JSON.stringify(description, null, 1)}\n`);
  }

  private flushTokens(): void {
    // Uint16Array is host-endian; every platform Node runs on here is little-endian, checked once below.
    writeAll(this.tokenFile, new Uint8Array(this.tokens.buffer, 0, this.tokenCount * 2));
    this.tokenCount = 0;
  }

  private flushRecords(): void {
    writeAll(this.indexFile, new Uint8Array(this.records.buffer, 0, this.recordCount * RECORD_BYTES));
    this.recordCount = 0;
  }
}

function writeAll(file: number, bytes: Uint8Array): void {
  for (let done = 0; done < bytes.length;) done += writeSync(file, bytes, done, bytes.length - done);
}

if (new Uint8Array(new Uint16Array([1]).buffer)[0] !== 1) throw new Error('ShardWriter assumes a little-endian host');
