// The host's half of the panel conversation, without `vscode`: it holds what the panel shows
// (PanelModel), waits for `ready` before sending anything, answers `ready` with a full snapshot,
// batches streamed text to one post per frame, and checks every message from the webview before
// acting on it. ReviewPanel connects it to a real webview; the tests and the benchmark connect it
// to a page in Chromium.
import { DeltaCoalescer } from './deltaCoalescer';
import { PanelModel } from './panelModel';
import { isHostMessage, isPanelCommand, isWebviewMessage } from '../../bridge/protocol';
import type { CoalescerTimers } from './deltaCoalescer';
import type { BackendId } from '../../core/types';
import type {
  BatchView,
  DisplayMode,
  FeedbackMark,
  FindingRange,
  FindingView,
  HostToWebview,
  PanelCommand,
  RunHeader,
  RunResult,
  SetupView,
  UsageView,
  WebviewToHost,
} from '../../bridge/protocol';

/**
 * What the host does for each message from the webview, once the session has checked it and found
 * the run (and finding) it names: one handler per message type, in one table (see panelRoutes.ts).
 * `ready` and `openThread` change only what the panel shows, so the session answers them itself.
 */
export interface PanelRoutes {
  revealFinding(runId: string, findingId: string): void;
  applyFix(runId: string, findingId: string): void;
  previewFix(runId: string, findingId: string): void;
  dismissFinding(runId: string, findingId: string): void;
  undismissFinding(runId: string, findingId: string): void;
  /** The person's helpful / not helpful mark, or `undefined` to clear it. */
  markFinding(runId: string, findingId: string, mark: FeedbackMark | undefined): void;
  /** Show or hide the findings dismissed in this workspace (the host then tells the panel with `setShowDismissed`). */
  showDismissed(show: boolean): void;
  cancelRun(runId: string): void;
  answerNow(runId: string): void;
  rerun(runId: string): void;
  /** The error card's "Use …/v1": the host takes the address from its own record of the run. */
  useBaseUrl(runId: string): void;
  followUp(runId: string, question: string): void;
  /** Error actions and setup buttons; only the fixed allow-list, never a command named by model output. */
  runCommand(command: PanelCommand, backend?: BackendId): void;
  exportRun(runId: string): void;
  /** Already checked to be http(s); the handler still asks the person. */
  openLink(href: string): void;
  /** Shows a place in a file: for findings of runs restored from history, which the extension no longer tracks (their `revealFinding`). */
  openLocation(uri: string, range: FindingRange): void;
}

/** The routes, and what the session tells its owner about itself. */
export interface PanelSessionEvents extends PanelRoutes {
  /** A message from the webview that failed its check (logged, never acted on). */
  rejected(message: unknown): void;
  /** A message of ours that the webview would refuse (a bug in what the extension passed in): logged, not sent. */
  unsendable(message: HostToWebview): void;
  /** The history worth saving changed. */
  historyChanged(): void;
}

export interface PanelSessionOptions {
  readonly model?: PanelModel;
  readonly frameMs?: number;
  readonly timers?: CoalescerTimers;
  readonly now?: () => number;
}

export class PanelSession {
  readonly model: PanelModel;
  private readonly coalescer: DeltaCoalescer;
  private readonly now: () => number;
  private send: ((message: HostToWebview) => void) | undefined;
  private ready = false;
  private display: DisplayMode = 'expanded';
  private setup: SetupView | undefined;
  private showingDismissed = false;
  /** A "Show reasoning" that came before the webview was ready. */
  private pendingFocus: { runId: string; findingId?: string } | undefined;
  private pendingHistory = false;

  constructor(
    private readonly events: PanelSessionEvents,
    options: PanelSessionOptions = {},
  ) {
    this.model = options.model ?? new PanelModel();
    this.now = options.now ?? Date.now;
    this.coalescer = new DeltaCoalescer(
      (items) => this.post({ type: 'deltas', items }),
      (runId) => this.model.counts(runId),
      options.frameMs,
      options.timers,
    );
  }

