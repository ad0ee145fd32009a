// Runs a VS Code extension test suite (an `extensionTestsPath` module exporting `run()`) inside
// real VS Code, either desktop VS Code via @vscode/test-electron where it can be downloaded, or
// code-server where it cannot. Both stream the extension host's console to `log` and resolve with
// the run's exit code; both end every process they started, also on timeout.
import { spawn } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { delimiter, join } from 'node:path';
import { format } from 'node:util';
import { launchChromium } from './browser.mjs';
import { killProcessGroup, onCleanup, processGroupAlive } from './cleanup.mjs';
import { noGalleryEnv, startCodeServer } from './codeServer.mjs';
import { defaultCacheDir } from './installCodeServer.mjs';

/**
 * @typedef {object} ExtensionTestOptions
 * @property {string} extensionDevelopmentPath   folder with the extension's package.json
 * @property {string} extensionTestsPath         the built suite entry (…/suite/index.js)
 * @property {string} [folder]                   workspace folder to open
 * @property {number} [timeoutMs]                whole run, default 5 minutes
 * @property {Record<string, unknown>} [settings]  user settings for the run
 * @property {Record<string, string>} [env]      extra environment for the extension host
 * @property {(line: string) => void} [log]      the extension host's console, line by line
 */

/** @typedef {{ exitCode: number, timedOut: boolean, durationMs: number, host: string }} ExtensionTestResult */

function timeoutError(ms, what) {
  return new Error(`${what} did not finish within ${(ms / 1000).toFixed(0)} s`);
}

/**
 * code-server route: starts a server with the smoke-test driver, opens the workbench in headless
 * Chromium with the test payload, and waits for the workbench to call codeAutomationExit.
 * @param {ExtensionTestOptions & { install: import('./installCodeServer.mjs').CodeServerInstall }} options
 * @returns {Promise<ExtensionTestResult>}
 */
export async function runTestsInCodeServer(options) {
  const log = options.log ?? ((line) => process.stdout.write(`${line}\n`));
  const timeoutMs = options.timeoutMs ?? 300_000;
  const started = Date.now();
  let server;
  let browser;
  let timer;
  try {
    server = await startCodeServer({
      install: options.install,
      smokeTestDriver: true,
      settings: options.settings,
      env: { ...noGalleryEnv, ...(options.env ?? {}) },
      log: (line) => log(`[code-server] ${line}`),
    });
    browser = await launchChromium();
    const page = await browser.newPage();
    /** @type {(code: number) => void} */
    let settle = () => undefined;
    /** @type {Promise<number>} */
    const exited = new Promise((resolve) => {
      settle = resolve;
    });
    // The workbench calls these two when started with the smoke-test driver and a test payload.
    await page.exposeFunction('codeAutomationExit', (code) => settle(Number(code) || 0));
    await page.exposeFunction('codeAutomationLog', (_level, args) => {
      const text = Array.isArray(args) ? format(...args) : format(args);
      for (const line of text.split('\n')) log(line);
    });
    page.on('pageerror', (error) => log(`[workbench] page error: ${error.message}`));
    page.on('crash', () => {
      log('[runner] the workbench page crashed');
      settle(1);
    });
    const folder = options.folder ?? mkdtempSync(join(tmpdir(), 'thinklens-workspace-'));
    const url = server.workbenchUrl({
      folder,
      payload: [
        ['extensionDevelopmentPath', server.remoteUri(options.extensionDevelopmentPath)],
        ['extensionTestsPath', server.remoteUri(options.extensionTestsPath)],
      ],
    });
    await page.goto(url, { waitUntil: 'domcontentloaded', timeout: 60_000 });
    const timedOut = new Promise((resolve) => {
      timer = setTimeout(() => resolve('timeout'), Math.max(1, timeoutMs - (Date.now() - started)));
    });
    const outcome = await Promise.race([exited, timedOut]);
    if (outcome === 'timeout') {
      log(`[runner] ${timeoutError(timeoutMs, 'the extension test run in code-server').message}; stopping code-server and Chromium`);
      return { exitCode: 1, timedOut: true, durationMs: Date.now() - started, host: 'code-server' };
    }
    return { exitCode: outcome, timedOut: false, durationMs: Date.now() - started, host: 'code-server' };
  } finally {
    clearTimeout(timer);
    await browser?.close().catch(() => undefined);
    await server?.stop();
  }
}

/**
 * Tries to get desktop VS Code with @vscode/test-electron. Offline this fails at once (the
 * version lookup cannot resolve its host); a copy in the per-user test cache is used when present.
 * @param {{ cacheDir?: string, timeoutMs?: number, log?: (line: string) => void }} [options]
 * @returns {Promise<{ executable?: string, reason?: string }>}
 */
