// The panel's layout as a person meets it in real Chromium: a narrow side bar, the newest answer
// kept on screen, history behind the view's title-bar button, and one clear action per card.
import { after, before, beforeEach, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { openPanel } from './panelHarness';
import { answerDelta, finding, finished, paragraph, reasoningDelta, result, running, snapshot, started } from './fixtures';
import type { PanelPage } from './panelHarness';
import type { RunView } from '../../src/bridge/protocol';

/** Everything wider than its box, and every button not fully inside the viewport. */
async function overflow(panel: PanelPage): Promise<{ page: [number, number]; clipped: string[] }> {
  return panel.page.evaluate(() => {
    const doc = document.documentElement;
    const clipped: string[] = [];
    for (const b of document.querySelectorAll('button, vscode-button, vscode-textarea')) {
      const r = b.getBoundingClientRect();
      if (r.width === 0 && r.height === 0) continue; // hidden
      const label = (b.getAttribute('aria-label') ?? b.textContent ?? b.tagName).trim().slice(0, 40);
      if (r.left < 0 || r.right > doc.clientWidth + 0.5)
        clipped.push(`${label}: ${Math.round(r.left)}..${Math.round(r.right)} of ${doc.clientWidth}`);
      // A button whose own content is cut (text wider than the button).
      const inner = (b.shadowRoot?.querySelector('.base') as HTMLElement | null) ?? (b as HTMLElement);
      if (inner.scrollWidth > inner.clientWidth + 1) clipped.push(`${label}: content ${inner.scrollWidth} in ${inner.clientWidth}`);
    }
    for (const e of document.querySelectorAll('body *')) {
      const r = e.getBoundingClientRect();
      if (r.right > doc.clientWidth + 0.5 && r.width > 0)
        clipped.push(`WIDE ${e.tagName}.${e.className}: ${Math.round(r.left)}..${Math.round(r.right)}`);
    }
    const roots: (Document | ShadowRoot)[] = [document];
    for (let root = roots.pop(); root; root = roots.pop()) {
      for (const e of root.querySelectorAll('*')) {
        const r = e.getBoundingClientRect();
        if (r.right > doc.clientWidth + 0.5)
          clipped.push(`DEEP ${e.tagName}.${e.className}: ${Math.round(r.left)}..${Math.round(r.right)}`);
        if (e.shadowRoot) roots.push(e.shadowRoot);
        for (const n of e.childNodes) {
          if (n.nodeType !== 3 || e.closest('.visually-hidden')) continue;
          const range = document.createRange();
          range.selectNode(n);
          const tr = range.getBoundingClientRect();
          if (tr.right > doc.clientWidth + 0.5)
            clipped.push(`TEXT in ${e.tagName}.${e.className}: ${(n.textContent ?? '').slice(0, 30)} ${Math.round(tr.right)}`);
        }
      }
    }
    return { page: [doc.scrollWidth, doc.clientWidth], clipped };
  });
}

describe('a narrow side bar (180 px)', () => {
  let panel: PanelPage;
  before(async () => {
    panel = await openPanel({ width: 180, height: 600 });
  });
  after(async () => {
    await panel?.close();
  });
  beforeEach(async () => {
    await panel.reset();
  });

  it('setup: no horizontal scroll, every button whole', async () => {
    await panel.send({ type: 'snapshot', snapshot: snapshot({ setup: { reason: 'No backend is configured yet.' } }) });
    await panel.frames();
    const { page, clipped } = await overflow(panel);
    assert.ok(page[0] <= page[1], `page scrolls sideways: ${page[0]} > ${page[1]}`);
    assert.deepEqual(clipped, []);
  });

  it('a finished run with findings, an error, usage and session totals: no horizontal scroll, stats wrap', async () => {
    const session = { runs: 12, promptTokens: 123_456, reasoningTokens: 987_654, answerTokens: 45_678, costUsd: 1.2345 };
    await panel.send({ type: 'snapshot', snapshot: snapshot({ session }) });
    await panel.send(started(running('r1', { title: 'Review: src/very/long/path/to/someModuleWithALongName.ts' })));
    for (let i = 0; i < 3; i++) await panel.send(reasoningDelta('r1', paragraph(i)));
    await panel.frames();
    const whileRunning = await overflow(panel);
    assert.deepEqual(whileRunning.clipped, [], 'while running (the Cancel button beside the status)');
    assert.ok(
      whileRunning.page[0] <= whileRunning.page[1],
      `page scrolls sideways while running: ${whileRunning.page[0]} > ${whileRunning.page[1]}`,
    );
    await panel.send(answerDelta('r1', 'The loop bound `i <= items.length` is one past the end of `items`.'));
    await panel.send({
      type: 'usage',
      runId: 'r1',
      usage: {
        promptTokens: 12_345,
        reasoningTokens: 23_456,
        answerTokens: 3_456,
        cachedPromptTokens: 1_024,
        costUsd: 0.0123,
        tokensPerSecond: 42.5,
      },
      session,
    });
    await panel.send(
      finished(
        'r1',
        result({
          findings: [
            finding('f1'),
            finding('f2', { severity: 'warning', title: 'AVeryLongIdentifierWithoutAnySpacesThatCannotBreakNaturally' }),
          ],
        }),
      ),
    );
    const failed: RunView = { ...running('r2', { kind: 'follow-up', title: 'And why does the caller not notice?' }), status: 'running' };
    await panel.send(started(failed, 'r1'));
    await panel.send(
      finished(
        'r2',
        {
          summary: '',
          prose: '',
          findings: [],
          error: {
            kind: 'connection',
            message: 'The server refused the connection at http://127.0.0.1:11434/v1/chat/completions.',
            actions: [
              { label: 'Select backend', command: 'thinklens.selectBackend' },
              { label: 'Try again', command: 'rerun' },
            ],
          },
        },
        'error',
      ),
    );
    await panel.frames();
    const { page, clipped } = await overflow(panel);
    assert.deepEqual(clipped, []);
    assert.ok(page[0] <= page[1], `page scrolls sideways: ${page[0]} > ${page[1]}`);
    const totals = await panel.page.locator('.session').evaluate((e) => [e.scrollWidth, e.clientWidth]);
    assert.ok(totals[0] <= totals[1], `the session totals are cut off: ${totals[0]} > ${totals[1]}`);
    const stats = await panel.page
      .locator('.trace-stats')
      .first()
      .evaluate((e) => ({ right: e.getBoundingClientRect().right, width: document.documentElement.clientWidth }));
    assert.ok(stats.right <= stats.width, `trace statistics run past the edge: ${stats.right} > ${stats.width}`);
  });
});

describe('one clear action per card', () => {
  let panel: PanelPage;
  before(async () => {
    panel = await openPanel();
  });
  after(async () => {
    await panel?.close();
  });
  beforeEach(async () => {
    await panel.reset();
  });

  it('the setup card has one primary button, and no command has two buttons in the panel', async () => {
    await panel.send({ type: 'snapshot', snapshot: snapshot({ setup: { reason: 'No backend is configured yet.' } }) });
    await panel.frames();
    const primaries = await panel.page.locator('.setup vscode-button:not([secondary])').allInnerTexts();
    assert.deepEqual(
      primaries.map((t) => t.trim()),
      ['Select backend'],
    );
    await panel.clearPosted();
    const buttons = panel.page.locator('button:visible, vscode-button:visible');
    const count = await buttons.count();
    for (let i = 0; i < count; i++) await buttons.nth(i).click();
    const commands = (await panel.posted()).flatMap((m) => (m.type === 'runCommand' ? [m.command] : []));
    assert.ok(commands.length >= 3, `buttons clicked: ${commands.join(', ')}`);
    assert.deepEqual(commands, [...new Set(commands)], 'a command has two buttons');
    // The view's title bar already has Select Backend.
    assert.equal(await panel.page.locator('.toolbar button[aria-label="Switch backend"]').count(), 0);
  });

  it('inline code stands out from the side bar in Light Modern', async () => {
    await panel.send(started(running('r1')));
    await panel.send(finished('r1', result({ prose: 'Compare `items.length` with `i`.' })));
    await panel.frames();
    const looks = await panel.page.evaluate(() => {
      // Light Modern's own values, set as VS Code sets them on a webview.
      const light: Record<string, string> = {
        '--vscode-foreground': '#3B3B3B',
        '--vscode-sideBar-background': '#F8F8F8',
        '--vscode-textCodeBlock-background': '#F8F8F8',
        '--vscode-textPreformat-background': '#0000001F',
        '--vscode-textPreformat-foreground': '#3B3B3B',
      };
      for (const [name, value] of Object.entries(light)) document.documentElement.style.setProperty(name, value);
      document.body.className = 'vscode-light';
      const code = document.querySelector('.answer code') as HTMLElement;
      return { code: getComputedStyle(code).backgroundColor, body: getComputedStyle(document.body).backgroundColor };
    });
    assert.equal(looks.body, 'rgb(248, 248, 248)');
    assert.equal(looks.code, 'rgba(0, 0, 0, 0.12)', 'inline code has the preformat background, not the side bar colour');
  });

  it('"Apply fix" is stronger than "Dismiss" in High Contrast', async () => {
    await panel.send(started(running('r1')));
    await panel.send(finished('r1'));
    await panel.frames();
    const looks = await panel.page.evaluate(() => {
      const root = document.documentElement.style;
      root.setProperty('--vscode-contrastBorder', '#6FC3DF');
      root.setProperty('--vscode-contrastActiveBorder', '#F38518');
      root.setProperty('--vscode-button-border', '#6FC3DF');
      document.body.className = 'vscode-high-contrast';
      const [apply, dismiss] = ['vscode-button.apply-fix', 'vscode-button.dismiss'].map((selector) => {
        const host = document.querySelector(selector) as HTMLElement;
        const base = host.shadowRoot?.querySelector('.base') as HTMLElement;
        const style = getComputedStyle(host);
        return { outline: `${style.outlineStyle} ${style.outlineWidth} ${style.outlineColor}`, weight: getComputedStyle(base).fontWeight };
      });
      return { apply, dismiss };
    });
    assert.deepEqual(looks.apply, { outline: 'solid 2px rgb(243, 133, 24)', weight: '700' });
    assert.notEqual(looks.dismiss.outline, looks.apply.outline);
    assert.equal(looks.dismiss.weight, '400');
  });
});

describe('the result on screen', () => {
  let panel: PanelPage;
  before(async () => {
    panel = await openPanel({ width: 360, height: 500 });
  });
  after(async () => {
    await panel?.close();
  });
  beforeEach(async () => {
    await panel.reset();
  });

  const where = (selector: string) =>
    panel.page.evaluate((s) => {
      const all = document.querySelectorAll(s);
      const r = all[all.length - 1]!.getBoundingClientRect();
      const bar = document.querySelector('.toolbar')!.getBoundingClientRect();
      return { top: r.top, bottom: r.bottom, barBottom: bar.bottom, viewport: window.innerHeight, y: window.scrollY };
    }, selector);

  async function firstRunDone(): Promise<void> {
    await panel.send(started(running('r1', { title: 'Explain: sum()' })));
    for (let i = 0; i < 4; i++) await panel.send(reasoningDelta('r1', paragraph(i)));
    await panel.send(answerDelta('r1', Array.from({ length: 12 }, (_, i) => `Paragraph ${i} of the first answer.`).join('\n\n')));
    await panel.send(
      finished('r1', result({ prose: Array.from({ length: 12 }, (_, i) => `Paragraph ${i} of the first answer.`).join('\n\n') })),
    );
    await panel.frames();
  }

  it('follows a follow-up: its title under the toolbar as its answer starts, then the answer as it grows', async () => {
    await firstRunDone();
    await panel.send(started(running('r2', { kind: 'follow-up', title: 'What if items is empty?' }), 'r1'));
    await panel.frames();
    let title = await where('.run-title');
    assert.ok(
      title.top >= title.barBottom - 1 && title.bottom <= title.viewport,
      `the new run's title is on screen below the toolbar: ${JSON.stringify(title)}`,
    );
    for (let i = 0; i < 6; i++) await panel.send(reasoningDelta('r2', paragraph(i)));
    await panel.send(answerDelta('r2', 'An empty array sums to 0.\n\n'));
    await panel.frames(4);
    title = await where('.run-title');
    assert.ok(title.top >= title.barBottom - 1, `the title is not under the sticky toolbar: ${JSON.stringify(title)}`);
    const answer = await where('.answer');
    assert.ok(answer.top < answer.viewport, `the answer's start is on screen: ${JSON.stringify(answer)}`);
    for (let i = 0; i < 30; i++) await panel.send(answerDelta('r2', `Line ${i} of a long answer that keeps coming.\n\n`));
    await panel.page.waitForFunction(() => document.querySelectorAll('article.run')[1]?.textContent?.includes('Line 29'));
    await panel.frames(4);
    const end = await where('.answer');
    assert.ok(end.bottom <= end.viewport + 1, `the end of the growing answer stays in view: ${JSON.stringify(end)}`);
  });

  it('stops following when the person scrolls up, and the session bar never covers a run title', async () => {
    await firstRunDone();
    await panel.send(started(running('r2', { kind: 'follow-up', title: 'What if items is empty?' }), 'r1'));
    await panel.send(answerDelta('r2', 'Start.\n\n'));
    await panel.frames();
    await panel.page.mouse.move(100, 300);
    await panel.page.mouse.wheel(0, -400);
    await panel.page.waitForFunction(() => window.scrollY < document.documentElement.scrollHeight - window.innerHeight - 100);
    const before = await panel.page.evaluate(() => window.scrollY);
    for (let i = 0; i < 20; i++) await panel.send(answerDelta('r2', `More ${i}.\n\n`));
    await panel.page.waitForFunction(() => document.body.textContent?.includes('More 19.'));
    await panel.frames(4);
    assert.equal(await panel.page.evaluate(() => window.scrollY), before, 'the view stays where the person put it');
    // "Show reasoning" on the first run: its title lands below the sticky toolbar.
    await panel.send({ type: 'focusRun', runId: 'r1', showTrace: true });
    await panel.frames();
    const title = await panel.page.evaluate(() => ({
      top: document.querySelector('article.run .run-title')!.getBoundingClientRect().top,
      bar: document.querySelector('.toolbar')!.getBoundingClientRect().bottom,
    }));
    assert.ok(title.top >= title.bar - 1, `the toolbar covers the run title: ${JSON.stringify(title)}`);
  });

  it('says the conclusion once: summary and findings shown, the prose a click away', async () => {
    await panel.send(started(running('r1')));
    await panel.send(answerDelta('r1', 'The loop runs one step too far.'));
    await panel.frames();
    assert.equal(await panel.page.locator('.answer').isVisible(), true, 'while streaming the answer shows');
    await panel.send(finished('r1', result({ prose: 'The loop runs one step too far, so the last read is undefined.' })));
    await panel.frames();
    assert.equal(await panel.page.locator('.summary').isVisible(), true);
    assert.equal(await panel.page.locator('.finding').isVisible(), true);
    assert.equal(await panel.page.locator('.answer').isVisible(), false, 'the prose folds once findings say it');
    const toggle = panel.page.locator('.answer-toggle');
    assert.equal(await toggle.getAttribute('aria-expanded'), 'false');
    await toggle.click();
    assert.equal(await panel.page.locator('.answer').isVisible(), true);
    assert.match(await panel.page.locator('.answer').innerText(), /one step too far, so the last read/);
    // Without findings the prose is the answer: nothing folds.
    await panel.send(started(running('r2'), 'r2'));
    await panel.send(finished('r2', result({ summary: '', findings: [], prose: 'Nothing wrong here.' })));
    await panel.frames();
    assert.equal(await panel.page.locator('.answer').isVisible(), true);
    assert.equal(await panel.page.locator('.answer-toggle').isVisible(), false);
  });
});
