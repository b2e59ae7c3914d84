import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { DEFAULT_CLONE_SETTINGS } from '../../src/core/clones/cloneSettings';

interface Manifest {
  contributes: {
    commands: { command: string }[];
    configuration: { properties: Record<string, { default?: unknown }> };
    views: Record<string, { id: string }[]>;
    menus: Record<string, { command: string }[]>;
  };
}

const manifest = JSON.parse(readFileSync(join(__dirname, '..', '..', '..', 'package.json'), 'utf8')) as Manifest;

describe('extension manifest', () => {
  it('offers the core clone defaults as the astrolabe.clones.* setting defaults', () => {
    const properties = manifest.contributes.configuration.properties;
    assert.deepEqual(properties['astrolabe.clones.types']?.default, [...DEFAULT_CLONE_SETTINGS.types]);
    assert.equal(properties['astrolabe.clones.minTokens']?.default, DEFAULT_CLONE_SETTINGS.minTokens);
    assert.equal(properties['astrolabe.clones.minLines']?.default, DEFAULT_CLONE_SETTINGS.minLines);
    assert.equal(properties['astrolabe.clones.type3Similarity']?.default, DEFAULT_CLONE_SETTINGS.type3Similarity);
    assert.equal(properties['astrolabe.clones.type4Similarity']?.default, null, "the encoder's calibrated threshold");
    assert.equal(properties['astrolabe.clones.diagnostics.enabled']?.default, false, 'clone diagnostics are off by default');
  });

  it('declares every command that a menu names', () => {
    const declared = new Set(manifest.contributes.commands.map((command) => command.command));
    for (const [menu, items] of Object.entries(manifest.contributes.menus)) {
      for (const item of items) assert.ok(declared.has(item.command), `${menu} names ${item.command}, which is not declared`);
    }
  });
});
