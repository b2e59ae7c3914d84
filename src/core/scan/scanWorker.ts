// Entry point of the worker thread that scans workspaces, so the editor's extension host never blocks.
// Protocol: workerData is a ScanRequest; the worker posts WorkerMessage values and exits.
import { parentPort, workerData } from 'node:worker_threads';
import { TreeSitterRuntime } from '../parse/treeSitterRuntime';
import { ScanRequest } from './scanRequest';
import { scanRoots } from './scanRoots';
import { WorkerMessage } from './workerMessages';

const PROGRESS_INTERVAL_MS = 100;

async function main(): Promise<void> {
  const port = parentPort;
  if (!port) throw new Error('scanWorker must run in a worker thread');
  const request = workerData as ScanRequest;
  const abort = new AbortController();
  port.on('message', (message: { type: 'cancel' }) => {
    if (message.type === 'cancel') abort.abort(new Error('scan cancelled'));
  });
  try {
    const runtime = await TreeSitterRuntime.create(request.grammarsDir);
    let lastPost = 0;
    const report = await scanRoots(request.roots, runtime, request.options, {
      onProgress: ({ root, report: current }) => {
        const now = Date.now();
        if (now - lastPost < PROGRESS_INTERVAL_MS) return;
        lastPost = now;
        post({ type: 'progress', root, seen: current.seen, parsed: current.parsed, units: current.units });
      },
    }, abort.signal);
    post({ type: 'done', report });
  } catch (error) {
    post({ type: 'failed', cancelled: abort.signal.aborted, message: error instanceof Error ? error.message : String(error), stack: error instanceof Error ? error.stack : undefined });
  } finally {
    port.close();
  }

  function post(message: WorkerMessage): void {
    port!.postMessage(message);
  }
}

void main();
