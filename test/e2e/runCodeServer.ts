/**
 * End-to-end runner on a real VS Code workbench served by code-server, driven
 * by headless Chromium (playwright-core). Two phases against one server:
 *
 *  1. The extension test suite (suite/index.js -> *.test.js) runs inside the
 *     extension host through VS Code's `extensionTestsPath` mechanism; its
 *     console output reaches us through `codeAutomationLog` and its result
 *     through `codeAutomationExit`.
 *  2. The UI tests (uiTests.ts) drive the workbench like a person, each in
 *     a fresh browser context: commands from the palette, then what the
 *     screen shows, with a screenshot each (test/e2e/screenshots/).
 *
 * Ends with the line `e2e: N passed, N failed` and exits non-zero on any
 * failure or timeout.
 *
 * Environment:
 *   ASTROLABE_E2E_CACHE       cache root for code-server (default ~/.cache/astrolabe-e2e)
 *   ASTROLABE_E2E_CHROMIUM    browser executable (default /usr/bin/chromium)
 *   ASTROLABE_E2E_TIMEOUT_MS  suite timeout (default 180000)
 *   ASTROLABE_E2E_GREP        only run suite tests whose title matches
 *   ASTROLABE_E2E_KEEP=1      keep the temporary run folder (workspace copy, logs)
 *   ASTROLABE_E2E_VERBOSE=1   also print the browser console
 *   ASTROLABE_E2E_EXTENSION   extension folder to test (default: this repository)
 */
import * as fs from 'fs';
import * as path from 'path';
import * as util from 'util';
import { chromium, type Browser, type BrowserContext, type Page } from 'playwright-core';
import { ensureCodeServer, startCodeServer, tail, type CodeServer } from './codeServer';
import { assertExtensionBuilt, extensionDevelopmentPath, prepareWorkspace, repoRoot, suiteEntry } from './fixture';
import { RESULT_PREFIX } from './suite/index';
import { UI_TESTS, type UiTest } from './uiTests';

const SUITE_TIMEOUT_MS = Number(process.env.ASTROLABE_E2E_TIMEOUT_MS) || 180_000;
const UI_TIMEOUT_MS = 90_000;
const VERBOSE = process.env.ASTROLABE_E2E_VERBOSE === '1';
/**
 * Workbench chatter that also arrives through codeAutomationLog (connection set-up,
 * the unreachable extension gallery and its stack trace). Shown only with ASTROLABE_E2E_VERBOSE=1.
 */
const NOISE = [
  /^Resolv(ing|ed) connection token/,
  /^Creating a socket/,
  /^Updating additional builtin extensions cache/,
  /^\[Service Worker\]/,
  /^ChatSessionStore:/,
  /ENOTFOUND|EAI_AGAIN|ECONNREFUSED|open-vsx|marketplace|gallery/i,
  /^\s+at .*\/static\/out\/vs\//,
];

const CHROMIUM_ARGS = [
  '--no-sandbox',
  '--disable-gpu',
  '--disable-quic',
  '--no-first-run',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
  '--disable-dev-shm-usage',
];

interface Tally {
  passed: number;
  failed: number;
}

function elapsed(since: number): string {
  return `${((Date.now() - since) / 1000).toFixed(1)} s`;
}

function chromiumPath(): string {
  const candidate = process.env.ASTROLABE_E2E_CHROMIUM || '/usr/bin/chromium';
  if (!fs.existsSync(candidate)) {
    throw new Error(`no Chromium at ${candidate} (Debian: apt-get install chromium, or set ASTROLABE_E2E_CHROMIUM)`);
  }
  return candidate;
}

/** The workbench URL with a payload (the way VS Code's own web integration tests pass development options). */
function workbenchUrl(server: CodeServer, folder: string, options: Array<[string, string]>): string {
  const payload: Array<[string, string]> = [];
  for (const [key, value] of options) {
    payload.push([key, value]);
  }
  payload.push(['skipWelcome', 'true']);
  return `${server.origin}/?folder=${encodeURIComponent(folder)}&payload=${encodeURIComponent(JSON.stringify(payload))}`;
}

/** A path on the server as the workbench addresses it. */
function remoteUri(server: CodeServer, absPath: string): string {
  return `vscode-remote://127.0.0.1:${server.port}${encodeURI(absPath.split(path.sep).join('/'))}`;
}

function withTimeout<T>(promise: Promise<T>, ms: number): Promise<T | 'timeout'> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<'timeout'>((resolve) => {
    timer = setTimeout(() => resolve('timeout'), ms);
  });
  return Promise.race([promise, timeout]).finally(() => clearTimeout(timer));
}

