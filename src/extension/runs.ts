// Runs analyses: picks the backend, streams events into the panel and the status bar, publishes
// findings as diagnostics, and keeps each run's conversation for follow-ups and reruns.

import * as vscode from 'vscode';
import { conversationOf, type RunOutput } from '../core/run';
import { startDeadline, type RunDeadline } from '../core/deadline';
import { prepareRun } from '../core/plannedRun';
import type { RefusedPlan, RunSettings } from '../core/plan';
import { runReview } from '../core/review';
import { keepNearChanges } from '../core/diffHunks';
import type { BackendError } from '../core/errors';
import { limiter, sampleSeed, sumUsage, type SampledRun } from '../core/samples';
import { filterFindings, type FindingFilter } from '../core/triage';
import type { Backend, Finding, Usage } from '../core/types';
import type { BatchFileView, BatchView, FileRef, FindingView, RunHeader, SampleView } from '../bridge/protocol';
import { errorViewOf, usageViewFromUsage } from './panel/viewModels';
import { relativePathOf } from './git';
import { editorAdvice } from './remedies';
import type { Backends } from './backends';
import { readConfig, type ThinkLensConfig } from './config';
import { confirmHostedUse } from './consent';
import type { FindingStore, StampedFinding } from './findings';
import type { AnalysisTarget } from './gather';
import type { Log } from './log';
import type { ReviewPanel } from './panel/reviewPanel';
import type { StatusBar } from './statusBar';
import { COMMAND } from '../bridge/commandIds';

/**
 * The host's one record of a run: what it analyses, where it stands, what it produced. The panel's
 * view of the run (PanelModel) carries the same id and parent; the conversation is the chain of
 * `parentRunId`s, kept nowhere else.
 */
interface RunRecord {
  readonly id: string;
  readonly target: AnalysisTarget;
  readonly kind: RunHeader['kind'];
  /** For a follow-up: the run it continues. */
  readonly parentRunId?: string;
  /** For a file of a review over several files: the review and the file's row. */
  readonly batch?: { readonly id: string; readonly index: number };
  /** Set while the run is in flight; aborting it cancels this run only. */
  abort?: AbortController;
  output?: RunOutput;
  /** Why the run failed (any of its samples). */
  error?: BackendError;
}

/** A review over several files: its rows as the panel shows them. */
interface BatchRecord {
  view: BatchView;
  cancelled: boolean;
}

/** Says which review over several files a run belongs to, and which of its files it is. */
export interface BatchSlot {
  readonly batchId: string;
  readonly index: number;
}

export interface RunControllerDeps {
  readonly log: Log;
  readonly panel: ReviewPanel;
  readonly findings: FindingStore;
  readonly backends: Backends;
  readonly status: StatusBar;
  readonly globalState: vscode.Memento;
}

/** What a finished run produced, for commands and tests. */
export interface RunOutcome {
  readonly runId?: string;
  readonly findings: readonly StampedFinding[];
  readonly error?: BackendError;
  readonly cancelled?: boolean;
  readonly summary?: string;
  /** The reasoning received (so far, when the run failed or was cancelled). */
  readonly reasoning?: string;
  /** Findings of the wanted severity and focus that the minimum confidence left out. */
  readonly leftOutByConfidence?: number;
}

export class RunController implements vscode.Disposable {
  private readonly runs = new Map<string, RunRecord>();
  private readonly batches = new Map<string, BatchRecord>();
  private readonly subscriptions: vscode.Disposable[] = [];
  private counter = 0;
  /** A run asked for before any backend was set up: it starts by itself once one works. */
  private waitingForSetup: { record: RunRecord; followUp?: { history: RunOutput['messages']; question: string } } | undefined;

  constructor(private readonly deps: RunControllerDeps) {
    this.subscriptions.push(deps.findings.onDidChange((uri) => this.refreshPanelFindings(uri)));
  }

  get running(): boolean {
    return [...this.runs.values()].some((r) => r.abort);
  }

