// Waiting on work that does not take an AbortSignal (a model load, a backend that ignores its
// signal, a download's set-up) without letting the person's cancel wait for it.
import { BackendError, cancelledError } from './errors';

/**
 * Resolves or rejects with `wait`, or rejects with `cancelled()` as soon as `signal` aborts
 * (at once if it already has). The work itself goes on; its later rejection is swallowed, not
 * left unhandled.
 */
export function raceAbort<T>(wait: Promise<T>, signal: AbortSignal, cancelled: () => BackendError = cancelledError): Promise<T> {
  if (signal.aborted) {
    wait.catch(() => undefined);
    return Promise.reject(cancelled());
  }
  return new Promise<T>((resolve, reject) => {
    const onAbort = (): void => reject(cancelled());
    signal.addEventListener('abort', onAbort, { once: true });
    wait.then(resolve, reject).finally(() => signal.removeEventListener('abort', onAbort));
  });
}
