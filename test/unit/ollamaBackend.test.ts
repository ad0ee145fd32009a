// The Ollama backend against the Ollama-shaped replay server over real HTTP, through the official
// `ollama` client: thinking and answer split, usage, the window it sizes (and never lets Ollama
// truncate), `format` only where Ollama applies it after the thinking, every failure a
// person-readable BackendError, cancellation that keeps the reasoning.
import assert from 'node:assert/strict';
import { after, before, describe, test as nodeTest } from 'node:test';
import { createBackend } from '../../src/core/backends/createBackend';
import { detectLocalServer } from '../../src/core/backends/detect';
import {
  DEFAULT_GENERATION_TOKENS,
  estimatePromptTokens,
  OLLAMA_DEFAULT_CONTEXT,
  ollamaRoot,
  planWindow,
  versionAtLeast,
} from '../../src/core/backends/ollama';
import { answerJsonSchema } from '../../src/core/contract';
import { BackendError } from '../../src/core/errors';
import Ajv from 'ajv-draft-04';
import { runAnalysis } from '../../src/core/run';
import type { Backend, BackendConfig, BackendRequest, CodeUnderReview, ReasoningEvent } from '../../src/core/types';
import { assertPersonReadable, collectStream } from '../support/backendStream';
import { sourceWithLoops } from '../support/longSource';
import { R1_MODEL, startOllamaServer, type OllamaServer } from '../support/ollamaServer';
import { hints } from '../support/remedyText';

/** Every test fails after 15 s rather than hanging when a timer regresses. */
const test = (name: string, fn: () => void | Promise<void>) => nodeTest(name, { timeout: 15_000 }, fn);

const KEY = 'sk-ollama-proxy-7c6b5a4d3e2f1908';
const CART = [
  'export function cartTotal(items: { price: number; qty: number }[]): number {',
  '  let total = 0;',
  '  for (let i = 0; i <= items.length; i++) {',
  '    total += items[i].price * items[i].qty;',
  '  }',
  '  return total;',
  '}',
].join('\n');
const CART_REQUEST: BackendRequest = {
  messages: [
    {
      role: 'user',
      content: `Review this code for bugs.\n\n${CART.split('\n')
        .map((l, i) => `${i + 1} | ${l}`)
        .join('\n')}`,
    },
  ],
  temperature: 0.6,
  topP: 0.95,
  seed: 7,
};
const SCHEMA = answerJsonSchema();

let server: OllamaServer;
before(async () => {
  server = await startOllamaServer({
    models: {
      [R1_MODEL]: { contextLength: 131_072 },
      'small-r1:1.5b': { contextLength: 8192 },
      'no-think:7b': { contextLength: 32_768, arch: 'llama', capabilities: ['completion'] },
      'slow-r1:7b': { contextLength: 131_072 },
    },
  });
});
after(async () => {
  await server.close();
});

function backendFor(extra: Partial<BackendConfig> = {}, root = server.root): Backend {
  return createBackend({ backend: 'ollama', baseUrl: root, model: R1_MODEL, ...extra }, {});
}

const collect = (backend: Backend, request: BackendRequest = CART_REQUEST, signal?: AbortSignal, onEvent?: (e: ReasoningEvent) => void) =>
  collectStream(backend, request, signal, onEvent);

const lastChat = () => server.chats.at(-1)!;

