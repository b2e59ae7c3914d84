// The `astrolabe` command line: a thin adapter over src/core.
import { Command } from 'commander';
import { positiveInt, runCommandLine, UsageError } from './commandLine';
import { statSync } from 'node:fs';
import { resolve } from 'node:path';
import { defaultEncoderDir } from '../core/model/modelsDir';
import { CodeUnit } from '../core/parse/codeUnit';
import { LanguageId } from '../core/parse/languages';
import { SearchIndex, SearchMode } from '../core/search/searchIndex';
import { findGrammarsDir } from '../core/parse/grammarsDir';
import { TreeSitterRuntime } from '../core/parse/treeSitterRuntime';
import { ScanReport } from '../core/scan/scanReport';
import { ParsedFile, scanRoots } from '../core/scan/scanRoots';
import { DEFAULT_SCAN_OPTIONS, ScanOptions } from '../core/scan/workspaceScanner';
import { benchFolder, formatBench } from './benchCommand';
import { classCountArgument, CLONE_FORMATS, cloneTypesArgument, runClones } from './clonesCommand';
import { DEFAULT_CLONE_SETTINGS, CloneType } from '../core/clones/cloneSettings';
import { embedFolder } from './embedCommand';
import { registerProbeCommands } from './probeCommand';
import { registerCompleteCommand } from './completeCommand';
import { defaultIndexDir, hitJson, indexFolder, indexSummary, runQuery, runQueryFile } from './searchCommands';
import { formatUnitsText, reportText, unitJsonLine, unitsJson } from './unitsOutput';

const program = new Command()
  .name('astrolabe')
  .description('Code-aware embeddings for your workspace, local and offline.')
  .showHelpAfterError();

program
  .command('units')
  .description('list the code units (functions, methods, classes, top-level windows) of a folder, and the scan report')
  .argument('<folder>', 'folder to scan')
  .option('--json', 'print one JSON object: {"units": [...], "report": {...}}')
  .option('--jsonl', 'stream one JSON object per unit, with its source text, as files are parsed (the report goes to stderr)')
  .option('--exclude <glob...>', 'extra glob patterns to leave out, relative to the folder')
  .option('--no-gitignore', 'do not honour .gitignore files')
  .option('--max-file-size-kb <n>', 'skip files larger than this', positiveInt, DEFAULT_SCAN_OPTIONS.maxFileSizeBytes / 1024)
  .action(async (folder: string, flags: { json?: boolean; jsonl?: boolean; exclude?: string[]; gitignore: boolean; maxFileSizeKb: number }) => {
    if (flags.json && flags.jsonl) throw new UsageError('choose one of --json and --jsonl');
    const root = existingFolder(folder);
    const options: ScanOptions = {
      ...DEFAULT_SCAN_OPTIONS,
      exclude: [...DEFAULT_SCAN_OPTIONS.exclude, ...(flags.exclude ?? [])],
      respectGitignore: flags.gitignore,
      maxFileSizeBytes: flags.maxFileSizeKb * 1024,
    };
    const runtime = await TreeSitterRuntime.create(findGrammarsDir(__dirname));
    const units: CodeUnit[] = [];
    const abort = new AbortController();
    process.once('SIGINT', () => abort.abort(new Error('interrupted')));
    // --jsonl streams (a corpus of millions of units must not sit in memory); the others print at the end.
    const onParsed = flags.jsonl
      ? (_: unknown, file: ParsedFile) => { for (const unit of file.units) writeLine(unitJsonLine(unit)); }
      : (_: unknown, file: ParsedFile) => { units.push(...file.units); };
    const report: ScanReport = await scanRoots([{ name: folder, path: root }], runtime, options, { onParsed }, abort.signal);
    if (flags.jsonl) process.stderr.write(`${reportText(report)}\n`);
    else if (flags.json) writeLine(JSON.stringify(unitsJson(units, report)));
    else process.stdout.write(formatUnitsText(units, report));
    await flushStdout();
  });

// stdout may be a pipe: keep the written order and let it drain before the process exits.
function writeLine(line: string): void {
  process.stdout.write(`${line}\n`);
}

function flushStdout(): Promise<void> {
  return new Promise((resolve) => process.stdout.write('', () => resolve()));
}

const MODES: SearchMode[] = ['hybrid', 'vector', 'lexical'];

