import type { Node, Parser } from 'web-tree-sitter';

/**
 * The harness module that runs one example in the sandbox: it loads the runtime, binds the example's free
 * names to the package's exports (the instrumented target first), and runs the example's code.
 *
 * Layout of the sandbox's scratch folder (made by js_jobs.py): `harness.mjs`, `runtime.mjs`, and `pkg/`, a
 * mirror of the package whose target file is the instrumented copy and whose other entries are symlinks
 * (node runs with --preserve-symlinks, so the package's own imports of the target reach the copy too).
 */

export const MIRROR = './pkg';

/** How a package's examples name it (`_.chunk`, `R.add`, `import ... from 'fp-ts/Array'`). */
export interface PackageHints {
  /** The module whose exports examples use by bare name, relative to the package folder. */
  readonly index?: string;
  /** Names examples give the whole package (`_` for lodash). */
  readonly aliases?: readonly string[];
  /** Other names examples import the package by (`lodash` for lodash-es). */
  readonly specifiers?: readonly string[];
}

export const PACKAGE_HINTS: Readonly<Record<string, PackageHints>> = {
  'lodash-es': { index: 'lodash.default.js', aliases: ['_'], specifiers: ['lodash'] },
  underscore: { index: 'index-all.js', aliases: ['_'] },
  ramda: { index: 'index.js', aliases: ['R'] },
  'simple-statistics': { index: 'index.js', aliases: ['ss'] },
  luxon: { index: 'luxon.js' },
  'date-fns': { index: 'index.js' },
  'fp-ts': { index: 'index.js' },
  graphql: { index: 'index.js' },
  semver: { index: 'index.js', aliases: ['semver'] },
  validator: { index: 'index.js', aliases: ['validator'] },
  mathjs: { index: 'index.js', aliases: ['math'] },
  moment: { index: 'moment.js', aliases: ['moment'] },
  dayjs: { index: 'index.js', aliases: ['dayjs'] },
  'crypto-js': { index: 'index.js', aliases: ['CryptoJS'] },
  'd3-array': { aliases: ['d3'] },
  'decimal.js': { index: 'decimal.mjs', aliases: ['Decimal'] },
  'bignumber.js': { index: 'bignumber.mjs', aliases: ['BigNumber'] },
  'big.js': { index: 'big.mjs', aliases: ['Big'] },
};

export interface HarnessContext {
  readonly packageName: string;
  /** Files of the package, relative to its folder, with '/' separators. */
  readonly files: ReadonlySet<string>;
  /** The target's file, relative to the package folder. */
  readonly targetFile: string;
  readonly name: string;
  readonly binding?: string;
  readonly className?: string;
  /** Names that are globals in node (not to be shadowed). */
  readonly globals: ReadonlySet<string>;
  /** node's built-in modules (`fs`, `assert`...), importable as they are. */
  readonly builtins: ReadonlySet<string>;
}

export type HarnessResult = { readonly harness: string } | { readonly skipped: string };

type LookupMode = 'target' | 'export' | 'module' | 'namespace';

