/**
 * Installs (once, cached outside the repository) and starts code-server, a real
 * VS Code workbench served over HTTP with a Node extension host. Used by the
 * end-to-end runner (runCodeServer.ts).
 *
 * Cache location: `$ASTROLABE_E2E_CACHE/code-server-<version>` when the
 * environment variable is set, otherwise
 * `$HOME/.cache/astrolabe-e2e/code-server-<version>`.
 * A marker file is written there after a successful install; a folder without
 * the marker is treated as a failed install and reinstalled from scratch.
 */
import * as childProcess from 'child_process';
import * as fs from 'fs';
import * as http from 'http';
import * as net from 'net';
import * as os from 'os';
import * as path from 'path';

export const CODE_SERVER_VERSION = '4.100.3';

/** @vscode/ripgrep version that code-server 4.100.3 depends on, and the rg archive its postinstall downloads. */
const RIPGREP_PACKAGE_VERSION = '1.15.11';
const RIPGREP_ARCHIVE = 'ripgrep-v13.0.0-10-x86_64-unknown-linux-musl.tar.gz';

const MARKER_FILE = '.astrolabe-e2e-installed.json';
const INSTALL_TIMEOUT_MS = 15 * 60_000;
const START_TIMEOUT_MS = 60_000;

export function cacheRoot(): string {
  const fromEnv = process.env.ASTROLABE_E2E_CACHE;
  if (fromEnv && fromEnv.trim() !== '') {
    return path.resolve(fromEnv);
  }
  return path.join(os.homedir(), '.cache', 'astrolabe-e2e');
}

export function installDir(): string {
  return path.join(cacheRoot(), `code-server-${CODE_SERVER_VERSION}`);
}

function entryScript(dir: string): string {
  return path.join(dir, 'node_modules', 'code-server', 'out', 'node', 'entry.js');
}

export function tail(text: string, lines = 60): string {
  const all = text.split(/\r?\n/);
  return all.slice(Math.max(0, all.length - lines)).join('\n');
}

function readFileSafe(file: string): string {
  try {
    return fs.readFileSync(file, 'utf8');
  } catch {
    return '';
  }
}

function isInstalled(dir: string): boolean {
  const marker = readFileSafe(path.join(dir, MARKER_FILE));
  if (!marker) {
    return false;
  }
  try {
    const parsed = JSON.parse(marker) as { version?: string };
    return parsed.version === CODE_SERVER_VERSION && fs.existsSync(entryScript(dir));
  } catch {
    return false;
  }
}

function findRipgrep(): string {
  const candidates = [process.env.ASTROLABE_E2E_RG, '/usr/bin/rg', '/usr/local/bin/rg'];
  for (const candidate of candidates) {
    if (candidate && fs.existsSync(candidate)) {
      return candidate;
    }
  }
  throw new Error(
    'code-server install needs a local ripgrep binary (its @vscode/ripgrep dependency would otherwise download one). ' +
      'Install it (Debian: apt-get install ripgrep) or set ASTROLABE_E2E_RG to its path.',
  );
}

/**
 * @vscode/ripgrep's postinstall looks for its download in
 * `os.tmpdir()/vscode-ripgrep-cache-<version>/` before going to the network.
 * Put the system rg there, packed the way the release archive is (a tar.gz holding `rg`).
 */
function seedRipgrepCache(tmpDir: string): void {
  const rg = findRipgrep();
  const cacheDir = path.join(tmpDir, `vscode-ripgrep-cache-${RIPGREP_PACKAGE_VERSION}`);
  fs.mkdirSync(cacheDir, { recursive: true });
  const staging = fs.mkdtempSync(path.join(tmpDir, 'rg-staging-'));
  fs.copyFileSync(rg, path.join(staging, 'rg'));
  fs.chmodSync(path.join(staging, 'rg'), 0o755);
  const result = childProcess.spawnSync('tar', ['-czf', path.join(cacheDir, RIPGREP_ARCHIVE), '-C', staging, 'rg'], {
    encoding: 'utf8',
  });
  fs.rmSync(staging, { recursive: true, force: true });
  if (result.status !== 0) {
    throw new Error(`could not pack ${rg} into the ripgrep download cache: ${result.stderr || result.error}`);
  }
}

