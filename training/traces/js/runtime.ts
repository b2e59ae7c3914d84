import { writeSync } from 'node:fs';
import { createRequire, syncBuiltinESMExports } from 'node:module';
import { join } from 'node:path';

/**
 * The tracing runtime inside the sandboxed node process (bundled to dist/traceRuntime.mjs, copied into each
 * run's scratch folder as runtime.mjs). The instrumented function calls `enter()` once per call and the
 * returned tracer's probes (`l`, `v`, `x`, `o`, see instrument.ts); at exit the runtime prints one line,
 * TRACE_MARKER + JSON (a TraceReport), on stdout. Examples' own console output is silenced.
 */

export const TRACE_MARKER = '@@astrolabe-trace ';
/** sandbox.py's BLOCKED_PREFIX: a line starting with it makes the sandbox report the run as blocked. */
export const BLOCKED_PREFIX = '@@astrolabe-sandbox-blocked ';
export const PATH_CAP = 512;
const LARGE = 2 ** 31;

export const VALUE_TYPES = ['int', 'float', 'str', 'bool', 'none', 'list', 'tuple', 'dict', 'set', 'bytes', 'function', 'object', 'undefined'] as const;
export const VALUE_CATEGORIES = ['none', 'true', 'false', 'zero', 'positive', 'negative', 'large_positive', 'large_negative', 'nan', 'empty',
  'non_empty', 'object', 'function', 'undefined'] as const;
export type ValueType = typeof VALUE_TYPES[number];
export type ValueCategory = typeof VALUE_CATEGORIES[number];

function numberCategory(value: number | bigint): ValueCategory {
  if (value === 0 || value === 0n) return 'zero';
  if (value > 0) return value >= LARGE ? 'large_positive' : 'positive';
  return value <= -LARGE ? 'large_negative' : 'negative';
}

function sized(type: ValueType, size: number): [ValueType, ValueCategory] {
  return [type, size > 0 ? 'non_empty' : 'empty'];
}

/** A value's type and TRACED-style category (JavaScript's values mapped onto the shared, Python-named vocabulary). */
export function categorize(value: unknown): [ValueType, ValueCategory] {
  switch (typeof value) {
    case 'undefined': return ['undefined', 'undefined'];
    case 'boolean': return ['bool', value ? 'true' : 'false'];
    case 'number':
      if (Number.isNaN(value)) return ['float', 'nan'];
      return [Number.isInteger(value) ? 'int' : 'float', numberCategory(value)];
    case 'bigint': return ['int', numberCategory(value)];
    case 'string': return sized('str', value.length);
    case 'function': return ['function', 'function'];
    case 'symbol': return ['object', 'object'];
    default: break;
  }
  if (value === null) return ['none', 'none'];
  try {
    if (Array.isArray(value)) return sized('list', value.length);
    if (value instanceof Map) return sized('dict', value.size);
    if (value instanceof Set) return sized('set', value.size);
    if (value instanceof ArrayBuffer) return sized('bytes', value.byteLength);
    if (value instanceof Uint8Array || value instanceof Uint8ClampedArray || value instanceof Int8Array || value instanceof DataView) {
      return sized('bytes', value.byteLength);
    }
    if (ArrayBuffer.isView(value)) return sized('list', (value as unknown as { length: number }).length);
    const prototype = Object.getPrototypeOf(value);
    if (prototype === Object.prototype || prototype === null) {
      for (const key in value as object) if (Object.prototype.hasOwnProperty.call(value, key)) return ['dict', 'non_empty'];
      return ['dict', 'empty'];
    }
  } catch {
    // A proxy or an exotic object that refuses inspection is still an object.
  }
  return ['object', 'object'];
}

export interface TraceValue {
  readonly line: number;
  readonly name: string;
  readonly type: ValueType;
  readonly category: ValueCategory;
}

export type CallStatus = 'ok' | 'exception' | 'timeout' | 'blocked';

export interface TraceCall {
  readonly index: number;
  readonly status: CallStatus;
  readonly executed: number[];
  readonly path: number[];
  readonly values: TraceValue[];
  readonly error?: string;
}

export interface TraceReport {
  readonly calls: TraceCall[];
  /** Calls of the target during the example, recorded or past the cap. */
  readonly calls_seen: number;
  readonly example_error?: string;
  /** The target's module did not load (or did not export it). */
  readonly import_error?: string;
  readonly blocked: string[];
  readonly timed_out: boolean;
  readonly seconds: number;
}

/** What the instrumented code calls; one per call of the target function. */
export interface Tracer {
  l(line: number, extra?: readonly number[]): void;
  v(line: number, names: string, read: () => unknown[]): void;
  x(error: unknown): void;
  o(): void;
}

