import type { CloneClass } from '../clones/cloneClasses';
import type { CloneSettings, CloneType } from '../clones/cloneSettings';
import { LanguageId } from '../parse/languages';
import { ScanOptions } from '../scan/workspaceScanner';
import { SearchMode } from '../search/searchIndex';

/** What the index worker is started with (workerData). */
export interface IndexWorkerSetup {
  readonly root: string;
  readonly indexDir: string;
  readonly modelDir: string;
  readonly grammarsDir: string;
  readonly options: ScanOptions;
  /** Embedding size to index at when the model offers it (else its full size; `ready` says which). */
  readonly dimension?: number;
  readonly threads: number;
}

export interface QueryRequest {
  readonly k: number;
  readonly mode: SearchMode;
  readonly languages?: LanguageId[];
  readonly pathGlob?: string;
}

/** Main thread to worker. */
export type IndexWorkerRequest =
  | { readonly type: 'update'; readonly id: number }
  | { readonly type: 'cancel' }
  | { readonly type: 'search'; readonly id: number; readonly query: string; readonly request: QueryRequest }
  | { readonly type: 'similar'; readonly id: number; readonly text: string; readonly language: LanguageId; readonly request: QueryRequest }
  | { readonly type: 'clones'; readonly id: number; readonly settings: CloneSettings };

/** What a clone search found in the folder, and what it could not look for. */
export interface WorkerClones {
  readonly classes: readonly CloneClass[];
  readonly pairCounts: Readonly<Record<CloneType, number>>;
  readonly files: number;
  readonly lines: number;
  readonly seconds: number;
  /** Why Type 4 was left out although asked for (no encoder). */
  readonly type4Problem?: string;
}

export interface WorkerHit {
  readonly file: string;
  readonly name: string;
  readonly kind: string;
  readonly language: LanguageId;
  readonly startLine: number;
  readonly endLine: number;
  readonly score: number;
}

/** Worker to main thread. */
export type IndexWorkerMessage =
  | { readonly type: 'ready'; readonly modelId: string; readonly dimension: number; readonly rebuilt?: string; readonly encoderProblem?: string }
  | { readonly type: 'progress'; readonly files: number; readonly toParse: number; readonly parsed: number; readonly embedded: number }
  | { readonly type: 'updated'; readonly id: number; readonly files: number; readonly units: number; readonly parsed: number; readonly embedded: number; readonly removed: number }
  | { readonly type: 'hits'; readonly id: number; readonly hits: WorkerHit[] }
  | { readonly type: 'clones'; readonly id: number; readonly clones: WorkerClones }
  | { readonly type: 'failed'; readonly id?: number; readonly cancelled: boolean; readonly message: string };
