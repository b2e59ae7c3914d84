import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { averagePrecisionAtR, recallAt, reciprocalRank, topKByDotProduct } from '../../src/core/search/retrievalMetrics';

describe('retrieval metrics', () => {
  it('reciprocal rank and recall@k', () => {
    assert.equal(reciprocalRank([7, 3, 9], 7), 1);
    assert.equal(reciprocalRank([7, 3, 9], 9), 1 / 3);
    assert.equal(reciprocalRank([7, 3, 9], 4), 0);
    assert.equal(recallAt([7, 3, 9], 9, 2), 0);
    assert.equal(recallAt([7, 3, 9], 9, 3), 1);
  });

  it('MAP@R as CodeXGLUE computes it for POJ-104', () => {
    // R = 3 relevant: ids 1, 2, 3. Ranked: 1 (hit, P=1/1), 9 (miss), 2 (hit, P=2/3); 3 is past R.
    const relevant = new Set([1, 2, 3]);
    assert.equal(averagePrecisionAtR([1, 9, 2, 3, 8], (id) => relevant.has(id), 3), (1 + 2 / 3) / 3);
    assert.equal(averagePrecisionAtR([1, 2, 3], (id) => relevant.has(id), 3), 1);
    assert.equal(averagePrecisionAtR([7, 8, 9], (id) => relevant.has(id), 3), 0);
  });

  it('ranks rows by dot product, leaving the query itself out, ties by index', () => {
    const matrix = new Float32Array([1, 0, 0, 1, 0.6, 0.8, 1, 0]);
    assert.deepEqual(topKByDotProduct(new Float32Array([1, 0]), matrix, 2, 4), [0, 3, 2, 1]);
    assert.deepEqual(topKByDotProduct(new Float32Array([1, 0]), matrix, 2, 4, 0), [3, 2, 1]);
  });
});
