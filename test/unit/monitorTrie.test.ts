import assert from 'node:assert/strict';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { CompletionTokenizer } from '../../src/core/monitor/completionTokenizer';
import { continuesIdentifier, VocabularyTrie } from '../../src/core/monitor/vocabularyTrie';

const MODEL = join(__dirname, '..', '..', '..', 'models', 'completion');

function allowedTexts(trie: VocabularyTrie, remainders: string[], extra: number[] = []): string[] {
  const mask = trie.identifierMask(remainders, extra);
  const texts = trie.tokenTexts.filter((_, token) => mask.allowed[token]);
  assert.equal(mask.count, texts.length);
  return texts.sort();
}

/** The definition maskgen implements, checked token by token. */
function allowedByDefinition(text: string, remainders: string[]): boolean {
  return text !== '' && remainders.some((rest) => rest.startsWith(text) || (text.startsWith(rest) && text.length > rest.length && !continuesIdentifier(text[rest.length]!)));
}

describe('VocabularyTrie.identifierMask', () => {
  const vocabulary = ['a', 'ar', 'are', 'area', 'area(', 'area.x', 'areas', 'ar)', ' area', 'rad', 'radius', 'radius;', 'ius', 'x', '(', ''];
  const trie = new VocabularyTrie(vocabulary);

  it('allows prefixes of a remainder and the whole remainder followed by a non-identifier character', () => {
    assert.deepEqual(allowedTexts(trie, ['area', 'radius']), ['a', 'ar', 'are', 'area', 'area(', 'area.x', 'rad', 'radius', 'radius;'].sort());
  });

  it('continues from what was already written (the remainders), and an empty remainder allows only enders', () => {
    assert.deepEqual(allowedTexts(trie, ['ius']), ['ius']);
    assert.deepEqual(allowedTexts(trie, ['']), [' area', '('], 'only tokens starting with a character that ends the identifier');
    // End-of-text ids are allowed only once some identifier is complete.
    assert.equal(trie.identifierMask([''], [15]).allowed[15], 1);
    assert.equal(trie.identifierMask(['ius'], [15]).allowed[15], 0);
  });

  it('allows nothing when no token fits', () => {
    assert.equal(trie.identifierMask(['zzz']).count, 0);
  });

  it('matches the definition on the real vocabulary', () => {
    const tokenizer = CompletionTokenizer.fromFile(join(MODEL, 'tokenizer.json'));
    const real = new VocabularyTrie(tokenizer.tokenTexts);
    for (const remainders of [['length', 'map', 'filter', 'forEach', 'flatMap'], ['Circle', 'circumference'], ['ength'], ['']]) {
      const mask = real.identifierMask(remainders);
      const expected = tokenizer.tokenTexts.map((text) => allowedByDefinition(text, remainders));
      const mismatched = tokenizer.tokenTexts.filter((_, token) => Boolean(mask.allowed[token]) !== expected[token]);
      assert.deepEqual(mismatched, [], `remainders ${remainders.join(',')}`);
      assert.ok(mask.count > 0);
    }
  });

  it('knows which characters continue an identifier', () => {
    for (const char of ['a', 'Z', '0', '_', '$', 'é']) assert.ok(continuesIdentifier(char), char);
    for (const char of ['.', '(', ' ', '\n', ';', '-', ')']) assert.ok(!continuesIdentifier(char), JSON.stringify(char));
  });
});
