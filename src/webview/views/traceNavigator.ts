// Moves between a run's findings and its reasoning: "Why" opens the trace of the sample a finding
// came from, highlights the passages that led to it and scrolls to them; "Back to finding" returns.
// With several samples a switcher shows each sample's trace.
//
// Highlighting uses the CSS Custom Highlight API (CSS.highlights): the trace's DOM is never
// rewritten, so a long trace costs nothing to mark and unmark, and the writer's offsets stay valid.
// Highlights are invisible to assistive technology, so the bar above the trace says in words which
// passage is shown, and every move is announced.
import { el, icon, setText } from '../dom';
import type { FindingView, SampleView } from '../../bridge/protocol';
import type { TraceSection } from './traceSection';

/** Every passage of the finding being explained, and the one scrolled to (drawn stronger). */
export const EVIDENCE_HIGHLIGHT = 'thinklens-evidence';
export const CURRENT_EVIDENCE_HIGHLIGHT = 'thinklens-evidence-current';
/** An announcement quotes this much of a passage. */
const ANNOUNCED_PASSAGE_CHARS = 200;

export interface NavigatorHost {
  findings(): readonly FindingView[];
  /** The run's own (first, streamed) reasoning. */
  reasoning(): string;
  /** With several samples, each one's trace. */
  samples(): readonly SampleView[] | undefined;
  /** The stored copy was shortened: offsets no longer point where they did. */
  trimmed(): boolean;
  running(): boolean;
  /** Opens the trace, whatever the display setting. */
  openTrace(): void;
  /** The finding's card, unfolding the group it sits in if needed. */
  findingElement(findingId: string): HTMLElement | null;
  announce(message: string): void;
}

/** The one navigator whose passages are highlighted: highlights belong to the whole document. */
let highlighted: TraceNavigator | undefined;

export class TraceNavigator {
  private readonly switcher: HTMLElement;
  private readonly bar: HTMLElement;
  private readonly where: HTMLElement;
  private readonly next: HTMLButtonElement;
  private readonly back: HTMLButtonElement;
  private shownSample = 0;
  private findingId: string | undefined;
  private ranges: Range[] = [];
  private current = 0;

  constructor(
    private readonly trace: TraceSection,
    private readonly host: NavigatorHost,
  ) {
    this.switcher = el('div', { className: 'sample-switcher', attrs: { role: 'group', 'aria-label': 'Sample traces' } });
    this.switcher.hidden = true;
    this.where = el('span', { className: 'evidence-where' });
    this.next = el('button', { className: 'evidence-next link-button', attrs: { type: 'button' } }, icon('arrow-down'), ' Next passage');
    this.next.addEventListener('click', () => this.step());
    this.back = el('button', { className: 'evidence-back link-button', attrs: { type: 'button' } }, icon('arrow-left'), ' Back to finding');
    this.back.addEventListener('click', () => this.returnToFinding());
    this.bar = el(
      'div',
      { className: 'evidence-bar', attrs: { role: 'group', 'aria-label': 'Why' } },
      icon('lightbulb'),
      this.where,
      this.next,
      this.back,
    );
    this.bar.hidden = true;
    // Escape in the bar goes back too.
    this.bar.addEventListener('keydown', (event) => {
      if (event.key !== 'Escape') return;
      event.stopPropagation();
      this.returnToFinding();
    });
    trace.tools.append(this.switcher, this.bar);
  }

  /** The run finished or was restored: offer each sample's trace when there are several. */
  update(): void {
    const samples = this.host.samples();
    const several = !this.host.running() && samples !== undefined && samples.length > 1;
    this.switcher.hidden = !several;
    if (!several) {
      this.switcher.replaceChildren();
      return;
    }
    const buttons = samples.map((sample, index) => {
      const label = `Sample ${index + 1} of ${samples.length}${sample.error ? ` (failed: ${sample.error})` : ''}`;
      const node = el(
        'button',
        {
          className: `sample-button${sample.error ? ' failed' : ''}`,
          attrs: { type: 'button', 'aria-pressed': String(index === this.shownSample), 'aria-label': label, title: label },
        },
        String(index + 1),
      );
      node.addEventListener('click', () => {
        this.showSample(index);
        this.host.announce(`Showing the reasoning of sample ${index + 1} of ${samples.length}`);
      });
      return node;
    });
    this.switcher.replaceChildren(el('span', { className: 'muted' }, 'Samples'), ...buttons);
  }

