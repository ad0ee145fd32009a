// One run on screen: header and controls, the status line, and the card's parts, each in its own
// module: the reasoning trace (traceSection.ts), the streaming answer (answerStream.ts), the
// result (resultView.ts) and the status line's words (runStatus.ts). Streamed text is queued and
// written once per frame.
import { button, el, icon, iconButton, setText } from '../dom';
import { formatUsage } from '../format';
import { AnswerStream } from './answerStream';
import { renderResult } from './resultView';
import { describeRunStatus } from './runStatus';
import { TraceSection } from './traceSection';
import { TraceNavigator } from './traceNavigator';
import { isLowerConfidence, type FindingsHost } from './findingsView';
import type { AnswerShown } from './answerStream';
import type { ScrollState } from '../stickyScroll';
import type { DisplayMode, FindingView, RunDelta, RunResult, RunStatus, RunView, UsageView, WebviewToHost } from '../../bridge/protocol';

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
  /** The run's answer began (its reasoning folds now). */
  answerStarted(card: RunCard): void;
  /** More of the run's answer is on screen. */
  answerGrew(card: RunCard): void;
  /** The person asked to see dismissed findings. */
  showDismissed(): boolean;
}

const KIND_ICON = { explain: 'bug', review: 'checklist', 'follow-up': 'comment-discussion' } as const;

export class RunCard {
  readonly element: HTMLElement;
  readonly id: string;
  private data: {
    -readonly [K in keyof RunView]: RunView[K];
  };

  private readonly statusText: HTMLElement;
  private readonly statusRing: HTMLElement;
  private readonly controls: HTMLElement;
  private readonly trace: TraceSection;
  private readonly answer: AnswerStream;
  private readonly resultBox: HTMLElement;
  private readonly usageLine: HTMLElement;
  /** Why / Back to finding, and the sample switcher. */
  private readonly navigator: TraceNavigator;
  private readonly findingsHost: FindingsHost;
  private lowerOpen = false;

  /** "Show reasoning" asked for the trace, whatever the display setting. */
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

    // The ring would announce itself as an assertive alert; the live region speaks for the panel.
    this.statusRing = el('vscode-progress-ring', {
      className: 'status-ring',
      attrs: { 'aria-hidden': 'true', 'aria-live': 'off', role: 'presentation' },
    });
    this.statusText = el('span', { className: 'status-text' });
    this.controls = el('div', { className: 'run-controls' });
    this.trace = new TraceSection(`trace-${cssId(header.id)}`, header.title, host.traceScroll(this.id), (open) => {
      host.setTraceOpen(this.id, open);
      host.changed();
    });
    this.navigator = new TraceNavigator(this.trace, {
      findings: () => this.data.result?.findings ?? [],
      reasoning: () => this.data.reasoning,
      samples: () => this.data.result?.samples,
      trimmed: () => this.data.trimmed === true,
      running: () => this.isRunning,
      openTrace: () => this.focus(true, false),
      findingElement: (id) => this.findingElement(id),
      announce: (message) => host.announce(message),
    });
    this.findingsHost = {
      why: (id) => this.navigator.why(id),
      lowerOpen: () => this.lowerOpen,
      setLowerOpen: (open) => (this.lowerOpen = open),
      showDismissed: () => host.showDismissed(),
    };
    this.answer = new AnswerStream(() => host.requestFrame(this), `answer-${cssId(header.id)}`);
    this.resultBox = el('div', { className: 'result' });
    this.usageLine = el('p', { className: 'usage muted' });

