import assert from 'node:assert/strict';
import { copyFileSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { GO_SYNTAX, JAVASCRIPT_SYNTAX, PYTHON_SYNTAX, RUST_SYNTAX } from '../../src/core/monitor/codeSyntax';
import { CompletionEngine } from '../../src/core/monitor/completionEngine';
import { CompletionModel, readCompletionModelConfig } from '../../src/core/monitor/completionModel';
import { LANGUAGES } from '../../src/core/parse/languages';
import { decodeCompletion } from '../../src/core/monitor/decodeCompletion';
import { fimPromptIds } from '../../src/core/monitor/fimPrompt';
import { PyrightAnalysis } from '../../src/core/monitor/pyrightAnalysis';
import { StaticAnalysis } from '../../src/core/monitor/staticAnalysis';
import { stopLength } from '../../src/core/monitor/stopRules';
import { TypeScriptAnalysis } from '../../src/core/monitor/typeScriptAnalysis';
import { seededRandom } from '../../src/core/seededRandom';
import { FIXTURES, temporaryFolder } from './helpers';

// The repository's committed completion model (tests run compiled from out/test/unit).
const REPO = join(__dirname, '..', '..', '..');
const MODEL = join(REPO, 'models', 'completion');
const REPORT = join(FIXTURES, 'monitor', 'project', 'src', 'report.ts');
const MEMBERS = ['area', 'circumference', 'radius', 'scaledBy'];
const SHAPES = join(FIXTURES, 'monitor', 'python', 'shapes.py');

function cosine(a: ArrayLike<number>, b: ArrayLike<number>): number {
  let dot = 0;
  let normA = 0;
  let normB = 0;
  for (let index = 0; index < a.length; index++) {
    dot += a[index]! * b[index]!;
    normA += a[index]! ** 2;
    normB += b[index]! ** 2;
  }
  return dot / Math.sqrt(normA * normB);
}

function argmax(values: ArrayLike<number>): number {
  let best = 0;
  for (let index = 1; index < values.length; index++) if (values[index]! > values[best]!) best = index;
  return best;
}

/** The fixture cut at `circle.` on the line with `needle`, the rest of that line removed (as the benchmark does). */
function cursorAt(needle: string, fileName = REPORT): { fileName: string; prefix: string; suffix: string } {
  const text = readFileSync(fileName, 'utf8');
  const offset = text.indexOf(needle) + needle.indexOf('.') + 1;
  return { fileName, prefix: text.slice(0, offset), suffix: text.slice(text.indexOf('\n', offset)) };
}

describe('completion model (models/completion, int8 ONNX)', () => {
  let model: CompletionModel;
  before(async () => {
    model = await CompletionModel.load(MODEL, { threads: 2 });
  });
  after(async () => {
    await model.release();
  });

  it("matches torch's logits for the export's parity prompt", async () => {
    const parity = JSON.parse(readFileSync(join(MODEL, 'parity.json'), 'utf8')) as { promptIds: number[]; greedyIds: number[]; logits: number[]; prompt: string; suffix: string };
    const rebuilt = fimPromptIds({ prefix: parity.prompt, suffix: parity.suffix }, model.tokenizer, model.tokenizer.specials,
      { contextTokens: model.config.contextTokens, completionTokens: 32, suffixShare: 0.25 }, model.config.fimOrder);
    assert.deepEqual(rebuilt, parity.promptIds, "the same prompt layout and tokenization as Python's export");
    const stream = await model.start(parity.promptIds);
    assert.equal(stream.logits.length, model.config.vocabSize);
    assert.ok(cosine(stream.logits, parity.logits) > 0.99, 'int8 logits close to fp32 torch');
    assert.equal(argmax(stream.logits), parity.greedyIds[0]);
  });

  it('gives the same next-token logits with the key/value cache as without', async () => {
    // int8 quantizes activations per call, so one token at a time and the whole sequence round a little
    // differently (cosine 0.987-1.000 here); a wrong cache (positions, layout) is far off everywhere.
    const tokens = model.tokenizer.encode(readFileSync(REPORT, 'utf8'));
    const similarities: number[] = [];
    let sameChoice = 0;
    for (const cut of [30, 50, 70, 90, 110]) {
      const ids = tokens.slice(0, cut + 10);
      const cached = await model.start(ids.slice(0, cut));
      for (const id of ids.slice(cut)) await cached.append(id);
      const whole = await model.start(ids);
      assert.equal(cached.length, whole.length);
      similarities.push(cosine(cached.logits, whole.logits));
      if (argmax(cached.logits) === argmax(whole.logits)) sameChoice++;
    }
    assert.ok(Math.min(...similarities) > 0.97, similarities.join(', '));
    assert.ok([...similarities].sort()[2]! > 0.995, `median of ${similarities.join(', ')}`);
    assert.ok(sameChoice >= 4, `the same next token at ${sameChoice} of 5 cuts`);
  });

  it('tokenizes real files losslessly', () => {
    for (const file of [REPORT, join(REPO, 'src', 'core', 'monitor', 'dereferenceMonitor.ts'), join(REPO, 'README.md')]) {
      const text = readFileSync(file, 'utf8');
      assert.equal(model.tokenizer.decode(model.tokenizer.encode(text)), text, file);
    }
    const odd = 'naïve 世界 🎉\r\n\t  x?.y ?? `${a}` \u00a0';
    assert.equal(model.tokenizer.decode(model.tokenizer.encode(odd)), odd);
  });

  it('builds fill-in-the-middle prompts inside the context budget, in either order', () => {
    const { specials } = model.tokenizer;
    const long = { prefix: 'const value = 1;\n'.repeat(2000) + 'value.', suffix: '\nfinish();\n'.repeat(500) };
    const budget = { contextTokens: 256, completionTokens: 32, suffixShare: 0.25 };
    const psm = fimPromptIds(long, model.tokenizer, specials, budget, 'psm');
    assert.ok(psm.length <= 256 - 32, `${psm.length} tokens`);
    assert.equal(psm[0], specials.fimPrefix);
    assert.equal(psm[psm.length - 1], specials.fimMiddle);
    const suffixAt = psm.indexOf(specials.fimSuffix);
    assert.ok(model.tokenizer.decode(psm.slice(1, suffixAt)).endsWith('value.'), 'the prefix keeps its end');
    assert.ok(model.tokenizer.decode(psm.slice(suffixAt + 1, -1)).startsWith('\nfinish();'), 'the suffix keeps its start');
    // suffix first, then the prefix, which the middle continues directly
    const spm = fimPromptIds(long, model.tokenizer, specials, budget, 'spm');
    assert.ok(spm.length <= 256 - 32, `${spm.length} tokens`);
    assert.equal(spm[0], specials.fimSuffix);
    assert.ok(!spm.includes(specials.fimMiddle));
    const prefixAt = spm.indexOf(specials.fimPrefix);
    assert.deepEqual(spm.slice(1, prefixAt), psm.slice(suffixAt + 1, -1), 'the same suffix');
    assert.deepEqual(spm.slice(prefixAt + 1), psm.slice(1, suffixAt), 'the same prefix, last');
  });

  describe('decoding', () => {
    let engine: CompletionEngine;
    before(() => {
      engine = new CompletionEngine(model, new TypeScriptAnalysis());
    });

    it('with the dereference monitor, writes a real member of the receiver', async () => {
      for (const needle of ['circle.scaledBy', 'bigger.circumference']) {
        const completion = await engine.complete({ ...cursorAt(needle), maxTokens: 32 });
        assert.ok(completion.monitorTriggered);
        const identifier = /^[\w$]+/.exec(completion.text)?.[0];
        assert.ok(identifier && MEMBERS.includes(identifier), `${needle}: ${JSON.stringify(completion.text)}`);
        assert.match(completion.events[0]!.reason, /only the 4 members/);
        assert.ok(completion.latencyMs > 0);
      }
    });

    it("with pyright's language server, writes a real member of a Python receiver", async (t) => {
      const pyright = new PyrightAnalysis();
      t.after(() => pyright.close());
      const python = new CompletionEngine(model, pyright);
      const completion = await python.complete({ ...cursorAt('bigger = circle.scaled_by', SHAPES), maxTokens: 16 });
      assert.ok(completion.monitorTriggered);
      assert.ok(completion.events[0]!.legal.includes('scaled_by'), completion.events[0]!.reason);
      const identifier = /^\w+/.exec(completion.text)?.[0];
      assert.ok(identifier && ['area', 'circumference', 'radius', 'scaled_by'].includes(identifier), JSON.stringify(completion.text));
    });

    it('respects the token budget, the stop rule and --no-monitor', async () => {
      const budget = await engine.complete({ ...cursorAt('circle.scaledBy'), maxTokens: 3, stop: 'block' });
      assert.ok(budget.tokens <= 3);
      const plain = await engine.complete({ ...cursorAt('circle.scaledBy'), maxTokens: 16, useMonitors: false });
      assert.equal(plain.monitorTriggered, false);
      assert.deepEqual(plain.events, []);
      assert.ok(!plain.text.includes('\n'), 'line stop rule');
    });

    it('stops when cancelled, also while static analysis is being asked', async () => {
      const abort = new AbortController();
      abort.abort();
      const cancelled = await engine.complete({ ...cursorAt('circle.scaledBy') }, abort.signal);
      assert.equal(cancelled.stoppedBy, 'cancelled');
      const during = new AbortController();
      const slowAnalysis: StaticAnalysis = { memberNames: async () => { during.abort(); return ['area']; } };
      const stopped = await new CompletionEngine(model, slowAnalysis).complete({ ...cursorAt('circle.scaledBy') }, during.signal);
      assert.equal(stopped.stoppedBy, 'cancelled');
      assert.equal(stopped.text, '');
    });

    it('samples repeatably with a seeded generator', async () => {
      const request = { ...cursorAt('circle.scaledBy'), maxTokens: 12 };
      const sample = async () => (await engine.complete({ ...request, sampling: { temperature: 0.8, topK: 20, random: seededRandom(7) } })).text;
      assert.equal(await sample(), await sample());
    });

    it('decodes through the narrow model port (greedy equals the first sampled step at temperature 0)', async () => {
      const { prefix, suffix } = cursorAt('circle.scaledBy');
      const promptIds = fimPromptIds({ prefix, suffix }, model.tokenizer, model.tokenizer.specials, { contextTokens: model.config.contextTokens, completionTokens: 8, suffixShare: 0.25 }, model.config.fimOrder);
      const request = { fileName: REPORT, prefix, suffix, syntax: JAVASCRIPT_SYNTAX, promptIds, maxTokens: 8, stop: 'line' as const, monitors: [] };
      const greedy = await decodeCompletion(model, model.tokenizer, request);
      const zero = await decodeCompletion(model, model.tokenizer, { ...request, sampling: { temperature: 0, topK: 5, random: seededRandom(1) } });
      assert.deepEqual(zero.tokens, greedy.tokens);
    });
  });
});

describe('completion model loading', () => {
  it("names the file and the cause for a missing or wrong config, refuses an unknown prompt order, reads a missing one as psm", async (t) => {
    const folder = temporaryFolder(t);
    await assert.rejects(CompletionModel.load(folder), /no completion model in .* \(config\.json missing\)/);
    const config = JSON.parse(readFileSync(join(MODEL, 'config.json'), 'utf8')) as Record<string, unknown>;
    copyFileSync(join(MODEL, 'tokenizer.json'), join(folder, 'tokenizer.json'));
    writeFileSync(join(folder, 'config.json'), JSON.stringify({ ...config, format: 'something-else' }));
    await assert.rejects(CompletionModel.load(folder), /config\.json: not an astrolabe-completion-lm version 1 config/);
    writeFileSync(join(folder, 'config.json'), JSON.stringify({ ...config, fimOrder: 'msp' }));
    await assert.rejects(CompletionModel.load(folder), /config\.json: fimOrder must be "spm" or "psm", got "msp"/);
    writeFileSync(join(folder, 'config.json'), JSON.stringify({ ...config, languages: ['python', 'cobol'] }));
    assert.throws(() => readCompletionModelConfig(folder), /config\.json: languages must be a list of python, javascript, .*; got \["python","cobol"\]/);
    writeFileSync(join(folder, 'config.json'), 'null');
    assert.throws(() => readCompletionModelConfig(folder), /config\.json: not an astrolabe-completion-lm version 1 config/);
    writeFileSync(join(folder, 'config.json'), '{"format": "astrolabe-compl');
    assert.throws(() => readCompletionModelConfig(folder), /config\.json: unreadable \(.*JSON/);
    // A config from before the order and the languages were recorded: the first models' prefix-suffix-middle, every language.
    const { fimOrder: _, languages: __, ...legacy } = config;
    writeFileSync(join(folder, 'config.json'), JSON.stringify(legacy));
    copyFileSync(join(MODEL, String(config.onnx)), join(folder, String(config.onnx)));
    const loaded = await CompletionModel.load(folder);
    assert.equal(loaded.config.fimOrder, 'psm');
    assert.deepEqual(loaded.config.languages, LANGUAGES.map((language) => language.id));
    await loaded.release();
  });
  it('says which languages the bundled model was trained on', () => {
    const { languages } = readCompletionModelConfig(MODEL);
    for (const language of ['javascript', 'typescript', 'python'] as const) assert.ok(languages.includes(language), language);
  });
});

describe('stop rules', () => {
  it('end a completion at the line, the statement or the block', () => {
    assert.equal(stopLength('area();\nnext', 'line'), 7);
    assert.equal(stopLength('area()', 'line'), undefined);
    assert.equal(stopLength('reduce((a, b) => { return a; }, 0); more', 'statement'), 'reduce((a, b) => { return a; }, 0);'.length);
    assert.equal(stopLength('area(x\n, y', 'statement'), undefined, 'a line break inside brackets does not end the statement');
    assert.equal(stopLength('area())\nnext()', 'statement'), 'area())'.length);
    assert.equal(stopLength('a();\n  b();\n}\nafter', 'block'), 'a();\n  b();\n'.length);
    assert.equal(stopLength('"}" + x;\n\nlater', 'block'), '"}" + x;'.length);
    assert.equal(stopLength('a(); // don\'t\nb();\n}', 'block'), 'a(); // don\'t\nb();\n'.length, 'a quote in a comment opens no string');
  });
  it('end a Python block at a dedent below the cursor line, and read # comments', () => {
    const python = (cursorLine: string) => ({ syntax: PYTHON_SYNTAX, cursorLine });
    const body = 'x = 1\n        if x:\n            y = x\n        z = 2\n    return z';
    assert.equal(stopLength(body, 'block', python('        ')), body.indexOf('\n    return'));
    assert.equal(stopLength('x = 1\n    ', 'block', python('        ')), undefined, 'not judged while the next line is only indentation');
    assert.equal(stopLength('total = a // b  # `why\nnext()', 'statement', python('    ')), 'total = a // b  # `why'.length);
    assert.equal(stopLength('items = [a,\n  b]\nnext', 'statement', python('')), 'items = [a,\n  b]'.length);
  });
  it("reads each brace language's literals as that language does", () => {
    const go = { syntax: GO_SYNTAX, cursorLine: '\t' };
    assert.equal(stopLength('re := `a\n}`\n}\nafter', 'block', go), 're := `a\n}`\n'.length, "a Go raw string spans lines; its } closes nothing");
    assert.equal(stopLength('p := `\\`\n}', 'block', go), 'p := `\\`\n'.length, 'no escapes in a raw string');
    const rust = { syntax: RUST_SYNTAX, cursorLine: '    ' };
    assert.equal(stopLength("let x: &'a T = f(); g(&'b y);", 'statement', rust), "let x: &'a T = f();".length, 'a lifetime opens no literal');
    assert.equal(stopLength("let c = '}';\n}", 'block', rust), "let c = '}';\n".length);
  });
});