  get isReady(): boolean {
    return this.ready;
  }

  /** A new webview document: nothing is sent until it says `ready`. */
  attach(send: (message: HostToWebview) => void): void {
    this.send = send;
    this.ready = false;
    this.coalescer.clear();
  }

  /** The document was unloaded (hidden without retained context) or disposed. */
  detach(): void {
    this.ready = false;
    this.coalescer.clear();
  }

  receive(message: unknown): void {
    if (!isWebviewMessage(message)) {
      this.events.rejected(message);
      return;
    }
    this.dispatch(message);
  }

  startRun(run: RunHeader): void {
    const threadId = this.model.startRun(run, this.now());
    this.setup = undefined;
    const view = this.model.run(run.id);
    if (view) this.postNow({ type: 'runStarted', run: view, threadId, history: this.model.history() });
    this.events.historyChanged();
  }

  appendReasoning(runId: string, text: string): void {
    if (this.model.appendReasoning(runId, text) && this.ready) this.coalescer.push(runId, 'reasoning', text);
  }

  appendAnswer(runId: string, text: string): void {
    if (this.model.appendAnswer(runId, text, this.now()) && this.ready) this.coalescer.push(runId, 'answer', text);
  }

  setUsage(runId: string, usage: UsageView): void {
    const clean = cleanUsage(usage);
    if (this.model.setUsage(runId, clean)) this.postNow({ type: 'usage', runId, usage: clean, session: this.model.session() });
  }

  finishRun(runId: string, result: RunResult): void {
    const finishedAt = this.now();
    const status = this.model.finishRun(runId, result, finishedAt);
    if (!status) return;
    this.postNow({ type: 'runFinished', runId, status, result, finishedAt, history: this.model.history() });
    this.events.historyChanged();
  }

  updateFindings(runId: string, findings: readonly FindingView[]): void {
    if (!this.model.updateFindings(runId, findings)) return;
    this.postNow({ type: 'findings', runId, findings });
    this.post({ type: 'history', history: this.model.history() });
    this.events.historyChanged();
  }

  showSetup(reason: string): void {
    this.setup = { reason };
    this.postNow({ type: 'setup', setup: this.setup });
  }

  hideSetup(): void {
    if (!this.setup) return;
    this.setup = undefined;
    this.postNow({ type: 'setup', setup: null });
  }

  /** Dismissed findings are now shown (or hidden) in the editor; the cards follow. */
  setShowDismissed(show: boolean): void {
    if (this.showingDismissed === show) return;
    this.showingDismissed = show;
    this.postNow({ type: 'dismissedShown', show });
  }

  setDisplay(mode: DisplayMode): void {
    this.display = mode;
    this.postNow({ type: 'display', mode });
  }

  /** Shows a review over several files as it moves on (a file started, finished, failed). */
  setBatch(batch: BatchView): void {
    this.model.setBatch(batch);
    this.postNow({ type: 'batch', batch });
  }

  /**
   * Puts the run's conversation on screen and opens its reasoning, now or once the webview is ready;
   * with a finding, reveals it and highlights the passages of the reasoning behind it.
   */
  focus(runId: string, findingId?: string): void {
    if (!this.model.has(runId)) return;
    const threadId = this.model.threadOf(runId);
    if (threadId && threadId !== this.model.shownThreadId) {
      this.model.showThread(threadId);
      this.postNow({ type: 'thread', thread: this.model.thread() });
    }
    this.pendingFocus = { runId, ...(findingId ? { findingId } : {}) };
    this.sendPendingFocus();
  }

  /** The view's title-bar History button: the panel shows its list, now or once the webview is ready. */
  showHistory(): void {
    this.pendingHistory = true;
    this.sendPendingFocus();
  }

  dispose(): void {
    this.coalescer.dispose();
    this.send = undefined;
    this.ready = false;
  }

