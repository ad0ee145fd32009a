// One deadline per run: `--deadline` and `thinklens.deadlineSeconds` bound everything one run does
// (the profile probe, every part of a split review, the blank-answer retry, the repair turn, every
// sample, and the wait for a concurrency slot). The front end starts it once, before the run's first
// step, and every step waits under it; nothing restarts it.

import { raceAbort } from './abort';
import { BackendError, cancelledError } from './errors';
import { timerSeconds } from './inputLimits';

/**
 * Long enough for 32K tokens of reasoning at a slow 20 tokens/s; a server that drips a byte every
 * few seconds (which keeps any idle timer alive) still ends here.
 */
export const DEFAULT_DEADLINE_SECONDS = 1800;

export interface RunDeadline {
  /** Aborts when the person cancels or the deadline passes. */
  readonly signal: AbortSignal;
  readonly seconds: number;
  /** The deadline (not a cancel) ended the run. */
  readonly expired: boolean;
  /** Ends the wait for `work` when the signal aborts (the work itself is not waited for). */
  race<T>(work: Promise<T>): Promise<T>;
  /** The error a run that passed its deadline ends with; `progress` says how far it got ("4 of 18 parts"). */
  error(progress?: string): BackendError;
  dispose(): void;
}

/** Starts the run's deadline now; `outer` is the person's cancel. */
export function startDeadline(outer: AbortSignal, seconds: number | undefined): RunDeadline {
  const limit = timerSeconds(seconds, DEFAULT_DEADLINE_SECONDS);
  const controller = new AbortController();
  let expired = false;
  const stop = () => controller.abort();
  outer.addEventListener('abort', stop, { once: true });
  if (outer.aborted) stop();
  const timer = setTimeout(() => {
    expired = !outer.aborted;
    controller.abort();
  }, limit * 1000);
  const error = (progress?: string): BackendError =>
    new BackendError(
      'timeout',
      `The run passed its deadline of ${limit} s${progress ? ` after ${progress}` : ''} and was stopped; the reasoning and findings so far are kept.`,
      [{ kind: 'raise-option', option: 'deadlineSeconds', value: limit }, { kind: 'smaller-input' }],
    );
  return {
    signal: controller.signal,
    seconds: limit,
    get expired() {
      return expired;
    },
    race: <T>(work: Promise<T>): Promise<T> => raceAbort(work, controller.signal, () => (expired ? error() : cancelledError())),
    error,
    dispose() {
      clearTimeout(timer);
      outer.removeEventListener('abort', stop);
    },
  };
}
