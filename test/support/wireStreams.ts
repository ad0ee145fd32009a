// Builders for what real servers send (docs/wire.md), as plain-data `ReplayResponse`s the replay
// server plays back. Each builder mirrors one server's chunk shapes: which delta field carries the
// reasoning, where usage arrives, comments and keep-alives. Faults are options on any stream
// (`fault`) or separate responses (`errorResponse`, `rateLimited`, `htmlPage`).

/** How the wire bytes of a response are cut into writes. */
export type Chunking =
  | 'events' // one write per SSE event (default)
  | 'whole' // everything in one write
  | { readonly bytes: number } // fixed-size writes (cuts UTF-8 characters and `data:` lines anywhere)
  | { readonly pieces: number } // about this many equal writes
  | { readonly at: readonly number[] }; // explicit byte offsets

/** A scripted answer to one request. Plain data: it round-trips through JSON. */
export interface ReplayResponse {
  /** HTTP status; default 200. */
  readonly status?: number;
  readonly headers?: Readonly<Record<string, string>>;
  /** A whole non-stream body (JSON error, HTML page); when set, `events` is ignored. */
  readonly body?: string;
  /** Raw SSE text, one entry per event (e.g. `data: {...}\n\n`, `: keep-alive\n\n`). */
  readonly events?: readonly string[];
  readonly chunking?: Chunking;
  /** Milliseconds between writes. */
  readonly delayMs?: number;
  /** Milliseconds before the status line (for the response-header timeout). */
  readonly headerDelayMs?: number;
  /** After the last write: end cleanly (default), cut the connection, or stall with it open. */
  readonly ending?: 'end' | 'destroy' | 'stall';
}

export interface ReplayUsage {
  readonly prompt: number;
  readonly completion: number;
  readonly reasoning?: number;
  /** Prompt tokens served from cache. */
  readonly cached?: number;
  /** OpenRouter's reported cost in USD. */
  readonly cost?: number;
}

/**
 * Faults inside a 200 stream, placed after `faultAfter` text events (default: after all of them):
 * `cut` drops the rest and resets the connection; `end-early` ends cleanly without a finish reason
 * or `[DONE]`; `stall` sends nothing more and keeps the connection open; `malformed` sends a line
 * that is not JSON.
 */
export type Fault = 'cut' | 'end-early' | 'stall' | 'malformed';

export interface StreamOptions {
  readonly reasoning?: string;
  readonly answer?: string;
  /** Cut the reasoning and the answer into this many deltas each; default 3. */
  readonly pieces?: number;
  readonly model?: string;
  /** `false` sends no usage. */
  readonly usage?: ReplayUsage | false;
  readonly finishReason?: string;
  readonly fault?: Fault;
  readonly faultAfter?: number;
  readonly chunking?: Chunking;
  readonly delayMs?: number;
  readonly headerDelayMs?: number;
  /** Extra response headers. */
  readonly headers?: Readonly<Record<string, string>>;
}

export const DEFAULT_USAGE: ReplayUsage = { prompt: 812, completion: 2310, reasoning: 1984, cached: 512 };

const CREATED = 1_790_000_000;

/** One `data:` event. */
export function sseData(payload: unknown): string {
  return `data: ${typeof payload === 'string' ? payload : JSON.stringify(payload)}\n\n`;
}

export const SSE_DONE = 'data: [DONE]\n\n';

/** One chat.completion.chunk event. */
export function chunkEvent(model: string, delta: Record<string, unknown> | undefined, extra: Record<string, unknown> = {}): string {
  const choices =
    delta === undefined
      ? []
      : [{ index: 0, delta, logprobs: null, finish_reason: null, ...pick(extra, 'finish_reason', 'native_finish_reason') }];
  const rest = Object.fromEntries(Object.entries(extra).filter(([key]) => key !== 'finish_reason' && key !== 'native_finish_reason'));
  return sseData({ id: 'chatcmpl-replay', object: 'chat.completion.chunk', created: CREATED, model, choices, ...rest });
}

/** Cuts text into `pieces` parts at even positions, never inside a surrogate pair. */
export function splitText(text: string, pieces: number): string[] {
  if (!text) return [];
  const chars = Array.from(text);
  const n = Math.max(1, Math.min(pieces, chars.length));
  const out: string[] = [];
  for (let i = 0; i < n; i++) out.push(chars.slice(Math.floor((i * chars.length) / n), Math.floor(((i + 1) * chars.length) / n)).join(''));
  return out.filter(Boolean);
}

