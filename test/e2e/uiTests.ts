/**
 * The UI tests: each drives a fresh workbench (already loaded by the runner, runCodeServer.ts) like a
 * person, from the command palette, and checks what the screen shows. The runner takes care of the
 * page, the screenshot (test/e2e/screenshots/<name>.png, or <name>-failure.png) and the report.
 */
import type { Page } from 'playwright-core';

export interface UiTest {
  /** Names the screenshots. */
  readonly name: string;
  readonly title: string;
  /**
   * Drives the page; keeps `at.step` saying where it is, so a failure names it. Calls `shoot()` at the
   * moment the feature shows best (the runner shoots at the end otherwise). Returns a detail for the report.
   */
  run(page: Page, at: { step: string }, shoot: () => Promise<void>): Promise<string | void>;
}

const RESCAN_TITLE = 'Astrolabe: Rescan Workspace';
/** The whole text of the status bar item once a scan has finished ("$(compass) N units"). */
const FINAL_UNITS_PATTERN = /^(\d+) units$/;
/** Named code units in the fixture (see suite/extension.test.ts); top-level code may add more. */
const MIN_FIXTURE_UNITS = 14;
const SEARCH_TITLE = 'Astrolabe: Search Code';
const SEARCH_QUERY = 'euclidean distance between two points';
const CLONES_TITLE = 'Astrolabe: Find Clones';
const PROBE_TITLE = 'Astrolabe: Probe Syntax of Selection';

export const UI_TESTS: readonly UiTest[] = [
  {
    name: 'rescan',
    title: `UI: "${RESCAN_TITLE}" from the command palette shows the unit count in the status bar`,
    async run(page, at) {
      at.step = 'the status bar';
      await page.locator('.part.statusbar').waitFor({ state: 'visible', timeout: 30_000 });
      at.step = 'the palette command';
      await runPaletteCommand(page, RESCAN_TITLE);
      // While a scan runs the item shows progress ("$(sync~spin) 3 files seen, 1 parsed, 2 units").
      at.step = 'the unit count';
      const deadline = Date.now() + 60_000;
      let text = '';
      for (;;) {
        const texts = (await page.locator('.part.statusbar .statusbar-item').allInnerTexts()).map((t) => t.trim());
        text = texts.find((t) => FINAL_UNITS_PATTERN.test(t)) ?? '';
        if (text) break;
        if (Date.now() > deadline) throw new Error(`no status bar item reading "N units" 60 s after the command; status bar: ${JSON.stringify(texts)}`);
        await page.waitForTimeout(200);
      }
      const units = Number(FINAL_UNITS_PATTERN.exec(text)?.[1]);
      if (!(units >= MIN_FIXTURE_UNITS)) throw new Error(`status bar shows ${JSON.stringify(text)}; the fixture workspace has at least ${MIN_FIXTURE_UNITS} units`);
      const item = page.locator('.part.statusbar .statusbar-item', { hasText: text }).first();
      const hasIcon = (await item.locator('.codicon-compass').count()) > 0;
      await showCodeUnits(page).catch((err: unknown) => {
        console.log(`e2e: (could not open geometry.py and the Astrolabe view for the screenshot: ${firstLine(err)})`);
      });
      return `status bar: "${text}"${hasIcon ? ' with $(compass)' : ', no $(compass) icon'}`;
    },
  },
  {
    name: 'search',
    title: `UI: "${SEARCH_TITLE}" finds a function by its description and opens it`,
    async run(page, at, shoot) {
      at.step = 'the palette command';
      await runPaletteCommand(page, SEARCH_TITLE);
      at.step = 'a result';
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
      await shoot();
      at.step = 'opening the result';
      await hit.first().click();
      await page.locator('.tabs-container .tab.active', { hasText: 'geometry.py' }).waitFor({ state: 'visible', timeout: 15_000 });
    },
  },
  {
    name: 'clones',
    title: `UI: "${CLONES_TITLE}" lists the planted clone class and opens a diff of its instances`,
    async run(page, at) {
      at.step = 'the Astrolabe view container';
      await page.locator('.part.activitybar .action-item a[aria-label^="Astrolabe"]').first().click({ timeout: 30_000 });
      at.step = 'the palette command';
      await runPaletteCommand(page, CLONES_TITLE);
      at.step = 'the clone class row';
      const classRow = page.locator('.part.sidebar .monaco-list-row', { hasText: 'renamed copies' }).first();
      await classRow.waitFor({ state: 'visible', timeout: 60_000 });
      if ((await classRow.getAttribute('aria-expanded')) === 'false') await classRow.click();
      at.step = 'the instance rows';
      for (const file of ['src/report.py', 'src/stats.py']) {
        await page.locator('.part.sidebar .monaco-list-row', { hasText: file }).first().waitFor({ state: 'visible', timeout: 10_000 });
      }
      at.step = 'the Compare action';
      await classRow.hover();
      await classRow.locator('.actions a[aria-label="Compare Clones"]').click({ timeout: 10_000 });
      at.step = 'the diff editor';
      await page.locator('.tabs-container .tab', { hasText: '↔' }).first().waitFor({ state: 'visible', timeout: 20_000 });
      await page.locator('.monaco-diff-editor').first().waitFor({ state: 'visible', timeout: 20_000 });
      await page.mouse.move(900, 700);
      await page.waitForTimeout(500); // let the diff render its decorations
    },
  },
  {
    name: 'probe',
    title: `UI: "${PROBE_TITLE}" opens the webview with the recovered and the true tree`,
    async run(page, at) {
      at.step = 'opening geometry.py';
      await quickOpen(page, 'geometry.py');
      at.step = 'the cursor in distance()';
      // Go to line 17, column 5, and wait until the status bar says so: a busy machine can drop keys.
      const input = page.locator('.quick-input-widget .quick-input-box input');
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
      at.step = 'the palette command';
      await runPaletteCommand(page, PROBE_TITLE);
      at.step = 'the webview';
      const webview = page.frameLocator('iframe.webview').first().frameLocator('iframe').first();
      for (const id of ['#predicted', '#truth']) await webview.locator(`${id} svg text`).first().waitFor({ state: 'visible', timeout: 60_000 });
      const leaves = await webview.locator('#truth svg text.leaf').allTextContents();
      if (!leaves.includes('hypot')) throw new Error(`the true tree's leaves lack "hypot": ${JSON.stringify(leaves)}`);
      const score = (await webview.locator('#score').textContent()) ?? '';
      if (!/^F1 \d\.\d{3}/.test(score)) throw new Error(`no F1 shown: ${JSON.stringify(score)}`);
      await page.mouse.move(900, 700);
      return score;
    },
  },
];

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
      if (Date.now() > deadline) throw new Error(`the command palette never listed "${commandTitle}"`);
      await page.waitForTimeout(500);
    }
  }
  await page.keyboard.press('Enter');
}