/**
 * Environment for the nested `npm install`. When the runner itself was started by
 * `npm run` (or `npm exec`), npm exports npm_package_* / npm_lifecycle_* / npm_config_*
 * variables describing *this* repository and command; drop the ones that would
 * redirect the install or leak into the nested `npx node-gyp` of node-pty's postinstall
 * (e.g. npm_config_call). Settings from npmrc files are read again by the nested npm.
 */
function installEnv(tmpDir: string): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = {};
  for (const [key, value] of Object.entries(process.env)) {
    const k = key.toLowerCase();
    if (k.startsWith('npm_') && !k.startsWith('npm_config_')) {
      continue;
    }
    if (
      /^npm_config_(local_prefix|prefix|global|global_prefix|call|package|argv|user_agent|npm_version|allow_scripts|strict_allow_scripts|dangerously_allow_all_scripts|save.*|package_lock.*|workspaces?|include_workspace_root|ignore_scripts|omit|include|production|dry_run)$/.test(
        k,
      )
    ) {
      continue;
    }
    env[key] = value;
  }
  env.TMPDIR = tmpDir;
  // code-server's postinstall refuses to run as root unless unsafe-perm is set.
  env.npm_config_unsafe_perm = 'true';
  // node-pty's postinstall runs `npx node-gyp`; never stop at npx's prompt.
  env.npm_config_yes = 'true';
  env.npm_config_audit = 'false';
  env.npm_config_fund = 'false';
  env.npm_config_update_notifier = 'false';
  return env;
}

function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

function pidAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/** A lock file so that two concurrent runs do not install into the same folder. */
async function withInstallLock<T>(dir: string, fn: () => Promise<T>): Promise<T> {
  const lockFile = `${dir}.lock`;
  fs.mkdirSync(path.dirname(lockFile), { recursive: true });
  const deadline = Date.now() + INSTALL_TIMEOUT_MS;
  for (;;) {
    try {
      fs.writeFileSync(lockFile, String(process.pid), { flag: 'wx' });
      break;
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'EEXIST') {
        throw err;
      }
      const holder = Number.parseInt(readFileSafe(lockFile), 10);
      if (!Number.isFinite(holder) || !pidAlive(holder)) {
        fs.rmSync(lockFile, { force: true });
        continue;
      }
      if (Date.now() > deadline) {
        throw new Error(`timed out waiting for another code-server install (pid ${holder}, lock ${lockFile})`);
      }
      await sleep(1000);
    }
  }
  try {
    return await fn();
  } finally {
    fs.rmSync(lockFile, { force: true });
  }
}

/** Installs code-server into the cache folder unless a previous install completed. Returns the folder. */
export async function ensureCodeServer(log: (line: string) => void = console.log): Promise<string> {
  const dir = installDir();
  if (isInstalled(dir)) {
    return dir;
  }
  return withInstallLock(dir, async () => {
    if (isInstalled(dir)) {
      return dir; // another run finished it while we waited
    }
    const started = Date.now();
    log(`e2e: installing code-server@${CODE_SERVER_VERSION} into ${dir} (one-time, builds native modules; a few minutes)`);
    fs.rmSync(dir, { recursive: true, force: true });
    fs.mkdirSync(dir, { recursive: true });
    fs.writeFileSync(
      path.join(dir, 'package.json'),
      JSON.stringify({ name: 'astrolabe-e2e-code-server', private: true, description: 'cache for Astrolabe e2e tests' }, null, 2),
    );
    const tmpDir = path.join(dir, '.install-tmp');
    fs.mkdirSync(tmpDir, { recursive: true });
    seedRipgrepCache(tmpDir);

    const logFile = path.join(cacheRoot(), `code-server-${CODE_SERVER_VERSION}-install.log`);
    const logFd = fs.openSync(logFile, 'w');
    const npm = process.platform === 'win32' ? 'npm.cmd' : 'npm';
    const args = [
      'install',
      '--prefix',
      dir,
      '--no-audit',
      '--no-fund',
      '--no-package-lock',
      '--save=false',
      '--loglevel=http',
      `code-server@${CODE_SERVER_VERSION}`,
    ];
    const code = await new Promise<number | string>((resolve) => {
      const child = childProcess.spawn(npm, args, {
        cwd: dir,
        env: installEnv(tmpDir),
        stdio: ['ignore', logFd, logFd],
        detached: true,
      });
      const timer = setTimeout(() => {
        killGroup(child.pid);
        resolve('timeout');
      }, INSTALL_TIMEOUT_MS);
      child.on('error', (err) => {
        clearTimeout(timer);
        resolve(`spawn error: ${err.message}`);
      });
      child.on('exit', (exitCode, signal) => {
        clearTimeout(timer);
        resolve(exitCode ?? `signal ${signal}`);
      });
    });
    fs.closeSync(logFd);
    fs.rmSync(tmpDir, { recursive: true, force: true });
    if (code !== 0 || !fs.existsSync(entryScript(dir))) {
      const why = code === 0 ? `${entryScript(dir)} is missing after install` : `npm install exited with ${code}`;
      throw new Error(
        `code-server@${CODE_SERVER_VERSION} install failed: ${why}.\n` +
          `Full log: ${logFile}\n----- install log (tail) -----\n${tail(readFileSafe(logFile), 60)}\n-----`,
      );
    }
    fs.writeFileSync(
      path.join(dir, MARKER_FILE),
      JSON.stringify({ version: CODE_SERVER_VERSION, installedAt: new Date().toISOString(), node: process.version }, null, 2),
    );
    log(`e2e: code-server installed in ${((Date.now() - started) / 1000).toFixed(1)} s`);
    return dir;
  });
}

