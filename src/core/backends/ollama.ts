// The Ollama backend, through Ollama's native chat API (`POST /api/chat`) with the official `ollama`
// client. The OpenAI-compatible `/v1` endpoint cannot set the context window, and Ollama's default
// window is small (4096 tokens on a machine with less than 24 GiB of VRAM): a longer prompt is cut
// at its start without an error, which for us is the instructions and the top of the code. The
// native API takes the window per request (`options.num_ctx`), so every request here is sized to
// its prompt and its generation budget, capped at the model's maximum from `/api/show`, and a
// prompt that cannot fit is refused before anything is sent.
//
// Thinking: `think` on puts the reasoning in `message.thinking` (Ollama ≥ 0.9.0), sent only for
// models whose `/api/show` capabilities include "thinking" (others answer 400 "does not support
// thinking"; their inline `<think>` tags, if any, go through the usual splitter). The effort goes as
// a level ("low", "medium", "high"): gpt-oss uses it, and every other thinking model reads any
// level as on (api/types.go ThinkValue.Bool). Before v0.17.7 (ollama/ollama#14625) only gpt-oss
// took a level and other models answered 400 "think value ... is not supported", so older servers
// get `true`; "none" is `false`.
//
// The answer's JSON schema (`format`), checked in Ollama's source (server/routes.go, ChatHandler)
// at v0.32.15: for a model with the "thinking" capability and `think` on, /api/chat first generates
// without the grammar, and when the thinking ends and content starts it cancels, appends the
// thinking as an assistant turn and generates again with the grammar — so the schema binds only the
// answer. That arrived in ollama/ollama#12460 (first released in v0.12.4, October 2025). Before it,
// `format` constrained the whole output and the model could not think (ollama/ollama#10538,
// #11545). With `think: false` on a thinking model, `format` is deferred forever and silently
// ignored (ollama/ollama#14645); for a model without the capability it binds from the first token.
// So `format` is sent only when thinking is on, the model has the capability, and the server is
// v0.12.4 or newer; otherwise the prompt's own contract shapes the answer.
//
// No needless reloads: a `num_ctx` other than the loaded runner's makes Ollama reload the model
// (server/sched.go, needsReload compares the runner's options), which costs seconds to tens of
// seconds for an 8B model. So before each chat the backend reads `GET /api/ps` (the loaded models,
// with `context_length` since ollama/ollama#11331): when the loaded window already holds the
// request, the request asks for that window, not a smaller one (Ollama may have loaded the model
// with 32K or 256K on its own, by VRAM). When it must grow, the plan already asks for what the whole
// run needs (plan.ts gives every part the largest part's window). A server that does not say gets
// the largest window this backend sent. Without a plan, the size is rounded up to 4096-token steps.
// A bigger window only costs memory that is in use already. `num_predict` never exceeds
// what is left of the window after the prompt: Ollama would otherwise shift its context during
// generation, which also drops the start of the prompt.
//
// Never a silent cut: from v0.12.6 (ollama/ollama#12582; api/types.go `Truncate`, `Shift`) every
// chat sends `truncate: false` and `shift: false`. Ollama's defaults are true: server/prompt.go
// (chatPrompt) drops the oldest messages until the rendered prompt fits `num_ctx`, then the runner
// (llm/llama_server.go, completionPromptForRequest) keeps `num_keep` tokens and cuts the rest to
// about half the window; and a generation that reaches the window shifts the context. With both
// off, a prompt longer than the window is a 400 (current Ollama relays llama-server's
// `exceed_context_size_error` with `n_prompt_tokens`; v0.12.6 to the Go runners said "the input
// length exceeds the context length"), which the planned run handles (plannedRun.ts), and a
// generation that reaches the window ends with `done_reason: "length"`. Older servers ignore the
// fields, so they are sent only to a server whose `/api/version` is v0.12.6 or newer.
//
// Time limits, retries and errors follow the OpenAI-compatible backend: a wait for response headers
// (`requestTimeoutSeconds`, which here also covers loading the model and reading the prompt), an
// idle timer on the body (`idleTimeoutSeconds`), retries of 5xx (Ollama's 503 "server busy") and
// dropped connections only before the first token, and every failure a `BackendError` from errors.ts.

