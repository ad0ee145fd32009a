// The one abort-race helper (src/core/abort.ts) and the one `cancelled` error (errors.ts
// cancelledError): a cancel ends a wait at once, whoever notices it first says the same thing.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { getEventListeners } from 'node:events';
import { raceAbort } from '../../src/core/abort';
import { BackendError, cancelledError } from '../../src/core/errors';
import { runAnalysis } from '../../src/core/run';
import type { Backend, CodeUnderReview, ReasoningEvent } from '../../src/core/types';

const never = <T>() => new Promise<T>(() => undefined);

test('raceAbort passes the wait through and removes its abort listener once the wait settles', async () => {
  const controller = new AbortController();
  assert.equal(await raceAbort(Promise.resolve(42), controller.signal), 42);
  await assert.rejects(raceAbort(Promise.reject(new Error('load failed')), controller.signal), /load failed/);
  assert.equal(getEventListeners(controller.signal, 'abort').length, 0, 'a settled wait left its listener on the signal');
});

test('raceAbort rejects with the cancelled error as soon as the signal aborts, though the work never ends', async () => {
  const controller = new AbortController();
  const waiting = raceAbort(never<number>(), controller.signal);
  controller.abort();
  await assert.rejects(
    waiting,
    (error: unknown) => error instanceof BackendError && error.kind === 'cancelled' && error.message === cancelledError().message,
  );
});

test("raceAbort on an aborted signal rejects at once and swallows the work's later failure", async () => {
  const unhandled: unknown[] = [];
  const onUnhandled = (reason: unknown) => unhandled.push(reason);
  process.on('unhandledRejection', onUnhandled);
  try {
    const controller = new AbortController();
    controller.abort();
    let fail!: (error: Error) => void;
    const work = new Promise<never>((_, reject) => (fail = reject));
    const download = () => new BackendError('cancelled', 'The model download was cancelled.', [{ kind: 'retry' }]);
    await assert.rejects(raceAbort(work, controller.signal, download), /download was cancelled/);
    fail(new Error('the work failed after the cancel'));
    await new Promise((resolve) => setImmediate(resolve));
    assert.deepEqual(unhandled, []);
  } finally {
    process.off('unhandledRejection', onUnhandled);
  }
});

const CODE: CodeUnderReview = {
  kind: 'review',
  path: 'cart.ts',
  languageId: 'typescript',
  fileText: 'let total = 0;\n',
  ranges: [{ startLine: 1, endLine: 1 }],
};

/** A backend that reasons once, then hangs and never looks at its signal. */
function deafBackend(onStreaming: () => void): Backend {
  return {
    id: 'deepseek',
    model: 'deaf',
    hosted: false,
    async *stream(): AsyncIterable<ReasoningEvent> {
      yield { kind: 'reasoning', text: 'Looking at the loop bound. ' };
      onStreaming();
      await never<void>();
    },
  };
}

test('a run cancelled while its backend ignores the signal ends with the one cancelled error, reasoning kept', async () => {
  const controller = new AbortController();
  const output = runAnalysis({ backend: deafBackend(() => controller.abort()), code: CODE, signal: controller.signal });
  const { error, reasoning } = await output;
  assert.equal(error?.kind, 'cancelled');
  assert.equal(error?.message, cancelledError().message);
  assert.deepEqual(error?.remedies, cancelledError().remedies);
  assert.equal(reasoning, 'Looking at the loop bound. ');
});
