// Protocol values for the panel tests: small builders with realistic defaults.
import type { FindingView, HostToWebview, PanelSnapshot, RunHeader, RunResult, RunView, SessionUsageView } from '../../src/bridge/protocol';

export const T0 = Date.UTC(2026, 9, 1, 12, 0, 0);

export function header(id: string, overrides: Partial<RunHeader> = {}): RunHeader {
  return {
    id,
    kind: 'explain',
    title: 'Explain: off-by-one in sum()',
    file: { uri: 'file:///work/samples/sum.ts', path: 'samples/sum.ts' },
    backend: 'deepseek',
    model: 'deepseek-flash',
    startedAt: Date.now(),
    ...overrides,
  };
}

export function running(id: string, overrides: Partial<RunHeader> = {}): RunView {
  return { header: header(id, overrides), status: 'running', reasoning: '', answer: '', reasoningPieces: 0, answerPieces: 0 };
}

export function finding(id: string, overrides: Partial<FindingView> = {}): FindingView {
  return {
    id,
    title: 'Loop reads one element past the end',
    severity: 'error',
    category: 'bug',
    file: { uri: 'file:///work/samples/sum.ts', path: 'samples/sum.ts' },
    range: { startLine: 12, endLine: 12 },
    explanation: 'With `items.length === 3` the loop reads `items[3]`, which is `undefined`.',
    hasFix: true,
    locationUncertain: false,
    ...overrides,
  };
}

export function result(overrides: Partial<RunResult> = {}): RunResult {
  return {
    summary: 'The loop bound is off by one.',
    prose: 'The loop runs while `i <= items.length`, so the last step reads past the end.',
    findings: [finding('f1')],
    ...overrides,
  };
}

export const NO_SESSION: SessionUsageView = { runs: 0, promptTokens: 0, reasoningTokens: 0, answerTokens: 0 };

export function snapshot(overrides: Partial<PanelSnapshot> = {}): PanelSnapshot {
  return { display: 'expanded', session: NO_SESSION, history: [], thread: [], ...overrides };
}

export function started(run: RunView, threadId = run.header.id): HostToWebview {
  pieces.set(run.header.id, 0);
  return {
    type: 'runStarted',
    run,
    threadId,
    history: [
      {
        threadId: run.header.id,
        title: run.header.title,
        kind: run.header.kind,
        startedAt: run.header.startedAt,
        status: 'running',
        findings: 0,
        runs: 1,
      },
    ],
  };
}

/** Streamed pieces per run, as the host counts them. */
const pieces = new Map<string, number>();
export function reasoningDelta(runId: string, text: string): HostToWebview {
  const count = (pieces.get(runId) ?? 0) + 1;
  pieces.set(runId, count);
  return { type: 'deltas', items: [{ runId, reasoning: text, answer: '', reasoningPieces: count, answerPieces: 0 }] };
}

export function answerDelta(runId: string, text: string): HostToWebview {
  const count = pieces.get(runId) ?? 0;
  return {
    type: 'deltas',
    items: [{ runId, reasoning: '', answer: text, reasoningPieces: count, answerPieces: 1, answerStartedAt: Date.now() }],
  };
}

export function finished(runId: string, res: RunResult = result(), status: 'done' | 'error' | 'cancelled' = 'done'): HostToWebview {
  return { type: 'runFinished', runId, status, result: res, finishedAt: Date.now(), history: [] };
}

/** A paragraph of plausible reasoning, about 60 tokens. */
export function paragraph(i: number): string {
  return `Step ${i}: the loop in \`sum()\` runs while i <= items.length, so on the last pass it reads items[items.length], which is undefined; adding undefined gives NaN. Let me check the caller at line ${i % 50}.\n\n`;
}