/** Opens a workspace file by name with Quick Open (Ctrl+P) and waits for its tab. */
async function quickOpen(page: Page, file: string, timeout = 10_000): Promise<void> {
  await page.keyboard.press('Control+P');
  const input = page.locator('.quick-input-widget .quick-input-box input');
  await input.waitFor({ state: 'visible', timeout });
  await input.fill(file);
  await page.locator('.quick-input-widget .monaco-list-row', { hasText: file }).first().waitFor({ state: 'visible', timeout });
  await page.keyboard.press('Enter');
  await page.locator('.tabs-container .tab.active', { hasText: file }).waitFor({ state: 'visible', timeout: timeout + 5_000 });
}

/** Best effort, for a telling screenshot: open src/geometry.py and the Code Units view, expanded. */
async function showCodeUnits(page: Page): Promise<void> {
  let step = 'quick open';
  try {
    await quickOpen(page, 'geometry.py', 5_000);
    step = 'activity bar';
    await page.locator('.part.activitybar .action-item a[aria-label^="Astrolabe"]').first().click({ timeout: 5_000 });
    step = 'Code Units view';
    const rows = page.locator('.part.sidebar .monaco-list-row');
    for (const label of ['Workspace', 'Active file']) {
      const row = rows.filter({ hasText: label }).first();
      await row.waitFor({ state: 'visible', timeout: 5_000 });
      if ((await row.getAttribute('aria-expanded')) === 'false') await row.click();
    }
    await page.mouse.move(800, 600); // away from the activity bar, so no hover tooltip covers the view
    await page.waitForTimeout(500); // let the expanded rows render
  } catch (err) {
    throw new Error(`${step}: ${firstLine(err)}`);
  }
}

function firstLine(err: unknown): string {
  return err instanceof Error ? err.message.split('\n')[0] : String(err);
}
