import assert from 'node:assert/strict';
import { cpSync, readFileSync, rmSync, utimesSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { detectClones } from '../../src/core/clones/cloneDetector';
import { cloneSettings } from '../../src/core/clones/cloneSettings';
import { CloneFileCache, scanCloneCorpus } from '../../src/core/clones/cloneSources';
import { TokenCorpus } from '../../src/core/clones/tokenCorpus';
import { DEFAULT_SCAN_OPTIONS } from '../../src/core/scan/workspaceScanner';
import { FIXTURES, temporaryFolder, treeSitter } from './helpers';

const SETTINGS = cloneSettings({ types: [1, 2, 3] });

/** What a corpus holds, in a form two corpora can be compared by (token texts, not ids). */
function snapshot(corpus: TokenCorpus): object {
  const texts = new Map<number, string>();
  for (let at = 0; at < corpus.length; at++) if (!texts.has(corpus.exact[at]!)) texts.set(corpus.exact[at]!, `t${texts.size}`);
  const byPath = [...corpus.files].map((file) => ({
    ...file,
    tokens: Array.from(corpus.exact.slice(file.tokenStart, file.tokenEnd), (id) => texts.get(id)),
    units: corpus.units.filter((unit) => corpus.files[unit.file] === file).map((unit) => ({ ...unit, file: file.path, tokenStart: unit.tokenStart - file.tokenStart, tokenEnd: unit.tokenEnd - file.tokenStart })),
  }));
  return byPath.sort((a, b) => a.path.localeCompare(b.path));
}

describe('clone detection refreshed from a file cache', () => {
  it('parses only changed files and finds exactly what a scan from scratch finds', async (t) => {
    const root = temporaryFolder(t);
    cpSync(join(FIXTURES, 'clones', 'planted'), root, { recursive: true });
    const runtime = await treeSitter();
    const options = { ...DEFAULT_SCAN_OPTIONS, exclude: [] };
    const cache = new CloneFileCache();

    const first = await scanCloneCorpus(root, runtime, options, undefined, undefined, cache);
    const fresh = await scanCloneCorpus(root, runtime, options);
    assert.equal(cache.files.size, first.report.parsed);
    assert.deepEqual(detectClones(first.corpus, SETTINGS).classes, detectClones(fresh.corpus, SETTINGS).classes);
    assert.ok(detectClones(first.corpus, SETTINGS).classes.length > 0);

    // Unchanged files come from the cache: the same entries, the same corpus.
    const entries = new Map(cache.files);
    const again = await scanCloneCorpus(root, runtime, options, undefined, undefined, cache);
    for (const [path, entry] of cache.files) assert.equal(entry, entries.get(path), `${path} was parsed again`);
    assert.deepEqual(snapshot(again.corpus), snapshot(fresh.corpus));

    // An edited file is parsed again and a deleted one dropped; the result is a fresh scan's.
    const edited = join(root, 'stats_alt.py');
    writeFileSync(edited, `${readFileSync(edited, 'utf8')}\n\ndef extra(values):\n    return [value * 2 for value in values]\n`);
    utimesSync(edited, new Date(), new Date(Date.now() + 5000));
    rmSync(join(root, 'settings_copy.go'));
    const refreshed = await scanCloneCorpus(root, runtime, options, undefined, undefined, cache);
    assert.notEqual(cache.files.get('stats_alt.py'), entries.get('stats_alt.py'));
    assert.equal(cache.files.get('stats.py'), entries.get('stats.py'));
    assert.ok(!cache.files.has('settings_copy.go'));
    const scratch = await scanCloneCorpus(root, runtime, options);
    assert.deepEqual(snapshot(refreshed.corpus), snapshot(scratch.corpus));
    assert.deepEqual(detectClones(refreshed.corpus, SETTINGS).classes, detectClones(scratch.corpus, SETTINGS).classes);
  });
});