  private dispatch(message: WebviewToHost): void {
    const { events, model } = this;
    switch (message.type) {
      case 'ready':
        if (!this.send) return;
        this.ready = true;
        this.coalescer.clear(); // the snapshot carries all text so far
        this.post({
          type: 'snapshot',
          snapshot: { ...model.snapshot(this.display, this.setup), ...(this.showingDismissed ? { showDismissed: true } : {}) },
        });
        this.sendPendingFocus();
        return;
      case 'revealFinding':
      case 'applyFix':
      case 'previewFix':
      case 'dismissFinding':
      case 'undismissFinding': {
        const finding = model.findFinding(message.runId, message.findingId);
        if (!finding) return;
        if (model.isFromThisSession(message.runId)) events[message.type](message.runId, message.findingId);
        else if (message.type === 'revealFinding') events.openLocation(finding.file.uri, finding.range);
        return;
      }
      case 'markFinding':
        // Runs restored from history keep the marks they had; the editor no longer tracks their findings.
        if (model.findFinding(message.runId, message.findingId) && model.isFromThisSession(message.runId)) {
          events.markFinding(message.runId, message.findingId, message.mark === 'none' ? undefined : message.mark);
        }
        return;
      case 'showDismissed':
        events.showDismissed(message.show);
        return;
      case 'cancelRun':
        if (model.isRunning(message.runId)) events.cancelRun(message.runId);
        return;
      case 'answerNow':
        if (model.isRunning(message.runId)) events.answerNow(message.runId);
        return;
      case 'rerun':
        if (model.has(message.runId) && !model.isRunning(message.runId)) events.rerun(message.runId);
        return;
      case 'useBaseUrl':
        if (model.has(message.runId) && !model.isRunning(message.runId)) events.useBaseUrl(message.runId);
        return;
      case 'followUp':
        if (model.has(message.runId) && !model.isRunning(message.runId)) events.followUp(message.runId, message.question.trim());
        return;
      case 'runCommand':
        if (isPanelCommand(message.command)) events.runCommand(message.command, message.backend);
        return;
      case 'exportRun':
        if (model.has(message.runId)) events.exportRun(message.runId);
        return;
      case 'openThread':
        if (model.showThread(message.threadId)) this.postNow({ type: 'thread', thread: model.thread() });
        return;
      case 'openLink':
        events.openLink(message.href);
        return;
    }
  }

  private sendPendingFocus(): void {
    if (this.ready && this.pendingHistory) {
      this.pendingHistory = false;
      this.post({ type: 'showHistory' });
    }
    if (!this.ready || !this.pendingFocus) return;
    this.post({ type: 'focusRun', ...this.pendingFocus, showTrace: true });
    this.pendingFocus = undefined;
  }

  /** Sends after any pending text, so the webview sees events in the order they happened. */
  private postNow(message: HostToWebview): void {
    if (!this.ready) return;
    this.coalescer.flush();
    this.post(message);
  }

  private post(message: HostToWebview): void {
    if (!this.ready || !this.send) return;
    // The webview checks every message and drops a malformed one whole; say so here, where the cause is.
    if (isHostMessage(message)) this.send(message);
    else this.events.unsendable(message);
  }
}

/** Servers and price tables can yield NaN or negative numbers; the panel shows only real counts. */
function cleanUsage(usage: UsageView): UsageView {
  const count = (n: number | undefined) => (n !== undefined && Number.isFinite(n) && n >= 0 ? n : undefined);
  const optional = {
    cachedPromptTokens: count(usage.cachedPromptTokens),
    costUsd: count(usage.costUsd),
    tokensPerSecond: count(usage.tokensPerSecond),
  };
  return {
    promptTokens: count(usage.promptTokens) ?? 0,
    reasoningTokens: count(usage.reasoningTokens) ?? 0,
    answerTokens: count(usage.answerTokens) ?? 0,
    ...Object.fromEntries(Object.entries(optional).filter(([, v]) => v !== undefined)),
  };
}
