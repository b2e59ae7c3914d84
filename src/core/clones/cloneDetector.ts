import { findEditedCopies } from './bagMatcher';
import { CloneClass, cloneClasses } from './cloneClasses';
import { CloneSettings, CloneType } from './cloneSettings';
import { findCopies } from './copyMatcher';
import { findSemanticClones, ModelCalibration, UnitVectorSource } from './embeddingMatcher';
import { TokenCorpus } from './tokenCorpus';
import { PairLookup, TokenPair } from './tokenPair';

export interface CloneReport {
  /** Largest first. */
  readonly classes: readonly CloneClass[];
  /** Pairs found, by clone type. */
  readonly pairCounts: Readonly<Record<CloneType, number>>;
  /** What was searched. */
  readonly files: number;
  readonly lines: number;
  readonly tokens: number;
  readonly units: number;
  /** Milliseconds spent per detector ("1-2", "3", "4") and merging ("classes"). */
  readonly timings: Readonly<Record<string, number>>;
}

/**
 * Finds clones of the requested types in a corpus: Type 1-2 by fingerprints, then Type 3 by token bags
 * and Type 4 by embeddings, each leaving out what the earlier ones found; then merges pairs into classes.
 * Type 4 needs `vectorOf` (unit embeddings, e.g. from the search index) and `model`, the encoder that
 * made them (its calibrated threshold; its mean embedding steadies small workspaces).
 */
export function detectClones(corpus: TokenCorpus, settings: CloneSettings, vectorOf?: UnitVectorSource, model?: ModelCalibration): CloneReport {
  if (settings.types.includes(4) && !vectorOf) throw new Error('Type 4 clone detection needs unit embeddings; none were given');
  const timings: Record<string, number> = {};
  const timed = <T>(name: string, work: () => T): T => {
    const started = performance.now();
    try {
      return work();
    } finally {
      timings[name] = performance.now() - started;
    }
  };
  const pairs: TokenPair[] = [];
  const wants = (type: CloneType): boolean => settings.types.includes(type);
  if (wants(1) || wants(2)) pairs.push(...timed('1-2', () => findCopies(corpus, settings)));
  if (wants(3)) {
    const found = new PairLookup(pairs);
    pairs.push(...timed('3', () => findEditedCopies(corpus, settings, found)));
  }
  if (wants(4)) {
    const found = new PairLookup(pairs);
    pairs.push(...timed('4', () => findSemanticClones(corpus, settings, vectorOf!, found, model)));
  }
  const classes = timed('classes', () => cloneClasses(corpus, pairs));
  const pairCounts: Record<CloneType, number> = { 1: 0, 2: 0, 3: 0, 4: 0 };
  for (const pair of pairs) pairCounts[pair.type]++;
  return { classes, pairCounts, files: corpus.files.length, lines: corpus.lineCount, tokens: corpus.length, units: corpus.units.length, timings };
}

/** The pairs a report holds, flattened (for tools that want pairs, not classes: a comparison, SARIF). */
export function clonePairs(report: Pick<CloneReport, 'classes'>): { type: CloneType; similarity: number; a: CloneClass['instances'][number]; b: CloneClass['instances'][number] }[] {
  return report.classes.flatMap((cloneClass) => cloneClass.pairs.map((pair) => ({
    type: pair.type,
    similarity: pair.similarity,
    a: cloneClass.instances[pair.a]!,
    b: cloneClass.instances[pair.b]!,
  })));
}
