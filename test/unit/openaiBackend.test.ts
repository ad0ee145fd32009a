// The OpenAI-compatible backend against the replay server over real HTTP: the `openai` SDK parses
// each server's stream, the backend splits it, and every fault becomes the right BackendError.
import { after, before, describe, test as nodeTest } from 'node:test';
import assert from 'node:assert/strict';
import { createBackend } from '../../src/core/backends/createBackend';
import { createOpenAiBackend, usageOf } from '../../src/core/backends/openaiCompatible';
import { PRESETS } from '../../src/core/backends/presets';
import { BackendError, toBackendError } from '../../src/core/errors';
import type { Backend, BackendConfig, BackendRequest, ChatMessage, ReasoningEvent, Usage } from '../../src/core/types';
import { assertPersonReadable, collectStream } from '../support/backendStream';
import type { ReplayResponse, ReplayServer, StreamOptions } from '../support/replayServer';
import {
  chunkEvent,
  deepseekStream,
  errorResponse,
  htmlPage,
  inlineThinkStream,
  llamacppStream,
  lmstudioStream,
  ollamaStream,
  openrouterStream,
  rateLimited,
  sglangStream,
  sseData,
  startReplayServer,
  vllmStream,
} from '../support/replayServer';
import { hints } from '../support/remedyText';

/** Every test fails after 10 s rather than hanging when a timer regresses. */
const test = (name: string, fn: () => void | Promise<void>) => nodeTest(name, { timeout: 10_000 }, fn);

const KEY = 'sk-test-9f8e7d6c5b4a39281706';
const R = 'The loop runs while i <= items.length — one past the end. 日本語 🤔 </thin> is not a tag.';
const A = 'Off-by-one (é).\n\n```json\n{"summary": "i <= n", "findings": []}\n```';
const REQUEST: BackendRequest = { messages: [{ role: 'user', content: 'Review this.' }] };

const unhandled: unknown[] = [];
const onUnhandled = (reason: unknown) => unhandled.push(reason);
process.on('unhandledRejection', onUnhandled);

let server: ReplayServer;
before(async () => {
  server = await startReplayServer();
});
after(async () => {
  await server.close();
  process.off('unhandledRejection', onUnhandled);
});

let modelCounter = 0;
/** A fresh model name with its own script, so tests never share a queue. */
function scripted(...responses: ReplayResponse[]): string {
  const model = `model-${++modelCounter}`;
  server.script(model, responses);
  return model;
}

function backendFor(backend: BackendConfig['backend'], model: string, extra: Partial<BackendConfig> = {}): Backend {
  return createBackend({ backend, baseUrl: server.baseUrl, model, apiKey: KEY, ...extra }, {});
}

const collect = (backend: Backend, request: BackendRequest = REQUEST, signal?: AbortSignal, onEvent?: (e: ReasoningEvent) => void) =>
  collectStream(backend, request, signal, onEvent);

function requestsFor(model: string) {
  return server.requests.filter((r) => r.model === model);
}

/** A person-readable error: one line, no key anywhere. */