program
  .command('index')
  .description('build or update the search index of a folder (only changed files are parsed, only new units embedded)')
  .argument('<folder>', 'folder to index')
  .option('--index-dir <dir>', 'where the index lives (default: a folder per workspace under ~/.cache/astrolabe/indexes)')
  .option('--model <dir>', 'encoder folder (default: the bundled models/encoder)')
  .option('--dimension <n>', "embedding size: one of the model's Matryoshka dimensions", positiveInt)
  .action(async (folder: string, flags: { indexDir?: string; model?: string; dimension?: number }) => {
    const root = existingFolder(folder);
    const abort = new AbortController();
    process.once('SIGINT', () => abort.abort(new Error('interrupted; what was embedded is kept')));
    const indexed = await indexFolder(root, flags.indexDir ? resolve(flags.indexDir) : defaultIndexDir(root), modelDirOf(flags.model), DEFAULT_SCAN_OPTIONS, findGrammarsDir(__dirname), flags.dimension, abort.signal);
    process.stderr.write(`${indexSummary(indexed)}\n`);
    await indexed.embedder?.dispose();
  });

program
  .command('search')
  .description('search a folder by meaning and by words (indexing it first if needed)')
  .argument('<folder>', 'folder to search')
  .argument('[query]', 'words or code')
  .option('--queries <jsonl>', 'batch mode: lines {"id", "query"}; prints lines {"id", "results": [...]}')
  .option('--k <n>', 'results per query', positiveInt, 10)
  .option('--mode <mode>', `${MODES.join(', ')}`, 'hybrid')
  .option('--language <id...>', 'only units of these languages (python, typescript, ...)')
  .option('--path <glob>', 'only files matching this glob, relative to the folder')
  .option('--json', 'print the results as one JSON object')
  .option('--index-dir <dir>', 'where the index lives')
  .option('--model <dir>', 'encoder folder (default: the bundled models/encoder)')
  .option('--dimension <n>', "embedding size: one of the model's Matryoshka dimensions", positiveInt)
  .action(async (folder: string, query: string | undefined, flags: { queries?: string; k: number; mode: string; language?: string[]; path?: string; json?: boolean; indexDir?: string; model?: string; dimension?: number }) => {
    if ((query === undefined) === (flags.queries === undefined)) throw new UsageError('give a query, or --queries FILE.jsonl');
    if (!MODES.includes(flags.mode as SearchMode)) throw new UsageError(`--mode must be one of ${MODES.join(', ')}`);
    const root = existingFolder(folder);
    const abort = new AbortController();
    process.once('SIGINT', () => abort.abort(new Error('interrupted')));
    const indexed = await indexFolder(root, flags.indexDir ? resolve(flags.indexDir) : defaultIndexDir(root), modelDirOf(flags.model), DEFAULT_SCAN_OPTIONS, findGrammarsDir(__dirname), flags.dimension, abort.signal, true);
    try {
      const index = SearchIndex.fromStore(indexed.store);
      const options = { k: flags.k, mode: flags.mode as SearchMode, languages: flags.language as LanguageId[] | undefined, pathGlob: flags.path };
      if (flags.queries) {
        const count = await runQueryFile(resolve(flags.queries), index, indexed.embedder, options, writeLine, indexed.encoderProblem);
        process.stderr.write(`${count} queries over ${index.size} units\n`);
      } else {
        const hits = await runQuery(index, indexed.embedder, query!, options, indexed.encoderProblem);
        if (flags.json) writeLine(JSON.stringify({ query, results: hits.map(hitJson) }));
        else process.stdout.write(hits.map((hit, rank) => `${String(rank + 1).padStart(3)}. ${hit.score.toFixed(4)}  ${hit.file}:${hit.unit.startLine}-${hit.unit.endLine}  ${hit.unit.kind} ${hit.unit.name}`).join('\n') + '\n');
      }
    } finally {
      await indexed.embedder?.dispose();
    }
    await flushStdout();
  });

function modelDirOf(flag: string | undefined): string {
  return flag ? resolve(flag) : defaultEncoderDir(__dirname);
}

