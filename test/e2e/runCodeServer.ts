/**
 * End-to-end runner on a real VS Code workbench served by code-server, driven
 * by headless Chromium (playwright-core). Two phases against one server:
 *
 *  1. The extension test suite (suite/index.js -> *.test.js) runs inside the
 *     extension host through VS Code's `extensionTestsPath` mechanism; its
 *     console output reaches us through `codeAutomationLog` and its result
 *     through `codeAutomationExit`.
 *  2. A UI test drives the workbench like a person: F1, "Astrolabe: Rescan
 *     Workspace", Enter, then reads the status bar and takes a screenshot
 *     (test/e2e/screenshots/rescan.png).
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

const SUITE_TIMEOUT_MS = Number(process.env.ASTROLABE_E2E_TIMEOUT_MS) || 180_000;
const UI_TIMEOUT_MS = 90_000;
const VERBOSE = process.env.ASTROLABE_E2E_VERBOSE === '1';
const COMMAND_TITLE = 'Astrolabe: Rescan Workspace';
const UNITS_PATTERN = /\d+ units/;
/** The whole text of the status bar item once a scan has finished. */
const FINAL_UNITS_PATTERN = /^(\d+) units$/;
/** Named code units in the fixture (see suite/extension.test.ts); top-level code may add more. */
const MIN_FIXTURE_UNITS = 14;

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

async function statusBarText(page: Page): Promise<string[]> {
  return page.locator('.part.statusbar .statusbar-item').allInnerTexts();
}

/** Best effort, for a telling screenshot: open src/geometry.py and the Astrolabe view container. */
async function stageScreenshot(page: Page): Promise<void> {
  let step = 'quick open';
  try {
    await page.keyboard.press('Control+P');
    const input = page.locator('.quick-input-widget .quick-input-box input');
    await input.waitFor({ state: 'visible', timeout: 5_000 });
    await input.fill('geometry.py');
    step = 'quick open result';
    await page.locator('.quick-input-widget .monaco-list-row', { hasText: 'geometry.py' }).first().waitFor({ state: 'visible', timeout: 5_000 });
    await page.keyboard.press('Enter');
    step = 'editor tab';
    await page.locator('.tabs-container .tab', { hasText: 'geometry.py' }).first().waitFor({ state: 'visible', timeout: 5_000 });
    step = 'activity bar';
    await page.locator('.part.activitybar .action-item a[aria-label^="Astrolabe"]').first().click({ timeout: 5_000 });
    step = 'Code Units view';
    const rows = page.locator('.part.sidebar .monaco-list-row');
    for (const label of ['Workspace', 'Active file']) {
      const row = rows.filter({ hasText: label }).first();
      await row.waitFor({ state: 'visible', timeout: 5_000 });
      if ((await row.getAttribute('aria-expanded')) === 'false') {
        await row.click();
      }
    }
    await page.mouse.move(800, 600); // away from the activity bar, so no hover tooltip covers the view
    await page.waitForTimeout(500); // let the expanded rows render
  } catch (err) {
    throw new Error(`${step}: ${err instanceof Error ? err.message.split('\n')[0] : String(err)}`);
  }
}

/** Phase 2: run the command from the command palette like a person and check the status bar. */
/** A failed UI test: its message, a screenshot of the page as it was, and the browser console's last lines. */
async function reportUiFailure(page: Page, title: string, err: unknown, browserLog: string[], shot: string): Promise<Tally> {
  await page.screenshot({ path: shot }).catch(() => undefined);
  console.error(`  ✖ ${title}\n    ${err instanceof Error ? err.message : String(err)}`);
  console.error(`    screenshot of the failure: ${shot}`);
  console.error(`----- browser console (tail) -----\n${browserLog.slice(-20).join('\n')}\n-----`);
  return { passed: 0, failed: 1 };
}

/**
 * Runs a command from the command palette like a person: F1, type its title, Enter. The palette lists
 * extension commands once the extension host has registered the manifest, so it is reopened until the
 * command shows up.
 */
async function runPaletteCommand(page: Page, commandTitle: string): Promise<void> {
  const input = page.locator('.quick-input-widget .quick-input-box input');
  const row = page.locator('.quick-input-widget .monaco-list-row', { hasText: commandTitle });
  const deadline = Date.now() + 45_000;
  for (;;) {
    await page.keyboard.press('F1');
    await input.waitFor({ state: 'visible', timeout: 10_000 });
    await input.fill(`>${commandTitle}`);
    try {
      await row.first().waitFor({ state: 'visible', timeout: 3_000 });
      break;
    } catch {
      await page.keyboard.press('Escape');
      if (Date.now() > deadline) {
        throw new Error(`the command palette never listed "${commandTitle}"`);
      }
      await page.waitForTimeout(500);
    }
  }
  await page.keyboard.press('Enter');
}

