/**
 * Entry point loaded by VS Code's extension host as `extensionTestsPath`
 * (both under code-server and under @vscode/test-electron). Runs every
 * compiled `*.test.js` file in this folder with mocha and rejects when a test
 * fails, which makes VS Code report a non-zero exit code.
 */
import * as fs from 'fs';
import * as path from 'path';

/** Printed (via console.log) once the suite ends; runCodeServer.ts parses it to count tests. */
export const RESULT_PREFIX = 'ASTROLABE_E2E_RESULT ';

export function run(): Promise<void> {
  // mocha 12 is ESM-only; Node's require(esm) exposes its exports as a namespace object.
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  const mochaModule = require('mocha') as { Mocha?: typeof Mocha; default?: typeof Mocha };
  const MochaClass = mochaModule.Mocha ?? mochaModule.default;
  if (!MochaClass) {
    return Promise.reject(new Error('could not load the Mocha class from the mocha package'));
  }
  const mocha = new MochaClass({ ui: 'bdd', timeout: 60_000, color: false, reporter: 'spec' });
  const grep = process.env.ASTROLABE_E2E_GREP;
  if (grep) {
    mocha.grep(grep);
  }
  const files = fs
    .readdirSync(__dirname)
    .filter((name) => name.endsWith('.test.js'))
    .sort();
  if (files.length === 0) {
    return Promise.reject(new Error(`no *.test.js files in ${__dirname}`));
  }
  for (const name of files) {
    mocha.addFile(path.join(__dirname, name));
  }
  return new Promise<void>((resolve, reject) => {
    try {
      const runner = mocha.run((failures) => {
        const stats = runner.stats;
        console.log(
          RESULT_PREFIX +
            JSON.stringify({ passes: stats?.passes ?? 0, failures, pending: stats?.pending ?? 0, tests: stats?.tests ?? 0 }),
        );
        if (failures > 0) {
          reject(new Error(`${failures} end-to-end test(s) failed`));
        } else {
          resolve();
        }
      });
    } catch (err) {
      console.error(err);
      reject(err instanceof Error ? err : new Error(String(err)));
    }
  });
}
