import { Command, InvalidArgumentError } from 'commander';

/** A mistake in how a command was called: exit code 2, no stack trace. */
export class UsageError extends Error {}

export function positiveInt(value: string): number {
  const parsed = Number(value);
  if (!Number.isInteger(parsed) || parsed <= 0) throw new InvalidArgumentError('expected a positive integer');
  return parsed;
}

export function nonNegativeInt(value: string): number {
  const parsed = Number(value);
  if (!Number.isInteger(parsed) || parsed < 0) throw new InvalidArgumentError('expected a whole number, 0 or more');
  return parsed;
}

/** Runs a commander program; errors become one line on stderr and an exit code (2 usage, 1 otherwise). */
export function runCommandLine(program: Command, name: string): void {
  program.parseAsync(process.argv).catch((error: unknown) => {
    process.stderr.write(`${name}: ${error instanceof Error ? error.message : String(error)}\n`);
    if (!(error instanceof UsageError) && process.env.ASTROLABE_DEBUG && error instanceof Error) process.stderr.write(`${error.stack}\n`);
    process.exitCode = error instanceof UsageError ? 2 : 1;
  });
}
