// The messages between the extension host and the review panel, and the view models they carry.
// Both sides import this file; neither trusts the other's messages before `isHostMessage` /
// `isWebviewMessage` has checked them. No `vscode` and no DOM here.
//
// Each view model and message is written once, as a valibot schema; its TypeScript type is derived
// from the schema (`v.InferOutput`), so a field cannot exist without its check, and a misspelt key
// fails at type-check. Add a field to the schema, never a type beside it. Keys a schema does not
// list are let through unchecked and unused (the checks test, they do not rewrite messages).
import * as v from 'valibot';
import { BACKEND_IDS } from '../core/types';
import { CATEGORIES, CONFIDENCES_ASCENDING, SEVERITIES } from '../core/contract';
import { COMMAND } from './commandIds';

// The panel names and sorts findings by the answer contract's own tables.
export { categoryLabel, severityRank, type Category, type Confidence, type Severity } from '../core/contract';
// ... and hides a streaming answer's JSON block where the parser would read it.
export { AnswerBlockScanner } from '../core/answerBlock';

// ---- Building blocks ----

/** An object with these checked keys; its type is readonly, as the panel never edits a message in place. */
const record = <const E extends v.ObjectEntries>(entries: E) => v.pipe(v.object(entries), v.readonly());
const list = <const T extends v.GenericSchema>(item: T) => v.pipe(v.array(item), v.readonly());
/** May be absent or undefined. */
const maybe = v.optional;

const text = v.string();
const flag = v.boolean();
/** Token counts, prices, epoch milliseconds, columns: finite and not negative. */
const count = v.pipe(v.number(), v.finite(), v.minValue(0));
/** A 1-based line number. */
const line = v.pipe(v.number(), v.integer(), v.minValue(1));
/** Run, finding and thread ids. */
const id = v.pipe(v.string(), v.minLength(1), v.maxLength(200));

// ---- View models ----

const RunViewKindSchema = v.picklist(['explain', 'review', 'follow-up']);
export type RunViewKind = v.InferOutput<typeof RunViewKindSchema>;
const DisplayModeSchema = v.picklist(['expanded', 'collapsed', 'hidden']);
export type DisplayMode = v.InferOutput<typeof DisplayModeSchema>;
const RunStatusSchema = v.picklist(['running', 'done', 'error', 'cancelled', 'interrupted']);
export type RunStatus = v.InferOutput<typeof RunStatusSchema>;
const BackendIdSchema = v.picklist(BACKEND_IDS);

/** A file as the panel shows it: the URI the host resolves, the path a person reads. */
const FileRefSchema = record({ uri: text, path: text });
export type FileRef = v.InferOutput<typeof FileRefSchema>;

const RunHeaderSchema = record({
  id,
  kind: RunViewKindSchema,
  title: text,
  file: maybe(FileRefSchema),
  /** Backend id or label, e.g. `deepseek`. */
  backend: text,
  model: text,
  /** Epoch milliseconds. */
  startedAt: count,
  /** The prompt sent to the model, kept for export. */
  prompt: maybe(text),
  /** For follow-ups: the run this one continues; the panel shows them as one conversation. */
  parentRunId: maybe(id),
});
export type RunHeader = v.InferOutput<typeof RunHeaderSchema>;

/** Where a finding sits: lines 1-based inclusive; columns (when known) 0-based UTF-16, end exclusive. */
const FindingRangeSchema = record({
  startLine: line,
  endLine: line,
  startColumn: maybe(count),
  endColumn: maybe(count),
});
export type FindingRange = v.InferOutput<typeof FindingRangeSchema>;

const FixPreviewSchema = record({
  startLine: line,
  /** The lines the fix replaces, as they are in the file. */
  removed: text,
  /** The lines it puts there. */
  added: text,
});
export type FixPreview = v.InferOutput<typeof FixPreviewSchema>;

/** 0-based character offsets into a reasoning trace, end exclusive. */
const EvidenceSpanSchema = record({ start: count, end: count });
export type EvidenceSpan = v.InferOutput<typeof EvidenceSpanSchema>;

const AgreementViewSchema = record({ count, of: count });
export type AgreementView = v.InferOutput<typeof AgreementViewSchema>;