export function buildHarness(parser: Parser, example: string, context: HarnessContext): HarnessResult {
  const tree = parser.parse(example);
  if (!tree) return { skipped: 'unparsable' };
  try {
    const root = tree.rootNode;
    const hints = PACKAGE_HINTS[context.packageName] ?? {};
    const index = hints.index && context.files.has(hints.index) ? hints.index : findIndex(context);
    const edits: { start: number; end: number; text: string }[] = [];
    const imports: string[] = [];
    const imported: string[] = [];
    // The example's imports move to the harness's top with specifiers that point into the mirror.
    for (const statement of root.namedChildren) {
      if (statement?.type !== 'import_statement') continue;
      const source = statement.childForFieldName('source');
      if (!source) return { skipped: 'import' };
      const resolved = resolveSpecifier(unquote(source.text), context, hints, index);
      if (!resolved) return { skipped: `import ${unquote(source.text)}` };
      imports.push(example.slice(statement.startIndex, source.startIndex) + JSON.stringify(resolved) + example.slice(source.endIndex, statement.endIndex));
      imported.push(...importedNames(statement));
      edits.push({ start: statement.startIndex, end: statement.endIndex, text: '' });
    }
    for (const call of root.descendantsOfType('call_expression')) {
      const callee = call?.childForFieldName('function');
      const argument = call?.childForFieldName('arguments')?.namedChildren[0];
      if (callee?.text !== 'require' || argument?.type !== 'string') continue;
      const resolved = resolveSpecifier(unquote(argument.text), context, hints, index);
      if (!resolved) return { skipped: `require ${unquote(argument.text)}` };
      edits.push({ start: argument.startIndex, end: argument.endIndex, text: JSON.stringify(resolved) });
    }
    let body = example;
    for (const edit of edits.sort((a, b) => b.start - a.start)) body = body.slice(0, edit.start) + edit.text + body.slice(edit.end);

    const target = `${MIRROR}/${context.targetFile}`;
    // name -> the harness expression that binds it
    const bindings = new Map<string, string>(imported.map((name) => [name, name]));
    const { free, assigned } = freeNames(root);
    for (const name of free) {
      if ((context.globals.has(name) && name !== 'require') || assigned.has(name) || bindings.has(name)) continue;
      if (name === 'require') {
        bindings.set(name, '__astrolabe.require(import.meta.url)');
        continue;
      }
      if (name === 'assert') {
        bindings.set(name, `(await import('node:assert')).default`);
        continue;
      }
      const sources: [string, LookupMode][] = [];
      if (!context.className && (name === context.name || name === context.binding)) sources.push([target, 'target']);
      else if (hints.aliases?.includes(name) && index) sources.push([`${MIRROR}/${index}`, 'namespace']);
      else {
        sources.push([target, 'export']);
        for (const file of siblingFiles(name, context)) sources.push([`${MIRROR}/${file}`, 'module']);
        if (index) sources.push([`${MIRROR}/${index}`, 'export']);
      }
      bindings.set(name, `await __astrolabe.lookup(${JSON.stringify(name)}, ${JSON.stringify(sources)}, import.meta.url)`);
    }
    // The example runs as the body of a sloppy-mode async function (examples assume a script: octal
    // literals, undeclared assignments), its free names passed in as parameters.
    const names = [...bindings.keys()];
    const harness = [
      `import './runtime.mjs';`,
      ...imports,
      `const __astrolabe = globalThis.__astrolabeTrace;`,
      `await __astrolabe.run(${JSON.stringify(names)}, [`,
      ...names.map((name) => `  ${bindings.get(name)!},`),
      `], ${JSON.stringify(body)});`,
      '',
    ].join('\n');
    return { harness };
  } finally {
    tree.delete();
  }
}

function unquote(literal: string): string {
  return literal.slice(1, -1);
}

