import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { diffIndex } from '../../src/core/index/indexDiff';
import { FileStamp } from '../../src/core/scan/workspaceScanner';

const stamps = (entries: [string, number, number][]): Map<string, FileStamp> => new Map(entries.map(([path, mtimeMs, size]) => [path, { mtimeMs, size }]));

describe('index diff', () => {
  it('parses new and changed files, drops gone ones, leaves the rest', () => {
    const indexed = stamps([['a.py', 1, 10], ['b.py', 1, 10], ['gone.py', 1, 10], ['grown.py', 1, 10]]);
    const current = stamps([['a.py', 1, 10], ['b.py', 2, 10], ['grown.py', 1, 11], ['new.py', 5, 3]]);
    assert.deepEqual(diffIndex(indexed, current), { toParse: ['b.py', 'grown.py', 'new.py'], toRemove: ['gone.py'], unchanged: 1 });
  });

  it('a rename is a removal and a new file (whose units keep their vectors by hash)', () => {
    assert.deepEqual(diffIndex(stamps([['old.py', 1, 10]]), stamps([['new.py', 1, 10]])), { toParse: ['new.py'], toRemove: ['old.py'], unchanged: 0 });
  });

  it('an empty index parses everything; an empty workspace removes everything', () => {
    assert.deepEqual(diffIndex(new Map(), stamps([['a.py', 1, 1]])).toParse, ['a.py']);
    assert.deepEqual(diffIndex(stamps([['a.py', 1, 1]]), new Map()).toRemove, ['a.py']);
  });
});
