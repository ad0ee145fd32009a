// A run's answer as it streams: the prose only (the JSON block is hidden from where it starts and
// a "Preparing findings…" line shown instead), re-rendered at most every 120 ms, or less often when
// rendering gets costly, and within a per-frame budget of new blocks.
import { el, icon } from '../dom';
import { AnswerWriter } from '../answerWriter';
import { AnswerBlockScanner } from '../../bridge/protocol';

const ANSWER_RENDER_INTERVAL_MS = 120;
/** New answer blocks rendered per frame (highlighting is the costly part). */
const MAX_ANSWER_CHARS_PER_FRAME = 1_000;

export class AnswerStream {
  readonly answerBox: HTMLElement;
  readonly preparing: HTMLElement;
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

  constructor(
    /** Ask for a `flush` call on the next animation frame. */
    private readonly requestFrame: () => void,
  ) {
    this.answerBox = el('div', { className: 'answer markdown', attrs: { 'aria-label': 'Answer' } });
    this.writer = new AnswerWriter(this.answerBox);
    this.preparing = el('p', { className: 'muted preparing' }, icon('loading'), ' Preparing findings…');
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
   * streams (then a frame is asked for once it has).
   */
  flush(shown: AnswerShown): void {
    if (!this.dirty) return;
    // Re-rendering the tail costs more as it grows: keep it under a fifth of the time.
    const interval = Math.max(ANSWER_RENDER_INTERVAL_MS, this.lastCost * 5);
    const wait = interval - (performance.now() - this.lastRender);
    if (!shown.streaming || wait <= 0 || this.backlog) this.render(shown, MAX_ANSWER_CHARS_PER_FRAME);
    else if (this.timer === undefined) {
      this.timer = setTimeout(() => {
        this.timer = undefined;
        this.requestFrame();
      }, wait);
    }
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
    this.answerBox.hidden = text.trim().length === 0;
    this.backlog = this.writer.update(text, budget);
    if (this.backlog) {
      this.dirty = true;
      this.requestFrame();
    }
    this.preparing.hidden = !(shown.streaming && this.blockAt !== undefined);
    this.lastCost = performance.now() - started;
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
}
