import { join } from 'node:path';
import { UnitEmbedder } from '../src/core/model/unitEmbedder';
import { findGrammarsDir } from '../src/core/parse/grammarsDir';
import { TreeSitterRuntime } from '../src/core/parse/treeSitterRuntime';
import { topKByDotProduct } from '../src/core/search/retrievalMetrics';
import { BenchRow } from './benchTable';
import { loadCosqa, loadPoj104, sharedEvalDir } from './evalData';
import { mapAtR, scoreCosqa } from './evalScores';


/**
 * Vector-only retrieval quality of an encoder folder, zero-shot: CoSQA dev-500 MRR and recall over the full
 * 6,267-function corpus at every Matryoshka dimension, and POJ-104 dev MAP@R (R = 499) at full size.
 */
export async function benchEncoderQuality(repoRoot: string, modelDir: string, label: string): Promise<BenchRow[]> {
  const evalDir = sharedEvalDir(repoRoot);
  const runtime = await TreeSitterRuntime.create(findGrammarsDir(join(repoRoot, 'dist')));
  // The product's own path (`UnitEmbedder`): units whole, in windows; vectors at full size, cut to each Matryoshka prefix below.
  const embedder = await UnitEmbedder.load(modelDir, runtime, { threads: 2 });
  const config = embedder.encoder.config;
  const rows: BenchRow[] = [];
  try {
    const cosqa = loadCosqa(evalDir);
    const corpus = await embedder.embedUnits(cosqa.corpus.map((text) => ({ text, language: 'python' as const })));
    const queries = await embedder.embedQueries(cosqa.queries.map((query) => query.query));
    for (const dimension of config.dimensions) {
      const corpusMatrix = prefixMatrix(corpus, dimension);
      const queryMatrix = prefixMatrix(queries, dimension);
      const scores = scoreCosqa(cosqa, (query) => topKByDotProduct(queryMatrix.subarray(query * dimension, (query + 1) * dimension), corpusMatrix, dimension, 100));
      rows.push({
        bench: 'encoder quality',
        case: `${label}: CoSQA dev-500, vector only, ${dimension} dims`,
        metrics: { MRR: scores.mrr, 'R@1': scores.recall1, 'R@5': scores.recall5, 'R@10': scores.recall10 },
        ...(dimension === config.hiddenSize ? { bar: { metric: 'MRR', atLeast: 0.4 } } : {}),
      });
    }
    const poj = loadPoj104(evalDir);
    // POJ-104 programs are C or C++ written loosely; the C++ grammar reads both.
    const programs = await embedder.embedUnits(poj.programs.map((program) => ({ text: program.code, language: 'cpp' as const })));
    const dimension = config.hiddenSize;
    rows.push({
      bench: 'encoder quality',
      case: `${label}: POJ-104 dev, vector only, ${dimension} dims`,
      metrics: { 'MAP@R': mapAtR(poj, prefixMatrix(programs, dimension), dimension) },
      bar: { metric: 'MAP@R', atLeast: 0.4 },
    });
  } finally {
    await embedder.dispose();
  }
  return rows;
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