  /**
   * Analyses a target from the start; `slot` places it in a review over several files; `signal`
   * (an agent's cancellation) cancels it as the Cancel command does.
   */
  analyse(target: AnalysisTarget, kind: RunHeader['kind'] = target.code.kind, slot?: BatchSlot, signal?: AbortSignal): Promise<RunOutcome> {
    return this.execute(
      { id: this.newId(), target, kind, ...(slot ? { batch: { id: slot.batchId, index: slot.index } } : {}) },
      undefined,
      signal,
    );
  }

  /** Starts the overview of a review over several files; each file then runs with `analyse(…, slot)`. */
  startBatch(title: string, files: readonly FileRef[]): string {
    const id = `batch-${Date.now().toString(36)}-${++this.counter}`;
    const view: BatchView = { id, title, startedAt: Date.now(), files: files.map((file) => ({ file, state: 'queued', findings: 0 })) };
    this.batches.set(id, { view, cancelled: false });
    this.deps.panel.session.setBatch(view);
    return id;
  }

  /** A file of the review that could not run (unreadable, gone). */
  batchFileFailed(slot: BatchSlot): void {
    this.updateBatch(slot, { state: 'failed' });
  }

  /** Cancels one review over several files: its running runs stop, its queued files never start; other runs go on. */
  cancelBatch(batchId: string): void {
    const batch = this.batches.get(batchId);
    if (!batch) return;
    batch.cancelled = true;
    for (const record of this.runs.values()) if (record.batch?.id === batchId) record.abort?.abort();
    batch.view.files.forEach((f, index) => {
      if (f.state === 'queued') this.updateBatch({ batchId, index }, { state: 'cancelled' });
    });
  }

  /** Continues a run's conversation with a question; its answers (never its reasoning) go back. */
  async followUp(runId: string, question: string): Promise<RunOutcome> {
    const previous = this.runs.get(runId);
    if (!previous?.output) {
      void vscode.window.showWarningMessage('ThinkLens: that run has no answer to follow up on. Run an analysis first.');
      return { findings: [] };
    }
    const target = await currentTarget(previous.target);
    return this.execute(
      { id: this.newId(), target, kind: 'follow-up', parentRunId: previous.id },
      { history: conversationOf(previous.output), question },
    );
  }

  async rerun(runId: string): Promise<RunOutcome> {
    const previous = this.runs.get(runId);
    if (!previous) return { findings: [] };
    const target = await currentTarget(previous.target);
    return this.analyse(target, previous.kind === 'follow-up' ? previous.target.code.kind : previous.kind);
  }

  /**
   * The error card's "Use …/v1": stores the base URL the run's own error suggests (user settings, as
   * Select Backend does) and runs it again. The address comes from the engine's error, never from
   * the panel.
   */
  async useSuggestedBaseUrl(runId: string): Promise<RunOutcome | undefined> {
    const suggested = this.runs.get(runId)?.error?.remedies.find((r) => r.kind === 'use-base-url');
    if (suggested?.kind !== 'use-base-url') return undefined;
    await vscode.workspace.getConfiguration('thinklens').update('baseUrl', suggested.url, vscode.ConfigurationTarget.Global);
    await this.deps.backends.reset();
    this.deps.log.info(`base URL set to ${suggested.url}, as the error of run ${runId} suggested`);
    return this.rerun(runId);
  }

  get hasRunWaitingForSetup(): boolean {
    return this.waitingForSetup !== undefined;
  }

  /** Starts the run that waited for setup, on the code as it is now. */
  async resumeAfterSetup(): Promise<RunOutcome | undefined> {
    const waiting = this.waitingForSetup;
    this.waitingForSetup = undefined;
    if (!waiting) return undefined;
    const target = await currentTarget(waiting.record.target);
    this.deps.log.info(`setup done: starting the ${waiting.record.kind} run that waited for it`);
    return this.execute({ ...waiting.record, target }, waiting.followUp);
  }

