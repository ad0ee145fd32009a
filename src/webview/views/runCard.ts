// One run on screen: header and controls, the live reasoning trace, the answer, the findings, an
// error with the action that fixes it, and usage. Streamed text is queued and written once per
// frame; the trace is appended incrementally, the (short) answer re-rendered at most every 120 ms.
import { button, el, icon, iconButton, setText } from '../dom';
import { formatCount, formatDuration, formatUsage } from '../format';
import { AnswerWriter } from '../answerWriter';
import { renderMarkdownInto } from '../markdown';
import { StickyScroll } from '../stickyScroll';
import { TraceWriter } from '../traceWriter';
import { renderFindings } from './findingsView';
import type { ScrollState } from '../stickyScroll';
import type {
  DisplayMode,
  ErrorView,
  FindingView,
  RunDelta,
  RunResult,
  RunStatus,
  RunView,
  UsageView,
  WebviewToHost,
} from '../../bridge/protocol';

export interface RunCardHost {
  post(message: WebviewToHost): void;
  announce(message: string): void;
  display(): DisplayMode;
  /** The person's own choice for this run's trace, if they made one. */
  traceOpen(runId: string): boolean | undefined;
  setTraceOpen(runId: string, open: boolean): void;
  traceScroll(runId: string): ScrollState | undefined;
  /** Something worth saving with setState changed. */
  changed(): void;
  /** Ask for a `flushFrame` call on the next animation frame. */
  requestFrame(card: RunCard): void;
  isLast(card: RunCard): boolean;
  /** The person asked to see dismissed findings. */
  showDismissed(): boolean;
}

