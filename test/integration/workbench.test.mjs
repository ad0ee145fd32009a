// What a person sees in real VS Code (code-server in headless Chromium) with ThinkLens loaded.
// Run by test/integration/runTests.mjs, or alone: node --test test/integration/workbench.test.mjs
// (builds first unless THINKLENS_WORKBENCH_BUILT=1). A failing check leaves a screenshot in
// test-results/workbench/.
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, writeFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, afterEach, before, test } from 'node:test';
import {
  activationTimeMs,
  openThinkLensView,
  openWorkbench,
  outputPanel,
  panelFrame,
  projectRoot,
  runCommandFromPalette,
  screenshot,
} from './workbench.mjs';

/** @type {import('./workbench.mjs').Workbench | undefined} */
let workbench;
let scratch;

function workspaceFolder() {
  const samples = join(projectRoot, 'samples');
  if (existsSync(samples)) return samples;
  scratch = mkdtempSync(join(tmpdir(), 'thinklens-workbench-'));
  writeFileSync(join(scratch, 'example.ts'), 'export const answer = 42;\n');
  return scratch;
}

before(
  async () => {
    if (process.env.THINKLENS_WORKBENCH_BUILT !== '1') {
      const built = spawnSync(process.execPath, ['esbuild.mjs', 'extension', 'webview'], { cwd: projectRoot, stdio: 'inherit' });
      assert.equal(built.status, 0, 'the build failed (node esbuild.mjs extension webview)');
    }
    const started = Date.now();
    workbench = await openWorkbench({ folder: workspaceFolder() });
    console.log(`# workbench with ThinkLens ready in ${((Date.now() - started) / 1000).toFixed(1)} s`);
  },
  { timeout: 900_000 },
); // a first run may install code-server (minutes)

after(async () => {
  await workbench?.close();
  if (scratch) rmSync(scratch, { recursive: true, force: true });
});

afterEach(async (context) => {
  // Every check leaves a picture of the window (about 0.3 s each): what a person would have seen.
  if (workbench)
    await screenshot(workbench.page, join(projectRoot, 'test-results', 'workbench', `${context.name.replace(/[^\w-]+/g, '_')}.png`)).catch(
      () => undefined,
    );
});

test('"ThinkLens: Show Log" from the command palette shows the ThinkLens log in the Output panel', { timeout: 60_000 }, async () => {
  const page = workbench.page;
  const outputVisible = await page.locator('.part.panel .output-view').isVisible();
  const before = outputVisible ? (await outputPanel(page)).channel : undefined;
  assert.notEqual(before, 'ThinkLens', 'the ThinkLens log was already showing before the command ran');

  await runCommandFromPalette(page, 'ThinkLens: Show Log');
  const outputView = page.locator('.part.panel .output-view');
  // The first command also activates the extension; on a busy machine code-server has been seen to
  // drop that first reveal (the panel never opened). A person would run the command again.
  if (
    !(await outputView.waitFor({ state: 'visible', timeout: 15_000 }).then(
      () => true,
      () => false,
    ))
  ) {
    await runCommandFromPalette(page, 'ThinkLens: Show Log');
    await outputView.waitFor({ state: 'visible', timeout: 15_000 });
  }
  await assert.doesNotReject(
    page.waitForFunction(() => document.querySelector('.part.panel select[aria-label="Switch Output"]')?.value === 'ThinkLens', undefined, {
      timeout: 15_000,
      polling: 100,
    }),
    'the Output panel opened but does not show the ThinkLens channel',
  );
  const { channel } = await outputPanel(page);
  assert.equal(channel, 'ThinkLens');
});

test('the ThinkLens activity-bar view shows the panel webview', { timeout: 60_000 }, async () => {
  const page = workbench.page;
  const frame = await openThinkLensView(page);
  // The webview host frame is on screen, and the panel's document rendered something.
  await page.locator('iframe.webview.ready[src*="extensionId=thinklens.thinklens"]').first().waitFor({ state: 'visible', timeout: 30_000 });
  await frame.locator('body > *').first().waitFor({ state: 'attached', timeout: 30_000 });
  assert.equal(await panelFrame(page).locator('body').count(), 1);
});

