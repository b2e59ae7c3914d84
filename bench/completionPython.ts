// Monitor-guided completion on real, typed Python written by others: the dereference benchmark of
// completion.ts on mypy's own sources (Debian's python3-mypy, not in the training corpus), with pyright's
// language server as the static analysis. At each `.` inside a method: prompt with the file up to the
// dot (and the file after the dot's line as the suffix), complete to the end of the line, score.
import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync, readdirSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { homedir } from 'node:os';
import { join } from 'node:path';
import type { Node } from 'web-tree-sitter';
import { PYTHON_SYNTAX } from '../src/core/monitor/codeSyntax';
import { dereferenceAtEnd } from '../src/core/monitor/dereferenceMonitor';
import { PyrightAnalysis, PyrightError } from '../src/core/monitor/pyrightAnalysis';
import { findGrammarsDir } from '../src/core/parse/grammarsDir';
import { TreeSitterRuntime } from '../src/core/parse/treeSitterRuntime';
import { BenchRow } from './benchTable';
import { cliLatency, DereferencePrompt, evenlySpaced, runDereferenceBench } from './completion';

/** Pinned: the Debian package whose sources the prompts come from (MIT; mypy type-checks itself). */
const DEBIAN_PACKAGE = 'python3-mypy=1.0.1-1';
const PACKAGES = join('usr', 'lib', 'python3', 'dist-packages');
/** Files longer than this are left out: pyright re-analyses the whole file at every question. */
const MAX_LINES = 2500;

/** The package's files, unpacked once into the bench cache (apt-get download needs Debian's package lists). */
function unpackedSources(): string | undefined {
  const cache = join(process.env.ASTROLABE_BENCH_CACHE ?? join(homedir(), '.cache', 'astrolabe', 'bench'), 'python3-mypy');
  const sources = join(cache, 'root', PACKAGES, 'mypy');
  if (existsSync(sources)) return sources;
  try {
    rmSync(cache, { recursive: true, force: true });
    mkdirSync(cache, { recursive: true });
    execFileSync('apt-get', ['download', DEBIAN_PACKAGE], { cwd: cache, stdio: 'ignore' });
    const deb = readdirSync(cache).find((name) => name.endsWith('.deb'))!;
    execFileSync('dpkg-deb', ['-x', deb, 'root.partial'], { cwd: cache });
    // dist-packages is the project root pyright resolves `import mypy.nodes` from.
    writeFileSync(join(cache, 'root.partial', PACKAGES, 'pyrightconfig.json'), '{}\n');
    renameSync(join(cache, 'root.partial'), join(cache, 'root'));
    return sources;
  } catch (error) {
    process.stderr.write(`bench: completion-python skipped (could not fetch ${DEBIAN_PACKAGE}: ${error instanceof Error ? error.message : String(error)})\n`);
    return undefined;
  }
}

function sourceFiles(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true, recursive: true })
    .filter((entry) => entry.isFile() && entry.name.endsWith('.py') && !entry.name.includes('.prompt-') && !/[/\\](test|typeshed|dmypy)[/\\]/.test(entry.parentPath + '/'))
    .map((entry) => join(entry.parentPath, entry.name))
    .sort();
}

/** Every `expr.name` inside a method (a function defined in a class) whose dot follows the expression on its line. */
function dereferencesIn(file: string, text: string, root: Node): DereferencePrompt[] {
  const prompts: DereferencePrompt[] = [];
  const visit = (node: Node, inClass: boolean, inMethod: boolean): void => {
    const method = inMethod || (inClass && node.type === 'function_definition');
    if (method && node.type === 'attribute') {
      const name = node.childForFieldName('attribute');
      const offset = name?.startIndex ?? -1;
      const lineEnd = text.indexOf('\n', offset);
      const prefix = text.slice(0, offset);
      if (name && dereferenceAtEnd(prefix, PYTHON_SYNTAX) && lineEnd > offset) {
        prompts.push({ file, offset, truth: text.slice(offset, lineEnd), prefix, suffix: text.slice(lineEnd) });
      }
    }
    for (const child of node.children) if (child) visit(child, inClass || node.type === 'class_definition', method);
  };
  visit(root, false, false);
  return prompts;
}

// The samples (every prompt with its completions) go beside the results, so `--results DIR` keeps a run apart.
export async function benchCompletionPython(repoRoot: string, resultsDir: string, promptCount = Number(process.env.ASTROLABE_COMPLETION_PROMPTS ?? 360), maxTokens = 32): Promise<BenchRow[]> {
  const modelDir = join(repoRoot, 'models', 'completion');
  if (!existsSync(join(modelDir, 'config.json'))) {
    process.stderr.write(`bench: completion-python skipped (no model at ${modelDir})\n`);
    return [];
  }
  const sources = unpackedSources();
  if (!sources) return [];
  const runtime = await TreeSitterRuntime.create(findGrammarsDir(join(repoRoot, 'dist')));
  const parser = await runtime.createParser('python');
  const all: DereferencePrompt[] = [];
  for (const file of sourceFiles(sources)) {
    const text = readFileSync(file, 'utf8');
    if (text.split('\n').length > MAX_LINES) continue;
    const tree = parser.parse(text);
    if (tree && !tree.rootNode.hasError) all.push(...dereferencesIn(file, text, tree.rootNode));
    tree?.delete();
  }
  parser.delete();
  const prompts = evenlySpaced(all, promptCount);
  process.stderr.write(`completion-python: ${all.length} dereferences in methods of ${DEBIAN_PACKAGE}, ${prompts.length} prompts\n`);

  const analysis = new PyrightAnalysis();
  const originalErrors = new Map<string, PyrightError[]>();
  try {
    const run = await runDereferenceBench({
      bench: 'completion-python', modelDir, analysis, prompts, maxTokens, sourceRoot: sources,
      // mypy's code is checked by mypy, not pyright: a file may have pyright errors already. Compiles: no more
      // errors on the completed line than it had, and no more in the file (a broken line breaks what follows).
      compiles: async (prompt, completion) => {
        if (!originalErrors.has(prompt.file)) originalErrors.set(prompt.file, await analysis.errors(prompt.file, readFileSync(prompt.file, 'utf8')));
        const original = originalErrors.get(prompt.file)!;
        const completed = await analysis.errors(prompt.file, prompt.prefix + completion + prompt.suffix);
        const line = prompt.prefix.split('\n').length - 1;
        const onLine = (errors: readonly PyrightError[]) => errors.filter((error) => error.line === line).length;
        return onLine(completed) <= onLine(original) && completed.length <= original.length;
      },
    });
    mkdirSync(resultsDir, { recursive: true });
    writeFileSync(join(resultsDir, 'completion-python-samples.jsonl'), run.samples.map((sample) => JSON.stringify(sample)).join('\n') + '\n');
    return [...run.rows('mypy 1.0.1, pyright'), ...cliLatency(repoRoot, sources, prompts, maxTokens, 'completion-python')];
  } finally {
    await analysis.close();
  }
}
