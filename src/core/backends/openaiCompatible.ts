// The backend for every OpenAI-compatible server (DeepSeek, OpenRouter, Ollama, LM Studio,
// llama.cpp, vLLM, SGLang, anything else): the `openai` SDK sends the request and parses SSE; this
// module reads the raw chunks (the SDK's types do not declare the reasoning fields, and its
// `.stream()` helper overwrites them), splits reasoning from answer, and turns every failure into
// a `BackendError`.
//
// Time limits: the SDK's own timeout covers the wait for response headers
// (`requestTimeoutSeconds`); an idle timer on the response body covers a stream that stops
// sending (`idleTimeoutSeconds`). The idle timer counts raw bytes, so SSE keep-alive comments
// (which DeepSeek and OpenRouter send while a request waits in their queue) keep it alive, and it
// only runs while a read is waiting, so a slow consumer is never mistaken for a stalled server.
//
// Retries: 429, 5xx and dropped connections are retried with exponential backoff (or the server's
// Retry-After, capped) only until the first reasoning or answer text arrives; a request whose
// tokens were received is never sent again.

import type OpenAI from 'openai';
import { createParser } from 'eventsource-parser';
import type { Backend, BackendRequest, ReasoningEvent, Usage } from '../types';
import type { InlineStart } from '../reasoningSplitter';
import { createReasoningSplitter } from '../reasoningSplitter';
import type { ErrorContext } from '../errors';
import {
  BackendError,
  cancelledError,
  htmlPage,
  httpError,
  idleTimeoutError,
  malformedStreamError,
  networkError,
  networkReason,
  parseRetryAfter,
  redact,
  urlSecrets,
  requestTimeoutError,
  streamCutError,
  streamTooLargeError,
  toBackendError,
  wrongBaseUrlError,
} from '../errors';
import type { PriceTable } from '../pricing';
import { withCost } from '../pricing';
import { timerSeconds } from '../inputLimits';
import type { Preset } from './presets';
import { constraintInBody, requestBody } from './presets';
import { describeServer } from './discovery';
import type { ThinkingSteer } from '../thinking';
import { createTokenCounter } from './tokenCount';
import { diagnoseNotFound } from './apiRoot';

/** What every backend that talks to a server over HTTP is built from (this one and Ollama's). */
export interface ServerBackendOptions {
  readonly preset: Preset;
  /** The server's root as that backend addresses it (for this one the API root, e.g. `https://api.deepseek.com`). */
  readonly baseUrl: string;
  readonly model: string;
  readonly apiKey?: string;
  /** Code leaves the machine (decided from the base URL by `createBackend`). */
  readonly hosted: boolean;
  /** Wait for response headers (model load and prompt reading included); default 60. */
  readonly requestTimeoutSeconds?: number;
  /** A stream that sends no bytes for this long fails with `timeout`; default 60. */
  readonly idleTimeoutSeconds?: number;
  /** Retries of 429, 5xx and dropped connections before the first token; default 2. */
  readonly maxRetries?: number;
  /** First backoff step in milliseconds; default 500, doubling each retry. */
  readonly retryBaseDelayMs?: number;
  /** Prices for a cost when the server reports none; default DEFAULT_PRICES. */
  readonly prices?: PriceTable;
}

export interface OpenAiBackendOptions extends ServerBackendOptions {
  /** False: throw a 429 at once for the caller to schedule (see BackendConfig.retryRateLimits). */
  readonly retryRateLimits?: boolean;
  /** Longest wait between retries (and the longest Retry-After honoured); default 30. */
  readonly maxRetryWaitSeconds?: number;
  /** How untagged content before `</think>` is classified (see reasoningSplitter.ts); default 'auto'. */
  readonly inlineStart?: InlineStart;
  /** Caps on one stream event and on a whole response; defaults DEFAULT_STREAM_LIMITS. */
  readonly streamLimits?: Partial<StreamLimits>;
  /** Where the SDK's own log lines go, redacted; default nowhere. */
  readonly log?: (level: 'error' | 'warn' | 'info' | 'debug', line: string) => void;
}

type Sdk = typeof import('openai');

