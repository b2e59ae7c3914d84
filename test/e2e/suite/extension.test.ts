/**
 * End-to-end tests that run INSIDE a real VS Code extension host against the
 * real Astrolabe extension, with the fixture workspace (a temporary copy of
 * test/e2e/fixtures/workspace prepared by test/e2e/fixture.ts) opened.
 *
 * Fixture and expected scan counts:
 *   src/geometry.py      parsed   class Circle (methods __init__, area), function distance
 *   src/util.ts          parsed   function clamp, class Counter (method increment)
 *   src/stats.py         parsed   function summarize
 *   src/report.py        parsed   function describe_scores: a renamed copy of summarize (a Type 2 clone)
 *   src/cart.ts          parsed   class Cart (methods addItem, removeItem, itemCount), function checkout
 *   lib/vendor.min.js    skipped  "minified" (one line of about 3 KB)
 *   assets/blob.py       skipped  "binary"   (NUL bytes; written by the runner)
 *   build/generated.py   ignored  (.gitignore: build/) - not counted at all
 *   build/bundle.js      ignored  (.gitignore: build/) - not counted at all
 *   debug.log            ignored  (.gitignore: *.log)  - not counted at all
 *   README.md, .gitignore         not a supported language - not counted
 *   => seen 7, parsed 5, skipped { binary: 1, minified: 1 }, units >= 14
 *      (at least the 14 named units above; top-level code may add windows).
 */
import * as assert from 'assert';
import * as vscode from 'vscode';

const EXTENSION_ID = 'astrolabe-dev.astrolabe';

interface ScanSummary {
  seen: number;
  parsed: number;
  skipped: Record<string, number>;
  units: number;
}

interface ViewNode {
  label: string;
  description?: string;
  children: ViewNode[];
}

interface AstrolabeApi {
  lastSummary(): ScanSummary | undefined;
  rescan(): Promise<ScanSummary | undefined>;
  codeUnitsTree(): Promise<ViewNode[]>;
  whenIndexed(): Promise<void>;
  clonesTree(): ViewNode[];
  lastCompletion(): { file: string; text: string; monitorTriggered: boolean; legal: string[] } | undefined;
}

interface ProbeTree {
  text?: string;
  label?: string;
  children?: ProbeTree[];
}

interface ProbeViewShape {
  title: string;
  language: string;
  layers: number[];
  layer: number;
  truth: ProbeTree;
  predicted: ProbeTree;
  score: { precision: number; recall: number; f1: number };
  perLayer: { layer: number; f1: number }[];
}

function leafTexts(tree: ProbeTree): string[] {
  return tree.children ? tree.children.flatMap(leafTexts) : [tree.text ?? ''];
}

interface CodeHit {
  file: string;
  name: string;
  kind: string;
  startLine: number;
  endLine: number;
  score: number;
  uri: vscode.Uri;
}

const EXPECTED = {
  seen: 7,
  parsed: 5,
  skipped: { binary: 1, minified: 1 } as Record<string, number>,
  minUnits: 14,
};

const GEOMETRY_UNITS: Array<[label: string, kinds: string[]]> = [
  ['Circle', ['class']],
  ['Circle.__init__', ['method', 'constructor']],
  ['Circle.area', ['method']],
  ['distance', ['function']],
];

const UTIL_UNITS: Array<[label: string, kinds: string[]]> = [
  ['clamp', ['function']],
  ['Counter', ['class']],
  ['Counter.increment', ['method']],
];

function workspaceRoot(): vscode.Uri {
  const folder = vscode.workspace.workspaceFolders?.[0];
  assert.ok(folder, 'the fixture workspace folder is not open');
  return folder.uri;
}

function fixtureUri(relative: string): vscode.Uri {
  return vscode.Uri.joinPath(workspaceRoot(), ...relative.split('/'));
}

async function api(): Promise<AstrolabeApi> {
  const ext = vscode.extensions.getExtension<AstrolabeApi>(EXTENSION_ID);
  assert.ok(ext, `extension ${EXTENSION_ID} is not installed in the extension host`);
  const exported = await ext.activate();
  assert.ok(exported && typeof exported.codeUnitsTree === 'function', 'activate() did not return the Astrolabe API');
  return exported;
}

