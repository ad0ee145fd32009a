// The local backend on a real node-llama-cpp with the scripted model (test/support/gguf): the
// model writes a known script, so every event can be checked exactly.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtemp, rm, writeFile, readFile } from 'node:fs/promises';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createLocalBackend, LlamaRuntimePool } from '../../src/core/backends/local';
import type { LocalBackend, LocalBackendOptions } from '../../src/core/backends/local';
import { downloadModel, resolveModelUri, RECOMMENDED_MODELS } from '../../src/core/localModels';
import { BackendError } from '../../src/core/errors';
import { runAnalysis } from '../../src/core/run';
import type { BackendRequest, CodeUnderReview, ReasoningEvent, Usage } from '../../src/core/types';
import { contractJson, writeScriptedModel } from '../support/gguf/scriptedModel';
import type { ScriptedAnswer, ScriptedModelInfo } from '../support/gguf/scriptedModel';
import { hints } from '../support/remedyText';

let dir: string;
let model: ScriptedModelInfo;
let longModel: ScriptedModelInfo;
const backends: LocalBackend[] = [];

const sampleFile = [
  'function total(items) {',
  '  let sum = 0;',
  '  for (let i = 0; i <= items.length; i++) {',
  '    sum += items[i].price;',
  '  }',
  '  return sum;',
  '}',
  '',
].join('\n');
const answer: ScriptedAnswer = {
  summary: 'The loop reads one element past the end.',
  findings: [
    {
      title: 'Off-by-one in loop bound',
      severity: 'error',
      category: 'bug',
      startLine: 3,
      endLine: 3,
      quote: 'for (let i = 0; i <= items.length; i++) {',
      explanation: 'The last iteration reads `items[items.length]`, which is `undefined`.',
      fix: { startLine: 3, endLine: 3, replacement: '  for (let i = 0; i < items.length; i++) {' },
    },
    {
      title: 'No guard for a missing price',
      severity: 'warning',
      category: 'edge-case',
      startLine: 4,
      endLine: 4,
      quote: 'sum += items[i].price;',
      explanation: 'An item without a price makes the sum `NaN`.',
    },
  ],
};
const script = {
  reasoning: 'Okay, the user wants a review of total(). The loop bound uses <= so it reads past the end. Also price may be missing.',
  prose: 'Two problems.\n\n',
  answer,
};
const fencedAnswer = '```json\n' + contractJson(answer) + '\n```';

before(async () => {
  dir = await mkdtemp(join(tmpdir(), 'thinklens-local-'));
  model = await writeScriptedModel(join(dir, 'scripted-r1.gguf'), script);
  // A long trace for aborting in the middle of it.
  const words = Array.from({ length: 400 }, (_, i) => `step${i}`).join(' ');
  longModel = await writeScriptedModel(join(dir, 'long-r1.gguf'), { ...script, reasoning: words });
});

after(async () => {
  for (const b of backends) await b.dispose();
  await rm(dir, { recursive: true, force: true });
});

/** A backend on the scripted model; one thread keeps a tiny model fast on a busy machine. */
function backend(options: Partial<LocalBackendOptions> = {}): LocalBackend {
  const b = createLocalBackend({ modelPath: model.path, threads: 1, contextSize: 2048, ...options });
  backends.push(b);
  return b;
}

const request = (question = 'Review total() in sample.js.', extra: Partial<BackendRequest> = {}): BackendRequest => ({
  messages: [{ role: 'user', content: question }],
  ...extra,
});

async function collect(b: LocalBackend, req: BackendRequest, signal = new AbortController().signal) {
  const events: ReasoningEvent[] = [];
  let error: unknown;
  try {
    for await (const event of b.stream(req, signal)) events.push(event);
  } catch (e) {
    error = e;
  }
  const text = (kind: 'reasoning' | 'answer') => events.flatMap((e) => (e.kind === kind ? [e.text] : [])).join('');
  const usage = events.find((e): e is { kind: 'usage'; usage: Usage } => e.kind === 'usage')?.usage;
  const done = events.find((e) => e.kind === 'done');
  return {
    events,
    error,
    reasoning: text('reasoning'),
    answer: text('answer'),
    usage,
    finishReason: done?.kind === 'done' ? done.finishReason : undefined,
  };
}