interface Shape {
  readonly model: string;
  /** Events before the text (role chunk, comments). */
  readonly head: readonly string[];
  readonly reasoning: (piece: string) => Record<string, unknown>;
  readonly answer: (piece: string) => Record<string, unknown>;
  /** The finish and usage events. */
  readonly tail: (finishReason: string, usage: ReplayUsage | false) => readonly string[];
}

function assemble(shape: Shape, options: StreamOptions, texts?: { reasoning: string[]; answer: string[] }): ReplayResponse {
  const pieces = options.pieces ?? 3;
  const reasoningPieces = texts?.reasoning ?? splitText(options.reasoning ?? '', pieces);
  const answerPieces = texts?.answer ?? splitText(options.answer ?? '', pieces);
  const textEvents = [
    ...reasoningPieces.map((p) => chunkEvent(shape.model, shape.reasoning(p))),
    ...answerPieces.map((p) => chunkEvent(shape.model, shape.answer(p))),
  ];
  const usage = options.usage === undefined ? DEFAULT_USAGE : options.usage;
  const base = {
    chunking: options.chunking,
    delayMs: options.delayMs,
    headerDelayMs: options.headerDelayMs,
    headers: options.headers,
  };
  if (!options.fault) {
    return clean({ ...base, events: [...shape.head, ...textEvents, ...shape.tail(options.finishReason ?? 'stop', usage), SSE_DONE] });
  }
  const before = [...shape.head, ...textEvents.slice(0, options.faultAfter ?? textEvents.length)];
  switch (options.fault) {
    case 'cut':
      return clean({ ...base, events: before, ending: 'destroy' });
    case 'end-early':
      return clean({ ...base, events: before });
    case 'stall':
      return clean({ ...base, events: before, ending: 'stall' });
    case 'malformed':
      return clean({
        ...base,
        events: [...before, 'data: {"choices":[{"index":0,"delta":{"content":"x"\n\n', ...shape.tail('stop', usage), SSE_DONE],
      });
  }
}

/** DeepSeek: `reasoning_content` beside `content: null`, usage with cache hit/miss in the final chunk. */
export function deepseekStream(options: StreamOptions = {}): ReplayResponse {
  const model = options.model ?? 'deepseek-flash';
  return assemble(
    {
      model,
      head: [chunkEvent(model, { role: 'assistant', content: null, reasoning_content: '' })],
      reasoning: (p) => ({ content: null, reasoning_content: p }),
      answer: (p) => ({ content: p, reasoning_content: null }),
      tail: (finish, usage) => [
        chunkEvent(
          model,
          { content: '', reasoning_content: null },
          { finish_reason: finish, ...(usage ? { usage: deepseekUsage(usage) } : {}) },
        ),
      ],
    },
    options,
  );
}

function deepseekUsage(u: ReplayUsage): Record<string, unknown> {
  const hit = u.cached ?? 0;
  return {
    prompt_tokens: u.prompt,
    completion_tokens: u.completion,
    total_tokens: u.prompt + u.completion,
    prompt_tokens_details: { cached_tokens: hit },
    completion_tokens_details: u.reasoning === undefined ? undefined : { reasoning_tokens: u.reasoning },
    prompt_cache_hit_tokens: hit,
    prompt_cache_miss_tokens: u.prompt - hit,
  };
}

function standardUsage(u: ReplayUsage, extra: Record<string, unknown> = {}): Record<string, unknown> {
  return {
    prompt_tokens: u.prompt,
    completion_tokens: u.completion,
    total_tokens: u.prompt + u.completion,
    ...(u.cached === undefined ? {} : { prompt_tokens_details: { cached_tokens: u.cached } }),
    ...(u.reasoning === undefined ? {} : { completion_tokens_details: { reasoning_tokens: u.reasoning } }),
    ...extra,
  };
}

/**
 * OpenRouter: a processing comment first, `reasoning` and `reasoning_details` carrying the same
 * text, then a usage-only chunk with `cost`.
 */
export function openrouterStream(options: StreamOptions = {}): ReplayResponse {
  const model = options.model ?? 'deepseek/deepseek-r1';
  return assemble(
    {
      model,
      head: [': OPENROUTER PROCESSING\n\n'],
      reasoning: (p) => ({
        role: 'assistant',
        content: '',
        reasoning: p,
        reasoning_details: [{ type: 'reasoning.text', text: p, format: 'unknown', index: 0 }],
      }),
      answer: (p) => ({ role: 'assistant', content: p, reasoning: null }),
      tail: (finish, usage) => [
        chunkEvent(model, { role: 'assistant', content: '' }, { finish_reason: finish, native_finish_reason: finish, provider: 'Replay' }),
        ...(usage
          ? [
              chunkEvent(model, undefined, {
                provider: 'Replay',
                usage: standardUsage(usage, { cost: usage.cost ?? 0.0042, is_byok: false }),
              }),
            ]
          : []),
      ],
    },
    options,
  );
}

