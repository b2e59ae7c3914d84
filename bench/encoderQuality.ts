import { join } from 'node:path';
import { Encoder } from '../src/core/model/encoder';
import { embedInWindows, MAX_WINDOWS } from '../src/core/model/unitWindows';
import { findGrammarsDir } from '../src/core/parse/grammarsDir';
import { LanguageId } from '../src/core/parse/languages';
import { TreeSitterRuntime } from '../src/core/parse/treeSitterRuntime';
import { topKByDotProduct } from '../src/core/search/retrievalMetrics';
import { CodeTokenizer } from '../src/core/tokenize/codeTokenizer';
import { loadCodeTokenizer } from '../src/core/tokenize/tokenizerFile';
import { BenchRow } from './benchTable';
import { loadCosqa, loadPoj104, sharedEvalDir } from './evalData';
import { mapAtR, scoreCosqa } from './evalScores';

const QUERY_TOKENS = 64;

/**
 * Vector-only retrieval quality of an encoder folder, zero-shot: CoSQA dev-500 MRR and recall over the full
 * 6,267-function corpus at every Matryoshka dimension, and POJ-104 dev MAP@R (R = 499) at full size.
 */
export async function benchEncoderQuality(repoRoot: string, modelDir: string, label: string): Promise<BenchRow[]> {
  const evalDir = sharedEvalDir(repoRoot);
  const runtime = await TreeSitterRuntime.create(findGrammarsDir(join(repoRoot, 'dist')));
  const encoder = await Encoder.load(modelDir, { threads: 2 });
  const tokenizer = await loadCodeTokenizer(join(modelDir, encoder.config.tokenizer), runtime, ['python', 'c', 'cpp']);
  const rows: BenchRow[] = [];
  try {
    const maxTokens = encoder.config.maxTokens;
    const cosqa = loadCosqa(evalDir);
    const corpus = await embedAll(encoder, cosqa.corpus.map((code) => unitIds(tokenizer, code, 'python', maxTokens)));
    const queries = await embedAll(encoder, cosqa.queries.map((query) => Array.from(tokenizer.encodeText(query.query, QUERY_TOKENS).ids)));
    for (const dimension of encoder.config.dimensions) {
      const corpusMatrix = prefixMatrix(corpus, dimension);
      const queryMatrix = prefixMatrix(queries, dimension);
      const scores = scoreCosqa(cosqa, (query) => topKByDotProduct(queryMatrix.subarray(query * dimension, (query + 1) * dimension), corpusMatrix, dimension, 100));
      rows.push({
        bench: 'encoder quality',
        case: `${label}: CoSQA dev-500, vector only, ${dimension} dims`,
        metrics: { MRR: scores.mrr, 'R@1': scores.recall1, 'R@5': scores.recall5, 'R@10': scores.recall10 },
        ...(dimension === encoder.config.hiddenSize ? { bar: { metric: 'MRR', atLeast: 0.4 } } : {}),
      });
    }
    const poj = loadPoj104(evalDir);
    // POJ-104 programs are C or C++ written loosely; the C++ grammar reads both.
    const programs = await embedAll(encoder, poj.programs.map((program) => unitIds(tokenizer, program.code, 'cpp', maxTokens)));
    const dimension = encoder.config.hiddenSize;
    rows.push({
      bench: 'encoder quality',
      case: `${label}: POJ-104 dev, vector only, ${dimension} dims`,
      metrics: { 'MAP@R': mapAtR(poj, prefixMatrix(programs, dimension), dimension) },
      bar: { metric: 'MAP@R', atLeast: 0.4 },
    });
  } finally {
    tokenizer.dispose();
    await encoder.release();
  }
  return rows;
}

/** The unit as the product embeds it: the whole of it, in windows of the model's length (`unitWindows.ts`). */
function unitIds(tokenizer: CodeTokenizer, code: string, language: LanguageId, maxTokens: number): number[] {
  return Array.from(tokenizer.encodeUnit(code, language, maxTokens * MAX_WINDOWS).ids);
}

async function embedAll(encoder: Encoder, sequences: number[][]): Promise<Float32Array[]> {
  return embedInWindows(sequences, encoder.config.maxTokens, (windows) => encoder.embed(windows, { dimension: encoder.config.hiddenSize }));
}

/** Row-major matrix of each vector's first `dimension` values, renormalized (a Matryoshka prefix). */
function prefixMatrix(vectors: readonly Float32Array[], dimension: number): Float32Array {
  const matrix = new Float32Array(vectors.length * dimension);
  vectors.forEach((vector, row) => {
    let norm = 0;
    for (let d = 0; d < dimension; d++) norm += vector[d]! * vector[d]!;
    const scale = norm > 0 ? 1 / Math.sqrt(norm) : 0;
    for (let d = 0; d < dimension; d++) matrix[row * dimension + d] = vector[d]! * scale;
  });
  return matrix;
}