function watchBrowserConsole(page: Page, sink: string[]): void {
  page.on('console', (msg) => {
    const line = `[browser ${msg.type()}] ${msg.text()}`;
    sink.push(line);
    if (VERBOSE) {
      console.log(line);
    }
  });
  page.on('pageerror', (err) => {
    const line = `[browser pageerror] ${err.message}`;
    sink.push(line);
    if (VERBOSE) {
      console.log(line);
    }
  });
}

/** Phase 1: the mocha suite inside the extension host. */
async function runSuite(context: BrowserContext, server: CodeServer, folder: string, extPath: string): Promise<Tally> {
  const started = Date.now();
  const page = await context.newPage();
  const browserLog: string[] = [];
  watchBrowserConsole(page, browserLog);

  let result: { passes: number; failures: number } | undefined;
  let outputLines = 0;
  let resolveExit: (code: number) => void = () => undefined;
  const exited = new Promise<number>((resolve) => {
    resolveExit = resolve;
  });

  await page.exposeFunction('codeAutomationLog', (type: string, args: unknown[]) => {
    const text = util.format(...(Array.isArray(args) ? args : [args]));
    for (const line of text.split('\n')) {
      if (line.startsWith(RESULT_PREFIX)) {
        try {
          result = JSON.parse(line.slice(RESULT_PREFIX.length)) as { passes: number; failures: number };
        } catch {
          console.log(`e2e: could not parse suite result line: ${line}`);
        }
        continue;
      }
      if (!VERBOSE && NOISE.some((re) => re.test(line))) {
        continue;
      }
      outputLines++;
      if (type === 'error' || type === 'warn') {
        console.error(line);
      } else {
        console.log(line);
      }
    }
  });
  await page.exposeFunction('codeAutomationExit', (code: number) => {
    resolveExit(Number(code));
  });

  const url = workbenchUrl(server, folder, [
    ['extensionDevelopmentPath', remoteUri(server, extPath)],
    ['extensionTestsPath', remoteUri(server, suiteEntry())],
  ]);
  console.log(`e2e: running the extension test suite (timeout ${SUITE_TIMEOUT_MS / 1000} s)`);
  await page.goto(url, { waitUntil: 'domcontentloaded', timeout: 60_000 });
  const code = await withTimeout(exited, SUITE_TIMEOUT_MS);
  await page.close().catch(() => undefined);

  if (code === 'timeout') {
    console.error(
      `e2e: FAILED: the extension test suite did not finish within ${SUITE_TIMEOUT_MS / 1000} s ` +
        `(no codeAutomationExit from the workbench; ${outputLines} output lines so far).`,
    );
    console.error(`----- browser console (tail) -----\n${browserLog.slice(-30).join('\n')}`);
    console.error(`----- code-server log (tail) -----\n${server.logTail(30)}\n-----`);
    return { passed: result?.passes ?? 0, failed: Math.max(1, result?.failures ?? 0) };
  }
  console.log(`e2e: extension test suite exited with code ${code} after ${elapsed(started)}`);
  if (!result) {
    // run() rejected before mocha reported (e.g. the suite could not load, or activation crashed the host).
    console.error('e2e: the suite reported no test results');
    if (outputLines === 0) {
      console.error(`----- browser console (tail) -----\n${browserLog.slice(-30).join('\n')}`);
      console.error(`----- code-server log (tail) -----\n${server.logTail(30)}\n-----`);
    }
    return { passed: 0, failed: 1 };
  }
  if (code !== 0 && result.failures === 0) {
    console.error(`e2e: the suite exited with code ${code} although no test failed`);
    return { passed: result.passes, failed: 1 };
  }
  return { passed: result.passes, failed: result.failures };
}

/** A failed UI test: its message, a screenshot of the page as it was, and the browser console's last lines. */
async function reportUiFailure(page: Page, title: string, err: unknown, browserLog: string[], shot: string): Promise<Tally> {
  await page.screenshot({ path: shot }).catch(() => undefined);
  console.error(`  ✖ ${title}\n    ${err instanceof Error ? err.message : String(err)}`);
  console.error(`    screenshot of the failure: ${shot}`);
  console.error(`----- browser console (tail) -----\n${browserLog.slice(-20).join('\n')}\n-----`);
  return { passed: 0, failed: 1 };
}