/** One of several samples of a review: its own reasoning, and why it failed if it did. */
const SampleViewSchema = record({ reasoning: text, error: maybe(text) });
export type SampleView = v.InferOutput<typeof SampleViewSchema>;

/** The person's mark on a finding. */
export const FEEDBACK_MARKS = ['helpful', 'not-helpful'] as const;
const FeedbackMarkSchema = v.picklist(FEEDBACK_MARKS);
export type FeedbackMark = v.InferOutput<typeof FeedbackMarkSchema>;

const FindingViewSchema = record({
  id,
  title: text,
  severity: v.picklist(SEVERITIES),
  category: v.picklist(CATEGORIES),
  file: FileRefSchema,
  range: FindingRangeSchema,
  /** Markdown from the model; the panel sanitizes it. */
  explanation: text,
  hasFix: flag,
  /** Why the fix was withheld. */
  fixRefused: maybe(text),
  locationUncertain: flag,
  /** The document changed since the review; the finding may no longer apply. */
  stale: maybe(flag),
  applied: maybe(flag),
  dismissed: maybe(flag),
  /** The change the fix makes, shown before it is applied: whole lines from `startLine`. */
  fix: maybe(FixPreviewSchema),
  /** Left the editor without the person acting on it: a newer run over its code replaced it, or Clear Findings removed it. */
  withdrawn: maybe(v.picklist(['replaced', 'cleared'])),
  /** The passages of the reasoning that led to it: offsets into the trace of sample `sample` (or the run's reasoning). */
  evidence: maybe(list(EvidenceSpanSchema)),
  confidence: maybe(v.picklist(CONFIDENCES_ASCENDING)),
  /** Why the confidence is not high, for people. */
  confidenceReasons: maybe(list(text)),
  /** With several samples: in how many of them it came up. */
  agreement: maybe(AgreementViewSchema),
  /** With several samples: which one (0-based) its text and evidence come from. */
  sample: maybe(count),
  /** Identity across runs and edits (see src/core/fingerprint.ts): what dismissals and marks are kept by. */
  fingerprint: maybe(id),
  /** It was already dismissed in this workspace when this run found it, so it came back hidden. */
  dismissedBefore: maybe(flag),
  /** The person's helpful / not helpful mark, kept in workspace storage by fingerprint. */
  feedback: maybe(FeedbackMarkSchema),
});
export type FindingView = v.InferOutput<typeof FindingViewSchema>;

const usageEntries = {
  promptTokens: count,
  reasoningTokens: count,
  answerTokens: count,
  cachedPromptTokens: maybe(count),
  costUsd: maybe(count),
  tokensPerSecond: maybe(count),
};
const UsageViewSchema = record(usageEntries);
export type UsageView = v.InferOutput<typeof UsageViewSchema>;
const SessionUsageViewSchema = record({ ...usageEntries, runs: count });
export type SessionUsageView = v.InferOutput<typeof SessionUsageViewSchema>;

/** Commands the panel may ask the host to run: a fixed list, never a name taken from model output. */
export const PANEL_COMMANDS = [
  COMMAND.selectBackend,
  COMMAND.setApiKey,
  COMMAND.downloadModel,
  COMMAND.showLog,
  COMMAND.exportTrace,
] as const;
const PanelCommandSchema = v.picklist(PANEL_COMMANDS);
export type PanelCommand = v.InferOutput<typeof PanelCommandSchema>;
export const isPanelCommand = (x: unknown): x is PanelCommand => v.is(PanelCommandSchema, x);

/**
 * A button under an error: run an allowed command, run the same request again, or use the base URL
 * the run's error suggests (the host reads it from its own record of the run, never from the panel).
 */
const ErrorActionSchema = record({
  label: text,
  command: v.picklist([...PANEL_COMMANDS, 'rerun', 'use-base-url']),
  /** The backend the command is about (Set API key asks for the key of the backend that failed). */
  backend: maybe(BackendIdSchema),
});
export type ErrorAction = v.InferOutput<typeof ErrorActionSchema>;

