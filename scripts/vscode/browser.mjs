// Debian's Chromium driven by playwright-core. playwright-core never downloads a browser; we
// always pass the executable so no tool is tempted to fetch one.
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { delimiter, join } from 'node:path';
import { onCleanup } from './cleanup.mjs';

/** Flags that keep headless Chromium quiet on a machine with a closed network (ENVIRONMENT.md). */
export const chromiumArgs = [
  '--no-sandbox',
  '--disable-gpu',
  '--disable-quic',
  '--no-first-run',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
];

/**
 * The Chromium executable: $CHROMIUM_PATH, else the first of chromium / chromium-browser /
 * google-chrome on PATH. Throws with the install command when there is none.
 * @returns {string}
 */
export function findChromium() {
  const fromEnv = process.env.CHROMIUM_PATH;
  if (fromEnv) {
    if (existsSync(fromEnv)) return fromEnv;
    throw new Error(`CHROMIUM_PATH is set to ${fromEnv}, which does not exist`);
  }
  const names = ['chromium', 'chromium-browser', 'google-chrome', 'google-chrome-stable'];
  for (const dir of (process.env.PATH ?? '').split(delimiter)) {
    for (const name of names) if (dir && existsSync(join(dir, name))) return join(dir, name);
  }
  if (existsSync('/usr/bin/chromium')) return '/usr/bin/chromium';
  throw new Error(
    'Chromium is needed to drive VS Code in a browser but was not found.\nrun: apt-get install -y chromium\n(or set CHROMIUM_PATH to a Chromium or Chrome executable)',
  );
}

/**
 * Launches Chromium with a fresh temporary profile (playwright creates and deletes it).
 * Playwright kills the browser when this process exits or gets SIGINT/SIGTERM/SIGHUP.
 * @param {{ headless?: boolean, args?: string[] }} [options]
 * @returns {Promise<import('playwright-core').Browser>}
 */
export async function launchChromium(options = {}) {
  process.env.PLAYWRIGHT_SKIP_BROWSER_DOWNLOAD = '1';
  const { chromium } = await import('playwright-core');
  // Chromium's own scratch files (org.chromium.Chromium.*) go into a folder removed on close.
  const scratch = mkdtempSync(join(tmpdir(), 'thinklens-chromium-'));
  const removeScratch = onCleanup(() => rmSync(scratch, { recursive: true, force: true }));
  try {
    const browser = await chromium.launch({
      executablePath: findChromium(),
      headless: options.headless ?? true,
      args: [...chromiumArgs, ...(options.args ?? [])],
      env: { ...process.env, TMPDIR: scratch },
      timeout: 60_000,
    });
    browser.on('disconnected', () => {
      rmSync(scratch, { recursive: true, force: true });
      removeScratch();
    });
    return browser;
  } catch (error) {
    rmSync(scratch, { recursive: true, force: true });
    removeScratch();
    throw error;
  }
}