test('reasoning and answer split exactly as scripted; the answer is the JSON contract, fenced', async () => {
  const b = backend();
  assert.equal(b.id, 'local');
  assert.equal(b.hosted, false);
  assert.equal(b.model, 'scripted-r1.gguf');
  const run = await collect(b, request());
  assert.equal(run.error, undefined);
  assert.equal(run.reasoning, script.reasoning);
  assert.equal(run.answer, fencedAnswer);
  assert.deepEqual(JSON.parse(run.answer.slice('```json\n'.length, -'\n```'.length)), answer);
  // Reasoning first, then the answer, then usage, then done.
  const kinds = run.events.map((e) => e.kind).filter((k, i, all) => k !== all[i - 1]);
  assert.deepEqual(kinds, ['reasoning', 'answer', 'usage', 'done']);
  assert.equal(run.finishReason, 'stop');
  assert.ok(run.usage);
  assert.ok(run.usage.promptTokens > 10, `prompt tokens ${run.usage.promptTokens}`);
  assert.ok(run.usage.reasoningTokens! > 10);
  assert.ok(run.usage.completionTokens > run.usage.reasoningTokens!);
  assert.ok(run.usage.tokensPerSecond! > 0);
});

test('the planner’s count for the in-process model is the model’s own: its chat wrapper and tokenizer, as the run counts', async () => {
  const b = backend();
  assert.ok(b.countTokens, 'the local backend counts with its own tokenizer');
  const counted = await b.countTokens(request().messages, AbortSignal.timeout(60_000));
  const run = await collect(b, request());
  assert.equal(run.error, undefined);
  assert.equal(counted, run.usage?.promptTokens);
});

test('the whole engine reads a local run: findings parse and land on the quoted lines', async () => {
  const code: CodeUnderReview = {
    kind: 'review',
    path: 'sample.js',
    languageId: 'javascript',
    fileText: sampleFile,
    ranges: [{ startLine: 1, endLine: 7 }],
  };
  const output = await runAnalysis({ backend: backend({ contextSize: 4096 }), code, signal: new AbortController().signal });
  assert.equal(output.error, undefined);
  assert.equal(output.reasoning, script.reasoning);
  assert.ok(output.parsed);
  assert.equal(output.parsed.problem, undefined);
  assert.equal(output.parsed.summary, answer.summary);
  assert.deepEqual(
    output.parsed.findings.map((f) => [f.title, f.severity, f.category, f.startLine, f.locationUncertain, f.fix?.replacement]),
    [
      ['Off-by-one in loop bound', 'error', 'bug', 3, false, '  for (let i = 0; i < items.length; i++) {'],
      ['No guard for a missing price', 'warning', 'edge-case', 4, false, undefined],
    ],
  );
});

test('without the answer grammar the model writes its free answer (prose, then the fenced block)', async () => {
  const run = await collect(backend({ structuredAnswer: false }), request());
  assert.equal(run.reasoning, script.reasoning);
  assert.equal(run.answer, model.freeAnswer);
  assert.equal(run.finishReason, 'stop');
});

test('reasoning effort "none" skips the thought and goes straight to the answer', async () => {
  const run = await collect(backend(), request(undefined, { reasoningEffort: 'none' }));
  assert.equal(run.reasoning, '');
  assert.equal(run.answer, fencedAnswer);
});

test('a follow-up conversation (user, assistant, user) runs as one chat', async () => {
  const run = await collect(backend(), {
    messages: [
      { role: 'user', content: 'Review total().' },
      { role: 'assistant', content: fencedAnswer },
      { role: 'user', content: 'Why is <= wrong?' },
    ],
  });
  assert.equal(run.error, undefined);
  assert.equal(run.reasoning, script.reasoning);
  assert.equal(run.answer, fencedAnswer);
});