describe('streaming through /api/chat', () => {
  test('thinking arrives as reasoning, content as the answer, in order, with usage and tokens/s', async () => {
    const result = await collect(backendFor());
    assert.equal(result.error, undefined, result.error?.message);
    assert.match(result.reasoning, /^The task is to review the code for bugs\. .*Line 3 uses <= against \.length/);
    assert.ok(!result.reasoning.includes('```'), 'no answer text in the reasoning');
    assert.match(result.answer, /^1 loop reads one element past the end\.\n\n```json\n/);
    assert.ok(!result.answer.includes('review the code'), 'no reasoning in the answer');
    const firstAnswer = result.events.findIndex((e) => e.kind === 'answer');
    assert.ok(firstAnswer > 0 && result.events.slice(firstAnswer).every((e) => e.kind !== 'reasoning'), 'reasoning, then the answer');
    assert.equal(result.finishReason, 'stop');
    assert.equal(result.events.at(-1)?.kind, 'done');
    const chat = lastChat();
    assert.equal(result.usage?.promptTokens, chat.keptPromptTokens);
    assert.ok(result.usage && result.usage.completionTokens > 20, 'eval_count is the completion');
    assert.ok(Math.abs((result.usage?.tokensPerSecond ?? 0) - 50) < 1, `tokens/s from eval_duration: ${result.usage?.tokensPerSecond}`);
    assert.equal(result.usage?.costUsd, undefined, 'a local server costs nothing');
  });

  test('the body: think on, the sampling options, num_ctx and num_predict; earlier reasoning never sent', async () => {
    const request: BackendRequest = {
      ...CART_REQUEST,
      messages: [
        ...CART_REQUEST.messages,
        { role: 'assistant', content: 'earlier answer' },
        { role: 'user', content: 'And the empty cart?' },
      ],
    };
    await collect(backendFor(), request);
    const { body } = lastChat();
    assert.equal(body.think, true);
    assert.equal(body.stream, true);
    assert.equal(body.format, undefined, 'no schema asked for, none sent');
    const options = body.options as Record<string, unknown>;
    assert.equal(options.temperature, 0.6);
    assert.equal(options.top_p, 0.95);
    assert.equal(options.seed, 7);
    const prompt = estimatePromptTokens(request.messages);
    assert.equal(options.num_ctx, Math.ceil((prompt + DEFAULT_GENERATION_TOKENS) / 4096) * 4096);
    assert.equal(options.num_predict, (options.num_ctx as number) - prompt);
    assert.deepEqual(
      body.messages,
      request.messages.map((m) => ({ role: m.role, content: m.content })),
    );
  });

  test('the effort goes as a think level (gpt-oss reads it; other thinking models read any level as on)', async () => {
    for (const [effort, sent] of [
      ['low', 'low'],
      ['medium', 'medium'],
      ['high', 'high'],
      ['max', 'high'],
    ] as const) {
      const result = await collect(backendFor(), { ...CART_REQUEST, reasoningEffort: effort });
      assert.equal(result.error, undefined, result.error?.message);
      assert.equal(lastChat().body.think, sent, effort);
      assert.ok(result.reasoning.length > 0, `${effort}: it thought`);
    }
    const old = await startOllamaServer({ version: '0.17.6' });
    try {
      await collect(backendFor({}, old.root), { ...CART_REQUEST, reasoningEffort: 'high' });
      assert.equal(old.chats.at(-1)?.body.think, true, 'before 0.17.7 a level is refused for models other than gpt-oss');
    } finally {
      await old.close();
    }
  });

  test('reasoningEffort none turns thinking off (and leaves format out, which Ollama would ignore)', async () => {
    const result = await collect(backendFor(), { ...CART_REQUEST, reasoningEffort: 'none', answerSchema: SCHEMA });
    assert.equal(result.error, undefined);
    assert.equal(lastChat().body.think, false);
    assert.equal(lastChat().body.format, undefined);
    assert.equal(result.reasoning, '');
    assert.match(result.answer, /```json/);
  });

  test('format: the answer schema goes to a thinking model on Ollama ≥ 0.12.4, and the answer is bare JSON', async () => {
    const result = await collect(backendFor(), { ...CART_REQUEST, answerSchema: SCHEMA });
    assert.deepEqual(lastChat().body.format, SCHEMA);
    assert.equal(lastChat().body.think, true);
    assert.ok(result.reasoning.length > 0, 'the thinking stays free');
    const answer: unknown = JSON.parse(result.answer);
    const validate = new Ajv({ strict: false }).compile(SCHEMA);
    assert.ok(validate(answer), JSON.stringify(validate.errors));
    assert.equal((answer as { findings: unknown[] }).findings.length, 1);
  });

  test('format is left out for a model without the thinking capability; its inline <think> is split', async () => {
    const result = await collect(backendFor({ model: 'no-think:7b' }), { ...CART_REQUEST, answerSchema: SCHEMA });
    assert.equal(result.error, undefined, result.error?.message);
    assert.equal('think' in lastChat().body, false, 'think is not sent (Ollama would answer 400)');
    assert.equal(lastChat().body.format, undefined, 'format would bind from the first token, inside the thinking');
    assert.match(result.reasoning, /^The task is to review/);
    assert.match(result.answer, /^1 loop reads/);
  });

  test('format is left out on an Ollama older than 0.12.4 (it would constrain the thinking)', async () => {
    const old = await startOllamaServer({ version: '0.12.3' });
    try {
      await collect(backendFor({}, old.root), { ...CART_REQUEST, answerSchema: SCHEMA });
      assert.equal(old.chats.at(-1)?.body.format, undefined);
      assert.equal(old.chats.at(-1)?.body.think, true);
    } finally {
      await old.close();
    }
  });

  test('done_reason length: finishReason length, the thinking kept as reasoning, no answer', async () => {
    const result = await collect(backendFor(), { ...CART_REQUEST, maxTokens: 12 });
    assert.equal(result.error, undefined);
    assert.equal(lastChat().numPredict, 12);
    assert.equal(result.finishReason, 'length');
    assert.ok(result.reasoning.length > 0);
    assert.equal(result.answer, '');
  });

  test('describe(): the model maximum from /api/show, thinking from capabilities, Ollama’s default window', async () => {
    const facts = await backendFor().describe!(new AbortController().signal);
    assert.deepEqual(facts, { contextWindow: OLLAMA_DEFAULT_CONTEXT, maxContextWindow: 131_072, thinks: true, source: '/api/show' });
    const plain = await backendFor({ model: 'no-think:7b' }).describe!(new AbortController().signal);
    assert.equal(plain.maxContextWindow, 32_768, 'read from "llama.context_length"');
    assert.equal(plain.thinks, false);
  });
});

