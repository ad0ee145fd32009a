// The messages between the extension host and the review panel, and the view models they carry.
// Both sides import this file; neither trusts the other's messages before `isHostMessage` /
// `isWebviewMessage` has checked them. No `vscode` and no DOM here.
import { BACKEND_IDS, type BackendId, type Usage } from '../core/types';
import { CATEGORIES, SEVERITIES, type Category, type Severity } from '../core/contract';
import { COMMAND } from './commandIds';

// The panel names and sorts findings by the answer contract's own tables.
export { categoryLabel, severityRank, type Category, type Severity } from '../core/contract';
// ... and hides a streaming answer's JSON block where the parser would read it.
export { AnswerBlockScanner } from '../core/answerBlock';

// ---- View models ----

export type RunViewKind = 'explain' | 'review' | 'follow-up';
export type DisplayMode = 'expanded' | 'collapsed' | 'hidden';
export type RunStatus = 'running' | 'done' | 'error' | 'cancelled' | 'interrupted';

/** A file as the panel shows it: the URI the host resolves, the path a person reads. */
export interface FileRef {
  readonly uri: string;
  readonly path: string;
}

export interface RunHeader {
  readonly id: string;
  readonly kind: RunViewKind;
  readonly title: string;
  readonly file?: FileRef;
  /** Backend id or label, e.g. `deepseek`. */
  readonly backend: string;
  readonly model: string;
  /** Epoch milliseconds. */
  readonly startedAt: number;
  /** The prompt sent to the model, kept for export. */
  readonly prompt?: string;
  /** For follow-ups: the run this one continues; the panel shows them as one conversation. */
  readonly parentRunId?: string;
}

/** Where a finding sits: lines 1-based inclusive; columns (when known) 0-based UTF-16, end exclusive. */
export interface FindingRange {
  readonly startLine: number;
  readonly endLine: number;
  readonly startColumn?: number;
  readonly endColumn?: number;
}

export interface FindingView {
  readonly id: string;
  readonly title: string;
  readonly severity: Severity;
  readonly category: Category;
  readonly file: FileRef;
  readonly range: FindingRange;
  /** Markdown from the model; the panel sanitizes it. */
  readonly explanation: string;
  readonly hasFix: boolean;
  /** Why the fix was withheld. */
  readonly fixRefused?: string;
  readonly locationUncertain: boolean;
  /** The document changed since the review; the finding may no longer apply. */
  readonly stale?: boolean;
  readonly applied?: boolean;
  readonly dismissed?: boolean;
  /** The change the fix makes, shown before it is applied: whole lines from `startLine`. */
  readonly fix?: FixPreview;
  /** Left the editor without the person acting on it: a newer run over its code replaced it, or Clear Findings removed it. */
  readonly withdrawn?: 'replaced' | 'cleared';
}

export interface FixPreview {
  readonly startLine: number;
  /** The lines the fix replaces, as they are in the file. */
  readonly removed: string;
  /** The lines it puts there. */
  readonly added: string;
}

export interface UsageView {
  readonly promptTokens: number;
  readonly reasoningTokens: number;
  readonly answerTokens: number;
  readonly cachedPromptTokens?: number;
  readonly costUsd?: number;
  readonly tokensPerSecond?: number;
}

/** Commands the panel may ask the host to run: a fixed list, never a name taken from model output. */
export const PANEL_COMMANDS = [
  COMMAND.selectBackend,
  COMMAND.setApiKey,
  COMMAND.downloadModel,
  COMMAND.showLog,
  COMMAND.exportTrace,
] as const;
export type PanelCommand = (typeof PANEL_COMMANDS)[number];

/** A button under an error: run an allowed command, or run the same request again. */
export interface ErrorAction {
  readonly label: string;
  readonly command: PanelCommand | 'rerun';
  /** The backend the command is about (Set API key asks for the key of the backend that failed). */
  readonly backend?: BackendId;
}

export interface ErrorView {
  /** A `BackendErrorKind` or another short machine-readable kind. */
  readonly kind: string;
  /** What happened, for a person. */
  readonly message: string;
  /** What to do about it. */
  readonly hint?: string;
  /** The server's own words, redacted. */
  readonly detail?: string;
  readonly actions: readonly ErrorAction[];
}

export interface RunResult {
  readonly summary: string;
  /** The answer without its JSON block. */
  readonly prose: string;
  readonly findings: readonly FindingView[];
  /** Set when the answer had no readable findings block. */
  readonly problem?: string;
  readonly error?: ErrorView;
  readonly cancelled?: boolean;
}

