import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { HeadlessAnalysis } from '../../src/core/monitor/headlessAnalysis';
import { PyrightAnalysis } from '../../src/core/monitor/pyrightAnalysis';
import { temporaryFolder } from './helpers';

const SHAPES = `from collections import OrderedDict


class Circle:
    def __init__(self, radius: float) -> None:
        self.radius = radius

    def area(self) -> float:
        return 3.14159 * self.radius ** 2


def describe(circle: Circle, counts: "OrderedDict[str, int]", anything) -> str:
    return str(circle)
`;

/** The module with \`line\` put in describe's body; the question is asked right after its last dot. */
function question(fileName: string, line: string): { fileName: string; text: string; offset: number } {
  const text = SHAPES.replace('    return str(circle)', `    ${line}\n    return str(circle)`);
  return { fileName, text, offset: text.indexOf(line) + line.length };
}

describe('PyrightAnalysis (pyright language server, headless)', () => {
  let folder: string;
  let file: string;
  const analysis = new PyrightAnalysis();
  before(() => {
    folder = mkdtempSync(join(tmpdir(), 'astrolabe-pyright-'));
    writeFileSync(join(folder, 'pyproject.toml'), '[project]\nname = "shapes"\n');
    file = join(folder, 'shapes.py');
    writeFileSync(file, SHAPES);
  });
  after(async () => {
    await analysis.close();
    rmSync(folder, { recursive: true, force: true });
  });

  it("lists the members of the receiver's type: the class's own, and a standard library type's", async () => {
    const circle = await analysis.memberNames(question(file, 'size = circle.'));
    assert.ok(circle?.includes('area') && circle.includes('radius'), String(circle));
    assert.ok(!circle?.includes('move_to_end'));
    const counts = await analysis.memberNames(question(file, 'counts.'));
    assert.ok(counts?.includes('move_to_end') && counts.includes('items'), String(counts));
    assert.ok(!counts?.includes('area'));
  });

  it('reads the text it is given, not the file on disk, and closes the line for the question', async () => {
    const text = SHAPES.replace('    return str(circle)', '    total = sum([circle.])\n    return str(circle)');
    const names = await analysis.memberNames({ fileName: file, text, offset: text.indexOf('circle.]') + 'circle.'.length });
    assert.ok(names?.includes('area'), String(names));
  });

  it("reports pyright's errors for a text, as the benchmark's compile check reads them", async () => {
    assert.deepEqual(await analysis.errors(file, SHAPES), []);
    const broken = await analysis.errors(file, SHAPES.replace('return str(circle)', 'return str(circle.perimeter)'));
    assert.equal(broken.length, 1, JSON.stringify(broken));
    assert.match(broken[0]!.text, /reportAttributeAccessIssue: .*perimeter/);
    assert.equal(broken[0]!.line, SHAPES.split('\n').findIndex((line) => line.includes('return str(circle)')));
  });

  it('answers nothing for an untyped receiver, another language, or a cancelled question', async () => {
    assert.equal(await analysis.memberNames(question(file, 'anything.')), undefined);
    assert.equal(await analysis.memberNames({ fileName: join(folder, 'a.ts'), text: 'x.', offset: 2 }), undefined);
    const abort = new AbortController();
    abort.abort();
    assert.equal(await analysis.memberNames(question(file, 'size = circle.'), abort.signal), undefined);
  });
});

describe('HeadlessAnalysis', () => {
  it('sends Python to pyright and TypeScript to the TypeScript language service', async (t) => {
    const folder = temporaryFolder(t);
    writeFileSync(join(folder, 'shapes.py'), SHAPES);
    const analysis = new HeadlessAnalysis();
    t.after(() => analysis.close());
    const python = await analysis.memberNames(question(join(folder, 'shapes.py'), 'circle.'));
    assert.ok(python?.includes('area'), String(python));
    const source = 'class Square { side = 1; perimeter() { return 4 * this.side; } }\nconst s = new Square();\ns.';
    const typeScript = await analysis.memberNames({ fileName: join(folder, 'square.ts'), text: source, offset: source.length });
    assert.deepEqual([...(typeScript ?? [])].sort(), ['perimeter', 'side']);
  });
});
