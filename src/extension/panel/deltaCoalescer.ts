// Streaming deltas arrive once per token; the webview must see at most one message per frame
// (docs/ARCHITECTURE.md, step 5 of a run). This batches text per run and posts it on a trailing timer.
// No `vscode` import: the benchmark drives it directly.
import type { RunDelta } from '../../bridge/protocol';

export interface RunCounts {
  readonly reasoningPieces: number;
  readonly answerPieces: number;
  readonly answerStartedAt?: number;
}

export interface CoalescerTimers {
  setTimeout(callback: () => void, ms: number): unknown;
  clearTimeout(handle: unknown): void;
  now(): number;
}

const systemTimers: CoalescerTimers = {
  setTimeout: (callback, ms) => setTimeout(callback, ms),
  clearTimeout: (handle) => clearTimeout(handle as ReturnType<typeof setTimeout>),
  now: () => performance.now(),
};

interface Pending {
  reasoning: string[];
  answer: string[];
}

export class DeltaCoalescer {
  private readonly pending = new Map<string, Pending>();
  private timer: unknown;
  private lastPost = Number.NEGATIVE_INFINITY;
  private disposed = false;

  /**
   * @param post receives every run's text since the last post, in one call
   * @param counts the run's totals at the moment of posting (cumulative, so a lost post cannot skew them)
   * @param intervalMs the shortest time between two posts: one frame
   */
  constructor(
    private readonly post: (items: RunDelta[]) => void,
    private readonly counts: (runId: string) => RunCounts,
    private readonly intervalMs = 16,
    private readonly timers: CoalescerTimers = systemTimers,
  ) {}

  push(runId: string, channel: 'reasoning' | 'answer', text: string): void {
    if (this.disposed || text.length === 0) return;
    let entry = this.pending.get(runId);
    if (!entry) {
      entry = { reasoning: [], answer: [] };
      this.pending.set(runId, entry);
    }
    entry[channel].push(text);
    // Trailing edge even when idle: tokens that arrive in one tick travel together.
    if (this.timer === undefined) this.schedule();
  }

  private schedule(): void {
    const wait = Math.max(0, this.intervalMs - (this.timers.now() - this.lastPost));
    this.timer = this.timers.setTimeout(() => {
      this.timer = undefined;
      // Timers may fire a fraction of a millisecond early; never post twice within one interval.
      if (this.timers.now() - this.lastPost < this.intervalMs) this.schedule();
      else this.flush();
    }, Math.ceil(wait));
  }

  /** Posts what is pending now; call before any message that must arrive after the text. */
  flush(): void {
    this.cancelTimer();
    if (this.pending.size === 0) return;
    const items: RunDelta[] = [];
    for (const [runId, entry] of this.pending) {
      const counts = this.counts(runId);
      items.push({
        runId,
        reasoning: entry.reasoning.join(''),
        answer: entry.answer.join(''),
        reasoningPieces: counts.reasoningPieces,
        answerPieces: counts.answerPieces,
        ...(counts.answerStartedAt !== undefined ? { answerStartedAt: counts.answerStartedAt } : {}),
      });
    }
    this.pending.clear();
    this.post(items);
    // Measured after posting, so the next post starts a full interval after this one ended.
    this.lastPost = this.timers.now();
  }

  /** Drops pending text that a snapshot already carries. */
  clear(): void {
    this.cancelTimer();
    this.pending.clear();
  }

  get hasPending(): boolean {
    return this.pending.size > 0;
  }

  dispose(): void {
    this.disposed = true;
    this.clear();
  }

  private cancelTimer(): void {
    if (this.timer !== undefined) {
      this.timers.clearTimeout(this.timer);
      this.timer = undefined;
    }
  }
}
