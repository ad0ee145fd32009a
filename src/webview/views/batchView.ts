// The overview of a review over several files: one row per file with its state and findings;
// choosing a row puts that file's run on screen.
import { el, icon } from '../dom';
import type { BatchFileState, BatchView, WebviewToHost } from '../../bridge/protocol';

const STATE_ICON: Record<BatchFileState, string> = {
  queued: 'clock',
  running: 'loading',
  done: 'pass',
  failed: 'error',
  cancelled: 'circle-slash',
};

/** "3 files: 1 done, 1 running, 1 queued · 4 findings" */
export function batchSummary(batch: BatchView): string {
  const counts = new Map<BatchFileState, number>();
  for (const f of batch.files) counts.set(f.state, (counts.get(f.state) ?? 0) + 1);
  const states = (['done', 'running', 'queued', 'failed', 'cancelled'] as const)
    .filter((s) => counts.get(s))
    .map((s) => `${counts.get(s)} ${s}`);
  const findings = batch.files.reduce((n, f) => n + f.findings, 0);
  const files = `${batch.files.length} file${batch.files.length === 1 ? '' : 's'}`;
  return `${files}: ${states.join(', ')} · ${findings} finding${findings === 1 ? '' : 's'}`;
}

export function renderBatch(batch: BatchView, shownRunId: string | undefined, post: (message: WebviewToHost) => void): HTMLElement {
  const summary = batchSummary(batch);
  const rows = batch.files.map((f) => {
    const current = f.runId !== undefined && f.runId === shownRunId;
    const findings = f.state === 'done' ? `${f.findings} finding${f.findings === 1 ? '' : 's'}` : f.state;
    const row = el(
      'button',
      {
        className: `history-item batch-file${current ? ' current' : ''}`,
        attrs: {
          type: 'button',
          'data-state': f.state,
          'data-run-id': f.runId,
          'aria-current': current ? 'true' : undefined,
          disabled: f.runId === undefined,
          title: f.runId === undefined ? `${f.file.path}: not started yet` : `Show the review of ${f.file.path}`,
        },
      },
      icon(STATE_ICON[f.state], f.state),
      el('span', { className: 'history-title' }, f.file.path),
      el('span', { className: 'history-details muted batch-file-result' }, findings),
    );
    const runId = f.runId;
    if (runId !== undefined) row.addEventListener('click', () => post({ type: 'openThread', threadId: runId }));
    return el('li', {}, row);
  });
  return el(
    'section',
    { className: 'batch', attrs: { 'aria-label': `${batch.title}: ${summary}`, 'data-batch-id': batch.id } },
    el('div', { className: 'batch-head' }, el('strong', {}, batch.title), ' ', el('span', { className: 'muted batch-summary' }, summary)),
    el('ul', { className: 'history-list batch-list', attrs: { role: 'list' } }, ...rows),
  );
}
