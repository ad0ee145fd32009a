// What the backend tests read off a stream: every event, the reasoning and answer joined, the usage,
// the finish reason, and the BackendError it ended with (any other error fails the test).
import assert from 'node:assert/strict';
import { BackendError } from '../../src/core/errors';
import type { Backend, BackendRequest, ReasoningEvent, Usage } from '../../src/core/types';
import { hints } from './remedyText';

export interface Collected {
  events: ReasoningEvent[];
  reasoning: string;
  answer: string;
  usage?: Usage;
  finishReason?: string;
  error?: BackendError;
}

/** Reads `backend`'s stream for `request` to its end or its error. */
export async function collectStream(
  backend: Backend,
  request: BackendRequest,
  signal = new AbortController().signal,
  onEvent?: (e: ReasoningEvent) => void,
): Promise<Collected> {
  const out: Collected = { events: [], reasoning: '', answer: '' };
  try {
    for await (const event of backend.stream(request, signal)) {
      out.events.push(event);
      if (event.kind === 'reasoning') out.reasoning += event.text;
      else if (event.kind === 'answer') out.answer += event.text;
      else if (event.kind === 'usage') out.usage = event.usage;
      else out.finishReason = event.finishReason;
      onEvent?.(event);
    }
  } catch (err) {
    assert.ok(err instanceof BackendError, `expected a BackendError, got ${String(err)}`);
    out.error = err;
  }
  return out;
}

/** An error a person can act on: one line, at least one remedy, and `secret` (the API key) nowhere in it. */
export function assertPersonReadable(error: BackendError, secret: string): void {
  assert.ok(error.message.length > 0 && !error.message.includes('\n'), `one line: ${JSON.stringify(error.message)}`);
  assert.ok(error.remedies.length > 0, 'has a remedy');
  for (const text of [error.message, hints(error), error.detail ?? '', String(error)])
    assert.ok(!text.includes(secret), `key leaked in ${JSON.stringify(text)}`);
}