class CallTrace implements Tracer {
  private readonly executed = new Set<number>();
  private readonly path: number[] = [];
  private readonly values = new Map<number, Map<string, [ValueType, ValueCategory]>>();
  private threw: unknown;
  private failed = false;
  private returned = false;

  constructor(private readonly runtime: TraceRuntime, readonly index: number) {}

  l(line: number, extra?: readonly number[]): void {
    this.runtime.tick();
    this.executed.add(line);
    if (extra) for (const other of extra) this.executed.add(other);
    // A line repeated back to back (a one-line loop, a callback on the caller's line) adds nothing to the order.
    if (this.path.length < PATH_CAP && this.path[this.path.length - 1] !== line) this.path.push(line);
  }

  v(line: number, names: string, read: () => unknown[]): void {
    let current: unknown[];
    try {
      current = read();
    } catch {
      return; // a name still in its temporal dead zone (a hoisted closure called early)
    }
    const list = this.runtime.names(names);
    let byName = this.values.get(line);
    if (!byName) this.values.set(line, (byName = new Map()));
    for (let index = 0; index < list.length; index++) byName.set(list[index]!, categorize(current[index]));
  }

  x(error: unknown): void {
    this.failed = true;
    this.threw = error;
    this.runtime.noticeError(error);
  }

  o(): void {
    this.returned = true;
  }

  result(timedOut: boolean): TraceCall {
    const status: CallStatus = this.failed ? (isAccessDenied(this.threw) ? 'blocked' : 'exception') : this.returned || !timedOut ? 'ok' : 'timeout';
    const values: TraceValue[] = [];
    for (const line of [...this.values.keys()].sort((a, b) => a - b)) {
      for (const [name, [type, category]] of [...this.values.get(line)!].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))) {
        values.push({ line, name, type, category });
      }
    }
    return {
      index: this.index, status, executed: [...this.executed].sort((a, b) => a - b), path: this.path, values,
      ...(this.failed ? { error: describe(this.threw) } : {}),
    };
  }
}

const IGNORED: Tracer = { l() {}, v() {}, x() {}, o() {} };

export interface RuntimeOptions {
  /** Stop (and report what was recorded, as timed out) this many milliseconds after install. */
  readonly budgetMs?: number;
  /** Calls recorded per run; later ones run untraced (deep recursion). */
  readonly maxCalls?: number;
  /** After the example returns, how long pending callbacks may still run. */
  readonly graceMs?: number;
  /** Where report and blocked lines go (stdout by default). */
  readonly write?: (line: string) => void;
}

export class TraceRuntime {
  private readonly calls: CallTrace[] = [];
  private readonly nameLists = new Map<string, string[]>();
  private readonly blocked = new Set<string>();
  private readonly started = performance.now();
  private readonly deadline: number;
  private readonly write: (line: string) => void;
  private begun = false;
  private callsSeen = 0;
  private ticks = 0;
  private timedOut = false;
  private reported = false;
  private exampleError: string | undefined;
  private importError: string | undefined;

  constructor(private readonly options: RuntimeOptions = {}) {
    this.deadline = this.started + (options.budgetMs ?? Infinity);
    this.write = options.write ?? ((line) => writeSync(1, line));
  }

  /** Called at the start of every call of the instrumented function. */
  enter(): Tracer {
    if (!this.begun) return IGNORED; // calls while the package loads are not the example's
    this.callsSeen++;
    if (this.calls.length >= (this.options.maxCalls ?? 64)) return IGNORED;
    const call = new CallTrace(this, this.calls.length);
    this.calls.push(call);
    return call;
  }

  begin(): void {
    this.begun = true;
  }

  /**
   * Runs the example as the body of a sloppy-mode async function with `names` bound to `values`; the
   * process ends when its loose ends do, or after the grace period.
   */
  async run(names: readonly string[], values: readonly unknown[], code: string): Promise<void> {
    const AsyncFunction = (async () => {}).constructor as new (...parameters: string[]) => (...args: unknown[]) => Promise<void>;
    try {
      const example = new AsyncFunction(...names, code);
      this.begin();
      await example(...values);
    } catch (error) {
      this.fail(error);
    }
    const timer = setTimeout(() => process.exit(0), this.options.graceMs ?? 250);
    timer.unref();
  }

  fail(error: unknown): void {
    this.exampleError ??= describe(error);
    this.noticeError(error);
  }

  noticeError(error: unknown): void {
    if (isAccessDenied(error)) {
      const denied = error as { permission?: string; resource?: string };
      this.block(`${denied.permission ?? 'permission'} ${denied.resource ?? ''}`.trim());
    }
  }

  block(what: string): void {
    if (this.blocked.has(what)) return;
    this.blocked.add(what);
    this.write(`${BLOCKED_PREFIX}${what.replace(/\s+/g, ' ')}\n`);
  }

  names(joined: string): string[] {
    let list = this.nameLists.get(joined);
    if (!list) this.nameLists.set(joined, (list = joined.split(',')));
    return list;
  }

