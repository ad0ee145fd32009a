// Renders a streaming markdown answer without re-rendering all of it on every update: text up to
// the last blank line outside a code fence is "settled", rendered once and appended; only the
// block still being written is rendered again. Each update scans only the lines it has not seen.
import { renderMarkdown } from './markdown';

const FENCE = /^ {0,3}(`{3,}|~{3,})(.*)$/;
/** A list item: after a blank line it may continue the list above, so no split before it. */
const LIST_ITEM = /^ {0,3}(?:[-+*]|\d{1,9}[.)])(?:[ \t]|$)/;

export class AnswerWriter {
  private readonly settledBox: HTMLElement;
  private readonly tailBox: HTMLElement;
  /** The source already rendered into `settledBox`. */
  private settledLength = 0;
  private settledSource = '';
  /** Scanning state over the text seen so far. */
  private scanPos = 0;
  private fence: { char: string; length: number } | undefined;
  /** Split points (offsets after a blank line) not yet settled. */
  private splits: number[] = [];
  /** After a blank line: a split there holds unless the next line continues a list (indented, or another item). */
  private pendingSplit: number | undefined;

  constructor(root: HTMLElement) {
    this.settledBox = document.createElement('div');
    this.tailBox = document.createElement('div');
    this.settledBox.className = 'answer-settled';
    this.tailBox.className = 'answer-tail';
    root.replaceChildren(this.settledBox, this.tailBox);
  }

  /**
   * Shows `text`, which usually extends the previous one. Renders about `budget` characters of new
   * settled blocks per call; returns true when more is left for another call (the next frame).
   */
  update(text: string, budget = Infinity): boolean {
    if (text.length < this.settledLength || !text.startsWith(this.settledSource)) this.reset();
    this.scan(text);
    const pending = this.splits.filter((s) => s > this.settledLength);
    if (pending.length) {
      // The furthest split within budget, and always at least one block.
      const within = pending.filter((s) => s - this.settledLength <= budget);
      const to = within.length ? within[within.length - 1] : pending[0];
      this.settledBox.append(renderMarkdown(text.slice(this.settledLength, to)));
      this.settledLength = to;
      this.settledSource = text.slice(0, to);
      this.splits = this.splits.filter((s) => s > to);
      if (this.splits.length) {
        this.tailBox.replaceChildren();
        return true;
      }
    }
    const tail = text.slice(this.settledLength);
    if (tail.trim()) this.tailBox.replaceChildren(renderMarkdown(tail));
    else this.tailBox.replaceChildren();
    return false;
  }

  clear(): void {
    this.reset();
  }

  private reset(): void {
    this.settledBox.replaceChildren();
    this.tailBox.replaceChildren();
    this.settledLength = 0;
    this.settledSource = '';
    this.scanPos = 0;
    this.fence = undefined;
    this.splits = [];
    this.pendingSplit = undefined;
  }

  /** Walks the complete lines not yet seen, tracking code fences and blank lines outside them. */
  private scan(text: string): void {
    const end = text.lastIndexOf('\n') + 1;
    while (this.scanPos < end) {
      const next = text.indexOf('\n', this.scanPos);
      const line = text.slice(this.scanPos, next);
      const start = this.scanPos;
      this.scanPos = next + 1;
      const fence = FENCE.exec(line);
      if (this.fence) {
        if (fence && fence[1][0] === this.fence.char && fence[1].length >= this.fence.length && !fence[2].trim()) this.fence = undefined;
        continue;
      }
      if (!line.trim()) {
        this.pendingSplit = this.scanPos;
        continue;
      }
      if (this.pendingSplit !== undefined && !/^[ \t]/.test(line) && !LIST_ITEM.test(line)) this.splits.push(start);
      this.pendingSplit = undefined;
      if (fence && !(fence[1][0] === '`' && fence[2].includes('`'))) this.fence = { char: fence[1][0], length: fence[1].length };
    }
  }
}
