// What the panel shows, kept on the host: runs grouped into conversations (a run and its
// follow-ups), the one on screen, this session's usage, and a bounded history that survives a
// restart. No `vscode` import; ReviewPanel wires it to the webview and to workspaceState.
import type {
  BatchView,
  FindingView,
  HistoryEntry,
  PanelSnapshot,
  RunHeader,
  RunResult,
  RunStatus,
  RunView,
  SessionUsageView,
  UsageView,
} from '../../bridge/protocol';
import { isRunView } from '../../bridge/protocol';

export interface HistoryLimits {
  /** Runs kept (whole conversations are dropped, oldest first). */
  readonly maxRuns: number;
  /** Characters of JSON the stored history may take. */
  readonly maxStoredChars: number;
  /** A stored trace longer than this keeps its start and its end. */
  readonly maxStoredTraceChars: number;
  /** A stored answer longer than this is cut. */
  readonly maxStoredAnswerChars: number;
}

export const DEFAULT_HISTORY_LIMITS: HistoryLimits = {
  maxRuns: 20,
  maxStoredChars: 1_500_000,
  maxStoredTraceChars: 40_000,
  maxStoredAnswerChars: 60_000,
};

/** Reviews over several files the panel keeps an overview of. */
const MAX_BATCHES = 5;

/** The stored form; `version` lets a later release drop what it cannot read. */
export interface StoredHistory {
  readonly version: 1;
  readonly runs: readonly RunView[];
}

/** What the panel shows of one run. The host's record of the run itself (its code, its answer) is RunRecord in runs.ts. */
interface ShownRun {
  header: RunHeader;
  threadId: string;
  status: RunStatus;
  reasoning: string;
  answer: string;
  reasoningPieces: number;
  answerPieces: number;
  answerStartedAt?: number;
  finishedAt?: number;
  usage?: UsageView;
  result?: RunResult;
  trimmed?: boolean;
  /** Started in this window (counts toward the session's usage). */
  thisSession: boolean;
}

export class PanelModel {
  /** Insertion order is start order. */
  private readonly runs = new Map<string, ShownRun>();
  private shownThread: string | undefined;
  /** Reviews over several files in this session, newest last (not stored: their runs are). */
  private batches: BatchView[] = [];
  /** This session's usage, summed as runs report it: evicting old runs from memory never lowers it. */
  private readonly totals = {
    runs: 0,
    promptTokens: 0,
    reasoningTokens: 0,
    answerTokens: 0,
    cachedPromptTokens: 0,
    costUsd: 0,
    priced: false,
  };

  constructor(private readonly limits: HistoryLimits = DEFAULT_HISTORY_LIMITS) {}

  has(runId: string): boolean {
    return this.runs.has(runId);
  }

  /** Started in this window (not restored from history). */
  isFromThisSession(runId: string): boolean {
    return this.runs.get(runId)?.thisSession === true;
  }

  isRunning(runId: string): boolean {
    return this.runs.get(runId)?.status === 'running';
  }

  get shownThreadId(): string | undefined {
    return this.shownThread;
  }

  /** The newest run, or the newest in the conversation on screen. */
  latestRunId(): string | undefined {
    const inThread = this.shownThread ? this.threadRuns(this.shownThread) : [];
    const pool = inThread.length ? inThread : [...this.runs.values()];
    return pool[pool.length - 1]?.header.id;
  }

  threadOf(runId: string): string | undefined {
    return this.runs.get(runId)?.threadId;
  }

  /** Adds a run and puts its conversation on screen. Returns the conversation's id. */
  startRun(header: RunHeader, now: number): string {
    const parent = header.parentRunId ? this.runs.get(header.parentRunId) : undefined;
    // A follow-up without a known parent continues the conversation on screen.
    const threadId =
      parent?.threadId ??
      (header.kind === 'follow-up' && this.shownThread && this.runs.has(this.shownThread) ? this.shownThread : header.id);
    if (!this.runs.has(header.id)) this.totals.runs++;
    else this.count(this.runs.get(header.id)!.usage, -1);
    this.runs.delete(header.id);
    this.runs.set(header.id, {
      header: { ...header, startedAt: header.startedAt || now },
      threadId,
      status: 'running',
      reasoning: '',
      answer: '',
      reasoningPieces: 0,
      answerPieces: 0,
      thisSession: true,
    });
    this.shownThread = threadId;
    this.evict();
    return threadId;
  }

  appendReasoning(runId: string, text: string): boolean {
    const run = this.running(runId);
    if (!run || !text) return false;
    run.reasoning += text;
    run.reasoningPieces++;
    return true;
  }

