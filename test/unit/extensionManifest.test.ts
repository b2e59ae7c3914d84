import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { DEFAULT_CLONE_SETTINGS } from '../../src/core/clones/cloneSettings';
import { LANGUAGES } from '../../src/core/parse/languages';

interface Manifest {
  activationEvents: string[];
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

  it('activates in a workspace with files of any language Astrolabe parses, and on opening one', () => {
    const glob = manifest.activationEvents.find((event) => event.startsWith('workspaceContains:'));
    const extensions = new Set(/\{(.*)\}$/.exec(glob ?? '')?.[1]?.split(',').map((extension) => `.${extension}`));
    for (const language of LANGUAGES) {
      for (const extension of language.extensions) assert.ok(extensions.has(extension), `${extension} (${language.id}) is missing from ${glob}`);
      for (const id of language.editorLanguageIds) assert.ok(manifest.activationEvents.includes(`onLanguage:${id}`), `onLanguage:${id} is missing`);
    }
  });

  it('declares every command that a menu names', () => {
    const declared = new Set(manifest.contributes.commands.map((command) => command.command));
    for (const [menu, items] of Object.entries(manifest.contributes.menus)) {
      for (const item of items) assert.ok(declared.has(item.command), `${menu} names ${item.command}, which is not declared`);
    }
  });
});
