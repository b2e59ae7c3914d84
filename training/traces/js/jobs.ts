import { readdirSync, readFileSync } from 'node:fs';
import { builtinModules } from 'node:module';
import { join, relative, sep } from 'node:path';
import type { Node, Parser } from 'web-tree-sitter';
import { documentedFunctions } from './examples';
import { buildHarness } from './harness';
import { instrumentFunction } from './instrument';

/**
 * Trace jobs for one npm package of the corpus: each function documented with runnable `@example`s, its
 * instrumented module and one harness per example. js_jobs.py runs them in the sandbox.
 */

export interface TraceExample {
  /** The example's position among the function's parsable examples. */
  readonly index: number;
  /** The example's code as documented. */
  readonly input: string;
  readonly harness: string;
}

export interface TraceJob {
  readonly package: string;
  /** Relative to the package folder, '/' separated. */
  readonly file: string;
  /** The function's name; `Class.method` for a method. */
  readonly name: string;
  /** 1-based line of the function's first line in the file. */
  readonly start_line: number;
  readonly line_count: number;
  readonly source: string;
  /** The file with the function instrumented (and, when it has a module-level name, exported as __astrolabeTarget). */
  readonly module: string;
  readonly probes: number;
  readonly examples: TraceExample[];
  readonly skipped: { index: number; reason: string }[];
}

export interface PackageScan {
  readonly jobs: TraceJob[];
  /** Functions or examples left out, by reason. */
  readonly skipped: Record<string, number>;
}

const SOURCE_EXTENSIONS = ['.js', '.mjs', '.cjs'];
const IGNORED_FOLDERS = new Set(['node_modules', '.git']);
/** Bundles repeat the package's modules (date-fns's cdn.js): their functions are traced from the modules. */
const BUNDLE = /(^|\/)(cdn|[\w.-]+\.(min|umd|bundle))\.[cm]?js$/;

export function listFiles(folder: string): string[] {
  const files: string[] = [];
  const walk = (directory: string): void => {
    let entries;
    try {
      entries = readdirSync(directory, { withFileTypes: true });
    } catch {
      return;
    }
    for (const entry of entries) {
      if (entry.isDirectory()) {
        if (!IGNORED_FOLDERS.has(entry.name)) walk(join(directory, entry.name));
      } else if (entry.isFile()) {
        files.push(relative(folder, join(directory, entry.name)).split(sep).join('/'));
      }
    }
  };
  walk(folder);
  return files.sort();
}

/** Source files worth reading: JavaScript with an `@example`, one of each .js/.mjs/.cjs twin, no bundles. */
function candidateFiles(files: readonly string[]): string[] {
  const all = new Set(files);
  return files.filter((file) => {
    const extension = SOURCE_EXTENSIONS.find((candidate) => file.endsWith(candidate));
    if (!extension || file.includes('.d.') || BUNDLE.test(file)) return false;
    const stem = file.slice(0, -extension.length);
    return extension === '.js' || !all.has(`${stem}.js`);
  });
}

/**
 * `folder` is the package as the corpus holds it (what is traced); `options.runFolder` the whole package
 * the examples run against (the corpus keeps a size-capped part of some packages), the same by default.
 */
export function scanPackage(parser: Parser, packageName: string, folder: string, options: { maxFunctions?: number; runFolder?: string } = {}): PackageScan {
  const files = listFiles(folder);
  const fileSet = new Set(options.runFolder !== undefined && options.runFolder !== folder ? listFiles(options.runFolder) : files);
  const globals = new Set(Object.getOwnPropertyNames(globalThis));
  const builtins = new Set(builtinModules);
  const jobs: TraceJob[] = [];
  const skipped: Record<string, number> = {};
  const skip = (reason: string): void => {
    const key = reason.replace(/ .*/, '');
    skipped[key] = (skipped[key] ?? 0) + 1;
  };
  for (const file of candidateFiles(files)) {
    if (options.maxFunctions !== undefined && jobs.length >= options.maxFunctions) break;
    let text: string;
    try {
      text = readFileSync(join(folder, file), 'utf8');
    } catch {
      continue;
    }
    if (!text.includes('@example') || text.length > 1_000_000) continue;
    const tree = parser.parse(text);
    if (!tree) continue;
    try {
      const root = tree.rootNode;
      const isModule = root.namedChildren.some((child) => child?.type === 'import_statement' || child?.type === 'export_statement');
      for (const documented of documentedFunctions(parser, root)) {
        const job = jobFor(parser, packageName, file, text, isModule, documented, { files: fileSet, globals, builtins }, skip);
        if (job) jobs.push(job);
      }
    } finally {
      tree.delete();
    }
  }
  return { jobs, skipped };
}

function jobFor(
  parser: Parser, packageName: string, file: string, text: string, isModule: boolean,
  documented: ReturnType<typeof documentedFunctions>[number],
  sets: { files: ReadonlySet<string>; globals: ReadonlySet<string>; builtins: ReadonlySet<string> },
  skip: (reason: string) => void,
): TraceJob | undefined {
  const node: Node = documented.node;
  let module: string;
  let probes: number;
  try {
    ({ code: module, probes } = instrumentFunction(text, node));
  } catch {
    skip('instrumentation-failed');
    return undefined;
  }
  if (documented.binding) {
    // The harness reaches a module-level function through this export even when the package keeps it private.
    module += isModule
      ? `\nexport { ${documented.binding} as __astrolabeTarget };\n`
      : `\n;try{if(typeof module==='object'&&module.exports!=null&&!('__astrolabeTarget' in module.exports))module.exports.__astrolabeTarget=${documented.binding};}catch(__astrolabe$e){}\n`;
  }
  const check = parser.parse(module);
  const broken = !check || check.rootNode.hasError;
  check?.delete();
  if (broken) {
    skip('instrumented-module-does-not-parse');
    return undefined;
  }
  const examples: TraceExample[] = [];
  const skippedExamples: { index: number; reason: string }[] = [];
  const mentions = new RegExp(`(^|[^\\w$])${documented.name.replace(/\$/g, '\\$')}($|[^\\w$])`);
  documented.examples.forEach((input, index) => {
    if (!mentions.test(input)) {
      skippedExamples.push({ index, reason: 'does-not-mention-function' });
      skip('example-does-not-mention-function');
      return;
    }
    const built = buildHarness(parser, input, {
      packageName, files: sets.files, targetFile: file, name: documented.name, globals: sets.globals, builtins: sets.builtins,
      ...(documented.binding ? { binding: documented.binding } : {}), ...(documented.className ? { className: documented.className } : {}),
    });
    if ('skipped' in built) {
      skippedExamples.push({ index, reason: built.skipped });
      skip(`example-${built.skipped}`);
      return;
    }
    examples.push({ index, input, harness: built.harness });
  });
  if (examples.length === 0) return undefined;
  const source = text.slice(node.startIndex, node.endIndex);
  return {
    package: packageName, file, name: documented.className ? `${documented.className}.${documented.name}` : documented.name, start_line: node.startPosition.row + 1,
    line_count: source.split('\n').length, source, module, probes, examples, skipped: skippedExamples,
  };
}