/** Everything the panel knows about one run. */
export interface RunView {
  readonly header: RunHeader;
  readonly status: RunStatus;
  readonly reasoning: string;
  readonly answer: string;
  /** Streamed pieces so far: a close estimate of tokens until the server reports usage. */
  readonly reasoningPieces: number;
  readonly answerPieces: number;
  readonly answerStartedAt?: number;
  readonly finishedAt?: number;
  readonly usage?: UsageView;
  readonly result?: RunResult;
  /** The stored copy of a long trace was shortened. */
  readonly trimmed?: boolean;
  /** From an earlier session (history): its findings are no longer in the editor, so they cannot be fixed or dismissed. */
  readonly restored?: boolean;
}

export interface HistoryEntry {
  /** The first run of the conversation. */
  readonly threadId: string;
  readonly title: string;
  readonly kind: RunViewKind;
  readonly file?: FileRef;
  readonly startedAt: number;
  readonly status: RunStatus;
  readonly findings: number;
  readonly runs: number;
}

export interface SessionUsageView extends UsageView {
  readonly runs: number;
}

export interface SetupView {
  readonly reason: string;
}

export interface PanelSnapshot {
  readonly display: DisplayMode;
  readonly setup?: SetupView;
  readonly session: SessionUsageView;
  readonly history: readonly HistoryEntry[];
  /** The conversation on screen, oldest run first. */
  readonly thread: readonly RunView[];
}

/** One run's coalesced deltas since the previous post. */
export interface RunDelta {
  readonly runId: string;
  readonly reasoning: string;
  readonly answer: string;
  readonly reasoningPieces: number;
  readonly answerPieces: number;
  readonly answerStartedAt?: number;
}

// ---- Messages ----

export type HostToWebview =
  | { readonly type: 'snapshot'; readonly snapshot: PanelSnapshot }
  | { readonly type: 'runStarted'; readonly run: RunView; readonly threadId: string; readonly history: readonly HistoryEntry[] }
  | { readonly type: 'deltas'; readonly items: readonly RunDelta[] }
  | { readonly type: 'usage'; readonly runId: string; readonly usage: UsageView; readonly session: SessionUsageView }
  | {
      readonly type: 'runFinished';
      readonly runId: string;
      readonly status: RunStatus;
      readonly result: RunResult;
      readonly finishedAt: number;
      readonly history: readonly HistoryEntry[];
    }
  | { readonly type: 'findings'; readonly runId: string; readonly findings: readonly FindingView[] }
  | { readonly type: 'thread'; readonly thread: readonly RunView[] }
  | { readonly type: 'history'; readonly history: readonly HistoryEntry[] }
  | { readonly type: 'setup'; readonly setup: SetupView | null }
  | { readonly type: 'display'; readonly mode: DisplayMode }
  | { readonly type: 'focusRun'; readonly runId: string; readonly showTrace: boolean }
  /** The view's title-bar History button: show (or hide) the list of recent conversations. */
  | { readonly type: 'showHistory' };

export const MAX_FOLLOW_UP_LENGTH = 8000;

export type WebviewToHost =
  | { readonly type: 'ready' }
  | { readonly type: 'revealFinding'; readonly runId: string; readonly findingId: string }
  | { readonly type: 'applyFix'; readonly runId: string; readonly findingId: string }
  /** Apply through VS Code's refactor preview, where the person confirms or discards the change. */
  | { readonly type: 'previewFix'; readonly runId: string; readonly findingId: string }
  | { readonly type: 'dismissFinding'; readonly runId: string; readonly findingId: string }
  | { readonly type: 'cancelRun'; readonly runId: string }
  | { readonly type: 'rerun'; readonly runId: string }
  | { readonly type: 'followUp'; readonly runId: string; readonly question: string }
  | { readonly type: 'runCommand'; readonly command: PanelCommand; readonly backend?: BackendId }
  | { readonly type: 'exportRun'; readonly runId: string }
  | { readonly type: 'openThread'; readonly threadId: string }
  /** The host asks the person before opening; only http and https. */
  | { readonly type: 'openLink'; readonly href: string };

// ---- Runtime checks ----

type Check<T> = (x: unknown) => x is T;

const isRecord = (x: unknown): x is Record<string, unknown> => typeof x === 'object' && x !== null && !Array.isArray(x);
const isString = (x: unknown): x is string => typeof x === 'string';
const isCount = (x: unknown): x is number => typeof x === 'number' && Number.isFinite(x) && x >= 0;
const isLine = (x: unknown): x is number => Number.isInteger(x) && (x as number) >= 1;
const isBoolean = (x: unknown): x is boolean => typeof x === 'boolean';
const isId = (x: unknown): x is string => typeof x === 'string' && x.length > 0 && x.length <= 200;
const oneOf =
  <T extends string>(values: readonly T[]): Check<T> =>
  (x: unknown): x is T =>
    typeof x === 'string' && (values as readonly string[]).includes(x);