import type { ChatRequest, ChatResponse, Ollama as OllamaClient } from 'ollama';
import type { AnswerConstraint, Backend, BackendRequest, ChatMessage, ReasoningEvent, ServerFacts, Usage } from '../types';
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
  requestTimeoutError,
  streamCutError,
  streamTooLargeError,
  toBackendError,
  urlSecrets,
} from '../errors';
import { withCost } from '../pricing';
import { createReasoningSplitter } from '../reasoningSplitter';
import { estimateTokens } from '../text';
import type { ServerBackendOptions, StreamLimits } from './openaiCompatible';
import { DEFAULT_STREAM_LIMITS, retryDelayMs, sleep, watchIdle } from './openaiCompatible';

/** The window Ollama gives a model when a request sends no `num_ctx` (less than 24 GiB of VRAM). */
export const OLLAMA_DEFAULT_CONTEXT = 4096;
/** Reasoning reserve plus answer, when the request names no `maxTokens`. */
export const DEFAULT_GENERATION_TOKENS = 12_288;
/** `num_ctx` is rounded up to this step: every new value reloads the model. */
const CONTEXT_STEP = 4096;
/** Less room than this after the prompt leaves no answer at all: refused before sending. */
const MIN_GENERATION_TOKENS = 256;
/** Chat-template tokens around each message (role markers, separators), estimated generously. */
const TEMPLATE_TOKENS_PER_MESSAGE = 12;
/**
 * One NDJSON line carries a token or a few plus some metadata; a line this long means a broken
 * server. Kept well below the SSE event cap because the client re-splits its whole buffer on every
 * chunk, so a long line costs quadratic time before it is parsed.
 */
const MAX_LINE_BYTES = 256 * 1024;
/** The first Ollama release that applies `format` only after the thinking (ollama/ollama#12460). */
const FORMAT_AFTER_THINKING_SINCE: readonly number[] = [0, 12, 4];
/** The first Ollama release that takes `truncate` and `shift` (ollama/ollama#12582). */
const TRUNCATE_SWITCH_SINCE: readonly number[] = [0, 12, 6];
/** The first Ollama release that takes `think` as a level for every thinking model (ollama/ollama#14625). */
const THINK_LEVELS_SINCE: readonly number[] = [0, 17, 7];

/**
 * `baseUrl` is Ollama's root, e.g. `http://127.0.0.1:11434` (see `ollamaRoot`); `apiKey` is sent as a
 * bearer token, for an Ollama behind an authenticating proxy; Ollama answers 503 when its queue is
 * full, which the retries cover.
 */
export interface OllamaBackendOptions extends ServerBackendOptions {
  /** Caps on one NDJSON line (`maxEventChars`, counted in bytes) and on the whole response; default 256 KiB and 128 MiB. */
  readonly limits?: StreamLimits;
}

/**
 * Ollama's root from what a person may write: `http://host:11434`, `.../v1` (the OpenAI-compatible
 * address most guides give) or `.../api`, with or without a trailing slash. A path before them (a
 * reverse proxy's prefix) is kept.
 */
export function ollamaRoot(baseUrl: string): string {
  return baseUrl
    .trim()
    .replace(/\/+$/, '')
    .replace(/\/(v1|api)$/i, '')
    .replace(/\/+$/, '');
}

/** Tokens a prompt may take, estimated high (tokens.ts), with the chat template around each message. */
export function estimatePromptTokens(messages: readonly ChatMessage[]): number {
  return messages.reduce((sum, m) => sum + estimateTokens(m.content) + TEMPLATE_TOKENS_PER_MESSAGE, 0);
}

