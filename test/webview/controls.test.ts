// The panel's controls in real Chromium: follow-up box, usage and cost, cancel/rerun/export,
// errors with the action that fixes them, the setup view, history, announcements, keyboard
// reach and theme colours.
import { after, before, beforeEach, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { openPanel } from './panelHarness';
import { finding, finished, paragraph, reasoningDelta, answerDelta, result, running, snapshot, started } from './fixtures';
import type { PanelPage } from './panelHarness';
import { httpError, networkError } from '../../src/core/errors';
import { errorViewOf } from '../../src/extension/panel/viewModels';
import type { HistoryEntry, RunView } from '../../src/bridge/protocol';

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

const textarea = () => panel.page.locator('.follow-up-input textarea');
const isDisabled = () => panel.page.locator('.follow-up-input').evaluate((el) => el.hasAttribute('disabled'));

describe('follow-up box', () => {
  it('sends on Enter, keeps Shift+Enter as a new line, and is disabled while a run is going', async () => {
    await panel.send(started(running('r1')));
    await panel.frames();
    assert.equal(await isDisabled(), true, 'disabled while running');
    assert.match(await panel.page.locator('.follow-up-hint').innerText(), /Wait for the run to finish/);
    await panel.send(finished('r1'));
    await panel.frames();
    assert.equal(await isDisabled(), false);
    await panel.clearPosted();

    await textarea().fill('Why does it');
    await textarea().press('Shift+Enter');
    await textarea().pressSequentially('return NaN?');
    assert.deepEqual(await panel.posted(), [], 'Shift+Enter does not send');
    await textarea().press('Enter');
    assert.deepEqual(await panel.posted(), [{ type: 'followUp', runId: 'r1', question: 'Why does it\nreturn NaN?' }]);
    assert.equal(await textarea().inputValue(), '', 'cleared after sending');
    assert.equal(await isDisabled(), true, 'disabled until the host starts the follow-up');

    await panel.send(started(running('r2', { kind: 'follow-up', parentRunId: 'r1', title: 'Why does it return NaN?' }), 'r1'));
    await panel.frames();
    assert.equal(await panel.page.locator('article.run').count(), 2, 'the follow-up joins the conversation');
    assert.equal(await panel.page.locator('.run-title.question').innerText(), 'Why does it return NaN?');
    assert.equal(await isDisabled(), true);
    await textarea()
      .press('Enter')
      .catch(() => undefined);
    assert.equal((await panel.posted()).length, 1, 'nothing sent while running');
  });

  it('unlocks again when the host shows setup instead of starting the run', async () => {
    await panel.send(started(running('r1')));
    await panel.send(finished('r1'));
    await textarea().fill('Again?');
    await textarea().press('Enter');
    assert.equal(await isDisabled(), true);
    await panel.send({ type: 'setup', setup: { reason: 'No backend is configured.' } });
    await panel.frames();
    assert.equal(await isDisabled(), false);
  });
});

describe('usage, run controls and errors', () => {
  it('shows usage and cost per run and the session total', async () => {
    await panel.send(started(running('r1')));
    await panel.send({
      type: 'usage',
      runId: 'r1',
      usage: { promptTokens: 812, cachedPromptTokens: 300, reasoningTokens: 1984, answerTokens: 326, costUsd: 0.0042 },
      session: { runs: 2, promptTokens: 1812, cachedPromptTokens: 300, reasoningTokens: 2984, answerTokens: 426, costUsd: 0.0142 },
    });
    await panel.frames();
    assert.equal(await panel.page.locator('.usage').innerText(), '812 in (300 cached) · 1,984 reasoning · 326 answer · $0.0042');
    assert.equal(await panel.page.locator('.session').innerText(), 'Session: 2 runs · 5,222 tokens · $0.01');
    assert.match(await panel.page.locator('.trace-stats').innerText(), /1,984 tokens/, 'reported reasoning tokens replace the estimate');
    assert.doesNotMatch(await panel.page.locator('.trace-stats').innerText(), /≈/);
  });

  it('Answer now while the model thinks: a keyboard-reachable button that asks the host, gone once the answer starts', async () => {
    await panel.send(started(running('r1')));
    await panel.send(reasoningDelta('r1', 'Thinking about the loop bound.'));
    await panel.frames();
    await panel.clearPosted();
    const answerNow = panel.page.getByRole('button', { name: 'Answer now' });
    assert.equal(await answerNow.count(), 1);
    await answerNow.focus();
    await panel.page.keyboard.press('Enter');
    assert.deepEqual(await panel.posted(), [{ type: 'answerNow', runId: 'r1' }]);
    await panel.send(answerDelta('r1', 'The loop bound is off by one.'));
    await panel.frames();
    assert.equal(await answerNow.count(), 0, 'no Answer now once the answer streams');
    assert.equal(await panel.page.locator('vscode-button.cancel').count(), 1, 'Cancel stays');
  });

  it('cancels a running run; reruns and exports a finished one; shows the log', async () => {
    await panel.send(started(running('r1')));
    await panel.frames();
    await panel.clearPosted();
    await panel.page.locator('vscode-button.cancel').click();
    await panel.send(finished('r1', result({ cancelled: true, findings: [] }), 'cancelled'));
    await panel.frames();
    assert.match(await panel.page.locator('.status-text').innerText(), /Cancelled after/);
    await panel.page.getByRole('button', { name: 'Run again' }).click();
    await panel.page.getByRole('button', { name: 'Export this conversation as Markdown and JSON' }).click();
    await panel.page.getByRole('button', { name: 'Show log' }).click();
    assert.deepEqual(await panel.posted(), [
      { type: 'cancelRun', runId: 'r1' },
      { type: 'rerun', runId: 'r1' },
      { type: 'exportRun', runId: 'r1' },
      { type: 'runCommand', command: 'thinklens.showLog' },
    ]);
  });

  it('shows an error with the buttons that fix it, and a hint for a local server', async () => {
    await panel.send(started(running('r1', { backend: 'ollama', model: 'deepseek-r1:8b' })));
    await panel.send(reasoningDelta('r1', 'Partial thought'));
    await panel.send(
      finished(
        'r1',
        {
          summary: '',
          prose: '',
          findings: [],
          error: {
            kind: 'network',
            message: 'Could not reach http://localhost:11434/v1.',
            hint: 'Is the Ollama server running? Start it, or set thinklens.baseUrl to where it listens.',
            detail: 'ECONNREFUSED 127.0.0.1:11434',
            actions: [
              { label: 'Try again', command: 'rerun' },
              { label: 'Switch backend', command: 'thinklens.selectBackend' },
            ],
          },
        },
        'error',
      ),
    );
    await panel.frames();
    const box = panel.page.locator('.error-box');
    assert.match(await box.locator('.error-message').innerText(), /Could not reach/);
    assert.match(await box.locator('.error-hint').innerText(), /Is the Ollama server running\?/);
    assert.match(await box.locator('.error-detail').innerText(), /The server said: ECONNREFUSED 127\.0\.0\.1:11434/);
    assert.match(await panel.page.locator('[role=status]').innerText(), /^Error: Could not reach/);
    assert.match(await panel.page.locator('.trace-body').innerText(), /Partial thought/, 'reasoning so far is kept');
    await panel.clearPosted();
    await box.locator('vscode-button', { hasText: 'Switch backend' }).click();
    await box.locator('vscode-button', { hasText: 'Try again' }).click();
    assert.deepEqual(await panel.posted(), [
      { type: 'runCommand', command: 'thinklens.selectBackend' },
      { type: 'rerun', runId: 'r1' },
    ]);
  });

  it("builds the error card from the engine error: the advice once, the server's own words (redacted), the buttons its remedies name", async () => {
    const key = 'sk-secret-key-1234567890';
    const refused = networkError({ backend: 'ollama', baseUrl: 'http://127.0.0.1:11434', secrets: [key] }, 'connection refused', {
      message: `connect ECONNREFUSED 127.0.0.1:11434 (Authorization: Bearer ${key})`,
      code: 'ECONNREFUSED',
    });
    await panel.send(started(running('r1', { backend: 'ollama', model: 'deepseek-r1:8b' })));
    await panel.send(finished('r1', { summary: '', prose: '', findings: [], error: errorViewOf(refused) }, 'error'));
    await panel.frames();
    const box = panel.page.locator('.error-box');
    const card = await box.innerText();
    assert.match(
      await box.locator('.error-message').innerText(),
      /Could not reach Ollama at http:\/\/127\.0\.0\.1:11434 \(connection refused\)/,
    );
    assert.equal(
      await box.locator('.error-hint').innerText(),
      'Is the Ollama server running? Start it, or set thinklens.baseUrl to where it listens.',
    );
    assert.equal(card.match(/running\?/g)?.length, 1, 'the advice is said once');
    assert.match(await box.locator('.error-detail').innerText(), /^The server said: connect ECONNREFUSED 127\.0\.0\.1:11434/);
    assert.ok(await box.locator('.error-detail').isVisible(), "the server's words are on the card, not hidden");
    assert.ok(!card.includes(key), 'the key is redacted');
    assert.deepEqual(await box.locator('vscode-button').allInnerTexts(), ['Try again']);

    const rejected = httpError(
      { status: 401, serverMessage: 'Authentication Fails (invalid api key)' },
      { backend: 'deepseek', baseUrl: 'https://api.deepseek.com' },
    );
    await panel.send(started(running('r2', { backend: 'deepseek' })));
    await panel.send(finished('r2', { summary: '', prose: '', findings: [], error: errorViewOf(rejected) }, 'error'));
    await panel.frames();
    const second = panel.page.locator('.error-box').last();
    assert.equal(
      await second.locator('.error-hint').innerText(),
      "Set a key with 'ThinkLens: Set API Key' or the DEEPSEEK_API_KEY environment variable.",
    );
    assert.match(await second.locator('.error-detail').innerText(), /The server said: Authentication Fails \(invalid api key\)/);
    await panel.clearPosted();
    await second.locator('vscode-button', { hasText: 'Set API key' }).click();
    await second.locator('vscode-button', { hasText: 'Switch backend' }).click();
    assert.deepEqual(await panel.posted(), [
      { type: 'runCommand', command: 'thinklens.setApiKey', backend: 'deepseek' },
      { type: 'runCommand', command: 'thinklens.selectBackend' },
    ]);
  });

  it('offers the setup paths with their buttons', async () => {
    await panel.send({ type: 'setup', setup: { reason: 'No reasoning backend is set up yet.' } });
    await panel.frames();
    assert.match(await panel.page.locator('.setup-reason').innerText(), /No reasoning backend/);
    assert.equal(await panel.page.locator('.empty-state').isVisible(), false);
    await panel.clearPosted();
    for (const label of ['Set API key', 'Select backend', 'Download model'])
      await panel.page.locator('.setup vscode-button', { hasText: label }).click();
    assert.deepEqual(
      (await panel.posted()).map((m) => (m.type === 'runCommand' ? m.command : m.type)),
      ['thinklens.setApiKey', 'thinklens.selectBackend', 'thinklens.downloadModel'],
    );
    await panel.send(started(running('r1')));
    await panel.frames();
    assert.equal(await panel.page.locator('.setup').count(), 0, 'a run starting means a backend works');
  });
});

describe('history', () => {
  it('lists recent conversations and reopens one', async () => {
    const history: HistoryEntry[] = [
      { threadId: 'new', title: 'Review: parser.ts', kind: 'review', startedAt: Date.now(), status: 'done', findings: 3, runs: 1 },
      {
        threadId: 'old',
        title: 'Explain: off-by-one',
        kind: 'explain',
        startedAt: Date.now() - 60_000,
        status: 'error',
        findings: 0,
        runs: 2,
      },
    ];
    const newRun: RunView = { ...running('new', { title: 'Review: parser.ts' }), status: 'done', result: result() };
    await panel.send({ type: 'snapshot', snapshot: snapshot({ history, thread: [newRun] }) });
    assert.equal(await panel.page.locator('.history').isVisible(), false, 'history waits behind the title-bar button');
    await panel.send({ type: 'showHistory' });
    await panel.frames();
    const items = panel.page.locator('.history-item');
    assert.equal(await items.count(), 2, 'a failed run with follow-ups and no findings is folded away');
    assert.equal(await items.nth(0).getAttribute('aria-current'), 'true');
    await items.nth(1).click(); // "1 failed or cancelled"
    assert.equal(await items.count(), 3);
    assert.match(await items.nth(2).innerText(), /Explain: off-by-one[\s\S]*1 follow-up/);
    await panel.page.locator('.history-item').nth(0).focus();
    await panel.send({ type: 'showHistory' });
    assert.equal(await panel.page.locator('.history').isVisible(), false, 'the button toggles the list');
    await panel.send({ type: 'showHistory' });
    await panel.frames();
    await panel.clearPosted();
    await items.nth(2).click();
    assert.deepEqual(await panel.posted(), [{ type: 'openThread', threadId: 'old' }]);
    assert.equal(await panel.page.locator('.history').isVisible(), false, 'choosing a run closes the list');
    const old: RunView = {
      ...running('old', { title: 'Explain: off-by-one' }),
      status: 'done',
      reasoning: 'Old reasoning.',
      result: result(),
    };
    await panel.send({
      type: 'thread',
      thread: [old, { ...running('old2', { kind: 'follow-up', title: 'And then?' }), status: 'done', result: result() }],
    });
    await panel.frames();
    assert.deepEqual(await panel.page.locator('article.run').evaluateAll((els) => els.map((e) => e.getAttribute('data-run-id'))), [
      'old',
      'old2',
    ]);
    await panel.send({ type: 'showHistory' });
    await panel.frames();
    assert.equal(
      await panel.page
        .locator('.history-item[aria-current=true]')
        .innerText()
        .then((t) => /off-by-one/.test(t)),
      true,
    );
  });

  it('is one Tab stop with the arrow keys inside, and Escape closes it without cancelling a run', async () => {
    const history: HistoryEntry[] = ['a', 'b', 'c', 'd'].map((id, i) => ({
      threadId: id,
      title: `Review ${id}`,
      kind: 'review' as const,
      startedAt: Date.now() - i * 1000,
      status: id === 'a' ? ('running' as const) : ('done' as const),
      findings: 1,
      runs: 1,
    }));
    await panel.send({ type: 'snapshot', snapshot: snapshot({ history, thread: [running('a', { title: 'Review a' })] }) });
    await panel.send({ type: 'showHistory' });
    await panel.frames();
    const focused = () =>
      panel.page.evaluate(
        () => document.activeElement?.getAttribute('data-thread-id') ?? document.activeElement?.getAttribute('aria-label') ?? '',
      );
    assert.equal(await focused(), 'a', 'the list takes focus on the conversation on screen');
    assert.deepEqual(await panel.page.locator('.history-item').evaluateAll((els) => els.map((e) => e.getAttribute('tabindex'))), [
      '0',
      '-1',
      '-1',
      '-1',
    ]);
    await panel.page.keyboard.press('ArrowDown');
    await panel.page.keyboard.press('ArrowDown');
    assert.equal(await focused(), 'c');
    await panel.page.keyboard.press('End');
    assert.equal(await focused(), 'd');
    await panel.page.keyboard.press('ArrowUp');
    await panel.page.keyboard.press('Home');
    await panel.page.keyboard.press('ArrowDown');
    assert.equal(await focused(), 'b');
    assert.deepEqual(await panel.page.locator('.history-item').evaluateAll((els) => els.map((e) => e.getAttribute('tabindex'))), [
      '-1',
      '0',
      '-1',
      '-1',
    ]);
    await panel.page.keyboard.press('Tab');
    assert.notEqual(
      await panel.page.evaluate(() => document.activeElement?.classList.contains('history-item')),
      true,
      'one Tab leaves the list',
    );
    await panel.page.keyboard.press('Shift+Tab');
    assert.equal(await focused(), 'b', 'Shift+Tab comes back to the item last chosen');
    await panel.clearPosted();
    await panel.page.keyboard.press('Escape');
    assert.equal(await panel.page.locator('.history').isVisible(), false);
    assert.deepEqual(await panel.posted(), [], 'Escape in the list does not cancel the running run');
  });
});

describe('runs from an earlier session', () => {
  it('shows their findings without fix or dismiss buttons, and still lets the person go to them', async () => {
    const old: RunView = { ...running('old'), status: 'done', reasoning: 'Earlier.', restored: true, result: result() };
    await panel.send({ type: 'snapshot', snapshot: snapshot({ thread: [old] }) });
    await panel.frames();
    assert.match(await panel.page.locator('.restored-note').innerText(), /earlier session/);
    assert.equal(await panel.page.locator('.finding vscode-button').count(), 0);
    await panel.clearPosted();
    await panel.page.locator('.finding-title').click();
    assert.deepEqual(await panel.posted(), [{ type: 'revealFinding', runId: 'old', findingId: 'f1' }]);
  });
});

describe('accessibility and theme', () => {
  it('announces state changes, never the tokens', async () => {
    await panel.page.evaluate(() => {
      const log: string[] = [];
      (window as unknown as { __said: string[] }).__said = log;
      const region = document.querySelector('[role=status]');
      if (region)
        new MutationObserver(() => log.push(region.textContent ?? '')).observe(region, {
          childList: true,
          characterData: true,
          subtree: true,
        });
    });
    await panel.send(started(running('r1', { title: 'Explain: sum()' })));
    for (let i = 0; i < 5; i++) await panel.send(reasoningDelta('r1', paragraph(i)));
    await panel.send(answerDelta('r1', 'The answer text.'));
    await panel.frames();
    await panel.send(finished('r1', result()));
    await panel.frames();
    const said = await panel.page.evaluate(() => (window as unknown as { __said: string[] }).__said);
    assert.deepEqual(said, ['Started: Explain: sum()', 'Reasoning: Explain: sum()', 'Answering', 'Done: 1 finding']);
    assert.equal(await panel.page.locator('[aria-live]:not([aria-live=off])').count(), 1, 'one live region');
    assert.equal(await panel.page.locator('.trace-body').getAttribute('aria-live'), null);
  });

  it('reaches every control with the keyboard, in reading order', async () => {
    await panel.send(started(running('r1')));
    await panel.send(reasoningDelta('r1', 'Thinking.'));
    await panel.send(finished('r1'));
    await panel.frames();
    await panel.page.locator('body').focus();
    const reached: string[] = [];
    for (let i = 0; i < 14; i++) {
      await panel.page.keyboard.press('Tab');
      reached.push(
        await panel.page.evaluate(() => {
          const el = document.activeElement;
          if (!el) return '';
          return (
            el.getAttribute('aria-label') ??
            el.getAttribute('label') ??
            el.getAttribute('title') ??
            (el.textContent ?? '').trim().slice(0, 30)
          );
        }),
      );
    }
    const order = [
      'Show log',
      'Run again',
      'Export this conversation',
      'Reasoning',
      'Reasoning for',
      'Go to samples/sum.ts',
      'Apply',
      'Dismiss',
      'Helpful',
      'Not helpful',
      'Ask a follow-up',
    ];
    let at = -1;
    for (const want of order) {
      const found = reached.findIndex((r, i) => i > at && r.includes(want));
      assert.ok(found > at, `"${want}" reachable after position ${at}; reached: ${JSON.stringify(reached)}`);
      at = found;
    }
  });

  it('takes every colour from the theme', async () => {
    const css = readFileSync(join(__dirname, '../../src/webview/panel.css'), 'utf8').replace(/\/\*[\s\S]*?\*\//g, '');
    const values = [...css.matchAll(/:\s*([^;{}]+);/g)].map((m) => m[1]);
    assert.ok(values.length > 100);
    const literal = values.filter((v) =>
      /#[0-9a-f]{3,8}\b|rgba?\(|hsla?\(|\b(white|black|red|green|blue|gray|grey|transparent)\b/i.test(v),
    );
    assert.deepEqual(literal, [], 'no literal colours');
    await panel.send(started(running('r1')));
    await panel.send(finished('r1', result()));
    await panel.frames();
    // Two themes, as VS Code sets them: variables on <html>, a class on <body>.
    for (const theme of [
      { cls: 'vscode-light', fg: 'rgb(51, 51, 51)', err: 'rgb(229, 20, 0)', link: 'rgb(0, 102, 184)' },
      { cls: 'vscode-high-contrast', fg: 'rgb(255, 255, 255)', err: 'rgb(244, 135, 113)', link: 'rgb(33, 167, 255)' },
    ]) {
      const colours = await panel.page.evaluate((t) => {
        const root = document.documentElement.style;
        root.setProperty('--vscode-foreground', t.fg);
        root.setProperty('--vscode-editorError-foreground', t.err);
        root.setProperty('--vscode-textLink-foreground', t.link);
        root.setProperty('--vscode-contrastBorder', t.err);
        document.body.className = t.cls;
        const [body, title, severity, run] = [
          ['body', 'color'],
          ['.finding-title', 'color'],
          ['.finding.severity-error', 'border-left-color'],
          ['.run', 'border-bottom-color'],
        ].map(([selector, property]) => getComputedStyle(document.querySelector(selector) as Element).getPropertyValue(property));
        return { body, title, severity, run };
      }, theme);
      assert.equal(colours.body, theme.fg);
      assert.equal(colours.title, theme.link);
      assert.equal(colours.severity, theme.err);
      if (theme.cls === 'vscode-high-contrast') assert.equal(colours.run, theme.err, 'high contrast draws contrast borders');
    }
  });
});

describe('Escape and first paint', () => {
  it('Escape cancels the running run with focus in the trace, on the Cancel button, or in the follow-up box', async () => {
    await panel.send(started(running('r1')));
    await panel.send(reasoningDelta('r1', 'Thinking about the loop bound.'));
    await panel.frames();
    await panel.clearPosted();
    await panel.page.locator('.trace-body').focus();
    await panel.page.keyboard.press('Escape');
    await panel.page.locator('vscode-button.cancel').focus();
    await panel.page.keyboard.press('Escape');
    await textarea().focus();
    await panel.page.keyboard.press('Escape');
    assert.deepEqual(await panel.posted(), [
      { type: 'cancelRun', runId: 'r1' },
      { type: 'cancelRun', runId: 'r1' },
      { type: 'cancelRun', runId: 'r1' },
    ]);
    await panel.send(finished('r1', result({ cancelled: true, findings: [] }), 'cancelled'));
    await panel.frames();
    await panel.clearPosted();
    await panel.page.keyboard.press('Escape');
    assert.deepEqual(await panel.posted(), [], 'Escape with nothing running sends nothing');
  });

  it('the document shows a loading line before its script runs', async () => {
    const html = await (await fetch(`${panel.origin}/panel.html`)).text();
    assert.match(html, /<main id="app"[^>]*><p class="panel-loading" role="status">Loading ThinkLens…<\/p><\/main>/);
    assert.equal(await panel.page.locator('.panel-loading').count(), 0, 'the script replaces the loading line');
  });

  it('says which findings were replaced by a newer run or cleared, instead of "No findings"', async () => {
    await panel.send(started(running('r1')));
    await panel.send(
      finished(
        'r1',
        result({
          findings: [finding('f1', { withdrawn: 'replaced', hasFix: false }), finding('f2', { withdrawn: 'cleared', hasFix: false })],
        }),
      ),
    );
    await panel.frames();
    assert.equal(await panel.page.locator('.no-findings').count(), 0);
    assert.equal(await panel.page.locator('li.finding').count(), 0, 'withdrawn findings are not listed as open');
    assert.match(await panel.page.locator('.findings-gone').innerText(), /1 replaced by a newer run.*1 cleared/);
  });
});

describe('the fix before it is applied', () => {
  it('shows the change as removed and added lines, and offers the refactor preview beside Apply fix', async () => {
    const fix = {
      startLine: 12,
      removed: '  for (let i = 0; i <= items.length; i++) {',
      added: '  for (let i = 0; i < items.length; i++) {',
    };
    await panel.send(started(running('r1')));
    await panel.send(finished('r1', result({ findings: [finding('f1', { fix })] })));
    await panel.frames();
    const diff = panel.page.locator('li.finding .fix-diff');
    assert.equal(await diff.locator('.diff-line.removed').count(), 1);
    assert.equal(await diff.locator('.diff-line.added').count(), 1);
    assert.match(await diff.locator('.diff-line.removed').innerText(), /12 −\s*for \(let i = 0; i <= items\.length; i\+\+\) \{/);
    assert.match(await diff.locator('.diff-line.added').innerText(), /\+\s*for \(let i = 0; i < items\.length; i\+\+\) \{/);
    assert.match((await diff.getAttribute('aria-label')) ?? '', /1 line removed, 1 added/);
    await panel.clearPosted();
    await panel.page.locator('vscode-button.preview-fix').click();
    await panel.page.locator('vscode-button.apply-fix').click();
    assert.deepEqual(await panel.posted(), [
      { type: 'previewFix', runId: 'r1', findingId: 'f1' },
      { type: 'applyFix', runId: 'r1', findingId: 'f1' },
    ]);
    await panel.send({ type: 'findings', runId: 'r1', findings: [finding('f1', { applied: true, hasFix: false })] });
    await panel.frames();
    assert.equal(await panel.page.locator('.fix-diff').count(), 0, 'an applied fix still shows its diff');
  });
});
