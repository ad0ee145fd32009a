// The words of a run's status line ("Thinking… 12s") and of its reasoning header ("thought for
// 42s · 2,431 tokens"), from the run's numbers alone: pure, so every state is unit-tested.
import { formatCount, formatDuration } from '../format';
import type { RunView } from '../../bridge/protocol';

export type RunProgress = Pick<RunView, 'status' | 'reasoningPieces' | 'answerPieces' | 'answerStartedAt' | 'finishedAt' | 'usage'> & {
  readonly startedAt: number;
};

export interface RunStatusText {
  /** The status line beside the run's controls. */
  readonly status: string;
  /** Thinking time, reasoning tokens and (while running) the rate, for the reasoning header. */
  readonly traceStats: string;
}

export function describeRunStatus(run: RunProgress, now: number): RunStatusText {
  const running = run.status === 'running';
  const end = run.finishedAt ?? now;
  const elapsed = end - run.startedAt;
  const thinking = (run.answerStartedAt ?? end) - run.startedAt;
  const reasoningTokens = run.usage?.reasoningTokens || run.reasoningPieces;
  // Streamed pieces are a close estimate; the server's own count replaces it when it reports one.
  const exact = run.usage !== undefined && run.usage.reasoningTokens > 0;
  const totalPieces = run.reasoningPieces + run.answerPieces;
  const rate = run.usage?.tokensPerSecond ?? (elapsed > 1000 && totalPieces ? totalPieces / (elapsed / 1000) : undefined);
  // A run restored from history that never finished has no end time to measure against.
  const timed = running || run.finishedAt !== undefined;
  const parts: string[] = [];
  if (timed)
    parts.push(run.answerStartedAt !== undefined || !running ? `thought for ${formatDuration(thinking)}` : formatDuration(thinking));
  parts.push(`${exact ? '' : '≈'}${formatCount(reasoningTokens)} tokens`);
  if (rate !== undefined && running) parts.push(`${rate.toFixed(1)} tokens/s`);
  return { status: statusLine(run, elapsed), traceStats: parts.join(' · ') };
}

function statusLine(run: RunProgress, elapsed: number): string {
  switch (run.status) {
    case 'running':
      return run.answerStartedAt !== undefined ? `Answering… ${formatDuration(elapsed)}` : `Thinking… ${formatDuration(elapsed)}`;
    case 'done':
      return `Done in ${formatDuration(elapsed)}`;
    case 'error':
      return `Failed after ${formatDuration(elapsed)}`;
    case 'cancelled':
      return `Cancelled after ${formatDuration(elapsed)}`;
    case 'interrupted':
      return 'Interrupted: VS Code closed while this ran';
  }
}
