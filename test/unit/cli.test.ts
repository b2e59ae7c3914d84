import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { temporaryFolder } from './helpers';

const CLI = join(__dirname, '..', '..', '..', 'dist', 'cli.js');

function astrolabe(...args: string[]): { status: number | null; stdout: string; stderr: string } {
  const result = spawnSync(process.execPath, [CLI, ...args], { encoding: 'utf8' });
  return { status: result.status, stdout: result.stdout, stderr: result.stderr };
}

describe('astrolabe units', () => {
  it('--json prints exactly one object with units and the scan report', (t) => {
    const root = temporaryFolder(t);
    mkdirSync(join(root, 'pkg'));
    writeFileSync(join(root, '.gitignore'), 'ignored.py\n');
    writeFileSync(join(root, 'ignored.py'), 'def hidden():\n    pass\n');
    writeFileSync(join(root, 'pkg', 'shapes.py'), 'class Circle:\n    def area(self):\n        return 3.14\n\ndef unit():\n    return Circle()\n');
    writeFileSync(join(root, 'pkg', 'blob.go'), Buffer.from([0x00, 0xff]));
    const { status, stdout } = astrolabe('units', root, '--json');
    assert.equal(status, 0);
    assert.equal(stdout.trim().split('\n').length, 1, 'one line of JSON');
    const output = JSON.parse(stdout) as { units: Record<string, unknown>[]; report: unknown };
    assert.deepEqual(Object.keys(output), ['units', 'report']);
    assert.deepEqual(output.report, { seen: 2, parsed: 1, skipped: { binary: 1 } });
    assert.deepEqual(output.units.map((unit) => [unit.file, unit.language, unit.kind, unit.name, unit.start_line, unit.end_line]), [
      ['pkg/shapes.py', 'python', 'class', 'Circle', 1, 3],
      ['pkg/shapes.py', 'python', 'method', 'Circle.area', 2, 3],
      ['pkg/shapes.py', 'python', 'function', 'unit', 5, 6],
    ]);
    for (const unit of output.units) {
      assert.deepEqual(Object.keys(unit).sort(), ['end_line', 'file', 'hash', 'kind', 'language', 'name', 'start_line']);
      assert.match(String(unit.hash), /^[0-9a-f]{32}$/);
    }
  });

  it('prints units and the report as text without --json', (t) => {
    const root = temporaryFolder(t);
    writeFileSync(join(root, 'main.go'), 'package main\n\nfunc main() {}\n');
    const { status, stdout } = astrolabe('units', root);
    assert.equal(status, 0);
    assert.match(stdout, /main\.go \(go\)/);
    assert.match(stdout, /function\s+main/);
    assert.match(stdout, /1 files seen, 1 parsed/);
  });

  it('fails with a clear message and exit code 2 for a missing folder', () => {
    const { status, stderr } = astrolabe('units', '/definitely/not/here');
    assert.equal(status, 2);
    assert.match(stderr, /\/definitely\/not\/here: no such folder/);
  });
});

describe('astrolabe units --jsonl', () => {
  it('streams one unit per line with its text, and the report on stderr', (t) => {
    const root = temporaryFolder(t);
    writeFileSync(join(root, 'a.js'), 'function one() { return 1; }\n\nclass Two { three() { return "é"; } }\n');
    const { status, stdout, stderr } = astrolabe('units', root, '--jsonl');
    assert.equal(status, 0, stderr);
    const lines = stdout.trim().split('\n').map((line) => JSON.parse(line) as Record<string, unknown>);
    assert.deepEqual(lines.map((unit) => unit.name), ['one', 'Two', 'Two.three']);
    assert.equal(lines[0]!.text, 'function one() { return 1; }');
    const bytes = Buffer.from('function one() { return 1; }\n\nclass Two { three() { return "é"; } }\n');
    for (const unit of lines) assert.equal(bytes.subarray(unit.start_byte as number, unit.end_byte as number).toString(), unit.text);
    assert.match(stderr, /1 files seen, 1 parsed/);
  });

  it('refuses --json together with --jsonl', (t) => {
    const { status, stderr } = astrolabe('units', temporaryFolder(t), '--json', '--jsonl');
    assert.equal(status, 2);
    assert.match(stderr, /choose one of --json and --jsonl/);
  });
});

describe('astrolabe bench', () => {
  it('measures scanning a folder, and says so when there is no encoder', (t) => {
    const root = temporaryFolder(t);
    writeFileSync(join(root, 'a.go'), 'package a\n\nfunc A() int { return 1 }\n');
    const { status, stdout, stderr } = astrolabe('bench', root, '--model', join(root, 'no-model'), '--json');
    assert.equal(status, 0, stderr);
    const result = JSON.parse(stdout) as { scan: { files: number; units: number; filesPerSecond: number }; embedding?: unknown };
    assert.equal(result.scan.files, 1);
    assert.ok(result.scan.units >= 1 && result.scan.filesPerSecond > 0);
    assert.equal(result.embedding, undefined);
    assert.match(astrolabe('bench', root, '--model', join(root, 'no-model')).stdout, /no encoder found/);
  });
});

describe('astrolabe search without an encoder', () => {
  it('searches by words, names the missing file, and refuses vector-only search', (t) => {
    const root = temporaryFolder(t);
    mkdirSync(join(root, 'src'));
    writeFileSync(join(root, 'src', 'retry.py'), 'def retry_with_backoff(call, attempts):\n    for attempt in range(attempts):\n        try:\n            return call()\n        except OSError:\n            sleep(2 ** attempt)\n');
    writeFileSync(join(root, 'src', 'lines.py'), 'def count_lines(path):\n    with open(path) as f:\n        return sum(1 for _ in f)\n');
    const noModel = join(root, 'no-model');
    const indexDir = join(root, 'index');
    const found = astrolabe('search', join(root, 'src'), 'retry with backoff', '--model', noModel, '--index-dir', indexDir, '--json');
    assert.equal(found.status, 0, found.stderr);
    assert.match(found.stderr, new RegExp(`encoder file ${join(noModel, 'config.json').replace(/[/\\]/g, '.')}: missing`));
    const results = (JSON.parse(found.stdout) as { results: { file: string; name: string }[] }).results;
    assert.equal(results[0]?.name, 'retry_with_backoff');
    const vector = astrolabe('search', join(root, 'src'), 'retry', '--mode', 'vector', '--model', noModel, '--index-dir', indexDir);
    assert.equal(vector.status, 1);
    assert.match(vector.stderr, /vector search needs the encoder, which did not load/);
  });
});