  /** Cancels one run, or all of them; what arrived stays on screen. */
  cancel(runId?: string): void {
    for (const record of this.runs.values()) if (!runId || record.id === runId) record.abort?.abort();
  }

  /** The newest run, for follow-up and export commands. */
  latestRunId(): string | undefined {
    return [...this.runs.keys()].pop();
  }

  dispose(): void {
    this.cancel();
    this.subscriptions.forEach((d) => d.dispose());
  }

  private newId(): string {
    return `run-${Date.now().toString(36)}-${++this.counter}`;
  }

  private async execute(
    record: RunRecord,
    followUp?: { history: RunOutput['messages']; question: string },
    signal?: AbortSignal,
  ): Promise<RunOutcome> {
    const { log, backends, status } = this.deps;
    const panel = this.deps.panel.session;
    const config = readConfig();
    const choice = await backends.choose(config);
    if (!choice.ok) {
      status.setBackend(undefined);
      this.waitingForSetup = { record, ...(followUp ? { followUp } : {}) };
      if (record.batch) this.updateBatch(slotOf(record), { state: 'failed' });
      panel.showSetup(
        `${choice.setup} Your ${record.kind === 'follow-up' ? 'follow-up' : record.kind} of ${record.target.code.path} starts by itself once a backend works.`,
      );
      log.warn(choice.setup);
      return { findings: [] };
    }
    const { backend } = choice;
    panel.hideSetup();
    status.setBackend(backend, choice.reason);
    if (!(await confirmHostedUse(this.deps.globalState, backend)) || this.batchCancelled(record)) {
      if (record.batch) this.updateBatch(slotOf(record), { state: 'cancelled' });
      return { findings: [], cancelled: true };
    }

    const controller = new AbortController();
    if (signal?.aborted) controller.abort();
    signal?.addEventListener('abort', () => controller.abort(), { once: true });
    record.abort = controller;
    this.runs.set(record.id, record);
    void vscode.commands.executeCommand('setContext', 'thinklens.hasRuns', true);
    status.runStarted(record.id);
    void this.updateRunningContext();
    // One deadline for the whole run: the probe, every part and sample, and the wait for a slot.
    const deadline = startDeadline(controller.signal, config.deadlineSeconds);
    try {
      return await this.runUnder(deadline, record, { backend, reason: choice.reason }, config, followUp);
    } finally {
      deadline.dispose();
    }
  }

