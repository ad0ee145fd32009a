// Drives real VS Code (code-server) in headless Chromium the way a person does: command palette,
// activity bar, Problems and Output panels, the ThinkLens webview. The extension is loaded in
// development mode from this checkout (the smoke-test-driver flag makes code-server honour the
// `extensionDevelopmentPath` payload). Selectors were checked against VS Code 1.139.
//
//   const wb = await openWorkbench({ folder });
//   await runCommandFromPalette(wb.page, 'ThinkLens: Show Log');
//   await wb.close();
import { mkdirSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { format } from 'node:util';
import { launchChromium } from '../../scripts/vscode/browser.mjs';
import { installSignalHandlers } from '../../scripts/vscode/cleanup.mjs';
import { noGalleryEnv, startCodeServer } from '../../scripts/vscode/codeServer.mjs';
import { ensureCodeServer } from '../../scripts/vscode/installCodeServer.mjs';

export const projectRoot = resolve(dirname(fileURLToPath(import.meta.url)), '..', '..');
export const extensionId = 'thinklens.thinklens';

/**
 * @typedef {object} Workbench
 * @property {import('playwright-core').Page} page
 * @property {import('playwright-core').Browser} browser
 * @property {import('../../scripts/vscode/codeServer.mjs').CodeServer} server
 * @property {string} folder
 * @property {string[]} hostLog    the extension host's console, as far as the workbench forwards it
 * @property {() => Promise<void>} close
 */

/**
 * Starts code-server with ThinkLens in development mode, opens `folder` in Chromium and waits
 * until the workbench shows the ThinkLens activity-bar item (the extension is registered).
 * `extensionDevelopmentPath: null` loads no development extension: ThinkLens must then be installed
 * in `extensionsDir` (code-server --install-extension), as a person's would be.
 * @param {{ folder: string, extensionDevelopmentPath?: string | null, extensionsDir?: string, settings?: Record<string, unknown>,
 *   env?: Record<string, string>, log?: (line: string) => void, viewport?: { width: number, height: number } }} options
 * @returns {Promise<Workbench>}
 */
export async function openWorkbench(options) {
  installSignalHandlers();
  const install = await ensureCodeServer();
  const server = await startCodeServer({
    install,
    smokeTestDriver: true,
    extensionsDir: options.extensionsDir,
    settings: options.settings,
    env: { ...noGalleryEnv, ...(options.env ?? {}) },
    log: options.log ? (line) => options.log?.(`[code-server] ${line}`) : undefined,
  });
  let browser;
  try {
    browser = await launchChromium();
    const page = await browser.newPage({ viewport: options.viewport ?? { width: 1400, height: 900 } });
    /** @type {string[]} */
    const hostLog = [];
    await page.exposeFunction('codeAutomationLog', (_level, args) => {
      const line = Array.isArray(args) ? format(...args) : format(args);
      hostLog.push(line);
      options.log?.(line);
    });
    await page.exposeFunction('codeAutomationExit', () => undefined);
    const url = server.workbenchUrl({
      folder: options.folder,
      payload:
        options.extensionDevelopmentPath === null
          ? []
          : [['extensionDevelopmentPath', server.remoteUri(options.extensionDevelopmentPath ?? projectRoot)]],
    });
    await page.goto(url, { waitUntil: 'domcontentloaded', timeout: 60_000 });
    await page.locator('.monaco-workbench').waitFor({ timeout: 60_000 });
    await thinkLensActivityItem(page).waitFor({ timeout: 60_000 });
    const opened = browser;
    return {
      page,
      browser: opened,
      server,
      folder: options.folder,
      hostLog,
      async close() {
        await opened.close().catch(() => undefined);
        await server.stop();
      },
    };
  } catch (error) {
    await browser?.close().catch(() => undefined);
    await server.stop();
    throw error;
  }
}

/** The ThinkLens item in the activity bar (present once the extension's manifest is loaded). */
export function thinkLensActivityItem(page) {
  return page.locator('.part.activitybar .action-item a[aria-label^="ThinkLens"]').first();
}

/**
 * Runs a command by its palette title (e.g. "ThinkLens: Show Log"): F1, type, pick the row whose
 * label is exactly the title. Retries while the command is not listed yet (the palette lists
 * commands as they were when it opened, and extension commands arrive a moment after the
 * workbench renders).
 * @param {import('playwright-core').Page} page
 * @param {string} title
 * @param {{ timeoutMs?: number }} [options]
 */
export async function runCommandFromPalette(page, title, options = {}) {
  const deadline = Date.now() + (options.timeoutMs ?? 30_000);
  const widget = page.locator('.quick-input-widget');
  const input = widget.locator('.quick-input-box input');
  for (;;) {
    await page.keyboard.press('Escape');
    await page
      .locator('.monaco-workbench')
      .focus()
      .catch(() => undefined);
    await page.keyboard.press('F1');
    await input.waitFor({ state: 'visible', timeout: 10_000 });
    await input.fill(`>${title}`);
    const row = widget.locator('.quick-input-list .monaco-list-row').filter({
      has: page.locator('.label-name', { hasText: new RegExp(`^\\s*${escapeRegExp(title)}\\s*$`) }),
    });
    try {
      await row.first().waitFor({ state: 'visible', timeout: Math.min(5_000, Math.max(500, deadline - Date.now())) });
      await row.first().click();
      await widget.waitFor({ state: 'hidden', timeout: 10_000 }).catch(() => undefined);
      return;
    } catch (error) {
      if (Date.now() >= deadline) {
        const shown = await widget
          .locator('.quick-input-list .monaco-list-row .label-name')
          .allInnerTexts()
          .catch(() => []);
        await page.keyboard.press('Escape');
        throw new Error(`the command palette has no command titled "${title}" (it lists: ${shown.join(' | ') || 'nothing'})`, {
          cause: error,
        });
      }
    }
  }
}

function escapeRegExp(text) {
  return text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}

/**
 * Opens a workspace file by its path relative to the folder, through Quick Open (Ctrl+P).
 * @param {import('playwright-core').Page} page
 * @param {string} relativePath
 */
export async function openFile(page, relativePath) {
  const widget = page.locator('.quick-input-widget');
  await page.keyboard.press('Escape');
  await page.keyboard.press('Control+P');
  const input = widget.locator('.quick-input-box input');
  await input.waitFor({ state: 'visible', timeout: 10_000 });
  await input.fill(relativePath);
  const name = relativePath.split('/').pop() ?? relativePath;
  const row = widget.locator('.quick-input-list .monaco-list-row', { hasText: name }).first();
  await row.waitFor({ state: 'visible', timeout: 15_000 });
  await page.keyboard.press('Enter');
  await page
    .locator(`.tabs-container .tab[data-resource-name="${name}"], .tabs-container .tab[aria-label^="${name}"]`)
    .first()
    .waitFor({ timeout: 15_000 });
}

/** Opens the Problems panel (Ctrl+Shift+M) and returns its container. */
export async function openProblems(page) {
  await page.keyboard.press('Escape');
  await page.keyboard.press('Control+Shift+M');
  const panel = page.locator('.markers-panel');
  await panel.waitFor({ state: 'visible', timeout: 10_000 });
  return panel;
}

/** Rows of the Problems panel: files and their problems (open it first with openProblems). */
export function problemRows(page) {
  return page.locator('.markers-panel .monaco-list-row');
}

/**
 * The channel the Output panel shows and its visible text (the editor renders only visible lines).
 * @returns {Promise<{ channel: string, text: string }>}
 */
export async function outputPanel(page) {
  const view = page.locator('.part.panel .output-view');
  await view.waitFor({ state: 'visible', timeout: 10_000 });
  const channel = await page.locator('.part.panel select[aria-label="Switch Output"]').first().inputValue();
  const text = await view
    .locator('.view-lines')
    .first()
    .innerText()
    .catch(() => '');
  return { channel, text };
}

/** The ThinkLens panel's webview document (inner frame of VS Code's webview host). */
export function panelFrame(page) {
  return page.frameLocator(`iframe.webview.ready[src*="extensionId=${extensionId}"]`).frameLocator('#active-frame');
}

/** Clicks the ThinkLens activity-bar item (if its view is not showing) and returns the panel frame once loaded. */
export async function openThinkLensView(page) {
  const item = thinkLensActivityItem(page);
  await item.waitFor({ timeout: 30_000 });
  // The <li> around the link says whether its view container is showing; a click would hide it.
  const selected = await item.locator('xpath=..').getAttribute('aria-selected');
  if (selected !== 'true') await item.click();
  const frame = panelFrame(page);
  await frame.locator('body').waitFor({ state: 'attached', timeout: 30_000 });
  return frame;
}

/**
 * The activation time VS Code itself measured for an extension, read from "Developer: Show Running
 * Extensions" (the list is virtual, so it scrolls until the row shows). Closes the editor after.
 * Throws when the extension is not running.
 * @param {import('playwright-core').Page} page
 * @param {string} [id]
 * @returns {Promise<number>}
 */
export async function activationTimeMs(page, id = extensionId) {
  await runCommandFromPalette(page, 'Developer: Show Running Extensions');
  const list = page.locator('.runtime-extensions-editor .monaco-list').first();
  await list.waitFor({ state: 'visible', timeout: 15_000 });
  const row = list
    .locator('.monaco-list-row')
    .filter({ has: page.locator('.name', { hasText: new RegExp(`^(${escapeRegExp(id)}|ThinkLens)$`) }) });
  const box = await list.boundingBox();
  if (box) await page.mouse.move(box.x + box.width / 2, box.y + box.height / 2);
  for (let step = 0; step < 60 && (await row.count()) === 0; step++) {
    await page.mouse.wheel(0, 300);
    await page.waitForTimeout(50);
  }
  try {
    if ((await row.count()) === 0) throw new Error(`${id} is not among the running extensions`);
    const text = await row.first().locator('.activation-time').innerText();
    const ms = /(\d+)\s*ms/.exec(text);
    if (!ms) throw new Error(`no activation time for ${id} (the row says "${text}")`);
    return Number(ms[1]);
  } finally {
    await page.keyboard.press('Escape');
    await runCommandFromPalette(page, 'View: Close Editor').catch(() => undefined);
  }
}

/** Saves a PNG of the whole window (creating folders as needed). */
export async function screenshot(page, path) {
  mkdirSync(dirname(path), { recursive: true });
  await page.screenshot({ path });
  return path;
}
