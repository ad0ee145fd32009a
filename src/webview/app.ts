// The panel: applies checked host messages to what is on screen, batches streamed text into one
// DOM write per animation frame, and keeps its state with setState so a reload (the view is not
// retained while hidden) shows the same thing at once, before the host's snapshot arrives.
import { Announcer } from './announcer';
import { PageFollow } from './pageFollow';
import { el, icon, iconButton, setText } from './dom';
import { formatCost, formatCount } from './format';
import { FollowUpBox } from './views/followUpBox';
import { renderBatch } from './views/batchView';
import { HistoryList } from './views/historyView';
import { RunCard } from './views/runCard';
import { renderSetup } from './views/setupView';
import { warmUpRenderer } from './markdown';
import { isHostMessage } from '../bridge/protocol';
import type { HostChannel } from './vscodeApi';
import type { RunCardHost } from './views/runCard';
import type { ScrollState } from './stickyScroll';
import type {
  BatchView,
  DisplayMode,
  HistoryEntry,
  HostToWebview,
  PanelSnapshot,
  RunView,
  SessionUsageView,
  SetupView,
  WebviewToHost,
} from '../bridge/protocol';
import { COMMAND } from '../bridge/commandIds';

interface UiState {
  traceOpen: Record<string, boolean>;
  traceScroll: Record<string, ScrollState>;
  draft: string;
  historyOpen: boolean;
}

interface SavedState {
  readonly version: 1;
  readonly snapshot: PanelSnapshot;
  readonly ui: UiState;
}

const SAVE_DELAY_MS = 300;
/** If the host never starts the follow-up (e.g. no backend), the box unlocks again. */
const FOLLOW_UP_WAIT_MS = 10_000;
const EMPTY_SESSION: SessionUsageView = { runs: 0, promptTokens: 0, reasoningTokens: 0, answerTokens: 0 };

export class PanelApp implements RunCardHost {
  private display_: DisplayMode = 'expanded';
  private showDismissed_ = false;
  private setup: SetupView | undefined;
  private session: SessionUsageView = EMPTY_SESSION;
  private history: readonly HistoryEntry[] = [];
  private batches: readonly BatchView[] = [];
  private cards: RunCard[] = [];
  private readonly byId = new Map<string, RunCard>();
  private ui: UiState = { traceOpen: {}, traceScroll: {}, draft: '', historyOpen: false };

  private readonly announcer = new Announcer();
  private readonly setupBox = el('div', { className: 'setup-box' });
  private readonly batchBox = el('div', { className: 'batch-box' });
  private readonly threadBox = el('div', { className: 'thread' });
  private readonly emptyState: HTMLElement;
  private readonly followUp: FollowUpBox;
  private readonly historyList: HistoryList;
  private readonly historySection: HTMLElement;
  private readonly sessionLine = el('span', { className: 'session muted' });
  private readonly follow: PageFollow;

  private readonly dirtyCards = new Set<RunCard>();
  private frame: number | undefined;
  private ticker: ReturnType<typeof setInterval> | undefined;
  private saveTimer: ReturnType<typeof setTimeout> | undefined;
  private awaitingFollowUp: ReturnType<typeof setTimeout> | undefined;

