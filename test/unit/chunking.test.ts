import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { CodeUnitExtractor, DEFAULT_CHUNKING } from '../../src/core/parse/codeUnitExtractor';
import { languageForPath } from '../../src/core/parse/languages';
import { UNIT_RULES } from '../../src/core/parse/unitRules';
import { describeUnit, FIXTURES, treeSitter, unitsOf } from './helpers';

/** Every fixture's expected units, in source order, as "kind name start-end". */
const EXPECTED: Record<string, string[]> = {
  'inventory.py': [
    'toplevel <top-level> 1-5', 'function parse_price 8-11', 'class Item 14-26', 'method Item.discounted 19-20',
    'method Item.label 22-26', 'function Item.label.shorten 24-25', 'class Inventory 29-34',
    'method Inventory.__init__ 30-31', 'method Inventory.total 33-34', 'toplevel <top-level> 37-38',
  ],
  'cart.js': [
    'toplevel <top-level> 1-4', 'function priceWithTax 6-8', 'function formatPrice 10-10', 'class Cart 12-26',
    'method Cart.constructor 13-16', 'method Cart.add 18-21', 'method Cart.total 23-25', 'method handlers.onAdd 29-29',
    'method handlers.onClear 30-30', 'function module.exports.createCart 33-35', 'toplevel <top-level> 37-37',
  ],
  'queue.ts': [
    'toplevel <top-level> 1-1', 'interface Job 3-6', 'enum JobState 8-12', 'toplevel <top-level> 14-14', 'class JobQueue 16-41',
    'method JobQueue.constructor 20-22', 'method JobQueue.push 24-27', 'method JobQueue.next 29-38', 'method JobQueue.size 40-40',
    'function Jobs.noop 44-46', 'function createQueue 49-51',
  ],
  'Toolbar.tsx': [
    'toplevel <top-level> 1-1', 'interface ToolbarProps 3-6', 'function Toolbar 8-16', 'function Spacer 18-18',
    'class Panel 20-24', 'method Panel.render 21-23',
  ],
  'Accounts.java': [
    'toplevel <top-level> 1-4', 'class Accounts 6-41', 'method Accounts.Accounts 9-10', 'method Accounts.open 12-14',
    'method Accounts.totalBalance 16-22', 'class Accounts.Account 24-28', 'method Accounts.Account.deposit 25-27',
    'interface Accounts.Auditor 30-32', 'enum Accounts.Kind 34-40',
    'method Accounts.Kind.earnsInterest 37-39',
  ],
  'shapes.go': [
    'toplevel <top-level> 1-6', 'interface Shape 8-11', 'struct Circle 13-15', 'struct Square 18-18', 'interface Named 19-19',
    'method Circle.Area 22-24', 'method Square.Area 26-28', 'function Describe 30-32', 'toplevel <top-level> 34-34',
  ],
  'matrix.rs': [
    'toplevel <top-level> 1-2', 'struct Matrix 4-8', 'enum Axis 10-13', 'trait Transpose 15-20', 'method Transpose.is_symmetric 17-19',
    'impl Matrix 22-26', 'method Matrix.identity 23-25', 'impl Matrix 28-37', 'method Matrix.add 30-36', 'impl Matrix 39-43',
    'method Matrix.fmt 40-42', 'function tests.helper 46-48', 'function determinant 51-53',
  ],
  'ring_buffer.c': [
    'toplevel <top-level> 1-4', 'struct ring 6-9', 'struct status_t 11-14', 'enum ring_error 16-16', 'function ring_slot 18-21',
    'function ring_push 23-29', 'function ring_pop 31-37',
  ],
  'graph.cpp': [
    'toplevel <top-level> 1-2', 'class graph.Graph 6-14', 'method graph.Graph.Graph 8-8', 'method graph.Graph.addEdge 9-9',
    'method graph.Graph.degree 16-18', 'struct graph.Edge 20-23', 'function graph.maxOf 25-28', 'function main 32-36',
  ],
};

