import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { TypeScriptAnalysis } from '../../src/core/monitor/typeScriptAnalysis';
import { FIXTURES } from './helpers';

const PROJECT = join(FIXTURES, 'monitor', 'project');
const REPORT = join(PROJECT, 'src', 'report.ts');

/** The question the monitor asks after `receiver.` on the line containing `needle`, the rest of that line removed. */
function atDot(text: string, needle: string): { text: string; offset: number } {
  const offset = text.indexOf(needle) + needle.indexOf('.') + 1;
  return { text: text.slice(0, offset) + text.slice(text.indexOf('\n', offset)), offset };
}

describe('TypeScriptAnalysis', () => {
  const analysis = new TypeScriptAnalysis();
  const source = readFileSync(REPORT, 'utf8');

  it("lists the members of the receiver's type, from the project's other files", async () => {
    const names = await analysis.memberNames({ fileName: REPORT, ...atDot(source, 'circle.scaledBy') });
    assert.deepEqual([...(names ?? [])].sort(), ['area', 'circumference', 'radius', 'scaledBy']);
    const inventory = await analysis.memberNames({ fileName: REPORT, ...atDot(source, 'inventory.circles') });
    assert.deepEqual([...(inventory ?? [])].sort(), ['circles', 'totalArea']);
    const array = await analysis.memberNames({ fileName: REPORT, ...atDot(source, 'circles.length') });
    for (const member of ['length', 'map', 'filter', 'at']) assert.ok(array?.includes(member), member);
    assert.ok(!array?.includes('push'), 'a readonly array has no push');
  });

  it('answers inside a template literal and with the brackets of the line closed', async () => {
    const offset = source.indexOf('${circle.') + '${circle.'.length;
    const text = `${source.slice(0, offset)}}\`;${source.slice(source.indexOf('\n', offset))}`;
    assert.deepEqual([...((await analysis.memberNames({ fileName: REPORT, text, offset })) ?? [])].sort(), ['area', 'circumference', 'radius', 'scaledBy']);
  });

  it('gives no answer where the position is not a member access or the file is not TypeScript or JavaScript', async () => {
    assert.equal(await analysis.memberNames({ fileName: REPORT, text: source, offset: source.indexOf('const bigger') }), undefined);
    assert.equal(await analysis.memberNames({ fileName: join(PROJECT, 'notes.md'), text: 'a.', offset: 2 }), undefined);
  });

  it('reports diagnostics of edited text, and none for the fixture as written', () => {
    assert.deepEqual(analysis.diagnostics(REPORT, source), []);
    const broken = source.replace('circle.area()', 'circle.volume()');
    assert.match(analysis.diagnostics(REPORT, broken).join('\n'), /TS2339: Property 'volume' does not exist on type 'Circle'/);
    assert.deepEqual(analysis.diagnostics(REPORT, source), [], 'back to the text on disk');
  });

  it('honours cancellation', async () => {
    const abort = new AbortController();
    abort.abort();
    assert.equal(await analysis.memberNames({ fileName: REPORT, ...atDot(source, 'circle.scaledBy') }, abort.signal), undefined);
  });
});