  appendAnswer(runId: string, text: string, now: number): boolean {
    const run = this.running(runId);
    if (!run || !text) return false;
    run.answer += text;
    run.answerPieces++;
    run.answerStartedAt ??= now;
    return true;
  }

  setUsage(runId: string, usage: UsageView): boolean {
    const run = this.runs.get(runId);
    if (!run) return false;
    if (run.thisSession) {
      this.count(run.usage, -1);
      this.count(usage, 1);
    }
    run.usage = usage;
    return true;
  }

  private count(usage: UsageView | undefined, sign: 1 | -1): void {
    if (!usage) return;
    const t = this.totals;
    t.promptTokens += sign * usage.promptTokens;
    t.reasoningTokens += sign * usage.reasoningTokens;
    t.answerTokens += sign * usage.answerTokens;
    t.cachedPromptTokens += sign * (usage.cachedPromptTokens ?? 0);
    if (usage.costUsd !== undefined) {
      t.costUsd += sign * usage.costUsd;
      t.priced = true;
    }
  }

  /** Returns the final status, or undefined when the run is unknown or already finished. */
  finishRun(runId: string, result: RunResult, now: number): RunStatus | undefined {
    const run = this.running(runId);
    if (!run) return undefined;
    run.status = result.error ? (result.error.kind === 'cancelled' ? 'cancelled' : 'error') : result.cancelled ? 'cancelled' : 'done';
    run.result = result;
    run.finishedAt = now;
    return run.status;
  }

  updateFindings(runId: string, findings: readonly FindingView[]): boolean {
    const run = this.runs.get(runId);
    if (!run?.result) return false;
    run.result = { ...run.result, findings };
    return true;
  }

  findFinding(runId: string, findingId: string): FindingView | undefined {
    return this.runs.get(runId)?.result?.findings.find((f) => f.id === findingId);
  }

  counts(runId: string): { reasoningPieces: number; answerPieces: number; answerStartedAt?: number } {
    const run = this.runs.get(runId);
    if (!run) return { reasoningPieces: 0, answerPieces: 0 };
    return {
      reasoningPieces: run.reasoningPieces,
      answerPieces: run.answerPieces,
      ...(run.answerStartedAt !== undefined ? { answerStartedAt: run.answerStartedAt } : {}),
    };
  }

  /** Puts a conversation on screen; false when it is not known. */
  showThread(threadId: string): boolean {
    if (!this.threadRuns(threadId).length) return false;
    this.shownThread = threadId;
    return true;
  }

  run(runId: string): RunView | undefined {
    const run = this.runs.get(runId);
    return run && toView(run);
  }

  /** Every run started in this window that the panel still holds, oldest first. */
  sessionRuns(): RunView[] {
    return [...this.runs.values()].filter((r) => r.thisSession).map(toView);
  }

  thread(threadId = this.shownThread): RunView[] {
    return threadId ? this.threadRuns(threadId).map(toView) : [];
  }

  /** Conversations, newest first. */
  history(): HistoryEntry[] {
    const threads = new Map<string, ShownRun[]>();
    for (const run of this.runs.values()) {
      const list = threads.get(run.threadId) ?? [];
      list.push(run);
      threads.set(run.threadId, list);
    }
    const entries: HistoryEntry[] = [];
    for (const [threadId, runs] of threads) {
      const first = runs[0];
      const last = runs[runs.length - 1];
      entries.push({
        threadId,
        title: first.header.title,
        kind: first.header.kind,
        ...(first.header.file ? { file: first.header.file } : {}),
        startedAt: last.header.startedAt,
        status: last.status,
        findings: runs.reduce((n, r) => n + (r.result?.findings.filter((f) => !f.dismissed && !f.withdrawn).length ?? 0), 0),
        runs: runs.length,
      });
    }
    return entries.sort((a, b) => b.startedAt - a.startedAt);
  }

  setBatch(batch: BatchView): void {
    this.batches = [...this.batches.filter((b) => b.id !== batch.id), batch].slice(-MAX_BATCHES);
  }

  session(): SessionUsageView {
    const { priced, costUsd, ...counts } = this.totals;
    return { ...counts, ...(priced ? { costUsd } : {}) };
  }

  snapshot(display: PanelSnapshot['display'], setup: PanelSnapshot['setup']): PanelSnapshot {
    return {
      display,
      ...(setup ? { setup } : {}),
      session: this.session(),
      history: this.history(),
      thread: this.thread(),
      ...(this.batches.length ? { batches: this.batches } : {}),
    };
  }

