import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { CodeTokenizer } from '../../src/core/tokenize/codeTokenizer';
import { loadCodeTokenizer } from '../../src/core/tokenize/tokenizerFile';
import { encodeTracedExecution, LINE_EXECUTED, LINE_NOT_EXECUTED, NO_LABEL, TracedExecution } from '../../src/core/tokenize/traceLabels';
import { RECORD_BYTES } from '../../src/core/tokenize/shardWriter';
import { SEP, TEXT_TAG } from '../../src/core/tokenize/vocabulary';
import { temporaryFolder, treeSitter } from './helpers';

const ROOT = join(__dirname, '..', '..', '..');
const TOKENIZER = join(ROOT, 'models', 'encoder', 'tokenizer.json');
const CATEGORIES = ['none', 'zero', 'positive', 'negative', 'empty', 'non_empty'];

// Lines: 0 def, 1 total = 0, 2 for, 3 if, 4 total +=, 5 else:, 6 total -=, 7 return
const SOURCE = [
  'def signed_sum(values):',
  '    total = 0',
  '    for value in values:',
  '        if value > 0:',
  '            total += value',
  '        else:',
  '            total -= value',
  '    return total',
].join('\n');

const EXECUTION: TracedExecution = {
  language: 'python',
  source: SOURCE,
  input: 'signed_sum([1, 2])',
  executed: [1, 2, 3, 4, 7],
  values: [
    { line: 1, name: 'total', category: 'zero' },
    { line: 4, name: 'total', category: 'positive' },
    { line: 2, name: 'value', category: 'positive' },
    { line: 4, name: 'missing', category: 'positive' },
    { line: 7, name: 'total', category: 'not-a-category' },
  ],
};