  private async runUnder(
    deadline: RunDeadline,
    record: RunRecord,
    chosen: { backend: Backend; reason: string },
    config: ReturnType<typeof readConfig>,
    followUp: { history: RunOutput['messages']; question: string } | undefined,
  ): Promise<RunOutcome> {
    const { log, status } = this.deps;
    const panel = this.deps.panel.session;
    const { backend } = chosen;
    const { target } = record;
    // Samples apply to analyses; a follow-up continues one conversation.
    const samples = followUp ? 1 : config.samples;
    // The focus shapes the prompt (core/prompt.ts) as the CLI's --focus does; the filter follows in finish.
    const code = { ...target.code, focus: config.filter.focus };
    const settings = runSettingsOf(config);
    const planFor = (seed: number | undefined, signal: AbortSignal) =>
      prepareRun(backend, { code, settings: { ...settings, seed }, followUp }, signal);
    // One planner for the CLI and the extension: the server's window, the reserves, the answer constraint.
    const firstPlan = await deadline
      .race(planFor(sampleSeed(samples, 0, settings.seed), deadline.signal))
      .catch((error: unknown): RefusedPlan | undefined => {
        if (!deadline.signal.aborted) throw error;
        return undefined;
      });
    const messages = firstPlan?.ok ? firstPlan.requests[0]!.request.messages : [];
    for (const warning of firstPlan?.ok ? firstPlan.warnings : []) log.warn(`run ${record.id}: ${warning}`);
    panel.startRun({
      id: record.id,
      kind: record.kind,
      title: followUp ? `Follow-up: ${followUp.question.slice(0, 80)}` : target.title,
      file: { uri: (target.workingDocument ?? target.document).uri.toString(), path: target.code.path },
      prompt: messages[messages.length - 1]?.content,
      parentRunId: record.parentRunId,
      backend: backend.id,
      model: backend.model,
      startedAt: Date.now(),
    });
    if (record.batch) this.updateBatch(slotOf(record), { state: 'running', runId: record.id });
    log.info(
      `run ${record.id}: ${record.kind} ${target.title} with ${backend.id} (${backend.model})${samples > 1 ? `, ${samples} samples` : ''}; ${chosen.reason}`,
    );

    // The first sample streams into the panel; the others run beside it (within the concurrency
    // setting) and their traces join the run card when they finish.
    const slot = limiter(config.maxConcurrency);
    const sampleUsage: (Usage | undefined)[] = [];
    const sampled = await runReview({
      backend,
      code,
      samples,
      seed: settings.seed,
      planFor: (index, seed, signal) => (index === 0 && firstPlan ? Promise.resolve(firstPlan) : planFor(seed, signal)),
      slot,
      deadline,
      onEvent: (index, event) => {
        if (event.kind === 'usage') {
          sampleUsage[index] = event.usage;
          panel.setUsage(record.id, usageViewFromUsage(sumUsage(sampleUsage)!));
        }
        if (index !== 0) return;
        if (event.kind === 'reasoning') panel.appendReasoning(record.id, event.text);
        else if (event.kind === 'answer') {
          status.runAnswering(record.id);
          panel.appendAnswer(record.id, event.text);
        }
      },
    });
    record.output = sampled.outputs[0]!;
    record.error = sampled.error;
    record.abort = undefined;
    void this.updateRunningContext();
    const outcome = this.finish(record, sampled, config.filter);
    status.runEnded(record.id, outcome.cancelled ? 'cancelled' : outcome.error ? 'error' : 'done');
    if (record.batch) {
      const state = outcome.cancelled ? 'cancelled' : outcome.error ? 'failed' : 'done';
      this.updateBatch(slotOf(record), { state, findings: outcome.findings.length });
    }
    return outcome;
  }

  private finish(record: RunRecord, sampled: SampledRun<RunOutput>, filter: FindingFilter): RunOutcome {
    const { findings, log } = this.deps;
    const panel = this.deps.panel.session;
    const output = sampled.outputs[0]!;
    const { error } = sampled;
    // With several samples the first may have failed while the others voted: its text is still what streamed.
    const parsed = output.parsed ?? sampled.outputs.find((o) => o.parsed)?.parsed;
    if (error) {
      const cancelled = error.kind === 'cancelled';
      // A run the deadline stopped keeps what its finished parts found (nothing else fails with findings).
      const kept = cancelled || sampled.findings.length === 0 ? [] : (this.publishFound(record, sampled, filter, false) ?? []);
      panel.finishRun(record.id, {
        summary: kept.length ? (parsed?.summary ?? '') : '',
        prose: output.answer,
        findings: kept.map((f) => toFindingView(f, findings)),
        cancelled,
        error: cancelled ? undefined : errorViewOf(error),
      });
      if (!cancelled) {
        log.error(`run ${record.id} failed (${error.kind}): ${error.message}`, error);
        // The notification offers the same fixes as the card, for the backend that failed.
        const advice = editorAdvice(error.remedies, error.note);
        const actions = advice.actions.filter((a) => a.command !== 'rerun' && a.command !== COMMAND.showLog);
        void vscode.window
          .showErrorMessage(`ThinkLens: ${error.message} ${advice.text}`.trimEnd(), ...actions.map((a) => a.label), 'Show Reasoning')
          .then((pick) => {
            const action = actions.find((a) => a.label === pick);
            if (action?.command === 'use-base-url') void this.useSuggestedBaseUrl(record.id);
            else if (action) void vscode.commands.executeCommand(action.command, ...(action.backend ? [action.backend] : []));
            else if (pick) this.deps.panel.reveal(record.id);
          });
      } else log.info(`run ${record.id} cancelled; kept ${output.reasoning.length} characters of reasoning`);
      return { runId: record.id, findings: kept, error, cancelled, reasoning: output.reasoning };
    }
    const published = this.publishFound(record, sampled, filter, true);
    const problem = published
      ? parsed?.problem
      : 'The file changed while the model was thinking, so its findings were not placed. Run the analysis again.';
    const samples = sampled.outputs.length > 1 ? sampled.outputs.map(sampleView) : undefined;
    panel.finishRun(record.id, {
      summary: parsed?.summary ?? '',
      prose: parsed?.prose ?? output.answer,
      findings: (published ?? []).map((f) => toFindingView(f, findings)),
      problem,
      ...(samples ? { samples } : {}),
    });
    log.info(`run ${record.id} done: ${published?.length ?? 0} findings${problem ? `; ${problem}` : ''}`);
    // The walkthrough ticks its Explain and Review steps on a run that finished, never on one that failed.
    if (record.kind !== 'follow-up') void vscode.commands.executeCommand('setContext', WALKTHROUGH_DONE[record.kind], true);
    const wanted = filterFindings(relevantFindings(record.target, sampled.findings), { ...filter, minConfidence: undefined });
    return {
      runId: record.id,
      findings: published ?? [],
      summary: parsed?.summary,
      reasoning: output.reasoning,
      leftOutByConfidence: wanted.length - filterFindings(wanted, filter).length,
    };
  }

