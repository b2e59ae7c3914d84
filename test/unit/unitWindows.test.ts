import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { unitTokenCounts } from '../../src/core/model/encoder';
import { defaultEncoderDir } from '../../src/core/model/modelsDir';
import { UnitEmbedder } from '../../src/core/model/unitEmbedder';
import { MAX_WINDOWS, mergeWindowVectors, unitWindows } from '../../src/core/model/unitWindows';
import { loadCodeTokenizer } from '../../src/core/tokenize/tokenizerFile';
import { join } from 'node:path';
import { treeSitter } from './helpers';

const CLS = 2, TAG = 9, SEP = 3;

describe('unitWindows', () => {
  it('keeps a unit that fits as it is', () => {
    assert.deepEqual(unitWindows([CLS, TAG, 40, 41, SEP], 8), [[CLS, TAG, 40, 41, SEP]]);
    assert.deepEqual(unitWindows([CLS, TAG, 40, 41, 42, 43, 44, SEP], 8), [[CLS, TAG, 40, 41, 42, 43, 44, SEP]]);
  });

  it('cuts a longer unit into windows that each open with [CLS] and the language tag and close with [SEP]', () => {
    const body = Array.from({ length: 12 }, (_, i) => 100 + i);
    const windows = unitWindows([CLS, TAG, ...body, SEP], 8);
    assert.deepEqual(windows, [
      [CLS, TAG, 100, 101, 102, 103, 104, SEP],
      [CLS, TAG, 105, 106, 107, 108, 109, SEP],
      [CLS, TAG, 110, 111, SEP],
    ]);
    assert.deepEqual(windows.flatMap((window) => window.slice(2, -1)), body, 'every token once, in order');
  });

  it('stops at MAX_WINDOWS windows', () => {
    const body = Array.from({ length: 5 * (MAX_WINDOWS + 3) }, (_, i) => 100 + i);
    const windows = unitWindows([CLS, TAG, ...body, SEP], 8);
    assert.equal(windows.length, MAX_WINDOWS);
    assert.equal(windows.at(-1)!.at(-2), 100 + 5 * MAX_WINDOWS - 1);
  });

  it('counts each token over all of its unit\'s windows', () => {
    assert.deepEqual(unitTokenCounts([[CLS, TAG, 40, 41, 40, SEP], [CLS, TAG, 40, 42, SEP]]), [[2, 2, 3, 1, 3, 2], [2, 2, 3, 1, 2]]);
    assert.deepEqual(unitTokenCounts([[CLS, 7, 7, SEP]]), [[1, 2, 2, 1]]);
  });

  it('averages window vectors by their tokens, to unit length', () => {
    const merged = mergeWindowVectors([Float32Array.of(1, 0), Float32Array.of(0, 1)], [[1, 2, 3, 4, 5, 6], [1, 2, 3]]);
    assert.ok(Math.abs(merged[0]! - 2 / Math.sqrt(5)) < 1e-6 && Math.abs(merged[1]! - 1 / Math.sqrt(5)) < 1e-6);
    const single = Float32Array.of(0.6, 0.8);
    assert.equal(mergeWindowVectors([single], [[1, 2]]), single);
  });
});

describe('UnitEmbedder on a unit longer than the model', () => {
  let embedder: UnitEmbedder;
  before(async () => {
    embedder = await UnitEmbedder.load(defaultEncoderDir(__dirname), await treeSitter(), { threads: 1 });
  });
  after(() => embedder.dispose());

  it('embeds the whole unit: its tail changes the vector, and the vector is the windows averaged, each pooled with the unit\'s token counts', async () => {
    const head = Array.from({ length: 60 }, (_, i) => `    total_${i} = read_value(source, ${i})`).join('\n');
    const long = `def summarize(source):\n${head}\n    return total_0\n`;
    const otherTail = `def summarize(source):\n${head}\n    send_email(report_for(total_0), recipients)\n    return total_0\n`;
    const [a, b] = await embedder.embedUnits([{ text: long, language: 'python' }, { text: otherTail, language: 'python' }]);
    const maxTokens = embedder.encoder.config.maxTokens;
    const tokenizer = await loadCodeTokenizer(join(defaultEncoderDir(__dirname), embedder.encoder.config.tokenizer), await treeSitter(), ['python']);
    try {
      const ids = Array.from(tokenizer.encodeUnit(long, 'python', maxTokens * MAX_WINDOWS).ids);
      assert.ok(ids.length > maxTokens + 50, `the unit is longer than one window (${ids.length} tokens)`);
      const windows = unitWindows(ids, maxTokens);
      assert.ok(windows.length >= 2);
      const expected = mergeWindowVectors(await embedder.encoder.embed(windows, { dimension: embedder.dimension, tokenCounts: unitTokenCounts(windows) }), windows);
      const dot = (x: Float32Array, y: Float32Array) => x.reduce((sum, value, d) => sum + value * y[d]!, 0);
      // Not bit for bit: int8 quantization scales its activations per batch, and embedUnits batched both units' windows.
      assert.ok(dot(a!, expected) > 0.9995, `the merged windows, as embedUnits returns them (cosine ${dot(a!, expected)})`);
      // The model weighs a token by its count in the unit: each window counted alone gives another vector.
      const windowsAlone = mergeWindowVectors(await embedder.encoder.embed(windows, { dimension: embedder.dimension }), windows);
      assert.ok(dot(a!, windowsAlone) < dot(a!, expected) - 1e-4, `counted per window, not per unit (cosine ${dot(a!, windowsAlone)})`);
      const cut = (await embedder.encoder.embed([Array.from(tokenizer.encodeUnit(long, 'python', maxTokens).ids)], { dimension: embedder.dimension }))[0]!;
      assert.ok(dot(a!, cut) < 0.995, `not the first window alone (cosine ${dot(a!, cut)})`);
      // Cut at one window, the two units are the same sequence; whole, their tails set them apart.
      const cutOther = (await embedder.encoder.embed([Array.from(tokenizer.encodeUnit(otherTail, 'python', maxTokens).ids)], { dimension: embedder.dimension }))[0]!;
      assert.ok(dot(cut, cutOther) > 0.99999);
      assert.ok(dot(a!, b!) < 0.9995, `a different tail past the first window gives a different vector (cosine ${dot(a!, b!)})`);
    } finally {
      tokenizer.dispose();
    }
  });
});