const SEARCH_TITLE = 'Astrolabe: Search Code';
const SEARCH_QUERY = 'euclidean distance between two points';

/** UI test 2: Search Code from the palette, type a question, the function appears, Enter opens its file. */
async function runSearchUiTest(context: BrowserContext, server: CodeServer, folder: string, extPath: string): Promise<Tally> {
  const started = Date.now();
  const title = `UI: "${SEARCH_TITLE}" finds a function by its description and opens it`;
  const screenshotDir = path.join(repoRoot(), 'test', 'e2e', 'screenshots');
  const page = await context.newPage();
  const browserLog: string[] = [];
  watchBrowserConsole(page, browserLog);
  try {
    await page.goto(workbenchUrl(server, folder, [['extensionDevelopmentPath', remoteUri(server, extPath)]]), { waitUntil: 'domcontentloaded', timeout: 60_000 });
    await page.locator('.monaco-workbench').waitFor({ state: 'visible', timeout: 60_000 });
    await runPaletteCommand(page, SEARCH_TITLE);
    const input = page.locator('.quick-input-widget .quick-input-box input');
    await input.waitFor({ state: 'visible', timeout: 10_000 });
    const hit = page.locator('.quick-input-widget .monaco-list-row', { hasText: 'distance' });
    // The workspace is indexed in the background after activation; until then a query may find nothing,
    // so the question is typed again (the picker searches when its text changes).
    const deadline = Date.now() + 60_000;
    for (let attempt = 0; ; attempt++) {
      await input.fill(attempt % 2 === 0 ? SEARCH_QUERY : `${SEARCH_QUERY} `);
      try {
        await hit.first().waitFor({ state: 'visible', timeout: 3_000 });
        break;
      } catch {
        if (Date.now() > deadline) throw new Error(`no result named "distance" for "${SEARCH_QUERY}" within 60 s`);
      }
    }
    await page.screenshot({ path: path.join(screenshotDir, 'search.png') });
    await hit.first().click();
    await page.locator('.tabs-container .tab.active', { hasText: 'geometry.py' }).waitFor({ state: 'visible', timeout: 15_000 });
    console.log(`  ✔ ${title} (${elapsed(started)})`);
    console.log(`e2e: screenshot ${path.relative(process.cwd(), path.join(screenshotDir, 'search.png'))}`);
    return { passed: 1, failed: 0 };
  } catch (err) {
    return reportUiFailure(page, title, err, browserLog, path.join(screenshotDir, 'search-failure.png'));
  } finally {
    await page.close().catch(() => undefined);
  }
}

const CLONES_TITLE = 'Astrolabe: Find Clones';

/** UI test 3: Find Clones from the palette; the Clones view lists the planted class; its Compare action opens a diff. */
async function runClonesUiTest(context: BrowserContext, server: CodeServer, folder: string, extPath: string): Promise<Tally> {
  const started = Date.now();
  const title = `UI: "${CLONES_TITLE}" lists the planted clone class and opens a diff of its instances`;
  const screenshotDir = path.join(repoRoot(), 'test', 'e2e', 'screenshots');
  const page = await context.newPage();
  const browserLog: string[] = [];
  watchBrowserConsole(page, browserLog);
  let step = 'workbench';
  try {
    await page.goto(workbenchUrl(server, folder, [['extensionDevelopmentPath', remoteUri(server, extPath)]]), { waitUntil: 'domcontentloaded', timeout: 60_000 });
    await page.locator('.monaco-workbench').waitFor({ state: 'visible', timeout: 60_000 });
    step = 'the Astrolabe view container';
    await page.locator('.part.activitybar .action-item a[aria-label^="Astrolabe"]').first().click({ timeout: 30_000 });
    step = 'the palette command';
    await runPaletteCommand(page, CLONES_TITLE);
    step = 'the clone class row';
    const classRow = page.locator('.part.sidebar .monaco-list-row', { hasText: 'renamed copies' }).first();
    await classRow.waitFor({ state: 'visible', timeout: 60_000 });
    if ((await classRow.getAttribute('aria-expanded')) === 'false') await classRow.click();
    step = 'the instance rows';
    for (const file of ['src/report.py', 'src/stats.py']) {
      await page.locator('.part.sidebar .monaco-list-row', { hasText: file }).first().waitFor({ state: 'visible', timeout: 10_000 });
    }
    step = 'the Compare action';
    await classRow.hover();
    await classRow.locator('.actions a[aria-label="Compare Clones"]').click({ timeout: 10_000 });
    step = 'the diff editor';
    await page.locator('.tabs-container .tab', { hasText: '↔' }).first().waitFor({ state: 'visible', timeout: 20_000 });
    await page.locator('.monaco-diff-editor').first().waitFor({ state: 'visible', timeout: 20_000 });
    await page.mouse.move(900, 700);
    await page.waitForTimeout(500); // let the diff render its decorations
    const shot = path.join(screenshotDir, 'clones.png');
    await page.screenshot({ path: shot });
    console.log(`  ✔ ${title} (${elapsed(started)})`);
    console.log(`e2e: screenshot ${path.relative(process.cwd(), shot)}`);
    return { passed: 1, failed: 0 };
  } catch (err) {
    return reportUiFailure(page, title, new Error(`${step}: ${err instanceof Error ? err.message : String(err)}`), browserLog, path.join(screenshotDir, 'clones-failure.png'));
  } finally {
    await page.close().catch(() => undefined);
  }
}