  /** "Why": the finding's passages, highlighted and scrolled to, in the trace of the sample it came from. */
  why(findingId: string): void {
    const finding = this.host.findings().find((f) => f.id === findingId);
    if (!finding) return;
    this.host.openTrace();
    this.trace.writeBacklog(!this.host.running());
    const samples = this.host.samples();
    const sample = samples && samples.length > 1 ? Math.min(finding.sample ?? 0, samples.length - 1) : 0;
    if (sample !== this.shownSample) this.showSample(sample);
    this.findingId = findingId;
    const spans = finding.evidence ?? [];
    this.ranges = this.host.trimmed()
      ? []
      : spans.map((span) => this.trace.rangeOf(span.start, span.end)).filter((r): r is Range => r !== undefined);
    this.current = 0;
    const title = `“${finding.title}”`;
    const inSample = samples && samples.length > 1 ? ` of sample ${sample + 1}` : '';
    this.bar.hidden = false;
    this.bar.setAttribute('aria-label', `Why ${title}`);
    if (this.ranges.length === 0) {
      this.clearHighlight();
      const why =
        this.host.trimmed() && spans.length
          ? 'The saved copy of this trace was shortened, so the passages behind this finding can no longer be shown.'
          : 'No passage of the reasoning was found that leads to this finding.';
      setText(this.where, why);
      this.bar.classList.add('no-evidence');
      this.next.hidden = true;
      this.back.focus();
      this.host.announce(`${why} ${title}`);
      return;
    }
    this.bar.classList.remove('no-evidence');
    this.next.hidden = this.ranges.length < 2;
    this.claimHighlight();
    this.showCurrent(title, inSample);
    this.back.focus();
  }

  /** Clears the passages and returns to the finding's card (its Why button, for the keyboard). */
  returnToFinding(): void {
    const findingId = this.findingId;
    this.close();
    if (!findingId) return;
    const card = this.host.findingElement(findingId);
    if (!card) return;
    card.scrollIntoView({ block: 'center' });
    (card.querySelector<HTMLElement>('.finding-why') ?? card).focus();
    const title = card.querySelector('.finding-title')?.textContent ?? 'the finding';
    this.host.announce(`Back to “${title}”`);
  }

  /** Hides the bar and removes the highlight (the trace changed under it, or the person went back). */
  close(): void {
    this.bar.hidden = true;
    this.findingId = undefined;
    this.ranges = [];
    this.clearHighlight();
  }

  private step(): void {
    if (this.ranges.length < 2) return;
    this.current = (this.current + 1) % this.ranges.length;
    const finding = this.host.findings().find((f) => f.id === this.findingId);
    const samples = this.host.samples();
    this.claimHighlight();
    this.showCurrent(`“${finding?.title ?? ''}”`, samples && samples.length > 1 ? ` of sample ${this.shownSample + 1}` : '');
  }

  private showCurrent(title: string, inSample: string): void {
    const range = this.ranges[this.current]!;
    setCurrentHighlight(range);
    const position = `passage ${this.current + 1} of ${this.ranges.length}`;
    setText(this.where, `Why ${title}: ${position} of the reasoning${inSample}`);
    scrollToRange(range);
    const text = range.toString().replace(/\s+/g, ' ').trim();
    const quoted = text.length > ANNOUNCED_PASSAGE_CHARS ? `${text.slice(0, ANNOUNCED_PASSAGE_CHARS - 1)}…` : text;
    this.host.announce(`Why ${title}, ${position}: ${quoted}`);
  }

  private showSample(index: number): void {
    const samples = this.host.samples();
    if (!samples || index === this.shownSample) return;
    this.close();
    this.shownSample = index;
    this.trace.replaceAll(index === 0 ? this.host.reasoning() : (samples[index]?.reasoning ?? ''));
    for (const [i, node] of [...this.switcher.querySelectorAll('.sample-button')].entries())
      node.setAttribute('aria-pressed', String(i === index));
  }

  private claimHighlight(): void {
    if (highlighted && highlighted !== this) highlighted.close();
    highlighted = this;
    const registry = highlightRegistry();
    if (registry) registry.set(EVIDENCE_HIGHLIGHT, new Highlight(...this.ranges));
  }

  private clearHighlight(): void {
    if (highlighted !== this) return;
    highlighted = undefined;
    highlightRegistry()?.delete(EVIDENCE_HIGHLIGHT);
    highlightRegistry()?.delete(CURRENT_EVIDENCE_HIGHLIGHT);
  }
}

function setCurrentHighlight(range: Range): void {
  highlightRegistry()?.set(CURRENT_EVIDENCE_HIGHLIGHT, new Highlight(range));
}

/** CSS.highlights where the browser has it (every Chromium VS Code ships); without it the bar and scrolling still work. */
function highlightRegistry(): HighlightRegistry | undefined {
  return typeof CSS !== 'undefined' && 'highlights' in CSS && typeof Highlight === 'function' ? CSS.highlights : undefined;
}

/** Brings the passage to the middle of the trace box (and the trace into the panel's view). */
function scrollToRange(range: Range): void {
  const start = range.startContainer;
  const element = start instanceof Element ? ((start.childNodes[range.startOffset] as Element | undefined) ?? start) : start.parentElement;
  (element instanceof Element ? element : start.parentElement)?.scrollIntoView({ block: 'center' });
}