describe('each server format streams and splits exactly', () => {
  const formats: Array<[string, BackendConfig['backend'], (o: StreamOptions) => ReplayResponse, Partial<Usage>]> = [
    ['DeepSeek reasoning_content', 'deepseek', deepseekStream, { reasoningTokens: 1984, cachedPromptTokens: 512 }],
    [
      'OpenRouter reasoning + reasoning_details',
      'openrouter',
      openrouterStream,
      { reasoningTokens: 1984, cachedPromptTokens: 512, costUsd: 0.0042 },
    ],
    ['vLLM reasoning', 'vllm', vllmStream, {}],
    ['vLLM (older) reasoning_content', 'vllm', (o) => vllmStream({ ...o, field: 'reasoning_content' }), {}],
    ['SGLang reasoning_content', 'sglang', sglangStream, { cachedPromptTokens: 512 }],
    // Ollama itself goes through its native API (ollama.ts); its /v1 shape still reaches the generic backend.
    ['Ollama /v1 reasoning', 'openai-compatible', ollamaStream, {}],
    ['llama.cpp reasoning_content', 'llamacpp', llamacppStream, {}],
    ['llama.cpp (some builds) reasoning', 'llamacpp', (o) => llamacppStream({ ...o, field: 'reasoning' }), {}],
    ['LM Studio reasoning_content', 'lmstudio', lmstudioStream, {}],
    ['LM Studio reasoning', 'lmstudio', (o) => lmstudioStream({ ...o, field: 'reasoning' }), {}],
    ['inline <think> tags', 'openai-compatible', (o) => inlineThinkStream({ ...o, openTag: true }), {}],
    ['inline tags without the opening tag', 'openai-compatible', (o) => inlineThinkStream({ ...o, openTag: false }), {}],
  ];
  const chunkings: Array<[string, Partial<StreamOptions>]> = [
    ['one write per event', {}],
    ['7-byte writes', { chunking: { bytes: 7 }, pieces: 9 }],
    ['1-byte writes', { chunking: { bytes: 1 }, pieces: 2 }],
  ];
  for (const [name, backendId, build, usage] of formats) {
    test(name, async () => {
      for (const [label, cut] of chunkings) {
        const model = scripted(build({ reasoning: R, answer: A, ...cut }));
        const result = await collect(backendFor(backendId, model));
        assert.equal(result.error, undefined, `${label}: ${result.error?.message}`);
        assert.equal(result.reasoning, R, `${label}: reasoning`);
        assert.equal(result.answer, A, `${label}: answer`);
        const firstAnswer = result.events.findIndex((e) => e.kind === 'answer');
        assert.ok(
          result.events.slice(firstAnswer).every((e) => e.kind !== 'reasoning'),
          `${label}: no reasoning after the answer began`,
        );
        assert.equal(result.finishReason, 'stop');
        assert.equal(result.events.at(-1)?.kind, 'done', 'done comes last');
        assert.deepEqual(
          {
            promptTokens: result.usage?.promptTokens,
            completionTokens: result.usage?.completionTokens,
            ...pickDefined(result.usage, Object.keys(usage)),
          },
          { promptTokens: 812, completionTokens: 2310, ...usage },
          `${label}: usage`,
        );
      }
    });
  }

  test('finish reason "length" is passed through', async () => {
    const model = scripted(deepseekStream({ reasoning: R, answer: 'partial', finishReason: 'length' }));
    const result = await collect(backendFor('deepseek', model));
    assert.equal(result.finishReason, 'length');
    assert.equal(result.answer, 'partial');
  });

  test('untagged reasoning cut at the token limit before </think> arrives as reasoning, not as the answer', async () => {
    // A template that prefilled `<think>`: the content is the reasoning, and the limit hit first.
    const model = `r1-cut-${++modelCounter}`;
    server.script(model, [
      {
        events: [
          chunkEvent(model, { role: 'assistant', content: '' }),
          chunkEvent(model, { content: R.slice(0, 20) }),
          chunkEvent(model, { content: R.slice(20) }),
          chunkEvent(model, {}, { finish_reason: 'length' }),
          sseData('[DONE]'),
        ],
      },
    ]);
    const result = await collect(backendFor('openai-compatible', model));
    assert.equal(result.finishReason, 'length');
    assert.equal(result.reasoning, R);
    assert.equal(result.answer, '');
  });

  test('SSE keep-alive comments are ignored', async () => {
    const base = deepseekStream({ reasoning: R, answer: A });
    const model = scripted({ ...base, events: [': keep-alive\n\n', ': keep-alive\n\n', ...base.events!] });
    const result = await collect(backendFor('deepseek', model));
    assert.equal(result.reasoning, R);
    assert.equal(result.answer, A);
  });
});

describe('usage', () => {
  test('DeepSeek cache hits come from prompt_cache_hit_tokens before prompt_tokens_details', () => {
    const usage = usageOf({
      usage: {
        prompt_tokens: 100,
        completion_tokens: 50,
        prompt_cache_hit_tokens: 64,
        prompt_cache_miss_tokens: 36,
        prompt_tokens_details: { cached_tokens: 0 },
        completion_tokens_details: { reasoning_tokens: 40 },
      },
    });
    assert.deepEqual(usage, { promptTokens: 100, completionTokens: 50, reasoningTokens: 40, cachedPromptTokens: 64 });
  });
  test('standard cached_tokens and OpenRouter cost', () => {
    assert.deepEqual(
      usageOf({ usage: { prompt_tokens: 10, completion_tokens: 5, prompt_tokens_details: { cached_tokens: 8 }, cost: 0.25 } }),
      {
        promptTokens: 10,
        completionTokens: 5,
        cachedPromptTokens: 8,
        costUsd: 0.25,
      },
    );
  });
  test('DeepSeek usage carries a cost from the price table; OpenRouter keeps its own', async () => {
    server.script('deepseek-flash', [
      deepseekStream({ reasoning: 'r', answer: 'a', usage: { prompt: 1_000_000, completion: 1_000_000, cached: 1_000_000 } }),
    ]);
    const { usage } = await collect(backendFor('deepseek', 'deepseek-flash'));
    const [sent] = requestsFor('deepseek-flash');
    const peak = [1, 2, 3, 6, 7, 8, 9].includes(new Date(sent!.receivedAt).getUTCHours());
    assert.ok(usage?.costUsd !== undefined && Math.abs(usage.costUsd - (peak ? 1.206 : 0.603)) < 1e-9, `cost ${usage?.costUsd}`);
    const openrouter = await collect(
      backendFor(
        'openrouter',
        scripted(openrouterStream({ reasoning: 'r', answer: 'a', usage: { prompt: 5, completion: 5, cost: 0.123 } })),
      ),
    );
    assert.equal(openrouter.usage?.costUsd, 0.123);
  });
  test('untrusted usage shapes give nothing or only the valid numbers', () => {
    assert.equal(usageOf({ usage: null }), undefined);
    assert.equal(usageOf({ usage: { prompt_tokens: 'many' } }), undefined);
    assert.deepEqual(usageOf({ usage: { prompt_tokens: 3, completion_tokens: -1, cost: 'free' } }), {
      promptTokens: 3,
      completionTokens: 0,
    });
  });
});