describe('traced executions as training sequences', () => {
  let tokenizer: CodeTokenizer;
  before(async () => {
    tokenizer = await loadCodeTokenizer(TOKENIZER, await treeSitter(), ['python']);
  });
  after(() => tokenizer.dispose());

  it('puts the code, then the input after a <text> tag, and labels every code line but the signature', () => {
    const sequence = encodeTracedExecution(tokenizer, EXECUTION, CATEGORIES, { maxTokens: 256, maxInputTokens: 48 });
    assert.equal(sequence.ids.length, sequence.coverage.length);
    assert.equal(sequence.ids.length, sequence.values.length);
    const tag = sequence.ids.indexOf(TEXT_TAG, 2);
    assert.ok(tag > 0, 'the input follows a <text> tag');
    assert.equal(sequence.ids.at(-1), SEP);
    assert.deepEqual(tokenizer.vocabulary.tokens[sequence.ids[tag + 1]], 'signed');
    // Seven body lines, one label each, on the line's first token.
    const labels = [...sequence.coverage].filter((label) => label !== NO_LABEL);
    assert.deepEqual(labels, [LINE_EXECUTED, LINE_EXECUTED, LINE_EXECUTED, LINE_EXECUTED, LINE_NOT_EXECUTED, LINE_NOT_EXECUTED, LINE_EXECUTED]);
    assert.equal(sequence.labelledLines, 7);
    assert.equal(sequence.executedLines, 5);
    const firstOfLine = (text: string) => {
      const index = [...sequence.coverage].findIndex((label, token) => label !== NO_LABEL && tokenizer.vocabulary.tokens[sequence.ids[token]] === text);
      assert.ok(index >= 0, `a labelled token "${text}"`);
      return sequence.coverage[index];
    };
    assert.equal(firstOfLine('return'), LINE_EXECUTED);
    assert.equal(firstOfLine('else'), LINE_NOT_EXECUTED);
    assert.ok(sequence.coverage.subarray(tag).every((label) => label === NO_LABEL), 'the input has no labels');
  });

  it('labels each occurrence of a traced variable on its line with its category, and nothing else', () => {
    const sequence = encodeTracedExecution(tokenizer, EXECUTION, CATEGORIES, { maxTokens: 256, maxInputTokens: 48 });
    const labelled = [...sequence.values].flatMap((label, token) => (label === NO_LABEL ? [] : [[tokenizer.vocabulary.tokens[sequence.ids[token]], CATEGORIES[label - 1]]]));
    // total on line 1 (zero), the loop variable on line 2 (`values` is another name), total on line 4; `missing` is not in the code, the last category unknown.
    assert.deepEqual(labelled, [['total', 'zero'], ['value', 'positive'], ['total', 'positive']]);
    assert.equal(sequence.labelledValues, 3);
  });

  it('keeps within the token budget: the input is cut first to its share, then the code', () => {
    const long: TracedExecution = { ...EXECUTION, input: Array.from({ length: 200 }, (_, i) => `argument${i}`).join(' ') };
    const sequence = encodeTracedExecution(tokenizer, long, CATEGORIES, { maxTokens: 40, maxInputTokens: 12 });
    assert.equal(sequence.ids.length, 40);
    assert.equal(sequence.ids.length - sequence.ids.indexOf(TEXT_TAG, 2), 12);
    assert.equal(sequence.ids.at(-1), SEP);
  });

  it('`tokenizer.js traces` writes aligned train and valid shards and skips runs that did not finish', (t) => {
    const folder = temporaryFolder(t);
    const traces = join(folder, 'traces.jsonl');
    const record = (split: string, status: string, input: string) => JSON.stringify({ ...EXECUTION, package: 'demo', split, status, input, executed: status === 'timeout' ? [] : EXECUTION.executed });
    writeFileSync(traces, [record('train', 'ok', 'signed_sum([1])'), record('train', 'ok', 'signed_sum([1])'), record('train', 'exception', 'signed_sum(None)'),
      record('valid', 'ok', 'signed_sum([])'), record('train', 'timeout', 'signed_sum(forever())'), '{not json'].join('\n') + '\n');
    const categories = join(folder, 'categories.json');
    writeFileSync(categories, JSON.stringify({ types: ['int'], categories: CATEGORIES }));
    const run = spawnSync(process.execPath, [join(ROOT, 'dist', 'tokenizer.js'), 'traces', '--traces', traces, '--tokenizer', TOKENIZER, '--categories', categories, '--out', join(folder, 'out')], { encoding: 'utf8' });
    assert.equal(run.status, 0, run.stderr);
    assert.match(run.stderr, /6 records: 3 executions encoded .* 1 not run to the end, 1 duplicates, 1 malformed/);
    for (const split of ['train', 'valid']) {
      const shards = ['ids', 'coverage', 'values'].map((kind) => JSON.parse(readFileSync(join(folder, 'out', `${split}.${kind}.json`), 'utf8')) as { sequences: number; tokens: number; categories: string[] });
      assert.equal(shards[0].sequences, split === 'train' ? 2 : 1);
      assert.ok(shards.every((shard) => shard.sequences === shards[0].sequences && shard.tokens === shards[0].tokens), `${split}: the three shards align`);
      assert.deepEqual(shards[1].categories, CATEGORIES);
    }
  });
  it('`tokenizer.js traces --valid-buckets` holds out whole packages by name, the same ones every run', (t) => {
    const folder = temporaryFolder(t);
    const traces = join(folder, 'traces.jsonl');
    const packages = Array.from({ length: 24 }, (_, index) => `package-${index}`);
    // Three executions per package (distinct inputs, so none is a duplicate); package-0 is a corpus validation package.
    const records = packages.flatMap((name, index) => [1, 2, 3].map((n) =>
      JSON.stringify({ ...EXECUTION, package: name, split: index === 0 ? 'valid' : 'train', status: 'ok', input: `signed_sum([${index}, ${n}])` })));
    writeFileSync(traces, records.join('\n') + '\n');
    const heldOut = (out: string): Set<string> => {
      const run = spawnSync(process.execPath, [join(ROOT, 'dist', 'tokenizer.js'), 'traces', '--traces', traces, '--tokenizer', TOKENIZER, '--valid-buckets', '4', '--out', join(folder, out)], { encoding: 'utf8' });
      assert.equal(run.status, 0, run.stderr);
      const split = (name: string): string[] => {
        const names = (JSON.parse(readFileSync(join(folder, out, `${name}.ids.json`), 'utf8')) as { packages: string[] }).packages;
        const index = readFileSync(join(folder, out, `${name}.ids.idx`));
        return Array.from({ length: index.length / RECORD_BYTES }, (_, row) => names[index.readUInt32LE(row * RECORD_BYTES + 16)]!);
      };
      const valid = split('valid');
      const train = split('train');
      assert.equal(valid.length + train.length, records.length);
      for (const name of new Set(valid)) assert.equal(valid.filter((v) => v === name).length, 3, `${name}: all its executions held out`);
      assert.ok(!train.some((name) => valid.includes(name)), 'no package on both sides');
      return new Set(valid);
    };
    const first = heldOut('a');
    assert.ok(first.has('package-0'), "the corpus's validation package stays held out");
    assert.ok(first.size > 2 && first.size < 12, `about a quarter of 24 packages held out, got ${first.size}`);
    assert.deepEqual([...heldOut('b')].sort(), [...first].sort());
  });
});