  constructor(
    root: HTMLElement,
    private readonly channel: HostChannel,
  ) {
    this.emptyState = el(
      'div',
      { className: 'empty-state' },
      el(
        'p',
        {},
        icon('lightbulb'),
        ' Select some code and run ',
        el('strong', {}, 'ThinkLens: Explain This Bug'),
        ' or ',
        el('strong', {}, 'ThinkLens: Review Selection'),
        ' (also File and Uncommitted Changes).',
      ),
      el('p', { className: 'muted' }, 'The model’s reasoning streams here, then its answer and findings.'),
    );
    this.followUp = new FollowUpBox(
      '',
      (question) => this.askFollowUp(question),
      (draft) => {
        this.ui.draft = draft;
        this.changed();
      },
    );
    // Behind the view's title-bar History button (the host sends `showHistory`), above the runs.
    this.historyList = new HistoryList(
      (m) => this.post(m),
      () => this.setHistoryOpen(false),
    );
    this.historySection = el(
      'section',
      { className: 'history', attrs: { 'aria-labelledby': 'history-title' } },
      el(
        'div',
        { className: 'history-head' },
        el('h2', { id: 'history-title' }, icon('history'), ' Recent runs'),
        iconButton('close', 'Close history', () => this.setHistoryOpen(false)),
      ),
      this.historyList.element,
    );
    this.historySection.hidden = true;
    this.historySection.addEventListener('keydown', (event) => {
      if (event.key !== 'Escape') return;
      event.preventDefault(); // Escape closes the list here; it cancels a run only elsewhere
      this.setHistoryOpen(false);
    });
    const toolbar = el(
      'div',
      { className: 'toolbar', attrs: { role: 'toolbar', 'aria-label': 'ThinkLens' } },
      this.sessionLine,
      // Select Backend, Export and Clear are the view's title-bar buttons; the panel does not repeat them.
      iconButton('output', 'Show log', () => this.post({ type: 'runCommand', command: COMMAND.showLog })),
    );
    // Titles scrolled into view land below the sticky toolbar, however tall it wraps.
    new ResizeObserver(() => document.documentElement.style.setProperty('--sticky-top', `${toolbar.offsetHeight}px`)).observe(toolbar);
    this.follow = new PageFollow(() => toolbar.offsetHeight);
    root.replaceChildren(
      this.announcer.element,
      toolbar,
      this.historySection,
      this.setupBox,
      this.emptyState,
      this.batchBox,
      this.threadBox,
      this.followUp.element,
    );
    // Escape cancels the running run wherever focus is in the panel (trace, buttons, follow-up box).
    document.addEventListener('keydown', (event) => {
      if (event.key !== 'Escape' || event.defaultPrevented) return;
      const running = this.cards.filter((c) => c.isRunning);
      if (!running.length) return;
      event.preventDefault();
      for (const card of running) this.post({ type: 'cancelRun', runId: card.id });
      this.announce('Cancelling');
    });
    root.addEventListener('click', (event) => this.onLinkActivate(event));
    root.addEventListener('keydown', (event) => {
      if ((event as KeyboardEvent).key === 'Enter') this.onLinkActivate(event);
    });
  }

  /** Restores saved state, listens to the host, then says `ready` (the host sends nothing before). */
  start(): void {
    this.renderChrome();
    this.restore(this.channel.getState());
    window.addEventListener('message', (event: MessageEvent) => {
      if (isHostMessage(event.data)) this.handle(event.data);
    });
    window.addEventListener('pagehide', () => this.saveNow());
    this.post({ type: 'ready' });
    warmUpRenderer();
  }

