import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { unitDocumentation } from '../../src/core/parse/docComments';

describe('unit documentation', () => {
  it('takes a Python docstring out of the code, stopping at Args:', () => {
    const text = 'def read_lines(path):\n    """Read a file line by line. Blank lines are kept.\n\n    Args:\n        path: where.\n    """\n    with open(path) as f:\n        return f.readlines()\n';
    const doc = unitDocumentation(text, 'python')!;
    assert.equal(doc.summary, 'Read a file line by line.');
    assert.equal(doc.text, 'Read a file line by line. Blank lines are kept.');
    assert.equal(doc.code, 'def read_lines(path):\n    with open(path) as f:\n        return f.readlines()\n');
  });

  it('handles decorators, one-line and raw docstrings, and comments above a Python function', () => {
    const doc = unitDocumentation('# Retry helpers.\n@cache\ndef retry(fn):\n    r"""Retry with backoff."""\n    return fn\n', 'python')!;
    assert.equal(doc.text, 'Retry helpers.\nRetry with backoff.');
    assert.equal(doc.code, '@cache\ndef retry(fn):\n    return fn\n');
    assert.equal(unitDocumentation("def f():\n    'Single quoted.'\n    pass\n", 'python')!.summary, 'Single quoted.');
    assert.equal(unitDocumentation('def f():\n    return """not a docstring"""\n', 'python'), undefined);
  });

  it('takes a JSDoc block, stopping at the first tag, and inline tags become text', () => {
    const text = '/**\n * Parses a price such as {@link Price} from text.\n * Accepts commas.\n * @param text the input\n */\nfunction parsePrice(text) { return 1; }';
    const doc = unitDocumentation(text, 'javascript')!;
    assert.equal(doc.summary, 'Parses a price such as Price from text.');
    assert.equal(doc.code, 'function parsePrice(text) { return 1; }');
  });

  it('takes line doc comments in Go and Rust, leaving Rust attributes in the code', () => {
    const go = unitDocumentation('// Area returns the area of the circle.\nfunc (c Circle) Area() float64 { return 0 }', 'go')!;
    assert.equal(go.summary, 'Area returns the area of the circle.');
    const rust = unitDocumentation('/// A 2x2 matrix.\n/// Row major.\n#[derive(Debug)]\npub struct Matrix {}', 'rust')!;
    assert.equal(rust.text, 'A 2x2 matrix.\nRow major.');
    assert.equal(rust.code, '#[derive(Debug)]\npub struct Matrix {}');
  });

  it('says so when there is no documentation', () => {
    assert.equal(unitDocumentation('int add(int a, int b) { return a + b; }', 'c'), undefined);
    assert.equal(unitDocumentation('//\nint f();', 'c'), undefined);
  });
});
