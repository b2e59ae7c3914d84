import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { before, describe, it } from 'node:test';
import { Encoder, unitTokenCounts } from '../../src/core/model/encoder';
import { EncoderLoadError } from '../../src/core/model/encoderErrors';
import { temporaryFolder } from './helpers';

const REPO = join(__dirname, '..', '..', '..');
// Debian's interpreter: it has torch (python3-torch); another python3 earlier on PATH may not.
const PYTHON = '/usr/bin/python3';

interface Reference {
  input_ids: number[][];
  attention_mask: number[][];
  embedding: number[][];
  hidden_states_probe: number[][][][];
}

function torchAvailable(): boolean {
  return spawnSync(PYTHON, ['-c', 'import torch, onnx'], { encoding: 'utf8' }).status === 0;
}

function normalized(vector: readonly number[]): number[] {
  const norm = Math.sqrt(vector.reduce((sum, x) => sum + x * x, 0));
  return vector.map((x) => x / norm);
}

function cosine(a: ArrayLike<number>, b: ArrayLike<number>): number {
  let dot = 0, na = 0, nb = 0;
  for (let i = 0; i < a.length; i++) { dot += a[i]! * b[i]!; na += a[i]! * a[i]!; nb += b[i]! * b[i]!; }
  return dot / Math.sqrt(na * nb);
}

function maxAbsDifference(a: ArrayLike<number>, b: ArrayLike<number>): number {
  let max = 0;
  for (let i = 0; i < a.length; i++) max = Math.max(max, Math.abs(a[i]! - b[i]!));
  return max;
}

// CI installs torch; a developer machine without it skips, saying why.
const skip = !torchAvailable() && !process.env.CI ? 'torch (Debian python3-torch, python3-onnx) is not installed for /usr/bin/python3' : false;