  /**
   * Publishes the run's findings as diagnostics; undefined when the file changed meanwhile. Only a
   * complete run replaces the earlier findings on the code it analysed, as a linter's recheck does;
   * a follow-up that names findings supersedes the conversation's earlier ones in this file.
   */
  private publishFound(record: RunRecord, sampled: SampledRun<RunOutput>, filter: FindingFilter, complete: boolean) {
    const found = filterFindings(relevantFindings(record.target, sampled.findings), filter);
    const replaces = found.length && complete ? this.earlierInConversation(record) : [];
    const covering = record.kind === 'follow-up' || !complete ? [] : record.target.code.ranges;
    const { document, workingDocument, version } = record.target;
    return workingDocument
      ? this.deps.findings.publishOnWorkingFile(document, workingDocument, record.id, found, version, replaces, covering)
      : this.deps.findings.publish(document, record.id, found, version, replaces, covering);
  }

  private refreshPanelFindings(uri: vscode.Uri): void {
    const store = this.deps.findings;
    // Dismissed findings are still tracked: the card counts them, and lists them when asked.
    const current = store.tracked(uri);
    for (const record of this.runs.values()) {
      const shownOn = record.target.workingDocument ?? record.target.document;
      if (shownOn.uri.toString() !== uri.toString() || !record.output?.parsed) continue;
      const open = current.filter((f) => f.runId === record.id).map((f) => toFindingView(f, store));
      // The edit that applied a fix also touched its range: settled findings are shown as settled, not stale.
      const settled = this.deps.findings.settledFor(record.id).map(({ finding, how }) => ({
        ...toFindingView(finding, store),
        hasFix: false,
        fixRefused: undefined,
        stale: false,
        ...(how === 'applied' || how === 'dismissed' ? { [how]: true } : { withdrawn: how }),
      }));
      // Finding ids count up in publishing order; keep the list in that order.
      const byId = (a: FindingView, b: FindingView) => Number(a.id.slice(1)) - Number(b.id.slice(1));
      this.deps.panel.session.updateFindings(record.id, [...open, ...settled].sort(byId));
    }
  }

  /** The runs this follow-up continues, oldest first. */
  private earlierInConversation(record: RunRecord): string[] {
    const earlier: string[] = [];
    for (let parent = record.parentRunId; parent !== undefined && !earlier.includes(parent); parent = this.runs.get(parent)?.parentRunId) {
      earlier.unshift(parent);
    }
    return earlier;
  }