export interface WindowPlan {
  /** Sent as `options.num_ctx`. */
  readonly numCtx: number;
  /** Sent as `options.num_predict`: never more than the window leaves after the prompt. */
  readonly numPredict: number;
}

/**
 * The window and generation limit for one request: the planned window when there is one, else the
 * prompt plus the generation budget rounded up to a step, never below Ollama's default; always
 * capped at the model's maximum. Throws `context-too-long` (with the numbers) when the prompt
 * leaves no room to answer.
 */
export function planWindow(input: {
  readonly promptTokens: number;
  readonly contextWindow?: number;
  readonly maxTokens?: number;
  readonly modelMaximum?: number;
  /** The window sent last: asking for less would make Ollama reload the model. */
  readonly loadedWindow?: number;
  readonly model: string;
}): WindowPlan {
  const { promptTokens, modelMaximum } = input;
  const generation = input.maxTokens ?? DEFAULT_GENERATION_TOKENS;
  const needed =
    input.contextWindow !== undefined && input.contextWindow > 0
      ? Math.floor(input.contextWindow)
      : Math.max(OLLAMA_DEFAULT_CONTEXT, Math.ceil((promptTokens + generation) / CONTEXT_STEP) * CONTEXT_STEP);
  const wanted = Math.max(needed, input.loadedWindow ?? 0);
  const numCtx = modelMaximum !== undefined && modelMaximum > 0 ? Math.min(wanted, modelMaximum) : wanted;
  const room = numCtx - promptTokens;
  if (room < MIN_GENERATION_TOKENS) {
    const limit = modelMaximum !== undefined && numCtx === modelMaximum ? `the model's maximum of ${numCtx}` : `a window of ${numCtx}`;
    throw new BackendError(
      'context-too-long',
      `The prompt (about ${promptTokens} tokens) does not fit ${input.model}: ${limit} tokens leaves ${Math.max(0, room)} for thinking and the answer.`,
      [{ kind: 'smaller-input' }, { kind: 'advice', text: 'Or use a model with a longer context.' }],
    );
  }
  return { numCtx, numPredict: input.maxTokens !== undefined ? Math.max(1, Math.min(input.maxTokens, room)) : room };
}

/** What `/api/show` and `/api/version` say, kept for the backend's life (dropped on failure). */
interface ModelFacts {
  /** `model_info["<arch>.context_length"]`. */
  readonly maxContextWindow?: number;
  /** The capabilities list includes "thinking"; undefined when the server sends no list. */
  readonly thinks?: boolean;
  /** The server applies `format` after the thinking (v0.12.4 and newer). */
  readonly formatAfterThinking: boolean;
  /** The server takes `think: "low" | "medium" | "high"` for any thinking model (v0.17.7 and newer). */
  readonly thinkLevels: boolean;
  /** The server takes `truncate: false` and `shift: false` (v0.12.6 and newer). */
  readonly truncateSwitch: boolean;
}

type OllamaModule = typeof import('ollama');
let clientModule: Promise<OllamaModule> | undefined;
/** The client loads on the first request, never at extension activation. */
function loadClient(): Promise<OllamaModule> {
  clientModule ??= import('ollama').catch((err: unknown) => {
    clientModule = undefined;
    throw err;
  });
  return clientModule;
}

/** What one HTTP exchange found out, for classifying an error the client rethrows. */
interface ExchangeState {
  idleFired: boolean;
  headersTimedOut: boolean;
  /** A stream line was not JSON: the lines before it are read, then the run ends with this. */
  malformed?: BackendError;
}

