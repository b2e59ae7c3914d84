import { createWriteStream } from 'node:fs';
import { dirname } from 'node:path';
import { findGrammarsDir } from '../../../src/core/parse/grammarsDir';
import { TreeSitterRuntime } from '../../../src/core/parse/treeSitterRuntime';
import { scanPackage } from './jobs';

/**
 * `node dist/traceInstrument.js jobs --package NAME --dir FOLDER [--run-dir FOLDER] [--max-functions N] [--out FILE]`
 * writes one JSON trace job per line (jobs.ts) for a corpus package (`--dir`; `--run-dir` is the whole
 * package the examples run against, when the corpus holds only part of it), then a last line
 * `{"summary": {...}}` with the counts of what was left out. Nothing is run here: this only parses.
 */
export async function main(argv: readonly string[]): Promise<number> {
  const [command, ...rest] = argv;
  const options = new Map<string, string>();
  for (let index = 0; index < rest.length; index += 2) options.set(rest[index]!.replace(/^--/, ''), rest[index + 1] ?? '');
  const packageName = options.get('package');
  const folder = options.get('dir');
  if (command !== 'jobs' || !packageName || !folder) {
    process.stderr.write('usage: traceInstrument jobs --package NAME --dir FOLDER [--run-dir FOLDER] [--max-functions N] [--out FILE]\n');
    return 2;
  }
  const runtime = await TreeSitterRuntime.create(findGrammarsDir(dirname(__filename)));
  const parser = await runtime.createParser('javascript');
  try {
    const maxFunctions = options.has('max-functions') ? Number(options.get('max-functions')) : undefined;
    const runFolder = options.get('run-dir');
    const scan = scanPackage(parser, packageName, folder, {
      ...(maxFunctions !== undefined ? { maxFunctions } : {}), ...(runFolder ? { runFolder } : {}),
    });
    const out = options.get('out');
    const stream = out && out !== '-' ? createWriteStream(out) : process.stdout;
    for (const job of scan.jobs) stream.write(`${JSON.stringify(job)}\n`);
    const examples = scan.jobs.reduce((sum, job) => sum + job.examples.length, 0);
    stream.write(`${JSON.stringify({ summary: { package: packageName, functions: scan.jobs.length, examples, skipped: scan.skipped } })}\n`);
    if (stream !== process.stdout) await new Promise<void>((resolve) => (stream as NodeJS.WritableStream).end(resolve));
    return 0;
  } finally {
    parser.delete();
  }
}

if (require.main === module) {
  main(process.argv.slice(2)).then((code) => { process.exitCode = code; }, (error: unknown) => {
    process.stderr.write(`traceInstrument: ${error instanceof Error ? error.stack ?? error.message : String(error)}\n`);
    process.exitCode = 1;
  });
}
