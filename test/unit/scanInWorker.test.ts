import assert from 'node:assert/strict';
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { ScanCancelledError, scanInWorker } from '../../src/core/scan/scanInWorker';
import { DEFAULT_SCAN_OPTIONS } from '../../src/core/scan/workspaceScanner';
import { GRAMMARS, temporaryFolder } from './helpers';

// The bundled worker, as the extension runs it (npm test builds dist/ first).
const WORKER = join(__dirname, '..', '..', '..', 'dist', 'scanWorker.js');

describe('scanning in a worker thread', () => {
  it('reports progress and returns the report', async (t) => {
    const root = temporaryFolder(t);
    mkdirSync(join(root, 'src'));
    for (let i = 0; i < 30; i++) writeFileSync(join(root, 'src', `m${i}.py`), `def f${i}():\n    return ${i}\n\nclass C${i}:\n    def m(self):\n        pass\n`);
    writeFileSync(join(root, 'src', 'blob.py'), Buffer.from([0, 1, 2, 3]));
    const progress: number[] = [];
    const report = await scanInWorker(WORKER, { roots: [{ name: 'root', path: root }], options: DEFAULT_SCAN_OPTIONS, grammarsDir: GRAMMARS }, (message) => progress.push(message.seen));
    assert.equal(report.seen, 31);
    assert.equal(report.parsed, 30);
    assert.equal(report.units, 90);
    assert.deepEqual(report.skipped, { binary: 1 });
    assert.equal(report.skippedFiles[0]?.file, 'src/blob.py');
  });

  it('stops when cancelled and rejects with ScanCancelledError', async (t) => {
    const root = temporaryFolder(t);
    for (let i = 0; i < 400; i++) writeFileSync(join(root, `m${i}.js`), `function f${i}() {\n${'  x++;\n'.repeat(500)}}\n`);
    const abort = new AbortController();
    const started = Date.now();
    const scanning = scanInWorker(WORKER, { roots: [{ name: 'root', path: root }], options: DEFAULT_SCAN_OPTIONS, grammarsDir: GRAMMARS }, (message) => {
      if (message.seen > 0) abort.abort();
    }, abort.signal);
    await assert.rejects(scanning, ScanCancelledError);
    assert.ok(Date.now() - started < 10_000);
  });

  it('fails with a message naming the file when the grammars are missing', async (t) => {
    const root = temporaryFolder(t);
    writeFileSync(join(root, 'a.py'), 'x = 1\n');
    await assert.rejects(
      scanInWorker(WORKER, { roots: [{ name: 'root', path: root }], options: DEFAULT_SCAN_OPTIONS, grammarsDir: join(root, 'no-grammars') }, () => undefined),
      /web-tree-sitter\.wasm/,
    );
  });
});