describe('the window', () => {
  test('planWindow: rounded to 4K steps, never below the default, capped at the model maximum', () => {
    assert.deepEqual(planWindow({ promptTokens: 100, maxTokens: 1000, model: 'm' }), { numCtx: 4096, numPredict: 1000 });
    assert.deepEqual(planWindow({ promptTokens: 9000, maxTokens: 32_768, modelMaximum: 131_072, model: 'm' }), {
      numCtx: 45_056,
      numPredict: 32_768,
    });
    assert.deepEqual(planWindow({ promptTokens: 9000, modelMaximum: 131_072, model: 'm' }), { numCtx: 24_576, numPredict: 24_576 - 9000 });
    assert.deepEqual(
      planWindow({ promptTokens: 9000, contextWindow: 20_000, maxTokens: 32_768, model: 'm' }),
      { numCtx: 20_000, numPredict: 11_000 },
      'the plan wins; generation fits what is left',
    );
    assert.deepEqual(planWindow({ promptTokens: 9000, contextWindow: 200_000, modelMaximum: 131_072, model: 'm' }), {
      numCtx: 131_072,
      numPredict: 122_072,
    });
    assert.deepEqual(
      planWindow({ promptTokens: 100, maxTokens: 1000, loadedWindow: 45_056, model: 'm' }),
      { numCtx: 45_056, numPredict: 1000 },
      'never below the loaded window',
    );
    assert.deepEqual(planWindow({ promptTokens: 100, maxTokens: 1000, loadedWindow: 200_000, modelMaximum: 131_072, model: 'm' }), {
      numCtx: 131_072,
      numPredict: 1000,
    });
    assert.throws(
      () => planWindow({ promptTokens: 8100, modelMaximum: 8192, model: 'small-r1:1.5b' }),
      (e: unknown) =>
        e instanceof BackendError &&
        e.kind === 'context-too-long' &&
        /about 8100 tokens/.test(e.message) &&
        /maximum of 8192/.test(e.message) &&
        /leaves 92/.test(e.message),
    );
  });

  test('a smaller request after a bigger one keeps the loaded window (a new num_ctx reloads the model)', async () => {
    // A server of its own: what is loaded (/api/ps) must not depend on the tests before this one.
    const own = await startOllamaServer();
    try {
      const last = () => own.chats.at(-1)!;
      const backend = backendFor({}, own.root);
      const big: BackendRequest = { messages: [{ role: 'user', content: 'x'.repeat(60_000) }] };
      await collect(backend, big);
      const first = last().requestedNumCtx!;
      assert.equal(first, Math.ceil((estimatePromptTokens(big.messages) + DEFAULT_GENERATION_TOKENS) / 4096) * 4096);
      await collect(backend);
      assert.equal(last().requestedNumCtx, first, 'the same window, no reload');
      assert.equal(last().numPredict, first - estimatePromptTokens(CART_REQUEST.messages), 'the room left goes to generation');
      // A new session finds the model still loaded with that window (/api/ps) and keeps it too.
      await collect(backendFor({}, own.root));
      assert.equal(last().requestedNumCtx, first, 'a new backend reuses the loaded window');
      assert.deepEqual(
        own.loads.map((l) => l.numCtx),
        [first],
        'one load for the three requests',
      );
    } finally {
      await own.close();
    }
  });

  test('a planned window is sent as num_ctx, capped at the model maximum from /api/show', async () => {
    await collect(backendFor(), { ...CART_REQUEST, contextWindow: 1_000_000, maxTokens: 4000 });
    assert.equal(lastChat().requestedNumCtx, 131_072);
    assert.equal(lastChat().numPredict, 4000);
    assert.equal(lastChat().truncated, false);
  });

  test('a prompt the model cannot hold is refused before /api/chat, with the numbers', async () => {
    const before = server.chats.length;
    // 8,000 Chinese characters: about 8,000 tokens, which "three characters a token" would call 2,700.
    const big = '数组越界：循环条件应为小于长度。'.repeat(500);
    const messages = [{ role: 'user' as const, content: big }];
    const result = await collect(backendFor({ model: 'small-r1:1.5b' }), { messages });
    assert.equal(result.error?.kind, 'context-too-long');
    assert.ok(estimatePromptTokens(messages) > 8192 - 256, `estimated ${estimatePromptTokens(messages)}`);
    assert.match(result.error!.message, new RegExp(`about ${estimatePromptTokens(messages)} tokens`));
    assert.match(result.error!.message, /8192/);
    assertPersonReadable(result.error!, KEY);
    assert.equal(server.chats.length, before, 'nothing was sent');
  });

  test('control: the same long prompt without num_ctx is silently cut by the server, and the review comes back empty', async () => {
    // Proves the replay server truncates like Ollama, so the tests below would see a regression.
    const code = sourceWithLoops(700, [11, 691]);
    const prompt = `Review this code for bugs.\n\n${code
      .split('\n')
      .map((l, i) => `${String(i + 1).padStart(3)} | ${l}`)
      .join('\n')}`;
    const response = await fetch(`${server.root}/api/chat`, {
      method: 'POST',
      body: JSON.stringify({ model: R1_MODEL, messages: [{ role: 'user', content: prompt }], think: true, stream: false }),
    });
    const lines = (await response.text())
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l) as { message: { content: string } });
    const chat = lastChat();
    assert.equal(chat.numCtx, 4096);
    assert.equal(chat.truncated, true);
    assert.equal(chat.instructionsSeen, false);
    assert.ok(chat.keptPromptTokens < chat.promptTokens / 2);
    assert.match(lines.map((l) => l.message.content).join(''), /"findings":\[\]/);
  });

  test('done when: a 700-line file reviewed with Ollama’s defaults gets its findings because ThinkLens set the window', async () => {
    const fileText = sourceWithLoops(700, [11, 691]);
    const code: CodeUnderReview = {
      kind: 'review',
      path: 'src/totals.ts',
      languageId: 'typescript',
      fileText,
      ranges: [{ startLine: 1, endLine: 700 }],
    };
    for (const root of [server.root, `${server.root}/v1`, `${server.root}/v1/`]) {
      const output = await runAnalysis({ backend: backendFor({}, root), code, signal: new AbortController().signal });
      assert.equal(output.error, undefined, `${root}: ${output.error?.message}`);
      const chat = lastChat();
      assert.equal(chat.truncated, false, `${root}: the server never truncated`);
      assert.equal(chat.instructionsSeen, true);
      assert.ok(
        chat.numCtx > 4096 && chat.numCtx >= chat.promptTokens + (chat.numPredict ?? 0),
        `${root}: window ${chat.numCtx} for ${chat.promptTokens} + ${chat.numPredict}`,
      );
      assert.deepEqual(
        output.parsed?.findings.map((f) => f.startLine),
        [11, 691],
        root,
      );
      assert.ok(output.parsed?.findings.every((f) => !f.locationUncertain && f.fix));
    }
  });
});

