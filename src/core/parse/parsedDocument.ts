import { Edit, Parser, Point, Tree } from 'web-tree-sitter';
import { CodeUnit } from './codeUnit';
import { CodeUnitExtractor } from './codeUnitExtractor';
import { LanguageId } from './languages';

/** One edit of a document, in UTF-16 indices and (row, column) points of the text before the edit. */
export interface TextChange {
  readonly startIndex: number;
  readonly oldEndIndex: number;
  readonly startPosition: Point;
  readonly oldEndPosition: Point;
  readonly newText: string;
}

/**
 * An open document kept parsed as it changes: each change is applied to the old tree with `Tree.edit`
 * and the new text is re-parsed reusing it, so a keystroke costs far less than a fresh parse.
 * Owns its tree (wasm memory): call `delete()`.
 */
export class ParsedDocument {
  private tree: Tree;
  private cachedUnits: CodeUnit[] | undefined;

  constructor(
    private readonly parser: Parser,
    private readonly extractor: CodeUnitExtractor,
    readonly language: LanguageId,
    readonly file: string,
    private text: string,
  ) {
    this.tree = parseOrThrow(parser, text, undefined, file);
  }

  get source(): string {
    return this.text;
  }

  get hasSyntaxErrors(): boolean {
    return this.tree.rootNode.hasError;
  }

  /**
   * Applies `changes` (all relative to the text before any of them, non-overlapping, as editors report
   * them) and re-parses incrementally. `newText` is the full text after the changes.
   */
  update(changes: readonly TextChange[], newText: string): void {
    // Applied from the end of the document backwards, each edit leaves earlier offsets valid.
    const ordered = [...changes].sort((a, b) => b.startIndex - a.startIndex);
    for (const change of ordered) {
      this.tree.edit(new Edit({
        startIndex: change.startIndex,
        oldEndIndex: change.oldEndIndex,
        newEndIndex: change.startIndex + change.newText.length,
        startPosition: change.startPosition,
        oldEndPosition: change.oldEndPosition,
        newEndPosition: pointAfter(change.startPosition, change.newText),
      }));
    }
    const next = parseOrThrow(this.parser, newText, this.tree, this.file);
    this.tree.delete();
    this.tree = next;
    this.text = newText;
    this.cachedUnits = undefined;
  }

  /** Replaces the whole text with a fresh parse (after a reload, or when changes were missed). */
  reset(newText: string): void {
    const next = parseOrThrow(this.parser, newText, undefined, this.file);
    this.tree.delete();
    this.tree = next;
    this.text = newText;
    this.cachedUnits = undefined;
  }

  units(): CodeUnit[] {
    this.cachedUnits ??= this.extractor.extract(this.tree, this.text, this.language, this.file);
    return this.cachedUnits;
  }

  /** The S-expression of the current tree (for tests and debugging). */
  syntaxTree(): string {
    return this.tree.rootNode.toString();
  }

  delete(): void {
    this.tree.delete();
  }
}

/** Where the cursor ends up after typing `text` at `start` (columns in UTF-16 code units). */
export function pointAfter(start: Point, text: string): Point {
  const lastNewline = text.lastIndexOf('\n');
  if (lastNewline === -1) return { row: start.row, column: start.column + text.length };
  let rows = 0;
  for (let i = text.indexOf('\n'); i !== -1; i = text.indexOf('\n', i + 1)) rows++;
  return { row: start.row + rows, column: text.length - lastNewline - 1 };
}

function parseOrThrow(parser: Parser, text: string, old: Tree | undefined, file: string): Tree {
  const tree = parser.parse(text, old);
  if (!tree) throw new Error(`tree-sitter returned no tree for ${file}`);
  return tree;
}