describe('encoder pipeline smoke test: train in torch, export to ONNX, run from Node', { skip }, () => {
  let out = '';
  let reference: Reference;
  let sequences: number[][];

  before(() => {
    out = temporaryFolder({ after: (fn) => process.on('exit', fn) }, 'astrolabe-smoke-');
    // A real tokenizer, trained on the chunking fixtures, so that `astrolabe embed` can run the smoke model.
    const units = spawnSync(process.execPath, [join(REPO, 'dist', 'cli.js'), 'units', join(REPO, 'test', 'unit', 'fixtures', 'languages'), '--jsonl'], { encoding: 'utf8' });
    assert.equal(units.status, 0, units.stderr);
    writeFileSync(join(out, 'units.jsonl'), units.stdout);
    const trained = spawnSync(process.execPath, [join(REPO, 'dist', 'tokenizer.js'), 'train', '--units', join(out, 'units.jsonl'), '--vocab-size', '800', '--out', join(out, 'tokenizer.json')], { encoding: 'utf8' });
    assert.equal(trained.status, 0, trained.stderr);
    const vocabSize = (JSON.parse(readFileSync(join(out, 'tokenizer.json'), 'utf8')) as { vocabSize: number }).vocabSize;
    const run = spawnSync(PYTHON, ['-W', 'ignore', join(REPO, 'training', 'smoke.py'), '--out', out, '--vocab-size', String(vocabSize)], { encoding: 'utf8' });
    assert.equal(run.status, 0, `training/smoke.py failed:\n${run.stderr}`);
    const summary = JSON.parse(run.stdout.trim().split('\n').pop()!) as { first_loss: number; last_loss: number };
    assert.ok(summary.last_loss < summary.first_loss, `masked-LM loss should fall: ${JSON.stringify(summary)}`);
    reference = JSON.parse(readFileSync(join(out, 'reference.json'), 'utf8')) as Reference;
    for (const variant of ['fp32', 'int8']) writeFileSync(join(out, variant, 'tokenizer.json'), readFileSync(join(out, 'tokenizer.json')));
    sequences = reference.input_ids.map((ids, row) => ids.filter((_, i) => reference.attention_mask[row]![i] === 1));
  });

  it('fp32 ONNX matches torch within 1e-4: embeddings and every layer', async () => {
    const encoder = await Encoder.load(join(out, 'fp32'), { threads: 1 });
    try {
      const embeddings = await encoder.embed(sequences);
      embeddings.forEach((embedding, row) => assert.ok(maxAbsDifference(embedding, normalized(reference.embedding[row]!)) < 1e-4, `row ${row}`));
      for (let layer = 0; layer <= encoder.config.layers; layer++) {
        for (let row = 0; row < sequences.length; row++) {
          const states = await encoder.hiddenStates(sequences[row]!, layer);
          const [first, last] = reference.hidden_states_probe[layer]![row]!;
          assert.ok(maxAbsDifference(states[0]!, first!) < 1e-4, `layer ${layer} row ${row} first token`);
          assert.ok(maxAbsDifference(states[states.length - 1]!, last!) < 1e-4, `layer ${layer} row ${row} last token`);
        }
      }
    } finally {
      await encoder.release();
    }
  });

  it('int8 stays within cosine 0.99 of fp32, and batching or order changes nothing', async () => {
    const fp32 = await Encoder.load(join(out, 'fp32'), { threads: 1 });
    const int8 = await Encoder.load(join(out, 'int8'), { threads: 1 });
    try {
      const exact = await fp32.embed(sequences);
      const quantized = await int8.embed(sequences);
      quantized.forEach((vector, row) => assert.ok(cosine(vector, exact[row]!) >= 0.99, `row ${row}: cosine ${cosine(vector, exact[row]!)}`));
      const oneByOne = await fp32.embed(sequences, { batchSize: 1 });
      oneByOne.forEach((vector, row) => assert.ok(maxAbsDifference(vector, exact[row]!) < 1e-5, 'padding must not change an embedding'));
    } finally {
      await fp32.release();
      await int8.release();
    }
  });

  it('pools with the token counts it is given (a window of a longer unit), else with the sequence\'s own', async () => {
    const encoder = await Encoder.load(join(out, 'fp32'), { threads: 1 });
    try {
      const sequence = sequences[0]!;
      assert.ok(new Set(sequence).size < sequence.length, 'a sequence with a repeated token');
      const [own] = await encoder.embed([sequence]);
      const [counted] = await encoder.embed([sequence], { tokenCounts: unitTokenCounts([sequence]) });
      assert.ok(maxAbsDifference(own!, counted!) < 1e-6);
      // Every token counted 4 times in its unit: equal weights, no longer the sequence's own.
      const [inUnit] = await encoder.embed([sequence], { tokenCounts: [sequence.map(() => 4)] });
      assert.ok(maxAbsDifference(own!, inUnit!) > 1e-3, 'other counts, another vector');
      await assert.rejects(encoder.embed([sequence], { tokenCounts: [[1, 2]] }), new RegExp(`token counts for 2 tokens, but the sequence has ${sequence.length}`));
    } finally {
      await encoder.release();
    }
  });

  it('returns unit-length Matryoshka prefixes of the chosen dimension', async () => {
    const encoder = await Encoder.load(join(out, 'fp32'), { threads: 1 });
    try {
      const [full] = await encoder.embed([sequences[0]!]);
      const [short] = await encoder.embed([sequences[0]!], { dimension: 16 });
      assert.equal(short!.length, 16);
      assert.ok(Math.abs(Math.hypot(...short!) - 1) < 1e-5);
      assert.ok(cosine(short!, full!.subarray(0, 16)) > 0.99999, 'the prefix of the same vector');
      await assert.rejects(encoder.embed([sequences[0]!], { dimension: 20 }), /dimension 20 is not one of the model's 16, 32/);
    } finally {
      await encoder.release();
    }
  });

  it('stops between batches when cancelled', async () => {
    const encoder = await Encoder.load(join(out, 'fp32'), { threads: 1 });
    try {
      const abort = new AbortController();
      abort.abort(new Error('cancelled by test'));
      await assert.rejects(encoder.embed(sequences, { signal: abort.signal }), /cancelled by test/);
    } finally {
      await encoder.release();
    }
  });

  it('astrolabe embed writes one unit-length vector per code unit, atomically', (t) => {
    const folder = temporaryFolder(t);
    writeFileSync(join(folder, 'a.py'), 'def one():\n    return 1\n\nclass Two:\n    def three(self):\n        return 3\n');
    const target = join(folder, 'vectors.jsonl');
    const run = spawnSync(process.execPath, [join(REPO, 'dist', 'cli.js'), 'embed', folder, '--model', join(out, 'int8'), '--out', target, '--dimension', '16'], { encoding: 'utf8' });
    assert.equal(run.status, 0, run.stderr);
    const lines = readFileSync(target, 'utf8').trim().split('\n').map((line) => JSON.parse(line) as { name: string; vector: number[] });
    assert.deepEqual(lines.map((line) => line.name), ['one', 'Two', 'Two.three']);
    for (const line of lines) {
      assert.equal(line.vector.length, 16);
      assert.ok(Math.abs(Math.hypot(...line.vector) - 1) < 1e-4);
    }
    assert.match(run.stderr, /embedded 3 units/);
    const missing = spawnSync(process.execPath, [join(REPO, 'dist', 'cli.js'), 'embed', folder, '--model', join(folder, 'nowhere'), '--out', join(folder, 'x.jsonl')], { encoding: 'utf8' });
    assert.equal(missing.status, 1);
    assert.match(missing.stderr, /encoder file .*nowhere\/config\.json: missing/);
  });

  it('names the file and the cause for a missing, corrupt or mismatched model', async (t) => {
    const empty = temporaryFolder(t);
    await assert.rejects(Encoder.load(empty), (error: unknown) => error instanceof EncoderLoadError && error.file === join(empty, 'config.json') && /missing/.test(error.message));

    const corrupt = temporaryFolder(t);
    writeFileSync(join(corrupt, 'config.json'), readFileSync(join(out, 'fp32', 'config.json')));
    writeFileSync(join(corrupt, 'model.onnx'), Buffer.from('this is not a protobuf'));
    await assert.rejects(Encoder.load(corrupt), (error: unknown) => error instanceof EncoderLoadError && error.file === join(corrupt, 'model.onnx') && /not a loadable ONNX model/.test(error.message));

    await assert.rejects(Encoder.load(join(out, 'mismatched')), (error: unknown) =>
      error instanceof EncoderLoadError && /missing input input_ids, input attention_mask, output embedding, output hidden_states/.test(error.message));

    const badConfig = temporaryFolder(t);
    writeFileSync(join(badConfig, 'config.json'), JSON.stringify({ format: 'astrolabe-encoder', formatVersion: 2 }));
    await assert.rejects(Encoder.load(badConfig), /unsupported "formatVersion" 2/);
  });
});