let sdkPromise: Promise<Sdk> | undefined;
/** The SDK loads with the first run (its discovery or its first request), never at extension activation. */
function loadSdk(): Promise<Sdk> {
  sdkPromise ??= import('openai').catch((err: unknown) => {
    sdkPromise = undefined;
    throw err;
  });
  return sdkPromise;
}

export function createOpenAiBackend(options: OpenAiBackendOptions): Backend {
  const { preset, model, baseUrl, apiKey } = options;
  const requestTimeoutSeconds = positiveOr(options.requestTimeoutSeconds, 60);
  const idleTimeoutSeconds = positiveOr(options.idleTimeoutSeconds, 60);
  const maxRetries = Math.max(0, options.maxRetries ?? 2);
  const maxRetryWaitMs = (options.maxRetryWaitSeconds ?? 30) * 1000;
  const retryBaseDelayMs = options.retryBaseDelayMs ?? 500;
  const limits: StreamLimits = { ...DEFAULT_STREAM_LIMITS, ...options.streamLimits };
  const ctx: ErrorContext = {
    backend: preset.id,
    baseUrl,
    model,
    secrets: [apiKey, ...urlSecrets(baseUrl)],
    idleTimeoutSeconds,
    requestTimeoutSeconds,
  };

  /** Errors worth a retry before any token: the server was busy, failing, or the connection dropped. */
  const notRetryable = new WeakSet<BackendError>();

  async function* attempt(
    sdk: Sdk,
    body: Record<string, unknown>,
    signal: AbortSignal,
    progress: { arrived: boolean },
    steer?: ThinkingSteer,
  ): AsyncGenerator<ReasoningEvent> {
    const startedAt = new Date();
    const controller = new AbortController();
    let idleFired = false;
    const abortAttempt = () => controller.abort();
    signal.addEventListener('abort', abortAttempt, { once: true });

    const guardedFetch = async (url: string | URL | Request, init?: RequestInit): Promise<Response> => {
      const response = await fetch(url, init);
      if (response.ok && isHtml(response.headers.get('content-type'))) {
        await response.body?.cancel().catch(() => undefined);
        const error = htmlPage(ctx, response.status);
        notRetryable.add(error);
        throw error;
      }
      if (!response.ok || !response.body) return response;
      const watched = watchIdle(response.body, idleTimeoutSeconds * 1000, () => {
        idleFired = true;
        controller.abort();
      });
      return new Response(watched, { status: response.status, statusText: response.statusText, headers: response.headers });
    };

    const classify = (err: unknown, phase: 'request' | 'stream'): BackendError => {
      if (signal.aborted) return cancelledError();
      if (idleFired) return idleTimeoutError(ctx);
      const own = findBackendError(err);
      if (own) return own;
      if (err instanceof sdk.APIConnectionTimeoutError) return requestTimeoutError(ctx);
      if (err instanceof sdk.APIUserAbortError) return cancelledError();
      if (err instanceof sdk.APIConnectionError) {
        const reason = networkReason(err) ?? `connection failed: ${innermostMessage(err)}`;
        const error = networkError(ctx, reason, err.cause ?? err);
        if (/refused|not found|DNS|TLS|certificate|bad port/i.test(reason)) notRetryable.add(error);
        return error;
      }
      if (err instanceof sdk.APIError) {
        if (typeof err.status === 'number') {
          const serverMessage = apiErrorMessage(err);
          return httpError(
            {
              status: err.status,
              serverMessage,
              retryAfterSeconds: parseRetryAfter(err.headers),
              html: isHtml(err.headers?.get('content-type') ?? null) || /^\s*<(!doctype|html)/i.test(serverMessage ?? ''),
            },
            ctx,
          );
        }
        // An error object inside the stream (OpenRouter sends these when an upstream fails mid-answer).
        const said = redact(apiErrorMessage(err) ?? 'no details', ctx);
        return new BackendError(
          'server',
          `${preset.label} stopped with an error: ${said.slice(0, 160)}`,
          [{ kind: 'retry' }, { kind: 'choose-backend' }],
          { detail: said },
        );
      }
      if (err instanceof SyntaxError) return malformedStreamError(ctx, err);
      if (phase === 'stream' && (networkReason(err) || (err instanceof TypeError && /terminated|network/i.test(err.message)))) {
        return streamCutError(ctx, err);
      }
      return toBackendError(err, ctx);
    };

    try {
      const client = new sdk.OpenAI({
        baseURL: baseUrl,
        // Local servers need no key, but the SDK insists on one.
        apiKey: apiKey || 'no-key',
        // Never pick up OpenAI's own credentials or organisation from the environment.
        adminAPIKey: null,
        organization: null,
        project: null,
        maxRetries: 0,
        timeout: Math.max(1, Math.round(requestTimeoutSeconds * 1000)),
        fetch: guardedFetch,
        // The SDK writes to its logger on its own (retries, undecodable events): through ours, redacted.
        logLevel: 'warn',
        logger: sdkLogger(ctx, options.log),
      });

      let response: Response;
      try {
        // The SDK sends the request and turns HTTP errors into its error classes; the body is read
        // here (`asResponse`), so stream parsing is linear, bounded and ends at `[DONE]`.
        response = await client.chat.completions
          .create({ ...body, stream: true } as unknown as OpenAI.Chat.ChatCompletionCreateParamsStreaming, { signal: controller.signal })
          .asResponse();
      } catch (err) {
        throw classify(err, 'request');
      }

      const splitter = createReasoningSplitter(options.inlineStart ? { inlineStart: options.inlineStart } : undefined);
      let finishReason: string | undefined;
      let usage: Usage | undefined;
      let chunks = 0;
      let firstTextAt: number | undefined;
      let lastTextAt: number | undefined;
      let sawDone = false;
      let withdrawEnd: (() => void) | undefined;
      try {
        for await (const data of sseData(response, limits, ctx)) {
          if (data === '[DONE]' || data.startsWith('[DONE]')) {
            // A server may keep the connection open after `[DONE]`: the answer is complete, stop reading.
            sawDone = true;
            break;
          }
          const chunk: unknown = JSON.parse(data);
          if (isRecord(chunk) && chunk.error !== undefined && chunk.error !== null) {
            throw new sdk.APIError(undefined, chunk.error as object, undefined, response.headers);
          }
          chunks++;
          if (steer && !withdrawEnd && preset.endThinking === 'llamacpp-control' && isRecord(chunk) && typeof chunk.id === 'string') {
            withdrawEnd = steer.offerEndInPlace(endThinkingAt(chunk.id));
          }
          const found = usageOf(chunk);
          if (found) usage = found;
          const choice = firstChoice(chunk);
          if (!choice) continue;
          if (hasText(choice.delta)) {
            progress.arrived = true;
            lastTextAt = Date.now();
            firstTextAt ??= lastTextAt;
          }
          for (const piece of splitter.push(choice.delta)) yield piece;
          if (typeof choice.finish_reason === 'string' && choice.finish_reason) finishReason = choice.finish_reason;
        }
      } catch (err) {
        // Text the splitter still holds (a possible partial tag, unclassified untagged content) is
        // dropped: without the rest of the stream it cannot be told reasoning from answer.
        throw classify(err, 'stream');
      } finally {
        withdrawEnd?.();
      }
      if (sawDone && finishReason === undefined && chunks > 0) finishReason = 'stop';
      // A read aborted by the person or the idle timer can end quietly.
      if (signal.aborted) throw cancelledError();
      if (idleFired) throw idleTimeoutError(ctx);
      if (finishReason === undefined) {
        if (chunks > 0) throw streamCutError(ctx);
        const error = new BackendError('bad-response', `${preset.label} answered with an empty stream.`, [
          { kind: 'set-option', option: 'baseUrl', to: 'an OpenAI-compatible server that supports streaming' },
        ]);
        notRetryable.add(error);
        throw error;
      }
      for (const piece of splitter.end(finishReason)) yield piece;
      if (usage) {
        if (preset.localServer && firstTextAt !== undefined && lastTextAt !== undefined && lastTextAt > firstTextAt) {
          usage = { ...usage, tokensPerSecond: usage.completionTokens / ((lastTextAt - firstTextAt) / 1000) };
        }
        yield { kind: 'usage', usage: withCost(usage, preset.id, model, options.prices, startedAt) };
      }
      yield { kind: 'done', finishReason, observed: { constraint: constraintInBody(body), reasoning: splitter.reasoningSource() } };
    } finally {
      signal.removeEventListener('abort', abortAttempt);
      // Ends the HTTP request when the consumer stopped early or an error broke the loop.
      controller.abort();
    }
  }

  /** llama.cpp: asks the server to end the thinking of the completion `id`; true when it did. */
  function endThinkingAt(id: string): () => Promise<boolean> {
    return async () => {
      const response = await fetch(`${baseUrl.replace(/\/+$/, '')}/chat/completions/control`, {
        method: 'POST',
        headers: { 'content-type': 'application/json', ...(apiKey ? { authorization: `Bearer ${apiKey}` } : {}) },
        body: JSON.stringify({ id, action: 'reasoning_end' }),
        signal: AbortSignal.timeout(5000),
      });
      const said: unknown = await response.json().catch(() => undefined);
      return response.ok && isRecord(said) && said.success === true;
    };
  }

  const countTokens = createTokenCounter({ route: preset.limits.tokenCount ?? 'none', baseUrl, model, ...(apiKey ? { apiKey } : {}) });

  /** A 404 is the address's fault when the same server answers at `<url>/v1` or lists the model. */
  async function explainNotFound(error: BackendError, signal: AbortSignal): Promise<BackendError> {
    const probe = { ...(apiKey ? { apiKey } : {}), signal, timeoutMs: 3000 };
    const cause = await diagnoseNotFound(baseUrl, model, error.detail, probe).catch(() => undefined);
    if (!cause || cause.kind === 'model') return error;
    return wrongBaseUrlError(ctx, cause.kind === 'api-root' ? cause.apiRoot : undefined, error.status);
  }

  return {
    id: preset.id,
    model,
    hosted: options.hosted,
    endpoint: baseUrl,
    describe: (signal) => {
      // The run's first request needs the SDK right after discovery: load both at once, so the
      // module's file reads overlap discovery's wait for the server (bench/results/latency.md).
      loadSdk().catch(() => undefined);
      return describeServer({ preset, baseUrl, model, apiKey }, signal);
    },
    ...(countTokens ? { countTokens } : {}),
    async *stream(request: BackendRequest, signal: AbortSignal, steer?: ThinkingSteer): AsyncGenerator<ReasoningEvent> {
      if (signal.aborted) throw cancelledError();
      let sdk: Sdk;
      try {
        sdk = await loadSdk();
      } catch (err) {
        throw new BackendError(
          'setup',
          'Could not load the OpenAI client library.',
          [{ kind: 'advice', text: 'Reinstall ThinkLens.' }, { kind: 'show-log' }],
          {
            detail: String(err),
            cause: err,
          },
        );
      }
      const body = requestBody(preset, model, request);
      for (let retry = 0; ; retry++) {
        const progress = { arrived: false };
        try {
          yield* attempt(sdk, body, signal, progress, steer);
          return;
        } catch (err) {
          const error = err instanceof BackendError ? err : toBackendError(err, ctx);
          const retryable =
            (error.kind === 'rate-limit' ? options.retryRateLimits !== false : error.kind === 'server' || error.kind === 'network') &&
            !notRetryable.has(error);
          if (error.kind === 'model-not-found' && !progress.arrived && !signal.aborted) throw await explainNotFound(error, signal);
          if (!retryable || progress.arrived || retry >= maxRetries || signal.aborted) throw error;
          const waitMs = retryDelayMs(error, retry, retryBaseDelayMs, maxRetryWaitMs);
          if (waitMs === undefined) throw error;
          await sleep(waitMs, signal);
        }
      }
    },
  };
}