  /** Counts probe hits; now and then checks the time budget, since a loop in the example never yields. */
  tick(): void {
    if ((++this.ticks & 1023) !== 0 || performance.now() < this.deadline) return;
    this.timedOut = true;
    this.emit();
    process.exit(0);
  }

  report(): TraceReport {
    return {
      calls: this.calls.map((call) => call.result(this.timedOut)),
      calls_seen: this.callsSeen,
      ...(this.exampleError !== undefined ? { example_error: this.exampleError } : {}),
      ...(this.importError !== undefined ? { import_error: this.importError } : {}),
      blocked: [...this.blocked],
      timed_out: this.timedOut,
      seconds: Math.round(performance.now() - this.started) / 1000,
    };
  }

  emit(): void {
    if (this.reported) return;
    this.reported = true;
    this.write(`${TRACE_MARKER}${JSON.stringify(this.report())}\n`);
  }

  /** Binds a name for the harness: the first of `sources` (module specifiers relative to `base`) that has it. */
  async lookup(name: string, sources: readonly [string, 'target' | 'export' | 'module' | 'namespace'][], base: string): Promise<unknown> {
    let failure: unknown;
    for (const [specifier, mode] of sources) {
      let module: Record<string, unknown>;
      try {
        module = await import(new URL(specifier, base).href) as Record<string, unknown>;
      } catch (error) {
        failure ??= error;
        continue;
      }
      const fallback = module.default as Record<string, unknown> | undefined;
      const exported = (key: string): unknown => key in module ? module[key]
        : fallback !== null && (typeof fallback === 'object' || typeof fallback === 'function') && key in fallback ? fallback[key] : undefined;
      let found: unknown;
      if (mode === 'target') found = exported('__astrolabeTarget') ?? exported(name) ?? fallback;
      else if (mode === 'export') found = exported(name);
      else if (mode === 'module') found = exported(name) ?? fallback;
      else found = typeof fallback === 'function' || (typeof fallback === 'object' && fallback !== null) ? fallback : module;
      if (found !== undefined) return found;
    }
    // The target's own module not loading means nothing of it can run: the run is an import error.
    if (sources.some(([, mode]) => mode === 'target')) this.importError ??= failure !== undefined ? describe(failure) : `no export ${name}`;
    return undefined;
  }

  require(base: string): NodeJS.Require {
    return createRequire(base);
  }

  /** Silences the example's console, reports at exit, and marks attempts at processes, threads and the network. */
  installHooks(): void {
    const silent = (): void => {};
    for (const key of Object.keys(console) as (keyof Console)[]) {
      if (typeof console[key] === 'function') (console as unknown as Record<string, unknown>)[key] = silent;
    }
    process.on('exit', () => this.emit());
    process.on('uncaughtException', (error) => {
      this.fail(error);
      this.emit();
      process.exit(0);
    });
    process.on('unhandledRejection', (error) => this.fail(error));
    const load = createRequire(join(process.cwd(), 'runtime.cjs'));
    const guard = (module: Record<string, unknown>, names: readonly string[], what: string): void => {
      for (const name of names) {
        const original = module[name];
        if (typeof original !== 'function') continue;
        const runtime = this;
        module[name] = function guarded(this: unknown, ...args: unknown[]): unknown {
          runtime.block(`${what}.${name}`);
          return new.target ? Reflect.construct(original, args, new.target) : Reflect.apply(original, this, args);
        };
      }
    };
    guard(load('node:child_process'), ['spawn', 'spawnSync', 'exec', 'execSync', 'execFile', 'execFileSync', 'fork'], 'child_process');
    guard(load('node:worker_threads'), ['Worker'], 'worker_threads');
    guard(load('node:net').Socket.prototype, ['connect'], 'net.Socket');
    guard(load('node:dgram').Socket.prototype, ['bind', 'send'], 'dgram.Socket');
    guard(load('node:dns'), ['lookup', 'resolve'], 'dns');
    syncBuiltinESMExports(); // `import { spawn } from 'node:child_process'` sees the guarded functions too
  }
}

function isAccessDenied(error: unknown): boolean {
  return typeof error === 'object' && error !== null && (error as { code?: unknown }).code === 'ERR_ACCESS_DENIED';
}

function describe(error: unknown): string {
  if (error instanceof Error) return `${error.name}: ${error.message}`.slice(0, 300);
  try {
    return String(error).slice(0, 300);
  } catch {
    return 'unprintable error';
  }
}

/** Installs the runtime as the global the instrumented code reads. */
export function installTraceRuntime(options: RuntimeOptions = {}, hooks = true): TraceRuntime {
  const runtime = new TraceRuntime(options);
  if (hooks) runtime.installHooks();
  (globalThis as Record<string, unknown>).__astrolabeTrace = runtime;
  return runtime;
}
