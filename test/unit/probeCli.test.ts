import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { AstProbe } from '../../src/core/probe/astProbe';
import { leavesOf } from '../../src/core/probe/syntaxTree';
import { FIXTURES, treeSitter } from './helpers';

const CLI = join(__dirname, '..', '..', '..', 'dist', 'cli.js');
// The repository's bundled encoder (tests run compiled from out/test/unit).
const MODEL = join(__dirname, '..', '..', '..', 'models', 'encoder');
const NO_PROBE = !existsSync(join(MODEL, 'probe', 'probe.json')) && 'no trained probe in models/encoder/probe (training/README.md, "AST probe")';

function astrolabe(...args: string[]): { status: number | null; stdout: string; stderr: string } {
  const result = spawnSync(process.execPath, [CLI, ...args], { encoding: 'utf8' });
  return { status: result.status, stdout: result.stdout, stderr: result.stderr };
}

describe('astrolabe probe', { skip: NO_PROBE }, () => {
  it('--json prints one object per function with precision, recall and F1', () => {
    const { status, stdout, stderr } = astrolabe('probe', join(FIXTURES, 'probe', 'geometry.py'), '--json');
    assert.equal(status, 0, stderr);
    const lines = stdout.trim().split('\n').map((line) => JSON.parse(line) as Record<string, unknown>);
    assert.deepEqual(lines.map((line) => line.name), ['distance', 'Polygon.__init__', 'Polygon.perimeter']);
    for (const line of lines) {
      assert.deepEqual(Object.keys(line), ['file', 'name', 'layer', 'precision', 'recall', 'f1']);
      assert.match(String(line.file), /geometry\.py$/);
      for (const metric of ['precision', 'recall', 'f1']) assert.ok(Number(line[metric]) >= 0 && Number(line[metric]) <= 1, `${metric} in [0, 1]`);
    }
  });

  it('--function and --layer choose what is probed; the text output shows both trees', () => {
    const { status, stdout, stderr } = astrolabe('probe', join(FIXTURES, 'probe', 'server.go'), '--function', 'Greet', '--layer', '0');
    assert.equal(status, 0, stderr);
    assert.match(stdout, /^== .*server\.go:5 Greet \(go, layer 0\): precision \d\.\d{3} {2}recall \d\.\d{3} {2}F1 \d\.\d{3}$/m);
    const [, recovered, truth] = stdout.split(/^-- (?:recovered|true) tree$/m);
    assert.ok(recovered && truth);
    // Both trees hold the same leaves in the same order; the true one is tree-sitter's.
    const leaves = (tree: string) => tree.split('\n').map((line) => line.trim()).filter((line) => line.startsWith('"'));
    assert.deepEqual(leaves(recovered!), leaves(truth!));
    // The unit is parsed alone, as the encoder sees it: the file's package clause is not in its tree.
    assert.match(truth!.trim(), /^source_file\n {2}function_declaration\n {4}"func"/);
    assert.ok(leaves(truth!).includes(JSON.stringify('"hello, %s"')), 'a string literal is one leaf');
  });

  it('fails clearly for a missing function, a language without a probe and a bad layer', () => {
    const missing = astrolabe('probe', join(FIXTURES, 'probe', 'geometry.py'), '--function', 'nothing');
    assert.equal(missing.status, 2);
    assert.match(missing.stderr, /no function or method named nothing/);
    const rust = astrolabe('probe', join(FIXTURES, 'probe', 'lib.rs'));
    assert.equal(rust.status, 2);
    assert.match(rust.stderr, /no AST probe for rust/);
    const layer = astrolabe('probe', join(FIXTURES, 'probe', 'geometry.py'), '--layer', '99');
    assert.equal(layer.status, 1);
    assert.match(layer.stderr, /no python probe for layer 99/);
  });
});

describe('AstProbe', { skip: NO_PROBE }, () => {
  it('rebuilds a tree over the same leaves as tree-sitter\'s and scores it against it', async () => {
    const probe = await AstProbe.load(MODEL, await treeSitter());
    try {
      const source = readFileSync(join(FIXTURES, 'probe', 'geometry.py'), 'utf8');
      const text = source.slice(source.indexOf('def distance'), source.indexOf('class Polygon')).trimEnd();
      const result = await probe.probe(text, 'python');
      assert.notEqual(typeof result, 'string');
      if (typeof result === 'string') return;
      assert.equal(result.layer, probe.manifest.languages.python!.bestLayer);
      assert.deepEqual(leavesOf(result.predicted), leavesOf(result.truth));
      assert.ok(!leavesOf(result.truth).some((leaf) => leaf.text.includes('Euclidean')), 'the docstring is left out');
      assert.ok(result.score.f1 > 0 && result.score.f1 <= 1);
      assert.ok(result.probeMs >= 0 && result.encoderMs > 0);
      assert.equal(await probe.probe('def broken(:\n', 'python'), 'syntax-error');
    } finally {
      await probe.dispose();
    }
  });
});

