import assert from 'node:assert/strict';
import { readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { LANGUAGES, LanguageId, languageForPath } from '../../src/core/parse/languages';
import { CodeLexer } from '../../src/core/tokenize/codeLexer';
import { CodeTokenizer } from '../../src/core/tokenize/codeTokenizer';
import { Lexeme } from '../../src/core/tokenize/lexeme';
import { loadCodeTokenizer, readTokenizerFile, TokenizerFileError, writeTokenizerFile } from '../../src/core/tokenize/tokenizerFile';
import { BYTES_START, CLS, CONTINUATION, LEARNED_START, MASK, PAD, SEP, SPECIAL_TOKENS, TEXT_TAG, UNK, Vocabulary, languageTag } from '../../src/core/tokenize/vocabulary';
import { DEFAULT_TRAIN_OPTIONS, trainVocabulary } from '../../src/core/tokenize/vocabularyTrainer';
import { FIXTURES, temporaryFolder, treeSitter } from './helpers';

interface Sample { readonly file: string; readonly language: LanguageId; readonly text: string }

/** The fixed small corpus: the language fixtures (one real-looking file per language). */
function corpus(): Sample[] {
  const folder = join(FIXTURES, 'languages');
  return readdirSync(folder).sort().flatMap((file) => {
    const language = languageForPath(file)?.id;
    return language ? [{ file, language, text: readFileSync(join(folder, file), 'utf8') }] : [];
  });
}

const OPTIONS = { ...DEFAULT_TRAIN_OPTIONS, vocabSize: 1000 };

describe('vocabulary and tokenizer', () => {
  let lexer: CodeLexer;
  let samples: Sample[];
  let lexed: Lexeme[][];
  let tokenizer: CodeTokenizer;
  before(async () => {
    lexer = await CodeLexer.create(await treeSitter(), LANGUAGES.map((language) => language.id));
    samples = corpus();
    lexed = samples.map((sample) => lexer.lex(sample.text, sample.language));
    tokenizer = new CodeTokenizer(trainVocabulary(lexed, OPTIONS), lexer);
  });
  after(() => lexer.dispose());

  it('trains deterministically: the same vocabulary twice, and whatever the order of the input', () => {
    const again = trainVocabulary(lexed, OPTIONS);
    const reversed = trainVocabulary([...lexed].reverse(), OPTIONS);
    assert.deepEqual(again.tokens, tokenizer.vocabulary.tokens);
    assert.deepEqual(reversed.tokens, tokenizer.vocabulary.tokens);
  });

  it('has the requested size, fixed special ids, and an unambiguous table', () => {
    const { tokens } = tokenizer.vocabulary;
    assert.equal(tokens.length, OPTIONS.vocabSize);
    assert.deepEqual([tokens[PAD], tokens[UNK], tokens[CLS], tokens[SEP], tokens[MASK], tokens[TEXT_TAG]], ['[PAD]', '[UNK]', '[CLS]', '[SEP]', '[MASK]', '<text>']);
    assert.equal(PAD, 0);
    for (const language of LANGUAGES) assert.equal(tokens[languageTag(language.id)], `<${language.id}>`);
    assert.deepEqual(tokens.slice(0, SPECIAL_TOKENS.length), SPECIAL_TOKENS);
    assert.equal(new Set(tokens).size, tokens.length, 'no token twice');
    assert.ok(tokens.includes('return') && tokens.includes('##s'), 'frequent pieces are learned');
    // Learned pieces start with "##" exactly when they continue a lexeme; "#" and "##" as code are never confused.
    assert.ok(tokens.slice(LEARNED_START).every((token) => !token.startsWith(CONTINUATION) || token.length > CONTINUATION.length));
  });

  it('round-trips every fixture: decode(encode(x)) gives back the normalized lexemes', () => {
    samples.forEach((sample, i) => {
      const encoding = tokenizer.encodeUnit(sample.text, sample.language, 100_000);
      assert.ok(!encoding.ids.includes(UNK), sample.file);
      const expected = ['[CLS]', `<${sample.language}>`, ...lexed[i].map(CodeTokenizer.normalize), '[SEP]'];
      assert.deepEqual(tokenizer.decodeLexemes(encoding.ids), expected, sample.file);
    });
  });

  it('encodes characters it has never seen (emoji, CJK) as UTF-8 bytes and decodes them back', () => {
    const encoding = tokenizer.encodeText('数据 naïve 😀 ok', 64);
    assert.ok([...encoding.ids].some((id) => id >= BYTES_START && id < LEARNED_START), 'byte fallback used');
    assert.ok(!encoding.ids.includes(UNK));
    assert.deepEqual(tokenizer.decodeLexemes(encoding.ids), ['[CLS]', '<text>', '数据', 'naïve', '😀', 'ok', '[SEP]']);
    const code = tokenizer.encodeUnit('# Überschrift 🚀\nname = "## Grüße 😀"\n', 'python', 64);
    assert.deepEqual(tokenizer.decodeLexemes(code.ids), ['[CLS]', '<python>', '#', 'überschrift', '🚀', '[NEWLINE]', 'name', '=', '"', '##', 'grüße', '😀', '"', '[SEP]']);
  });

  it('tokenizes a natural-language query with the pieces code uses', () => {
    const query = tokenizer.encodeText('Parse the HTTP response', 16);
    assert.deepEqual(tokenizer.decodeLexemes(query.ids), ['[CLS]', '<text>', 'parse', 'the', 'http', 'response', '[SEP]']);
    assert.equal(query.ids[1], TEXT_TAG);
    const code = tokenizer.encodeUnit('parseValue(x)', 'javascript', 16);
    assert.equal(code.ids[2], query.ids[2], 'the identifier\'s first piece is the query\'s word');
  });

  it('aligns every token with the lexeme it came from', () => {
    const source = 'def get_user_name(user_id):\n    return lookupTable[user_id]\n';
    const { ids, lexemeIndex, lexemes } = tokenizer.encodeUnit(source, 'python', 256);
    assert.equal(ids.length, lexemeIndex.length);
    assert.deepEqual([lexemeIndex[0], lexemeIndex[1], lexemeIndex[ids.length - 1]], [-1, -1, -1]);
    const inner = [...lexemeIndex.slice(2, -1)];
    assert.deepEqual([...new Set(inner)], lexemes.map((_, i) => i), 'each lexeme gets tokens, in order');
    lexemes.forEach((lexeme, i) => {
      const tokens = [...ids].filter((_, k) => lexemeIndex[k] === i);
      assert.deepEqual(tokenizer.decodeLexemes(tokens), [CodeTokenizer.normalize(lexeme)], lexeme.text);
    });
    const name = lexemes.findIndex((lexeme) => lexeme.text === 'get_user_name');
    assert.ok(inner.filter((index) => index === name).length >= 3, 'get_user_name spans at least its three pieces');
  });

  it('truncates to maxTokens with [CLS] first and [SEP] last, and can drop comments', () => {
    const long = samples.find((sample) => sample.language === 'python')!;
    const cut = tokenizer.encodeUnit(long.text, 'python', 32);
    assert.equal(cut.ids.length, 32);
    assert.deepEqual([cut.ids[0], cut.ids[1], cut.ids[31]], [CLS, languageTag('python'), SEP]);
    const source = 'def f(x):\n    """Doubles x."""\n    # twice\n    return 2 * x\n';
    assert.deepEqual(tokenizer.decodeLexemes(tokenizer.encodeUnit(source, 'python', 64, { dropComments: true }).ids),
      ['[CLS]', '<python>', 'def', 'f', '(', 'x', ')', ':', '[NEWLINE]', '[INDENT]', 'return', '2', '*', 'x', '[SEP]']);
    assert.deepEqual(tokenizer.encodeText('a b c d e', 4).ids.length, 4);
  });

  it('saves and loads the tokenizer file', async (t) => {
    const folder = temporaryFolder(t);
    const file = join(folder, 'tokenizer.json');
    writeTokenizerFile(file, { vocabulary: tokenizer.vocabulary, lexer: lexer.options });
    const loaded = readTokenizerFile(file);
    assert.deepEqual(loaded.vocabulary.tokens, tokenizer.vocabulary.tokens);
    assert.deepEqual(loaded.lexer, lexer.options);
    const json = JSON.parse(readFileSync(file, 'utf8')) as Record<string, unknown>;
    assert.equal(json.vocabSize, OPTIONS.vocabSize);
    assert.deepEqual(json.specialTokens && (json.specialTokens as Record<string, number>)['[MASK]'], MASK);
    const sample = samples[0];
    const reloaded = await loadCodeTokenizer(file, await treeSitter(), [sample.language]);
    try {
      assert.deepEqual(reloaded.encodeUnit(sample.text, sample.language, 512).ids, tokenizer.encodeUnit(sample.text, sample.language, 512).ids);
    } finally {
      reloaded.dispose();
    }
    writeFileSync(file, '{"format": "something-else"}');
    assert.throws(() => readTokenizerFile(file), TokenizerFileError);
  });

  it('rejects a vocabulary that would not fit uint16 shards', () => {
    assert.throws(() => new Vocabulary(Array.from({ length: 65536 }, (_, i) => `t${i}`)), /uint16/);
  });
});
