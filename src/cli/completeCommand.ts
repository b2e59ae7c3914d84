// `astrolabe complete`: a thin adapter over src/core/monitor (monitor-guided code completion).
import { Command, InvalidArgumentError } from 'commander';
import { createReadStream, existsSync, readFileSync, statSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import { createInterface } from 'node:readline';
import { completionLanguageOf } from '../core/monitor/codeSyntax';
import { CompletionModel, defaultCompletionModelDir } from '../core/monitor/completionModel';
import { Completion, CompletionEngine, DEFAULT_MAX_TOKENS } from '../core/monitor/completionEngine';
import { StopRule, STOP_RULES } from '../core/monitor/stopRules';
import { HeadlessAnalysis } from '../core/monitor/headlessAnalysis';
import { positiveInt, UsageError } from './commandLine';

interface CompleteFlags {
  prompts?: string;
  monitor: boolean;
  maxTokens: number;
  stop: StopRule;
  model?: string;
  threads: number;
  json?: boolean;
  explain?: boolean;
}

/** One line of a --prompts file. */
interface PromptLine {
  id: string;
  file: string;
  offset: number;
}

function stopRule(value: string): StopRule {
  if (!STOP_RULES.includes(value as StopRule)) throw new InvalidArgumentError(`expected one of ${STOP_RULES.join(', ')}`);
  return value as StopRule;
}

/** `path:line:col` (1-based, as editors and compilers print them) to the path and a character offset. */
export function parseCursor(cursor: string): { path: string; line: number; column: number } {
  const match = /^(.*):(\d+):(\d+)$/.exec(cursor);
  if (!match) throw new UsageError(`${cursor}: expected <file>:<line>:<col>`);
  return { path: resolve(match[1]!), line: Number(match[2]), column: Number(match[3]) };
}

export function offsetOf(text: string, line: number, column: number): number | undefined {
  let start = 0;
  for (let current = 1; current < line; current++) {
    const next = text.indexOf('\n', start);
    if (next < 0) return undefined;
    start = next + 1;
  }
  const end = text.indexOf('\n', start);
  const lineLength = (end < 0 ? text.length : end) - start;
  return column >= 1 && column - 1 <= lineLength ? start + column - 1 : undefined;
}

export function completionJson(id: string, completion: Completion): string {
  return JSON.stringify({ id, completion: completion.text, latency_ms: Math.round(completion.latencyMs * 10) / 10, monitor_triggered: completion.monitorTriggered });
}

export function registerCompleteCommand(program: Command, scriptDir: string): void {
  program
    .command('complete')
    .description('complete code at a cursor with the local LM, guided by static analysis (monitor-guided decoding)')
    .argument('[cursor]', '<file>:<line>:<col>, 1-based')
    .option('--prompts <jsonl>', 'batch mode: lines {"id", "file", "offset"} (cursor at that character offset); prints lines {"id", "completion", "latency_ms", "monitor_triggered"}')
    .option('--no-monitor', 'plain decoding, without the monitors')
    .option('--max-tokens <n>', 'token budget per completion', positiveInt, DEFAULT_MAX_TOKENS)
    .option('--stop <rule>', `where a completion ends: ${STOP_RULES.join(', ')}`, stopRule, 'line')
    .option('--model <dir>', 'completion model folder (default: the bundled models/completion)')
    .option('--threads <n>', 'onnxruntime threads', positiveInt, 2)
    .option('--json', 'single mode: print the completion as one JSON object, with the monitor events')
    .option('--explain', 'single mode: print why the completion was constrained to stderr')
    .action(async (cursor: string | undefined, flags: CompleteFlags) => {
      if ((cursor === undefined) === (flags.prompts === undefined)) throw new UsageError('give <file>:<line>:<col>, or --prompts FILE.jsonl');
      const model = await CompletionModel.load(flags.model ? resolve(flags.model) : defaultCompletionModelDir(scriptDir), { threads: flags.threads });
      const abort = new AbortController();
      process.once('SIGINT', () => abort.abort(new Error('interrupted')));
      // TypeScript's language service for TS/JS, pyright's language server for Python.
      const analysis = new HeadlessAnalysis();
      try {
        const engine = new CompletionEngine(model, analysis);
        const options = { maxTokens: flags.maxTokens, stop: flags.stop, useMonitors: flags.monitor };
        if (flags.prompts) {
          await completeBatch(engine, resolve(flags.prompts), options, abort.signal);
          return;
        }
        const { path, line, column } = parseCursor(cursor!);
        if (!existsSync(path) || !statSync(path).isFile()) throw new UsageError(`${path}: no such file`);
        const text = readFileSync(path, 'utf8');
        const offset = offsetOf(text, line, column);
        if (offset === undefined) throw new UsageError(`${cursor}: no such line and column in the file`);
        const language = completionLanguageOf(path);
        if (!language || !model.config.languages.includes(language)) {
          process.stderr.write(`astrolabe complete: ${model.config.modelId} was trained on ${model.config.languages.join(', ')}, not on ${language ?? 'this file type'}; completing anyway\n`);
        }
        const completion = await engine.complete({ fileName: path, prefix: text.slice(0, offset), suffix: text.slice(offset), ...options }, abort.signal);
        if (flags.explain) for (const event of completion.events) process.stderr.write(`${event.monitor}: ${event.reason}${event.legal.length ? `: ${event.legal.join(', ')}` : ''}\n`);
        if (flags.json) process.stdout.write(`${JSON.stringify({ completion: completion.text, latency_ms: Math.round(completion.latencyMs * 10) / 10, monitor_triggered: completion.monitorTriggered, tokens: completion.tokens, stopped_by: completion.stoppedBy, events: completion.events })}\n`);
        else process.stdout.write(`${completion.text}\n`);
      } finally {
        await analysis.close();
        await model.release();
      }
    });
}

/** Streams the prompts file: one completion at a time, each answered as soon as it is done. */
async function completeBatch(engine: CompletionEngine, promptsPath: string, options: { maxTokens: number; stop: StopRule; useMonitors: boolean }, signal: AbortSignal): Promise<void> {
  if (!existsSync(promptsPath)) throw new UsageError(`${promptsPath}: no such file`);
  const texts = new Map<string, string>();
  let count = 0;
  let failed = 0;
  for await (const raw of createInterface({ input: createReadStream(promptsPath), crlfDelay: Infinity })) {
    if (!raw.trim()) continue;
    if (signal.aborted) break;
    let prompt: PromptLine;
    try {
      prompt = JSON.parse(raw) as PromptLine;
      if (typeof prompt.file !== 'string' || !Number.isInteger(prompt.offset)) throw new Error('expected {"id", "file", "offset"}');
    } catch (error) {
      throw new UsageError(`${promptsPath}: line ${count + failed + 1}: ${error instanceof Error ? error.message : String(error)}`);
    }
    const id = String(prompt.id);
    try {
      // Relative paths: from the working directory, else from the prompts file's folder.
      const path = existsSync(resolve(prompt.file)) ? resolve(prompt.file) : resolve(dirname(promptsPath), prompt.file);
      let text = texts.get(path);
      if (text === undefined) texts.set(path, (text = readFileSync(path, 'utf8')));
      if (prompt.offset < 0 || prompt.offset > text.length) throw new Error(`offset ${prompt.offset} is outside ${prompt.file} (${text.length} characters)`);
      const completion = await engine.complete({ fileName: path, prefix: text.slice(0, prompt.offset), suffix: text.slice(prompt.offset), ...options }, signal);
      process.stdout.write(`${completionJson(id, completion)}\n`);
      count++;
    } catch (error) {
      failed++;
      const message = error instanceof Error ? error.message : String(error);
      process.stderr.write(`astrolabe complete: ${id}: ${message}\n`);
      process.stdout.write(`${JSON.stringify({ id, completion: '', latency_ms: 0, monitor_triggered: false, error: message })}\n`);
    }
  }
  process.stderr.write(`${count} completions${failed ? `, ${failed} failed` : ''}\n`);
}
