/** The four clone types: copies (1), renamed copies (2), edited copies (3), same behaviour written differently (4). */
export type CloneType = 1 | 2 | 3 | 4;

export const CLONE_TYPES: readonly CloneType[] = [1, 2, 3, 4];

/**
 * Everything a clone search can be tuned by; the defaults become the editor's `astrolabe.clones.*` settings.
 * Sizes count clone tokens (`cloneTokens.ts`: keywords, operators, identifiers, whole literals) plus the
 * comments among them, as jscpd counts; and source lines.
 */
export interface CloneSettings {
  /** Which detectors run. Type 4 needs unit embeddings (the search index). */
  readonly types: readonly CloneType[];
  /** Smallest clone reported, in tokens (jscpd's default is 50 too). */
  readonly minTokens: number;
  /** Smallest clone reported, in lines, on its longer side (jscpd's default is 5 too). */
  readonly minLines: number;
  /**
   * Type 2: of the identifier occurrences in a renamed copy, the share that must follow one consistent
   * renaming (a→x everywhere). Lower admits copies whose names were changed unsystematically, and noise.
   */
  readonly minRenameConsistency: number;
  /** Type 3: shared tokens (multiset overlap) over the larger unit's token count. */
  readonly type3Similarity: number;
  /**
   * Type 4: cosine similarity of the units' (workspace-centred) embeddings. Undefined: the encoder's own
   * calibrated threshold (`ModelCalibration`), else DEFAULT_TYPE4_SIMILARITY.
   */
  readonly type4Similarity?: number;
  /** Type 4: at most this many neighbours per unit are considered (the nearest ones). */
  readonly type4Neighbours: number;
}

/** The Type-4 threshold for a model whose config calibrates none (tuned for astrolabe-code-encoder-0.2 on POJ-104 dev). */
export const DEFAULT_TYPE4_SIMILARITY = 0.85;

export const DEFAULT_CLONE_SETTINGS: CloneSettings = {
  types: CLONE_TYPES,
  minTokens: 50,
  minLines: 5,
  minRenameConsistency: 0.8,
  type3Similarity: 0.75,
  type4Neighbours: 5,
};

/** Settings from user input: what is given, checked, over the defaults. Throws a clear error on a bad value. */
export function cloneSettings(given: Partial<CloneSettings> = {}): CloneSettings {
  const settings = { ...DEFAULT_CLONE_SETTINGS, ...definedOnly(given) };
  const types = [...new Set(settings.types)].sort();
  if (types.length === 0 || types.some((type) => !CLONE_TYPES.includes(type))) throw new RangeError(`clone types must be among 1, 2, 3, 4 (got ${settings.types.join(', ') || 'none'})`);
  integerAtLeast('minTokens', settings.minTokens, 10);
  integerAtLeast('minLines', settings.minLines, 1);
  integerAtLeast('type4Neighbours', settings.type4Neighbours, 1);
  fraction('minRenameConsistency', settings.minRenameConsistency);
  fraction('type3Similarity', settings.type3Similarity);
  if (settings.type4Similarity !== undefined) fraction('type4Similarity', settings.type4Similarity);
  if (settings.type3Similarity < 0.5) throw new RangeError(`type3Similarity below 0.5 (${settings.type3Similarity}) would compare nearly every pair of units`);
  return { ...settings, types };
}

function definedOnly<T extends object>(value: T): Partial<T> {
  return Object.fromEntries(Object.entries(value).filter(([, field]) => field !== undefined)) as Partial<T>;
}

function integerAtLeast(name: string, value: number, least: number): void {
  // At least 10 tokens: shorter "clones" are idioms (a call, a loop header), and fingerprints get too short.
  if (!Number.isInteger(value) || value < least) throw new RangeError(`${name} must be an integer of at least ${least} (got ${value})`);
}

function fraction(name: string, value: number): void {
  if (!(typeof value === 'number' && value > 0 && value <= 1)) throw new RangeError(`${name} must be in (0, 1] (got ${value})`);
}
