/** A document as static analysis sees it: the file with the completion so far applied. */
export interface AnalysisDocument {
  /** Absolute path: it picks the project (tsconfig.json) and the language. */
  readonly fileName: string;
  readonly text: string;
  /** Character offset the question is about (just after the dereference `.`). */
  readonly offset: number;
}

/**
 * The static-analysis port the monitors ask (a_phi in monitor-guided decoding). Headless, the
 * TypeScript language service answers (typeScriptAnalysis.ts); in the editor, VS Code's own
 * completion providers. `undefined` means "no answer here" (unknown language, any-typed receiver):
 * the monitor then leaves decoding unconstrained.
 */
export interface StaticAnalysis {
  memberNames(document: AnalysisDocument, signal?: AbortSignal): Promise<readonly string[] | undefined>;
}