  handle(message: HostToWebview): void {
    switch (message.type) {
      case 'snapshot':
        this.applySnapshot(message.snapshot);
        break;
      case 'runStarted': {
        this.clearFollowUpWait();
        this.history = message.history;
        if (message.threadId !== this.shownThreadId || !this.cards.length) this.showThread([message.run]);
        else this.addCard(message.run);
        this.setup = undefined;
        this.renderChrome();
        const card = this.byId.get(message.run.header.id);
        if (card) this.follow.runStarted(card.element);
        this.announce(`Started: ${message.run.header.title}`);
        warmUpRenderer(message.run.header.file?.path);
        this.startTicker();
        break;
      }
      case 'deltas':
        for (const item of message.items) this.byId.get(item.runId)?.applyDelta(item);
        break;
      case 'usage':
        this.byId.get(message.runId)?.setUsage(message.usage);
        this.session = message.session;
        this.renderSession();
        break;
      case 'runFinished':
        this.byId.get(message.runId)?.finish(message.status, message.result, message.finishedAt);
        this.history = message.history;
        this.renderChrome();
        break;
      case 'findings':
        this.byId.get(message.runId)?.setFindings(message.findings);
        break;
      case 'thread':
        this.showThread(message.thread);
        this.renderChrome();
        window.scrollTo({ top: 0 });
        break;
      case 'history':
        this.history = message.history;
        this.renderHistory();
        break;
      case 'setup':
        this.setup = message.setup ?? undefined;
        this.clearFollowUpWait();
        this.renderChrome();
        if (this.setup) this.announce('Setup needed: ' + this.setup.reason);
        break;
      case 'display':
        this.display_ = message.mode;
        for (const card of this.cards) card.applyDisplay();
        break;
      case 'focusRun':
        this.byId.get(message.runId)?.focus(message.showTrace);
        if (message.findingId) this.byId.get(message.runId)?.showFinding(message.findingId);
        break;
      case 'showHistory':
        this.setHistoryOpen(this.historySection.hidden);
        break;
      case 'dismissedShown':
        this.showDismissed_ = message.show;
        for (const card of this.cards) card.refreshFindings();
        this.announce(message.show ? 'Dismissed findings shown' : 'Dismissed findings hidden');
        break;
      case 'batch':
        this.batches = [...this.batches.filter((b) => b.id !== message.batch.id), message.batch];
        this.renderBatch();
        break;
    }
    // Streamed text is not worth a save per frame (a reload gets it from the host's snapshot);
    // it is saved with the next change of any other kind.
    if (message.type !== 'deltas') this.changed();
  }

  // ---- RunCardHost ----

  post(message: WebviewToHost): void {
    this.channel.post(message);
  }

  announce(message: string): void {
    this.announcer.announce(message);
  }

  display(): DisplayMode {
    return this.display_;
  }

  showDismissed(): boolean {
    return this.showDismissed_;
  }

  traceOpen(runId: string): boolean | undefined {
    return this.ui.traceOpen[runId];
  }

  setTraceOpen(runId: string, open: boolean): void {
    this.ui.traceOpen[runId] = open;
  }

  traceScroll(runId: string): ScrollState | undefined {
    return this.ui.traceScroll[runId];
  }

  isLast(card: RunCard): boolean {
    const last = this.cards[this.cards.length - 1];
    return last ? last === card : true;
  }

  answerStarted(card: RunCard): void {
    if (this.isLast(card)) this.follow.answerStarted(card.element);
  }

  answerGrew(card: RunCard): void {
    if (this.isLast(card) && card.isRunning) this.follow.answerGrew(card.answerElement);
  }

  requestFrame(card: RunCard): void {
    this.dirtyCards.add(card);
    this.frame ??= requestAnimationFrame(() => {
      this.frame = undefined;
      const cards = [...this.dirtyCards];
      this.dirtyCards.clear();
      for (const c of cards) c.flushFrame();
    });
  }

  changed(): void {
    this.saveTimer ??= setTimeout(() => this.saveNow(), SAVE_DELAY_MS);
  }

  // ---- State ----

  private get shownThreadId(): string | undefined {
    return this.cards[0]?.id;
  }

  private applySnapshot(snapshot: PanelSnapshot): void {
    this.display_ = snapshot.display;
    this.showDismissed_ = snapshot.showDismissed === true;
    this.setup = snapshot.setup;
    this.session = snapshot.session;
    this.history = snapshot.history;
    this.batches = snapshot.batches ?? [];
    const pageTop = window.scrollY;
    this.showThread(snapshot.thread);
    this.renderChrome();
    window.scrollTo({ top: pageTop });
    this.startTicker();
  }

