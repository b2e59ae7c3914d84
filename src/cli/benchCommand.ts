import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { Encoder } from '../core/model/encoder';
import { CodeUnit } from '../core/parse/codeUnit';
import { LANGUAGES } from '../core/parse/languages';
import { TreeSitterRuntime } from '../core/parse/treeSitterRuntime';
import { scanRoots } from '../core/scan/scanRoots';
import { ScanOptions } from '../core/scan/workspaceScanner';
import { loadCodeTokenizer } from '../core/tokenize/tokenizerFile';

export interface BenchResult {
  readonly scan: { files: number; megabytes: number; units: number; seconds: number; filesPerSecond: number; megabytesPerSecond: number };
  readonly embedding?: { units: number; tokens: number; seconds: number; unitsPerSecond: number; tokensPerSecond: number; model: string };
  readonly peakRssMegabytes: number;
}

/** How fast Astrolabe scans and embeds the user's own code: one pass, this machine, as it is now. */
export async function benchFolder(root: string, options: ScanOptions, grammarsDir: string, modelDir: string, embedUnits: number, threads: number): Promise<BenchResult> {
  const runtime = await TreeSitterRuntime.create(grammarsDir);
  let bytes = 0;
  const sample: CodeUnit[] = [];
  const started = performance.now();
  const report = await scanRoots([{ name: root, path: root }], runtime, options, {
    onParsed: (_, parsed) => {
      bytes += parsed.bytes;
      for (const unit of parsed.units) if (sample.length < embedUnits) sample.push(unit);
    },
  });
  const scanSeconds = (performance.now() - started) / 1000;
  const scan = {
    files: report.parsed, megabytes: bytes / 1e6, units: report.units, seconds: scanSeconds,
    filesPerSecond: report.parsed / scanSeconds, megabytesPerSecond: bytes / 1e6 / scanSeconds,
  };
  if (!existsSync(join(modelDir, 'config.json')) || sample.length === 0) return { scan, peakRssMegabytes: process.resourceUsage().maxRSS / 1024 };

  const encoder = await Encoder.load(modelDir, { threads });
  const tokenizer = await loadCodeTokenizer(join(modelDir, encoder.config.tokenizer), runtime, LANGUAGES.map((language) => language.id));
  try {
    const embedStarted = performance.now();
    const ids = sample.map((unit) => Array.from(tokenizer.encodeUnit(unit.text, unit.language, encoder.config.maxTokens).ids));
    await encoder.embed(ids);
    const seconds = (performance.now() - embedStarted) / 1000;
    const tokens = ids.reduce((sum, sequence) => sum + sequence.length, 0);
    return {
      scan,
      embedding: { units: sample.length, tokens, seconds, unitsPerSecond: sample.length / seconds, tokensPerSecond: tokens / seconds, model: encoder.config.modelId },
      peakRssMegabytes: process.resourceUsage().maxRSS / 1024,
    };
  } finally {
    tokenizer.dispose();
    await encoder.release();
  }
}

export function formatBench(result: BenchResult): string {
  const lines = [
    '| step | measure | value |', '|---|---|---|',
    `| scan, parse, cut into units | files/s | ${result.scan.filesPerSecond.toFixed(0)} |`,
    `| scan, parse, cut into units | MB/s | ${result.scan.megabytesPerSecond.toFixed(2)} |`,
    `| scan, parse, cut into units | ${result.scan.files} files, ${result.scan.units} units | ${result.scan.seconds.toFixed(2)} s |`,
  ];
  if (result.embedding) {
    lines.push(
      `| tokenize and embed (${result.embedding.model}) | units/s | ${result.embedding.unitsPerSecond.toFixed(0)} |`,
      `| tokenize and embed (${result.embedding.model}) | tokens/s | ${result.embedding.tokensPerSecond.toFixed(0)} |`,
    );
  } else {
    lines.push('| tokenize and embed | (no encoder found) | - |');
  }
  lines.push(`| whole run | peak memory MB | ${result.peakRssMegabytes.toFixed(0)} |`);
  return `${lines.join('\n')}\n`;
}