/** Bounds on what one response may send; a server past them is cut off with a clear error. */
export interface StreamLimits {
  /** Characters in one SSE event (one `data:` line for every real server); default 4 Mi. */
  readonly maxEventChars: number;
  /** Bytes in the whole response body; default 128 MiB. */
  readonly maxResponseBytes: number;
}

export const DEFAULT_STREAM_LIMITS: StreamLimits = { maxEventChars: 4 * 1024 * 1024, maxResponseBytes: 128 * 1024 * 1024 };

/**
 * The `data` of each SSE event of a response body, parsed linearly (eventsource-parser keeps an
 * unfinished line as fragments and joins them once), within `limits`. Comments (keep-alives) are
 * skipped. Ending the iteration early cancels the body.
 */
export async function* sseData(response: Response, limits: StreamLimits, ctx: ErrorContext): AsyncGenerator<string> {
  if (!response.body) return;
  const reader = response.body.getReader();
  const decoder = new TextDecoder();
  const events: string[] = [];
  let overflow = false;
  const parser = createParser({
    onEvent: (event) => events.push(event.data),
    onError: (error) => {
      if (error.type === 'max-buffer-size-exceeded') overflow = true;
    },
    maxBufferSize: limits.maxEventChars,
  });
  let received = 0;
  try {
    for (;;) {
      const { done, value } = await reader.read();
      if (done) break;
      received += value.byteLength;
      if (received > limits.maxResponseBytes) throw streamTooLargeError(ctx, 'response', received, limits.maxResponseBytes, 'bytes');
      parser.feed(decoder.decode(value, { stream: true }));
      if (overflow) throw streamTooLargeError(ctx, 'event', limits.maxEventChars + 1, limits.maxEventChars, 'characters');
      if (events.length > 0) {
        // Yield a copy: the consumer may stop mid-batch.
        const batch = events.splice(0);
        for (const data of batch) yield data;
      }
    }
    parser.feed(decoder.decode());
    for (const data of events.splice(0)) yield data;
  } finally {
    await reader.cancel().catch(() => undefined);
  }
}