function findIndex(context: HarnessContext): string | undefined {
  const base = context.packageName.replace(/^@[^/]+\//, '').replace(/\.js$/, '');
  return ['index.js', 'index.mjs', `${base}.js`, `${base}.mjs`, 'main.js'].find((file) => context.files.has(file));
}

/** The local names an import statement declares. */
function importedNames(statement: Node): string[] {
  const names: string[] = [];
  const clause = statement.namedChildren.find((child) => child?.type === 'import_clause');
  for (const part of clause?.namedChildren ?? []) {
    if (!part) continue;
    if (part.type === 'identifier') names.push(part.text);
    else if (part.type === 'namespace_import') names.push(...part.namedChildren.filter((child) => child?.type === 'identifier').map((child) => child!.text));
    else if (part.type === 'named_imports') {
      for (const specifier of part.namedChildren) {
        const local = specifier?.childForFieldName('alias') ?? specifier?.childForFieldName('name');
        if (local) names.push(local.text);
      }
    }
  }
  return names;
}

/** A package specifier (`fp-ts/Array`, `graphql/utilities`, `lodash`) as a path into the mirror; node builtins stay. */
function resolveSpecifier(specifier: string, context: HarnessContext, hints: PackageHints, index: string | undefined): string | undefined {
  if (specifier.startsWith('node:')) return specifier;
  const names = [context.packageName, ...(hints.specifiers ?? [])];
  const owner = names.find((name) => specifier === name || specifier.startsWith(`${name}/`));
  if (!owner) return context.builtins.has(specifier) ? specifier : undefined;
  let rest = specifier.slice(owner.length).replace(/^\//, '');
  if (!rest) return index ? `${MIRROR}/${index}` : undefined;
  for (let attempt = 0; attempt < 2; attempt++) {
    for (const candidate of [rest, `${rest}.js`, `${rest}.mjs`, `${rest}.cjs`, `${rest}/index.js`, `${rest}/index.mjs`]) {
      if (context.files.has(candidate)) return `${MIRROR}/${candidate}`;
    }
    // The published folder (lib/, es6/, dist/...) is often the package folder itself here.
    rest = rest.replace(/^(lib|es6|es|esm|src|dist|cjs|build)\//, '');
  }
  return undefined;
}

/** Files named after an identifier (date-fns's `format.js`), next to the target or at the package's top. */
function siblingFiles(name: string, context: HarnessContext): string[] {
  const directory = context.targetFile.includes('/') ? context.targetFile.slice(0, context.targetFile.lastIndexOf('/') + 1) : '';
  const found: string[] = [];
  for (const folder of new Set([directory, ''])) {
    for (const extension of ['.js', '.mjs', '.cjs', '/index.js']) {
      const file = `${folder}${name}${extension}`;
      if (context.files.has(file) && file !== context.targetFile) found.push(file);
    }
  }
  return found;
}

const DECLARING_PARENTS = new Set(['variable_declarator', 'function_declaration', 'generator_function_declaration', 'class_declaration',
  'function_expression', 'function', 'generator_function', 'class', 'import_specifier', 'namespace_import', 'import_clause', 'catch_clause']);

/** Identifiers the example uses without declaring them (scopes ignored: a name declared anywhere counts as declared). */
function freeNames(root: Node): { free: string[]; assigned: Set<string> } {
  const declared = new Set<string>();
  const used: string[] = [];
  const assigned = new Set<string>();
  const declare = (pattern: Node | null): void => {
    if (!pattern) return;
    if (pattern.type === 'identifier' || pattern.type === 'shorthand_property_identifier_pattern') declared.add(pattern.text);
    else if (pattern.type === 'assignment_pattern' || pattern.type === 'object_assignment_pattern') declare(pattern.childForFieldName('left'));
    else if (pattern.type === 'pair_pattern') declare(pattern.childForFieldName('value'));
    else for (const child of pattern.namedChildren) if (child && pattern.type !== 'member_expression') declare(child);
  };
  const visit = (node: Node): void => {
    const parent = node.parent;
    if (node.type === 'identifier' || node.type === 'shorthand_property_identifier') {
      if (parent && DECLARING_PARENTS.has(parent.type) && (parent.childForFieldName('name')?.id === node.id || parent.type.startsWith('import') || parent.type === 'namespace_import')) declared.add(node.text);
      else if (parent?.type === 'import_specifier') declared.add(node.text);
      else used.push(node.text);
      if (parent?.type === 'assignment_expression' && parent.childForFieldName('left')?.id === node.id) assigned.add(node.text);
    }
    if (node.type === 'formal_parameters') for (const child of node.namedChildren) declare(child);
    if (node.type === 'arrow_function') declare(node.childForFieldName('parameter'));
    if (node.type === 'variable_declarator') declare(node.childForFieldName('name'));
    if (node.type === 'catch_clause') declare(node.childForFieldName('parameter'));
    if (node.type === 'for_in_statement') declare(node.childForFieldName('left'));
    for (const child of node.namedChildren) if (child) visit(child);
  };
  visit(root);
  const free = [...new Set(used)].filter((name) => !declared.has(name) && name !== 'undefined' && name !== 'arguments' && !name.startsWith('__astrolabe'));
  for (const name of [...assigned]) if (declared.has(name)) assigned.delete(name);
  return { free, assigned };
}