describe('code units of every supported language', () => {
  for (const [file, expected] of Object.entries(EXPECTED)) {
    it(`${file}: functions, methods, types and top-level windows with qualified names`, async () => {
      const path = join(FIXTURES, 'languages', file);
      const source = readFileSync(path, 'utf8');
      const language = languageForPath(file)!;
      const { units, hasError } = await unitsOf(source, language.id, undefined, file);
      assert.equal(hasError, false, `${file} should parse without syntax errors`);
      assert.deepEqual(units.map(describeUnit), expected);
      const bytes = readFileSync(path);
      for (const unit of units) {
        assert.equal(unit.language, language.id);
        assert.equal(unit.file, file);
        assert.equal(bytes.subarray(unit.startByte, unit.endByte).toString('utf8'), unit.text, `${unit.name}: text is the file's bytes at its span`);
        assert.equal(unit.hash, createHash('sha256').update(unit.text).digest('hex').slice(0, 32));
        const lines = source.split('\n');
        assert.ok(lines[unit.startLine - 1]!.length > 0 && unit.text.startsWith(lines[unit.startLine - 1]!.trimStart().slice(0, 1)), `${unit.name} starts on its start line`);
      }
    });
  }

  it('covers every language Astrolabe claims to parse', () => {
    const covered = new Set(Object.keys(EXPECTED).map((file) => languageForPath(file)!.id));
    assert.deepEqual([...covered].sort(), ['c', 'cpp', 'go', 'java', 'javascript', 'python', 'rust', 'tsx', 'typescript']);
  });
});

describe('chunking rules', () => {
  it('gives UTF-8 byte offsets for text with accents, CJK and emoji', async () => {
    const source = '# café ☕ 日本\ndef grüß(name):\n    return "👋 " + name\n\ndef zwei():\n    return "ß"\n';
    const { units } = await unitsOf(source, 'python');
    const bytes = Buffer.from(source, 'utf8');
    const functions = units.filter((unit) => unit.kind === 'function');
    assert.deepEqual(functions.map((unit) => unit.name), ['grüß', 'zwei']);
    for (const unit of functions) assert.equal(bytes.subarray(unit.startByte, unit.endByte).toString('utf8'), unit.text);
  });

  it('splits a very long function on statement boundaries into bounded, contiguous parts', async () => {
    const body = Array.from({ length: 400 }, (_, i) => `    total += ${i}`).join('\n');
    const source = `def long_function():\n    total = 0\n${body}\n    return total\n`;
    const { units } = await unitsOf(source, 'python', { maxUnitLines: 150, topLevelWindowLines: 40 });
    assert.deepEqual(units.map((unit) => unit.name), ['long_function#1', 'long_function#2', 'long_function#3']);
    for (const unit of units) assert.ok(unit.endLine - unit.startLine + 1 <= 150, `${unit.name} has ${unit.endLine - unit.startLine + 1} lines`);
    assert.equal(units[0]!.startLine, 1);
    assert.equal(units[2]!.endLine, 403);
    for (let i = 1; i < units.length; i++) assert.equal(units[i]!.startLine, units[i - 1]!.endLine + 1, 'parts are contiguous');
    assert.ok(units[0]!.text.startsWith('def long_function():'));
    assert.ok(units[2]!.text.endsWith('return total'));
  });

  it('splits a very large class into its own declarations, keeping its methods as separate units', async () => {
    const fields = Array.from({ length: 200 }, (_, i) => `  field${i} = ${i};`).join('\n');
    const source = `class Big {\n${fields}\n  method() { return 1; }\n}\n`;
    const { units } = await unitsOf(source, 'javascript', { maxUnitLines: 100, topLevelWindowLines: 40 });
    const names = units.map((unit) => unit.name);
    assert.ok(names.includes('Big.method'));
    const parts = units.filter((unit) => unit.kind === 'class');
    assert.ok(parts.length >= 2, `the class is split (${names.join(', ')})`);
    for (const part of parts) {
      assert.ok(part.endLine - part.startLine + 1 <= 100);
      assert.ok(!part.text.includes('method()'), 'methods are not repeated inside class parts');
    }
    assert.ok(parts[0]!.text.startsWith('class Big {'));
  });

  it('groups top-level code into windows of bounded length', async () => {
    const source = Array.from({ length: 100 }, (_, i) => `value_${i} = ${i}`).join('\n') + '\n';
    const { units } = await unitsOf(source, 'python', { maxUnitLines: 150, topLevelWindowLines: 40 });
    assert.deepEqual(units.map(describeUnit), ['toplevel <top-level> 1-40', 'toplevel <top-level> 41-80', 'toplevel <top-level> 81-100']);
  });

  it('keeps comment-only stretches out of top-level windows', async () => {
    const source = '// just a header comment\n// another line\n\nfunction f() {}\n';
    const { units } = await unitsOf(source, 'javascript');
    assert.deepEqual(units.map(describeUnit), ['function f 4-4']);
  });

  it('still yields what tree-sitter recovered from a file with syntax errors', async () => {
    const source = 'def good_one():\n    return 1\n\ndef broken(:\n    return (\n\ndef good_two():\n    return 2\n';
    const { units, hasError } = await unitsOf(source, 'python');
    assert.equal(hasError, true);
    const names = units.map((unit) => unit.name);
    assert.ok(names.includes('good_one'), names.join(', '));
    assert.ok(names.includes('good_two'), names.join(', '));
  });

  it('gives equal text equal hashes and different text different hashes', async () => {
    const source = 'function a() { return 1; }\nfunction b() { return 1; }\n';
    const { units } = await unitsOf(source, 'javascript');
    const [a, b] = units;
    assert.notEqual(a!.hash, b!.hash);
    const again = await unitsOf(source, 'javascript');
    assert.equal(again.units[0]!.hash, a!.hash);
  });
});