    const heading = el(
      'h2',
      { className: header.kind === 'follow-up' ? 'run-title question' : 'run-title', id: titleId },
      icon(KIND_ICON[header.kind]),
      el('span', {}, header.title),
    );
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
      this.trace.element,
      this.answer.toggle,
      this.answer.answerBox,
      this.answer.preparing,
      this.resultBox,
      this.usageLine,
    );

    this.trace.writeAll(view.reasoning, view.status !== 'running');
    this.answer.renderAll(this.answerShown());
    this.renderResult();
    this.renderControls();
    this.applyDisplay();
    this.tick(Date.now());
    this.updateBusy();
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
      this.trace.queue(delta.reasoning);
      if (!this.announcedReasoning) {
        this.announcedReasoning = true;
        this.host.announce(`Reasoning: ${this.data.header.title}`);
      }
    }
    if (delta.answer) {
      const first = !this.data.answer.trim();
      this.data.answer += delta.answer;
      if (first && this.data.answer.trim()) {
        this.applyDisplay();
        this.renderControls(); // the thinking is over: no Answer now
        this.host.answerStarted(this);
      }
      this.answer.changed();
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
    this.answer.changed();
    this.host.requestFrame(this);
    this.renderResult();
    this.renderControls();
    this.applyDisplay();
    this.tick(finishedAt);
    this.updateBusy();
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
    this.trace.setHidden((mode === 'hidden' && !this.forceTrace) || (!this.data.reasoning && !this.isRunning));
    const chosen = this.host.traceOpen(this.id);
    // Once the answer starts, the reasoning folds to its one-line "thought for …" header, unless the
    // person opened or closed it themselves.
    const answering = this.data.answerStartedAt !== undefined && this.data.answer.trim().length > 0;
    const open = this.forceTrace || (chosen ?? (mode === 'expanded' && !answering && (this.isRunning || this.host.isLast(this))));
    this.trace.setOpen(open);
  }

  /** Call once the element is in the document: a detached box cannot take its scroll position. */
  attached(): void {
    this.trace.attached();
  }

  /** "Show reasoning": bring this run into view with its trace open, whatever the display setting. */
  focus(showTrace: boolean, scroll = true): void {
    if (showTrace) {
      this.forceTrace = true;
      this.host.setTraceOpen(this.id, true);
      this.applyDisplay();
    }
    if (scroll) this.element.scrollIntoView({ block: 'start' });
  }

  /** "Open in panel" from the editor: the finding's passages highlighted, as its Why button does. */
  showFinding(findingId: string): void {
    this.navigator.why(findingId);
  }

  /** A finding's card, unfolding "N more, lower confidence" when it is in there. */
  private findingElement(findingId: string): HTMLElement | null {
    const finding = this.data.result?.findings.find((f) => f.id === findingId);
    if (finding && isLowerConfidence(finding) && !this.lowerOpen) {
      this.lowerOpen = true;
      this.renderResult();
    }
    return this.resultBox.querySelector<HTMLElement>(`[data-finding-id="${CSS.escape(findingId)}"]`);
  }

  /** Once a second while running, and on any change: status line and trace statistics. */
  tick(now: number): void {
    const text = describeRunStatus({ ...this.data, startedAt: this.data.header.startedAt }, now);
    this.trace.setStats(text.traceStats);
    setText(this.statusText, text.status);
    this.statusRing.hidden = !this.isRunning;
  }

  /**
   * Writes what arrived since the last frame, a bounded amount per frame however fast text comes;
   * the answer waits for its render interval while streaming.
   */
  flushFrame(): void {
    this.tick(Date.now());
    if (this.trace.flush(!this.isRunning)) this.host.requestFrame(this);
    if (this.answer.flush(this.answerShown())) this.host.answerGrew(this);
    this.updateBusy();
  }

  /** The answer's box, for keeping it on screen. */
  get answerElement(): HTMLElement {
    return this.answer.answerBox;
  }

  scrollState(): ScrollState {
    return this.trace.scrollState();
  }

  destroy(): void {
    this.answer.destroy();
    this.element.remove();
  }

  // ---- Rendering ----

  /** While streaming, the answer's prose so far; once finished, the prose around the findings. */
  private answerShown(): AnswerShown {
    const { result, answer } = this.data;
    const streaming = this.isRunning;
    if (result && !result.error) {
      // The summary and the findings carry the conclusion; the prose is a click away.
      const folds = result.findings.length > 0;
      return { streaming, answer, final: result.prose || (result.findings.length ? '' : answer), folds };
    }
    if (result?.error) return { streaming, answer, final: answer };
    return { streaming, answer };
  }

  /** aria-busy while text is still arriving or being written, so assistive tech (and tests) can wait for the final state. */
  private updateBusy(): void {
    const busy = this.isRunning || this.answer.busy || this.trace.busy;
    if (busy) this.element.setAttribute('aria-busy', 'true');
    else this.element.removeAttribute('aria-busy');
    // Text received but not yet on screen (throttled or over the frame budget), running or not.
    this.element.toggleAttribute('data-writing', this.answer.busy || this.trace.hasBacklog);
    this.element.classList.toggle('is-running', this.isRunning);
  }

  private renderResult(): void {
    this.resultBox.replaceChildren(...renderResult(this.data, (m) => this.host.post(m), this.findingsHost));
    this.navigator.update();
    this.renderUsage();
  }

  private renderUsage(): void {
    const usage = this.data.usage;
    this.usageLine.hidden = !usage;
    setText(this.usageLine, usage ? formatUsage(usage) : '');
  }

  private renderControls(): void {
    const children: HTMLElement[] = [];
    if (this.isRunning) {
      // Answer now: end the thinking and get the answer from the reasoning so far (while no answer has come).
      if (!this.data.answer.trim()) {
        const answerNow = button('Answer now', 'debug-step-out', () => this.host.post({ type: 'answerNow', runId: this.id }), {
          secondary: true,
        });
        answerNow.classList.add('answer-now');
        answerNow.title = 'Stop the thinking and get the answer from the reasoning so far';
        children.push(answerNow);
      }
      const cancel = button('Cancel', 'debug-stop', () => this.host.post({ type: 'cancelRun', runId: this.id }), { secondary: true });
      cancel.classList.add('cancel');
      children.push(cancel);
    } else {
      children.push(
        iconButton('refresh', 'Run again', () => this.host.post({ type: 'rerun', runId: this.id })),
        iconButton('export', 'Export this conversation as Markdown and JSON', () => this.host.post({ type: 'exportRun', runId: this.id })),
      );
    }
    this.controls.replaceChildren(...children);
    this.trace.setNote(this.data.trimmed && this.data.reasoning ? 'The middle of this long trace was left out of the saved copy.' : '');
  }
}

function cssId(id: string): string {
  return id.replace(/[^A-Za-z0-9_-]/g, '_');
}