/** Drops zero-valued skip reasons so that `{ binary: 1, generated: 0 }` equals `{ binary: 1 }`. */
function nonZero(skipped: Record<string, number>): Record<string, number> {
  const out: Record<string, number> = {};
  for (const [reason, count] of Object.entries(skipped ?? {})) {
    if (count !== 0) {
      out[reason] = count;
    }
  }
  return out;
}

function assertFixtureCounts(summary: ScanSummary | undefined, what: string): asserts summary is ScanSummary {
  assert.ok(summary, `${what} returned no summary`);
  const shown = JSON.stringify(summary);
  assert.strictEqual(summary.seen, EXPECTED.seen, `${what}: seen (ignored files must not be counted): ${shown}`);
  assert.strictEqual(summary.parsed, EXPECTED.parsed, `${what}: parsed: ${shown}`);
  assert.deepStrictEqual(nonZero(summary.skipped), EXPECTED.skipped, `${what}: skipped: ${shown}`);
  const skippedTotal = Object.values(summary.skipped).reduce((a, b) => a + b, 0);
  assert.strictEqual(summary.parsed + skippedTotal, summary.seen, `${what}: parsed + skipped must equal seen: ${shown}`);
  assert.ok(Number.isInteger(summary.units) && summary.units >= EXPECTED.minUnits, `${what}: units >= ${EXPECTED.minUnits}: ${shown}`);
}

function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

/**
 * Polls `probe` until `accept` holds (the view refreshes asynchronously after
 * editor changes and edits). On timeout, fails with the last observed value.
 */
async function poll<T>(probe: () => Promise<T>, accept: (value: T) => boolean, what: string, timeoutMs = 15_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  let last: T | undefined;
  let lastError: unknown;
  for (;;) {
    try {
      last = await probe();
      lastError = undefined;
      if (accept(last)) {
        return last;
      }
    } catch (err) {
      lastError = err;
    }
    if (Date.now() > deadline) {
      const detail = lastError !== undefined ? `last error: ${String(lastError)}` : `last value: ${JSON.stringify(last, null, 2)}`;
      assert.fail(`timed out after ${timeoutMs} ms waiting for ${what}; ${detail}`);
    }
    await sleep(150);
  }
}

function topNode(tree: ViewNode[], label: string): ViewNode | undefined {
  return tree.find((node) => node.label === label);
}

function activeFileNode(tree: ViewNode[]): ViewNode | undefined {
  return topNode(tree, 'Active file');
}

function hasUnits(node: ViewNode | undefined, fileName: string, labels: string[]): boolean {
  if (!node || node.description !== fileName) {
    return false;
  }
  const present = new Set(node.children.map((child) => child.label));
  return labels.every((label) => present.has(label));
}

function assertUnitKinds(node: ViewNode, expected: Array<[string, string[]]>): void {
  for (const [label, kinds] of expected) {
    const unit = node.children.find((child) => child.label === label);
    assert.ok(unit, `unit ${label} missing from ${JSON.stringify(node.children.map((c) => c.label))}`);
    assert.ok(
      unit.description !== undefined && kinds.includes(unit.description),
      `unit ${label} has kind ${JSON.stringify(unit.description)}, expected ${kinds.join(' or ')}`,
    );
    assert.deepStrictEqual(unit.children, [], `unit ${label} should be a flat entry (nested units are listed by qualified name)`);
  }
}

async function closeAllEditorsWithoutSaving(): Promise<void> {
  for (const doc of vscode.workspace.textDocuments) {
    if (doc.isDirty && doc.uri.scheme === 'file') {
      await vscode.window.showTextDocument(doc);
      await vscode.commands.executeCommand('workbench.action.files.revert');
    }
  }
  await vscode.commands.executeCommand('workbench.action.closeAllEditors');
}