const PROBE_TITLE = 'Astrolabe: Probe Syntax of Selection';

/** UI test 4: with the cursor in a function, the probe command opens a webview that draws both trees. */
async function runProbeUiTest(context: BrowserContext, server: CodeServer, folder: string, extPath: string): Promise<Tally> {
  const started = Date.now();
  const title = `UI: "${PROBE_TITLE}" opens the webview with the recovered and the true tree`;
  const screenshotDir = path.join(repoRoot(), 'test', 'e2e', 'screenshots');
  const page = await context.newPage();
  const browserLog: string[] = [];
  watchBrowserConsole(page, browserLog);
  let step = 'workbench';
  try {
    await page.goto(workbenchUrl(server, folder, [['extensionDevelopmentPath', remoteUri(server, extPath)]]), { waitUntil: 'domcontentloaded', timeout: 60_000 });
    await page.locator('.monaco-workbench').waitFor({ state: 'visible', timeout: 60_000 });
    step = 'opening geometry.py';
    await page.keyboard.press('Control+P');
    const input = page.locator('.quick-input-widget .quick-input-box input');
    await input.waitFor({ state: 'visible', timeout: 10_000 });
    await input.fill('geometry.py');
    await page.locator('.quick-input-widget .monaco-list-row', { hasText: 'geometry.py' }).first().waitFor({ state: 'visible', timeout: 10_000 });
    await page.keyboard.press('Enter');
    await page.locator('.tabs-container .tab.active', { hasText: 'geometry.py' }).waitFor({ state: 'visible', timeout: 15_000 });
    step = 'the cursor in distance()';
    // Go to line 17, column 5, and wait until the status bar says so: a busy machine can drop keys.
    await page.locator('.quick-input-widget').waitFor({ state: 'hidden', timeout: 10_000 });
    const cursorAt = page.locator('.part.statusbar .statusbar-item', { hasText: 'Ln 17, Col 5' });
    for (let attempt = 0; ; attempt++) {
      await page.keyboard.press('Control+G');
      await input.waitFor({ state: 'visible', timeout: 10_000 });
      await input.fill(':17:5');
      await page.keyboard.press('Enter');
      try {
        await cursorAt.first().waitFor({ state: 'visible', timeout: 5_000 });
        break;
      } catch (error) {
        if (attempt >= 3) throw error;
        await page.keyboard.press('Escape');
      }
    }
    step = 'the palette command';
    await runPaletteCommand(page, PROBE_TITLE);
    step = 'the webview';
    const webview = page.frameLocator('iframe.webview').first().frameLocator('iframe').first();
    for (const id of ['#predicted', '#truth']) await webview.locator(`${id} svg text`).first().waitFor({ state: 'visible', timeout: 60_000 });
    const leaves = await webview.locator('#truth svg text.leaf').allTextContents();
    if (!leaves.includes('hypot')) throw new Error(`the true tree's leaves lack "hypot": ${JSON.stringify(leaves)}`);
    const score = (await webview.locator('#score').textContent()) ?? '';
    if (!/^F1 \d\.\d{3}/.test(score)) throw new Error(`no F1 shown: ${JSON.stringify(score)}`);
    await page.mouse.move(900, 700);
    const shot = path.join(screenshotDir, 'probe.png');
    await page.screenshot({ path: shot });
    console.log(`  ✔ ${title} (${score}; ${elapsed(started)})`);
    console.log(`e2e: screenshot ${path.relative(process.cwd(), shot)}`);
    return { passed: 1, failed: 0 };
  } catch (err) {
    return reportUiFailure(page, title, new Error(`${step}: ${err instanceof Error ? err.message : String(err)}`), browserLog, path.join(screenshotDir, 'probe-failure.png'));
  } finally {
    await page.close().catch(() => undefined);
  }
}

