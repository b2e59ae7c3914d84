import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { CodeUnitExtractor } from '../../src/core/parse/codeUnitExtractor';
import { LanguageId } from '../../src/core/parse/languages';
import { ParsedDocument, pointAfter, TextChange } from '../../src/core/parse/parsedDocument';
import { treeSitter } from './helpers';

/** An edit the way an editor reports it: replace text[start, end) with `text`, positions from the old text. */
function change(source: string, start: number, end: number, text: string): TextChange {
  return { startIndex: start, oldEndIndex: end, startPosition: pointAt(source, start), oldEndPosition: pointAt(source, end), newText: text };
}

function pointAt(source: string, index: number): { row: number; column: number } {
  const before = source.slice(0, index);
  const row = before.split('\n').length - 1;
  return { row, column: index - (before.lastIndexOf('\n') + 1) };
}

function apply(source: string, changes: TextChange[]): string {
  let result = source;
  for (const edit of [...changes].sort((a, b) => b.startIndex - a.startIndex)) result = result.slice(0, edit.startIndex) + edit.newText + result.slice(edit.oldEndIndex);
  return result;
}

async function open(language: LanguageId, source: string): Promise<{ document: ParsedDocument; fresh: (text: string) => Promise<string>; close: () => void }> {
  const runtime = await treeSitter();
  const parser = await runtime.createParser(language);
  const extractor = new CodeUnitExtractor();
  const document = new ParsedDocument(parser, extractor, language, 'doc', source);
  const fresh = async (text: string): Promise<string> => {
    const other = await runtime.createParser(language);
    const tree = other.parse(text)!;
    const shape = tree.rootNode.toString();
    tree.delete();
    other.delete();
    return shape;
  };
  return { document, fresh, close: () => { document.delete(); parser.delete(); } };
}

describe('incremental parsing of an open document', () => {
  it('after each edit, the tree equals a fresh parse of the new text and the units follow', async () => {
    let source = 'def first():\n    return 1\n';
    const { document, fresh, close } = await open('python', source);
    try {
      assert.deepEqual(document.units().map((unit) => unit.name), ['first']);
      const steps: [number, number, string][] = [
        [source.length, source.length, '\ndef second(x):\n    return x * 2\n'],
        [4, 9, 'premier'], // rename first -> premier
        [0, 0, 'class Box:\n    def open(self):\n        pass\n\n'],
      ];
      for (const [start, end, text] of steps) {
        const edit = change(source, start, end, text);
        source = apply(source, [edit]);
        document.update([edit], source);
        assert.equal(document.syntaxTree(), await fresh(source));
      }
      assert.deepEqual(document.units().map((unit) => unit.name), ['Box', 'Box.open', 'premier', 'second']);
      assert.equal(document.units()[2]!.startLine, 5);
    } finally {
      close();
    }
  });

  it('applies several changes of one event (as an editor reports multi-cursor edits), non-ASCII text included', async () => {
    let source = 'const a = "é";\nfunction one() { return 1; }\nfunction two() { return 2; }\n';
    const { document, fresh, close } = await open('javascript', source);
    try {
      const edits = [
        change(source, source.indexOf('one'), source.indexOf('one') + 3, 'uno'),
        change(source, source.indexOf('two'), source.indexOf('two') + 3, 'dos'),
        change(source, source.indexOf('é'), source.indexOf('é') + 1, '😀 ü'),
      ];
      source = apply(source, edits);
      document.update(edits, source);
      assert.equal(document.syntaxTree(), await fresh(source));
      assert.deepEqual(document.units().filter((unit) => unit.kind === 'function').map((unit) => unit.name), ['uno', 'dos']);
      const bytes = Buffer.from(source);
      for (const unit of document.units()) assert.equal(bytes.subarray(unit.startByte, unit.endByte).toString(), unit.text);
    } finally {
      close();
    }
  });

  it('recovers through a syntax error typed midway and out of it again', async () => {
    let source = 'function ok() { return 1; }\n';
    const { document, close } = await open('typescript', source);
    try {
      const broken = change(source, source.length, source.length, 'function half(');
      source = apply(source, [broken]);
      document.update([broken], source);
      assert.equal(document.hasSyntaxErrors, true);
      assert.ok(document.units().some((unit) => unit.name === 'ok'));
      const fixed = change(source, source.length, source.length, ') { return 2; }\n');
      source = apply(source, [fixed]);
      document.update([fixed], source);
      assert.equal(document.hasSyntaxErrors, false);
      assert.deepEqual(document.units().map((unit) => unit.name), ['ok', 'half']);
    } finally {
      close();
    }
  });

  it('computes where typed text ends', () => {
    assert.deepEqual(pointAfter({ row: 2, column: 4 }, 'abc'), { row: 2, column: 7 });
    assert.deepEqual(pointAfter({ row: 2, column: 4 }, 'a\nbc\ndef'), { row: 4, column: 3 });
    assert.deepEqual(pointAfter({ row: 0, column: 0 }, 'x\n'), { row: 1, column: 0 });
  });
});
