// The panel's side of the finding memory, in real Chromium: findings dismissed before come back
// hidden and the card says how many; "Show N dismissed" (a pressed/unpressed toggle) asks the host
// to show them, and they are listed with Undismiss; each finding has Helpful / Not helpful toggles
// that post the mark and show the host's answer.
import { after, before, beforeEach, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { openPanel } from './panelHarness';
import { finding, finished, result, running, snapshot, started } from './fixtures';
import type { PanelPage } from './panelHarness';
import type { RunView } from '../../src/bridge/protocol';

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

const hiddenBefore = [
  finding('open', { title: 'Still open', fingerprint: 'f'.repeat(32) }),
  finding('old1', {
    title: 'Dismissed last week',
    fingerprint: 'a'.repeat(32),
    dismissed: true,
    dismissedBefore: true,
    range: { startLine: 20, endLine: 20 },
  }),
  finding('old2', {
    title: 'Dismissed yesterday',
    fingerprint: 'b'.repeat(32),
    dismissed: true,
    dismissedBefore: true,
    range: { startLine: 30, endLine: 30 },
  }),
];

async function showRun(findings = hiddenBefore): Promise<void> {
  await panel.send(started(running('r1')));
  await panel.send(finished('r1', result({ findings })));
  await panel.frames();
}

describe('dismissed before', () => {
  it('keeps findings dismissed before out of the list and says how many were hidden and why', async () => {
    await showRun();
    assert.deepEqual(await panel.page.locator('.finding-title').allInnerTexts(), ['Still open']);
    assert.match(await panel.page.locator('.findings-gone').innerText(), /2 hidden because you dismissed them before/);
    assert.equal(await panel.page.locator('.findings .section-title vscode-badge').innerText(), '1');
    const toggle = panel.page.getByRole('button', { name: 'Show 2 dismissed' });
    assert.equal(await toggle.getAttribute('aria-pressed'), 'false');
  });

  it('"Show N dismissed" asks the host; once shown they are listed, marked, with Undismiss; hiding is the same toggle', async () => {
    await showRun();
    await panel.clearPosted();
    await panel.page.getByRole('button', { name: 'Show 2 dismissed' }).click();
    assert.deepEqual(await panel.posted(), [{ type: 'showDismissed', show: true }]);
    // Nothing changes until the host says dismissed findings are shown (it also restores their diagnostics).
    assert.equal(await panel.page.locator('[data-finding-id="old1"]').count(), 0);

    await panel.send({ type: 'dismissedShown', show: true });
    await panel.frames();
    assert.deepEqual(await panel.page.locator('.finding-title').allInnerTexts(), [
      'Still open',
      'Dismissed last week',
      'Dismissed yesterday',
    ]);
    const old = panel.page.locator('[data-finding-id="old1"]');
    assert.match(await old.locator('.finding-dismissed').innerText(), /dismissed before/);
    assert.equal(await old.locator('vscode-button.dismiss').count(), 0, 'no Dismiss on a dismissed finding');
    const toggle = panel.page.getByRole('button', { name: 'Hide dismissed' });
    assert.equal(await toggle.getAttribute('aria-pressed'), 'true');

    await panel.clearPosted();
    await old.locator('vscode-button.undismiss').click();
    await toggle.click();
    assert.deepEqual(await panel.posted(), [
      { type: 'undismissFinding', runId: 'r1', findingId: 'old1' },
      { type: 'showDismissed', show: false },
    ]);
    await panel.send({ type: 'dismissedShown', show: false });
    await panel.frames();
    assert.equal(await panel.page.locator('[data-finding-id="old1"]').count(), 0, 'hidden again');
  });

  it('an undismissed finding comes back as an open finding with Dismiss', async () => {
    await showRun();
    await panel.send({
      type: 'findings',
      runId: 'r1',
      findings: [hiddenBefore[0]!, { ...hiddenBefore[1]!, dismissed: undefined, dismissedBefore: undefined }, hiddenBefore[2]!],
    });
    await panel.frames();
    assert.deepEqual(await panel.page.locator('.finding-title').allInnerTexts(), ['Still open', 'Dismissed last week']);
    assert.equal(await panel.page.locator('[data-finding-id="old1"] vscode-button.dismiss').count(), 1);
    assert.match(await panel.page.locator('.findings-gone').innerText(), /1 hidden because you dismissed it before/);
  });

  it('a finding dismissed in this run counts as dismissed, not as dismissed before', async () => {
    await showRun([finding('a'), finding('b', { dismissed: true })]);
    assert.match(await panel.page.locator('.findings-gone').innerText(), /^1 dismissed/);
    assert.doesNotMatch(await panel.page.locator('.findings-gone').innerText(), /before/);
    assert.equal(await panel.page.getByRole('button', { name: 'Show 1 dismissed' }).count(), 1);
  });

  it('a panel reloaded while dismissed findings are shown shows them (the snapshot says so)', async () => {
    const run: RunView = { ...running('r1'), status: 'done', result: result({ findings: hiddenBefore }) };
    await panel.send({ type: 'snapshot', snapshot: snapshot({ thread: [run], showDismissed: true }) });
    await panel.frames();
    assert.equal(await panel.page.locator('.finding').count(), 3);
    assert.equal(await panel.page.getByRole('button', { name: 'Hide dismissed' }).getAttribute('aria-pressed'), 'true');
  });
});

describe('feedback', () => {
  it('Helpful and Not helpful are toggles: each click posts the mark, a pressed one clears it', async () => {
    await showRun([finding('a', { fingerprint: 'c'.repeat(32) })]);
    const card = panel.page.locator('[data-finding-id="a"]');
    const helpful = card.getByRole('button', { name: 'Helpful', exact: true });
    const notHelpful = card.getByRole('button', { name: 'Not helpful' });
    assert.equal(await helpful.getAttribute('aria-pressed'), 'false');
    assert.equal(await notHelpful.getAttribute('aria-pressed'), 'false');
    await panel.clearPosted();
    await helpful.click();
    assert.deepEqual(await panel.posted(), [{ type: 'markFinding', runId: 'r1', findingId: 'a', mark: 'helpful' }]);

    await panel.send({ type: 'findings', runId: 'r1', findings: [finding('a', { fingerprint: 'c'.repeat(32), feedback: 'helpful' })] });
    await panel.frames();
    assert.equal(await card.getByRole('button', { name: 'Helpful', exact: true }).getAttribute('aria-pressed'), 'true');
    assert.equal(await card.getByRole('button', { name: 'Not helpful' }).getAttribute('aria-pressed'), 'false');
    await panel.clearPosted();
    await card.getByRole('button', { name: 'Helpful', exact: true }).click();
    await card.getByRole('button', { name: 'Not helpful' }).focus();
    await panel.page.keyboard.press('Enter');
    assert.deepEqual(await panel.posted(), [
      { type: 'markFinding', runId: 'r1', findingId: 'a', mark: 'none' },
      { type: 'markFinding', runId: 'r1', findingId: 'a', mark: 'not-helpful' },
    ]);
  });

  it('a run from an earlier session shows its mark but offers no buttons', async () => {
    const old: RunView = {
      ...running('old'),
      status: 'done',
      restored: true,
      result: result({ findings: [finding('a', { feedback: 'not-helpful' })] }),
    };
    await panel.send({ type: 'snapshot', snapshot: snapshot({ thread: [old] }) });
    await panel.frames();
    const card = panel.page.locator('[data-finding-id="a"]');
    assert.equal(await card.locator('.feedback button').count(), 0);
    assert.match(await card.locator('.feedback').innerText(), /Marked not helpful/);
  });
});
