import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { existsSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { languageForPath } from '../../src/core/parse/languages';
import { RECORD_BYTES, ShardWriter } from '../../src/core/tokenize/shardWriter';
import { sampleIndexes } from '../../src/core/tokenize/unitLines';
import { FIXTURES, temporaryFolder } from './helpers';

const PYTHON = '/usr/bin/python3';
const TOKENIZER_CLI = join(__dirname, '..', '..', '..', 'dist', 'tokenizer.js');

/** Reads a shard exactly as README.md in src/core/tokenize tells Python to, and prints it as JSON. */
const NUMPY_READER = `
import json, sys
import numpy as np
prefix = sys.argv[1]
meta = json.load(open(prefix + ".json"))
record = np.dtype([(f["name"], f["dtype"]) for f in meta["recordFields"]])
assert record.itemsize == meta["recordBytes"] == 24
index = np.memmap(prefix + ".idx", dtype=record, mode="r")
tokens = np.memmap(prefix + ".bin", dtype="<u2", mode="r")
assert len(index) == meta["sequences"] and len(tokens) == meta["tokens"]
out = []
for r in index:
    start, length = int(r["offset"]), int(r["length"])
    out.append({"ids": tokens[start:start + length].tolist(), "unit": int(r["unit"]), "package": int(r["package"]),
                "language": meta["languages"][int(r["language"])], "kind": meta["kinds"][int(r["kind"])]})
print(json.dumps(out))
`;

function hasNumpy(): boolean {
  return existsSync(PYTHON) && spawnSync(PYTHON, ['-c', 'import numpy'], { encoding: 'utf8' }).status === 0;
}

function readWithNumpy(prefix: string): unknown[] {
  const result = spawnSync(PYTHON, ['-c', NUMPY_READER, prefix], { encoding: 'utf8', maxBuffer: 64 << 20 });
  assert.equal(result.status, 0, result.stderr);
  return JSON.parse(result.stdout) as unknown[];
}

const SEQUENCES = [
  { ids: [2, 9, 600, 601, 3], unit: 0, package: 0, language: 0, kind: 0 },
  { ids: [2, 10, 65535, 3], unit: 2, package: 1, language: 1, kind: 8 },
  { ids: [2, 3], unit: 7, package: 0, language: 8, kind: 1 },
];

describe('ShardWriter', () => {
  it('writes uint16 ids back to back and 24-byte little-endian records', (t) => {
    const prefix = join(temporaryFolder(t), 'shard');
    const writer = new ShardWriter(prefix);
    for (const { ids, ...info } of SEQUENCES) writer.add(ids, info);
    writer.close({ languages: ['python', 'javascript'], kinds: ['function'] });

    const bin = readFileSync(`${prefix}.bin`);
    const allIds = SEQUENCES.flatMap((sequence) => sequence.ids);
    assert.equal(bin.length, allIds.length * 2);
    assert.deepEqual(Array.from({ length: allIds.length }, (_, i) => bin.readUInt16LE(i * 2)), allIds);

    const idx = readFileSync(`${prefix}.idx`);
    assert.equal(idx.length, SEQUENCES.length * RECORD_BYTES);
    let offset = 0;
    SEQUENCES.forEach((sequence, i) => {
      const at = i * RECORD_BYTES;
      assert.deepEqual(
        [Number(idx.readBigUInt64LE(at)), idx.readUInt32LE(at + 8), idx.readUInt32LE(at + 12), idx.readUInt32LE(at + 16), idx.readUInt16LE(at + 20), idx.readUInt16LE(at + 22)],
        [offset, sequence.ids.length, sequence.unit, sequence.package, sequence.language, sequence.kind]);
      offset += sequence.ids.length;
    });

    const meta = JSON.parse(readFileSync(`${prefix}.json`, 'utf8')) as Record<string, unknown>;
    assert.equal(meta.sequences, 3);
    assert.equal(meta.tokens, allIds.length);
    assert.deepEqual(meta.languages, ['python', 'javascript']);
  });

  it('is read the same by numpy, following the README layout', (t) => {
    if (!hasNumpy()) return t.skip('no /usr/bin/python3 with numpy');
    const prefix = join(temporaryFolder(t), 'shard');
    const writer = new ShardWriter(prefix);
    for (const { ids, ...info } of SEQUENCES) writer.add(ids, info);
    const languages = ['python', 'javascript', 'typescript', 'tsx', 'java', 'go', 'rust', 'c', 'cpp'];
    const kinds = ['function', 'method', 'class', 'interface', 'enum', 'struct', 'trait', 'impl', 'toplevel'];
    writer.close({ languages, kinds });
    assert.deepEqual(readWithNumpy(prefix), SEQUENCES.map((sequence) => ({
      ids: sequence.ids, unit: sequence.unit, package: sequence.package, language: languages[sequence.language], kind: kinds[sequence.kind],
    })));
  });

  it('rejects ids that do not fit uint16', (t) => {
    const writer = new ShardWriter(join(temporaryFolder(t), 'bad'));
    assert.throws(() => writer.add([70000], { unit: 0, package: 0, language: 0, kind: 0 }), RangeError);
    writer.close({});
  });
});

describe('sampleIndexes', () => {
  it('draws the same distinct indexes for the same seed', () => {
    const sample = sampleIndexes(1000, 50, 7);
    assert.equal(sample.size, 50);
    assert.ok([...sample].every((index) => index >= 0 && index < 1000));
    assert.deepEqual([...sampleIndexes(1000, 50, 7)], [...sample]);
    assert.notDeepEqual([...sampleIndexes(1000, 50, 8)].sort(), [...sample].sort());
    assert.equal(sampleIndexes(10, 50).size, 10);
  });
});

describe('astrolabe-tokenizer train and shards', () => {
  it('trains on units JSONL, writes a shard that numpy reads back, and decodes it', (t) => {
    if (!existsSync(TOKENIZER_CLI)) return t.skip('dist/tokenizer.js is not built (npm run build)');
    const folder = temporaryFolder(t);
    const units = join(folder, 'units.jsonl');
    const fixtures = join(FIXTURES, 'languages');
    const lines = readdirSync(fixtures).sort().map((file, i) => JSON.stringify({
      package: i % 2 === 0 ? 'even' : 'odd', language: languageForPath(file)?.id ?? 'unknown', kind: 'toplevel', name: file, file,
      text: readFileSync(join(fixtures, file), 'utf8'),
    }));
    writeFileSync(units, [...lines, 'not json', JSON.stringify({ language: 'cobol', text: 'x' })].join('\n') + '\n');
    const cli = (...args: string[]) => spawnSync(process.execPath, [TOKENIZER_CLI, ...args], { encoding: 'utf8' });

    const tokenizerFile = join(folder, 'tokenizer.json');
    const trained = cli('train', '--units', units, '--vocab-size', '900', '--out', tokenizerFile);
    assert.equal(trained.status, 0, trained.stderr);
    const vocab = (JSON.parse(readFileSync(tokenizerFile, 'utf8')) as { vocab: string[] }).vocab;
    assert.equal(vocab.length, 900);

    const prefix = join(folder, 'shards', 'train-000');
    const sharded = cli('shards', '--units', units, '--tokenizer', tokenizerFile, '--max-tokens', '64', '--out', prefix);
    assert.equal(sharded.status, 0, sharded.stderr);
    assert.match(sharded.stderr, /skipped 1 malformed lines, 1 in unknown languages/);
    const meta = JSON.parse(readFileSync(`${prefix}.json`, 'utf8')) as { sequences: number; packages: string[]; maxTokens: number };
    assert.equal(meta.sequences, lines.length);
    assert.deepEqual(meta.packages, ['even', 'odd']);
    if (!hasNumpy()) return;
    const read = readWithNumpy(prefix) as { ids: number[]; unit: number; package: number; language: string }[];
    read.forEach((sequence, i) => {
      assert.equal(sequence.unit, i);
      assert.equal(sequence.package, i % 2);
      assert.equal(sequence.ids.length, 64, 'every fixture is longer than 64 tokens');
      assert.equal(vocab[sequence.ids[0]], '[CLS]');
      assert.equal(vocab[sequence.ids[1]], `<${sequence.language}>`);
      assert.equal(vocab[sequence.ids[63]], '[SEP]');
    });

    // Pairs record their unit's package too: training draws hard negatives from one package.
    const chunked = spawnSync(process.execPath, [join(TOKENIZER_CLI, '..', 'cli.js'), 'units', fixtures, '--jsonl'], { encoding: 'utf8' });
    assert.equal(chunked.status, 0, chunked.stderr);
    const functionUnits = join(folder, 'functions.jsonl');
    writeFileSync(functionUnits, chunked.stdout.trim().split('\n').map((line, i) => JSON.stringify({ ...JSON.parse(line), package: i % 2 === 0 ? 'even' : 'odd' })).join('\n') + '\n');
    const pairs = join(folder, 'pairs', 'train');
    const mined = cli('pairs', '--units', functionUnits, '--tokenizer', tokenizerFile, '--rewrite-share', '1', '--out', pairs);
    assert.equal(mined.status, 0, mined.stderr);
    assert.deepEqual((JSON.parse(readFileSync(`${pairs}.code.json`, 'utf8')) as { packages: string[] }).packages, ['even', 'odd']);
    const queries = readWithNumpy(`${pairs}.query`) as { unit: number; package: number; kind: string }[];
    const codes = readWithNumpy(`${pairs}.code`) as { unit: number; package: number }[];
    assert.ok(new Set(queries.map((pair) => pair.package)).size === 2, 'pairs from both packages');
    queries.forEach((pair, i) => {
      assert.equal(pair.package, pair.unit % 2, `pair ${i}`);
      assert.deepEqual([codes[i]!.unit, codes[i]!.package], [pair.unit, pair.package]);
    });

    // Ready-made pairs from documentation pages come after the mined ones, kind "example", each question also in search style.
    const examples = join(folder, 'examples.jsonl');
    writeFileSync(examples, [
      JSON.stringify({ package: 'python3.11-doc', language: 'python', query: 'Return True if path refers to an existing path.', code: 'os.path.exists(path)' }),
      JSON.stringify({ package: 'python3.11-doc', language: 'python', code: 'print(1)' }),
    ].join('\n') + '\n');
    const withExamples = join(folder, 'pairs', 'examples');
    const joined = cli('pairs', '--units', functionUnits, '--example-pairs', examples, '--tokenizer', tokenizerFile, '--rewrite-share', '1', '--out', withExamples);
    assert.equal(joined.status, 0, joined.stderr);
    assert.match(joined.stderr, /2 example pairs added/);
    assert.match(joined.stderr, /skipped 1 malformed lines/);
    const exampleQueries = readWithNumpy(`${withExamples}.query`) as { ids: number[]; package: number; kind: string }[];
    const exampleCodes = readWithNumpy(`${withExamples}.code`) as { ids: number[]; package: number; kind: string }[];
    assert.equal(exampleQueries.length, queries.length + 2);
    assert.deepEqual(exampleQueries.slice(0, -2).map((pair) => pair.kind), queries.map((pair) => pair.kind));
    const added = exampleQueries.slice(-2);
    assert.deepEqual(added.map((pair) => pair.kind), ['example', 'example']);
    assert.deepEqual((JSON.parse(readFileSync(`${withExamples}.query.json`, 'utf8')) as { packages: string[] }).packages, ['even', 'odd', 'python3.11-doc']);
    assert.ok(added.every((pair) => pair.package === 2));
    const words = (ids: number[]) => ids.map((id) => vocab[id]).join(' ').replace(/ ##/g, '');
    assert.notEqual(words(added[0]!.ids), words(added[1]!.ids), 'the summary and its search-style variant');
    assert.equal(words(added[1]!.ids), '[CLS] <text> python true if path refers to an existing path [SEP]');
    assert.deepEqual(exampleCodes.slice(-2).map((pair) => pair.ids), [exampleCodes.at(-1)!.ids, exampleCodes.at(-1)!.ids], 'both questions pair with the same code');
  });
});