test('VS Code reports that ThinkLens activated within its start-up budget', { timeout: 90_000 }, async () => {
  const page = workbench.page;
  await runCommandFromPalette(page, 'ThinkLens: Show Log');
  const ms = await activationTimeMs(page);
  console.log(`# VS Code measured ThinkLens activation: ${ms} ms`);
  // activate() only wires things (docs/ARCHITECTURE.md); loading a model or an SDK there would blow this.
  const budget = Number(process.env.THINKLENS_ACTIVATION_BUDGET_MS ?? 3000);
  assert.ok(ms < budget, `activation took ${ms} ms, over the ${budget} ms budget (THINKLENS_ACTIVATION_BUDGET_MS)`);
});

test(
  "History is a button in the view's title bar that opens the list in the panel; Export and Clear wait for a run",
  { timeout: 90_000 },
  async () => {
    const page = workbench.page;
    const frame = await openThinkLensView(page);
    const sideBar = page.locator('.part.sidebar');
    const historyButton = sideBar.getByRole('button', { name: 'Show History' });
    await historyButton.waitFor({ state: 'visible', timeout: 30_000 });
    // A fresh workspace has no run: nothing to export, nothing to clear.
    assert.equal(await sideBar.getByRole('button', { name: 'Export Reasoning Trace' }).count(), 0, 'Export shows before any run');
    assert.equal(await sideBar.getByRole('button', { name: 'Clear Findings' }).count(), 0, 'Clear shows before any finding');
    // Only one button per command: the panel's own toolbar does not repeat Select Backend.
    assert.equal(await sideBar.getByRole('button', { name: 'Select Backend' }).count(), 1);
    assert.equal(await frame.getByRole('button', { name: 'Switch backend' }).count(), 0);

    const history = frame.locator('section.history');
    assert.equal(await history.isVisible(), false, 'history is not on screen until asked for');
    await historyButton.click();
    await history.waitFor({ state: 'visible', timeout: 15_000 });
    assert.match(await history.innerText(), /Recent runs/);
    await historyButton.click();
    await history.waitFor({ state: 'hidden', timeout: 15_000 });
  },
);

test('in a side bar narrowed to about 180 px the panel neither scrolls sideways nor clips a button', { timeout: 90_000 }, async () => {
  const page = workbench.page;
  const frame = await openThinkLensView(page);
  await frame.locator('body > *').first().waitFor({ state: 'attached', timeout: 30_000 });
  const sideBar = page.locator('.part.sidebar');
  const before = await sideBar.boundingBox();
  assert.ok(before, 'the side bar is not on screen');
  // Drag the sash on the side bar's right edge, as a person narrows it.
  const edge = before.x + before.width;
  const sash = await page.evaluate((x) => {
    for (const element of document.querySelectorAll('.monaco-sash.vertical')) {
      const box = element.getBoundingClientRect();
      if (box.height > 100 && Math.abs(box.left + box.width / 2 - x) <= 4)
        return { x: box.left + box.width / 2, y: box.top + box.height / 2 };
    }
    return undefined;
  }, edge);
  assert.ok(sash, `no sash at the side bar's edge (x = ${edge})`);
  const drag = async (from, to) => {
    await page.mouse.move(from, sash.y);
    await page.mouse.down();
    await page.mouse.move((from + to) / 2, sash.y, { steps: 6 });
    await page.mouse.move(to, sash.y, { steps: 6 });
    await page.mouse.up();
  };
  await drag(sash.x, before.x + 180);
  try {
    const narrowed = await sideBar.boundingBox();
    assert.ok(narrowed && narrowed.width <= 200, `the side bar is still ${narrowed?.width} px wide`);
    const found = await frame.locator('body').evaluate(() => {
      const doc = document.scrollingElement ?? document.documentElement;
      const clipped = [];
      for (const button of document.querySelectorAll('button, vscode-button')) {
        const box = button.getBoundingClientRect();
        if (box.width === 0 && box.height === 0) continue; // hidden
        if (box.left < -1 || box.right > doc.clientWidth + 1)
          clipped.push(
            `${button.textContent?.trim() || button.getAttribute('aria-label')}: ${Math.round(box.left)}–${Math.round(box.right)}`,
          );
      }
      return { scrollWidth: doc.scrollWidth, clientWidth: doc.clientWidth, clipped };
    });
    assert.ok(found.clientWidth <= 200, `the panel is ${found.clientWidth} px wide`);
    assert.ok(found.scrollWidth <= found.clientWidth, `the panel scrolls sideways: ${found.scrollWidth} > ${found.clientWidth}`);
    assert.deepEqual(found.clipped, [], 'buttons cut off at the edge');
  } finally {
    // Give the side bar its width back for the checks that follow.
    const now = await sideBar.boundingBox();
    if (now) await drag(now.x + now.width, edge);
  }
});
