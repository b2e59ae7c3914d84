import { lowerBoundBy } from '../lowerBound';
import { CloneType } from './cloneSettings';
import { TokenCorpus } from './tokenCorpus';
import { TokenPair } from './tokenPair';

/** One occurrence of cloned code. */
export interface CloneInstance {
  /** Path relative to the scanned root, "/" separated. */
  readonly file: string;
  /** 1-based, inclusive. */
  readonly startLine: number;
  readonly endLine: number;
  readonly tokens: number;
  /** The innermost code unit holding it, when one does (a function, a method, a class). */
  readonly unit?: { readonly name: string; readonly kind: string };
}

/**
 * Code found duplicated: instances that are clones of one another, from pairs merged (an instance in two
 * pairs joins them; overlapping instances in one file are one instance). Copies (Type 1 and 2) make
 * classes together; Type 3 and Type 4 pairs make classes of their own.
 */
export interface CloneClass {
  /** The highest type among its pairs: 1 when all are exact copies, 2 when some were renamed. */
  readonly type: CloneType;
  /** The lowest similarity among its pairs. */
  readonly similarity: number;
  /** Sorted by file, then line. */
  readonly instances: readonly CloneInstance[];
  /** The pairs found, as indices into `instances`, with their type and similarity. */
  readonly pairs: readonly ClassPair[];
  /** Lines of all instances together: how classes are ordered, largest first. */
  readonly lines: number;
}

export interface ClassPair {
  readonly a: number;
  readonly b: number;
  readonly type: CloneType;
  readonly similarity: number;
}

/**
 * Merges pairs into clone classes (copies, Type 3, Type 4 apart): union-find over the pairs' sides, where sides in
 * one file overlapping by at least half of the shorter are the same instance. Largest classes first.
 */
export function cloneClasses(corpus: TokenCorpus, pairs: readonly TokenPair[]): CloneClass[] {
  const classes: CloneClass[] = [];
  for (const types of [[1, 2], [3], [4]]) {
    const ofTypes = pairs.filter((pair) => types.includes(pair.type));
    if (ofTypes.length > 0) classes.push(...classesOf(corpus, ofTypes));
  }
  return classes.sort((x, y) => y.lines - x.lines || y.instances.length - x.instances.length || x.type - y.type);
}

interface Side {
  readonly start: number;
  readonly end: number;
  readonly file: number;
}

