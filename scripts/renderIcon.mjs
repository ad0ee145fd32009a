// `node scripts/renderIcon.mjs`: renders media/icon.svg (the source, edit that) into media/icon.png, the
// 128×128 picture the Marketplace and the Extensions view show (they take PNG, not SVG), in Chromium.
import { readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { launchChromium } from './vscode/browser.mjs';

const media = join(resolve(import.meta.dirname, '..'), 'media');
const svg = readFileSync(join(media, 'icon.svg'), 'utf8');
const browser = await launchChromium();
try {
  const page = await browser.newPage({ viewport: { width: 128, height: 128 }, deviceScaleFactor: 1 });
  await page.setContent(`<!doctype html><html><body style="margin:0;background:transparent">${svg}</body></html>`);
  await page.locator('svg').screenshot({ path: join(media, 'icon.png'), omitBackground: true });
  console.log(`wrote ${join(media, 'icon.png')}`);
} finally {
  await browser.close();
}