/**
 * vLLM with `--reasoning-parser`: `reasoning`, usage-only last chunk. Older releases sent
 * `reasoning_content` (`field`); vLLM 0.16 removed that name (vLLM docs, "Reasoning Outputs":
 * "reasoning used to be called reasoning_content"). Without the parser vLLM sends `inlineThinkStream`.
 */
export function vllmStream(options: StreamOptions & { readonly field?: 'reasoning' | 'reasoning_content' } = {}): ReplayResponse {
  const model = options.model ?? 'deepseek-ai/DeepSeek-R1-Distill-Qwen-7B';
  const field = options.field ?? 'reasoning';
  return assemble(
    {
      model,
      head: [chunkEvent(model, { role: 'assistant', content: '' })],
      reasoning: (p) => ({ [field]: p }),
      answer: (p) => ({ content: p }),
      tail: (finish, usage) => [
        chunkEvent(model, { content: '' }, { finish_reason: finish }),
        ...(usage ? [chunkEvent(model, undefined, { usage: standardUsage({ ...usage, reasoning: undefined, cached: undefined }) })] : []),
      ],
    },
    options,
  );
}

/**
 * SGLang started with `--reasoning-parser` and asked `separate_reasoning: true`: `reasoning_content`,
 * usage-only last chunk (python/sglang/srt/entrypoints/openai/serving_chat.py; SGLang docs,
 * "Reasoning Parser"). Without the parser SGLang sends `inlineThinkStream`.
 */
export function sglangStream(options: StreamOptions = {}): ReplayResponse {
  const model = options.model ?? 'deepseek-ai/DeepSeek-R1-Distill-Qwen-7B';
  return assemble(
    {
      model,
      head: [chunkEvent(model, { role: 'assistant', content: null, reasoning_content: null })],
      reasoning: (p) => ({ role: null, content: null, reasoning_content: p }),
      answer: (p) => ({ role: null, content: p, reasoning_content: null }),
      tail: (finish, usage) => [
        chunkEvent(model, { role: null, content: null, reasoning_content: null }, { finish_reason: finish }),
        ...(usage ? [chunkEvent(model, undefined, { usage: standardUsage({ ...usage, reasoning: undefined }) })] : []),
      ],
    },
    options,
  );
}

/** Ollama `/v1`: `reasoning` in every chunk's delta with the role, usage without a reasoning count. */
export function ollamaStream(options: StreamOptions = {}): ReplayResponse {
  const model = options.model ?? 'deepseek-r1:8b';
  const extra = { system_fingerprint: 'fp_ollama' };
  return assemble(
    {
      model,
      head: [],
      reasoning: (p) => ({ role: 'assistant', content: '', reasoning: p }),
      answer: (p) => ({ role: 'assistant', content: p }),
      tail: (finish, usage) => [
        chunkEvent(model, { role: 'assistant', content: '' }, { finish_reason: finish, ...extra }),
        ...(usage
          ? [chunkEvent(model, undefined, { ...extra, usage: standardUsage({ ...usage, reasoning: undefined, cached: undefined }) })]
          : []),
      ],
    },
    options,
  );
}

/**
 * llama.cpp server with `--reasoning-format deepseek` (or the request's `reasoning_format`):
 * `reasoning_content`; a last chunk with usage and timings (tools/server/README.md, `--reasoning-format`).
 */
export function llamacppStream(options: StreamOptions & { readonly field?: 'reasoning_content' | 'reasoning' } = {}): ReplayResponse {
  const model = options.model ?? 'deepseek-r1';
  const field = options.field ?? 'reasoning_content';
  return assemble(
    {
      model,
      head: [chunkEvent(model, { role: 'assistant', content: null })],
      reasoning: (p) => ({ [field]: p }),
      answer: (p) => ({ content: p }),
      tail: (finish, usage) => [
        chunkEvent(model, {}, { finish_reason: finish }),
        ...(usage
          ? [
              chunkEvent(model, undefined, {
                usage: standardUsage({ ...usage, reasoning: undefined, cached: undefined }),
                timings: { prompt_n: usage.prompt, predicted_n: usage.completion, predicted_per_second: 41.5 },
              }),
            ]
          : []),
      ],
    },
    options,
  );
}