const ErrorViewSchema = record({
  /** A `BackendErrorKind` or another short machine-readable kind. */
  kind: text,
  /** What happened, for a person. */
  message: text,
  /** What to do about it. */
  hint: maybe(text),
  /** The server's own words, redacted. */
  detail: maybe(text),
  actions: list(ErrorActionSchema),
});
export type ErrorView = v.InferOutput<typeof ErrorViewSchema>;

const RunResultSchema = record({
  summary: text,
  /** The answer without its JSON block. */
  prose: text,
  findings: list(FindingViewSchema),
  /** Set when the answer had no readable findings block. */
  problem: maybe(text),
  error: maybe(ErrorViewSchema),
  cancelled: maybe(flag),
  /**
   * With several samples of a review: each one's trace, the first being the run's own `reasoning`
   * (the one that streamed). Findings' `sample` indexes this.
   */
  samples: maybe(list(SampleViewSchema)),
});
export type RunResult = v.InferOutput<typeof RunResultSchema>;

/** Everything the panel knows about one run. */
const RunViewSchema = record({
  header: RunHeaderSchema,
  status: RunStatusSchema,
  reasoning: text,
  answer: text,
  /** Streamed pieces so far: a close estimate of tokens until the server reports usage. */
  reasoningPieces: count,
  answerPieces: count,
  answerStartedAt: maybe(count),
  finishedAt: maybe(count),
  usage: maybe(UsageViewSchema),
  result: maybe(RunResultSchema),
  /** The stored copy of a long trace was shortened. */
  trimmed: maybe(flag),
  /** From an earlier session (history): its findings are no longer in the editor, so they cannot be fixed or dismissed. */
  restored: maybe(flag),
});
export type RunView = v.InferOutput<typeof RunViewSchema>;
/** Also checks stored history before the host trusts it. */
export const isRunView = (x: unknown): x is RunView => v.is(RunViewSchema, x);

const HistoryEntrySchema = record({
  /** The first run of the conversation. */
  threadId: id,
  title: text,
  kind: RunViewKindSchema,
  file: maybe(FileRefSchema),
  startedAt: count,
  status: RunStatusSchema,
  findings: count,
  runs: count,
});
export type HistoryEntry = v.InferOutput<typeof HistoryEntrySchema>;
const HistorySchema = list(HistoryEntrySchema);

const SetupViewSchema = record({ reason: text });
export type SetupView = v.InferOutput<typeof SetupViewSchema>;

/** Where one file of a review over several files stands. */
const BatchFileStateSchema = v.picklist(['queued', 'running', 'done', 'failed', 'cancelled']);
export type BatchFileState = v.InferOutput<typeof BatchFileStateSchema>;

const BatchFileViewSchema = record({
  file: FileRefSchema,
  state: BatchFileStateSchema,
  /** Findings the file's run published (0 until it is done). */
  findings: count,
  /** The file's run once it started; choosing the row puts that run on screen. */
  runId: maybe(id),
});
export type BatchFileView = v.InferOutput<typeof BatchFileViewSchema>;

/** Several files reviewed at once (Review Changes, several files picked): one row per file. */
const BatchViewSchema = record({
  id,
  /** What kind of review, e.g. "Review staged changes". */
  title: text,
  startedAt: count,
  files: list(BatchFileViewSchema),
});
export type BatchView = v.InferOutput<typeof BatchViewSchema>;

const PanelSnapshotSchema = record({
  display: DisplayModeSchema,
  setup: maybe(SetupViewSchema),
  session: SessionUsageViewSchema,
  history: HistorySchema,
  /** The conversation on screen, oldest run first. */
  thread: list(RunViewSchema),
  /** This session's reviews over several files, newest last. */
  batches: maybe(list(BatchViewSchema)),
  /** The person asked to see dismissed findings (in this window). */
  showDismissed: maybe(flag),
});
export type PanelSnapshot = v.InferOutput<typeof PanelSnapshotSchema>;

/** One run's coalesced deltas since the previous post. */
const RunDeltaSchema = record({
  runId: id,
  reasoning: text,
  answer: text,
  reasoningPieces: count,
  answerPieces: count,
  answerStartedAt: maybe(count),
});
export type RunDelta = v.InferOutput<typeof RunDeltaSchema>;

// ---- Messages ----