export function createOllamaBackend(options: OllamaBackendOptions): Backend {
  const { preset, model, apiKey } = options;
  const requestTimeoutSeconds = positiveOr(options.requestTimeoutSeconds, 60);
  const idleTimeoutSeconds = positiveOr(options.idleTimeoutSeconds, 60);
  const maxRetries = Math.max(0, options.maxRetries ?? 2);
  const retryBaseDelayMs = options.retryBaseDelayMs ?? 500;
  const maxRetryWaitMs = 30_000;
  /** Failures a retry cannot mend: nothing listens at the address, the name does not resolve. */
  const notRetryable = new WeakSet<BackendError>();
  const limits = options.limits ?? { ...DEFAULT_STREAM_LIMITS, maxEventChars: MAX_LINE_BYTES };
  // fetch refuses a URL with credentials in it: they travel as a Basic header instead.
  const { url: baseUrl, authorization } = splitCredentials(options.baseUrl);
  const ctx: ErrorContext = {
    backend: preset.id,
    baseUrl,
    model,
    secrets: [apiKey, authorization, ...urlSecrets(options.baseUrl)],
    idleTimeoutSeconds,
    requestTimeoutSeconds,
  };
  const headers = apiKey ? { Authorization: `Bearer ${apiKey}` } : authorization ? { Authorization: authorization } : undefined;

  /**
   * A `fetch` for the client that ties each exchange to the run's signal, limits the wait for
   * headers, watches the body for silence, and turns an error response into a `BackendError`
   * itself (the client would print to the console and keep only the message).
   */
  function guardedFetch(signal: AbortSignal, state: ExchangeState): typeof fetch {
    return async (input, init) => {
      const controller = new AbortController();
      const abort = () => controller.abort();
      signal.addEventListener('abort', abort, { once: true });
      init?.signal?.addEventListener('abort', abort, { once: true });
      if (signal.aborted || init?.signal?.aborted) controller.abort();
      const timer = setTimeout(() => {
        state.headersTimedOut = true;
        controller.abort();
      }, requestTimeoutSeconds * 1000);
      let response: Response;
      try {
        response = await fetch(input, { ...init, signal: controller.signal });
      } catch (err) {
        throw classify(err, signal, state, 'request');
      } finally {
        clearTimeout(timer);
      }
      const html = isHtml(response.headers.get('content-type'));
      if (!response.ok) {
        const text = await response.text().catch(() => '');
        throw httpError(
          {
            status: response.status,
            serverMessage: errorMessageOf(text),
            retryAfterSeconds: parseRetryAfter(response.headers),
            html: html || /^\s*<(!doctype|html)/i.test(text),
          },
          ctx,
        );
      }
      if (html) {
        await response.body?.cancel().catch(() => undefined);
        throw htmlPage(ctx, response.status);
      }
      if (!response.body) return response;
      const capped = capLines(response.body, limits, state, (error) => {
        controller.abort();
        return error;
      });
      const watched = watchIdle(capped, idleTimeoutSeconds * 1000, () => {
        state.idleFired = true;
        controller.abort();
      });
      return new Response(watched, { status: response.status, statusText: response.statusText, headers: response.headers });
    };
  }

  /**
   * Passes the body through, failing it when the response or one NDJSON line grows past its cap
   * (the client's line parser buffers a line without bound), or when a line is not JSON (the
   * client would print that raw server text to the console and skip it). A line is counted in
   * bytes, which is never less than its characters.
   */
  function capLines(
    body: ReadableStream<Uint8Array>,
    caps: StreamLimits,
    state: ExchangeState,
    stop: (error: BackendError) => BackendError,
  ): ReadableStream<Uint8Array> {
    let total = 0;
    let line = 0;
    let pieces: Uint8Array[] = [];
    const decoder = new TextDecoder();
    /** False when the line just completed is not JSON (recorded in `state.malformed`). */
    const lineIsJson = (): boolean => {
      const text = decoder.decode(pieces.length === 1 ? pieces[0] : concatBytes(pieces)).trim();
      pieces = [];
      if (!text) return true;
      try {
        JSON.parse(text);
        return true;
      } catch (err) {
        state.malformed = malformedStreamError(ctx, err);
        return false;
      }
    };
    return body.pipeThrough(
      new TransformStream<Uint8Array, Uint8Array>({
        transform(chunk, controller) {
          total += chunk.byteLength;
          if (total > caps.maxResponseBytes) throw stop(streamTooLargeError(ctx, 'response', total, caps.maxResponseBytes, 'bytes'));
          let from = 0;
          for (let at = chunk.indexOf(10); at >= 0; at = chunk.indexOf(10, from)) {
            if (line + (at - from) > caps.maxEventChars) break;
            pieces.push(chunk.subarray(from, at));
            if (!lineIsJson()) {
              // The lines before it still reach the client; the stream then ends (closing the
              // connection) and the run fails with `state.malformed`.
              if (from > 0) controller.enqueue(chunk.subarray(0, from));
              controller.terminate();
              return;
            }
            line = 0;
            from = at + 1;
          }
          line += chunk.byteLength - from;
          if (line > caps.maxEventChars) throw stop(streamTooLargeError(ctx, 'event', line, caps.maxEventChars, 'bytes'));
          if (from < chunk.byteLength) pieces.push(chunk.subarray(from));
          controller.enqueue(chunk);
        },
        flush(controller) {
          if (!lineIsJson()) controller.terminate();
        },
      }),
    );
  }

  function classify(err: unknown, signal: AbortSignal, state: ExchangeState, phase: 'request' | 'stream'): BackendError {
    if (err instanceof BackendError) return err;
    if (state.malformed) return state.malformed;
    if (signal.aborted) return cancelledError();
    if (state.idleFired) return idleTimeoutError(ctx);
    if (state.headersTimedOut) return requestTimeoutError(ctx);
    const reason = networkReason(err);
    if (reason) {
      if (phase === 'stream') return streamCutError(ctx, err);
      const error = networkError(ctx, reason, err);
      if (/refused|not found|DNS|TLS|certificate/i.test(reason)) notRetryable.add(error);
      return error;
    }
    const message = err instanceof Error ? err.message : String(err);
    // The client's words for a stream that ended without its `done` line.
    if (/did not receive done/i.test(message) || (err instanceof TypeError && /terminated|network/i.test(message))) {
      return streamCutError(ctx, err);
    }
    if (phase === 'stream' && err instanceof Error && err.constructor === Error) {
      // An `{"error": "..."}` line inside the stream (the runner failed mid-answer).
      const said = redact(message, ctx);
      return new BackendError(
        'server',
        `Ollama stopped with an error: ${said.slice(0, 160)}`,
        [{ kind: 'retry' }, { kind: 'server-log', server: 'Ollama' }],
        {
          detail: said,
        },
      );
    }
    return toBackendError(err, ctx);
  }

  async function client(signal: AbortSignal, state: ExchangeState): Promise<OllamaClient> {
    let module: OllamaModule;
    try {
      module = await loadClient();
    } catch (err) {
      throw new BackendError(
        'setup',
        'Could not load the Ollama client library.',
        [{ kind: 'advice', text: 'Reinstall ThinkLens.' }, { kind: 'show-log' }],
        {
          detail: String(err),
          cause: err,
        },
      );
    }
    return new module.Ollama({
      host: baseUrl,
      fetch: guardedFetch(signal, state),
      headers,
    });
  }

  let facts: Promise<ModelFacts> | undefined;
  /** The largest window sent so far (see the header: a smaller one would reload the model). */
  let loadedWindow = 0;
  function modelFacts(signal: AbortSignal): Promise<ModelFacts> {
    facts ??= readModelFacts(signal).catch((err: unknown) => {
      facts = undefined;
      throw err;
    });
    return facts;
  }

  async function readModelFacts(signal: AbortSignal): Promise<ModelFacts> {
    const state: ExchangeState = { idleFired: false, headersTimedOut: false };
    const ollama = await client(signal, state);
    try {
      const [shown, version] = await Promise.all([
        ollama.show({ model }),
        ollama.version().then(
          (v) => v.version,
          () => undefined,
        ),
      ]);
      const info = isRecord(shown.model_info) ? shown.model_info : {};
      const capabilities = Array.isArray(shown.capabilities) ? shown.capabilities : undefined;
      return {
        maxContextWindow: contextLengthOf(info),
        thinks: capabilities?.includes('thinking'),
        formatAfterThinking: version !== undefined && versionAtLeast(version, FORMAT_AFTER_THINKING_SINCE),
        thinkLevels: version !== undefined && versionAtLeast(version, THINK_LEVELS_SINCE),
        truncateSwitch: version !== undefined && versionAtLeast(version, TRUNCATE_SWITCH_SINCE),
      };
    } catch (err) {
      throw classify(err, signal, state, 'request');
    }
  }

  /**
   * The window the model is loaded with now (`/api/ps` `context_length`): 0 when it is not loaded,
   * undefined when the server does not say (older than ollama/ollama#11331, or no answer).
   */
  async function loadedNow(signal: AbortSignal): Promise<number | undefined> {
    try {
      const ollama = await client(signal, { idleFired: false, headersTimedOut: false });
      const { models } = await ollama.ps();
      const entry = models.find((m) => sameModel(m.name, model) || sameModel(m.model, model));
      if (!entry) return 0;
      const length = (entry as { context_length?: unknown }).context_length;
      return typeof length === 'number' && Number.isInteger(length) && length > 0 ? length : undefined;
    } catch {
      if (signal.aborted) throw cancelledError();
      return undefined;
    }
  }

  const backend: Backend = {
    id: preset.id,
    model,
    hosted: options.hosted,

    async describe(signal: AbortSignal): Promise<ServerFacts> {
      const known = await modelFacts(signal);
      return {
        // What the model runs with when a request sends no num_ctx; every request here sends one.
        contextWindow: OLLAMA_DEFAULT_CONTEXT,
        maxContextWindow: known.maxContextWindow,
        thinks: known.thinks,
        source: '/api/show',
      };
    },

    async *stream(request: BackendRequest, signal: AbortSignal): AsyncGenerator<ReasoningEvent> {
      if (signal.aborted) throw cancelledError();
      const known = await modelFacts(signal);
      const loaded = await loadedNow(signal);
      const window = planWindow({
        promptTokens: estimatePromptTokens(request.messages),
        contextWindow: request.contextWindow,
        maxTokens: request.maxTokens,
        modelMaximum: known.maxContextWindow,
        loadedWindow: loaded ?? loadedWindow,
        model,
      });
      loadedWindow = Math.max(loadedWindow, window.numCtx);
      const think = known.thinks ? thinkValue(request.reasoningEffort, known.thinkLevels) : undefined;
      const thinking = think !== undefined && think !== false;
      const body = chatBody(model, request, window, think, thinking && known.formatAfterThinking, known.truncateSwitch);

      for (let retry = 0; ; retry++) {
        const progress = { arrived: false };
        try {
          yield* attempt(body, think, signal, progress);
          return;
        } catch (err) {
          const error = err instanceof BackendError ? err : toBackendError(err, ctx);
          const retryable =
            (error.kind === 'server' || error.kind === 'rate-limit' || error.kind === 'network') && !notRetryable.has(error);
          if (!retryable || progress.arrived || retry >= maxRetries || signal.aborted) throw error;
          const waitMs = retryDelayMs(error, retry, retryBaseDelayMs, maxRetryWaitMs);
          if (waitMs === undefined) throw error;
          await sleep(waitMs, signal);
        }
      }
    },
  };
  return backend;

  /** One `/api/chat` exchange; `progress.arrived` once text came (a request is never resent after that). */
  async function* attempt(
    body: ChatRequest & { stream: true },
    think: ChatRequest['think'],
    signal: AbortSignal,
    progress: { arrived: boolean },
  ): AsyncGenerator<ReasoningEvent> {
    const state: ExchangeState = { idleFired: false, headersTimedOut: false };
    const ollama = await client(signal, state);
    const startedAt = new Date();
    // With `think` on, Ollama has taken the thinking out of the content already.
    const splitter = createReasoningSplitter({ inlineStart: think !== undefined && think !== false ? 'answer' : 'auto' });
    let last: ChatResponse | undefined;
    try {
      const parts = await ollama.chat(body);
      for await (const part of parts) {
        const message: { thinking?: unknown; content?: unknown } = isRecord(part.message) ? part.message : {};
        const delta = {
          reasoning: typeof message.thinking === 'string' && message.thinking ? message.thinking : undefined,
          content: typeof message.content === 'string' && message.content ? message.content : undefined,
        };
        if (delta.reasoning !== undefined || delta.content !== undefined) progress.arrived = true;
        for (const piece of splitter.push(delta)) yield piece;
        if (part.done) last = part;
      }
    } catch (err) {
      const error = classify(err, signal, state, 'stream');
      if (error.kind === 'model-not-found') facts = undefined;
      // Reasoning held back (trailing whitespace, a partial tag) is kept; an unfinished answer cannot be told apart.
      if (error.kind === 'cancelled') for (const piece of splitter.end()) if (piece.kind === 'reasoning') yield piece;
      throw error;
    }
    if (signal.aborted) throw cancelledError();
    if (!last) throw state.malformed ?? streamCutError(ctx);
    for (const piece of splitter.end()) yield piece;
    const usage = usageOf(last, body.format !== undefined && think !== undefined && think !== false);
    if (usage) yield { kind: 'usage', usage: withCost(usage, preset.id, model, options.prices, startedAt) };
    yield {
      kind: 'done',
      finishReason: typeof last.done_reason === 'string' && last.done_reason ? last.done_reason : 'stop',
      observed: { constraint: formatConstraint(body.format), reasoning: splitter.reasoningSource() },
    };
  }
}