test('abort mid-thought stops at once, keeps the partial reasoning, throws cancelled; the model stays usable', async () => {
  const b = backend({ modelPath: longModel.path });
  await collect(b, request('warm up', { maxTokens: 4 }));
  const controller = new AbortController();
  const events: ReasoningEvent[] = [];
  let abortedAt = 0;
  let error: unknown;
  try {
    for await (const event of b.stream(request(), controller.signal)) {
      events.push(event);
      if (event.kind === 'reasoning' && events.length === 5) {
        abortedAt = performance.now();
        controller.abort();
      }
    }
  } catch (e) {
    error = e;
  }
  const stoppedAfterMs = performance.now() - abortedAt;
  assert.ok(error instanceof BackendError, `expected a BackendError, got ${String(error)}`);
  assert.equal(error.kind, 'cancelled');
  assert.ok(stoppedAfterMs < 1000, `stopped ${stoppedAfterMs.toFixed(0)} ms after the abort`);
  const reasoning = events.flatMap((e) => (e.kind === 'reasoning' ? [e.text] : [])).join('');
  assert.ok(longModel.reasoning.startsWith(reasoning), 'the partial reasoning is a prefix of the script');
  assert.ok(reasoning.length >= 'step0 step1 step2 step3 step4'.length - 1);
  assert.ok(reasoning.length < longModel.reasoning.length / 2, `kept ${reasoning.length} of ${longModel.reasoning.length} characters`);
  assert.ok(!events.some((e) => e.kind === 'answer' || e.kind === 'done'));
  // The sequence went back to the pool: the next run completes.
  const next = await collect(b, request());
  assert.equal(next.reasoning, longModel.reasoning);
  assert.equal(next.answer, fencedAnswer);
});

test('a consumer that stops reading (break) stops generation and frees the sequence', async () => {
  const b = backend({ modelPath: longModel.path });
  for await (const event of b.stream(request(), new AbortController().signal)) {
    if (event.kind === 'reasoning') break;
  }
  const next = await collect(b, request());
  assert.equal(next.answer, fencedAnswer);
});

test('two runs at once both complete correctly, queued on one sequence or side by side on two', async () => {
  for (const parallelRuns of [1, 2]) {
    const b = backend({ parallelRuns });
    const runs = await Promise.all([collect(b, request('first question')), collect(b, request('second, different question'))]);
    for (const run of runs) {
      assert.equal(run.error, undefined, `parallelRuns ${parallelRuns}`);
      assert.equal(run.reasoning, script.reasoning, `parallelRuns ${parallelRuns}`);
      assert.equal(run.answer, fencedAnswer, `parallelRuns ${parallelRuns}`);
    }
    assert.equal(b.host.loadCount, 1);
  }
});

test('disposing the backend ends the runs in progress as cancelled, then unloads', async () => {
  const b = backend({ modelPath: longModel.path });
  const events: ReasoningEvent[] = [];
  let error: unknown;
  let disposed: Promise<void> | undefined;
  try {
    for await (const event of b.stream(request(), new AbortController().signal)) {
      events.push(event);
      if (events.length === 3) disposed = b.dispose();
    }
  } catch (e) {
    error = e;
  }
  assert.ok(error instanceof BackendError && error.kind === 'cancelled', String(error));
  await disposed;
  assert.equal(b.host.loaded, false);
  assert.ok(events.length < 50, `stopped after ${events.length} events`);
  const after = await collect(b, request());
  assert.ok(after.error instanceof BackendError && after.error.kind === 'cancelled');
});

test('a run waiting in line can be cancelled without disturbing the one running', async () => {
  const b = backend({ modelPath: longModel.path });
  const waiting = new AbortController();
  const first = collect(b, request());
  const second = collect(b, request('queued'), waiting.signal);
  waiting.abort();
  const [a, c] = await Promise.all([first, second]);
  assert.equal(a.answer, fencedAnswer);
  assert.ok(c.error instanceof BackendError && c.error.kind === 'cancelled');
  assert.equal(c.events.length, 0);
});