describe('request bodies carry each preset’s fields', () => {
  const history: ChatMessage[] = [
    { role: 'user', content: 'Explain line 3.' },
    // Extra keys a caller might leave on a turn must not reach the server.
    { role: 'assistant', content: 'It is off by one.', reasoning: 'SECRET REASONING' } as ChatMessage,
    { role: 'user', content: 'Why?' },
  ];
  const full: BackendRequest = {
    messages: history,
    temperature: 0.6,
    topP: 0.95,
    seed: 7,
    maxTokens: 4000,
    reasoningEffort: 'high',
    jsonAnswer: true,
  };

  async function sentBody(backendId: BackendConfig['backend'], request: BackendRequest = full): Promise<Record<string, unknown>> {
    const model = scripted(deepseekStream({ reasoning: 'r', answer: 'a' }));
    const result = await collect(backendFor(backendId, model), request);
    assert.equal(result.error, undefined, result.error?.message);
    const [sent] = requestsFor(model);
    assert.ok(sent, 'the server saw the request');
    assert.equal(sent.headers.authorization, `Bearer ${KEY}`);
    const body = sent.body as Record<string, unknown>;
    assert.equal(body.stream, true);
    assert.deepEqual(body.stream_options, { include_usage: true });
    assert.equal(body.max_tokens, 4000);
    assert.deepEqual(body.messages, [
      { role: 'user', content: 'Explain line 3.' },
      { role: 'assistant', content: 'It is off by one.' },
      { role: 'user', content: 'Why?' },
    ]);
    assert.ok(!JSON.stringify(body).includes('SECRET REASONING'), 'no reasoning of earlier turns');
    return body;
  }

  const only = (body: Record<string, unknown>, keys: string[]) =>
    Object.fromEntries(keys.filter((k) => k in body).map((k) => [k, body[k]]));
  const KEYS = [
    'temperature',
    'top_p',
    'seed',
    'thinking',
    'reasoning_effort',
    'reasoning',
    'usage',
    'response_format',
    'reasoning_format',
    'separate_reasoning',
  ];

  test('DeepSeek: thinking on, effort, JSON answer; no ignored sampling fields', async () => {
    assert.deepEqual(only(await sentBody('deepseek'), KEYS), {
      thinking: { type: 'enabled' },
      reasoning_effort: 'high',
      response_format: { type: 'json_object' },
    });
    assert.deepEqual(only(await sentBody('deepseek', { ...full, reasoningEffort: 'none', jsonAnswer: false }), KEYS), {
      thinking: { type: 'disabled' },
    });
    assert.deepEqual(only(await sentBody('deepseek', { ...full, reasoningEffort: 'max' }), KEYS).reasoning_effort, 'max');
    assert.deepEqual(only(await sentBody('deepseek', { ...full, reasoningEffort: 'low' }), KEYS).reasoning_effort, 'low');
  });
  test('OpenRouter: reasoning object, usage accounting, sampling', async () => {
    assert.deepEqual(only(await sentBody('openrouter'), KEYS), {
      temperature: 0.6,
      top_p: 0.95,
      seed: 7,
      reasoning: { effort: 'high', exclude: false },
      usage: { include: true },
    });
    assert.deepEqual(only(await sentBody('openrouter', { ...full, reasoningEffort: 'none' }), KEYS).reasoning, { enabled: false });
    assert.deepEqual(only(await sentBody('openrouter', { ...full, reasoningEffort: 'max' }), KEYS).reasoning, {
      effort: 'high',
      exclude: false,
    });
    assert.deepEqual(only(await sentBody('openrouter', { ...full, reasoningEffort: undefined }), KEYS).reasoning, {
      enabled: true,
      exclude: false,
    });
  });
  test('llama.cpp: reasoning_format deepseek; effort only to turn thinking off', async () => {
    assert.deepEqual(only(await sentBody('llamacpp'), KEYS), { temperature: 0.6, top_p: 0.95, seed: 7, reasoning_format: 'deepseek' });
    assert.equal(only(await sentBody('llamacpp', { ...full, reasoningEffort: 'none' }), KEYS).reasoning_effort, 'none');
  });
  test('SGLang: separate_reasoning', async () => {
    assert.deepEqual(only(await sentBody('sglang'), KEYS), { temperature: 0.6, top_p: 0.95, seed: 7, separate_reasoning: true });
  });
  test('vLLM: nothing special, JSON answer allowed', async () => {
    assert.deepEqual(only(await sentBody('vllm'), KEYS), {
      temperature: 0.6,
      top_p: 0.95,
      seed: 7,
      response_format: { type: 'json_object' },
    });
  });
  test('LM Studio and any OpenAI-compatible server: sampling only', async () => {
    assert.deepEqual(only(await sentBody('lmstudio'), KEYS), { temperature: 0.6, top_p: 0.95, seed: 7 });
    assert.deepEqual(only(await sentBody('openai-compatible'), KEYS), { temperature: 0.6, top_p: 0.95, seed: 7 });
  });
  test("OpenAI's own organisation and project variables never reach another provider", async () => {
    const saved = { org: process.env.OPENAI_ORG_ID, project: process.env.OPENAI_PROJECT_ID };
    process.env.OPENAI_ORG_ID = 'org-should-not-leak';
    process.env.OPENAI_PROJECT_ID = 'proj-should-not-leak';
    try {
      const model = scripted(deepseekStream({ reasoning: 'r', answer: 'a' }));
      await collect(backendFor('deepseek', model));
      const headers = JSON.stringify(requestsFor(model)[0]?.headers);
      assert.ok(!headers.includes('should-not-leak'), headers);
    } finally {
      for (const [name, value] of [
        ['OPENAI_ORG_ID', saved.org],
        ['OPENAI_PROJECT_ID', saved.project],
      ] as const) {
        if (value === undefined) delete process.env[name];
        else process.env[name] = value;
      }
    }
  });
});

