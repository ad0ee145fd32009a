// The CLI's work queue: files reviewed in parallel against one server (a vLLM or SGLang deployment
// behind one base URL), adapting to its pushback and keeping to a budget.
//
// - Concurrency starts at the person's --concurrency. A 429 lowers it to the number of requests
//   still in flight (what the server is evidently serving), the rejected file goes back to the
//   front of the queue, and nothing new starts before the server's Retry-After has passed.
// - As requests succeed the limit grows back by one per `limit` successes (additive increase, as
//   TCP's congestion avoidance does), towards --concurrency: a server that refused a burst is
//   probed again step by step, and a deployment that scaled up is used again. The next 429 lowers
//   it once more.
// - A budget: before a start, the money already spent plus the estimates of the requests in
//   flight plus this one's estimate must fit. When it does not, the queue waits for the requests
//   in flight (a cached result costs nothing) and stops only when nothing is in flight and the
//   next file still does not fit.

export interface Pushback {
  /** How long the server asked to wait. */
  readonly retryAfterMs: number;
}

export interface QueueOptions<T, R> {
  readonly items: readonly T[];
  readonly maxConcurrency: number;
  /** Runs one item; a failure belongs in the result (a rejection stops the queue and is rethrown). */
  readonly run: (item: T) => Promise<R>;
  /** A result that is the server pushing back (429 before any output): the item is tried again. */
  readonly pushbackOf?: (result: R) => Pushback | undefined;
  /** Tries of one item that met pushback before its last result is kept; default 12. */
  readonly maxPushbacksPerItem?: number;
  readonly budget?: {
    readonly maxUsd: number;
    /** Estimated cost of running the item. */
    readonly estimate: (item: T) => number;
    /** What the finished run actually cost (0 when cached). */
    readonly spent: (result: R) => number;
  };
  readonly signal?: AbortSignal;
  readonly onChange?: (state: QueueState) => void;
  /** For tests and benchmarks. */
  readonly now?: () => number;
}

export interface QueueState {
  readonly done: number;
  readonly total: number;
  readonly inFlight: number;
  readonly limit: number;
  readonly pushbacks: number;
  readonly spentUsd: number;
}

export interface QueueOutcome<T, R> {
  /** Results in item order; undefined for items never run (budget, cancel). */
  readonly results: (R | undefined)[];
  /** Items not started because the budget would have been passed. */
  readonly overBudget: T[];
  readonly spentUsd: number;
  readonly pushbacks: number;
  readonly finalLimit: number;
  /** The most requests that were in flight at once. */
  readonly peakInFlight: number;
}

/** Retry-After missing on a 429: wait this long. */
export const DEFAULT_RETRY_AFTER_MS = 1000;

export async function runQueue<T, R>(options: QueueOptions<T, R>): Promise<QueueOutcome<T, R>> {
  const { items, run, pushbackOf, budget, signal, onChange } = options;
  const now = options.now ?? Date.now;
  const maxPushbacks = options.maxPushbacksPerItem ?? 12;
  const results: (R | undefined)[] = new Array(items.length).fill(undefined);
  const pending: number[] = items.map((_, i) => i);
  const pushbacksOf = new Map<number, number>();
  const estimates = new Map<number, number>();
  const overBudget: T[] = [];
  let limit = Math.max(1, options.maxConcurrency);
  let inFlight = 0;
  let peakInFlight = 0;
  let done = 0;
  let pushbacks = 0;
  let spentUsd = 0;
  let pausedUntil = 0;
  let successesSinceGrowth = 0;
  let failure: { error: unknown } | undefined;
  let wake: (() => void) | undefined;
  const poke = () => wake?.();
  const report = () => onChange?.({ done, total: items.length, inFlight, limit, pushbacks, spentUsd });

  const finish = (index: number, result: R) => {
    inFlight--;
    estimates.delete(index);
    const pushback = pushbackOf?.(result);
    const tries = (pushbacksOf.get(index) ?? 0) + 1;
    if (pushback && tries <= maxPushbacks && !signal?.aborted) {
      pushbacksOf.set(index, tries);
      pushbacks++;
      // The server is serving what is still in flight; ask for no more than that.
      limit = Math.max(1, Math.min(limit, inFlight));
      successesSinceGrowth = 0;
      pausedUntil = Math.max(pausedUntil, now() + pushback.retryAfterMs);
      pending.unshift(index);
    } else {
      results[index] = result;
      done++;
      if (budget) spentUsd += budget.spent(result);
      if (!pushback && limit < options.maxConcurrency && ++successesSinceGrowth >= limit) {
        limit++;
        successesSinceGrowth = 0;
      }
    }
    report();
    poke();
  };

  const reservedUsd = () => [...estimates.values()].reduce((a, b) => a + b, 0);

  report();
  while ((pending.length > 0 && !signal?.aborted) || inFlight > 0) {
    let waitMs: number | undefined;
    while (pending.length > 0 && inFlight < limit && !signal?.aborted) {
      const wait = pausedUntil - now();
      if (wait > 0) {
        waitMs = wait;
        break;
      }
      const index = pending[0]!;
      if (budget) {
        const estimate = budget.estimate(items[index]!);
        if (spentUsd + reservedUsd() + estimate > budget.maxUsd) {
          if (inFlight > 0) break; // what is in flight may cost less than reserved (or nothing, cached)
          overBudget.push(...pending.splice(0).map((i) => items[i]!));
          break;
        }
        estimates.set(index, estimate);
      }
      pending.shift();
      inFlight++;
      peakInFlight = Math.max(peakInFlight, inFlight);
      report();
      run(items[index]!).then(
        (result) => finish(index, result),
        (error: unknown) => {
          inFlight--;
          failure ??= { error };
          pending.length = 0;
          poke();
        },
      );
    }
    if (inFlight === 0 && (pending.length === 0 || signal?.aborted)) break;
    // Sleep until a request finishes, the pause ends or the run is cancelled.
    await new Promise<void>((resolve) => {
      const timer = waitMs !== undefined ? setTimeout(() => wakeUp(), waitMs) : undefined;
      const wakeUp = () => {
        if (timer) clearTimeout(timer);
        signal?.removeEventListener('abort', wakeUp);
        wake = undefined;
        resolve();
      };
      wake = wakeUp;
      signal?.addEventListener('abort', wakeUp, { once: true });
    });
  }
  if (failure) throw failure.error;
  return { results, overBudget, spentUsd, pushbacks, finalLimit: limit, peakInFlight };
}
