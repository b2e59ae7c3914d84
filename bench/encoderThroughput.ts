import { statSync } from 'node:fs';
import { join } from 'node:path';
import type { Tensor } from 'onnxruntime-node';
import { Encoder, unitTokenCounts } from '../src/core/model/encoder';
import { onnxRuntime } from '../src/core/model/onnxRuntime';
import { CodeUnit } from '../src/core/parse/codeUnit';
import { findGrammarsDir } from '../src/core/parse/grammarsDir';
import { TreeSitterRuntime } from '../src/core/parse/treeSitterRuntime';
import { DEFAULT_SCAN_OPTIONS, scanFolder } from '../src/core/scan/workspaceScanner';
import { loadCodeTokenizer } from '../src/core/tokenize/tokenizerFile';
import { BenchRow, median } from './benchTable';

const BATCH = 8;
const THREADS = 2;

/**
 * The whole TypeScript embedding path (tokenize, sort and batch, run, pool, normalize) against bare
 * `session.run` on the same batches, already built, in the same run: medians of alternating rounds.
 */
export async function benchEncoderThroughput(repoRoot: string, modelDir: string, unitCount = 1500, repeats = 3): Promise<BenchRow[]> {
  const runtime = await TreeSitterRuntime.create(findGrammarsDir(join(repoRoot, 'dist')));
  const units = await realUnits(runtime, join(repoRoot, 'node_modules', 'typescript', 'lib'), unitCount);
  const encoder = await Encoder.load(modelDir, { threads: THREADS });
  const tokenizer = await loadCodeTokenizer(join(modelDir, encoder.config.tokenizer), runtime, ['javascript']);
  const ort = onnxRuntime();
  const bare = await ort.InferenceSession.create(join(modelDir, encoder.config.onnx), {
    intraOpNumThreads: THREADS, interOpNumThreads: 1, executionMode: 'sequential', graphOptimizationLevel: 'all',
    extra: { session: { intra_op: { allow_spinning: '0' } } },
  });
  const maxTokens = encoder.config.maxTokens;
  try {
    // The bare side gets exactly the batches the encoder builds: same order, same padding.
    const sequences = units.map((unit) => Array.from(tokenizer.encodeUnit(unit.text, 'javascript', maxTokens).ids));
    const order = sequences.map((_, index) => index).sort((a, b) => sequences[b]!.length - sequences[a]!.length);
    const feeds = [];
    for (let start = 0; start < order.length; start += BATCH) {
      const batch = order.slice(start, start + BATCH).map((index) => sequences[index]!);
      const length = Math.max(...batch.map((sequence) => sequence.length));
      const ids = new BigInt64Array(batch.length * length);
      const mask = new BigInt64Array(batch.length * length);
      batch.forEach((sequence, row) => sequence.forEach((id, i) => { ids[row * length + i] = BigInt(id); mask[row * length + i] = 1n; }));
      const feed: Record<string, Tensor> = { input_ids: new ort.Tensor('int64', ids, [batch.length, length]), attention_mask: new ort.Tensor('int64', mask, [batch.length, length]) };
      if (bare.inputNames.includes('token_counts')) {
        const counts = new Float32Array(batch.length * length);
        batch.forEach((sequence, row) => counts.set(unitTokenCounts([sequence])[0]!, row * length));
        feed.token_counts = new ort.Tensor('float32', counts, [batch.length, length]);
      }
      feeds.push(feed);
    }
    const tokens = sequences.reduce((sum, sequence) => sum + sequence.length, 0);

    const pathTimes: number[] = [];
    const bareTimes: number[] = [];
    for (let round = 0; round < repeats; round++) {
      let started = performance.now();
      for (const feed of feeds) await bare.run(feed, ['embedding']);
      bareTimes.push(performance.now() - started);
      started = performance.now();
      const ids = units.map((unit) => Array.from(tokenizer.encodeUnit(unit.text, 'javascript', maxTokens).ids));
      await encoder.embed(ids, { batchSize: BATCH });
      pathTimes.push(performance.now() - started);
    }
    const path = median(pathTimes) / 1000;
    const bareSeconds = median(bareTimes) / 1000;
    return [{
      bench: 'encoder throughput',
      case: `${units.length} units of the typescript package (${tokens} tokens, at most ${maxTokens} each), batch ${BATCH}, ${THREADS} threads, no spinning`,
      metrics: {
        'path tokens/s': tokens / path,
        'path units/s': units.length / path,
        'bare session.run tokens/s': tokens / bareSeconds,
        'path/bare ratio': bareSeconds / path,
        'model file MB': statSync(join(modelDir, encoder.config.onnx)).size / 1e6,
        'peak RSS MB': process.resourceUsage().maxRSS / 1024,
      },
      bar: { metric: 'path/bare ratio', atLeast: 0.85 },
    }];
  } finally {
    tokenizer.dispose();
    await encoder.release();
    await bare.release();
  }
}

async function realUnits(runtime: TreeSitterRuntime, folder: string, count: number): Promise<CodeUnit[]> {
  const units: CodeUnit[] = [];
  for await (const file of scanFolder(folder, runtime, { ...DEFAULT_SCAN_OPTIONS, exclude: [], maxFileSizeBytes: 64 * 1024 * 1024 })) {
    if (file.type !== 'parsed') continue;
    for (const unit of file.units) if (unit.kind === 'function' || unit.kind === 'method') units.push(unit);
    if (units.length >= count) break;
  }
  return units.slice(0, count);
}