function classesOf(corpus: TokenCorpus, pairs: readonly TokenPair[]): CloneClass[] {
  const sides: Side[] = [];
  for (const pair of pairs) {
    sides.push({ start: pair.aStart, end: pair.aEnd, file: corpus.fileAt(pair.aStart) });
    sides.push({ start: pair.bStart, end: pair.bEnd, file: corpus.fileAt(pair.bStart) });
  }
  const parent = Int32Array.from(sides, (_, index) => index);
  const find = (x: number): number => {
    while (parent[x] !== x) {
      parent[x] = parent[parent[x]!]!;
      x = parent[x]!;
    }
    return x;
  };
  const union = (x: number, y: number): void => {
    const rx = find(x);
    const ry = find(y);
    if (rx !== ry) parent[Math.max(rx, ry)] = Math.min(rx, ry);
  };
  for (let i = 0; i < pairs.length; i++) union(2 * i, 2 * i + 1);
  // Sides in position order: one that mostly overlaps the reaching-furthest side before it is the same code.
  const byStart = sides.map((_, index) => index).sort((x, y) => sides[x]!.start - sides[y]!.start || sides[y]!.end - sides[x]!.end);
  // The instance each side belongs to (an index into byStart of its first side), merged the same way.
  const instanceOf = new Int32Array(sides.length);
  let reach = -1;
  for (const index of byStart) {
    const side = sides[index]!;
    const previous = reach >= 0 ? sides[reach]! : undefined;
    if (previous && previous.file === side.file && sameCode(previous, side)) {
      union(reach, index);
      instanceOf[index] = instanceOf[reach]!;
      if (side.end > previous.end) reach = index;
      instanceOf[reach] = instanceOf[index]!;
    } else {
      instanceOf[index] = index;
      reach = index;
    }
  }
  // Instances: the extent of the sides that make each one.
  const extent = new Map<number, { start: number; end: number }>();
  for (let index = 0; index < sides.length; index++) {
    const side = sides[index]!;
    const key = instanceOf[index]!;
    const current = extent.get(key);
    if (!current) extent.set(key, { start: side.start, end: side.end });
    else { current.start = Math.min(current.start, side.start); current.end = Math.max(current.end, side.end); }
  }
  const groups = new Map<number, { instances: Map<number, number>; pairs: ClassPair[]; similarity: number; type: CloneType }>();
  const groupOf = (root: number) => {
    let group = groups.get(root);
    if (!group) groups.set(root, (group = { instances: new Map(), pairs: [], similarity: 1, type: 1 }));
    return group;
  };
  for (let i = 0; i < pairs.length; i++) {
    const group = groupOf(find(2 * i));
    const slot = (side: number): number => {
      const key = instanceOf[side]!;
      let at = group.instances.get(key);
      if (at === undefined) group.instances.set(key, (at = group.instances.size));
      return at;
    };
    const a = slot(2 * i);
    const b = slot(2 * i + 1);
    if (a === b) continue; // both sides collapsed into one instance: nothing to report
    const pair = pairs[i]!;
    group.pairs.push({ a, b, type: pair.type, similarity: pair.similarity });
    group.similarity = Math.min(group.similarity, pair.similarity);
    if (pair.type > group.type) group.type = pair.type;
  }
  const result: CloneClass[] = [];
  for (const group of groups.values()) {
    if (group.pairs.length === 0) continue;
    const keys = [...group.instances.keys()];
    const instances = keys.map((key) => instanceAt(corpus, extent.get(key)!.start, extent.get(key)!.end));
    // Sort instances by file and line, and renumber the pairs to match.
    const order = instances.map((_, index) => index).sort((x, y) => compareText(instances[x]!.file, instances[y]!.file) || instances[x]!.startLine - instances[y]!.startLine);
    const renumber = new Int32Array(order.length);
    order.forEach((old, now) => { renumber[old] = now; });
    const sorted = order.map((old) => instances[old]!);
    result.push({
      type: group.type,
      similarity: group.similarity,
      instances: sorted,
      pairs: group.pairs.map((pair) => ({ ...pair, a: renumber[pair.a]!, b: renumber[pair.b]! })),
      lines: sorted.reduce((sum, instance) => sum + instance.endLine - instance.startLine + 1, 0),
    });
  }
  return result;
}

/** Two sides of one file are the same code when they overlap by at least half of the shorter. */
function sameCode(x: Side, y: Side): boolean {
  const overlap = Math.min(x.end, y.end) - Math.max(x.start, y.start);
  return 2 * overlap >= Math.min(x.end - x.start, y.end - y.start);
}

function instanceAt(corpus: TokenCorpus, start: number, end: number): CloneInstance {
  const fileIndex = corpus.fileAt(start);
  const startLine = corpus.line[start]!;
  const endLine = corpus.lastLine[end - 1]!;
  // The innermost unit holding the instance: the last, by start, of those that contain it.
  let unit: { name: string; kind: string } | undefined;
  for (const candidate of unitsOf(corpus, fileIndex)) {
    if (candidate.startLine <= startLine && candidate.endLine >= endLine) unit = { name: candidate.name, kind: candidate.kind };
  }
  return { file: corpus.files[fileIndex]!.path, startLine, endLine, tokens: end - start, ...(unit ? { unit } : {}) };
}

/** The units of one file (corpus units are in file order). */
function unitsOf(corpus: TokenCorpus, file: number): TokenCorpus['units'] {
  const byFile = (unit: TokenCorpus['units'][number]) => unit.file;
  return corpus.units.slice(lowerBoundBy(corpus.units, byFile, file), lowerBoundBy(corpus.units, byFile, file + 1));
}

/** Code-unit order, the same in every locale. */
function compareText(x: string, y: string): number {
  return x < y ? -1 : x > y ? 1 : 0;
}
