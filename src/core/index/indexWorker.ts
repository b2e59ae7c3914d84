// Entry point of the thread that owns a workspace folder's index: it loads the encoder, keeps the
// index up to date, and answers queries, so neither indexing nor search ever blocks an editor.
import { parentPort, workerData } from 'node:worker_threads';
import { detectClones } from '../clones/cloneDetector';
import { CloneSettings } from '../clones/cloneSettings';
import { CloneFileCache, scanCloneCorpus } from '../clones/cloneSources';
import { UnitEmbedder } from '../model/unitEmbedder';
import { TreeSitterRuntime } from '../parse/treeSitterRuntime';
import { lexicalTerms } from '../search/lexicalTerms';
import { SearchHit, SearchIndex } from '../search/searchIndex';
import { IndexStore } from './indexStore';
import { IndexWorkerMessage, IndexWorkerRequest, IndexWorkerSetup, QueryRequest, WorkerClones, WorkerHit } from './indexWorkerProtocol';
import { isEncoderUnavailable, LEXICAL_ONLY, NO_VECTORS } from './lexicalOnly';
import { updateIndex } from './workspaceIndexer';

const PROGRESS_INTERVAL_MS = 200;

async function main(): Promise<void> {
  const port = parentPort!;
  const setup = workerData as IndexWorkerSetup;
  const post = (message: IndexWorkerMessage): void => port.postMessage(message);
  let runtime: TreeSitterRuntime;
  // Undefined when the encoder cannot load: the index is then lexical-only and says why.
  let embedder: UnitEmbedder | undefined;
  let encoderProblem: string | undefined;
  let store: IndexStore;
  try {
    runtime = await TreeSitterRuntime.create(setup.grammarsDir);
    try {
      embedder = await UnitEmbedder.load(setup.modelDir, runtime, { threads: setup.threads, preferredDimension: setup.dimension });
    } catch (error) {
      if (!isEncoderUnavailable(error)) throw error;
      encoderProblem = error.message;
    }
    const opened = IndexStore.open(setup.indexDir, embedder ? { modelId: embedder.modelId, dimension: embedder.dimension } : LEXICAL_ONLY);
    store = opened.store;
    post({
      type: 'ready', modelId: store.identity.modelId, dimension: store.identity.dimension, encoderProblem,
      rebuilt: opened.discarded && opened.discarded.reason !== 'missing' ? `${opened.discarded.reason}: ${opened.discarded.detail}` : undefined,
    });
  } catch (error) {
    post({ type: 'failed', cancelled: false, message: error instanceof Error ? error.message : String(error) });
    port.close();
    return;
  }

  let index = SearchIndex.fromStore(store);
  let abort: AbortController | undefined;
  // Requests are handled one at a time, in order: an update and a query never interleave.
  let queue = Promise.resolve();

  const update = async (id: number): Promise<void> => {
    abort = new AbortController();
    let last = 0;
    try {
      const updates = updateIndex(setup.root, store, runtime, embedder ?? NO_VECTORS, setup.options, abort.signal);
      let result = await updates.next();
      while (!result.done) {
        if (Date.now() - last > PROGRESS_INTERVAL_MS) {
          last = Date.now();
          post({ type: 'progress', ...result.value });
        }
        result = await updates.next();
      }
      index = SearchIndex.fromStore(store);
      // Above the size where search turns approximate, build or load its graph now, not at the first query.
      if (embedder) index.prepareVectorSearch();
      post({ type: 'updated', id, files: store.fileCount, units: store.unitCount, parsed: result.value.parsed, embedded: result.value.embedded, removed: result.value.removed });
    } catch (error) {
      // What was embedded before a cancel is committed; search what there is.
      index = SearchIndex.fromStore(store);
      post({ type: 'failed', id, cancelled: abort.signal.aborted, message: error instanceof Error ? error.message : String(error) });
    } finally {
      abort = undefined;
    }
  };

  const answer = async (id: number, vector: Float32Array | undefined, terms: string[], request: QueryRequest): Promise<void> => {
    try {
      post({ type: 'hits', id, hits: index.search(vector, terms, request).map(workerHit) });
    } catch (error) {
      post({ type: 'failed', id, cancelled: false, message: error instanceof Error ? error.message : String(error) });
    }
  };

  // Files cut into clone tokens at the last clone search: a refresh parses only what changed since.
  const cloneFiles = new CloneFileCache();
  const clones = async (id: number, settings: CloneSettings): Promise<void> => {
    abort = new AbortController();
    try {
      const started = performance.now();
      // Type 4 compares the index's own unit vectors, so clones and search agree on what is similar.
      const type4Problem = settings.types.includes(4) && !embedder ? `Type 4 clones need the encoder, which did not load: ${encoderProblem}` : undefined;
      const effective = type4Problem ? { ...settings, types: settings.types.filter((type) => type !== 4) } : settings;
      const { corpus } = await scanCloneCorpus(setup.root, runtime, setup.options, abort.signal, undefined, cloneFiles);
      const report = detectClones(corpus, effective, effective.types.includes(4) ? (unit) => {
        const stored = store.vector(unit.hash);
        return stored ? Float32Array.from(stored.codes, (code) => code * stored.scale) : undefined;
      } : undefined, embedder);
      const result: WorkerClones = { classes: report.classes, pairCounts: report.pairCounts, files: report.files, lines: report.lines, seconds: (performance.now() - started) / 1000, type4Problem };
      post({ type: 'clones', id, clones: result });
    } catch (error) {
      post({ type: 'failed', id, cancelled: abort.signal.aborted, message: error instanceof Error ? error.message : String(error) });
    } finally {
      abort = undefined;
    }
  };

  port.on('message', (message: IndexWorkerRequest) => {
    // A cancel must not wait in the queue behind the update it cancels.
    if (message.type === 'cancel') { abort?.abort(new Error('indexing cancelled')); return; }
    queue = queue.then(async () => {
      if (message.type === 'update') await update(message.id);
      else if (message.type === 'clones') await clones(message.id, message.settings);
      else if (message.type === 'search') {
        if (!embedder) {
          // Words only; a request for vectors alone cannot be answered.
          if (message.request.mode === 'vector') post({ type: 'failed', id: message.id, cancelled: false, message: `vector search needs the encoder, which did not load: ${encoderProblem}` });
          else await answer(message.id, undefined, lexicalTerms(message.query), { ...message.request, mode: 'lexical' });
          return;
        }
        const vector = message.request.mode === 'lexical' ? undefined : await embedder.embedQuery(message.query);
        await answer(message.id, vector, lexicalTerms(message.query), message.request);
      } else if (message.type === 'similar') {
        if (!embedder) {
          post({ type: 'failed', id: message.id, cancelled: false, message: `finding similar code needs the encoder, which did not load: ${encoderProblem}` });
          return;
        }
        const [vector] = await embedder.embedUnits([{ text: message.text, language: message.language }]);
        await answer(message.id, vector, lexicalTerms(message.text), { ...message.request, mode: 'vector' });
      }
    });
  });
}

function workerHit(hit: SearchHit): WorkerHit {
  return { file: hit.file, name: hit.unit.name, kind: hit.unit.kind, language: hit.unit.language, startLine: hit.unit.startLine, endLine: hit.unit.endLine, score: hit.score };
}

void main();