const arrayOf =
  <T>(item: Check<T>): Check<readonly T[]> =>
  (x: unknown): x is readonly T[] =>
    Array.isArray(x) && x.every(item);
/** An object whose listed keys pass their checks; a key marked optional may be absent or undefined. */
function shape<T>(required: Record<string, Check<unknown>>, optional: Record<string, Check<unknown>> = {}): Check<T> {
  return (x: unknown): x is T => {
    if (!isRecord(x)) return false;
    for (const [key, check] of Object.entries(required)) if (!check(x[key])) return false;
    for (const [key, check] of Object.entries(optional)) if (x[key] !== undefined && !check(x[key])) return false;
    return true;
  };
}

const isRunKind = oneOf<RunViewKind>(['explain', 'review', 'follow-up']);
const isDisplayMode = oneOf<DisplayMode>(['expanded', 'collapsed', 'hidden']);
const isRunStatus = oneOf<RunStatus>(['running', 'done', 'error', 'cancelled', 'interrupted']);
export const isPanelCommand = oneOf<PanelCommand>(PANEL_COMMANDS);

const isFileRef = shape<FileRef>({ uri: isString, path: isString });
const isRunHeader = shape<RunHeader>(
  { id: isId, kind: isRunKind, title: isString, backend: isString, model: isString, startedAt: isCount },
  { file: isFileRef, prompt: isString, parentRunId: isId },
);
const isFindingRange = shape<FindingRange>(
  { startLine: isLine, endLine: isLine },
  { startColumn: isCount, endColumn: isCount },
);
const isFindingView = shape<FindingView>(
  {
    id: isId,
    title: isString,
    severity: oneOf(SEVERITIES),
    category: oneOf(CATEGORIES),
    file: isFileRef,
    range: isFindingRange,
    explanation: isString,
    hasFix: isBoolean,
    locationUncertain: isBoolean,
  },
  {
    fixRefused: isString,
    stale: isBoolean,
    applied: isBoolean,
    dismissed: isBoolean,
    withdrawn: oneOf(['replaced', 'cleared']),
    fix: shape<FixPreview>({ startLine: isLine, removed: isString, added: isString }),
  },
);
const usageFields = { promptTokens: isCount, reasoningTokens: isCount, answerTokens: isCount };
const usageOptional = { cachedPromptTokens: isCount, costUsd: isCount, tokensPerSecond: isCount };
const isUsageView = shape<UsageView>(usageFields, usageOptional);
const isSessionUsage = shape<SessionUsageView>({ ...usageFields, runs: isCount }, usageOptional);
const isBackendId = oneOf<BackendId>(BACKEND_IDS);
const isErrorAction = shape<ErrorAction>(
  {
    label: isString,
    command: (x: unknown) => x === 'rerun' || isPanelCommand(x),
  },
  { backend: isBackendId },
);
const isErrorView = shape<ErrorView>({ kind: isString, message: isString, actions: arrayOf(isErrorAction) }, { hint: isString, detail: isString });
const isRunResult = shape<RunResult>(
  { summary: isString, prose: isString, findings: arrayOf(isFindingView) },
  { problem: isString, error: isErrorView, cancelled: isBoolean },
);
/** Also checks stored history before the host trusts it. */
export const isRunView = shape<RunView>(
  {
    header: isRunHeader,
    status: isRunStatus,
    reasoning: isString,
    answer: isString,
    reasoningPieces: isCount,
    answerPieces: isCount,
  },
  { answerStartedAt: isCount, finishedAt: isCount, usage: isUsageView, result: isRunResult, trimmed: isBoolean, restored: isBoolean },
);
const isHistoryEntry = shape<HistoryEntry>(
  { threadId: isId, title: isString, kind: isRunKind, startedAt: isCount, status: isRunStatus, findings: isCount, runs: isCount },
  { file: isFileRef },
);
const isHistory = arrayOf(isHistoryEntry);
const isSetupView = shape<SetupView>({ reason: isString });
const isSnapshot = shape<PanelSnapshot>(
  { display: isDisplayMode, session: isSessionUsage, history: isHistory, thread: arrayOf(isRunView) },
  { setup: isSetupView },
);
const isRunDelta = shape<RunDelta>(
  { runId: isId, reasoning: isString, answer: isString, reasoningPieces: isCount, answerPieces: isCount },
  { answerStartedAt: isCount },
);