export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = net.createServer();
    server.unref();
    server.on('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      const port = typeof address === 'object' && address ? address.port : 0;
      server.close(() => (port ? resolve(port) : reject(new Error('could not read back a free port'))));
    });
  });
}

function httpStatus(url: string): Promise<number> {
  return new Promise((resolve) => {
    const req = http.get(url, { timeout: 2000 }, (res) => {
      res.resume();
      resolve(res.statusCode ?? 0);
    });
    req.on('timeout', () => req.destroy());
    req.on('error', () => resolve(0));
  });
}

/** Signals a whole process group (the child was spawned detached, so it leads its own group). */
function killGroup(pid: number | undefined, signal: NodeJS.Signals = 'SIGTERM'): void {
  if (!pid) {
    return;
  }
  try {
    process.kill(-pid, signal);
  } catch {
    try {
      process.kill(pid, signal);
    } catch {
      // already gone
    }
  }
}

export interface StartOptions {
  /** Folder opened by default (also passed in the URL by the runner). */
  folder: string;
  /** Per-run scratch folder: user data, extensions, XDG config/data/cache, TMPDIR, server log. */
  runDir: string;
  /** Extra user settings merged over the defaults. */
  settings?: Record<string, unknown>;
}

export interface CodeServer {
  readonly port: number;
  /** e.g. http://127.0.0.1:PORT */
  readonly origin: string;
  readonly logFile: string;
  logTail(lines?: number): string;
  /** Stops the server and its children (SIGTERM, then SIGKILL after a grace period). Idempotent. */
  stop(): Promise<void>;
}

const DEFAULT_SETTINGS: Record<string, unknown> = {
  'workbench.startupEditor': 'none',
  'security.workspace.trust.enabled': false,
  'extensions.autoUpdate': false,
  'extensions.autoCheckUpdates': false,
  'extensions.ignoreRecommendations': true,
  'telemetry.telemetryLevel': 'off',
  'update.mode': 'none',
  'workbench.tips.enabled': false,
  'workbench.enableExperiments': false,
  'git.openRepositoryInParentFolders': 'never',
};

/** Environment for the server: isolated XDG folders and TMPDIR, nothing inherited from an outer VS Code. */
function serverEnv(runDir: string): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = {};
  for (const [key, value] of Object.entries(process.env)) {
    if (/^(VSCODE_|ELECTRON_)/.test(key) || /^npm_/i.test(key) || key === 'PASSWORD' || key === 'HASHED_PASSWORD') {
      continue;
    }
    env[key] = value;
  }
  env.XDG_CONFIG_HOME = path.join(runDir, 'xdg-config');
  env.XDG_DATA_HOME = path.join(runDir, 'xdg-data');
  env.XDG_CACHE_HOME = path.join(runDir, 'xdg-cache');
  env.TMPDIR = path.join(runDir, 'tmp');
  for (const key of ['XDG_CONFIG_HOME', 'XDG_DATA_HOME', 'XDG_CACHE_HOME', 'TMPDIR'] as const) {
    fs.mkdirSync(env[key] as string, { recursive: true });
  }
  return env;
}

