// Host and panel together: the real PanelSession (what ReviewPanel runs inside VS Code) talking to
// the built panel in Chromium. Covers the handshake end to end, coalescing, the snapshot after the
// view is hidden and shown again, and the panel's buttons reaching the extension's handlers.
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { PanelSession } from '../../src/extension/panel/panelSession';
import { openPanel } from './panelHarness';
import { finding, header, result } from './fixtures';
import type { PanelPage } from './panelHarness';
import type { PanelSessionEvents } from '../../src/extension/panel/panelSession';
import type { HostToWebview } from '../../src/bridge/protocol';

const calls: string[] = [];
const record =
  (name: string) =>
  (...args: unknown[]) =>
    void calls.push([name, ...args].join(' '));
const events: PanelSessionEvents = {
  revealFinding: record('revealFinding'),
  applyFix: record('applyFix'),
  previewFix: record('previewFix'),
  dismissFinding: record('dismissFinding'),
  undismissFinding: record('undismissFinding'),
  markFinding: record('markFinding'),
  showDismissed: record('showDismissed'),
  cancelRun: record('cancelRun'),
  answerNow: record('answerNow'),
  rerun: record('rerun'),
  useBaseUrl: record('useBaseUrl'),
  followUp: record('followUp'),
  runCommand: (command: string, backend?: string) => calls.push(['runCommand', command, backend].filter(Boolean).join(' ')),
  exportRun: record('exportRun'),
  openLink: record('openLink'),
  openLocation: record('openLocation'),
  rejected: record('rejected'),
  unsendable: record('unsendable'),
  historyChanged: () => undefined,
};

let panel: PanelPage;
/** The panel says ready while it loads, before `openPanel` returns. */
let opening: Promise<PanelPage>;
const session = new PanelSession(events);
const posts: HostToWebview[] = [];
let delivery: Promise<void> = Promise.resolve();

/** Messages reach the page in order, as VS Code's postMessage guarantees. */
function attach(): void {
  session.attach((message) => {
    posts.push(message);
    delivery = delivery.then(async () => (await opening).send(message));
  });
}

async function settled(): Promise<void> {
  await new Promise((ok) => setTimeout(ok, 40)); // past the coalescing interval
  await delivery;
  await panel.frames();
}

before(async () => {
  attach();
  opening = openPanel({ onPost: (message) => session.receive(message) });
  panel = await opening;
  await settled();
});

after(async () => {
  session.dispose();
  await panel?.close();
});

describe('PanelSession with the real panel', () => {
  it('answers ready with a snapshot and streams with at most one post per frame', async () => {
    assert.equal(posts[0]?.type, 'snapshot', 'the first thing the host sends is the snapshot');
    assert.equal(posts.length, 1);
    session.startRun(header('s1', { title: 'Streaming run' }));
    const words: string[] = [];
    const started = Date.now();
    for (let i = 0; i < 600; i++) {
      const word = `w${i} `;
      words.push(word);
      session.appendReasoning('s1', word);
      if (i % 20 === 19) await new Promise((ok) => setTimeout(ok, 5));
    }
    const elapsed = Date.now() - started;
    await settled();
    const deltaPosts = posts.filter((m) => m.type === 'deltas').length;
    assert.ok(deltaPosts <= Math.ceil(elapsed / 16) + 2, `${deltaPosts} delta posts in ${elapsed} ms`);
    assert.ok(deltaPosts < 60, 'far fewer posts than tokens');
    const trace = await panel.page.locator('.trace-body').textContent();
    assert.equal(trace, words.join('').trimEnd() + ' ', 'every token arrived once, in order');
  });

  it('after the view is hidden and shown, the new document gets the whole run once', async () => {
    session.detach(); // VS Code unloads a hidden view that is not retained
    for (let i = 600; i < 700; i++) session.appendReasoning('s1', `w${i} `);
    session.appendAnswer('s1', 'The loop bound is wrong.');
    await panel.reload(); // says ready again
    await settled();
    const trace = (await panel.page.locator('.trace-body').textContent()) ?? '';
    assert.ok(trace.startsWith('w0 w1 ') && trace.includes('w699 '));
    assert.equal(trace.match(/ w650 /g)?.length, 1, 'no text twice');
    assert.equal(posts[posts.length - 1].type, 'snapshot');
    session.finishRun('s1', result({ findings: [finding('f1'), finding('f2', { title: 'Other' })] }));
    await settled();
    assert.match(await panel.page.locator('.status-text').innerText(), /Done in/);
  });

  it('passes the panel’s buttons to the extension’s handlers, checked', async () => {
    calls.length = 0;
    await panel.page.locator('[data-finding-id="f2"] .finding-title').click();
    await panel.page.locator('[data-finding-id="f2"] vscode-button.apply-fix').click();
    await panel.page.locator('[data-finding-id="f1"] vscode-button.dismiss').click();
    await panel.page.locator('.follow-up-input textarea').fill('What if items is empty?');
    await panel.page.locator('.follow-up-input textarea').press('Enter');
    await panel.page.getByRole('button', { name: 'Show log' }).click();
    await panel.page.getByRole('button', { name: 'Run again' }).click();
    await panel.page.waitForFunction(() => (window as unknown as { __posted: unknown[] }).__posted.length >= 6);
    await new Promise((ok) => setTimeout(ok, 50));
    assert.deepEqual(calls, [
      'revealFinding s1 f2',
      'applyFix s1 f2',
      'dismissFinding s1 f1',
      'followUp s1 What if items is empty?',
      'runCommand thinklens.showLog',
      'rerun s1',
    ]);
  });

  it('shows a follow-up in the same conversation and unlocks the box when it ends', async () => {
    session.startRun(header('s2', { kind: 'follow-up', parentRunId: 's1', title: 'What if items is empty?' }));
    session.appendReasoning('s2', 'Empty array: the loop never runs.');
    await settled();
    assert.deepEqual(await panel.page.locator('article.run').evaluateAll((els) => els.map((e) => e.getAttribute('data-run-id'))), [
      's1',
      's2',
    ]);
    assert.equal(await panel.page.locator('.follow-up-input').evaluate((el) => el.hasAttribute('disabled')), true);
    session.finishRun('s2', result({ findings: [], summary: 'It returns 0.', prose: 'It returns 0.' }));
    await settled();
    assert.equal(await panel.page.locator('.follow-up-input').evaluate((el) => el.hasAttribute('disabled')), false);
    assert.equal(await panel.page.locator('.history-item').count(), 1, 'one conversation in history');
    assert.match(await panel.page.locator('.history-item').innerText(), /1 follow-up/);
  });
  it('the error card\'s "Use …/v1" asks the host to use the address of the run\'s own error (the panel sends no address)', async () => {
    session.startRun(header('s9', { title: 'Explain: cart.ts:9-15' }));
    session.finishRun(
      's9',
      result({
        findings: [],
        error: {
          kind: 'setup',
          message: 'OpenAI-compatible server answered 404 at http://127.0.0.1:11434, but answers at http://127.0.0.1:11434/v1.',
          actions: [{ label: 'Use http://127.0.0.1:11434/v1', command: 'use-base-url' }],
        },
      }),
    );
    await settled();
    calls.length = 0;
    await panel.page.getByRole('button', { name: 'Use http://127.0.0.1:11434/v1' }).click();
    await panel.page.waitForFunction(() =>
      (window as unknown as { __posted: { type: string }[] }).__posted.some((m) => m.type === 'useBaseUrl'),
    );
    await new Promise((ok) => setTimeout(ok, 50));
    assert.deepEqual(calls, ['useBaseUrl s9']);
  });
});