/** Messages are told apart by `type`; an unknown type, a missing key or a wrong value rejects the whole message. */
const message = <const T extends string, const E extends v.ObjectEntries>(type: T, entries: E) =>
  v.object({ type: v.literal(type), ...entries });

const HostMessageSchema = v.variant('type', [
  message('snapshot', { snapshot: PanelSnapshotSchema }),
  message('runStarted', { run: RunViewSchema, threadId: id, history: HistorySchema }),
  message('deltas', { items: list(RunDeltaSchema) }),
  message('usage', { runId: id, usage: UsageViewSchema, session: SessionUsageViewSchema }),
  message('runFinished', { runId: id, status: RunStatusSchema, result: RunResultSchema, finishedAt: count, history: HistorySchema }),
  message('findings', { runId: id, findings: list(FindingViewSchema) }),
  message('thread', { thread: list(RunViewSchema) }),
  message('history', { history: HistorySchema }),
  message('setup', { setup: v.nullable(SetupViewSchema) }),
  message('display', { mode: DisplayModeSchema }),
  /** A review over several files started or moved on (a file started, finished, failed). */
  message('batch', { batch: BatchViewSchema }),
  /** With `findingId`: reveal that finding and highlight the passages of the reasoning behind it. */
  message('focusRun', { runId: id, showTrace: flag, findingId: maybe(id) }),
  /** The view's title-bar History button: show (or hide) the list of recent conversations. */
  message('showHistory', {}),
  /** Dismissed findings are shown (with Undismiss) or hidden, everywhere. */
  message('dismissedShown', { show: flag }),
]);
export type HostToWebview = Readonly<v.InferOutput<typeof HostMessageSchema>>;

export const MAX_FOLLOW_UP_LENGTH = 8000;

/** Which finding of which run. */
const findingRef = { runId: id, findingId: id };

const WebviewMessageSchema = v.variant('type', [
  message('ready', {}),
  message('revealFinding', findingRef),
  message('applyFix', findingRef),
  /** Apply through VS Code's refactor preview, where the person confirms or discards the change. */
  message('previewFix', findingRef),
  message('dismissFinding', findingRef),
  /** Forget a dismissal: the finding is open again, here and on later runs. */
  message('undismissFinding', findingRef),
  /** Show or hide the findings dismissed in this workspace. */
  message('showDismissed', { show: flag }),
  /** Mark a finding helpful or not helpful, or clear the mark with 'none'. */
  message('markFinding', { ...findingRef, mark: v.picklist([...FEEDBACK_MARKS, 'none']) }),
  message('cancelRun', { runId: id }),
  /** End the run's thinking and get the answer from the reasoning so far. */
  message('answerNow', { runId: id }),
  message('rerun', { runId: id }),
  /** Use the base URL the run's error suggests, then run it again. */
  message('useBaseUrl', { runId: id }),
  message('followUp', {
    runId: id,
    question: v.pipe(
      v.string(),
      v.check((question) => question.trim().length > 0),
      v.maxLength(MAX_FOLLOW_UP_LENGTH),
    ),
  }),
  message('runCommand', { command: PanelCommandSchema, backend: maybe(BackendIdSchema) }),
  message('exportRun', { runId: id }),
  message('openThread', { threadId: id }),
  /** The host asks the person before opening; only http and https. */
  message('openLink', { href: v.pipe(v.string(), v.check(isWebLink)) }),
]);
export type WebviewToHost = Readonly<v.InferOutput<typeof WebviewMessageSchema>>;

/** Arrays are objects to valibot; a message never is one. */
const isRecord = (x: unknown): x is Record<string, unknown> => typeof x === 'object' && x !== null && !Array.isArray(x);

export function isHostMessage(x: unknown): x is HostToWebview {
  return isRecord(x) && v.is(HostMessageSchema, x);
}

export function isWebviewMessage(x: unknown): x is WebviewToHost {
  return isRecord(x) && v.is(WebviewMessageSchema, x);
}

/** Only absolute http(s) URLs may leave the panel; everything else (javascript:, command:, data:, file:) is refused. */
export function isWebLink(href: string): boolean {
  if (href.length > 2048) return false;
  try {
    const url = new URL(href);
    return (url.protocol === 'http:' || url.protocol === 'https:') && url.hostname.length > 0;
  } catch {
    return false;
  }
}