async function startOnce(dir: string, options: StartOptions, port: number, attempt: number): Promise<CodeServer> {
  const { runDir } = options;
  const userDataDir = path.join(runDir, 'user-data');
  const extensionsDir = path.join(runDir, 'extensions');
  fs.mkdirSync(path.join(userDataDir, 'User'), { recursive: true });
  fs.mkdirSync(extensionsDir, { recursive: true });
  fs.writeFileSync(
    path.join(userDataDir, 'User', 'settings.json'),
    JSON.stringify({ ...DEFAULT_SETTINGS, ...(options.settings ?? {}) }, null, 2),
  );
  const configFile = path.join(runDir, 'code-server-config.yaml');
  fs.writeFileSync(configFile, 'auth: none\ncert: false\n');
  const logFile = path.join(runDir, `code-server-${attempt}.log`);
  const logFd = fs.openSync(logFile, 'w');
  const args = [
    entryScript(dir),
    '--config',
    configFile,
    '--bind-addr',
    `127.0.0.1:${port}`,
    '--auth',
    'none',
    '--disable-telemetry',
    '--disable-update-check',
    '--disable-workspace-trust',
    '--disable-getting-started-override',
    '--user-data-dir',
    userDataDir,
    '--extensions-dir',
    extensionsDir,
    options.folder,
  ];
  const child = childProcess.spawn(process.execPath, args, {
    cwd: runDir,
    env: serverEnv(runDir),
    stdio: ['ignore', logFd, logFd],
    detached: true, // own process group: stop() signals exactly this server and its children
  });
  fs.closeSync(logFd);

  let exited = false;
  let exitDescription = '';
  const exitPromise = new Promise<void>((resolve) => {
    child.on('exit', (code, signal) => {
      exited = true;
      exitDescription = signal ? `signal ${signal}` : `exit code ${code}`;
      resolve();
    });
    child.on('error', (err) => {
      exited = true;
      exitDescription = `spawn error: ${err.message}`;
      resolve();
    });
  });

  let stopped = false;
  const server: CodeServer = {
    port,
    origin: `http://127.0.0.1:${port}`,
    logFile,
    logTail: (lines = 40) => tail(readFileSafe(logFile), lines),
    stop: async () => {
      if (stopped) {
        return;
      }
      stopped = true;
      if (!exited) {
        killGroup(child.pid, 'SIGTERM');
        const grace = sleep(5000).then(() => 'timeout');
        if ((await Promise.race([exitPromise.then(() => 'exited'), grace])) === 'timeout') {
          killGroup(child.pid, 'SIGKILL');
          await Promise.race([exitPromise, sleep(2000)]);
        }
      }
      // Children (extension host, pty host, watcher) share the group; make sure none is left.
      killGroup(child.pid, 'SIGKILL');
    },
  };

  const deadline = Date.now() + START_TIMEOUT_MS;
  while (Date.now() < deadline) {
    if (exited) {
      throw new Error(
        `code-server exited during startup (${exitDescription}).\n----- ${logFile} (tail) -----\n${server.logTail(40)}\n-----`,
      );
    }
    if ((await httpStatus(`${server.origin}/healthz`)) === 200) {
      return server;
    }
    await sleep(250);
  }
  await server.stop();
  throw new Error(
    `code-server did not answer on ${server.origin}/healthz within ${START_TIMEOUT_MS / 1000} s.\n` +
      `----- ${logFile} (tail) -----\n${server.logTail(40)}\n-----`,
  );
}

/** Starts code-server on a free port (retrying on a port race). */
export async function startCodeServer(dir: string, options: StartOptions): Promise<CodeServer> {
  let lastError: unknown;
  for (let attempt = 1; attempt <= 3; attempt++) {
    const port = await freePort();
    try {
      return await startOnce(dir, options, port, attempt);
    } catch (err) {
      lastError = err;
      if (!/EADDRINUSE/.test(String(err))) {
        break;
      }
    }
  }
  throw lastError;
}