const hostChecks: { readonly [K in HostToWebview['type']]: Check<unknown> } = {
  snapshot: shape({ snapshot: isSnapshot }),
  runStarted: shape({ run: isRunView, threadId: isId, history: isHistory }),
  deltas: shape({ items: arrayOf(isRunDelta) }),
  usage: shape({ runId: isId, usage: isUsageView, session: isSessionUsage }),
  runFinished: shape({ runId: isId, status: isRunStatus, result: isRunResult, finishedAt: isCount, history: isHistory }),
  findings: shape({ runId: isId, findings: arrayOf(isFindingView) }),
  thread: shape({ thread: arrayOf(isRunView) }),
  history: shape({ history: isHistory }),
  setup: shape({ setup: (x: unknown) => x === null || isSetupView(x) }),
  display: shape({ mode: isDisplayMode }),
  focusRun: shape({ runId: isId, showTrace: isBoolean }),
  showHistory: isRecord,
};

const isFollowUpQuestion = (x: unknown): x is string =>
  typeof x === 'string' && x.trim().length > 0 && x.length <= MAX_FOLLOW_UP_LENGTH;
const findingRef = shape({ runId: isId, findingId: isId });
const webviewChecks: { readonly [K in WebviewToHost['type']]: Check<unknown> } = {
  ready: isRecord,
  revealFinding: findingRef,
  applyFix: findingRef,
  previewFix: findingRef,
  dismissFinding: findingRef,
  cancelRun: shape({ runId: isId }),
  rerun: shape({ runId: isId }),
  followUp: shape({ runId: isId, question: isFollowUpQuestion }),
  runCommand: shape({ command: isPanelCommand }, { backend: isBackendId }),
  exportRun: shape({ runId: isId }),
  openThread: shape({ threadId: isId }),
  openLink: shape({ href: (x: unknown): x is string => typeof x === 'string' && isWebLink(x) }),
};

function hasCheck<K extends string>(table: { readonly [P in K]: Check<unknown> }, type: unknown): type is K {
  return typeof type === 'string' && Object.prototype.hasOwnProperty.call(table, type);
}

export function isHostMessage(x: unknown): x is HostToWebview {
  return isRecord(x) && hasCheck(hostChecks, x.type) && hostChecks[x.type](x);
}

export function isWebviewMessage(x: unknown): x is WebviewToHost {
  return isRecord(x) && hasCheck(webviewChecks, x.type) && webviewChecks[x.type](x);
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

// ---- Helpers the host uses to fill the view models ----

/** Engine usage to panel usage: `completionTokens` counts reasoning too, so the answer is the rest. */
export function usageViewFromUsage(usage: Usage): UsageView {
  const reasoningTokens = usage.reasoningTokens ?? 0;
  return {
    promptTokens: usage.promptTokens,
    reasoningTokens,
    answerTokens: Math.max(0, usage.completionTokens - reasoningTokens),
    ...(usage.cachedPromptTokens !== undefined ? { cachedPromptTokens: usage.cachedPromptTokens } : {}),
    ...(usage.costUsd !== undefined ? { costUsd: usage.costUsd } : {}),
    ...(usage.tokensPerSecond !== undefined ? { tokensPerSecond: usage.tokensPerSecond } : {}),
  };
}

/** The buttons that fix each kind of failure (all from the allow-list). */
export function defaultErrorActions(kind: string, backend?: string): ErrorAction[] {
  const local = backend === 'local';
  const failing = isBackendId(backend) ? { backend } : {};
  switch (kind) {
    case 'auth':
    case 'out-of-balance':
      return [
        { label: 'Set API key', command: COMMAND.setApiKey, ...failing },
        { label: 'Switch backend', command: COMMAND.selectBackend },
      ];
    case 'model-not-found':
      return local
        ? [
            { label: 'Download model', command: COMMAND.downloadModel },
            { label: 'Pick model', command: COMMAND.selectBackend },
          ]
        : [{ label: 'Pick model', command: COMMAND.selectBackend }];
    case 'network':
      return [
        { label: 'Try again', command: 'rerun' },
        { label: 'Switch backend', command: COMMAND.selectBackend },
        { label: 'Show log', command: COMMAND.showLog },
      ];
    case 'rate-limit':
    case 'timeout':
    case 'server':
      return [
        { label: 'Try again', command: 'rerun' },
        { label: 'Show log', command: COMMAND.showLog },
      ];
    case 'setup':
      return local
        ? [
            { label: 'Download model', command: COMMAND.downloadModel },
            { label: 'Select backend', command: COMMAND.selectBackend },
          ]
        : [
            { label: 'Select backend', command: COMMAND.selectBackend },
            { label: 'Set API key', command: COMMAND.setApiKey },
          ];
    case 'cancelled':
      return [{ label: 'Run again', command: 'rerun' }];
    default:
      return [
        { label: 'Try again', command: 'rerun' },
        { label: 'Show log', command: COMMAND.showLog },
      ];
  }
}
