// A run's answer as it streams: the prose only (the JSON block is hidden from where it starts and
// a "Preparing findings…" line shown instead), re-rendered at most every 120 ms, or less often when
// rendering gets costly, and within a per-frame budget of new blocks. Once findings carry the
// conclusion (with the summary above them), the prose folds behind a "Full answer" toggle, so
// the same conclusion is not shown three times; it stays one click away.
import { el, icon } from '../dom';
import { AnswerWriter } from '../answerWriter';
import { AnswerBlockScanner } from '../../bridge/protocol';

const ANSWER_RENDER_INTERVAL_MS = 120;
/** New answer blocks rendered per frame (highlighting is the costly part). */
const MAX_ANSWER_CHARS_PER_FRAME = 1_000;

export class AnswerStream {
  readonly answerBox: HTMLElement;
  readonly preparing: HTMLElement;
  /** Opens the folded prose of a finished answer. */
  readonly toggle: HTMLButtonElement;
  private readonly writer: AnswerWriter;
  private readonly blockScanner = new AnswerBlockScanner();
  private blockAt: number | undefined;
  /** Text changed since the last render. */
  private dirty = true;
  /** Settled blocks still waiting to be rendered. */
  private backlog = false;
  private lastRender = 0;
  private lastCost = 0;
  private timer: ReturnType<typeof setTimeout> | undefined;
  private hasText = false;
  private folds = false;
  /** The person opened the folded prose. */
  private opened = false;

  constructor(
    /** Ask for a `flush` call on the next animation frame. */
    private readonly requestFrame: () => void,
    answerId: string,
  ) {
    this.answerBox = el('div', { className: 'answer markdown', attrs: { 'aria-label': 'Answer' } });
    this.writer = new AnswerWriter(this.answerBox);
    this.preparing = el('p', { className: 'muted preparing' }, icon('loading'), ' Preparing findings…');
    this.answerBox.id = answerId;
    this.toggle = el(
      'button',
      { className: 'answer-toggle', attrs: { type: 'button', 'aria-controls': this.answerBox.id, 'aria-expanded': 'false' } },
      icon('chevron-right'),
      el('span', {}, 'Full answer'),
    );
    this.toggle.addEventListener('click', () => {
      this.opened = !this.opened;
      this.applyFold();
    });
    this.toggle.hidden = true;
  }

  /** Text received or rendered late: the answer on screen is not final yet. */
  get busy(): boolean {
    return this.dirty || this.backlog;
  }

  changed(): void {
    this.dirty = true;
  }

  /**
   * Renders what the answer shows now, unless the render interval has not passed while the run
   * streams (then a frame is asked for once it has). True when it rendered.
   */
  flush(shown: AnswerShown): boolean {
    if (!this.dirty) return false;
    // Re-rendering the tail costs more as it grows: keep it under a fifth of the time.
    const interval = Math.max(ANSWER_RENDER_INTERVAL_MS, this.lastCost * 5);
    const wait = interval - (performance.now() - this.lastRender);
    if (!shown.streaming || wait <= 0 || this.backlog) {
      this.render(shown, MAX_ANSWER_CHARS_PER_FRAME);
      return true;
    }
    if (this.timer === undefined) {
      this.timer = setTimeout(() => {
        this.timer = undefined;
        this.requestFrame();
      }, wait);
    }
    return false;
  }

  /** Renders all of it now (a card built from a saved run). */
  renderAll(shown: AnswerShown): void {
    this.render(shown, Infinity);
  }

  destroy(): void {
    if (this.timer !== undefined) clearTimeout(this.timer);
  }

  private render(shown: AnswerShown, budget: number): void {
    const started = performance.now();
    this.dirty = false;
    this.lastRender = started;
    const text = shown.final ?? this.streamingProse(shown.answer);
    this.hasText = text.trim().length > 0;
    this.folds = shown.folds === true;
    this.applyFold();
    this.backlog = this.writer.update(text, budget);
    if (this.backlog) {
      this.dirty = true;
      this.requestFrame();
    }
    this.preparing.hidden = !(shown.streaming && this.blockAt !== undefined);
    this.lastCost = performance.now() - started;
  }

  private applyFold(): void {
    const folded = this.folds && !this.opened;
    this.toggle.hidden = !this.hasText || !this.folds;
    this.toggle.setAttribute('aria-expanded', String(!folded));
    this.toggle.firstElementChild?.classList.toggle('codicon-chevron-down', !folded);
    this.toggle.firstElementChild?.classList.toggle('codicon-chevron-right', folded);
    this.answerBox.hidden = !this.hasText || folded;
  }

  /** The answer so far without its JSON block, which the findings will show. */
  private streamingProse(answer: string): string {
    this.blockAt ??= this.blockScanner.blockStart(answer);
    let visible = this.blockAt === undefined ? answer : answer.slice(0, this.blockAt);
    // A fence line still being written would flash as an empty code block.
    const lastLine = visible.lastIndexOf('\n');
    if (/^[ \t]*(```|~~~)/.test(visible.slice(lastLine + 1))) visible = visible.slice(0, lastLine + 1);
    return visible;
  }
}

export interface AnswerShown {
  /** The run is still streaming. */
  readonly streaming: boolean;
  /** The raw answer so far. */
  readonly answer: string;
  /** Once the run ended: the text to show in its place (the prose around the findings). */
  readonly final?: string;
  /** The findings and summary say it already: fold the prose behind "Full answer". */
  readonly folds?: boolean;
}
