// How well the completion model writes each corpus language where no static analysis guides it: at member
// accesses in code of packages held out from its training (the corpus's validation split), prompt with the
// unit up to the `.` (or `->`) and the lines after, decode plainly to the end of the line, and score the
// next identifier. Headless Astrolabe has static analysis for TS/JS and Python only; in the editor any
// language extension guides these languages, so this is the floor the monitor starts from.
import { createReadStream, existsSync } from 'node:fs';
import { homedir } from 'node:os';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { CodeSyntax, syntaxOfLanguage } from '../src/core/monitor/codeSyntax';
import { CompletionEngine } from '../src/core/monitor/completionEngine';
import { CompletionModel } from '../src/core/monitor/completionModel';
import { dereferenceAtEnd } from '../src/core/monitor/dereferenceMonitor';
import { LanguageId } from '../src/core/parse/languages';
import { BenchRow, median } from './benchTable';
import { DereferencePrompt, evenlySpaced, matchScores, mean } from './completion';

/** The languages scored, as groups of corpus languages (C++ has few held-out units: it goes with C). */
const GROUPS: readonly { readonly name: string; readonly languages: readonly LanguageId[] }[] = [
  { name: 'java', languages: ['java'] },
  { name: 'go', languages: ['go'] },
  { name: 'rust', languages: ['rust'] },
  { name: 'c/c++', languages: ['c', 'cpp'] },
  { name: 'python', languages: ['python'] },
  { name: 'javascript', languages: ['javascript'] },
];

interface CorpusUnit {
  readonly package: string;
  readonly language: LanguageId;
  readonly file: string;
  readonly text: string;
}

interface LanguagePrompt extends DereferencePrompt {
  readonly syntax: CodeSyntax;
}

/** Every member access in a unit whose line goes on after it with the member's name. */
function dereferencesIn(unit: CorpusUnit): LanguagePrompt[] {
  const syntax = syntaxOfLanguage(unit.language);
  const prompts: LanguagePrompt[] = [];
  for (let offset = 1; offset <= unit.text.length; offset++) {
    const last = unit.text[offset - 1];
    if (last !== '.' && last !== '>') continue;
    const before = unit.text.slice(0, offset);
    if (!dereferenceAtEnd(before, syntax)) continue;
    const lineEnd = unit.text.indexOf('\n', offset);
    const truth = unit.text.slice(offset, lineEnd < 0 ? undefined : lineEnd);
    if (!/^[\p{ID_Start}_$]/u.test(truth)) continue;
    prompts.push({ file: unit.file, offset, truth, prefix: before, suffix: lineEnd < 0 ? '' : unit.text.slice(lineEnd), syntax });
  }
  return prompts;
}

/** `dereferencesIn` of every held-out unit of the group's languages. */
async function heldOutPrompts(validPath: string): Promise<Map<string, LanguagePrompt[]>> {
  const byGroup = new Map<string, LanguagePrompt[]>(GROUPS.map((group) => [group.name, []]));
  for await (const line of createInterface({ input: createReadStream(validPath), crlfDelay: Infinity })) {
    if (!line.trim()) continue;
    const unit = JSON.parse(line) as CorpusUnit;
    const group = GROUPS.find((candidate) => candidate.languages.includes(unit.language));
    if (group) byGroup.get(group.name)!.push(...dereferencesIn(unit));
  }
  return byGroup;
}

export async function benchCompletionLanguages(modelDir: string, promptsPerLanguage = Number(process.env.ASTROLABE_COMPLETION_PROMPTS ?? 120), maxTokens = 16): Promise<BenchRow[]> {
  const corpus = process.env.ASTROLABE_CORPUS ?? join(homedir(), '.cache', 'astrolabe', 'corpus');
  const validPath = join(corpus, 'valid.jsonl');
  if (!existsSync(validPath)) {
    process.stderr.write(`bench: completion-languages skipped (no corpus validation split at ${validPath}: training/README.md, stage C1, or set ASTROLABE_CORPUS)\n`);
    return [];
  }
  if (!existsSync(join(modelDir, 'config.json'))) {
    process.stderr.write(`bench: completion-languages skipped (no model at ${modelDir})\n`);
    return [];
  }
  const model = await CompletionModel.load(modelDir, { threads: 2 });
  // No analysis: these completions are plain decoding.
  const engine = new CompletionEngine(model, { memberNames: async () => undefined });
  const rows: BenchRow[] = [];
  try {
    for (const [group, all] of await heldOutPrompts(validPath)) {
      const prompts = evenlySpaced(all, promptsPerLanguage);
      if (prompts.length === 0) continue;
      const scores: { nim: number; ism: number; pm: number }[] = [];
      const latencies: number[] = [];
      for (const prompt of prompts) {
        const completion = await engine.complete({ fileName: prompt.file, prefix: prompt.prefix, suffix: prompt.suffix, maxTokens, useMonitors: false, syntax: prompt.syntax });
        scores.push(matchScores(completion.text, prompt.truth));
        latencies.push(completion.latencyMs);
      }
      process.stderr.write(`completion-languages: ${group}: ${prompts.length} of ${all.length} member accesses\n`);
      rows.push({
        bench: 'completion-languages',
        case: `${group}, held-out packages, plain decoding (${model.config.modelId})`,
        metrics: {
          prompts: prompts.length,
          nim_pct: 100 * mean(scores.map((score) => score.nim)),
          ism_pct: 100 * mean(scores.map((score) => score.ism)),
          pm_pct: 100 * mean(scores.map((score) => score.pm)),
          latency_p50_ms: median(latencies),
        },
      });
    }
  } finally {
    await model.release();
  }
  return rows;
}
