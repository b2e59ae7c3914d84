import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';

/** The public evaluation sets in ../shared/eval (read in place, never copied, never trained on). */
export function sharedEvalDir(repoRoot: string): string {
  const dir = join(repoRoot, '..', 'shared', 'eval');
  if (!existsSync(dir)) throw new Error(`evaluation data not found at ${dir} (the shared/ folder beside the checkout)`);
  return dir;
}

export interface CosqaSet {
  /** The 6,267 functions to search, by index. */
  readonly corpus: string[];
  readonly queries: { readonly query: string; readonly relevant: number }[];
}

/** CoSQA dev-500 over its full 6,267-function corpus. */
export function loadCosqa(evalDir: string): CosqaSet {
  const codeToIndex = JSON.parse(readFileSync(join(evalDir, 'cosqa', 'code_idx_map.txt'), 'utf8')) as Record<string, number>;
  const corpus: string[] = [];
  for (const [code, index] of Object.entries(codeToIndex)) corpus[index] = code;
  const dev = JSON.parse(readFileSync(join(evalDir, 'cosqa', 'cosqa-retrieval-dev-500.json'), 'utf8')) as { doc: string; retrieval_idx: number }[];
  return { corpus, queries: dev.map((item) => ({ query: item.doc, relevant: item.retrieval_idx })) };
}

export interface Poj104Set {
  readonly programs: { readonly code: string; readonly label: string }[];
}

/** POJ-104 dev: 6,000 C/C++ programs in 12 problem classes of 500. */
export function loadPoj104(evalDir: string): Poj104Set {
  const lines = readFileSync(join(evalDir, 'poj104', 'dev.jsonl'), 'utf8').split('\n').filter((line) => line.trim());
  return { programs: lines.map((line) => JSON.parse(line) as { code: string; label: string }).map(({ code, label }) => ({ code, label })) };
}