test('the model unloads after the idle time and loads again on the next run', async () => {
  const b = backend({ idleUnloadSeconds: 0.2 });
  assert.equal(b.host.loaded, false, 'nothing loads before the first run');
  await collect(b, request());
  assert.equal(b.host.loaded, true);
  assert.equal(b.host.loadCount, 1);
  await new Promise((r) => setTimeout(r, 500));
  assert.equal(b.host.loaded, false, 'unloaded after 0.2 s idle');
  const again = await collect(b, request());
  assert.equal(again.answer, fencedAnswer);
  assert.equal(b.host.loadCount, 2);
  await b.dispose();
  assert.equal(b.host.loaded, false);
});

// How long the event loop stalls while the runtime starts is measured in bench/localBench.ts
// (bench/results/local.md), not asserted here: a busy machine stretches any wall-clock limit.
test('a runtime of its own starts, loads the model, and is disposed with its last host', async () => {
  const pool = new LlamaRuntimePool();
  const b = backend({ runtimes: pool });
  const lease = await b.host.acquire(new AbortController().signal);
  lease.release();
  assert.equal(b.host.loaded, true);
  const run = await collect(b, request());
  assert.equal(run.answer, fencedAnswer);
  // The runtime is shared while a host holds it and disposed with the last one.
  assert.equal(pool.size, 1);
  await b.dispose();
  assert.equal(pool.size, 0);
});

test('maxTokens cuts the run with finish reason "length"', async () => {
  const run = await collect(backend(), request(undefined, { maxTokens: 5 }));
  assert.equal(run.error, undefined);
  assert.equal(run.finishReason, 'length');
  assert.equal(run.answer, '');
  assert.ok(script.reasoning.startsWith(run.reasoning) && run.reasoning.length > 0);
  assert.ok(run.usage && run.usage.completionTokens <= 5);
});

test('a prompt longer than the context fails with context-too-long before generating', async () => {
  const b = backend({ contextSize: 512 });
  const run = await collect(b, request('x '.repeat(2000)));
  assert.ok(run.error instanceof BackendError);
  assert.equal(run.error.kind, 'context-too-long');
  assert.match(run.error.message, /512-token context/);
  assert.equal(run.events.length, 0);
});

test('a missing model file is a setup error naming the path', async () => {
  const missing = join(dir, 'nope', 'missing.gguf');
  const started = performance.now();
  const run = await collect(backend({ modelPath: missing }), request());
  assert.ok(run.error instanceof BackendError);
  assert.equal(run.error.kind, 'setup');
  assert.equal(run.error.message, `The local model file does not exist: ${missing}`);
  assert.match(hints(run.error), /thinklens\.local\.modelPath/);
  assert.ok(performance.now() - started < 1000);
});

test('a file that is not GGUF, and a truncated GGUF, are setup errors naming the path', async () => {
  const notGguf = join(dir, 'model.safetensors');
  await writeFile(notGguf, '{"not": "a gguf"}');
  const bad = await collect(backend({ modelPath: notGguf }), request());
  assert.ok(bad.error instanceof BackendError);
  assert.equal(bad.error.kind, 'setup');
  assert.equal(bad.error.message, `Not a GGUF model file: ${notGguf}`);

  const truncated = join(dir, 'truncated.gguf');
  const bytes = await readFile(model.path);
  for (const cut of [Math.floor(bytes.length * 0.9), 200]) {
    await writeFile(truncated, bytes.subarray(0, cut));
    const run = await collect(backend({ modelPath: truncated }), request());
    assert.ok(run.error instanceof BackendError, `cut at ${cut}: ${String(run.error)}`);
    assert.equal(run.error.kind, 'setup');
    assert.equal(run.error.message, `The local model file is damaged or incomplete and could not be loaded: ${truncated}`);
    assert.ok(!run.error.message.includes('\n'));
  }
});

test('recommended models are hf: URIs of Q4_K_M GGUF files with sizes and memory needs', () => {
  assert.deepEqual(
    RECOMMENDED_MODELS.map((m) => m.id),
    ['r1-distill-qwen-1.5b', 'r1-distill-qwen-7b', 'r1-distill-llama-8b', 'r1-distill-qwen-14b'],
  );
  for (const m of RECOMMENDED_MODELS) {
    assert.match(m.uri, /^hf:[\w.-]+\/DeepSeek-R1-Distill-[\w.-]+-GGUF\/DeepSeek-R1-Distill-[\w.-]+-Q4_K_M\.gguf$/);
    assert.ok(m.sizeBytes > 0.5e9 && m.memoryGb * 1e9 > m.sizeBytes);
  }
});

