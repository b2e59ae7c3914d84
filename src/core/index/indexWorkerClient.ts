import { Worker } from 'node:worker_threads';
import type { CloneSettings } from '../clones/cloneSettings';
import { LanguageId } from '../parse/languages';
import { IndexWorkerMessage, IndexWorkerRequest, IndexWorkerSetup, QueryRequest, WorkerClones, WorkerHit } from './indexWorkerProtocol';

export class IndexCancelledError extends Error {
  constructor() {
    super('indexing cancelled');
    this.name = 'IndexCancelledError';
  }
}

type Pending = { resolve: (message: IndexWorkerMessage) => void; reject: (error: Error) => void };

/**
 * The main thread's handle on an index worker (`workerScript` is the bundled indexWorker.js):
 * update the index, query it, cancel an update. Each call resolves when the worker answers it.
 */
export class IndexWorkerClient {
  private readonly worker: Worker;
  private readonly pending = new Map<number, Pending>();
  private nextId = 1;
  readonly ready: Promise<{ modelId: string; dimension: number; rebuilt?: string; encoderProblem?: string }>;

  constructor(workerScript: string, setup: IndexWorkerSetup, private readonly onProgress: (progress: Extract<IndexWorkerMessage, { type: 'progress' }>) => void) {
    this.worker = new Worker(workerScript, { workerData: setup });
    let readyResolve!: (value: { modelId: string; dimension: number; rebuilt?: string; encoderProblem?: string }) => void;
    let readyReject!: (error: Error) => void;
    this.ready = new Promise((resolve, reject) => { readyResolve = resolve; readyReject = reject; });
    this.ready.catch(() => undefined); // observed by whoever awaits it
    this.worker.on('message', (message: IndexWorkerMessage) => {
      if (message.type === 'ready') readyResolve(message);
      else if (message.type === 'progress') this.onProgress(message);
      else if (message.type === 'failed' && message.id === undefined) readyReject(new Error(message.message));
      else if ('id' in message && message.id !== undefined) {
        const waiting = this.pending.get(message.id);
        this.pending.delete(message.id);
        if (!waiting) return;
        if (message.type === 'failed') waiting.reject(message.cancelled ? new IndexCancelledError() : new Error(message.message));
        else waiting.resolve(message);
      }
    });
    const fail = (error: Error): void => {
      readyReject(error);
      for (const waiting of this.pending.values()) waiting.reject(error);
      this.pending.clear();
    };
    this.worker.on('error', (error) => fail(new Error(`index worker crashed: ${error.message}`, { cause: error })));
    this.worker.on('exit', (code) => fail(new Error(`index worker exited (code ${code})`)));
  }

  async update(): Promise<Extract<IndexWorkerMessage, { type: 'updated' }>> {
    return (await this.request({ type: 'update', id: this.nextId++ })) as Extract<IndexWorkerMessage, { type: 'updated' }>;
  }

  cancel(): void {
    this.worker.postMessage({ type: 'cancel' } satisfies IndexWorkerRequest);
  }

  async search(query: string, request: QueryRequest): Promise<WorkerHit[]> {
    return ((await this.request({ type: 'search', id: this.nextId++, query, request })) as Extract<IndexWorkerMessage, { type: 'hits' }>).hits;
  }

  async similar(text: string, language: LanguageId, request: QueryRequest): Promise<WorkerHit[]> {
    return ((await this.request({ type: 'similar', id: this.nextId++, text, language, request })) as Extract<IndexWorkerMessage, { type: 'hits' }>).hits;
  }

  /** Clones in the folder, found with the index's embeddings for Type 4; runs after any update in flight. */
  async clones(settings: CloneSettings): Promise<WorkerClones> {
    return ((await this.request({ type: 'clones', id: this.nextId++, settings })) as Extract<IndexWorkerMessage, { type: 'clones' }>).clones;
  }

  private async request(message: Extract<IndexWorkerRequest, { id: number }>): Promise<IndexWorkerMessage> {
    await this.ready;
    return new Promise((resolve, reject) => {
      this.pending.set(message.id, { resolve, reject });
      this.worker.postMessage(message);
    });
  }

  async dispose(): Promise<void> {
    this.worker.removeAllListeners('exit');
    await this.worker.terminate();
  }
}
