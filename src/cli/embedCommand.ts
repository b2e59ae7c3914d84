import { closeSync, fsyncSync, openSync, renameSync, rmSync, writeSync } from 'node:fs';
import { join } from 'node:path';
import { Encoder } from '../core/model/encoder';
import { CodeUnit } from '../core/parse/codeUnit';
import { LANGUAGES } from '../core/parse/languages';
import { TreeSitterRuntime } from '../core/parse/treeSitterRuntime';
import { scanRoots } from '../core/scan/scanRoots';
import { ScanReport } from '../core/scan/scanReport';
import { ScanOptions } from '../core/scan/workspaceScanner';
import { loadCodeTokenizer } from '../core/tokenize/tokenizerFile';

export interface EmbedRequest {
  readonly root: string;
  readonly options: ScanOptions;
  readonly grammarsDir: string;
  readonly modelDir: string;
  readonly out: string;
  readonly dimension?: number;
  readonly threads: number;
  readonly onProgress: (message: string) => void;
  readonly signal: AbortSignal;
}

/** Units embedded per group: full batches, and memory that stays flat on any repository size. */
const GROUP = 256;

/**
 * Embeds every code unit of a folder and writes one JSON line per unit (location, hash, vector) to
 * `out`, through a temporary file renamed at the end: an interrupted run leaves no half-written file.
 */
export async function embedFolder(request: EmbedRequest): Promise<{ report: ScanReport; seconds: number }> {
  const started = performance.now();
  const encoder = await Encoder.load(request.modelDir, { threads: request.threads });
  const runtime = await TreeSitterRuntime.create(request.grammarsDir);
  const tokenizer = await loadCodeTokenizer(join(request.modelDir, encoder.config.tokenizer), runtime, LANGUAGES.map((language) => language.id));
  const temporary = `${request.out}.tmp-${process.pid}`;
  const file = openSync(temporary, 'w');
  let report: ScanReport;
  let written = 0;
  let finished = false;
  const pending: CodeUnit[] = [];
  const flush = async (): Promise<void> => {
    const ids = pending.map((unit) => Array.from(tokenizer.encodeUnit(unit.text, unit.language, encoder.config.maxTokens).ids));
    const vectors = await encoder.embed(ids, { dimension: request.dimension, signal: request.signal });
    const lines = pending.map((unit, index) => JSON.stringify({
      file: unit.file, language: unit.language, kind: unit.kind, name: unit.name,
      start_line: unit.startLine, end_line: unit.endLine, hash: unit.hash,
      vector: Array.from(vectors[index]!, (value) => Math.round(value * 1e6) / 1e6),
    }));
    writeSync(file, `${lines.join('\n')}\n`);
    written += pending.length;
    pending.length = 0;
    request.onProgress(`${written} units embedded`);
  };
  try {
    report = await scanRoots([{ name: request.root, path: request.root }], runtime, request.options, {
      onParsed: async (_, parsed) => {
        pending.push(...parsed.units);
        if (pending.length >= GROUP) await flush();
      },
    }, request.signal);
    if (pending.length > 0) await flush();
    fsyncSync(file);
    finished = true;
  } finally {
    closeSync(file);
    if (!finished) rmSync(temporary, { force: true });
    tokenizer.dispose();
    await encoder.release();
  }
  renameSync(temporary, request.out);
  return { report, seconds: (performance.now() - started) / 1000 };
}
