// `npm test`'s integration layer: ThinkLens inside real VS Code.
//
//  1. builds the extension, the webview and the integration suite (esbuild);
//  2. runs the mocha suite (test/integration/suite) in the extension host: desktop VS Code through
//     @vscode/test-electron where it can be downloaded (under xvfb-run without a display), else
//     code-server from the npm registry with VS Code's own test payload (ENVIRONMENT.md);
//  3. runs the Playwright checks of the workbench (test/integration/workbench.test.mjs and
//     person.test.mjs) against code-server, the way a person uses it, then vsix.test.mjs: the
//     packaged VSIX installed into code-server, with no development path;
//  4. prints `integration: N passed, N failed` last and exits non-zero on any failure.
//
// Environment: THINKLENS_VSCODE=auto|desktop|code-server chooses the host of step 2 (default
// auto); THINKLENS_INTEGRATION_TIMEOUT_S bounds the whole run (default 1800 s, including a first
// install of code-server); THINKLENS_TEST_GREP filters mocha tests; THINKLENS_SKIP_WORKBENCH=1
// skips step 3. Every process started here is ended on exit, failure, timeout and Ctrl+C.
import { spawn, spawnSync } from 'node:child_process';
import { cpSync, existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { findChromium } from '../../scripts/vscode/browser.mjs';
import { installSignalHandlers, killProcessGroup, onCleanup, processGroupAlive, runCleanup } from '../../scripts/vscode/cleanup.mjs';
import {
  desktopDisplay,
  downloadDesktopVSCode,
  runTestsInCodeServer,
  runTestsInDesktopVSCode,
} from '../../scripts/vscode/extensionTests.mjs';
import { ensureCodeServer } from '../../scripts/vscode/installCodeServer.mjs';

const root = resolve(dirname(fileURLToPath(import.meta.url)), '..', '..');
const suiteEntry = join(root, 'dist', 'test', 'integration', 'suite', 'index.js');
const samples = join(root, 'samples');
const runStarted = Date.now();
const seconds = (ms) => `${(ms / 1000).toFixed(1)} s`;
const say = (line) => process.stdout.write(`[integration] ${line}\n`);

const counts = { passed: 0, failed: 0 };
let finished = false;

/** The line scripts/test.mjs parses; printed exactly once, last. */
function finish(exitCode) {
  if (finished) return;
  finished = true;
  say(`total ${seconds(Date.now() - runStarted)}`);
  process.stdout.write(`integration: ${counts.passed} passed, ${counts.failed} failed\n`);
  process.exitCode = exitCode;
}

installSignalHandlers({
  onSignal(signal) {
    say(`interrupted by ${signal}; stopping VS Code, code-server and Chromium`);
    counts.failed += 1;
    finish(1);
  },
});

const overallMs = Number(process.env.THINKLENS_INTEGRATION_TIMEOUT_S ?? 1800) * 1000;
const overallTimer = setTimeout(() => {
  say(
    `the integration run did not finish within ${seconds(overallMs)} (THINKLENS_INTEGRATION_TIMEOUT_S); stopping every process it started`,
  );
  counts.failed += 1;
  finish(1);
  runCleanup();
  process.exit(1);
}, overallMs);

function build() {
  const started = Date.now();
  const result = spawnSync(process.execPath, ['esbuild.mjs', 'extension', 'webview', 'tests'], { cwd: root, stdio: 'inherit' });
  if (result.status !== 0) throw new Error('the build failed (node esbuild.mjs extension webview tests); see the errors above');
  if (!existsSync(suiteEntry)) throw new Error(`the build did not produce ${suiteEntry}; is test/integration/suite/index.ts there?`);
  say(`built extension, webview and suite in ${seconds(Date.now() - started)}`);
}

/** Parses the suite's own count line (see suite/index.ts) out of the extension host's output. */
function mochaCounts(lines, exitCode) {
  const line = [...lines]
    .reverse()
    .map((l) => /mocha-counts: (\d+) passed, (\d+) failed/.exec(l))
    .find(Boolean);
  const passed = line ? Number(line[1]) : 0;
  let failed = line ? Number(line[2]) : 0;
  // A crash, a timeout or a failing run() without a count still has to count as a failure.
  if (exitCode !== 0 && failed === 0) failed = 1;
  return { passed, failed };
}

async function chooseHost() {
  const wanted = process.env.THINKLENS_VSCODE ?? 'auto';
  if (!['auto', 'desktop', 'code-server'].includes(wanted))
    throw new Error(`THINKLENS_VSCODE must be auto, desktop or code-server, not "${wanted}"`);
  if (wanted !== 'code-server') {
    const display = desktopDisplay();
    if (display.reason) {
      if (wanted === 'desktop') throw new Error(`desktop VS Code cannot run: ${display.reason}`);
      say(`desktop VS Code skipped: ${display.reason}`);
    } else {
      const started = Date.now();
      const download = await downloadDesktopVSCode({ timeoutMs: 15_000, log: say });
      if (download.executable) {
        say(`desktop VS Code ready in ${seconds(Date.now() - started)}: ${download.executable}`);
        return { kind: 'desktop', executable: download.executable, wrap: display.wrap };
      }
      if (wanted === 'desktop') throw new Error(`desktop VS Code could not be downloaded: ${download.reason}`);
      say(`desktop VS Code cannot be downloaded (${download.reason.split('\n')[0]}); using code-server`);
    }
  }
  findChromium();
  const started = Date.now();
  const install = await ensureCodeServer({ log: say });
  say(`code-server ready in ${seconds(Date.now() - started)}`);
  return { kind: 'code-server', install };
}

/**
 * A copy of the samples as the suite's workspace: tests write into the workspace (a repository's
 * .vscode/settings.json), never into this checkout. Removed when the run ends.
 */
function scratchWorkspace() {
  if (!existsSync(samples)) return undefined;
  const dir = mkdtempSync(join(tmpdir(), 'thinklens-suite-workspace-'));
  onCleanup(() => rmSync(dir, { recursive: true, force: true }));
  cpSync(samples, join(dir, 'samples'), { recursive: true });
  return join(dir, 'samples');
}

async function runMochaSuite(host) {
  const lines = [];
  const log = (line) => {
    lines.push(line);
    process.stdout.write(`${line}\n`);
  };
  const common = {
    extensionDevelopmentPath: root,
    extensionTestsPath: suiteEntry,
    folder: scratchWorkspace(),
    // A guard against a hung host, not a speed limit: the suite has grown to about 40 tests, and
    // each test keeps its own mocha timeout.
    timeoutMs: 1_200_000,
    log,
  };
  say(`running the mocha suite in ${host.kind === 'desktop' ? 'desktop VS Code' : 'code-server'}`);
  const result =
    host.kind === 'desktop'
      ? await runTestsInDesktopVSCode({ ...common, executable: host.executable, wrap: host.wrap })
      : await runTestsInCodeServer({ ...common, install: host.install });
  const { passed, failed } = mochaCounts(lines, result.exitCode);
  say(
    `mocha suite in ${result.host}: exit ${result.exitCode}, ${passed} passed, ${failed} failed, ${seconds(result.durationMs)}${result.timedOut ? ' (timed out)' : ''}`,
  );
  return { passed, failed };
}

/** Runs the Playwright workbench checks in a child node:test process and reads TAP counts. */
async function runWorkbenchChecks() {
  const dir = mkdtempSync(join(tmpdir(), 'thinklens-workbench-tap-'));
  const removeDir = onCleanup(() => rmSync(dir, { recursive: true, force: true }));
  const tap = join(dir, 'report.tap');
  const started = Date.now();
  say('running the workbench checks (Playwright in code-server)');
  const child = spawn(
    process.execPath,
    [
      '--test',
      '--test-concurrency=1',
      '--test-reporter=spec',
      '--test-reporter-destination=stdout',
      '--test-reporter=tap',
      `--test-reporter-destination=${tap}`,
      join(root, 'test', 'integration', 'workbench.test.mjs'),
      join(root, 'test', 'integration', 'person.test.mjs'),
      join(root, 'test', 'integration', 'vsix.test.mjs'),
    ],
    {
      cwd: root,
      stdio: ['ignore', 'inherit', 'inherit'],
      detached: process.platform !== 'win32',
      env: { ...process.env, THINKLENS_WORKBENCH_BUILT: '1' },
    },
  );
  // SIGTERM first: the child's own handlers stop its code-server group and Chromium.
  const stopChild = () => {
    killProcessGroup(child.pid, 'SIGTERM');
    const until = Date.now() + 3000;
    const nap = new Int32Array(new SharedArrayBuffer(4));
    while (processGroupAlive(child.pid) && Date.now() < until) Atomics.wait(nap, 0, 0, 100);
    killProcessGroup(child.pid);
  };
  const unregister = onCleanup(stopChild);
  // A guard against a hung check, not a speed limit: vsix.test.mjs packages and installs a VSIX first.
  const timeoutMs = 600_000;
  let timer;
  const status = await new Promise((resolvePromise) => {
    timer = setTimeout(() => {
      say(`the workbench checks did not finish within ${seconds(timeoutMs)}; stopping them`);
      stopChild();
      resolvePromise(1);
    }, timeoutMs);
    child.on('close', (code, signal) => resolvePromise(code ?? (signal ? 1 : 0)));
  });
  clearTimeout(timer);
  unregister();
  const text = existsSync(tap) ? readFileSync(tap, 'utf8') : '';
  rmSync(dir, { recursive: true, force: true });
  removeDir();
  const count = (name) => Number(new RegExp(`^# ${name} (\\d+)$`, 'm').exec(text)?.[1] ?? 0);
  const passed = count('pass');
  let failed = count('fail') + count('cancelled');
  if (status !== 0 && failed === 0) failed = 1;
  say(`workbench checks: exit ${status}, ${passed} passed, ${failed} failed, ${seconds(Date.now() - started)}`);
  return { passed, failed };
}

try {
  build();
  const host = await chooseHost();
  const suite = await runMochaSuite(host);
  counts.passed += suite.passed;
  counts.failed += suite.failed;
  if (process.env.THINKLENS_SKIP_WORKBENCH === '1') {
    say('workbench checks skipped (THINKLENS_SKIP_WORKBENCH=1)');
  } else {
    if (host.kind !== 'code-server') {
      findChromium();
      await ensureCodeServer({ log: say });
    }
    const workbench = await runWorkbenchChecks();
    counts.passed += workbench.passed;
    counts.failed += workbench.failed;
  }
  finish(counts.failed === 0 ? 0 : 1);
} catch (error) {
  process.stdout.write(`[integration] ${error instanceof Error ? error.message : String(error)}\n`);
  counts.failed += 1;
  finish(1);
} finally {
  clearTimeout(overallTimer);
  runCleanup();
}
