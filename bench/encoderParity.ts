import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { Encoder } from '../src/core/model/encoder';
import { onnxRuntime } from '../src/core/model/onnxRuntime';
import { BenchRow } from './benchTable';

interface Reference {
  readonly input_ids: number[][];
  readonly attention_mask: number[][];
  /** Present for models that take token counts (each sequence its own unit). */
  readonly token_counts?: number[][];
  readonly embedding: number[][];
}

/**
 * The shipped int8 model against torch's outputs on real sequences (parity/reference.json, written at
 * export): cosine per sequence. Where the fp32 export is present too (not committed), its largest
 * absolute difference from torch.
 */
export async function benchEncoderParity(modelDir: string): Promise<BenchRow[]> {
  const referencePath = join(modelDir, 'parity', 'reference.json');
  if (!existsSync(referencePath)) return [];
  const reference = JSON.parse(readFileSync(referencePath, 'utf8')) as Reference;
  const sequences = reference.input_ids.map((ids, row) => ids.filter((_, i) => reference.attention_mask[row]![i] === 1));
  const torch = reference.embedding.map(normalized);
  const metrics: Record<string, number> = {};

  const encoder = await Encoder.load(modelDir, { threads: 2 });
  try {
    const int8 = await encoder.embed(sequences);
    const cosines = int8.map((vector, row) => dot(vector, torch[row]!));
    metrics['int8 vs torch, min cosine'] = Math.min(...cosines);
    metrics['int8 vs torch, mean cosine'] = cosines.reduce((a, b) => a + b, 0) / cosines.length;
  } finally {
    await encoder.release();
  }

  const fp32Path = join(modelDir, 'parity', 'model.fp32.onnx');
  let fp32Row: BenchRow | undefined;
  if (existsSync(fp32Path)) {
    const ort = onnxRuntime();
    const session = await ort.InferenceSession.create(fp32Path, { intraOpNumThreads: 2 });
    try {
      const batch = reference.input_ids.length;
      const length = reference.input_ids[0]!.length;
      const output = await session.run({
        input_ids: new ort.Tensor('int64', BigInt64Array.from(reference.input_ids.flat().map(BigInt)), [batch, length]),
        attention_mask: new ort.Tensor('int64', BigInt64Array.from(reference.attention_mask.flat().map(BigInt)), [batch, length]),
        ...(reference.token_counts ? { token_counts: new ort.Tensor('float32', Float32Array.from(reference.token_counts.flat()), [batch, length]) } : {}),
      }, ['embedding']);
      const data = output.embedding!.data as Float32Array;
      let max = 0;
      reference.embedding.forEach((row, r) => row.forEach((value, d) => { max = Math.max(max, Math.abs(value - data[r * row.length + d]!)); }));
      fp32Row = { bench: 'encoder parity', case: `fp32 ONNX vs torch, ${batch} real sequences`, metrics: { 'max abs diff': max }, bar: { metric: 'max abs diff', atMost: 1e-4 } };
    } finally {
      await session.release();
    }
  }
  return [
    ...(fp32Row ? [fp32Row] : []),
    { bench: 'encoder parity', case: `int8 ONNX vs torch, ${sequences.length} real sequences`, metrics, bar: { metric: 'int8 vs torch, min cosine', atLeast: 0.99 } },
  ];
}

function normalized(vector: readonly number[]): number[] {
  const norm = Math.sqrt(vector.reduce((sum, x) => sum + x * x, 0)) || 1;
  return vector.map((x) => x / norm);
}

function dot(a: ArrayLike<number>, b: ArrayLike<number>): number {
  let sum = 0;
  for (let i = 0; i < a.length; i++) sum += a[i]! * b[i]!;
  return sum;
}
