import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { languageForEditorId, languageForPath } from '../../src/core/parse/languages';

describe('languages', () => {
  it('maps file names to languages by extension, case-insensitively', () => {
    const cases: [string, string | undefined][] = [
      ['a/b/c.py', 'python'], ['x.PY', 'python'], ['m.mjs', 'javascript'], ['c.jsx', 'javascript'], ['t.ts', 'typescript'],
      ['t.d.ts', 'typescript'], ['v.tsx', 'tsx'], ['A.java', 'java'], ['g.go', 'go'], ['r.rs', 'rust'], ['c.c', 'c'], ['c.h', 'c'],
      ['k.cc', 'cpp'], ['k.hpp', 'cpp'], ['README.md', undefined], ['Makefile', undefined], ['.py', undefined], ['dir.py/file', undefined],
    ];
    for (const [path, expected] of cases) assert.equal(languageForPath(path)?.id, expected, path);
  });

  it('maps VS Code language ids to grammars', () => {
    assert.equal(languageForEditorId('typescriptreact')?.id, 'tsx');
    assert.equal(languageForEditorId('javascriptreact')?.id, 'javascript');
    assert.equal(languageForEditorId('markdown'), undefined);
  });
});
