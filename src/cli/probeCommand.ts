// `astrolabe probe` and `astrolabe probe-data`: thin adapters over src/core/probe.
import { Command, InvalidArgumentError } from 'commander';
import { existsSync, readFileSync, statSync } from 'node:fs';
import { homedir } from 'node:os';
import { join, relative, resolve } from 'node:path';
import { defaultEncoderDir } from '../core/model/modelsDir';
import { CodeUnitExtractor } from '../core/parse/codeUnitExtractor';
import { findGrammarsDir } from '../core/parse/grammarsDir';
import { LanguageId, languageForPath, LANGUAGES } from '../core/parse/languages';
import { TreeSitterRuntime } from '../core/parse/treeSitterRuntime';
import { AstProbe } from '../core/probe/astProbe';
import { writeProbeData } from '../core/probe/probeDataWriter';
import { formatTree } from '../core/probe/syntaxTree';
import { positiveInt, UsageError } from './commandLine';

const PROBED_KINDS = new Set(['function', 'method']);

function layerNumber(value: string): number {
  const parsed = Number(value);
  if (!Number.isInteger(parsed) || parsed < 0) throw new InvalidArgumentError('expected a layer number (0 = embeddings)');
  return parsed;
}

export function registerProbeCommands(program: Command, scriptDir: string): void {
  program
    .command('probe')
    .description("recover each function's syntax tree from the encoder's hidden states (AST-Probe) and score it against tree-sitter's")
    .argument('<file>', 'a source file (Python, JavaScript or Go: the languages with a trained probe)')
    .option('--function <name>', 'only this function or method (its name or qualified name, e.g. Class.method)')
    .option('--layer <n>', "the encoder layer to probe (default: the language's best layer)", layerNumber)
    .option('--json', 'one JSON object per function: {"file", "name", "layer", "precision", "recall", "f1"}')
    .option('--model <dir>', 'encoder folder with a probe/ subfolder (default: the bundled models/encoder)')
    .action(async (file: string, flags: { function?: string; layer?: number; json?: boolean; model?: string }) => {
      const path = resolve(file);
      if (!existsSync(path) || !statSync(path).isFile()) throw new UsageError(`${file}: no such file`);
      const language = languageForPath(path)?.id;
      if (!language) throw new UsageError(`${file}: not a language Astrolabe parses`);
      const runtime = await TreeSitterRuntime.create(findGrammarsDir(scriptDir));
      const probe = await AstProbe.load(flags.model ? resolve(flags.model) : defaultEncoderDir(scriptDir), runtime);
      try {
        if (!probe.languages.includes(language)) throw new UsageError(`no AST probe for ${language} (probes: ${probe.languages.join(', ')})`);
        const units = await functionsOf(readFileSync(path, 'utf8'), language, runtime, path);
        const chosen = flags.function ? units.filter((unit) => unit.name === flags.function || unit.name.endsWith(`.${flags.function}`)) : units;
        if (chosen.length === 0) throw new UsageError(flags.function ? `${file}: no function or method named ${flags.function}` : `${file}: no functions or methods`);
        const shownFile = relative(process.cwd(), path) || path;
        for (const unit of chosen) {
          const result = await probe.probe(unit.text, language, flags.layer);
          if (typeof result === 'string') {
            process.stderr.write(`${shownFile}: ${unit.name}: skipped (${result})\n`);
            continue;
          }
          const { precision, recall, f1 } = result.score;
          if (flags.json) {
            process.stdout.write(`${JSON.stringify({ file: shownFile, name: unit.name, layer: result.layer, precision: round(precision), recall: round(recall), f1: round(f1) })}\n`);
          } else {
            process.stdout.write(`== ${shownFile}:${unit.startLine} ${unit.name} (${language}, layer ${result.layer}): precision ${precision.toFixed(3)}  recall ${recall.toFixed(3)}  F1 ${f1.toFixed(3)}\n`);
            process.stdout.write(`-- recovered tree\n${formatTree(result.predicted)}\n-- true tree\n${formatTree(result.truth)}\n\n`);
          }
        }
      } finally {
        await probe.dispose();
      }
    });

  const cache = join(homedir(), '.cache', 'astrolabe');
  program
    .command('probe-data')
    .description('write AST-Probe training data (trees and per-layer word vectors) from the training corpus; training/README.md')
    .option('--units <jsonl...>', 'corpus files whose units are split into train and test by package', [join(cache, 'corpus', 'train.jsonl')])
    .option('--held-out <jsonl...>', 'corpus files whose units are all test units', [join(cache, 'corpus', 'valid.jsonl')])
    .option('--languages <ids>', 'comma-separated language ids', 'python,javascript,go')
    .option('--train <n>', 'training units per language (the paper used 20,000)', positiveInt, 20000)
    .option('--test <n>', 'test units per language', positiveInt, 400)
    .option('--seed <n>', 'sampling seed', positiveInt, 1)
    .option('--model <dir>', 'encoder folder (default: the bundled models/encoder)')
    .option('--with-text', "also write each unit's text and leaf spans (to probe another model, e.g. training/probe_lm_states.py)")
    .requiredOption('--out <dir>', 'where to write (e.g. ~/.cache/astrolabe/probe/trained)')
    .action(async (flags: { units: string[]; heldOut: string[]; languages: string; train: number; test: number; seed: number; model?: string; withText?: boolean; out: string }) => {
      const known = new Set<string>(LANGUAGES.map((language) => language.id));
      const languages = flags.languages.split(',').map((id) => id.trim());
      for (const id of languages) if (!known.has(id)) throw new UsageError(`unknown language id ${id}`);
      for (const file of [...flags.units, ...flags.heldOut]) if (!existsSync(file)) throw new UsageError(`${file}: no such file`);
      const started = performance.now();
      const report = await writeProbeData({
        units: flags.units, heldOut: flags.heldOut, languages: languages as LanguageId[],
        perSplit: { train: flags.train, test: flags.test }, seed: flags.seed, withText: flags.withText === true,
        modelDir: flags.model ? resolve(flags.model) : defaultEncoderDir(scriptDir), out: resolve(flags.out),
        onProgress: (message) => process.stderr.write(`${message}\n`),
      }, await TreeSitterRuntime.create(findGrammarsDir(scriptDir)));
      process.stderr.write(`${JSON.stringify(report)}\nwrote ${flags.out} in ${((performance.now() - started) / 1000).toFixed(0)} s\n`);
    });
}

async function functionsOf(source: string, language: LanguageId, runtime: TreeSitterRuntime, file: string) {
  const parser = await runtime.createParser(language);
  const tree = parser.parse(source);
  try {
    if (!tree) return [];
    return new CodeUnitExtractor().extract(tree, source, language, file).filter((unit) => PROBED_KINDS.has(unit.kind));
  } finally {
    tree?.delete();
    parser.delete();
  }
}

function round(value: number): number {
  return Math.round(value * 10000) / 10000;
}