export async function downloadDesktopVSCode(options = {}) {
  const { downloadAndUnzipVSCode } = await import('@vscode/test-electron');
  const timeoutMs = options.timeoutMs ?? 15_000;
  const quiet = { report() {}, error() {} };
  const originalWarn = console.warn;
  try {
    // test-electron warns with a full error when it falls back to a cached copy; one line is enough.
    console.warn = (message) => options.log?.(`[test-electron] ${String(message)}`);
    const executable = await downloadAndUnzipVSCode({
      version: 'stable',
      cachePath: options.cacheDir ?? defaultCacheDir,
      timeout: timeoutMs,
      reporter: quiet,
    });
    return { executable };
  } catch (error) {
    return { reason: error instanceof Error ? error.message : String(error) };
  } finally {
    console.warn = originalWarn;
  }
}

function onPath(command) {
  return (process.env.PATH ?? '').split(delimiter).find((dir) => dir && existsSync(join(dir, command)));
}

/** Whether desktop VS Code can show a window here: a display, or xvfb-run to make one. */
export function desktopDisplay() {
  if (process.platform !== 'linux' || process.env.DISPLAY || process.env.WAYLAND_DISPLAY) return { wrap: [] };
  const xvfb = onPath('xvfb-run');
  if (xvfb) return { wrap: [join(xvfb, 'xvfb-run'), '-a'] };
  return { reason: 'no DISPLAY and no xvfb-run (apt-get install -y xvfb)' };
}

/**
 * test-electron route: desktop VS Code with the same arguments @vscode/test-electron's runTests
 * passes, spawned in its own process group so a timeout can end it (and xvfb-run) entirely.
 * @param {ExtensionTestOptions & { executable: string, wrap?: string[] }} options
 * @returns {Promise<ExtensionTestResult>}
 */
export async function runTestsInDesktopVSCode(options) {
  const log = options.log ?? ((line) => process.stdout.write(`${line}\n`));
  const timeoutMs = options.timeoutMs ?? 300_000;
  const started = Date.now();
  const profile = mkdtempSync(join(tmpdir(), 'thinklens-vscode-'));
  const removeProfile = onCleanup(() => rmSync(profile, { recursive: true, force: true }));
  const { seedUserSettings, quietSettings } = await import('./codeServer.mjs');
  seedUserSettings(join(profile, 'user-data'), { ...quietSettings, ...(options.settings ?? {}) });
  const folder = options.folder ?? mkdtempSync(join(profile, 'workspace-'));
  const args = [
    folder,
    '--no-sandbox',
    '--disable-gpu-sandbox',
    '--disable-updates',
    '--skip-welcome',
    '--skip-release-notes',
    '--disable-workspace-trust',
    `--extensionTestsPath=${options.extensionTestsPath}`,
    `--extensionDevelopmentPath=${options.extensionDevelopmentPath}`,
    `--user-data-dir=${join(profile, 'user-data')}`,
    `--extensions-dir=${join(profile, 'extensions')}`,
  ];
  const [command, ...prefix] = [...(options.wrap ?? []), options.executable];
  const child = spawn(command, [...prefix, ...args], {
    env: { ...process.env, ...(options.env ?? {}) },
    stdio: ['ignore', 'pipe', 'pipe'],
    detached: process.platform !== 'win32',
  });
  const unregister = onCleanup(() => killProcessGroup(child.pid));
  let partial = '';
  const onData = (chunk) => {
    partial += chunk.toString();
    const lines = partial.split('\n');
    partial = lines.pop() ?? '';
    for (const line of lines) log(line);
  };
  child.stdout.on('data', onData);
  child.stderr.on('data', onData);
  let timer;
  const result = await new Promise((resolve) => {
    timer = setTimeout(() => resolve({ code: 1, timedOut: true }), timeoutMs);
    child.on('error', (error) => {
      log(`[runner] could not start VS Code: ${error.message}`);
      resolve({ code: 1, timedOut: false });
    });
    child.on('close', (code, signal) => resolve({ code: code ?? (signal ? 1 : 0), timedOut: false }));
  });
  clearTimeout(timer);
  if (partial) log(partial);
  if (result.timedOut) log(`[runner] ${timeoutError(timeoutMs, 'the extension test run in VS Code').message}; stopping VS Code`);
  killProcessGroup(child.pid, 'SIGTERM');
  const until = Date.now() + 3000;
  while (processGroupAlive(child.pid) && Date.now() < until) await new Promise((resolve) => setTimeout(resolve, 100));
  killProcessGroup(child.pid);
  unregister();
  rmSync(profile, { recursive: true, force: true });
  removeProfile();
  return { exitCode: result.code, timedOut: result.timedOut, durationMs: Date.now() - started, host: 'vscode-desktop' };
}