/** Runs one UI test in a fresh page of its own context: the workbench loaded, the test, its screenshot and report. */
async function runUiTest(context: BrowserContext, server: CodeServer, folder: string, extPath: string, test: UiTest): Promise<Tally> {
  const started = Date.now();
  const screenshotDir = path.join(repoRoot(), 'test', 'e2e', 'screenshots');
  fs.mkdirSync(screenshotDir, { recursive: true });
  const page = await context.newPage();
  const browserLog: string[] = [];
  watchBrowserConsole(page, browserLog);
  const at = { step: 'the workbench' };
  const shot = path.join(screenshotDir, `${test.name}.png`);
  let shotTaken = false;
  const shoot = async (): Promise<void> => {
    await page.screenshot({ path: shot });
    shotTaken = true;
  };
  try {
    await page.goto(workbenchUrl(server, folder, [['extensionDevelopmentPath', remoteUri(server, extPath)]]), { waitUntil: 'domcontentloaded', timeout: 60_000 });
    await page.locator('.monaco-workbench').waitFor({ state: 'visible', timeout: 60_000 });
    const detail = await test.run(page, at, shoot);
    if (!shotTaken) await shoot();
    console.log(`  ✔ ${test.title} (${detail ? `${detail}; ` : ''}${elapsed(started)})`);
    console.log(`e2e: screenshot ${path.relative(process.cwd(), shot)}`);
    return { passed: 1, failed: 0 };
  } catch (err) {
    const failure = new Error(`${at.step}: ${err instanceof Error ? err.message : String(err)}`);
    return reportUiFailure(page, test.title, failure, browserLog, path.join(screenshotDir, `${test.name}-failure.png`));
  } finally {
    await page.close().catch(() => undefined);
  }
}

async function main(): Promise<number> {
  const started = Date.now();
  const extPath = extensionDevelopmentPath();
  assertExtensionBuilt(extPath);
  const codeServerDir = await ensureCodeServer();
  const workspace = prepareWorkspace();
  // The UI test gets a copy of its own: whatever the suite left behind cannot change what it counts.
  const uiWorkspace = prepareWorkspace('astrolabe-e2e-ui-');
  let server: CodeServer | undefined;
  let browser: Browser | undefined;
  let interrupted = false;

  const cleanup = async (): Promise<void> => {
    await browser?.close().catch(() => undefined);
    browser = undefined;
    await server?.stop();
    server = undefined;
    workspace.cleanup();
    uiWorkspace.cleanup();
  };
  const onSignal = (signal: NodeJS.Signals): void => {
    if (interrupted) {
      return;
    }
    interrupted = true;
    console.error(`e2e: ${signal}, stopping code-server and the browser`);
    void cleanup().finally(() => process.exit(130));
  };
  process.on('SIGINT', onSignal);
  process.on('SIGTERM', onSignal);

  const total: Tally = { passed: 0, failed: 0 };
  try {
    server = await startCodeServer(codeServerDir, { folder: workspace.dir, runDir: path.join(workspace.runDir, 'code-server') });
    console.log(`e2e: code-server ${server.origin} up after ${elapsed(started)} (workspace ${workspace.dir})`);
    browser = await chromium.launch({ executablePath: chromiumPath(), headless: true, args: CHROMIUM_ARGS });

    const suiteContext = await browser.newContext({ viewport: { width: 1280, height: 800 } });
    const suite = await runSuite(suiteContext, server, workspace.dir, extPath);
    await suiteContext.close().catch(() => undefined);
    total.passed += suite.passed;
    total.failed += suite.failed;

    // The UI tests, each in a browser context of its own, like a person at a fresh window.
    for (const test of UI_TESTS) {
      const uiContext = await browser.newContext({ viewport: { width: 1280, height: 800 } });
      const ui = await withTimeout(runUiTest(uiContext, server, uiWorkspace.dir, extPath, test), UI_TIMEOUT_MS);
      await uiContext.close().catch(() => undefined);
      if (ui === 'timeout') {
        console.error(`e2e: FAILED: the ${test.name} UI test did not finish within ${UI_TIMEOUT_MS / 1000} s`);
        total.failed += 1;
      } else {
        total.passed += ui.passed;
        total.failed += ui.failed;
      }
    }
  } catch (err) {
    console.error(`e2e: harness error: ${err instanceof Error ? err.stack ?? err.message : String(err)}`);
    if (server) {
      console.error(`----- code-server log (tail) -----\n${tail(server.logTail(40), 40)}\n-----`);
    }
    total.failed += 1;
  } finally {
    await cleanup();
    process.off('SIGINT', onSignal);
    process.off('SIGTERM', onSignal);
  }
  console.log(`e2e: total ${elapsed(started)}`);
  console.log(`e2e: ${total.passed} passed, ${total.failed} failed`);
  return total.failed > 0 || total.passed === 0 ? 1 : 0;
}

main().then(
  (code) => process.exit(code),
  (err: unknown) => {
    console.error(`e2e: ${err instanceof Error ? err.message : String(err)}`);
    console.log('e2e: 0 passed, 1 failed');
    process.exit(1);
  },
);