describe('marker pruning', () => {
  // The walk skips subtrees without a marker; with a marker at every position it visits everything.
  // Both must find the same units, on the fixtures and on real code shipped in npm packages.
  const exhaustive = Object.fromEntries(Object.entries(UNIT_RULES).map(([language, rules]) => [language, { ...rules, markers: (source: string) => Array.from({ length: source.length }, (_, i) => i) }])) as typeof UNIT_RULES;
  const modules = join(FIXTURES, '..', '..', '..', 'node_modules');
  const realFiles = [
    join(modules, 'commander', 'lib', 'command.js'),
    join(modules, 'picomatch', 'lib', 'parse.js'),
    join(modules, 'ignore', 'index.js'),
    join(modules, 'web-tree-sitter', 'web-tree-sitter.cjs'),
    join(modules, 'typescript', 'lib', 'lib.dom.d.ts'),
    join(modules, '@types', 'node', 'fs.d.ts'),
    ...Object.keys(EXPECTED).map((file) => join(FIXTURES, 'languages', file)),
    join(FIXTURES, 'pruning', 'awkward.ts'),
  ];
  for (const path of realFiles) {
    it(`never loses a unit: ${path.slice(path.lastIndexOf('node_modules') + 1 || path.lastIndexOf('fixtures'))}`, async () => {
      const source = readFileSync(path, 'utf8');
      const language = languageForPath(path)!.id;
      const parser = await (await treeSitter()).createParser(language);
      const tree = parser.parse(source)!;
      try {
        const pruned = new CodeUnitExtractor(DEFAULT_CHUNKING).extract(tree, source, language, path).map(describeUnit);
        const full = new CodeUnitExtractor(DEFAULT_CHUNKING, exhaustive).extract(tree, source, language, path).map(describeUnit);
        assert.ok(full.length > 0);
        assert.deepEqual(pruned, full);
      } finally {
        tree.delete();
        parser.delete();
      }
    });
  }
});

describe('documentation is not a unit on its own', () => {
  it('drops a top-level window that is only a module docstring or comments', async () => {
    const { units } = await unitsOf('"""The module docstring.\n\nMore text.\n"""\n\n\ndef f():\n    return 1\n', 'python');
    assert.deepEqual(units.map(describeUnit), ['function f 7-8']);
  });

  it('drops the parts of a large class that hold only the comments between its methods', async () => {
    const methods = Array.from({ length: 6 }, (_, i) => `    # ${'-'.repeat(20)} section ${i}\n    # explains method ${i}\n\n    def m${i}(self):\n${'        x = 1\n'.repeat(20)}        return x\n`).join('\n');
    const { units } = await unitsOf(`class Big:\n    """A big class."""\n    size = 1\n\n${methods}`, 'python', { maxUnitLines: 60, topLevelWindowLines: 40 });
    const parts = units.filter((unit) => unit.kind === 'class');
    assert.equal(parts.length, 1, parts.map((part) => part.name).join(', '));
    assert.ok(parts[0]!.text.startsWith('class Big:'));
    assert.equal(units.filter((unit) => unit.kind === 'method').length, 6);
  });
});