function sdkLogger(ctx: ErrorContext, log: OpenAiBackendOptions['log']): NonNullable<ConstructorParameters<Sdk['OpenAI']>[0]>['logger'] {
  const line =
    (level: 'error' | 'warn' | 'info' | 'debug') =>
    (message: string, ...rest: unknown[]) => {
      log?.(level, redact([message, ...rest.map((r) => (typeof r === 'string' ? r : safeJson(r)))].join(' '), ctx));
    };
  return { error: line('error'), warn: line('warn'), info: line('info'), debug: line('debug') };
}

function safeJson(value: unknown): string {
  try {
    return JSON.stringify(value) ?? String(value);
  } catch {
    return String(value);
  }
}

/** Milliseconds before the next try, or undefined when the server asks for a longer wait than the cap. */
export function retryDelayMs(error: BackendError, retry: number, baseMs: number, capMs: number): number | undefined {
  if (error.retryAfterSeconds !== undefined) {
    const ms = error.retryAfterSeconds * 1000;
    return ms > capMs ? undefined : ms;
  }
  // Jitter spreads the retries of a batch review that hit the limit together.
  const jitter = 0.8 + Math.random() * 0.4;
  return Math.min(capMs, baseMs * 2 ** retry * jitter);
}

export function sleep(ms: number, signal: AbortSignal): Promise<void> {
  return new Promise((resolve, reject) => {
    if (signal.aborted) {
      reject(cancelledError());
      return;
    }
    const onAbort = () => {
      clearTimeout(timer);
      reject(cancelledError());
    };
    const timer = setTimeout(() => {
      signal.removeEventListener('abort', onAbort);
      resolve();
    }, ms);
    signal.addEventListener('abort', onAbort, { once: true });
  });
}