/** Ollama lists a model as `name:tag`; `deepseek-r1` is `deepseek-r1:latest`. */
function sameModel(listed: unknown, asked: string): boolean {
  return typeof listed === 'string' && (listed === asked || listed === `${asked}:latest` || `${listed}:latest` === asked);
}

/** The chat body: the client's type, plus the switches it does not declare yet (api/types.go ChatRequest). */
export type OllamaChatBody = ChatRequest & { stream: true; truncate?: boolean; shift?: boolean };

/** The `/api/chat` body: only role and content of each turn (never earlier reasoning). */
export function chatBody(
  model: string,
  request: BackendRequest,
  window: WindowPlan,
  think: ChatRequest['think'],
  formatAllowed: boolean,
  truncateSwitch = false,
): OllamaChatBody {
  const options: NonNullable<ChatRequest['options']> = { num_ctx: window.numCtx, num_predict: window.numPredict };
  if (request.temperature !== undefined) options.temperature = request.temperature;
  if (request.topP !== undefined) options.top_p = request.topP;
  if (request.seed !== undefined) options.seed = request.seed;
  const body: OllamaChatBody = {
    model,
    messages: request.messages.map((m) => ({ role: m.role, content: m.content })),
    stream: true,
    options,
    // Never cut the prompt or shift the context (see the header).
    ...(truncateSwitch ? { truncate: false, shift: false } : {}),
  };
  if (think !== undefined) body.think = think;
  if (formatAllowed) {
    if (request.answerSchema) body.format = { ...request.answerSchema };
    else if (request.jsonAnswer) body.format = 'json';
  }
  return body;
}

