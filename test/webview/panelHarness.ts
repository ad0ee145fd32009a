// Loads the built panel bundle into real Chromium inside a page that behaves like a VS Code
// webview: the host's own HTML and CSP (rendered by panelHtml.ts), files served from a loopback
// origin standing in for `webview.cspSource`, and a fake `acquireVsCodeApi` that records posted
// messages and keeps state across reloads like VS Code does.
import { execFileSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { createServer } from 'node:http';
import { tmpdir } from 'node:os';
import { extname, join, normalize, resolve } from 'node:path';
import { chromium } from 'playwright-core';
import { chromiumArgs, findChromium } from '../../scripts/vscode/browser.mjs';
import { makeNonce, renderPanelHtml } from '../../src/extension/panel/panelHtml';
import type { AddressInfo } from 'node:net';
import type { Server } from 'node:http';
import type { BrowserContext, Page } from 'playwright-core';
import type { HostToWebview, WebviewToHost } from '../../src/bridge/protocol';

const repoRoot = resolve(__dirname, '../..');
const distDir = join(repoRoot, 'media', 'dist');
let built = false;

/** Builds media/dist/webview.js and .css once per test process. */
export function buildWebview(): void {
  if (built) return;
  execFileSync(process.execPath, ['esbuild.mjs', 'webview'], { cwd: repoRoot, stdio: 'inherit' });
  built = true;
}

const CONTENT_TYPES: Record<string, string> = {
  '.js': 'text/javascript',
  '.css': 'text/css',
  '.ttf': 'font/ttf',
  '.woff2': 'font/woff2',
  '.map': 'application/json',
};

/** Stands in for VS Code's fake browser globals, installed before any page script runs. */
const FAKE_VSCODE_API = `(() => {
  let acquired = false;
  window.__posted = [];
  window.__pwned = 0;
  window.__csp = [];
  document.addEventListener('securitypolicyviolation', (e) => {
    window.__csp.push(e.violatedDirective + ' ' + e.blockedURI);
  });
  window.acquireVsCodeApi = () => {
    if (acquired) throw new Error('An instance of the VS Code API has already been acquired');
    acquired = true;
    return Object.freeze({
      postMessage: (message) => {
        const copy = JSON.parse(JSON.stringify(message));
        window.__posted.push(copy);
        if (window.__toHost) window.__toHost(copy);
      },
      getState: () => {
        const saved = sessionStorage.getItem('__vscodeState');
        return saved === null ? undefined : JSON.parse(saved);
      },
      setState: (state) => {
        if (!window.__resetting) sessionStorage.setItem('__vscodeState', JSON.stringify(state));
        return state;
      },
    });
  };
})();`;

export interface PanelPage {
  readonly page: Page;
  readonly origin: string;
  /** Every URL the page asked for (document, bundle, stylesheet, font, and anything else). */
  readonly requests: string[];
  /** Paths the loopback server was asked for (Chromium's own favicon probe included). */
  readonly served: string[];
  /** alert/confirm/prompt dialogs the page opened. */
  readonly dialogs: string[];
  readonly pageErrors: string[];
  readonly consoleErrors: string[];
  send(message: HostToWebview): Promise<void>;
  /** Messages the panel posted to the host so far. */
  posted(): Promise<WebviewToHost[]>;
  clearPosted(): Promise<void>;
  /** Waits until the panel has painted what it was sent: two animation frames, then any finished run's remaining text. */
  frames(count?: number): Promise<void>;
  cspViolations(): Promise<string[]>;
  /** Reloads the document as VS Code does when a hidden view is shown again (state is kept). */
  reload(): Promise<void>;
  /** A fresh document with no saved state. */
  reset(): Promise<void>;
  close(): Promise<void>;
}

interface Launched {
  readonly context: BrowserContext;
  readonly profile: string;
  readonly server: Server;
}

export interface PanelOptions {
  readonly width?: number;
  readonly height?: number;
  /** Receives every message the panel posts, as a host would (e.g. a PanelSession's `receive`). */
  readonly onPost?: (message: unknown) => void;
  /** Serve the panel bundle from this folder instead of media/dist (the math benchmark builds variants). */
  readonly bundleDir?: string;
}

export async function openPanel(options: PanelOptions = {}): Promise<PanelPage> {
  if (!options.bundleDir) buildWebview();
  const bundleDir = options.bundleDir ?? distDir;

  const served: string[] = [];
  const server = createServer((req, res) => {
    const url = new URL(req.url ?? '/', 'http://127.0.0.1');
    served.push(url.pathname);
    if (url.pathname === '/panel.html') {
      const origin = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
      res.writeHead(200, { 'content-type': 'text/html; charset=utf-8', 'cache-control': 'no-store' });
      res.end(
        renderPanelHtml({
          cspSource: origin,
          nonce: makeNonce(),
          scriptUri: `${origin}/media/dist/webview.js`,
          styleUri: `${origin}/media/dist/webview.css`,
        }),
      );
      return;
    }
    // Only media/dist, like localResourceRoots.
    const path = decodeURIComponent(url.pathname);
    const file = normalize(path.startsWith('/media/dist/') ? join(bundleDir, path.slice('/media/dist/'.length)) : join(repoRoot, path));
    if (!file.startsWith(bundleDir + '/') || !existsSync(file)) {
      res.writeHead(404).end();
      return;
    }
    res.writeHead(200, { 'content-type': CONTENT_TYPES[extname(file)] ?? 'application/octet-stream' });
    res.end(readFileSync(file));
  });
  await new Promise<void>((ok) => server.listen(0, '127.0.0.1', ok));
  const origin = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;

  const profile = mkdtempSync(join(tmpdir(), 'thinklens-chromium-'));
  let launched: Launched | undefined;
  try {
    const context = await chromium.launchPersistentContext(profile, {
      executablePath: findChromium(), // throws with the apt-get command when Chromium is missing
      headless: true,
      args: chromiumArgs,
      viewport: { width: options.width ?? 420, height: options.height ?? 800 },
    });
    launched = { context, profile, server };
  } catch (err) {
    server.close();
    rmSync(profile, { recursive: true, force: true });
    throw err;
  }
  const { context } = launched;
  await context.addInitScript(FAKE_VSCODE_API);
  if (options.onPost) await context.exposeFunction('__toHost', options.onPost);
  const page = context.pages()[0] ?? (await context.newPage());

  const requests: string[] = [];
  const dialogs: string[] = [];
  const pageErrors: string[] = [];
  const consoleErrors: string[] = [];
  page.on('request', (request) => requests.push(request.url()));
  page.on('dialog', (dialog) => {
    dialogs.push(`${dialog.type()}: ${dialog.message()}`);
    void dialog.dismiss();
  });
  page.on('pageerror', (err) => pageErrors.push(err.message));
  page.on('console', (msg) => {
    if (msg.type() === 'error') consoleErrors.push(msg.text());
  });

  await page.goto(`${origin}/panel.html`);
  await page.waitForFunction(() => (window as unknown as { __posted: unknown[] }).__posted.length > 0);

  const harness: PanelPage = {
    page,
    origin,
    requests,
    served,
    dialogs,
    pageErrors,
    consoleErrors,
    send: (message) => page.evaluate((m) => window.postMessage(m, '*'), message as unknown as Record<string, unknown>),
    posted: () => page.evaluate(() => (window as unknown as { __posted: WebviewToHost[] }).__posted),
    clearPosted: () => page.evaluate(() => void ((window as unknown as { __posted: unknown[] }).__posted.length = 0)),
    // A string, not a function: tsx would wrap inner named functions in a helper the page lacks.
    frames: async (count = 2) => {
      await page.evaluate(`new Promise((done) => {
        let left = ${Number(count)};
        const step = () => (left-- <= 0 ? done() : requestAnimationFrame(step));
        step();
      })`);
      // Text is written within a per-frame budget and a streaming answer on an interval; wait until
      // everything received is on screen, and a finished run has settled.
      await page.waitForFunction(
        () => !document.querySelector('article.run[aria-busy]:not(.is-running), article.run[data-writing]'),
        undefined,
        { timeout: 5000 },
      );
    },
    reload: async () => {
      await page.reload();
      await page.waitForFunction(() => (window as unknown as { __posted: unknown[] }).__posted.length > 0);
    },
    reset: async () => {
      await page.evaluate(() => {
        (window as unknown as { __resetting: boolean }).__resetting = true;
        sessionStorage.clear();
      });
      await harness.reload();
    },
    cspViolations: () => page.evaluate(() => (window as unknown as { __csp: string[] }).__csp),
    close: async () => {
      await context.close().catch(() => undefined);
      const closed = new Promise<void>((ok) => server.close(() => ok()));
      server.closeAllConnections();
      await closed;
      rmSync(profile, { recursive: true, force: true });
    },
  };
  return harness;
}

/** URLs the panel may load: the document and its own bundle, stylesheet, codicon font and KaTeX's fonts. */
export function isOwnResource(url: string, origin: string): boolean {
  return (
    url === `${origin}/panel.html` ||
    url === `${origin}/media/dist/webview.js` ||
    url === `${origin}/media/dist/webview.css` ||
    new RegExp(`^${origin.replace(/[.]/g, '\\.')}/media/dist/codicon-[A-Z0-9]+\\.ttf(\\?[0-9a-f]+)?$`).test(url) ||
    new RegExp(`^${origin.replace(/[.]/g, '\\.')}/media/dist/KaTeX_[A-Za-z0-9]+-[A-Za-z]+-[A-Z0-9]+\\.woff2$`).test(url)
  );
}