describe('faults become the right BackendError', () => {
  const noRetry = { maxRetries: 0 };

  test('401: auth, the key never appears even when the server echoes it', async () => {
    const model = scripted(errorResponse(401, `Authentication Fails, Your api key: ${KEY} is invalid`, { type: 'authentication_error' }));
    const { error } = await collect(backendFor('deepseek', model, noRetry));
    assert.equal(error?.kind, 'auth');
    assert.equal(error.status, 401);
    assert.equal(error.message, 'DeepSeek rejected the API key (401).');
    assert.match(hints(error), /DEEPSEEK_API_KEY/);
    assertPersonReadable(error, KEY);
  });
  test('403: auth', async () => {
    const { error } = await collect(backendFor('openrouter', scripted(errorResponse(403, 'Forbidden')), noRetry));
    assert.equal(error?.kind, 'auth');
    assert.match(hints(error), /OPENROUTER_API_KEY/);
  });
  test('402: out of balance', async () => {
    const { error } = await collect(backendFor('deepseek', scripted(errorResponse(402, 'Insufficient Balance')), noRetry));
    assert.equal(error?.kind, 'out-of-balance');
    assertPersonReadable(error, KEY);
  });
  test('404: model not found, naming the model and the base URL', async () => {
    const model = scripted(errorResponse(404, 'model "x" not found'));
    const { error } = await collect(backendFor('lmstudio', model, noRetry));
    assert.equal(error?.kind, 'model-not-found');
    assert.ok(error.message.includes(model) && error.message.includes(server.baseUrl), error.message);
    assert.match(hints(error), /thinklens\.model/);
    assertPersonReadable(error, KEY);
  });
  test('404 with an HTML page: bad response, check the base URL', async () => {
    const { error } = await collect(backendFor('vllm', scripted(htmlPage(404)), noRetry));
    assert.equal(error?.kind, 'bad-response');
    assert.match(error.message, /HTML page.*check the base URL/);
  });
  test('400 or 413 about the context length: context too long', async () => {
    const long = errorResponse(400, "This model's maximum context length is 131072 tokens. However, you requested 140000 tokens.");
    const first = await collect(backendFor('deepseek', scripted(long), noRetry));
    assert.equal(first.error?.kind, 'context-too-long');
    assert.match(first.error.detail ?? '', /131072/);
    const second = await collect(backendFor('vllm', scripted(errorResponse(413, 'Request Entity Too Large')), noRetry));
    assert.equal(second.error?.kind, 'context-too-long');
    assertPersonReadable(second.error, KEY);
  });
  test('400 about max_tokens is not a context problem', async () => {
    const { error } = await collect(
      backendFor('deepseek', scripted(errorResponse(400, 'Invalid max_tokens value, the valid range of max_tokens is [1, 8192]')), noRetry),
    );
    assert.equal(error?.kind, 'setup');
    assert.match(error.message, /rejected the request \(400\): Invalid max_tokens/);
  });
  test('429: rate limit with the wait from Retry-After', async () => {
    const { error } = await collect(backendFor('deepseek', scripted(rateLimited(7)), noRetry));
    assert.equal(error?.kind, 'rate-limit');
    assert.equal(error.retryAfterSeconds, 7);
    assert.match(error.message, /Retry in 7 s/);
    assertPersonReadable(error, KEY);
  });
  test('500 and 503: server error', async () => {
    for (const status of [500, 503]) {
      const { error } = await collect(backendFor('vllm', scripted(errorResponse(status, 'boom')), noRetry));
      assert.equal(error?.kind, 'server');
      assert.equal(error.status, status);
      assert.match(hints(error), /vLLM server's log/);
    }
  });
  test('an HTML page where the stream was expected: bad response, not retried', async () => {
    const model = scripted(htmlPage(200), deepseekStream({ reasoning: 'r', answer: 'a' }));
    const { error } = await collect(backendFor('openai-compatible', model, { maxRetries: 2 }));
    assert.equal(error?.kind, 'bad-response');
    assert.equal(error.message, `${server.baseUrl} returned an HTML page instead of an API response (200); check the base URL.`);
    assert.equal(requestsFor(model).length, 1);
  });
  test('a stream cut without [DONE]: the reasoning so far arrives, then a network error, no retry', async () => {
    const model = scripted(
      deepseekStream({ reasoning: R, answer: A, fault: 'cut', faultAfter: 3 }),
      deepseekStream({ reasoning: 'again', answer: 'again' }),
    );
    const result = await collect(backendFor('deepseek', model, { maxRetries: 2 }));
    assert.equal(result.error?.kind, 'network');
    assert.match(result.error.message, /ended before the answer finished/);
    assert.equal(result.reasoning, R, 'every reasoning piece sent before the cut was emitted');
    assert.equal(result.events.at(-1)?.kind, 'reasoning');
    assert.equal(requestsFor(model).length, 1, 'never repeated after tokens arrived');
    assertPersonReadable(result.error, KEY);
  });
  test('a stream that ends cleanly without a finish reason: network error', async () => {
    const result = await collect(
      backendFor('openrouter', scripted(openrouterStream({ reasoning: R, answer: A, fault: 'end-early' })), noRetry),
    );
    assert.equal(result.error?.kind, 'network');
    assert.equal(result.reasoning, R);
    assert.equal(result.answer, A);
  });
  test('a malformed JSON line: bad response after the reasoning before it', async () => {
    const result = await collect(
      backendFor('deepseek', scripted(deepseekStream({ reasoning: R, answer: A, fault: 'malformed', faultAfter: 3 })), noRetry),
    );
    assert.equal(result.error?.kind, 'bad-response');
    assert.match(result.error.message, /not valid JSON/);
    assert.equal(result.reasoning, R);
  });
  test('an error object inside the stream: server error', async () => {
    const model = 'stream-error';
    server.script(model, [
      {
        events: [
          chunkEvent(model, { reasoning: 'thinking' }),
          sseData({
            error: { code: 502, message: 'Upstream provider failed' },
            choices: [{ index: 0, delta: { content: '' }, finish_reason: 'error' }],
          }),
        ],
      },
    ]);
    const result = await collect(backendFor('openrouter', model, noRetry));
    assert.equal(result.error?.kind, 'server');
    assert.match(result.error.message, /Upstream provider failed/);
    assert.equal(result.reasoning, 'thinking');
  });
  test('an empty 200 stream: bad response', async () => {
    const { error } = await collect(backendFor('vllm', scripted({ events: [] }), noRetry));
    assert.equal(error?.kind, 'bad-response');
  });
  test('a stall: timeout after the idle limit, the connection closed', async () => {
    const model = scripted(deepseekStream({ reasoning: R, answer: A, fault: 'stall', faultAfter: 3 }));
    const started = Date.now();
    const result = await collect(backendFor('deepseek', model, { idleTimeoutSeconds: 1, maxRetries: 2 }));
    const elapsed = Date.now() - started;
    assert.equal(result.error?.kind, 'timeout');
    assert.match(result.error.message, /sent nothing for 1 s/);
    assert.equal(result.reasoning, R);
    assert.ok(elapsed >= 950 && elapsed < 2500, `timed out after ${elapsed} ms`);
    const sent = requestsFor(model)[0]!;
    await server.waitForClientClose(sent.index, 1000);
    assert.equal(requestsFor(model).length, 1);
  });
  test('no response headers within requestTimeoutSeconds: timeout', async () => {
    const model = scripted({ ...deepseekStream({ reasoning: 'r', answer: 'a' }), headerDelayMs: 3000 });
    const started = Date.now();
    const { error } = await collect(backendFor('deepseek', model, { requestTimeoutSeconds: 0.5, maxRetries: 0 }));
    assert.equal(error?.kind, 'timeout');
    assert.match(error.message, /did not start answering within 0.5 s/);
    assert.ok(Date.now() - started < 1500);
  });
  test('connection refused: network error naming the URL, telling to start a local server, at once', async () => {
    const closed = await startReplayServer();
    const baseUrl = closed.baseUrl;
    await closed.close();
    const started = Date.now();
    const { error } = await collect(createBackend({ backend: 'lmstudio', baseUrl, model: 'm' }, {}));
    assert.equal(error?.kind, 'network');
    assert.equal(error.message, `Could not reach LM Studio at ${baseUrl} (connection refused).`);
    assert.match(hints(error), /Is the LM Studio server running\? Start it/);
    assert.ok(Date.now() - started < 400, 'a refused connection is not retried');
  });
  test('connection refused by a generic server on loopback: the same "is the server running?" hint, never the internet', async () => {
    const closed = await startReplayServer();
    const baseUrl = closed.baseUrl;
    await closed.close();
    const { error } = await collect(createBackend({ backend: 'openai-compatible', baseUrl, model: 'm' }, {}));
    assert.equal(error?.kind, 'network');
    assert.match(hints(error), /Is the .* server running\? Start it/);
    assert.doesNotMatch(hints(error), /internet/);
  });
});

describe('retries', () => {
  test('429 before the first token: waits Retry-After, then succeeds', async () => {
    const model = scripted(rateLimited(1), deepseekStream({ reasoning: R, answer: A }));
    const result = await collect(backendFor('deepseek', model));
    assert.equal(result.error, undefined);
    assert.equal(result.answer, A);
    const [first, second] = requestsFor(model);
    assert.ok(second, 'retried once');
    const gap = second.receivedAt - first!.receivedAt;
    assert.ok(gap >= 950 && gap < 2000, `waited ${gap} ms`);
  });
  test('503 then a stream cut before any token: retried with growing backoff, then succeeds', async () => {
    const model = scripted(
      errorResponse(503, 'overloaded'),
      deepseekStream({ reasoning: R, answer: A, fault: 'cut', faultAfter: 0 }),
      deepseekStream({ reasoning: R, answer: A }),
    );
    const backend = createOpenAiBackend({
      preset: PRESETS.deepseek,
      baseUrl: server.baseUrl,
      model,
      apiKey: KEY,
      hosted: false,
      retryBaseDelayMs: 200,
    });
    const result = await collect(backend);
    assert.equal(result.error, undefined, result.error?.message);
    assert.equal(result.reasoning, R);
    const times = requestsFor(model).map((r) => r.receivedAt);
    assert.equal(times.length, 3);
    const [gap1, gap2] = [times[1]! - times[0]!, times[2]! - times[1]!];
    // Lower bounds only: the waits happened and grew. A loaded machine can only make them longer.
    assert.ok(gap1 >= 150, `first wait ${gap1} ms (200 ms +-20%)`);
    assert.ok(gap2 >= 310, `second wait ${gap2} ms (400 ms +-20%)`);
  });
  test('gives up after maxRetries', async () => {
    const model = scripted(
      errorResponse(500, 'a'),
      errorResponse(502, 'b'),
      errorResponse(503, 'c'),
      deepseekStream({ reasoning: 'r', answer: 'a' }),
    );
    const backend = createOpenAiBackend({
      preset: PRESETS.vllm,
      baseUrl: server.baseUrl,
      model,
      hosted: false,
      maxRetries: 2,
      retryBaseDelayMs: 20,
    });
    const { error } = await collect(backend);
    assert.equal(error?.kind, 'server');
    assert.equal(error.status, 503);
    assert.equal(requestsFor(model).length, 3);
  });
  test('a Retry-After longer than the cap is not waited for', async () => {
    const model = scripted(rateLimited(120), deepseekStream({ reasoning: 'r', answer: 'a' }));
    const started = Date.now();
    const { error } = await collect(backendFor('deepseek', model));
    assert.equal(error?.kind, 'rate-limit');
    assert.equal(error.retryAfterSeconds, 120);
    assert.equal(requestsFor(model).length, 1);
    assert.ok(Date.now() - started < 500);
  });
  test('auth errors are never retried', async () => {
    const model = scripted(errorResponse(401, 'bad key'), deepseekStream({ reasoning: 'r', answer: 'a' }));
    const { error } = await collect(backendFor('deepseek', model));
    assert.equal(error?.kind, 'auth');
    assert.equal(requestsFor(model).length, 1);
  });
});

describe('cancellation', () => {
  test('abort mid-stream ends the request at once and throws cancelled', async () => {
    const model = scripted(deepseekStream({ reasoning: R, answer: A, pieces: 40, delayMs: 50 }));
    const controller = new AbortController();
    let abortedAt = 0;
    const result = await collect(backendFor('deepseek', model), REQUEST, controller.signal, (event) => {
      if (event.kind === 'reasoning' && !abortedAt) {
        abortedAt = Date.now();
        controller.abort();
      }
    });
    assert.equal(result.error?.kind, 'cancelled');
    // The whole stream takes 2 s: well under that means the abort ended it (and not the stream's end).
    assert.ok(Date.now() - abortedAt < 1000, `threw ${Date.now() - abortedAt} ms after the abort`);
    const sent = requestsFor(model)[0]!;
    await server.waitForClientClose(sent.index, 500);
    assert.ok(result.reasoning.length < R.length, 'stopped before the whole reasoning');
  });
  test('a consumer that stops early closes the connection', async () => {
    const model = scripted(deepseekStream({ reasoning: R, answer: A, pieces: 40, delayMs: 50 }));
    for await (const event of backendFor('deepseek', model).stream(REQUEST, new AbortController().signal)) {
      if (event.kind === 'reasoning') break;
    }
    await server.waitForClientClose(requestsFor(model)[0]!.index, 500);
  });
  test('abort during a retry wait: cancelled at once', async () => {
    const model = scripted(rateLimited(5), deepseekStream({ reasoning: 'r', answer: 'a' }));
    const controller = new AbortController();
    setTimeout(() => controller.abort(), 100);
    const started = Date.now();
    const { error } = await collect(backendFor('deepseek', model), REQUEST, controller.signal);
    assert.equal(error?.kind, 'cancelled');
    assert.ok(Date.now() - started < 500);
    assert.equal(requestsFor(model).length, 1);
  });
  test('an already aborted signal sends nothing', async () => {
    const model = scripted(deepseekStream({ reasoning: 'r', answer: 'a' }));
    const controller = new AbortController();
    controller.abort();
    const { error } = await collect(backendFor('deepseek', model), REQUEST, controller.signal);
    assert.equal(error?.kind, 'cancelled');
    assert.equal(requestsFor(model).length, 0);
  });
});

describe('createBackend', () => {
  test('resolves each preset’s default base URL and model', () => {
    const expected: Array<[BackendConfig['backend'], string, string]> = [
      ['deepseek', 'https://api.deepseek.com', 'deepseek-flash'],
      ['openrouter', 'https://openrouter.ai/api/v1', 'deepseek/deepseek-r1'],
      ['ollama', 'http://127.0.0.1:11434', 'deepseek-r1:8b'],
      ['lmstudio', 'http://127.0.0.1:1234/v1', 'deepseek/deepseek-r1-0528-qwen3-8b'],
      ['llamacpp', 'http://127.0.0.1:8080/v1', 'deepseek-r1'],
      ['vllm', 'http://127.0.0.1:8000/v1', 'deepseek-ai/DeepSeek-R1-Distill-Qwen-7B'],
      ['sglang', 'http://127.0.0.1:30000/v1', 'deepseek-ai/DeepSeek-R1-Distill-Qwen-7B'],
    ];
    for (const [id, baseUrl, model] of expected) {
      assert.equal(PRESETS[id].defaultBaseUrl, baseUrl);
      const backend = createBackend({ backend: id, apiKey: 'k' }, {});
      assert.equal(backend.model, model);
      assert.equal(backend.hosted, PRESETS[id].hosted, `${id} hosted`);
    }
  });
  test('a required key that is missing is a setup error naming the variable', () => {
    assert.throws(
      () => createBackend({ backend: 'deepseek' }, {}),
      (err: unknown) => err instanceof BackendError && err.kind === 'setup' && /DEEPSEEK_API_KEY/.test(hints(err)),
    );
    assert.throws(
      () => createBackend({ backend: 'openrouter', apiKey: '  ' }, {}),
      (err: unknown) => err instanceof BackendError && err.kind === 'setup' && /OPENROUTER_API_KEY/.test(hints(err)),
    );
  });
  test('openai-compatible needs a base URL and a model; bad URLs are refused', () => {
    const setup = (config: BackendConfig) =>
      assert.throws(
        () => createBackend(config, {}),
        (err: unknown) => err instanceof BackendError && err.kind === 'setup',
      );
    setup({ backend: 'openai-compatible', model: 'm' });
    setup({ backend: 'openai-compatible', baseUrl: 'http://127.0.0.1:9/v1' });
    setup({ backend: 'vllm', baseUrl: 'not a url' });
    setup({ backend: 'vllm', baseUrl: 'file:///etc/passwd' });
    setup({ backend: 'local' });
  });
  test('key order: settings, then THINKLENS_API_KEY, then the provider variable', async () => {
    const sentKey = async (config: Partial<BackendConfig>, env: NodeJS.ProcessEnv) => {
      const model = scripted(deepseekStream({ reasoning: 'r', answer: 'a' }));
      await collect(createBackend({ backend: 'deepseek', baseUrl: server.baseUrl, model, ...config }, env));
      return requestsFor(model)[0]?.headers.authorization;
    };
    const env = { THINKLENS_API_KEY: 'generic', DEEPSEEK_API_KEY: 'provider' };
    assert.equal(await sentKey({ apiKey: 'settings' }, env), 'Bearer settings');
    assert.equal(await sentKey({}, env), 'Bearer generic');
    assert.equal(await sentKey({}, { DEEPSEEK_API_KEY: 'provider' }), 'Bearer provider');
  });
  test('hosted follows where the code goes, not the preset', () => {
    assert.equal(createBackend({ backend: 'deepseek', apiKey: 'k' }, {}).hosted, true);
    assert.equal(createBackend({ backend: 'deepseek', apiKey: 'k', baseUrl: 'http://localhost:9/v1' }, {}).hosted, false);
    assert.equal(createBackend({ backend: 'vllm', baseUrl: 'http://gpu-box.internal:8000/v1' }, {}).hosted, true);
    assert.equal(createBackend({ backend: 'openai-compatible', baseUrl: 'http://[::1]:8000/v1', model: 'm' }, {}).hosted, false);
  });
  test('the local backend is created without loading it', () => {
    const backend = createBackend({ backend: 'local', local: { modelPath: '/models/tiny-r1.gguf' } }, {});
    assert.equal(backend.id, 'local');
    assert.equal(backend.model, 'tiny-r1.gguf');
    assert.equal(backend.hosted, false);
  });
});

describe('toBackendError', () => {
  const ctx = { backend: 'lmstudio' as const, baseUrl: 'http://127.0.0.1:1234/v1', secrets: [KEY] };
  test('passes BackendErrors through and maps runtime errors', () => {
    const own = new BackendError('auth', 'x', []);
    assert.equal(toBackendError(own, ctx), own);
    assert.equal(toBackendError(Object.assign(new Error('aborted'), { name: 'AbortError' }), ctx).kind, 'cancelled');
    const reset = toBackendError(
      new TypeError('fetch failed', { cause: Object.assign(new Error('read ECONNRESET'), { code: 'ECONNRESET' }) }),
      ctx,
    );
    assert.equal(reset.kind, 'network');
    assert.match(hints(reset), /Is the LM Studio server running\? Start it/);
    assert.equal(toBackendError({ status: 429, message: 'slow down' }, ctx).kind, 'rate-limit');
    const odd = toBackendError(new Error(`weird failure with ${KEY}`), ctx);
    assertPersonReadable(odd, KEY);
  });
});

test('no unhandled rejections', async () => {
  await new Promise((resolve) => setTimeout(resolve, 50));
  assert.deepEqual(unhandled, []);
});

function pickDefined(usage: Usage | undefined, keys: string[]): Record<string, unknown> {
  return Object.fromEntries(keys.map((k) => [k, usage?.[k as keyof Usage]]));
}
