import assert from 'node:assert/strict';
import { test } from 'node:test';
import { lowerBound, lowerBoundBy } from '../../src/core/lowerBound';

/** The answer by a linear scan, which the binary searches must match. */
function firstAtLeast(values: ArrayLike<number>, value: number, from: number, to: number): number {
  for (let index = from; index < to; index++) if (values[index]! >= value) return index;
  return to;
}

function ascending(length: number, random: () => number): number[] {
  const values: number[] = [];
  let value = 0;
  for (let index = 0; index < length; index++) values.push((value += Math.floor(random() * 3)));
  return values;
}

function seeded(seed: number): () => number {
  return () => ((seed = (seed * 1103515245 + 12345) % 2147483648) / 2147483648);
}

test('lowerBound agrees with a linear scan on plain and typed arrays, repeated values and sub-ranges included', () => {
  const random = seeded(7);
  for (let trial = 0; trial < 300; trial++) {
    const plain = ascending(Math.floor(random() * 40), random);
    const typed = Int32Array.from(plain);
    const from = Math.floor(random() * (plain.length + 1));
    const to = from + Math.floor(random() * (plain.length - from + 1));
    for (let value = -1; value <= (plain.at(-1) ?? 0) + 1; value++) {
      assert.equal(lowerBound(plain, value), firstAtLeast(plain, value, 0, plain.length));
      assert.equal(lowerBound(typed, value, from, to), firstAtLeast(plain, value, from, to));
    }
  }
});

test('lowerBoundBy searches items by a numeric key', () => {
  const files = [{ start: 0 }, { start: 10 }, { start: 10 }, { start: 25 }];
  const start = (file: { start: number }) => file.start;
  assert.equal(lowerBoundBy(files, start, -5), 0);
  assert.equal(lowerBoundBy(files, start, 10), 1);
  assert.equal(lowerBoundBy(files, start, 11), 3);
  assert.equal(lowerBoundBy(files, start, 26), 4);
  assert.equal(lowerBoundBy([], start, 3), 0);
});
