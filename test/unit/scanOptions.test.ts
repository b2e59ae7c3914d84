import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { DEFAULT_SCAN_OPTIONS } from '../../src/core/scan/workspaceScanner';
import { toScanOptions } from '../../src/extension/scanOptions';

describe('settings to scan options', () => {
  it('combines astrolabe.exclude with the true entries of files.exclude', () => {
    const options = toScanOptions({
      exclude: ['**/gen/**'], respectGitignore: false, maxFileSizeKB: 10, maxUnitLines: 80, topLevelWindowLines: 20,
      filesExclude: { '**/.DS_Store': true, '**/out': false, '**/*.js': { when: '$(basename).ts' } },
    });
    assert.deepEqual(options.exclude, ['**/gen/**', '**/.DS_Store']);
    assert.equal(options.respectGitignore, false);
    assert.equal(options.maxFileSizeBytes, 10 * 1024);
    assert.deepEqual(options.chunking, { maxUnitLines: 80, topLevelWindowLines: 20 });
  });

  it('falls back to defaults for values of the wrong type or range', () => {
    const options = toScanOptions({ exclude: 'node_modules', respectGitignore: 'yes', maxFileSizeKB: -1, maxUnitLines: Number.NaN, topLevelWindowLines: '40', filesExclude: {} });
    assert.deepEqual(options, DEFAULT_SCAN_OPTIONS);
  });
});