describe('base URL and detection', () => {
  test('ollamaRoot accepts the root, /v1 and /api, with or without a slash; a proxy prefix stays', () => {
    for (const url of [
      'http://h:11434',
      'http://h:11434/',
      'http://h:11434/v1',
      'http://h:11434/v1/',
      'http://h:11434/api',
      'http://h:11434/V1',
    ]) {
      assert.equal(ollamaRoot(url), 'http://h:11434', url);
    }
    assert.equal(ollamaRoot('https://gpu.example/ollama/v1'), 'https://gpu.example/ollama');
  });

  test('every form reaches the native API', async () => {
    for (const root of [`${server.root}/v1`, `${server.root}/api/`, `${server.root}/`]) {
      const before = server.requests.length;
      const result = await collect(backendFor({}, root));
      assert.equal(result.error, undefined, `${root}: ${result.error?.message}`);
      assert.ok(
        server.requests.slice(before).some((r) => r.path === '/api/chat'),
        root,
      );
      assert.ok(
        server.requests.slice(before).every((r) => r.path.startsWith('/api/')),
        `${root}: only native paths`,
      );
    }
  });

  test('auto-detection finds Ollama through /api/tags and prefers its thinking model', async () => {
    const found = await detectLocalServer([{ backend: 'ollama', baseUrl: `${server.root}/v1` }], 2000);
    assert.equal(found?.backend, 'ollama');
    assert.equal(found?.model, R1_MODEL);
    assert.equal(found?.thinkingModel, true);
    const backend = createBackend({ backend: found!.backend, baseUrl: found!.baseUrl, model: found!.model }, {});
    assert.equal((await collect(backend)).error, undefined);
  });

  test('versionAtLeast', () => {
    assert.equal(versionAtLeast('0.12.4', [0, 12, 4]), true);
    assert.equal(versionAtLeast('0.12.3', [0, 12, 4]), false);
    assert.equal(versionAtLeast('0.32.15', [0, 12, 4]), true);
    assert.equal(versionAtLeast('v0.13.0-rc1', [0, 12, 4]), true);
    assert.equal(versionAtLeast('0.9', [0, 12, 4]), false);
    assert.equal(versionAtLeast('unknown', [0, 12, 4]), false);
  });
});