describe('Astrolabe in a real VS Code', function () {
  after(async function () {
    await closeAllEditorsWithoutSaving();
  });

  it('activates and exports its API', async function () {
    const ext = vscode.extensions.getExtension<AstrolabeApi>(EXTENSION_ID);
    assert.ok(ext, `extension ${EXTENSION_ID} not found`);
    const exported = await ext.activate();
    assert.ok(ext.isActive, 'extension is not active after activate()');
    assert.ok(exported && typeof exported === 'object', 'activate() returned no API object');
    for (const fn of ['lastSummary', 'rescan', 'codeUnitsTree'] as const) {
      assert.strictEqual(typeof exported[fn], 'function', `API is missing ${fn}()`);
    }
    const commands = await vscode.commands.getCommands(true);
    assert.ok(commands.includes('astrolabe.rescanWorkspace'), 'command astrolabe.rescanWorkspace is not registered');
  });

  it('astrolabe.rescanWorkspace returns counts that match the fixture', async function () {
    const astrolabe = await api();
    const summary = await vscode.commands.executeCommand<ScanSummary | undefined>('astrolabe.rescanWorkspace');
    assertFixtureCounts(summary, 'astrolabe.rescanWorkspace');
    assert.deepStrictEqual(astrolabe.lastSummary(), summary, 'lastSummary() differs from the command result');

    const again = await astrolabe.rescan();
    assertFixtureCounts(again, 'api.rescan()');
    assert.strictEqual(again.units, summary.units, 'a second scan of an unchanged workspace found a different number of units');
  });

  it('the Code Units view reports the scan under "Workspace"', async function () {
    const astrolabe = await api();
    await vscode.commands.executeCommand('astrolabe.rescanWorkspace');
    const tree = await astrolabe.codeUnitsTree();
    const workspace = topNode(tree, 'Workspace');
    assert.ok(workspace, `no "Workspace" node in ${JSON.stringify(tree.map((n) => n.label))}`);
    const lines = new Map(workspace.children.map((child) => [child.label, child.description]));
    const shown = JSON.stringify([...lines]);
    assert.strictEqual(lines.get('Seen'), String(EXPECTED.seen), `Seen line: ${shown}`);
    assert.strictEqual(lines.get('Parsed'), String(EXPECTED.parsed), `Parsed line: ${shown}`);
    for (const [reason, count] of Object.entries(EXPECTED.skipped)) {
      assert.strictEqual(lines.get(`Skipped: ${reason}`), String(count), `Skipped: ${reason} line: ${shown}`);
    }
    assert.ok(topNode(tree, 'Active file'), `no "Active file" node in ${JSON.stringify(tree.map((n) => n.label))}`);
  });

  it('lists the units of the active Python file by qualified name', async function () {
    const astrolabe = await api();
    await vscode.window.showTextDocument(fixtureUri('src/geometry.py'));
    const labels = GEOMETRY_UNITS.map(([label]) => label);
    const tree = await poll(
      () => astrolabe.codeUnitsTree(),
      (t) => hasUnits(activeFileNode(t), 'geometry.py', labels),
      `the Active file node to list ${labels.join(', ')}`,
    );
    assertUnitKinds(activeFileNode(tree)!, GEOMETRY_UNITS);
  });

  it('follows the active editor to a TypeScript file', async function () {
    const astrolabe = await api();
    await vscode.window.showTextDocument(fixtureUri('src/util.ts'));
    const labels = UTIL_UNITS.map(([label]) => label);
    const tree = await poll(
      () => astrolabe.codeUnitsTree(),
      (t) => hasUnits(activeFileNode(t), 'util.ts', labels),
      `the Active file node to switch to util.ts and list ${labels.join(', ')}`,
    );
    const node = activeFileNode(tree)!;
    assertUnitKinds(node, UTIL_UNITS);
    assert.ok(!node.children.some((child) => child.label === 'distance'), 'units of the previous file are still listed');
  });

  it('reparses unsaved edits of the active file', async function () {
    const astrolabe = await api();
    const uri = fixtureUri('src/geometry.py');
    const onDisk = Buffer.from(await vscode.workspace.fs.readFile(uri)).toString('utf8');
    const editor = await vscode.window.showTextDocument(uri);
    try {
      const base = GEOMETRY_UNITS.map(([label]) => label);
      await poll(() => astrolabe.codeUnitsTree(), (t) => hasUnits(activeFileNode(t), 'geometry.py', base), 'geometry.py units');

      const edit = new vscode.WorkspaceEdit();
      const end = editor.document.lineAt(editor.document.lineCount - 1).range.end;
      edit.insert(uri, end, '\n\ndef perimeter(radius):\n    return 2 * math.pi * radius\n');
      assert.ok(await vscode.workspace.applyEdit(edit), 'applyEdit failed');
      assert.ok(editor.document.isDirty, 'the edited document should be dirty (not saved)');

      const tree = await poll(
        () => astrolabe.codeUnitsTree(),
        (t) => hasUnits(activeFileNode(t), 'geometry.py', [...base, 'perimeter']),
        'the unsaved function perimeter to appear in the Active file node',
      );
      assertUnitKinds(activeFileNode(tree)!, [...GEOMETRY_UNITS, ['perimeter', ['function']]]);

      await vscode.commands.executeCommand('workbench.action.files.revert');
      assert.ok(!editor.document.isDirty, 'revert left the document dirty');
      await poll(
        () => astrolabe.codeUnitsTree(),
        (t) => {
          const node = activeFileNode(t);
          return hasUnits(node, 'geometry.py', base) && !node!.children.some((c) => c.label === 'perimeter');
        },
        'perimeter to disappear after reverting',
      );
    } finally {
      if (editor.document.isDirty) {
        await vscode.window.showTextDocument(editor.document);
        await vscode.commands.executeCommand('workbench.action.files.revert');
      }
      await vscode.commands.executeCommand('workbench.action.closeActiveEditor');
    }
    const after = Buffer.from(await vscode.workspace.fs.readFile(uri)).toString('utf8');
    assert.strictEqual(after, onDisk, 'the fixture file on disk changed: the edit must never be saved');
  });

  it('Check Encoder names the missing file, and the extension keeps working without a model', async function () {
    const astrolabe = await api();
    const settings = vscode.workspace.getConfiguration('astrolabe');
    const missing = vscode.Uri.joinPath(workspaceRoot(), 'no-such-model').fsPath;
    await settings.update('encoder.path', missing, vscode.ConfigurationTarget.Global);
    try {
      const result = await vscode.commands.executeCommand<string | undefined>('astrolabe.checkEncoder');
      assert.strictEqual(result, undefined, 'a missing model must not report success');
      const summary = await astrolabe.rescan();
      assertFixtureCounts(summary, 'rescan without a model');
    } finally {
      await settings.update('encoder.path', undefined, vscode.ConfigurationTarget.Global);
    }
  });

  it('indexes the workspace in the background and finds code by words and by meaning; a hit opens its range', async function () {
    const astrolabe = await api();
    await astrolabe.whenIndexed();
    const query = 'euclidean distance between two points';
    const lexical = await vscode.commands.executeCommand<CodeHit[]>('astrolabe.searchCode', query, 'lexical');
    assert.ok(lexical && lexical.length > 0, 'lexical search found nothing: was the workspace indexed?');
    assert.strictEqual(lexical[0]!.name, 'distance');
    assert.strictEqual(lexical[0]!.file, 'src/geometry.py');
    const hybrid = await vscode.commands.executeCommand<CodeHit[]>('astrolabe.searchCode', query);
    assert.ok(hybrid.slice(0, 5).some((hit) => hit.name === 'distance'), `hybrid top 5: ${hybrid.map((hit) => hit.name).join(', ')}`);
    assert.ok(hybrid.every((hit) => hit.file !== 'build/generated.py'), 'ignored files are not indexed');

    const hit = lexical[0]!;
    await vscode.commands.executeCommand('astrolabe.revealUnit', hit.uri, hit.startLine, hit.endLine);
    const editor = vscode.window.activeTextEditor;
    assert.ok(editor && editor.document.uri.fsPath === hit.uri.fsPath, 'the hit opened its file');
    assert.strictEqual(editor.selection.active.line, hit.startLine - 1);
    await vscode.commands.executeCommand('workbench.action.closeActiveEditor');
  });

  it('astrolabe.indexing.enabled really turns search off, and back on', async function () {
    const astrolabe = await api();
    const settings = vscode.workspace.getConfiguration('astrolabe');
    await settings.update('indexing.enabled', false, vscode.ConfigurationTarget.Global);
    try {
      await poll(async () => (await vscode.commands.executeCommand<CodeHit[]>('astrolabe.searchCode', 'distance', 'lexical')) ?? [], (hits) => hits.length === 0, 'search to stop answering once indexing is off');
    } finally {
      await settings.update('indexing.enabled', undefined, vscode.ConfigurationTarget.Global);
    }
    const hits = await poll(async () => {
      await astrolabe.whenIndexed();
      return (await vscode.commands.executeCommand<CodeHit[]>('astrolabe.searchCode', 'euclidean distance between two points', 'lexical')) ?? [];
    }, (found) => found.length > 0 && found[0]!.name === 'distance', 'search to come back once indexing is on again');
    assert.strictEqual(hits[0]!.file, 'src/geometry.py');
  });
  it('Find Clones lists the planted renamed copy in the Clones view, and nothing from ignored files', async function () {
    const astrolabe = await api();
    await astrolabe.whenIndexed();
    const found = await vscode.commands.executeCommand<{ folder: string; classes: number }[]>('astrolabe.findClones');
    assert.ok(found && found.length === 1 && found[0]!.classes >= 1, `findClones returned ${JSON.stringify(found)}`);
    const tree = astrolabe.clonesTree();
    const planted = tree.find((node) => node.children.some((child) => child.label.startsWith('src/stats.py:')) && node.children.some((child) => child.label.startsWith('src/report.py:')));
    assert.ok(planted, `no class with src/stats.py and src/report.py in ${JSON.stringify(tree)}`);
    assert.match(planted.label, /^Type 2: 2 × renamed copies$/);
    assert.ok(tree.every((node) => node.children.every((child) => !child.label.startsWith('build/'))), 'git-ignored files are not searched for clones');
  });
  it('Probe Syntax recovers the tree of the function under the cursor and shows both trees in a webview', async function () {
    const editor = await vscode.window.showTextDocument(fixtureUri('src/geometry.py'));
    const line = editor.document.getText().split('\n').findIndex((text) => text.startsWith('def distance'));
    editor.selection = new vscode.Selection(line + 2, 4, line + 2, 4);
    const view = await vscode.commands.executeCommand<ProbeViewShape | undefined>('astrolabe.probeSyntax');
    assert.ok(view, 'the probe command returned nothing (see the log)');
    assert.match(view.title, /^distance \(src\/geometry\.py:\d+\)$/);
    assert.strictEqual(view.language, 'python');
    assert.ok(view.layers.includes(view.layer) && view.perLayer.length === view.layers.length, JSON.stringify(view.perLayer));
    assert.ok(view.score.f1 >= 0 && view.score.f1 <= 1);
    assert.ok(view.perLayer.every((point) => point.f1 >= 0 && point.f1 <= 1));
    assert.deepStrictEqual(leafTexts(view.predicted), leafTexts(view.truth), 'both trees have the same leaves');
    assert.ok(leafTexts(view.truth).includes('hypot'));
    const webview = await poll(async () => vscode.window.tabGroups.all.flatMap((group) => group.tabs).find((tab) => tab.input instanceof vscode.TabInputWebview && tab.input.viewType.endsWith('astrolabe.probe')), (tab) => tab !== undefined, 'the probe webview tab');
    assert.strictEqual(webview!.label, 'Astrolabe: Syntax Probe');
  });
  it('an inline completion after `cart.` names a real member of Cart, checked by the language service', async function () {
    this.timeout(150_000); // the first completion loads the model and starts the TypeScript server
    await inlineCompletionAfter('src/cart.ts', 'const total = cart.itemCount;', '  cart.', async (completion) => {
      assert.ok(completion.monitorTriggered, `the monitor did not constrain ${JSON.stringify(completion)}`);
      assert.ok(['addItem', 'removeItem', 'itemCount'].every((member) => completion.legal.includes(member)), `legal members: ${completion.legal.join(', ')}`);
      const identifier = /^[A-Za-z_$][\w$]*/.exec(completion.text)?.[0];
      assert.ok(identifier && completion.legal.includes(identifier), `the completion ${JSON.stringify(completion.text)} starts with a member of Cart`);
    });
  });
  it('completes Python too: an inline completion after `self.` in a Python file', async function () {
    this.timeout(150_000);
    await inlineCompletionAfter('src/geometry.py', 'def area(self):', '        diameter = 2 * self.', async (completion) => {
      // No Python language server in this VS Code: static analysis knows no members, so the model writes freely.
      assert.deepStrictEqual(completion.legal, [], JSON.stringify(completion));
      assert.match(completion.text, /^\w/, `the completion ${JSON.stringify(completion.text)} continues after the dot with a name`);
    });
  });
  it('completes every language the model was trained on: Go, in an unsaved document', async function () {
    this.timeout(150_000);
    const content = 'package shapes\n\ntype Circle struct {\n\tRadius float64\n}\n\nfunc (c Circle) Diameter() float64 {\n}\n';
    await inlineCompletionAfter({ language: 'go', content }, 'func (c Circle) Diameter()', '\treturn 2 * c.', async (completion) => {
      assert.deepStrictEqual(completion.legal, [], 'no Go language server here: the model writes freely');
      assert.match(completion.text, /^\w/, `the completion ${JSON.stringify(completion.text)} continues after the dot with a name`);
    });
  });
});