test('resolveModelUri accepts ids, hf: URIs and Hugging Face URLs, and refuses the rest', () => {
  assert.equal(resolveModelUri('r1-distill-qwen-7b'), RECOMMENDED_MODELS[1].uri);
  assert.equal(resolveModelUri(' hf:user/repo/file.gguf '), 'hf:user/repo/file.gguf');
  assert.equal(resolveModelUri('hf:user/repo:Q4_K_M'), 'hf:user/repo:Q4_K_M');
  assert.equal(resolveModelUri('https://huggingface.co/user/repo/blob/main/dir/m.gguf'), 'hf:user/repo/dir/m.gguf');
  assert.equal(resolveModelUri('huggingface.co/user/repo/resolve/dev/m.gguf'), 'hf:user/repo/m.gguf#dev');
  assert.equal(resolveModelUri('https://example.test/models/m.gguf'), 'https://example.test/models/m.gguf');
  for (const bad of ['hf:user', 'not a uri', 'ftp://x/m.gguf', 'https://example.test/model.bin']) {
    assert.throws(
      () => resolveModelUri(bad),
      (e: unknown) => e instanceof BackendError && e.kind === 'setup',
      bad,
    );
  }
});

test('a download with no connection fails fast with a clear offline message', async () => {
  // A port nobody listens on: the same failure as no network, without touching the network.
  const probe = createServer();
  await new Promise<void>((r) => probe.listen(0, '127.0.0.1', () => r()));
  const port = (probe.address() as AddressInfo).port;
  await new Promise<void>((r) => probe.close(() => r()));
  const started = performance.now();
  const error = await downloadModel(
    'hf:someone/some-model-GGUF/some-model-Q4_K_M.gguf',
    join(dir, 'downloads'),
    () => undefined,
    new AbortController().signal,
    {
      huggingFaceEndpoint: `http://127.0.0.1:${port}/`,
    },
  ).then(
    () => undefined,
    (e: unknown) => e,
  );
  assert.ok(error instanceof BackendError, String(error));
  assert.equal(error.kind, 'network');
  assert.match(
    error.message,
    /^Could not download hf:someone\/some-model-GGUF\/some-model-Q4_K_M\.gguf: 127\.0\.0\.1:\d+ cannot be reached \(ECONNREFUSED\); this machine may be offline\.$/,
  );
  assert.match(hints(error), /resumes/);
  assert.ok(performance.now() - started < 2000, 'fails in seconds, not after minutes of retries');
});

test('a download of a file the server does not have is model-not-found; a cancelled one is cancelled', async () => {
  const requests: string[] = [];
  const server = createServer((req, res) => {
    requests.push(`${req.method} ${req.url}`);
    res.statusCode = 404;
    res.end('Entry not found');
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', () => r()));
  const endpoint = `http://127.0.0.1:${(server.address() as AddressInfo).port}/`;
  try {
    const error = await downloadModel(
      'hf:someone/repo/missing.gguf',
      join(dir, 'downloads'),
      () => undefined,
      new AbortController().signal,
      {
        huggingFaceEndpoint: endpoint,
      },
    ).then(
      () => undefined,
      (e: unknown) => e,
    );
    assert.ok(error instanceof BackendError, String(error));
    assert.equal(error.kind, 'model-not-found');
    assert.equal(error.message, 'No model file at hf:someone/repo/missing.gguf (404).');
    assert.deepEqual(requests, ['HEAD /someone/repo/resolve/main/missing.gguf']);

    const controller = new AbortController();
    controller.abort();
    const cancelled = await downloadModel('hf:someone/repo/missing.gguf', join(dir, 'downloads'), () => undefined, controller.signal, {
      huggingFaceEndpoint: endpoint,
    }).then(
      () => undefined,
      (e: unknown) => e,
    );
    assert.ok(cancelled instanceof BackendError && cancelled.kind === 'cancelled');
  } finally {
    server.close();
  }
});