/**
 * Passes the body through and calls `onIdle` when a read waits longer than `idleMs`. The timer
 * only runs while a read is pending (highWaterMark 0: nothing is read ahead).
 */
export function watchIdle(body: ReadableStream<Uint8Array>, idleMs: number, onIdle: () => void): ReadableStream<Uint8Array> {
  const reader = body.getReader();
  return new ReadableStream<Uint8Array>(
    {
      async pull(controller) {
        const timer = setTimeout(onIdle, idleMs);
        try {
          const { done, value } = await reader.read();
          if (done) controller.close();
          else controller.enqueue(value);
        } catch (err) {
          controller.error(err);
        } finally {
          clearTimeout(timer);
        }
      },
      cancel(reason) {
        return reader.cancel(reason);
      },
    },
    { highWaterMark: 0 },
  );
}

function isHtml(contentType: string | null): boolean {
  return contentType !== null && /text\/html|application\/xhtml/i.test(contentType);
}

/** The deepest `cause` message (undici hides the real reason, e.g. "bad port", under "fetch failed"). */
function innermostMessage(err: unknown): string {
  let message = 'no details';
  for (let e: unknown = err, depth = 0; e !== undefined && e !== null && depth < 6; depth++) {
    const m = (e as { message?: unknown }).message;
    if (typeof m === 'string' && m) message = m;
    e = (e as { cause?: unknown }).cause;
  }
  return message.replace(/\s+/g, ' ').slice(0, 80);
}