type ShownCompletion = NonNullable<ReturnType<AstrolabeApi['lastCompletion']>>;

/**
 * Inserts `typed` as a new line below the line holding `anchor` of a fixture file (or of a new untitled
 * document), asks for inline completions at its end until Astrolabe answers there with text, checks
 * that answer, and reverts the document.
 */
async function inlineCompletionAfter(source: string | { language: string; content: string }, anchor: string, typed: string, check: (completion: ShownCompletion) => Promise<void>): Promise<void> {
  const astrolabe = await api();
  const document = await (typeof source === 'string' ? vscode.workspace.openTextDocument(fixtureUri(source)) : vscode.workspace.openTextDocument(source));
  const file = document.uri.path.split('/').pop()!;
  const editor = await vscode.window.showTextDocument(document);
  const line = document.getText().split('\n').findIndex((text) => text.includes(anchor));
  assert.ok(line > 0, `${file} has ${anchor}`);
  const edit = new vscode.WorkspaceEdit();
  edit.insert(document.uri, new vscode.Position(line + 1, 0), `${typed}\n`);
  assert.ok(await vscode.workspace.applyEdit(edit), 'applyEdit failed');
  // The first completion also waits for the model to load and the language server to start: a generous limit.
  const settings = vscode.workspace.getConfiguration('astrolabe');
  await settings.update('completion.maxLatencyMs', 20_000, vscode.ConfigurationTarget.Global);
  try {
    const completion = await poll(async () => {
      // Moving the cursor off and back makes the editor ask again rather than reuse its last answer.
      editor.selection = new vscode.Selection(line, 0, line, 0);
      editor.selection = new vscode.Selection(line + 1, typed.length, line + 1, typed.length);
      await vscode.commands.executeCommand('editor.action.inlineSuggest.trigger');
      await sleep(1000);
      return astrolabe.lastCompletion();
    }, (last) => last !== undefined && last.file.endsWith(file) && last.text.trim().length > 0, `a non-empty inline completion after ${typed.trim()} in ${file}`, 90_000);
    await check(completion!);
  } finally {
    await settings.update('completion.maxLatencyMs', undefined, vscode.ConfigurationTarget.Global);
    await vscode.commands.executeCommand('workbench.action.revertAndCloseActiveEditor');
  }
}