/**
 * LM Studio: `reasoning_content` when the app separates reasoning (as in the responses quoted in
 * lmstudio-bug-tracker 1602 and 1698), `reasoning` on newer models (`field`). With the setting off
 * the thinking stays inline (`inlineThinkStream`; lmstudio-bug-tracker 1569).
 */
export function lmstudioStream(options: StreamOptions & { readonly field?: 'reasoning_content' | 'reasoning' } = {}): ReplayResponse {
  const model = options.model ?? 'deepseek/deepseek-r1-0528-qwen3-8b';
  const field = options.field ?? 'reasoning_content';
  return assemble(
    {
      model,
      head: [chunkEvent(model, { role: 'assistant', content: '' })],
      reasoning: (p) => ({ role: 'assistant', [field]: p }),
      answer: (p) => ({ role: 'assistant', content: p }),
      tail: (finish, usage) => [
        chunkEvent(model, {}, { finish_reason: finish }),
        ...(usage ? [chunkEvent(model, undefined, { usage: standardUsage({ ...usage, reasoning: undefined, cached: undefined }) })] : []),
      ],
    },
    options,
  );
}

/**
 * A server without a reasoning parser: `<think>...</think>` inline in `content`. With `openTag:
 * false` the stream starts straight with the reasoning, as the original R1 and templates that
 * prefill `<think>\n` do (SGLang docs, "Reasoning Parser": "DeepSeek-R1: No <think> start tag";
 * the DeepSeekR1Parser docstring in TensorRT-LLM's tensorrt_llm/llmapi/reasoning_parser.py). The
 * content is cut at even character positions, so tags straddle chunks.
 */
export function inlineThinkStream(options: StreamOptions & { readonly openTag?: boolean } = {}): ReplayResponse {
  const model = options.model ?? 'deepseek-r1';
  const reasoning = options.reasoning ?? '';
  const content = `${options.openTag === false ? '' : '<think>\n'}${reasoning}\n</think>\n\n${options.answer ?? ''}`;
  const pieces = splitText(content, Math.max(1, (options.pieces ?? 3) * 2));
  return assemble(
    {
      model,
      head: [chunkEvent(model, { role: 'assistant', content: '' })],
      reasoning: (p) => ({ content: p }),
      answer: (p) => ({ content: p }),
      tail: (finish, usage) => [
        chunkEvent(
          model,
          {},
          { finish_reason: finish, ...(usage ? { usage: standardUsage({ ...usage, reasoning: undefined, cached: undefined }) } : {}) },
        ),
      ],
    },
    options,
    { reasoning: pieces, answer: [] },
  );
}

/** A JSON error body the way OpenAI-compatible servers send one. */
export function errorResponse(
  status: number,
  message: string,
  options: { readonly type?: string; readonly code?: string; readonly headers?: Readonly<Record<string, string>> } = {},
): ReplayResponse {
  return {
    status,
    headers: { 'content-type': 'application/json', ...options.headers },
    body: JSON.stringify({ error: { message, type: options.type ?? 'invalid_request_error', param: null, code: options.code ?? null } }),
  };
}

/** 429 with a `Retry-After` in seconds. */
export function rateLimited(retryAfterSeconds: number, message = 'Rate limit reached, please slow down.'): ReplayResponse {
  return errorResponse(429, message, { type: 'rate_limit_error', headers: { 'retry-after': String(retryAfterSeconds) } });
}

/** An HTML page from a proxy or a wrong base URL, where JSON or SSE was expected. */
export function htmlPage(status = 200): ReplayResponse {
  return {
    status,
    headers: { 'content-type': 'text/html; charset=utf-8' },
    body: `<!DOCTYPE html>\n<html><head><title>${status} Welcome</title></head><body><h1>Welcome to nginx!</h1></body></html>\n`,
  };
}

/** The builders by name, for JSON scripts (`{"stream": "deepseek", ...}`). */
export const STREAM_BUILDERS = {
  deepseek: deepseekStream,
  openrouter: openrouterStream,
  vllm: vllmStream,
  sglang: sglangStream,
  ollama: ollamaStream,
  llamacpp: llamacppStream,
  lmstudio: lmstudioStream,
  inline: inlineThinkStream,
} as const;

function pick(record: Record<string, unknown>, ...keys: string[]): Record<string, unknown> {
  return Object.fromEntries(keys.filter((k) => k in record).map((k) => [k, record[k]]));
}

/** Drops undefined fields so a response survives JSON unchanged. */
function clean(response: Record<string, unknown>): ReplayResponse {
  return Object.fromEntries(Object.entries(response).filter(([, v]) => v !== undefined)) as ReplayResponse;
}
