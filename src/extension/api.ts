/** What a scan found, as the Rescan command returns it and the status bar shows it. */
export interface ScanSummary {
  readonly seen: number;
  readonly parsed: number;
  readonly skipped: Record<string, number>;
  readonly units: number;
}

/** A plain rendering of a view's tree: what a person sees, for tests and other extensions. */
export interface ViewNode {
  readonly label: string;
  readonly description?: string;
  readonly children: ViewNode[];
}

/** The API `activate` returns. */
export interface AstrolabeApi {
  lastSummary(): ScanSummary | undefined;
  rescan(): Promise<ScanSummary | undefined>;
  codeUnitsTree(): Promise<ViewNode[]>;
  /** Resolves when the first indexing for search has finished (or could not run). */
  whenIndexed(): Promise<void>;
  /** The Search view as plain labels: results, each with its snippet lines. */
  searchResultsTree(): Promise<ViewNode[]>;
  /** The Clones view as plain labels: classes, each with its instances. */
  clonesTree(): ViewNode[];
  /** The last inline completion suggested: its file, its text, whether a monitor constrained it, and what it allowed. */
  lastCompletion(): { file: string; text: string; monitorTriggered: boolean; legal: string[] } | undefined;
}
