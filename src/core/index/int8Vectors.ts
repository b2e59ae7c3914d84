/** A unit-length vector stored in int8 with one scale: 4x smaller than float32, cosine error ~1e-3. */
export interface Int8Vector {
  readonly codes: Int8Array;
  readonly scale: number;
}

export function quantizeVector(vector: ArrayLike<number>): Int8Vector {
  let max = 0;
  for (let i = 0; i < vector.length; i++) max = Math.max(max, Math.abs(vector[i]!));
  const scale = max > 0 ? max / 127 : 1;
  const codes = new Int8Array(vector.length);
  for (let i = 0; i < vector.length; i++) codes[i] = Math.round(vector[i]! / scale);
  return { codes, scale };
}
