import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { CodeUnit } from '../../src/core/parse/codeUnit';
import { ChunkingOptions, CodeUnitExtractor, DEFAULT_CHUNKING } from '../../src/core/parse/codeUnitExtractor';
import { findGrammarsDir } from '../../src/core/parse/grammarsDir';
import { LanguageId } from '../../src/core/parse/languages';
import { TreeSitterRuntime } from '../../src/core/parse/treeSitterRuntime';

/** The repository's test/unit/fixtures (tests run compiled from out/test/unit). */
export const FIXTURES = join(__dirname, '..', '..', '..', 'test', 'unit', 'fixtures');
export const GRAMMARS = findGrammarsDir(__dirname);

let runtime: Promise<TreeSitterRuntime> | undefined;
export function treeSitter(): Promise<TreeSitterRuntime> {
  return (runtime ??= TreeSitterRuntime.create(GRAMMARS));
}

/** Parses `source` and cuts it into units, freeing the wasm objects afterwards. */
export async function unitsOf(source: string, language: LanguageId, options: ChunkingOptions = DEFAULT_CHUNKING, file = 'input'): Promise<{ units: CodeUnit[]; hasError: boolean }> {
  const parser = await (await treeSitter()).createParser(language);
  const extractor = new CodeUnitExtractor(options);
  const tree = parser.parse(source);
  try {
    if (!tree) throw new Error('no tree');
    return { units: extractor.extract(tree, source, language, file), hasError: tree.rootNode.hasError };
  } finally {
    tree?.delete();
    parser.delete();
  }
}

/** "kind name start-end", the way the fixtures' expectations are written. */
export function describeUnit(unit: CodeUnit): string {
  return `${unit.kind} ${unit.name} ${unit.startLine}-${unit.endLine}`;
}

/** A fresh temporary folder, removed after the test (`t.after`). */
export function temporaryFolder(t: { after(fn: () => void): void }, prefix = 'astrolabe-test-'): string {
  const folder = mkdtempSync(join(tmpdir(), prefix));
  t.after(() => rmSync(folder, { recursive: true, force: true }));
  return folder;
}
