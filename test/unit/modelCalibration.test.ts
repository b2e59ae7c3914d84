import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { cloneSettings, DEFAULT_TYPE4_SIMILARITY } from '../../src/core/clones/cloneSettings';
import { centredRows, type4Threshold } from '../../src/core/clones/embeddingMatcher';
import { validateEncoderConfig } from '../../src/core/model/encoderConfig';

const CONFIG = { format: 'astrolabe-encoder', formatVersion: 1, modelId: 'm', onnx: 'model.onnx', tokenizer: 'tokenizer.json', hiddenSize: 4, layers: 1, maxTokens: 16, dimensions: [2, 4] };

describe("the model's mean embedding", () => {
  it('is optional in config.json, and checked when present', () => {
    assert.equal(validateEncoderConfig(CONFIG, 'config.json').meanEmbeddings, undefined);
    const withMeans = { ...CONFIG, meanEmbeddings: { 2: [0.5, 0.1], 4: [0.4, 0.1, 0, 0.2] } };
    assert.deepEqual(validateEncoderConfig(withMeans, 'config.json').meanEmbeddings?.['4'], [0.4, 0.1, 0, 0.2]);
    assert.throws(() => validateEncoderConfig({ ...CONFIG, meanEmbeddings: { 4: [0.4, 0.1] } }, '/m/config.json'), /encoder file \/m\/config\.json: "meanEmbeddings"\."4" must be 4 numbers/);
    assert.throws(() => validateEncoderConfig({ ...CONFIG, meanEmbeddings: { 2: [0.4, 'x'] } }, 'config.json'), /must be 2 numbers/);
  });

  it('centres a small workspace mostly on the model mean, a large one on its own', () => {
    const model = [1, 0];
    const centre = (rows: number[][]): number[] => Array.from(centredRows(rows, 2, model).slice(0, 2));
    // Two units: the blended mean is (2·(0,1) + 200·(1,0)) / 202, close to the model's.
    const small = centre([[0, 1], [0, 1]]);
    const expected = [0 - 200 / 202, 1 - 2 / 202];
    const norm = Math.hypot(expected[0]!, expected[1]!);
    assert.ok(Math.abs(small[0]! - expected[0]! / norm) < 1e-6 && Math.abs(small[1]! - expected[1]! / norm) < 1e-6, JSON.stringify(small));
    // Ten thousand units around (0, 1): their own mean dominates, as without a model mean.
    const rows = Array.from({ length: 10_000 }, (_, i) => [i % 2 === 0 ? 0.1 : -0.1, 1]);
    const blended = centredRows(rows, 2, model);
    const own = centredRows(rows, 2);
    assert.ok(Math.abs(blended[0]! - own[0]!) < 0.05, `${blended[0]} vs ${own[0]}`);
  });
});

describe("the model's Type-4 threshold", () => {
  it('is optional in config.json, and checked when present', () => {
    assert.equal(validateEncoderConfig(CONFIG, 'config.json').type4Similarity, undefined);
    assert.equal(validateEncoderConfig({ ...CONFIG, type4Similarity: 0.55 }, 'config.json').type4Similarity, 0.55);
    for (const bad of [0, 1.5, '0.5', null]) {
      assert.throws(() => validateEncoderConfig({ ...CONFIG, type4Similarity: bad }, '/m/config.json'), /encoder file \/m\/config\.json: "type4Similarity" must be a number in \(0, 1\]/);
    }
  });

  it("applies unless the user set one; a model without one gets the default", () => {
    assert.equal(type4Threshold(cloneSettings(), { type4Similarity: 0.55 }), 0.55);
    assert.equal(type4Threshold(cloneSettings({ type4Similarity: 0.9 }), { type4Similarity: 0.55 }), 0.9);
    assert.equal(type4Threshold(cloneSettings(), {}), DEFAULT_TYPE4_SIMILARITY);
    assert.equal(type4Threshold(cloneSettings()), DEFAULT_TYPE4_SIMILARITY);
    assert.throws(() => cloneSettings({ type4Similarity: 0 }), /type4Similarity must be in \(0, 1\]/);
  });
});
