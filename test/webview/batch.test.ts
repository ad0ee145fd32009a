// The overview of a review over several files, in real Chromium: one row per file with its state and
// findings, shown while one of its runs is on screen, each row opening its file's run.
import { ignoredPanelEvents } from '../support/panelEvents';
import { after, before, beforeEach, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { openPanel } from './panelHarness';
import { finished, result, running, snapshot, started } from './fixtures';
import type { PanelPage } from './panelHarness';
import { PanelSession } from '../../src/extension/panel/panelSession';
import type { BatchView, HostToWebview } from '../../src/bridge/protocol';

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

const file = (path: string) => ({ uri: `file:///work/${path}`, path });

function batch(files: BatchView['files']): HostToWebview {
  return { type: 'batch', batch: { id: 'b1', title: 'Review staged changes', startedAt: Date.now(), files } };
}

const rows = () =>
  panel.page.locator('.batch-file').evaluateAll((els) => els.map((e) => `${e.getAttribute('data-state')} ${e.textContent}`));

describe('review over several files', () => {
  it('lists each file with its state and findings, and follows the review as it moves on', async () => {
    await panel.send({ type: 'snapshot', snapshot: snapshot() });
    await panel.send(started(running('a', { kind: 'review', title: 'Review staged changes: src/a.ts' })));
    await panel.send(
      batch([
        { file: file('src/a.ts'), state: 'running', findings: 0, runId: 'a' },
        { file: file('src/b.ts'), state: 'queued', findings: 0 },
        { file: file('src/c.ts'), state: 'queued', findings: 0 },
      ]),
    );
    await panel.frames();
    assert.match(await panel.page.locator('.batch-head').innerText(), /Review staged changes\s+3 files: 1 running, 2 queued · 0 findings/);
    assert.deepEqual(await rows(), ['running src/a.tsrunning', 'queued src/b.tsqueued', 'queued src/c.tsqueued']);
    assert.equal(
      await panel.page.locator('.batch-file[aria-current=true]').getAttribute('data-run-id'),
      'a',
      'the run on screen is marked',
    );
    assert.equal(
      await panel.page.locator('.batch-file[data-state=queued]').first().isDisabled(),
      true,
      'a file not started yet opens nothing',
    );

    await panel.send(finished('a', result()));
    await panel.send(started(running('b', { kind: 'review', title: 'Review staged changes: src/b.ts' })));
    await panel.send(
      batch([
        { file: file('src/a.ts'), state: 'done', findings: 1, runId: 'a' },
        { file: file('src/b.ts'), state: 'running', findings: 0, runId: 'b' },
        { file: file('src/c.ts'), state: 'failed', findings: 0 },
      ]),
    );
    await panel.frames();
    assert.deepEqual(await rows(), ['done src/a.ts1 finding', 'running src/b.tsrunning', 'failed src/c.tsfailed']);
    assert.match(await panel.page.locator('.batch-summary').innerText(), /3 files: 1 done, 1 running, 1 failed · 1 finding/);

    await panel.clearPosted();
    await panel.page.locator('.batch-file[data-run-id=a]').click();
    assert.deepEqual(await panel.posted(), [{ type: 'openThread', threadId: 'a' }], 'a row opens its own run, not only the last one');
  });

  it('is not shown beside a run outside the review, and comes back with a snapshot', async () => {
    const view = batch([{ file: file('src/a.ts'), state: 'done', findings: 2, runId: 'a' }]);
    await panel.send({ type: 'snapshot', snapshot: snapshot({ thread: [running('other')] }) });
    await panel.send(view);
    await panel.frames();
    assert.equal(await panel.page.locator('.batch').count(), 0);
    const b = (view as Extract<HostToWebview, { type: 'batch' }>).batch;
    await panel.send({ type: 'snapshot', snapshot: snapshot({ thread: [running('a')], batches: [b] }) });
    await panel.frames();
    assert.equal(await panel.page.locator('.batch').count(), 1);
    assert.deepEqual(await rows(), ['done src/a.ts2 findings']);
  });
});

describe('the host keeps the overviews', () => {
  it('sends each change of a review at once and keeps the newest five for the next snapshot', () => {
    const events = ignoredPanelEvents();
    const session = new PanelSession(events, { frameMs: 0 });
    const sent: HostToWebview[] = [];
    session.attach((m) => sent.push(m));
    session.receive({ type: 'ready' });
    const view = (id: string, state: 'queued' | 'done'): BatchView => ({
      id,
      title: 'Review files',
      startedAt: 1,
      files: [{ file: file('a.ts'), state, findings: 0 }],
    });
    session.setBatch(view('b0', 'queued'));
    session.setBatch(view('b0', 'done'));
    assert.deepEqual(
      sent.filter((m) => m.type === 'batch').map((m) => m.type === 'batch' && m.batch.files[0]!.state),
      ['queued', 'done'],
    );
    for (let i = 1; i <= 6; i++) session.setBatch(view(`b${i}`, 'done'));
    const kept = session.model.snapshot('expanded', undefined).batches ?? [];
    assert.deepEqual(
      kept.map((b) => b.id),
      ['b2', 'b3', 'b4', 'b5', 'b6'],
    );
  });
});