async function runUiTest(context: BrowserContext, server: CodeServer, folder: string, extPath: string): Promise<Tally> {
  const started = Date.now();
  const title = `UI: "${COMMAND_TITLE}" from the command palette shows the unit count in the status bar`;
  const screenshotDir = path.join(repoRoot(), 'test', 'e2e', 'screenshots');
  fs.mkdirSync(screenshotDir, { recursive: true });
  const page = await context.newPage();
  const browserLog: string[] = [];
  watchBrowserConsole(page, browserLog);
  console.log('e2e: running the UI test');
  try {
    const url = workbenchUrl(server, folder, [['extensionDevelopmentPath', remoteUri(server, extPath)]]);
    await page.goto(url, { waitUntil: 'domcontentloaded', timeout: 60_000 });
    await page.locator('.monaco-workbench').waitFor({ state: 'visible', timeout: 60_000 });
    await page.locator('.part.statusbar').waitFor({ state: 'visible', timeout: 30_000 });

    await runPaletteCommand(page, COMMAND_TITLE);

    // While a scan runs the item shows progress ("$(sync~spin) 3 files seen, 1 parsed, 2 units");
    // the result is the item whose whole text is "N units" (rendered from "$(compass) N units").
    const statusDeadline = Date.now() + 60_000;
    let texts: string[] = [];
    let text = '';
    for (;;) {
      texts = (await statusBarText(page)).map((t) => t.trim());
      text = texts.find((t) => FINAL_UNITS_PATTERN.test(t)) ?? '';
      if (text) {
        break;
      }
      if (Date.now() > statusDeadline) {
        throw new Error(`no status bar item reading "N units" 60 s after the command; status bar: ${JSON.stringify(texts)}`);
      }
      await page.waitForTimeout(200);
    }
    if (!UNITS_PATTERN.test(text)) {
      throw new Error(`status bar item text ${JSON.stringify(text)} does not match ${UNITS_PATTERN}`);
    }
    const units = Number(FINAL_UNITS_PATTERN.exec(text)?.[1]);
    if (!(units >= MIN_FIXTURE_UNITS)) {
      throw new Error(`status bar shows ${JSON.stringify(text)}; the fixture workspace has at least ${MIN_FIXTURE_UNITS} units`);
    }
    const item = page.locator('.part.statusbar .statusbar-item', { hasText: text }).first();
    const hasIcon = (await item.locator('.codicon-compass').count()) > 0;
    await stageScreenshot(page).catch((err: unknown) => {
      console.log(`e2e: (could not open geometry.py and the Astrolabe view for the screenshot: ${err instanceof Error ? err.message.split('\n')[0] : String(err)})`);
    });
    const shot = path.join(screenshotDir, 'rescan.png');
    await page.screenshot({ path: shot });
    console.log(`  ✔ ${title} (status bar: "${text}"${hasIcon ? ' with $(compass)' : ', no $(compass) icon'}; ${elapsed(started)})`);
    console.log(`e2e: screenshot ${path.relative(process.cwd(), shot) || shot}`);
    return { passed: 1, failed: 0 };
  } catch (err) {
    return reportUiFailure(page, title, err, browserLog, path.join(screenshotDir, 'rescan-failure.png'));
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
    const uiTests: [name: string, test: typeof runUiTest][] = [
      ['rescan', runUiTest], ['search', runSearchUiTest], ['clones', runClonesUiTest], ['probe', runProbeUiTest],
    ];
    for (const [name, uiTest] of uiTests) {
      const uiContext = await browser.newContext({ viewport: { width: 1280, height: 800 } });
      const ui = await withTimeout(uiTest(uiContext, server, uiWorkspace.dir, extPath), UI_TIMEOUT_MS);
      await uiContext.close().catch(() => undefined);
      if (ui === 'timeout') {
        console.error(`e2e: FAILED: the ${name} UI test did not finish within ${UI_TIMEOUT_MS / 1000} s`);
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
