import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { splitIdentifier, wordSpans } from '../../src/core/tokenize/identifierSplitter';
import { piecesOf } from '../../src/core/tokenize/lexeme';

describe('splitIdentifier', () => {
  it('splits camelCase, PascalCase, snake_case, SCREAMING_CASE and digits, lower-cased', () => {
    const cases: [string, string[]][] = [
      ['parseHTTPResponse2', ['parse', 'http', 'response', '2']],
      ['getValue', ['get', 'value']],
      ['XMLHttpRequest', ['xml', 'http', 'request']],
      ['IOError', ['io', 'error']],
      ['get_user_name', ['get', 'user', 'name']],
      ['MAX_BUFFER_SIZE', ['max', 'buffer', 'size']],
      ['getX', ['get', 'x']],
      ['x86_64', ['x', '86', '64']],
      ['utf8Decode', ['utf', '8', 'decode']],
      ['i', ['i']],
      ['HTTP', ['http']],
      ['ABCs', ['ab', 'cs']],
    ];
    for (const [identifier, pieces] of cases) assert.deepEqual(splitIdentifier(identifier), pieces, identifier);
  });

  it('keeps leading and trailing underscores and $ as pieces, drops inner separators', () => {
    assert.deepEqual(splitIdentifier('__init__'), ['__', 'init', '__']);
    assert.deepEqual(splitIdentifier('_private_thing'), ['_', 'private', 'thing']);
    assert.deepEqual(splitIdentifier('$scope'), ['$', 'scope']);
    assert.deepEqual(splitIdentifier('a__b'), ['a', 'b']);
    assert.deepEqual(splitIdentifier('_'), ['_']);
    assert.deepEqual(splitIdentifier('__'), ['__']);
  });

  it('handles non-ASCII letters and keeps other characters as pieces of their own', () => {
    assert.deepEqual(splitIdentifier('größeBerechnen'), ['größe', 'berechnen']);
    assert.deepEqual(splitIdentifier('数据Value'), ['数据', 'value']);
    assert.deepEqual(splitIdentifier('ÉtatInitial'), ['état', 'initial']);
    assert.deepEqual(splitIdentifier('r#match'), ['r', '#', 'match']);
  });

  it('gives the pieces each lexeme kind encodes', () => {
    assert.deepEqual(piecesOf('identifier', 'readFileSync'), ['read', 'file', 'sync']);
    assert.deepEqual(piecesOf('keyword', 'function'), ['function']);
    assert.deepEqual(piecesOf('punctuation', '=>'), ['=>']);
    assert.deepEqual(piecesOf('number', '0XFF'), ['0xff']);
    assert.deepEqual(piecesOf('comment', 'Returns'), ['returns']);
    assert.deepEqual(piecesOf('string', 'f"'), ['f"'], 'a string delimiter stays whole');
    assert.deepEqual(piecesOf('word', '...'), ['...']);
    assert.deepEqual(piecesOf('newline', '\n'), []);
  });
});

describe('wordSpans', () => {
  it('cuts text into word runs and runs of other visible characters', () => {
    const text = 'Parse the  HTTP-response... (fast) 😀 数据';
    const words = wordSpans(text).map((span) => [text.slice(span.start, span.end), span.isWord]);
    assert.deepEqual(words, [
      ['Parse', true], ['the', true], ['HTTP', true], ['-', false], ['response', true], ['...', false],
      ['(', false], ['fast', true], [')', false], ['😀', false], ['数据', true],
    ]);
  });

  it('stops at the limit and reads only the given range', () => {
    const text = 'one two three four';
    assert.deepEqual(wordSpans(text, 0, text.length, 2).map((span) => text.slice(span.start, span.end)), ['one', 'two']);
    assert.deepEqual(wordSpans(text, 4, 13).map((span) => text.slice(span.start, span.end)), ['two', 'three']);
  });
});
