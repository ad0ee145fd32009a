// `npm start`: builds ThinkLens and opens real VS Code on samples/ with the extension loaded in
// development mode (as F5 would).
//
//   - desktop VS Code when `code` is on PATH: code --extensionDevelopmentPath=<this checkout> samples
//   - otherwise code-server on 127.0.0.1 (installed once per machine into the test cache of
//     scripts/testCache.mjs, about two minutes), with the URL to open printed; settings and
//     secrets persist in .vscode-test/start/.
//
// Options: --code-server (even when `code` is there), --no-watch (build once; by default the
// extension and webview rebuild on change: run "Developer: Reload Window" to load them),
// --check (code-server only: open the URL in headless Chromium, verify the ThinkLens view
// appears, then stop), [folder] (instead of samples/). Ctrl+C stops everything.
import { spawn, spawnSync } from 'node:child_process';
import { existsSync, mkdirSync } from 'node:fs';
import { delimiter, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { installSignalHandlers, killProcessGroup, onCleanup } from './vscode/cleanup.mjs';
import { startCodeServer } from './vscode/codeServer.mjs';
import { ensureCodeServer } from './vscode/installCodeServer.mjs';

const root = resolve(fileURLToPath(new URL('..', import.meta.url)));
const args = process.argv.slice(2);
const flags = new Set(args.filter((a) => a.startsWith('--')));
const known = new Set(['--code-server', '--no-watch', '--check']);
for (const flag of flags) {
  if (!known.has(flag)) {
    console.error(`unknown option ${flag}; known: ${[...known].join(', ')} [folder]`);
    process.exit(2);
  }
}
const folder = resolve(args.find((a) => !a.startsWith('--')) ?? join(root, 'samples'));
const watch = !flags.has('--no-watch') && !flags.has('--check');
const say = (line) => process.stdout.write(`${line}\n`);

installSignalHandlers({ onSignal: () => say('\nStopping ThinkLens dev session ...') });

if (!existsSync(folder)) {
  console.error(`${folder} does not exist; pass a folder to open, e.g. npm start -- ./my-project`);
  process.exit(2);
}

const build = spawnSync(process.execPath, ['esbuild.mjs', 'extension', 'webview'], { cwd: root, stdio: 'inherit' });
if (build.status !== 0) {
  console.error('The build failed (node esbuild.mjs extension webview); fix the errors above and run npm start again.');
  process.exit(1);
}

function onPath(command) {
  const names = process.platform === 'win32' ? [`${command}.cmd`, `${command}.exe`] : [command];
  for (const dir of (process.env.PATH ?? '').split(delimiter)) {
    for (const name of names) if (dir && existsSync(join(dir, name))) return join(dir, name);
  }
  return undefined;
}

/** esbuild in watch mode; ended with this process. */
function startWatcher() {
  if (!watch) return;
  const child = spawn(process.execPath, ['esbuild.mjs', 'extension', 'webview', '--watch'], {
    cwd: root,
    stdio: ['ignore', 'inherit', 'inherit'],
    detached: process.platform !== 'win32',
  });
  onCleanup(() => killProcessGroup(child.pid));
  say('Rebuilding the extension and webview on change; run "Developer: Reload Window" to load a rebuild.');
}

const desktop = flags.has('--code-server') || flags.has('--check') ? undefined : onPath('code');
if (desktop) {
  say(`Opening ${folder} in VS Code with ThinkLens in development mode ...`);
  const result = spawnSync(desktop, [`--extensionDevelopmentPath=${root}`, folder], {
    stdio: 'inherit',
    shell: process.platform === 'win32',
  });
  if (result.status !== 0) {
    console.error(`\`code\` exited with ${result.status ?? result.signal}; try npm start -- --code-server`);
    process.exit(1);
  }
  if (!watch) process.exit(0);
  startWatcher();
  say('Press Ctrl+C to stop watching.');
} else {
  let install;
  try {
    install = await ensureCodeServer({ log: say });
  } catch (error) {
    console.error(error instanceof Error ? error.message : String(error));
    process.exit(1);
  }
  const home = join(root, '.vscode-test', 'start');
  mkdirSync(home, { recursive: true });
  const server = await startCodeServer({
    install,
    // Persistent, so settings, API keys (secret storage) and the window layout survive restarts.
    userDataDir: flags.has('--check') ? undefined : join(home, 'user-data'),
    extensionsDir: flags.has('--check') ? undefined : join(home, 'extensions'),
    // code-server honours the extensionDevelopmentPath payload only with the smoke-test driver on.
    smokeTestDriver: true,
    settings: { 'workbench.startupEditor': 'none' },
  });
  const url = server.workbenchUrl({
    folder,
    payload: [['extensionDevelopmentPath', server.remoteUri(root)]],
  });

  if (flags.has('--check')) {
    const ok = await checkInBrowser(url);
    await server.stop();
    process.exit(ok ? 0 : 1);
  }

  startWatcher();
  say('');
  say('VS Code (code-server) is running with ThinkLens in development mode. Open:');
  say(`  ${url}`);
  say('');
  say('Press Ctrl+C to stop.');
  openInBrowser(url);
  // Stay up until Ctrl+C; signal handlers stop code-server's whole process group.
  setInterval(() => undefined, 1 << 30);
}

/** Best effort: a desktop session gets the URL opened for it. */
function openInBrowser(url) {
  if (!process.stdout.isTTY) return;
  const opener =
    process.platform === 'darwin'
      ? 'open'
      : process.platform === 'win32'
        ? undefined
        : (process.env.DISPLAY || process.env.WAYLAND_DISPLAY) && onPath('xdg-open')
          ? 'xdg-open'
          : undefined;
  if (!opener) return;
  const child = spawn(opener, [url], { stdio: 'ignore', detached: true });
  child.on('error', () => undefined);
  child.unref();
}

/** --check: what a person would see, in headless Chromium. */
async function checkInBrowser(url) {
  const { launchChromium } = await import('./vscode/browser.mjs');
  const browser = await launchChromium();
  try {
    const page = await browser.newPage({ viewport: { width: 1400, height: 900 } });
    await page.goto(url, { waitUntil: 'domcontentloaded', timeout: 60_000 });
    await page.locator('.monaco-workbench').waitFor({ timeout: 60_000 });
    const item = page.locator('.part.activitybar .action-item a[aria-label^="ThinkLens"]').first();
    await item.waitFor({ timeout: 60_000 });
    await item.click();
    await page
      .frameLocator('iframe.webview.ready[src*="extensionId=thinklens.thinklens"]')
      .frameLocator('#active-frame')
      .locator('body > *')
      .first()
      .waitFor({ state: 'attached', timeout: 60_000 });
    const title = await page.title();
    say(`check: the ThinkLens view opened (${title})`);
    return true;
  } catch (error) {
    console.error(`check failed: ${error instanceof Error ? error.message.split('\n')[0] : String(error)}`);
    return false;
  } finally {
    await browser.close().catch(() => undefined);
  }
}
