// A run's reasoning: the fold header with its statistics, the live trace (appended a bounded
// amount per frame, following the bottom until the person scrolls up), and the note on a trace
// shortened for storage.
import { el, icon, setText } from '../dom';
import { StickyScroll } from '../stickyScroll';
import { TraceWriter } from '../traceWriter';
import type { ScrollState } from '../stickyScroll';

/** About 750 tokens: far above any real stream's rate per frame, low enough to keep a frame short. */
const MAX_TRACE_CHARS_PER_FRAME = 3_000;

export class TraceSection {
  readonly element: HTMLElement;
  private readonly toggle: HTMLButtonElement;
  private readonly stats: HTMLElement;
  private readonly body: HTMLElement;
  private readonly note: HTMLElement;
  /** Above the trace: the sample switcher and the evidence bar (traceNavigator.ts). */
  readonly tools: HTMLElement;
  private readonly writer: TraceWriter;
  private readonly scroll: StickyScroll;
  /** Text received but not yet written. */
  private pending: string[] = [];
  private ended = false;

  constructor(
    bodyId: string,
    title: string,
    initialScroll: ScrollState | undefined,
    /** The person opened or closed the trace with its header. */
    onToggle: (open: boolean) => void,
  ) {
    this.stats = el('span', { className: 'trace-stats' });
    this.toggle = el(
      'button',
      { className: 'trace-toggle', attrs: { type: 'button', 'aria-controls': bodyId, 'aria-expanded': 'false' } },
      icon('chevron-right'),
      el('span', { className: 'trace-label' }, 'Reasoning'),
      this.stats,
    );
    this.toggle.addEventListener('click', () => {
      const open = this.toggle.getAttribute('aria-expanded') !== 'true';
      this.setOpen(open);
      onToggle(open);
    });
    // Not a live region: a screen reader must not read the trace token by token.
    this.body = el('div', {
      className: 'trace-body',
      id: bodyId,
      attrs: { role: 'region', 'aria-label': `Reasoning for ${title}`, tabindex: '0' },
    });
    this.note = el('p', { className: 'trace-note muted' });
    this.tools = el('div', { className: 'trace-tools' });
    this.element = el('section', { className: 'trace' }, this.toggle, this.tools, this.body, this.note);
    this.scroll = new StickyScroll(this.body, initialScroll);
    this.writer = new TraceWriter(this.body, () => this.scroll.contentGrew());
  }

  /** Text still queued or the end not yet written: the trace is not final on screen. */
  get busy(): boolean {
    return this.pending.length > 0 || !this.ended;
  }

  get hasBacklog(): boolean {
    return this.pending.length > 0;
  }

  /** Writes a restored (or already complete) trace at once. */
  writeAll(text: string, complete: boolean): void {
    this.writer.append(text);
    if (complete) {
      this.writer.end();
      this.ended = true;
    }
  }

  /** Shows another complete trace in place of this one (another sample's). */
  replaceAll(text: string): void {
    this.pending = [];
    this.writer.clear();
    this.writeAll(text, true);
  }

  /** Writes everything still queued now (a passage is about to be looked up), ending the trace if the run ended. */
  writeBacklog(runEnded: boolean): void {
    while (this.pending.length) this.flush(runEnded);
    this.flush(runEnded);
  }

  /** The DOM range showing reasoning characters [start, end) of the trace on screen, if any is shown. */
  rangeOf(start: number, end: number): Range | undefined {
    return this.writer.rangeOf(start, end);
  }

  get isOpen(): boolean {
    return !this.element.hidden && !this.body.hidden;
  }

  /** Queues streamed text for the next frames. */
  queue(text: string): void {
    this.pending.push(text);
  }

  /**
   * Writes up to a frame's budget of queued text, and the trace's end once the run stopped and
   * nothing is queued. Returns true when text is left for another frame.
   */
  flush(runEnded: boolean): boolean {
    if (this.pending.length) {
      const pending = this.pending.length === 1 ? this.pending[0]! : this.pending.join('');
      const now = pending.slice(0, MAX_TRACE_CHARS_PER_FRAME);
      this.pending = now.length < pending.length ? [pending.slice(now.length)] : [];
      this.writer.append(now);
      this.scroll.contentGrew();
    }
    if (runEnded && !this.pending.length && !this.ended) {
      this.writer.end();
      this.scroll.contentGrew();
      this.ended = true;
    }
    return this.pending.length > 0;
  }

  setStats(text: string): void {
    setText(this.stats, text);
  }

  setHidden(hidden: boolean): void {
    this.element.hidden = hidden;
  }

  setNote(text: string): void {
    this.note.hidden = text === '';
    setText(this.note, text);
  }

  setOpen(open: boolean): void {
    const wasOpen = !this.body.hidden && this.toggle.getAttribute('aria-expanded') === 'true';
    if (open === wasOpen && this.toggle.hasAttribute('data-ready')) return;
    this.toggle.setAttribute('data-ready', '');
    this.toggle.setAttribute('aria-expanded', String(open));
    this.toggle.firstElementChild?.classList.toggle('codicon-chevron-down', open);
    this.toggle.firstElementChild?.classList.toggle('codicon-chevron-right', !open);
    if (open) {
      this.body.hidden = false;
      this.scroll.resume();
    } else {
      this.scroll.suspend();
      this.body.hidden = true;
    }
  }

  /** Call once in the document: a detached box cannot take its scroll position. */
  attached(): void {
    if (!this.body.hidden) this.scroll.resume();
  }

  scrollState(): ScrollState {
    return this.scroll.state();
  }
}