function findBackendError(err: unknown): BackendError | undefined {
  for (let e: unknown = err, depth = 0; e !== undefined && e !== null && depth < 4; depth++) {
    if (e instanceof BackendError) return e;
    e = (e as { cause?: unknown }).cause;
  }
  return undefined;
}

/** The server's own message: `error.message` from a JSON body, else the text after the status. */
function apiErrorMessage(err: { error?: unknown; message: string; status?: number }): string | undefined {
  const body = err.error;
  if (isRecord(body) && typeof body.message === 'string' && body.message) return body.message;
  const prefix = err.status !== undefined ? `${err.status} ` : '';
  const text = err.message.startsWith(prefix) ? err.message.slice(prefix.length) : err.message;
  return text && text !== 'status code (no body)' ? text : undefined;
}

interface RawChoice {
  readonly delta: unknown;
  readonly finish_reason?: unknown;
}

function firstChoice(chunk: unknown): RawChoice | undefined {
  if (!isRecord(chunk) || !Array.isArray(chunk.choices)) return undefined;
  const choice: unknown = chunk.choices.find((c: unknown) => isRecord(c) && (c.index === 0 || c.index === undefined)) ?? chunk.choices[0];
  return isRecord(choice) ? { delta: choice.delta, finish_reason: choice.finish_reason } : undefined;
}

function hasText(delta: unknown): boolean {
  if (!isRecord(delta)) return false;
  const nonEmpty = (v: unknown) => typeof v === 'string' && v.length > 0;
  return (
    nonEmpty(delta.content) ||
    nonEmpty(delta.reasoning_content) ||
    nonEmpty(delta.reasoning) ||
    (Array.isArray(delta.reasoning_details) && delta.reasoning_details.length > 0)
  );
}

/** Usage from a raw chunk: standard fields, DeepSeek's cache fields, OpenRouter's cost. */
export function usageOf(chunk: unknown): Usage | undefined {
  if (!isRecord(chunk) || !isRecord(chunk.usage)) return undefined;
  const u = chunk.usage;
  const promptTokens = num(u.prompt_tokens);
  const completionTokens = num(u.completion_tokens);
  if (promptTokens === undefined && completionTokens === undefined) return undefined;
  const usage: Usage = { promptTokens: promptTokens ?? 0, completionTokens: completionTokens ?? 0 };
  const reasoningTokens = isRecord(u.completion_tokens_details) ? num(u.completion_tokens_details.reasoning_tokens) : undefined;
  if (reasoningTokens !== undefined) usage.reasoningTokens = reasoningTokens;
  const cached =
    num(u.prompt_cache_hit_tokens) ?? (isRecord(u.prompt_tokens_details) ? num(u.prompt_tokens_details.cached_tokens) : undefined);
  if (cached !== undefined) usage.cachedPromptTokens = cached;
  const cost = num(u.cost);
  if (cost !== undefined) usage.costUsd = cost;
  return usage;
}

/** A setting of 0, a negative number or NaN would fail every request at once, one past 2^31 ms too: use the default or the cap. */
const positiveOr = timerSeconds;

function num(value: unknown): number | undefined {
  return typeof value === 'number' && Number.isFinite(value) && value >= 0 ? value : undefined;
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}