/** What `format` holds the answer to: a schema object, `"json"` (any JSON), or nothing. */
function formatConstraint(format: ChatRequest['format']): AnswerConstraint {
  return typeof format === 'object' && format !== null ? 'json-schema' : format === 'json' ? 'json-object' : 'none';
}

/** `think` for a thinking model: off for "none", else the effort as a level where the server takes one. */
export function thinkValue(effort: BackendRequest['reasoningEffort'], levels: boolean): ChatRequest['think'] {
  if (effort === 'none') return false;
  if (!levels || effort === undefined) return true;
  return effort === 'max' ? 'high' : effort;
}

/**
 * Usage from the last line: `prompt_eval_count`, `eval_count`, and tokens/s from `eval_duration`
 * (ns). After a `format` restart (thinking, then the answer under the grammar) the prompt count is
 * that of the second pass, which read the thinking too: `restarted` marks it.
 */
export function usageOf(last: Partial<ChatResponse>, restarted = false): Usage | undefined {
  const promptTokens = count(last.prompt_eval_count);
  const completionTokens = count(last.eval_count);
  if (promptTokens === undefined && completionTokens === undefined) return undefined;
  const usage: Usage = { promptTokens: promptTokens ?? 0, completionTokens: completionTokens ?? 0 };
  if (restarted || promptTokens === undefined) usage.promptTokensUncertain = true;
  const nanoseconds = count(last.eval_duration);
  if (completionTokens !== undefined && nanoseconds !== undefined && nanoseconds > 0) {
    usage.tokensPerSecond = completionTokens / (nanoseconds / 1e9);
  }
  return usage;
}

