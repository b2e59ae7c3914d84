/**
 * Runs the same extension test suite (suite/index.js) in desktop VS Code via
 * @vscode/test-electron, on the same temporary fixture workspace as
 * runCodeServer.ts. Needs a network: test-electron downloads VS Code (cached
 * under $ASTROLABE_E2E_CACHE/vscode-test, default ~/.cache/astrolabe-e2e/vscode-test,
 * outside the repository). On machines without one, use runCodeServer.ts.
 *
 * Environment:
 *   ASTROLABE_E2E_VSCODE_VERSION  VS Code version to download (default: stable)
 *   ASTROLABE_E2E_VSCODE          an installed VS Code executable (skips the download)
 *   ASTROLABE_E2E_GREP / ASTROLABE_E2E_KEEP / ASTROLABE_E2E_EXTENSION as for runCodeServer.ts
 */
import * as fs from 'fs';
import * as path from 'path';
import { Writable } from 'stream';
import { runTests } from '@vscode/test-electron';
import { cacheRoot } from './codeServer';
import { assertExtensionBuilt, extensionDevelopmentPath, prepareWorkspace, suiteEntry } from './fixture';
import { RESULT_PREFIX } from './suite/index';

/** Forwards VS Code's output and picks out the suite's result line. */
class ResultSniffer extends Writable {
  result: { passes: number; failures: number } | undefined;
  private pending = '';

  constructor(private readonly target: NodeJS.WriteStream) {
    super();
  }

  override _write(chunk: Buffer | string, _encoding: BufferEncoding, callback: (error?: Error | null) => void): void {
    const text = chunk.toString();
    this.pending += text;
    const lines = this.pending.split('\n');
    this.pending = lines.pop() ?? '';
    for (const line of lines) {
      const at = line.indexOf(RESULT_PREFIX);
      if (at >= 0) {
        try {
          this.result = JSON.parse(line.slice(at + RESULT_PREFIX.length)) as { passes: number; failures: number };
        } catch {
          // not ours
        }
        continue;
      }
      this.target.write(`${line}\n`);
    }
    callback();
  }
}

async function main(): Promise<number> {
  const extPath = extensionDevelopmentPath();
  assertExtensionBuilt(extPath);
  const workspace = prepareWorkspace('astrolabe-e2e-electron-');
  const userDataDir = path.join(workspace.runDir, 'user-data');
  fs.mkdirSync(path.join(userDataDir, 'User'), { recursive: true });
  fs.writeFileSync(
    path.join(userDataDir, 'User', 'settings.json'),
    JSON.stringify(
      {
        'workbench.startupEditor': 'none',
        'security.workspace.trust.enabled': false,
        'extensions.autoUpdate': false,
        'telemetry.telemetryLevel': 'off',
        'update.mode': 'none',
      },
      null,
      2,
    ),
  );
  const stdout = new ResultSniffer(process.stdout);
  let failed = false;
  try {
    await runTests({
      version: process.env.ASTROLABE_E2E_VSCODE_VERSION || 'stable',
      vscodeExecutablePath: process.env.ASTROLABE_E2E_VSCODE || undefined,
      cachePath: path.join(cacheRoot(), 'vscode-test'),
      extensionDevelopmentPath: extPath,
      extensionTestsPath: suiteEntry(),
      launchArgs: [
        workspace.dir,
        '--disable-extensions',
        `--user-data-dir=${userDataDir}`,
        `--extensions-dir=${path.join(workspace.runDir, 'extensions')}`,
      ],
      stdout,
    });
  } catch (err) {
    failed = true;
    console.error(`e2e (electron): ${err instanceof Error ? err.message : String(err)}`);
  } finally {
    workspace.cleanup();
  }
  const result = stdout.result;
  const passed = result?.passes ?? 0;
  const failures = result ? result.failures : failed ? 1 : 0;
  console.log(`e2e: ${passed} passed, ${failed && failures === 0 ? 1 : failures} failed`);
  if (!result && !failed) {
    console.log('e2e (electron): VS Code exited 0 but the suite printed no result line');
  }
  return failed || failures > 0 ? 1 : 0;
}

main().then(
  (code) => process.exit(code),
  (err: unknown) => {
    console.error(`e2e (electron): ${err instanceof Error ? err.message : String(err)}`);
    console.log('e2e: 0 passed, 1 failed');
    process.exit(1);
  },
);