program
  .command('embed')
  .description('embed every code unit of a folder with the encoder and write one JSON line per unit')
  .argument('<folder>', 'folder to scan')
  .requiredOption('--out <file>', 'where to write the vectors (JSON lines: file, kind, name, lines, hash, vector)')
  .option('--model <dir>', 'encoder folder (default: the bundled models/encoder)')
  .option('--dimension <n>', 'embedding size: one of the model\'s Matryoshka dimensions (default: the full size)', positiveInt)
  .option('--threads <n>', 'onnxruntime threads', positiveInt, 2)
  .action(async (folder: string, flags: { out: string; model?: string; dimension?: number; threads: number }) => {
    const abort = new AbortController();
    process.once('SIGINT', () => abort.abort(new Error('interrupted')));
    const { report, seconds } = await embedFolder({
      root: existingFolder(folder),
      options: DEFAULT_SCAN_OPTIONS,
      grammarsDir: findGrammarsDir(__dirname),
      modelDir: flags.model ? resolve(flags.model) : defaultEncoderDir(__dirname),
      out: resolve(flags.out),
      dimension: flags.dimension,
      threads: flags.threads,
      onProgress: (message) => { if (process.stderr.isTTY) process.stderr.write(`\r${message}`); },
      signal: abort.signal,
    });
    if (process.stderr.isTTY) process.stderr.write('\n');
    process.stderr.write(`${reportText(report)}\nembedded ${report.units} units in ${seconds.toFixed(1)} s (${(report.units / seconds).toFixed(0)} units/s); wrote ${flags.out}\n`);
  });

program
  .command('bench')
  .description('measure how fast Astrolabe scans and embeds a folder on this machine')
  .argument('[folder]', 'folder to measure', '.')
  .option('--model <dir>', 'encoder folder (default: the bundled models/encoder)')
  .option('--embed-units <n>', 'units to embed', positiveInt, 1000)
  .option('--threads <n>', 'onnxruntime threads', positiveInt, 2)
  .option('--json', 'print the measures as one JSON object')
  .action(async (folder: string, flags: { model?: string; embedUnits: number; threads: number; json?: boolean }) => {
    const result = await benchFolder(existingFolder(folder), DEFAULT_SCAN_OPTIONS, findGrammarsDir(__dirname), flags.model ? resolve(flags.model) : defaultEncoderDir(__dirname), flags.embedUnits, flags.threads);
    process.stdout.write(flags.json ? `${JSON.stringify(result)}\n` : formatBench(result));
  });

registerProbeCommands(program, __dirname);
registerCompleteCommand(program, __dirname);

program
  .command('clones')
  .description('find duplicated and near-duplicated code: copies (Type 1), renamed copies (2), edited copies (3), similar code (4, from embeddings)')
  .argument('<folder>', 'folder to search')
  .option('--format <format>', CLONE_FORMATS.join(', '), 'text')
  .option('--types <list>', 'clone types to find, comma-separated; Type 4 indexes the folder first (as search does)', cloneTypesArgument, [...DEFAULT_CLONE_SETTINGS.types])
  .option('--min-tokens <n>', 'smallest clone, in tokens', positiveInt, DEFAULT_CLONE_SETTINGS.minTokens)
  .option('--min-lines <n>', 'smallest clone, in lines (its longer side)', positiveInt, DEFAULT_CLONE_SETTINGS.minLines)
  .option('--fail-on <n>', 'exit with code 1 when more than N clone classes are found (after printing them)', classCountArgument)
  .option('--exclude <glob...>', 'extra glob patterns to leave out, relative to the folder')
  .option('--no-gitignore', 'do not honour .gitignore files')
  .option('--index-dir <dir>', 'where the search index lives (Type 4)')
  .option('--model <dir>', 'encoder folder (default: the bundled models/encoder)')
  .action(async (folder: string, flags: { format: string; types: CloneType[]; minTokens: number; minLines: number; failOn?: number; exclude?: string[]; gitignore: boolean; indexDir?: string; model?: string }) => {
    const root = existingFolder(folder);
    const abort = new AbortController();
    process.once('SIGINT', () => abort.abort(new Error('interrupted')));
    const options: ScanOptions = { ...DEFAULT_SCAN_OPTIONS, exclude: [...DEFAULT_SCAN_OPTIONS.exclude, ...(flags.exclude ?? [])], respectGitignore: flags.gitignore };
    const code = await runClones(root, { ...flags, modelDir: modelDirOf(flags.model) }, options, abort.signal, (text) => process.stdout.write(text));
    await flushStdout();
    if (code !== 0) process.stderr.write(`astrolabe: more than ${flags.failOn} clone classes (--fail-on)\n`);
    process.exitCode = code;
  });

function existingFolder(folder: string): string {
  const path = resolve(folder);
  let isFolder = false;
  try {
    isFolder = statSync(path).isDirectory();
  } catch {
    throw new UsageError(`${folder}: no such folder`);
  }
  if (!isFolder) throw new UsageError(`${folder}: not a folder`);
  return path;
}



runCommandLine(program, 'astrolabe');