  private showThread(thread: readonly RunView[]): void {
    this.rememberScroll();
    for (const card of this.cards) card.destroy();
    this.cards = [];
    this.byId.clear();
    this.dirtyCards.clear();
    for (const run of thread) this.addCard(run);
    // Forget UI state of runs that are gone for good.
    const known = new Set(thread.map((r) => r.header.id));
    for (const key of Object.keys(this.ui.traceOpen)) if (!known.has(key)) delete this.ui.traceOpen[key];
    for (const key of Object.keys(this.ui.traceScroll)) if (!known.has(key)) delete this.ui.traceScroll[key];
  }

  private addCard(run: RunView): void {
    const existing = this.byId.get(run.header.id);
    const card = new RunCard(run, this);
    if (existing) {
      // The same run again (a restart under the same id): replace it in place.
      existing.element.replaceWith(card.element);
      existing.destroy();
      this.cards[this.cards.indexOf(existing)] = card;
      this.dirtyCards.delete(existing);
      this.byId.set(card.id, card);
      card.attached();
      return;
    }
    const previous = this.cards[this.cards.length - 1];
    this.cards.push(card);
    this.byId.set(card.id, card);
    this.threadBox.append(card.element);
    card.attached();
    previous?.applyDisplay(); // no longer the last: its trace may fold
  }

  private rememberScroll(): void {
    for (const card of this.cards) this.ui.traceScroll[card.id] = card.scrollState();
  }

  private restore(saved: unknown): void {
    if (typeof saved !== 'object' || saved === null) return;
    const { version, snapshot, ui } = saved as Partial<SavedState>;
    if (version !== 1 || !isHostMessage({ type: 'snapshot', snapshot })) return;
    if (ui && typeof ui === 'object') {
      this.ui = {
        traceOpen: isBooleanRecord(ui.traceOpen) ? { ...ui.traceOpen } : {},
        traceScroll: isScrollRecord(ui.traceScroll) ? { ...ui.traceScroll } : {},
        draft: typeof ui.draft === 'string' ? ui.draft : '',
        historyOpen: ui.historyOpen === true,
      };
    }
    this.followUp.setDraft(this.ui.draft);
    this.historySection.hidden = !this.ui.historyOpen;
    this.applySnapshot(snapshot as PanelSnapshot);
  }

  private saveNow(): void {
    if (this.saveTimer !== undefined) clearTimeout(this.saveTimer);
    this.saveTimer = undefined;
    this.rememberScroll();
    const state: SavedState = {
      version: 1,
      snapshot: {
        display: this.display_,
        ...(this.setup ? { setup: this.setup } : {}),
        session: this.session,
        history: this.history,
        thread: this.cards.map((c) => savedCopy(c.toView())),
        ...(this.batches.length ? { batches: this.batches } : {}),
        ...(this.showDismissed_ ? { showDismissed: true } : {}),
      },
      ui: this.ui,
    };
    this.channel.setState(state);
  }

  // ---- Chrome around the runs ----

  private renderChrome(): void {
    this.setupBox.replaceChildren(...(this.setup ? [renderSetup(this.setup, (m) => this.post(m))] : []));
    this.emptyState.hidden = this.cards.length > 0 || this.setup !== undefined;
    this.renderFollowUp();
    this.renderHistory();
    this.renderBatch();
    this.renderSession();
    if (!this.cards.some((c) => c.isRunning)) this.stopTicker();
  }

  private renderFollowUp(): void {
    const last = this.cards[this.cards.length - 1];
    this.followUp.element.hidden = !last;
    if (!last) return;
    if (last.isRunning) this.followUp.setEnabled(false, 'Wait for the run to finish, or cancel it.');
    else if (this.awaitingFollowUp !== undefined) this.followUp.setEnabled(false, 'Sending…');
    else this.followUp.setEnabled(true, 'Enter to send · Shift+Enter for a new line');
  }

  private renderHistory(): void {
    this.historyList.update(this.history, this.shownThreadId);
  }