describe('astrolabe probe-data', () => {
  it("writes trees and per-layer word vectors; --with-text adds each unit's text and leaf spans", () => {
    const folder = mkdtempSync(join(tmpdir(), 'astrolabe-probe-data-'));
    try {
      const units = [
        { language: 'python', kind: 'function', package: 'geometry', name: 'area', text: 'def area(w, h):\n    """Größe."""\n    return w * h  # 面積\n' },
        { language: 'python', kind: 'function', package: 'geometry', name: 'label', text: 'def label(n):\n    return f"n={n}" if n > 0 else "∅"\n' },
        { language: 'python', kind: 'function', package: 'broken', name: 'bad', text: 'def bad(:\n    pass\n' },
      ];
      const heldOut = join(folder, 'valid.jsonl');
      writeFileSync(heldOut, units.map((unit) => JSON.stringify(unit)).join('\n') + '\n');
      writeFileSync(join(folder, 'train.jsonl'), '');
      const out = join(folder, 'data');
      const result = astrolabe('probe-data', '--units', join(folder, 'train.jsonl'), '--held-out', heldOut, '--languages', 'python', '--train', '1', '--test', '5', '--with-text', '--model', MODEL, '--out', out);
      assert.equal(result.status, 0, result.stderr);
      const meta = JSON.parse(readFileSync(join(out, 'meta.json'), 'utf8')) as { hiddenSize: number; layers: number; skipped: Record<string, number> };
      assert.equal(meta.skipped['syntax-error'], 1, 'the broken unit');
      const lines = readFileSync(join(out, 'test-python.jsonl'), 'utf8').trim().split('\n').map((line) => JSON.parse(line) as { name: string; leaves: number; text: string; spans: [number, number][]; d: number[] });
      assert.deepEqual(lines.map((line) => line.name).sort(), ['area', 'label']);
      for (const line of lines) {
        assert.equal(line.spans.length, line.leaves);
        assert.equal(line.d.length, line.leaves - 1);
        const leaves = line.spans.map(([start, end]) => line.text.slice(start, end));
        if (line.name === 'area') assert.deepEqual(leaves, ['def', 'area', '(', 'w', ',', 'h', ')', ':', 'return', 'w', '*', 'h'], 'comments and the docstring are no leaves');
        else assert.ok(leaves.includes('"∅"') && leaves.includes('f"n={n}"'), 'a string literal is one leaf');
      }
      const leafCount = lines.reduce((sum, line) => sum + line.leaves, 0);
      for (let layer = 0; layer <= meta.layers; layer++) assert.equal(statSync(join(out, `test-python.L${layer}.f16`)).size, leafCount * meta.hiddenSize * 2);
    } finally {
      rmSync(folder, { recursive: true, force: true });
    }
  });

  it('samples the same test units whatever the training size', () => {
    const folder = mkdtempSync(join(tmpdir(), 'astrolabe-probe-data-'));
    try {
      // More units than either sample keeps (three candidates per kept unit), so both reservoirs draw.
      const unit = (i: number, pkg: string) => JSON.stringify({ language: 'python', kind: 'function', package: pkg, name: `f${i}`, text: `def f${i}(x):\n    return x + ${i}\n` });
      writeFileSync(join(folder, 'train.jsonl'), Array.from({ length: 60 }, (_, i) => unit(i, `package${i % 9}`)).join('\n') + '\n');
      writeFileSync(join(folder, 'valid.jsonl'), Array.from({ length: 40 }, (_, i) => unit(100 + i, 'held-out')).join('\n') + '\n');
      const testNames = (train: number) => {
        const out = join(folder, `data-${train}`);
        const result = astrolabe('probe-data', '--units', join(folder, 'train.jsonl'), '--held-out', join(folder, 'valid.jsonl'), '--languages', 'python', '--train', String(train), '--test', '4', '--model', MODEL, '--out', out);
        assert.equal(result.status, 0, result.stderr);
        const names = (split: string) => readFileSync(join(out, `${split}-python.jsonl`), 'utf8').trim().split('\n').map((line) => (JSON.parse(line) as { name: string }).name);
        assert.equal(names('train').length, train);
        return names('test');
      };
      const small = testNames(2);
      assert.equal(small.length, 4);
      assert.deepEqual(testNames(12), small);
    } finally {
      rmSync(folder, { recursive: true, force: true });
    }
  });
});
