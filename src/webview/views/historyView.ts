// Recent conversations, newest first, shown by the view's title-bar History button; choosing one
// puts it on screen. One Tab stop: the arrow keys, Home and End move inside the list (a roving
// tabindex, as VS Code's lists do). Runs that failed or were cancelled without findings sit
// behind one "N failed or cancelled" row, so they do not crowd out the runs that answered.
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

/** The key of the row that folds the failed runs away. */
const FAILED_TOGGLE = 'failed-runs';

/** A run that left nothing to look at. */
export function isFailedEntry(entry: HistoryEntry): boolean {
  return entry.status !== 'done' && entry.status !== 'running' && entry.findings === 0;
}

export class HistoryList {
  readonly element: HTMLElement;
  private entries: readonly HistoryEntry[] = [];
  private shownThreadId: string | undefined;
  private failedOpen = false;
  /** The item that holds the list's one Tab stop (a thread id, or FAILED_TOGGLE). */
  private active: string | undefined;

  constructor(
    private readonly post: (message: WebviewToHost) => void,
    /** Called after the person chose a conversation. */
    private readonly chosen: () => void,
  ) {
    this.element = el('div', { className: 'history-box' });
    this.element.addEventListener('keydown', (event) => this.onKey(event));
  }

  update(entries: readonly HistoryEntry[], shownThreadId: string | undefined): void {
    this.entries = entries;
    this.shownThreadId = shownThreadId;
    this.render();
  }

  /** Moves focus into the list: to the item that has the Tab stop. */
  focus(): void {
    this.items()[this.activeIndex()]?.focus();
  }

  private render(): void {
    const hadFocus = this.element.contains(document.activeElement);
    if (!this.entries.length) {
      this.element.replaceChildren(el('p', { className: 'muted history-empty' }, 'No runs yet.'));
      return;
    }
    const answered = this.entries.filter((e) => !isFailedEntry(e));
    const failed = this.entries.filter(isFailedEntry);
    const rows: HTMLElement[] = answered.map((entry) => this.entryRow(entry));
    if (failed.length) {
      const toggle = el(
        'button',
        {
          className: 'history-item history-failed-toggle',
          attrs: { type: 'button', 'aria-expanded': String(this.failedOpen), 'data-key': FAILED_TOGGLE },
        },
        icon(this.failedOpen ? 'chevron-down' : 'chevron-right'),
        el('span', { className: 'history-title muted' }, `${failed.length} failed or cancelled`),
      );
      toggle.addEventListener('click', () => {
        this.failedOpen = !this.failedOpen;
        this.active = FAILED_TOGGLE;
        this.render();
        this.focus();
      });
      rows.push(el('li', {}, toggle));
      if (this.failedOpen) rows.push(...failed.map((entry) => this.entryRow(entry)));
    }
    this.element.replaceChildren(el('ul', { className: 'history-list', attrs: { role: 'list', 'aria-label': 'Recent runs' } }, ...rows));
    const items = this.items();
    const index = this.activeIndex();
    items.forEach((item, i) => item.setAttribute('tabindex', i === index ? '0' : '-1'));
    if (hadFocus) items[index]?.focus();
  }

  private entryRow(entry: HistoryEntry): HTMLElement {
    const current = entry.threadId === this.shownThreadId;
    const details = [
      entry.file?.path,
      formatTime(entry.startedAt),
      entry.findings ? `${entry.findings} finding${entry.findings === 1 ? '' : 's'}` : undefined,
      entry.runs > 1 ? `${entry.runs - 1} follow-up${entry.runs === 2 ? '' : 's'}` : undefined,
    ].filter(Boolean);
    const item = el(
      'button',
      {
        className: `history-item${current ? ' current' : ''}${isFailedEntry(entry) ? ' failed' : ''}`,
        attrs: {
          type: 'button',
          'aria-current': current ? 'true' : undefined,
          'data-thread-id': entry.threadId,
          'data-key': entry.threadId,
        },
      },
      icon(STATUS_ICON[entry.status], entry.status),
      el('span', { className: 'history-title' }, entry.title),
      el('span', { className: 'history-details muted' }, details.join(' · ')),
    );
    item.addEventListener('click', () => {
      this.active = entry.threadId;
      this.post({ type: 'openThread', threadId: entry.threadId });
      this.chosen();
    });
    return el('li', {}, item);
  }

  private items(): HTMLElement[] {
    return [...this.element.querySelectorAll<HTMLElement>('.history-item')];
  }

  /** The remembered item if it is still listed, else the conversation on screen, else the first. */
  private activeIndex(): number {
    const keys = this.items().map((item) => item.getAttribute('data-key'));
    const at = this.active === undefined ? -1 : keys.indexOf(this.active);
    if (at >= 0) return at;
    const shown = this.shownThreadId === undefined ? -1 : keys.indexOf(this.shownThreadId);
    return Math.max(0, shown);
  }

  private onKey(event: KeyboardEvent): void {
    const items = this.items();
    const from = items.indexOf(event.target as HTMLElement);
    if (from < 0) return;
    let to: number;
    switch (event.key) {
      case 'ArrowDown':
        to = Math.min(items.length - 1, from + 1);
        break;
      case 'ArrowUp':
        to = Math.max(0, from - 1);
        break;
      case 'Home':
        to = 0;
        break;
      case 'End':
        to = items.length - 1;
        break;
      default:
        return;
    }
    event.preventDefault();
    items[from]!.setAttribute('tabindex', '-1');
    items[to]!.setAttribute('tabindex', '0');
    items[to]!.focus();
    this.active = items[to]!.getAttribute('data-key') ?? undefined;
  }
}
