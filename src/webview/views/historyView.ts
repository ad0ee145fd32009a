// Recent conversations, newest first; choosing one puts it on screen.
import { el, icon } from '../dom';
import { formatTime } from '../format';
import type { HistoryEntry, RunStatus, WebviewToHost } from '../../bridge/protocol';

const STATUS_ICON: Record<RunStatus, string> = {
  running: 'loading',
  done: 'pass',
  error: 'error',
  cancelled: 'circle-slash',
  interrupted: 'debug-disconnect',
};

export function renderHistory(
  entries: readonly HistoryEntry[],
  shownThreadId: string | undefined,
  post: (message: WebviewToHost) => void,
): HTMLElement {
  if (!entries.length) return el('p', { className: 'muted history-empty' }, 'No runs yet.');
  return el(
    'ul',
    { className: 'history-list', attrs: { role: 'list' } },
    ...entries.map((entry) => {
      const current = entry.threadId === shownThreadId;
      const details = [
        entry.file?.path,
        formatTime(entry.startedAt),
        entry.findings ? `${entry.findings} finding${entry.findings === 1 ? '' : 's'}` : undefined,
        entry.runs > 1 ? `${entry.runs - 1} follow-up${entry.runs === 2 ? '' : 's'}` : undefined,
      ].filter(Boolean);
      const item = el(
        'button',
        {
          className: `history-item${current ? ' current' : ''}`,
          attrs: { type: 'button', 'aria-current': current ? 'true' : undefined, 'data-thread-id': entry.threadId },
        },
        icon(STATUS_ICON[entry.status], entry.status),
        el('span', { className: 'history-title' }, entry.title),
        el('span', { className: 'history-details muted' }, details.join(' · ')),
      );
      item.addEventListener('click', () => post({ type: 'openThread', threadId: entry.threadId }));
      return el('li', {}, item);
    }),
  );
}