  private batchCancelled(record: RunRecord): boolean {
    return record.batch !== undefined && this.batches.get(record.batch.id)?.cancelled === true;
  }

  private updateBatch({ batchId, index }: BatchSlot, change: Partial<BatchFileView>): void {
    const batch = this.batches.get(batchId);
    const file = batch?.view.files[index];
    if (!batch || !file) return;
    batch.view = { ...batch.view, files: batch.view.files.map((f, i) => (i === index ? { ...f, ...change } : f)) };
    this.deps.panel.session.setBatch(batch.view);
  }

  private updateRunningContext(): Thenable<unknown> {
    return vscode.commands.executeCommand('setContext', 'thinklens.running', this.running);
  }
}

/** Context keys the walkthrough's steps complete on (package.json `completionEvents`). */
const WALKTHROUGH_DONE = { explain: 'thinklens.explainSucceeded', review: 'thinklens.reviewSucceeded' } as const;

function slotOf(record: RunRecord): BatchSlot {
  return { batchId: record.batch!.id, index: record.batch!.index };
}

/** The same code as `target`, stamped with the document's text and version as they are now. */
async function currentTarget(target: AnalysisTarget): Promise<AnalysisTarget> {
  const document = await vscode.workspace.openTextDocument(target.document.uri);
  return { ...target, document, version: document.version, code: { ...target.code, fileText: document.getText() } };
}

function sampleView(output: RunOutput): SampleView {
  return { reasoning: output.reasoning, ...(output.error ? { error: output.error.message } : {}) };
}

function relevantFindings(target: AnalysisTarget, found: readonly Finding[]): readonly Finding[] {
  return target.changedLinesOnly ? keepNearChanges(found, target.code.ranges) : found;
}

/** The settings that shape a request; the window, reserves and JSON mode come from the backend's profile. */
export function runSettingsOf(config: ThinkLensConfig): RunSettings {
  return {
    temperature: config.temperature,
    topP: config.topP,
    seed: config.seed,
    maxTokens: config.maxTokens,
    reasoningEffort: config.reasoningEffort,
    ...(config.thinkingBudget > 0 ? { thinkingBudget: config.thinkingBudget } : {}),
  };
}

/** The panel's view of a finding; `memory` adds what the person said about it (dismissed, their mark). */
export function toFindingView(stamped: StampedFinding, store: Pick<FindingStore, 'memory'>): FindingView {
  const { finding, range } = stamped;
  const { memory } = store;
  const feedback = memory.feedback(finding.fingerprint);
  return {
    id: stamped.id,
    title: finding.title,
    severity: finding.severity,
    category: finding.category,
    file: { uri: stamped.uri.toString(), path: relativePathOf(stamped.uri) },
    range: {
      startLine: range.start.line + 1,
      startColumn: range.start.character,
      endLine: range.end.line + 1,
      endColumn: range.end.character,
    },
    explanation: finding.explanation,
    hasFix: Boolean(stamped.fix && !stamped.fixUnavailable),
    ...(stamped.fix && !stamped.fixUnavailable
      ? { fix: { startLine: stamped.fix.range.start.line + 1, removed: stamped.fix.expectedText, added: stamped.fix.replacement } }
      : {}),
    fixRefused: stamped.fixUnavailable,
    locationUncertain: finding.locationUncertain,
    stale: stamped.edited || stamped.stale,
    evidence: finding.evidence.map(({ start, end }) => ({ start, end })),
    confidence: finding.confidence,
    ...(finding.confidenceReasons.length ? { confidenceReasons: finding.confidenceReasons } : {}),
    ...(finding.agreement ? { agreement: finding.agreement } : {}),
    ...(finding.sample !== undefined ? { sample: finding.sample } : {}),
    ...(finding.fingerprint ? { fingerprint: finding.fingerprint } : {}),
    ...(memory.isDismissed(finding.fingerprint) ? { dismissed: true } : {}),
    ...(stamped.dismissedBefore ? { dismissedBefore: true } : {}),
    ...(feedback ? { feedback } : {}),
  };
}
