import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { FIXTURES, temporaryFolder } from './helpers';

const CLI = join(__dirname, '..', '..', '..', 'dist', 'cli.js');
const REPORT = join(FIXTURES, 'monitor', 'project', 'src', 'report.ts');
const MEMBERS = ['area', 'circumference', 'radius', 'scaledBy'];

function astrolabe(...args: string[]): { status: number | null; stdout: string; stderr: string } {
  const result = spawnSync(process.execPath, [CLI, ...args], { encoding: 'utf8' });
  return { status: result.status, stdout: result.stdout, stderr: result.stderr };
}

/** The cursor just after the dot of `needle` in the fixture (the project's tsconfig.json gives the analysis its context). */
function offsetAfterDot(needle: string): number {
  const text = readFileSync(REPORT, 'utf8');
  return text.indexOf(needle) + needle.indexOf('.') + 1;
}

describe('astrolabe complete', () => {
  it('batch mode answers every prompt, in order, with exactly the documented fields', (t) => {
    const folder = temporaryFolder(t);
    const prompts = [
      { id: 'circle', file: REPORT, offset: offsetAfterDot('circle.scaledBy') },
      { id: 'bigger', file: REPORT, offset: offsetAfterDot('bigger.circumference') },
      { id: 'start', file: REPORT, offset: 0 },
    ];
    const input = join(folder, 'prompts.jsonl');
    writeFileSync(input, prompts.map((prompt) => JSON.stringify(prompt)).join('\n') + '\n');
    const run = astrolabe('complete', '--prompts', input, '--max-tokens', '32');
    assert.equal(run.status, 0, run.stderr);
    const lines = run.stdout.trim().split('\n').map((line) => JSON.parse(line) as Record<string, unknown>);
    assert.deepEqual(lines.map((line) => line.id), ['circle', 'bigger', 'start']);
    for (const line of lines) {
      assert.deepEqual(Object.keys(line), ['id', 'completion', 'latency_ms', 'monitor_triggered']);
      assert.equal(typeof line.completion, 'string');
      assert.ok(Number(line.latency_ms) > 0);
    }
    assert.deepEqual(lines.map((line) => line.monitor_triggered), [true, true, false]);
    for (const line of lines.slice(0, 2)) assert.ok(MEMBERS.includes(/^[\w$]+/.exec(String(line.completion))?.[0] ?? ''), String(line.completion));
    assert.match(run.stderr, /3 completions/);

    const plain = astrolabe('complete', '--prompts', input, '--no-monitor', '--max-tokens', '4');
    assert.equal(plain.status, 0, plain.stderr);
    assert.ok(plain.stdout.trim().split('\n').every((line) => (JSON.parse(line) as { monitor_triggered: boolean }).monitor_triggered === false));
  });

  it('single mode completes at <file>:<line>:<col> and explains the constraint', () => {
    // Line 4 is "  const bigger = circle.scaledBy(2);": column 25 is just after the dot.
    const run = astrolabe('complete', `${REPORT}:4:25`, '--explain', '--max-tokens', '32');
    assert.equal(run.status, 0, run.stderr);
    assert.ok(MEMBERS.includes(/^[\w$]+/.exec(run.stdout)?.[0] ?? ''), run.stdout);
    // area and circumference are used later in the file: listed first, and preferred.
    assert.match(run.stderr, /dereference: line 4: after '\.', only the 4 members static analysis lists \(2 of them used elsewhere in the file, preferred\): area, circumference, radius, scaledBy/);
  });

  it('completes Python with pyright as the static analysis, and exits when done', () => {
    // Line 20 is "    bigger = circle.scaled_by(2)": column 21 is just after the dot.
    const shapes = join(FIXTURES, 'monitor', 'python', 'shapes.py');
    const run = astrolabe('complete', `${shapes}:20:21`, '--json', '--max-tokens', '16');
    assert.equal(run.status, 0, run.stderr);
    const answer = JSON.parse(run.stdout) as { completion: string; monitor_triggered: boolean; events: { reason: string; legal: string[] }[] };
    assert.ok(answer.monitor_triggered);
    assert.deepEqual(answer.events[0]!.legal.filter((name) => !name.startsWith('__')).sort(), ['area', 'circumference', 'radius', 'scaled_by']);
    assert.ok(answer.events[0]!.legal.includes(/^\w+/.exec(answer.completion)?.[0] ?? ''), answer.completion);
  });

  it('says so when the file is in a language the model was not trained on, and completes it anyway', (t) => {
    const notes = join(temporaryFolder(t), 'notes.txt');
    writeFileSync(notes, 'see the report.\n');
    const run = astrolabe('complete', `${notes}:1:8`, '--max-tokens', '4');
    assert.equal(run.status, 0, run.stderr);
    assert.match(run.stderr, /was trained on .*javascript.*, not on this file type; completing anyway/);
    assert.doesNotMatch(astrolabe('complete', `${REPORT}:1:1`, '--max-tokens', '2').stderr, /not on/);
  });

  it('reports bad input clearly', (t) => {
    assert.equal(astrolabe('complete').status, 2);
    assert.match(astrolabe('complete', `${REPORT}:400:1`).stderr, /no such line and column/);
    const folder = temporaryFolder(t);
    const input = join(folder, 'prompts.jsonl');
    writeFileSync(input, `${JSON.stringify({ id: 'far', file: REPORT, offset: 10 ** 6 })}\n`);
    const run = astrolabe('complete', '--prompts', input);
    assert.equal(run.status, 0);
    assert.match(String((JSON.parse(run.stdout) as { error: string }).error), /outside/);
  });
});
