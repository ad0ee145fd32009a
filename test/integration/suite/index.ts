// The mocha entry VS Code's extension-test mechanism loads (`extensionTestsPath`): it runs inside
// the extension host, under @vscode/test-electron (desktop VS Code) or code-server with the test
// payload. Loads every `*.test.js` bundled beside it; `activation.test.js` always runs first
// because it checks that nothing activated the extension before a command did.
import { readdirSync } from 'node:fs';
import { join } from 'node:path';
import Mocha from 'mocha';

/** The line test/integration/runTests.mjs parses from the extension host's output. */
export const countsMarker = 'mocha-counts:';

export function run(): Promise<void> {
  const mocha = new Mocha({
    ui: 'bdd',
    reporter: 'spec',
    color: false,
    timeout: Number(process.env.THINKLENS_TEST_TIMEOUT_MS ?? 30_000),
    ...(process.env.THINKLENS_TEST_GREP ? { grep: process.env.THINKLENS_TEST_GREP } : {}),
  });
  const files = readdirSync(__dirname)
    .filter((name) => name.endsWith('.test.js'))
    .sort((a, b) => Number(b === 'activation.test.js') - Number(a === 'activation.test.js') || a.localeCompare(b));
  for (const name of files) mocha.addFile(join(__dirname, name));

  return new Promise((resolve, reject) => {
    try {
      const runner = mocha.run((failures) => {
        const { passes = 0, failures: failed = 0, pending = 0 } = runner.stats ?? {};
        // console.log reaches the runner on both hosts (code-server forwards console, not stdout).
        console.log(`${countsMarker} ${passes} passed, ${failed} failed, ${pending} pending`);
        if (failures > 0) reject(new Error(`${failures} integration test${failures === 1 ? '' : 's'} failed`));
        else resolve();
      });
    } catch (error) {
      console.log(`${countsMarker} 0 passed, 1 failed, 0 pending`);
      reject(error instanceof Error ? error : new Error(String(error)));
    }
  });
}
