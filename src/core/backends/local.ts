// The local backend: an R1-style GGUF model run in process by node-llama-cpp, no server.
//
// - node-llama-cpp is ESM with top-level await and the extension bundle is CommonJS, so it is only
//   ever loaded with `await import()`, on the first run, never when this module loads.
// - A `LocalModelHost` owns the loaded model: one load shared by all runs, a pool of context
//   sequences (one per run; runs beyond the pool wait in line), and an idle timer that unloads the
//   model after `idleUnloadSeconds` without runs. The backend owns its host; `dispose()` unloads.
// - A run thinks freely, with `<think>\n` forced at the start of the turn as DeepSeek advises (the
//   DeepSeek chat wrapper does not add it itself). When the thought segment ends, generation stops
//   and the same turn continues under a JSON-schema grammar for the answer contract, so a local
//   model's findings always parse. The answer is streamed as one ```json fenced block, which the
//   answer parser reads like any other model's.
//
// This file is the backend; its parts: localRuntimes.ts (the llama.cpp runtime pool),
// localModelHost.ts (the loaded model, its sequences and grammar), localRun.ts (one run).

import { basename } from 'node:path';
import type { Backend, BackendRequest, LocalModelOptions, ReasoningEvent } from '../types';
import type { ThinkingSteer } from '../thinking';
import { BackendError, cancelledError } from '../errors';
import type { LlamaRuntimePool } from './localRuntimes';
import { EventQueue, generate, promptTokensOf } from './localRun';
import { LocalModelHost } from './localModelHost';

export { LlamaRuntimePool, llamaRuntimes } from './localRuntimes';
export { LocalModelHost, type ModelLease } from './localModelHost';

export interface LocalBackendOptions extends LocalModelOptions {
  /** Default sampling seed; a request's own seed wins. */
  readonly seed?: number;
  /** Runs that generate at once, each on its own context sequence; more wait in line. Default 1. */
  readonly parallelRuns?: number;
  /** Constrain the answer to the JSON contract after the reasoning (default true). */
  readonly structuredAnswer?: boolean;
  /** Where the llama.cpp runtime comes from; the process-wide pool unless given (tests isolate). */
  readonly runtimes?: LlamaRuntimePool;
}

export interface LocalBackend extends Backend {
  readonly id: 'local';
  /** The loaded-model owner, exposed for status display and tests. */
  readonly host: LocalModelHost;
  dispose(): Promise<void>;
}
/** The local backend over one GGUF file. Nothing loads until the first `stream()`. */
export function createLocalBackend(options: LocalBackendOptions): LocalBackend {
  const host = new LocalModelHost(options);
  return {
    id: 'local',
    model: basename(options.modelPath),
    hosted: false,
    host,
    async *stream(request: BackendRequest, signal: AbortSignal, steer?: ThinkingSteer): AsyncGenerator<ReasoningEvent> {
      const lease = await host.acquire(signal);
      // Stops generation when the consumer stops reading (break, return) or the backend is
      // disposed, as well as on `signal`.
      const stop = new AbortController();
      const untrack = host.track(stop);
      const runSignal = AbortSignal.any([signal, stop.signal]);
      const queue = new EventQueue<ReasoningEvent>();
      const work = generate(lease, request, options, runSignal, queue, steer).then(
        () => queue.close(),
        (error: unknown) => queue.fail(toLocalError(error, runSignal)),
      );
      try {
        yield* queue.drain();
      } finally {
        stop.abort();
        // The sequence goes back to the pool only once generation has really stopped.
        await work;
        untrack();
        lease.release();
      }
    },
    async countTokens(messages, signal) {
      // The model's own chat wrapper and tokenizer (loading the model if it is not yet).
      try {
        const lease = await host.acquire(signal);
        try {
          return promptTokensOf(lease.loaded, messages);
        } finally {
          lease.release();
        }
      } catch (error) {
        if (signal.aborted) throw error;
        return undefined;
      }
    },
    dispose: () => host.dispose(),
  };
}

function toLocalError(error: unknown, signal: AbortSignal): unknown {
  if (error instanceof BackendError) return error;
  if (signal.aborted) return cancelledError();
  const text = String(error);
  if (/context/i.test(text) && /size|long|exceed|full/i.test(text)) {
    return new BackendError(
      'context-too-long',
      'The conversation no longer fits in the local model’s context.',
      [
        { kind: 'advice', text: 'Start a new run.' },
        { kind: 'raise-option', option: 'localContextSize' },
      ],
      {
        detail: text,
        cause: error,
      },
    );
  }
  return new BackendError('bad-response', 'The local model failed while generating.', [{ kind: 'retry' }, { kind: 'show-log' }], {
    detail: text,
    cause: error,
  });
}