describe('failures', () => {
  test('model not found: a 404 from /api/show naming the model, telling to ollama pull it', async () => {
    const result = await collect(backendFor({ model: 'deepseek-r1:70b' }));
    assert.equal(result.error?.kind, 'model-not-found');
    assert.match(result.error!.message, /deepseek-r1:70b/);
    assert.match(hints(result.error!), /ollama pull deepseek-r1:70b/);
    assertPersonReadable(result.error!, KEY);
  });

  test('connection refused: is the server running?, at once', async () => {
    const closed = await startOllamaServer();
    const root = closed.root;
    await closed.close();
    const started = Date.now();
    const result = await collect(backendFor({}, `${root}/v1`));
    assert.equal(result.error?.kind, 'network');
    assert.equal(result.error!.message, `Could not reach Ollama at ${root} (connection refused).`);
    assert.match(hints(result.error!), /Is the Ollama server running\? Start it/);
    assert.ok(Date.now() - started < 1000);
  });

  test('server error statuses keep Ollama’s own words (redacted) in the detail', async () => {
    server.fault(R1_MODEL, { kind: 'status', status: 500, error: `llama runner process has terminated: exit status 2 (auth ${KEY})` });
    const result = await collect(backendFor({ apiKey: KEY, maxRetries: 0 }));
    assert.equal(result.error?.kind, 'server');
    assert.equal(result.error!.status, 500);
    assert.match(result.error!.detail ?? '', /llama runner process has terminated/);
    assertPersonReadable(result.error!, KEY);
  });

  test('503 (Ollama’s queue is full) before any token: retried after a backoff, then it answers', async () => {
    server.fault(R1_MODEL, { kind: 'status', status: 503, error: 'server busy, please try again.  maximum pending requests exceeded' });
    const before = server.requests.filter((r) => r.path === '/api/chat').length;
    const started = Date.now();
    const result = await collect(backendFor());
    assert.equal(result.error, undefined, result.error?.message);
    assert.match(result.answer, /```json/);
    assert.equal(server.requests.filter((r) => r.path === '/api/chat').length - before, 2);
    assert.ok(Date.now() - started >= 350, 'waited before retrying');
  });

  test('retries stop at maxRetries; an error after the first token is never retried', async () => {
    for (let i = 0; i < 2; i++) server.fault(R1_MODEL, { kind: 'status', status: 503, error: 'server busy, please try again.' });
    let before = server.requests.filter((r) => r.path === '/api/chat').length;
    let result = await collect(backendFor({ maxRetries: 1 }));
    assert.equal(result.error?.kind, 'server');
    assert.equal(server.requests.filter((r) => r.path === '/api/chat').length - before, 2);

    server.fault(R1_MODEL, { kind: 'stream-error', afterLines: 2, error: 'model runner has unexpectedly stopped' });
    before = server.requests.filter((r) => r.path === '/api/chat').length;
    result = await collect(backendFor());
    assert.equal(result.error?.kind, 'server');
    assert.equal(server.requests.filter((r) => r.path === '/api/chat').length - before, 1, 'not sent again after tokens arrived');
  });

  test('a 400 about the context length is context-too-long', async () => {
    server.fault(R1_MODEL, {
      kind: 'status',
      status: 400,
      error: 'the prompt is longer than the context length currently available to the model',
    });
    const result = await collect(backendFor());
    assert.equal(result.error?.kind, 'context-too-long');
  });

  test('an HTML page (a proxy, a wrong URL) is bad-response', async () => {
    server.fault(R1_MODEL, { kind: 'html' });
    const result = await collect(backendFor());
    assert.equal(result.error?.kind, 'bad-response');
    assert.match(result.error!.message, /HTML page/);
  });

  test('an error line inside the stream keeps the reasoning so far and says what Ollama said', async () => {
    server.fault(R1_MODEL, { kind: 'stream-error', afterLines: 3, error: `model runner has unexpectedly stopped ${KEY}` });
    const seen: ReasoningEvent[] = [];
    const result = await collect(backendFor({ apiKey: KEY }), CART_REQUEST, undefined, (e) => seen.push(e));
    assert.equal(result.error?.kind, 'server');
    assert.match(result.error!.message, /model runner has unexpectedly stopped/);
    assert.ok(result.reasoning.length > 0, 'partial reasoning arrived');
    assertPersonReadable(result.error!, KEY);
  });

  test('a stream cut before its done line is a network error', async () => {
    server.fault(R1_MODEL, { kind: 'cut', afterLines: 2 });
    const result = await collect(backendFor());
    assert.equal(result.error?.kind, 'network');
    assert.match(result.error!.message, /ended before the answer finished/);
  });

  test('class 2: an Ollama stream line that is not JSON ends the run as a bad response, and its text never reaches the console', async () => {
    // The client would print the raw line with console.warn and skip it: escape sequences and
    // whatever the server echoed (an Authorization header) would reach the person's terminal.
    server.fault(R1_MODEL, { kind: 'garbage', afterLines: 2, text: '\u001b]52;c;b3duZWQ=\u0007\u001b[2J Authorization: Bearer sk-echoed' });
    const warnings: unknown[][] = [];
    const { warn, error, log } = console;
    console.warn = console.error = console.log = (...args: unknown[]) => void warnings.push(args);
    let result: Awaited<ReturnType<typeof collect>>;
    try {
      result = await collect(backendFor());
    } finally {
      Object.assign(console, { warn, error, log });
    }
    assert.deepEqual(warnings, [], 'something reached the console');
    assert.equal(result.error?.kind, 'bad-response');
    assert.match(result.error!.message, /not valid JSON/);
    assert.ok(result.reasoning.length > 0, 'the reasoning before the bad line is kept');
  });

  test('a line that never ends is stopped at its cap, not buffered without bound', async () => {
    server.fault(R1_MODEL, { kind: 'flood', bytes: 512 * 1024 * 1024 });
    const started = Date.now();
    const result = await collect(backendFor());
    assert.equal(result.error?.kind, 'bad-response');
    assert.match(result.error!.message, /one stream event longer than 262144 bytes/);
    assert.ok(Date.now() - started < 3000, `stopped early, after ${Date.now() - started} ms`);
    await new Promise((resolve) => setTimeout(resolve, 100));
    assert.equal(lastChat().clientClosed, true, 'the connection was closed');
  });

  test('credentials in the base URL travel as a Basic header and never appear in a message', async () => {
    const root = server.root.replace('http://', 'http://alice:s3cr3t-pass@');
    const before = server.requests.length;
    const result = await collect(backendFor({ model: 'deepseek-r1:70b' }, `${root}/v1`));
    assert.equal(result.error?.kind, 'model-not-found');
    assert.equal(server.requests[before]?.authorization, `Basic ${Buffer.from('alice:s3cr3t-pass').toString('base64')}`);
    for (const text of [result.error!.message, hints(result.error!), result.error!.detail ?? '']) {
      assert.ok(!text.includes('s3cr3t-pass') && !text.includes('alice'), text);
    }
  });

  test('timeouts: headers that never come, and a stream that goes silent', async () => {
    server.fault(R1_MODEL, { kind: 'slow-headers', ms: 3000 });
    let started = Date.now();
    let result = await collect(backendFor({ requestTimeoutSeconds: 0.5 }));
    assert.equal(result.error?.kind, 'timeout');
    assert.match(result.error!.message, /did not start answering within 0.5 s/);
    assert.ok(Date.now() - started < 2000);

    server.fault(R1_MODEL, { kind: 'stall', afterLines: 2 });
    started = Date.now();
    result = await collect(backendFor({ idleTimeoutSeconds: 0.5 }));
    assert.equal(result.error?.kind, 'timeout');
    assert.match(result.error!.message, /sent nothing for 0.5 s/);
    assert.ok(result.reasoning.length > 0, 'the reasoning before the stall is kept');
    assert.ok(Date.now() - started < 2500);
  });
});

describe('cancellation', () => {
  test('aborting mid-thinking stops the request, keeps the reasoning, and closes the connection', async () => {
    const slow = await startOllamaServer({ lineDelayMs: 40 });
    try {
      const controller = new AbortController();
      let reasoningEvents = 0;
      const result = await collect(backendFor({}, slow.root), CART_REQUEST, controller.signal, (e) => {
        if (e.kind === 'reasoning' && ++reasoningEvents === 2) controller.abort();
      });
      assert.equal(result.error?.kind, 'cancelled');
      assert.ok(result.reasoning.length > 0);
      assert.equal(result.answer, '');
      await new Promise((resolve) => setTimeout(resolve, 100));
      assert.equal(slow.chats.at(-1)?.clientClosed, true, 'the server saw the client hang up');
    } finally {
      await slow.close();
    }
  });

  test('an already-aborted signal sends nothing', async () => {
    const before = server.requests.length;
    const controller = new AbortController();
    controller.abort();
    const result = await collect(backendFor(), CART_REQUEST, controller.signal);
    assert.equal(result.error?.kind, 'cancelled');
    assert.equal(server.requests.length, before);
  });
});