  /** The history to store: finished copies, long traces shortened, within the size limit. */
  toStored(): StoredHistory {
    const threads: RunView[][] = [];
    const index = new Map<string, RunView[]>();
    for (const run of this.runs.values()) {
      let list = index.get(run.threadId);
      if (!list) {
        list = [];
        index.set(run.threadId, list);
        threads.push(list);
      }
      list.push(this.storedCopy(run));
    }
    // Drop the oldest conversations until the JSON fits.
    let size = threads.reduce((n, t) => n + JSON.stringify(t).length, 0);
    while (threads.length > 1 && size > this.limits.maxStoredChars) size -= JSON.stringify(threads.shift()).length;
    return { version: 1, runs: threads.flat() };
  }

  /** Restores stored history; anything unreadable is skipped rather than trusted. */
  load(stored: unknown): void {
    if (typeof stored !== 'object' || stored === null) return;
    const { version, runs } = stored as { version?: unknown; runs?: unknown };
    if (version !== 1 || !Array.isArray(runs)) return;
    for (const view of runs) {
      if (!isRunView(view) || this.runs.has(view.header.id)) continue;
      const parent = view.header.parentRunId ? this.runs.get(view.header.parentRunId) : undefined;
      const { restored: _restored, ...stored } = view;
      this.runs.set(view.header.id, {
        ...stored,
        threadId: parent?.threadId ?? view.header.id,
        // A run that was still going when the window closed did not finish.
        status: view.status === 'running' ? 'interrupted' : view.status,
        thisSession: false,
      });
    }
    this.evict();
  }

  private storedCopy(run: ShownRun): RunView {
    const { restored: _restored, ...view } = toView(run);
    const reasoning = shorten(view.reasoning, this.limits.maxStoredTraceChars);
    const answer =
      view.answer.length > this.limits.maxStoredAnswerChars ? view.answer.slice(0, this.limits.maxStoredAnswerChars) : view.answer;
    // Several samples share one run's room; evidence offsets hold only in a trace kept whole (the panel checks `trimmed`).
    const samples = view.result?.samples;
    const storedSamples = samples?.map((sample) => ({
      ...sample,
      reasoning: shorten(sample.reasoning, Math.floor(this.limits.maxStoredTraceChars / samples.length)),
    }));
    const samplesTrimmed = storedSamples?.some((sample, i) => sample.reasoning !== samples![i]!.reasoning) ?? false;
    const trimmed = run.trimmed || reasoning !== view.reasoning || answer !== view.answer || samplesTrimmed;
    const result = view.result && storedSamples ? { ...view.result, samples: storedSamples } : view.result;
    return { ...view, reasoning, answer, ...(result ? { result } : {}), ...(trimmed ? { trimmed } : {}) };
  }

  private running(runId: string): ShownRun | undefined {
    const run = this.runs.get(runId);
    return run?.status === 'running' ? run : undefined;
  }

  private threadRuns(threadId: string): ShownRun[] {
    return [...this.runs.values()].filter((r) => r.threadId === threadId);
  }

  /** Keeps at most `maxRuns` runs, dropping whole conversations, never the one on screen or a running one. */
  private evict(): void {
    while (this.runs.size > this.limits.maxRuns) {
      const victim = [...this.runs.values()].find(
        (r) => r.threadId !== this.shownThread && !this.threadRuns(r.threadId).some((x) => x.status === 'running'),
      );
      if (!victim) return;
      for (const run of this.threadRuns(victim.threadId)) this.runs.delete(run.header.id);
    }
  }
}

function toView(run: ShownRun): RunView {
  return {
    header: run.header,
    status: run.status,
    reasoning: run.reasoning,
    answer: run.answer,
    reasoningPieces: run.reasoningPieces,
    answerPieces: run.answerPieces,
    ...(run.answerStartedAt !== undefined ? { answerStartedAt: run.answerStartedAt } : {}),
    ...(run.finishedAt !== undefined ? { finishedAt: run.finishedAt } : {}),
    ...(run.usage ? { usage: run.usage } : {}),
    ...(run.result ? { result: run.result } : {}),
    ...(run.trimmed ? { trimmed: true } : {}),
    ...(run.thisSession ? {} : { restored: true }),
  };
}

/** Keeps the start (the plan) and the end (the conclusion) of a long trace. */
export function shorten(text: string, max: number): string {
  if (text.length <= max) return text;
  const head = Math.floor(max * 0.2);
  const tail = max - head;
  const cut = text.length - head - tail;
  return `${text.slice(0, head)}\n\n[… ${cut.toLocaleString('en-US')} characters of reasoning were left out of the saved copy …]\n\n${text.slice(text.length - tail)}`;
}