const ANSWER_RENDER_INTERVAL_MS = 120;
/** About 750 tokens: far above any real stream's rate per frame, low enough to keep a frame short. */
const MAX_TRACE_CHARS_PER_FRAME = 3_000;
/** New answer blocks rendered per frame (highlighting is the costly part). */
const MAX_ANSWER_CHARS_PER_FRAME = 1_000;
const KIND_ICON = { explain: 'bug', review: 'checklist', 'follow-up': 'comment-discussion' } as const;
/** A JSON block that starts the machine-readable part of an answer; it is shown as findings instead. */
const JSON_FENCE = /(?:^|\n)[ \t]*(?:```|~~~)[ \t]*(?:json)?[ \t]*\n[ \t]*[{[]/gi;

export class RunCard {
  readonly element: HTMLElement;
  readonly id: string;
  private data: {
    -readonly [K in keyof RunView]: RunView[K];
  };

  private readonly statusText: HTMLElement;
  private readonly statusRing: HTMLElement;
  private readonly controls: HTMLElement;
  private readonly traceSection: HTMLElement;
  private readonly traceToggle: HTMLButtonElement;
  private readonly traceStats: HTMLElement;
  private readonly traceBody: HTMLElement;
  private readonly traceNote: HTMLElement;
  private readonly writer: TraceWriter;
  private readonly scroll: StickyScroll;
  private readonly answerBox: HTMLElement;
  private readonly answerWriter: AnswerWriter;
  private readonly preparing: HTMLElement;
  private readonly resultBox: HTMLElement;
  private readonly usageLine: HTMLElement;

  private pendingReasoning: string[] = [];
  private answerDirty = false;
  private lastAnswerRender = 0;
  private lastAnswerCost = 0;
  /** Settled answer blocks still waiting to be rendered. */
  private answerBacklog = false;
  private traceEnded = false;
  private answerTimer: ReturnType<typeof setTimeout> | undefined;
  private jsonFenceAt: number | undefined;
  private fenceScanFrom = 0;
  private forceTrace = false;
  private announcedReasoning = false;
  private announcedAnswer = false;

  constructor(
    view: RunView,
    private readonly host: RunCardHost,
  ) {
    this.id = view.header.id;
    this.data = { ...view };
    const { header } = view;
    const titleId = `run-title-${cssId(header.id)}`;
    const bodyId = `trace-${cssId(header.id)}`;

    // The ring would announce itself as an assertive alert; the live region speaks for the panel.
    this.statusRing = el('vscode-progress-ring', {
      className: 'status-ring',
      attrs: { 'aria-hidden': 'true', 'aria-live': 'off', role: 'presentation' },
    });
    this.statusText = el('span', { className: 'status-text' });
    this.controls = el('div', { className: 'run-controls' });

    this.traceStats = el('span', { className: 'trace-stats' });
    this.traceToggle = el(
      'button',
      { className: 'trace-toggle', attrs: { type: 'button', 'aria-controls': bodyId, 'aria-expanded': 'false' } },
      icon('chevron-right'),
      el('span', { className: 'trace-label' }, 'Reasoning'),
      this.traceStats,
    );
    this.traceToggle.addEventListener('click', () => this.toggleTrace());
    // Not a live region: a screen reader must not read the trace token by token.
    this.traceBody = el('div', {
      className: 'trace-body',
      id: bodyId,
      attrs: { role: 'region', 'aria-label': `Reasoning for ${header.title}`, tabindex: '0' },
    });
    this.traceNote = el('p', { className: 'trace-note muted' });
    this.traceSection = el('section', { className: 'trace' }, this.traceToggle, this.traceBody, this.traceNote);
    this.writer = new TraceWriter(this.traceBody);
    this.scroll = new StickyScroll(this.traceBody, host.traceScroll(this.id));

    this.answerBox = el('div', { className: 'answer markdown', attrs: { 'aria-label': 'Answer' } });
    this.answerWriter = new AnswerWriter(this.answerBox);
    this.preparing = el('p', { className: 'muted preparing' }, icon('loading'), ' Preparing findings…');
    this.resultBox = el('div', { className: 'result' });
    this.usageLine = el('p', { className: 'usage muted' });

    const heading =
      header.kind === 'follow-up'
        ? el('h2', { className: 'run-title question', id: titleId }, icon(KIND_ICON[header.kind]), el('span', {}, header.title))
        : el('h2', { className: 'run-title', id: titleId }, icon(KIND_ICON[header.kind]), el('span', {}, header.title));
    const meta = el(
      'p',
      { className: 'run-meta muted' },
      header.file ? el('span', { className: 'run-file', attrs: { title: header.file.path } }, header.file.path) : null,
      el('span', { className: 'run-model' }, `${header.backend} · ${header.model}`),
    );

    this.element = el(
      'article',
      { className: `run kind-${header.kind}`, attrs: { 'data-run-id': header.id, 'aria-labelledby': titleId } },
      el('header', { className: 'run-header' }, heading, meta),
      el('div', { className: 'run-status' }, this.statusRing, this.statusText, this.controls),
      this.traceSection,
      this.answerBox,
      this.preparing,
      this.resultBox,
      this.usageLine,
    );

    this.writer.append(view.reasoning);
    if (view.status !== 'running') {
      this.writer.end();
      this.traceEnded = true;
    }
    this.answerDirty = true;
    this.renderAnswer(Infinity);
    this.renderResult();
    this.renderControls();
    this.applyDisplay();
    this.tick(Date.now());
    if (view.reasoning) this.announcedReasoning = true;
    if (view.answer) this.announcedAnswer = true;
  }

  get status(): RunStatus {
    return this.data.status;
  }

  get isRunning(): boolean {
    return this.data.status === 'running';
  }

  toView(): RunView {
    return { ...this.data };
  }

  // ---- Updates from the host ----

  applyDelta(delta: RunDelta): void {
    if (!this.isRunning) return;
    this.data.reasoningPieces = delta.reasoningPieces;
    this.data.answerPieces = delta.answerPieces;
    if (delta.answerStartedAt !== undefined) this.data.answerStartedAt = delta.answerStartedAt;
    if (delta.reasoning) {
      this.data.reasoning += delta.reasoning;
      this.pendingReasoning.push(delta.reasoning);
      if (!this.announcedReasoning) {
        this.announcedReasoning = true;
        this.host.announce(`Reasoning: ${this.data.header.title}`);
      }
    }
    if (delta.answer) {
      const first = !this.data.answer.trim();
      this.data.answer += delta.answer;
      if (first && this.data.answer.trim()) this.applyDisplay();
      this.answerDirty = true;
      if (!this.announcedAnswer) {
        this.announcedAnswer = true;
        this.host.announce('Answering');
      }
    }
    this.host.requestFrame(this);
  }

  setUsage(usage: UsageView): void {
    this.data.usage = usage;
    this.renderUsage();
    this.tick(Date.now());
  }

  /** Findings and status show at once; text still queued is written over the next frames, within the per-frame budget. */
  finish(status: RunStatus, result: RunResult, finishedAt: number): void {
    this.data.status = status;
    this.data.result = result;
    this.data.finishedAt = finishedAt;
    this.answerDirty = true;
    this.host.requestFrame(this);
    this.renderResult();
    this.renderControls();
    this.applyDisplay();
    this.tick(finishedAt);
    const open = result.findings.filter((f) => !f.dismissed && !f.withdrawn).length;
    if (status === 'done') this.host.announce(`Done: ${open === 1 ? '1 finding' : `${open} findings`}`);
    else if (status === 'error') this.host.announce(`Error: ${result.error?.message ?? 'the run failed'}`);
    else if (status === 'cancelled') this.host.announce('Cancelled');
  }

  setFindings(findings: readonly FindingView[]): void {
    if (!this.data.result) return;
    this.data.result = { ...this.data.result, findings };
    this.renderResult();
  }

  /** Renders the findings again (dismissed ones were shown or hidden). */
  refreshFindings(): void {
    if (this.data.result) this.renderResult();
  }

  applyDisplay(): void {
    const mode = this.host.display();
    this.traceSection.hidden = (mode === 'hidden' && !this.forceTrace) || (!this.data.reasoning && !this.isRunning);
    const chosen = this.host.traceOpen(this.id);
    // Once the answer starts, the reasoning folds to its one-line "thought for …" header, unless the
    // person opened or closed it themselves.
    const answering = this.data.answerStartedAt !== undefined && this.data.answer.trim().length > 0;
    const open = this.forceTrace || (chosen ?? (mode === 'expanded' && !answering && (this.isRunning || this.host.isLast(this))));
    this.setTraceOpen(open);
  }

  /** Call once the element is in the document: a detached box cannot take its scroll position. */
  attached(): void {
    if (!this.traceBody.hidden) this.scroll.resume();
  }

  /** "Show reasoning": bring this run into view with its trace open, whatever the display setting. */
  focus(showTrace: boolean): void {
    if (showTrace) {
      this.forceTrace = true;
      this.host.setTraceOpen(this.id, true);
      this.applyDisplay();
    }
    this.element.scrollIntoView({ block: 'start' });
  }

  /** Once a second while running, and on any change: status line and trace statistics. */
  tick(now: number): void {
    const d = this.data;
    const end = d.finishedAt ?? now;
    const elapsed = end - d.header.startedAt;
    const thinkingEnd = d.answerStartedAt ?? end;
    const thinking = thinkingEnd - d.header.startedAt;
    const reasoningTokens = d.usage?.reasoningTokens || d.reasoningPieces;
    const exact = d.usage !== undefined && d.usage.reasoningTokens > 0;
    const tokens = `${exact ? '' : '≈'}${formatCount(reasoningTokens)} tokens`;
    const totalPieces = d.reasoningPieces + d.answerPieces;
    const rate = d.usage?.tokensPerSecond ?? (elapsed > 1000 && totalPieces ? totalPieces / (elapsed / 1000) : undefined);
    // A run restored from history that never finished has no end time to measure against.
    const timed = this.isRunning || d.finishedAt !== undefined;
    const parts = [
      !timed ? '' : d.answerStartedAt !== undefined || !this.isRunning ? `thought for ${formatDuration(thinking)}` : formatDuration(thinking),
      tokens,
    ].filter(Boolean);
    if (rate !== undefined && this.isRunning) parts.push(`${rate.toFixed(1)} tokens/s`);
    setText(this.traceStats, parts.join(' · '));

    let status: string;
    switch (d.status) {
      case 'running':
        status = d.answerStartedAt !== undefined ? `Answering… ${formatDuration(elapsed)}` : `Thinking… ${formatDuration(elapsed)}`;
        break;
      case 'done':
        status = `Done in ${formatDuration(elapsed)}`;
        break;
      case 'error':
        status = `Failed after ${formatDuration(elapsed)}`;
        break;
      case 'cancelled':
        status = `Cancelled after ${formatDuration(elapsed)}`;
        break;
      case 'interrupted':
        status = 'Interrupted: VS Code closed while this ran';
        break;
    }
    setText(this.statusText, status);
    this.statusRing.hidden = !this.isRunning;
  }

  /**
   * Writes what arrived since the last frame, a bounded amount per frame however fast text comes;
   * the answer waits for its render interval while streaming.
   */
  flushFrame(): void {
    this.tick(Date.now());
    if (this.pendingReasoning.length) {
      const pending = this.pendingReasoning.length === 1 ? this.pendingReasoning[0] : this.pendingReasoning.join('');
      const now = pending.slice(0, MAX_TRACE_CHARS_PER_FRAME);
      this.pendingReasoning = now.length < pending.length ? [pending.slice(now.length)] : [];
      this.writer.append(now);
      this.scroll.contentGrew();
      if (this.pendingReasoning.length) this.host.requestFrame(this);
    }
    if (!this.isRunning && !this.pendingReasoning.length && !this.traceEnded) {
      this.writer.end();
      this.scroll.contentGrew();
      this.traceEnded = true;
    }
    if (this.answerDirty) {
      // Re-rendering the tail costs more as it grows: keep it under a fifth of the time.
      const interval = Math.max(ANSWER_RENDER_INTERVAL_MS, this.lastAnswerCost * 5);
      const wait = interval - (performance.now() - this.lastAnswerRender);
      if (!this.isRunning || wait <= 0 || this.answerBacklog) this.renderAnswer(MAX_ANSWER_CHARS_PER_FRAME);
      else if (this.answerTimer === undefined) {
        this.answerTimer = setTimeout(() => {
          this.answerTimer = undefined;
          this.host.requestFrame(this);
        }, wait);
      }
    }
    this.updateBusy();
  }

  scrollState(): ScrollState {
    return this.scroll.state();
  }

  destroy(): void {
    if (this.answerTimer !== undefined) clearTimeout(this.answerTimer);
    this.element.remove();
  }

  // ---- Rendering ----

  private toggleTrace(): void {
    const open = this.traceToggle.getAttribute('aria-expanded') !== 'true';
    this.host.setTraceOpen(this.id, open);
    this.setTraceOpen(open);
    this.host.changed();
  }

  private setTraceOpen(open: boolean): void {
    const wasOpen = !this.traceBody.hidden && this.traceToggle.getAttribute('aria-expanded') === 'true';
    if (open === wasOpen && this.traceToggle.hasAttribute('data-ready')) return;
    this.traceToggle.setAttribute('data-ready', '');
    this.traceToggle.setAttribute('aria-expanded', String(open));
    this.traceToggle.firstElementChild?.classList.toggle('codicon-chevron-down', open);
    this.traceToggle.firstElementChild?.classList.toggle('codicon-chevron-right', !open);
    if (open) {
      this.traceBody.hidden = false;
      this.scroll.resume();
    } else {
      this.scroll.suspend();
      this.traceBody.hidden = true;
    }
  }

  private renderAnswer(budget: number): void {
    const started = performance.now();
    this.answerDirty = false;
    this.lastAnswerRender = started;
    const d = this.data;
    let text: string;
    if (d.result && !d.result.error) text = d.result.prose || (d.result.findings.length ? '' : d.answer);
    else if (d.result?.error) text = d.answer;
    else text = this.streamingAnswer();
    this.answerBox.hidden = text.trim().length === 0;
    this.answerBacklog = this.answerWriter.update(text, budget);
    if (this.answerBacklog) {
      this.answerDirty = true;
      this.host.requestFrame(this);
    }
    this.preparing.hidden = !(this.isRunning && this.jsonFenceAt !== undefined);
    this.lastAnswerCost = performance.now() - started;
    this.updateBusy();
  }

  /** aria-busy while text is still arriving or being written, so assistive tech (and tests) can wait for the final state. */
  private updateBusy(): void {
    const busy = this.isRunning || this.answerBacklog || this.answerDirty || this.pendingReasoning.length > 0 || !this.traceEnded;
    if (busy) this.element.setAttribute('aria-busy', 'true');
    else this.element.removeAttribute('aria-busy');
    // Text received but not yet on screen (throttled or over the frame budget), running or not.
    this.element.toggleAttribute('data-writing', this.answerBacklog || this.answerDirty || this.pendingReasoning.length > 0);
    this.element.classList.toggle('is-running', this.isRunning);
  }

  /** The answer so far, without the JSON block the findings come from (found by scanning only new text). */
  private streamingAnswer(): string {
    const answer = this.data.answer;
    if (this.jsonFenceAt === undefined) {
      JSON_FENCE.lastIndex = Math.max(0, this.fenceScanFrom - 1);
      const match = JSON_FENCE.exec(answer);
      if (match) this.jsonFenceAt = match.index;
      // A constrained answer is one JSON object from its first character (its prose is a field).
      else if (/^\s*\{/.test(answer)) this.jsonFenceAt = 0;
      else this.fenceScanFrom = Math.max(0, answer.length - 64);
    }
    let visible = this.jsonFenceAt === undefined ? answer : answer.slice(0, this.jsonFenceAt);
    // A fence line still being written would flash as an empty code block.
    const lastLine = visible.lastIndexOf('\n');
    if (/^[ \t]*(```|~~~)/.test(visible.slice(lastLine + 1))) visible = visible.slice(0, lastLine + 1);
    return visible;
  }

  private renderResult(): void {
    const d = this.data;
    const parts: Node[] = [];
    const result = d.result;
    if (result?.error) parts.push(this.renderError(result.error));
    if (result && !result.error) {
      if (result.summary) {
        const summary = el('div', { className: 'summary markdown', attrs: { 'aria-label': 'Summary' } });
        renderMarkdownInto(summary, result.summary);
        parts.push(el('section', { className: 'summary-section' }, el('h3', { className: 'section-title' }, 'Summary'), summary));
      }
      if (result.problem) parts.push(el('p', { className: 'problem' }, icon('info'), ` No findings could be read from the answer: ${result.problem}`));
      const findings = renderFindings(d.header.id, result.findings, (m) => this.host.post(m), !d.restored, this.host.showDismissed());
      if (findings) parts.push(findings);
      else if (!result.problem && !result.cancelled && d.status === 'done') parts.push(el('p', { className: 'no-findings' }, icon('pass'), ' No findings.'));
    }
    if (d.trimmed) parts.push(el('p', { className: 'muted' }, 'The saved copy of this run was shortened.'));
    this.resultBox.replaceChildren(...parts);
    this.renderUsage();
  }

  private renderError(error: ErrorView): HTMLElement {
    const actions = el('div', { className: 'error-actions' });
    for (const action of error.actions) {
      actions.append(
        button(action.label, action.command === 'rerun' ? 'refresh' : undefined, () => {
          if (action.command === 'rerun') this.host.post({ type: 'rerun', runId: this.id });
          else this.host.post({ type: 'runCommand', command: action.command, ...(action.backend ? { backend: action.backend } : {}) });
        }, { secondary: actions.childElementCount > 0 }),
      );
    }
    return el(
      'div',
      { className: 'error-box', attrs: { role: 'group', 'aria-label': 'Error' } },
      el('p', { className: 'error-message' }, icon('error'), ' ', error.message),
      error.hint ? el('p', { className: 'error-hint' }, error.hint) : null,
      error.detail ? el('p', { className: 'error-detail' }, el('span', { className: 'muted' }, 'The server said: '), el('code', {}, error.detail)) : null,
      actions.childElementCount ? actions : null,
    );
  }

  private renderUsage(): void {
    const usage = this.data.usage;
    this.usageLine.hidden = !usage;
    setText(this.usageLine, usage ? formatUsage(usage) : '');
  }

  private renderControls(): void {
    const children: HTMLElement[] = [];
    if (this.isRunning) {
      const cancel = button('Cancel', 'debug-stop', () => this.host.post({ type: 'cancelRun', runId: this.id }), { secondary: true });
      cancel.classList.add('cancel');
      children.push(cancel);
    } else {
      children.push(
        iconButton('refresh', 'Run again', () => this.host.post({ type: 'rerun', runId: this.id })),
        iconButton('export', 'Export this run as Markdown and JSON', () => this.host.post({ type: 'exportRun', runId: this.id })),
      );
    }
    this.controls.replaceChildren(...children);
    this.traceNote.hidden = !(this.data.trimmed && this.data.reasoning);
    setText(this.traceNote, this.data.trimmed ? 'The middle of this long trace was left out of the saved copy.' : '');
  }
}

function cssId(id: string): string {
  return id.replace(/[^A-Za-z0-9_-]/g, '_');
}