/** `model_info["<arch>.context_length"]`, the architecture read from `general.architecture`. */
function contextLengthOf(info: Record<string, unknown>): number | undefined {
  const arch = info['general.architecture'];
  const named = typeof arch === 'string' ? count(info[`${arch}.context_length`]) : undefined;
  if (named !== undefined) return named;
  const key = Object.keys(info).find((k) => k.endsWith('.context_length'));
  return key === undefined ? undefined : count(info[key]);
}

/** `0.12.4`, `v0.13.0-rc1`: compares the numeric parts; a pre-release counts as its release. */
export function versionAtLeast(version: string, minimum: readonly number[]): boolean {
  const parts = (/(\d+(?:\.\d+)*)/.exec(version)?.[1] ?? '').split('.').map(Number);
  if (parts.length === 0 || parts.some(Number.isNaN)) return false;
  for (let i = 0; i < minimum.length; i++) {
    const have = parts[i] ?? 0;
    if (have !== minimum[i]) return have > minimum[i]!;
  }
  return true;
}

/** The base URL without user info, and that user info as a Basic authorization value. */
function splitCredentials(baseUrl: string): { url: string; authorization?: string } {
  let parsed: URL;
  try {
    parsed = new URL(baseUrl);
  } catch {
    return { url: baseUrl };
  }
  if (!parsed.username && !parsed.password) return { url: baseUrl };
  const user = decodeURIComponent(parsed.username);
  const password = decodeURIComponent(parsed.password);
  parsed.username = '';
  parsed.password = '';
  return { url: parsed.toString().replace(/\/+$/, ''), authorization: `Basic ${Buffer.from(`${user}:${password}`).toString('base64')}` };
}

/** Ollama's error bodies are `{"error": "..."}`; anything else is kept as text. */
function errorMessageOf(text: string): string | undefined {
  if (!text.trim()) return undefined;
  try {
    const body: unknown = JSON.parse(text);
    if (isRecord(body) && typeof body.error === 'string' && body.error) return body.error;
  } catch {
    // not JSON: the text itself
  }
  return text.slice(0, 500);
}

function isHtml(contentType: string | null): boolean {
  return contentType !== null && /text\/html|application\/xhtml/i.test(contentType);
}

function positiveOr(value: number | undefined, fallback: number): number {
  return value !== undefined && Number.isFinite(value) && value > 0 ? value : fallback;
}

function count(value: unknown): number | undefined {
  return typeof value === 'number' && Number.isFinite(value) && value >= 0 ? value : undefined;
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function concatBytes(pieces: readonly Uint8Array[]): Uint8Array {
  const out = new Uint8Array(pieces.reduce((n, p) => n + p.byteLength, 0));
  let at = 0;
  for (const piece of pieces) {
    out.set(piece, at);
    at += piece.byteLength;
  }
  return out;
}