  /** The title-bar button toggles the list; choosing a run, Close or Escape hides it. */
  private setHistoryOpen(open: boolean): void {
    const hadFocus = this.historySection.contains(document.activeElement);
    this.historySection.hidden = !open;
    this.ui.historyOpen = open;
    this.changed();
    if (open) {
      window.scrollTo({ top: 0 });
      this.historyList.focus();
    } else if (hadFocus) {
      this.threadBox.querySelector<HTMLElement>('button, vscode-button, [tabindex="0"]')?.focus();
    }
  }

  /** The overview of the review over several files that the run on screen belongs to, if any. */
  private renderBatch(): void {
    const shown = this.shownThreadId;
    const batch = shown === undefined ? undefined : [...this.batches].reverse().find((b) => b.files.some((f) => f.runId === shown));
    this.batchBox.replaceChildren(...(batch ? [renderBatch(batch, shown, (m) => this.post(m))] : []));
  }

  private renderSession(): void {
    const s = this.session;
    if (!s.runs) {
      setText(this.sessionLine, '');
      return;
    }
    const tokens = s.promptTokens + s.reasoningTokens + s.answerTokens;
    const parts = [`Session: ${s.runs} run${s.runs === 1 ? '' : 's'}`, `${formatCount(tokens)} tokens`];
    if (s.costUsd !== undefined) parts.push(formatCost(s.costUsd));
    setText(this.sessionLine, parts.join(' · '));
    this.sessionLine.title = `${formatCount(s.promptTokens)} prompt (${formatCount(s.cachedPromptTokens ?? 0)} cached) · ${formatCount(s.reasoningTokens)} reasoning · ${formatCount(s.answerTokens)} answer`;
  }

  private askFollowUp(question: string): void {
    const last = this.cards[this.cards.length - 1];
    if (!last || last.isRunning) return;
    this.post({ type: 'followUp', runId: last.id, question });
    this.awaitingFollowUp = setTimeout(() => {
      this.awaitingFollowUp = undefined;
      this.renderFollowUp();
    }, FOLLOW_UP_WAIT_MS);
    this.renderFollowUp();
  }

  private clearFollowUpWait(): void {
    if (this.awaitingFollowUp !== undefined) clearTimeout(this.awaitingFollowUp);
    this.awaitingFollowUp = undefined;
  }

  private startTicker(): void {
    if (this.ticker !== undefined || !this.cards.some((c) => c.isRunning)) return;
    this.ticker = setInterval(() => {
      const now = Date.now();
      for (const card of this.cards) if (card.isRunning) card.tick(now);
    }, 1000);
  }

  private stopTicker(): void {
    if (this.ticker !== undefined) clearInterval(this.ticker);
    this.ticker = undefined;
  }

  /** Links in model text carry no href; the host confirms and opens them. */
  private onLinkActivate(event: Event): void {
    const target = event.target instanceof Element ? event.target.closest('[data-href]') : null;
    if (!target) return;
    event.preventDefault();
    const href = target.getAttribute('data-href');
    if (href) this.post({ type: 'openLink', href });
  }
}

/** Saved state is only a stand-in until the host's snapshot arrives: a very long trace keeps its end. */
const MAX_SAVED_TRACE_CHARS = 200_000;

function savedCopy(run: RunView): RunView {
  if (run.reasoning.length <= MAX_SAVED_TRACE_CHARS) return run;
  return { ...run, reasoning: '[…]\n\n' + run.reasoning.slice(-MAX_SAVED_TRACE_CHARS), trimmed: true };
}

function isBooleanRecord(x: unknown): x is Record<string, boolean> {
  return typeof x === 'object' && x !== null && Object.values(x).every((v) => typeof v === 'boolean');
}

function isScrollRecord(x: unknown): x is Record<string, ScrollState> {
  return (
    typeof x === 'object' &&
    x !== null &&
    Object.values(x).every((v: unknown) => {
      const s = v as Partial<ScrollState> | null;
      return typeof s === 'object' && s !== null && typeof s.top === 'number' && typeof s.following === 'boolean';
    })
  );
}
