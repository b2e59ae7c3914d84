import { Worker } from 'node:worker_threads';
import { ScanRequest } from './scanRequest';
import { ScanReport } from './scanReport';
import { WorkerMessage } from './workerMessages';

export class ScanCancelledError extends Error {
  constructor() {
    super('scan cancelled');
    this.name = 'ScanCancelledError';
  }
}

/**
 * Runs a scan in a worker thread (`workerScript` is the bundled scanWorker.js) and resolves with its report.
 * Aborting `signal` asks the worker to stop and rejects with ScanCancelledError.
 */
export function scanInWorker(
  workerScript: string,
  request: ScanRequest,
  onProgress: (progress: Extract<WorkerMessage, { type: 'progress' }>) => void,
  signal?: AbortSignal,
): Promise<ScanReport> {
  return new Promise<ScanReport>((resolve, reject) => {
    if (signal?.aborted) { reject(new ScanCancelledError()); return; }
    const worker = new Worker(workerScript, { workerData: request });
    let settled = false;
    const finish = (action: () => void): void => {
      if (settled) return;
      settled = true;
      signal?.removeEventListener('abort', onAbort);
      action();
    };
    const onAbort = (): void => {
      worker.postMessage({ type: 'cancel' });
      // A worker stuck inside one long parse cannot see the message; do not wait for it.
      setTimeout(() => void worker.terminate(), 2000).unref();
      finish(() => reject(new ScanCancelledError()));
    };
    signal?.addEventListener('abort', onAbort, { once: true });
    worker.on('message', (message: WorkerMessage) => {
      if (message.type === 'progress') onProgress(message);
      else if (message.type === 'done') finish(() => resolve(message.report));
      else finish(() => reject(message.cancelled ? new ScanCancelledError() : Object.assign(new Error(`scan failed: ${message.message}`), { stack: message.stack })));
    });
    worker.on('error', (error) => finish(() => reject(new Error(`scan worker crashed: ${error.message}`, { cause: error }))));
    worker.on('exit', (code) => finish(() => reject(new Error(`scan worker exited with code ${code} before reporting`))));
  });
}
