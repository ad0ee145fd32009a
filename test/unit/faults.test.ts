// The fault and hostile-input corpus, engine half: a server that drips, floods, never ends a line,
// keeps the connection open after `[DONE]`, echoes the key into undecodable events, or is reached
// through a URL with credentials in it. Real HTTP on loopback (the replay server); every test names
// its failure class from docs/RELIABILITY.md, which test/unit/reliabilityDoc.test.ts checks.
import { after, before, describe, test as nodeTest } from 'node:test';
import assert from 'node:assert/strict';
import { createBackend } from '../../src/core/backends/createBackend';
import { redact } from '../../src/core/errors';
import { ProfileCache } from '../../src/core/backends/profile';
import { prepareRun, runPlanned } from '../../src/core/plannedRun';
import { runAnalysis } from '../../src/core/run';
import type { Backend, BackendConfig, CodeUnderReview } from '../../src/core/types';
import type { ReplayResponse, ReplayServer } from '../support/replayServer';
import { chunkEvent, deepseekStream, sseData, SSE_DONE, startReplayServer } from '../support/replayServer';
import { hints } from '../support/remedyText';

/** A fault that regresses into a hang fails here instead of stalling the suite. */
const test = (name: string, fn: () => void | Promise<void>) => nodeTest(name, { timeout: 15_000 }, fn);

const KEY = 'sk-fault-0a1b2c3d4e5f60718293';
const CODE: CodeUnderReview = {
  kind: 'review',
  path: 'cart.ts',
  languageId: 'typescript',
  fileText: 'let total = 0;\nfor (let i = 0; i <= items.length; i++) total += items[i];\n',
  ranges: [{ startLine: 1, endLine: 2 }],
};
const ANSWER = 'Off by one.\n\n```json\n{"summary": "i <= n", "findings": []}\n```';

let server: ReplayServer;
before(async () => {
  server = await startReplayServer();
});
after(async () => {
  await server.close();
});

let modelCounter = 0;
function scripted(...responses: ReplayResponse[]): string {
  const model = `fault-${++modelCounter}`;
  server.script(model, responses);
  return model;
}

function backendFor(model: string, extra: Partial<BackendConfig> = {}): Backend {
  return createBackend({ backend: 'openai-compatible', baseUrl: server.baseUrl, model, apiKey: KEY, maxRetries: 0, ...extra }, {});
}

function run(backend: Backend, extra: { deadlineSeconds?: number } = {}) {
  return runAnalysis({ backend, code: CODE, signal: new AbortController().signal, ...extra });
}

/** Everything written to stderr and console.error while `fn` runs. */
async function capturingStderr<T>(fn: () => Promise<T>): Promise<{ value: T; written: string }> {
  let written = '';
  const originalWrite = process.stderr.write.bind(process.stderr);
  const originalError = console.error;
  process.stderr.write = ((chunk: string | Uint8Array, ...rest: unknown[]) => {
    written += typeof chunk === 'string' ? chunk : Buffer.from(chunk).toString('utf8');
    return (originalWrite as (...a: unknown[]) => boolean)(chunk, ...rest);
  }) as typeof process.stderr.write;
  console.error = (...args: unknown[]) => {
    written += `${args.map(String).join(' ')}\n`;
  };
  try {
    return { value: await fn(), written };
  } finally {
    process.stderr.write = originalWrite;
    console.error = originalError;
  }
}

describe('class 3: secrets outside the redaction', () => {
  test('class 3: an undecodable event that echoes the Authorization header never reaches stderr or the error', async () => {
    const echo = `Authorization: Bearer ${KEY}`;
    const model = scripted({
      events: [
        chunkEvent('m', { reasoning_content: 'thinking' }),
        `event: thread.message\ndata: {not json ${echo}\n\n`,
        `data: {not json either ${echo}\n\n`,
        SSE_DONE,
      ],
    });
    const { value: output, written } = await capturingStderr(() => run(backendFor(model)));
    assert.ok(!written.includes(KEY), `the key reached stderr: ${JSON.stringify(written.slice(0, 300))}`);
    assert.equal(output.error?.kind, 'bad-response');
    for (const text of [output.error!.message, hints(output.error!), output.error!.detail ?? '']) assert.ok(!text.includes(KEY), text);
    assert.equal(output.reasoning, 'thinking', 'the reasoning before the bad line is kept');
  });

  test('class 3: a password written into the base URL never appears in an error', async () => {
    const secret = 'hunter2-password-77';
    const url = new URL(server.baseUrl);
    const withUser = `http://alice:${secret}@127.0.0.1:${url.port}/v1`;
    const output = await run(createBackend({ backend: 'openai-compatible', baseUrl: withUser, model: 'x', maxRetries: 0 }, {}));
    assert.ok(output.error, 'the run failed');
    for (const text of [output.error!.message, hints(output.error!), output.error!.detail ?? '', String(output.error)]) {
      assert.ok(!text.includes(secret), `password leaked: ${text}`);
    }
  });

  test('class 3: an api_key query parameter in the base URL never appears in an error', async () => {
    const secret = 'qparam-secret-5566778899';
    const model = scripted({
      status: 404,
      body: JSON.stringify({ error: { message: `no model at ${server.baseUrl}?api_key=${secret}` } }),
    });
    const output = await run(
      createBackend({ backend: 'openai-compatible', baseUrl: `${server.baseUrl}?api_key=${secret}`, model, maxRetries: 0 }, {}),
    );
    assert.equal(output.error?.kind, 'model-not-found');
    for (const text of [output.error!.message, hints(output.error!), output.error!.detail ?? ''])
      assert.ok(!text.includes(secret), `api_key leaked: ${text}`);
    assert.match(output.error!.message, /api_key=\*\*\*/, 'the URL is still shown, with the credential masked');
  });

  test('class 3: redact masks user:pass@ and credential parameters anywhere in a text', () => {
    const text = redact('GET https://bob:s3cr3t@proxy.example/v1?token=abc123&model=x failed; also http://u:p@h/');
    assert.ok(!/s3cr3t|abc123|u:p@/.test(text), text);
    assert.match(text, /https:\/\/\*\*\*@proxy\.example\/v1\?token=\*\*\*&model=x/);
  });
});

describe('class 4: deadline and bounded parsing', () => {
  test('class 4: a server that drips one byte at a time is stopped by the run deadline, keeping the reasoning', async () => {
    const stream = deepseekStream({ reasoning: 'step one. step two. step three.', answer: ANSWER, model: 'drip' });
    const rest = stream.events!.slice(1);
    // One byte every 5 ms: far inside the 1 s idle limit, so only the deadline can end it.
    const first = chunkEvent('drip', { reasoning_content: 'Partial thought.' });
    const head = Buffer.byteLength(first);
    const dripModel = scripted({
      events: [first, `: ${'.'.repeat(5000)}\n\n`, ...rest],
      chunking: { at: Array.from({ length: 5000 }, (_, i) => head + i) },
      delayMs: 5,
    });
    const started = Date.now();
    const output = await run(backendFor(dripModel, { idleTimeoutSeconds: 1 }), { deadlineSeconds: 4 });
    assert.equal(output.error?.kind, 'timeout');
    assert.match(output.error!.message, /deadline of 4 s/);
    assert.equal(output.reasoning, 'Partial thought.', 'the partial reasoning is kept');
    assert.ok(Date.now() - started < 10_000, 'ended near the deadline');
  });

  test('class 4: one stream line over the cap ends the run with the numbers, not minutes of parsing', async () => {
    const huge = chunkEvent('big', { reasoning_content: 'x'.repeat(6 * 1024 * 1024) });
    const model = scripted({ events: [chunkEvent('big', { reasoning_content: 'Before the flood.' }), huge, SSE_DONE] });
    const output = await run(backendFor(model));
    assert.equal(output.error?.kind, 'bad-response');
    assert.match(output.error!.message, /one stream event longer than 4194304 characters/);
    assert.equal(output.reasoning, 'Before the flood.');
  });

  test('class 4: a line that never ends is cut at the cap even while bytes keep coming', async () => {
    const piece = 'y'.repeat(256 * 1024);
    const model = scripted({
      events: [
        chunkEvent('endless', { reasoning_content: 'Started.' }),
        'data: {"choices":[{"delta":{"reasoning_content":"',
        ...Array.from({ length: 40 }, () => piece),
      ],
      delayMs: 20,
      ending: 'stall',
    });
    const output = await run(backendFor(model, { idleTimeoutSeconds: 30 }), { deadlineSeconds: 60 });
    assert.equal(output.error?.kind, 'bad-response');
    assert.match(output.error!.message, /longer than/);
    assert.equal(output.reasoning, 'Started.');
    await server.waitForClientClose(
      server.requests.findIndex((r) => r.model === model),
      5000,
    );
  });

  test('class 4: a whole response over the cap ends the run with the numbers', async () => {
    const events = Array.from({ length: 400 }, (_, i) => chunkEvent('flood', { reasoning_content: `word${i} `.repeat(60) }));
    const model = scripted({ events: [...events, SSE_DONE] });
    // The cap is an option of the OpenAI-compatible backend; the CLI and extension use its default.
    const { createOpenAiBackend } = await import('../../src/core/backends/openaiCompatible');
    const { PRESETS } = await import('../../src/core/backends/presets');
    const capped = createOpenAiBackend({
      preset: PRESETS['openai-compatible'],
      baseUrl: server.baseUrl,
      model,
      hosted: false,
      maxRetries: 0,
      streamLimits: { maxResponseBytes: 100_000 },
    });
    const output = await run(capped);
    assert.equal(output.error?.kind, 'bad-response');
    assert.match(output.error!.message, /a response longer than 100000 bytes/);
    assert.ok(output.reasoning.startsWith('word0 '), 'what arrived is kept');
  });

  test('class 4: the deadline covers a backend that ignores its abort signal', async () => {
    const stubborn: Backend = {
      id: 'local',
      model: 'stuck',
      hosted: false,
      async *stream() {
        yield { kind: 'reasoning', text: 'Loading…' };
        await new Promise(() => undefined); // never resolves, never looks at the signal
      },
    };
    const output = await run(stubborn, { deadlineSeconds: 1 });
    assert.equal(output.error?.kind, 'timeout');
    assert.equal(output.reasoning, 'Loading…');
  });
});

describe('class 4: one deadline for the whole run', () => {
  /** Plans and runs CODE on `backend` as the front ends do, under one deadline of `seconds`. */
  async function planned(backend: Backend, seconds: number) {
    await import('openai'); // loaded once before the clock starts, as it is after a first run
    const profiles = new ProfileCache();
    const signal = new AbortController().signal;
    const plan = await prepareRun(backend, { code: CODE, settings: {} }, signal, profiles);
    return runPlanned({ backend, code: CODE, plan, signal, deadlineSeconds: seconds, profiles });
  }

  test('class 4: the repair turn waits under the run deadline, not a fresh one', async () => {
    // The answer (about half a second) has no JSON; the repair turn's answer never comes.
    const model = scripted(
      deepseekStream({ reasoning: 'Looking at the loop bound.', answer: 'The loop runs one past the end.', delayMs: 60 }),
      deepseekStream({ reasoning: '', answer: '{}', fault: 'stall', faultAfter: 0 }),
    );
    const output = await planned(backendFor(model, { idleTimeoutSeconds: 30 }), 3);
    assert.equal(output.error?.kind, 'timeout', 'the deadline ended the repair turn and the run says so');
    assert.match(output.error!.message, /deadline of 3 s/);
    assert.match(output.reasoning, /Looking at the loop bound/, 'the reasoning so far is kept');
    assert.match(output.answer, /one past the end/, 'the answer so far is kept');
    assert.equal(server.requests.filter((r) => r.model === model).length, 2, 'the answer and the repair turn');
  });

  test('class 4: the blank-answer retry waits under the run deadline, not a fresh one', async () => {
    // DeepSeek's JSON mode answers blank (six events 300 ms apart); the retry without it (nine, 150 ms apart) ends past the 2 s deadline.
    const model = scripted(
      deepseekStream({ reasoning: 'Thinking about the bound.', answer: '', delayMs: 300 }),
      deepseekStream({ reasoning: 'Looking again at the bound.', answer: ANSWER, delayMs: 150 }),
    );
    const backend = createBackend({ backend: 'deepseek', baseUrl: server.baseUrl, model, apiKey: KEY, maxRetries: 0 }, {});
    const output = await planned(backend, 2);
    assert.equal(server.requests.filter((r) => r.model === model).length, 2, 'the retry was sent');
    assert.equal(output.error?.kind, 'timeout', 'the retry ended at the run deadline');
    assert.match(output.reasoning, /Looking/, 'the reasoning so far is kept');
  });
});

describe('class 5: [DONE] and then an open connection', () => {
  test('class 5: the finished answer is kept and the run ends cleanly', async () => {
    const stream = deepseekStream({ reasoning: 'Checked the bound.', answer: ANSWER, model: 'open' });
    const model = scripted({ ...stream, ending: 'stall' });
    const started = Date.now();
    const output = await run(backendFor(model, { idleTimeoutSeconds: 5 }));
    assert.equal(output.error, undefined, output.error?.message);
    assert.equal(output.reasoning, 'Checked the bound.');
    assert.equal(output.parsed?.summary, 'i <= n');
    assert.ok(Date.now() - started < 4000, 'did not wait for the idle timeout');
  });

  test('class 5: [DONE] without a finish reason still ends with the answer', async () => {
    const model = scripted({
      events: [chunkEvent('m', { reasoning_content: 'Thought.' }), chunkEvent('m', { content: ANSWER }), sseData('[DONE]')],
      ending: 'stall',
    });
    const output = await run(backendFor(model, { idleTimeoutSeconds: 5 }));
    assert.equal(output.error, undefined, output.error?.message);
    assert.equal(output.parsed?.summary, 'i <= n');
  });
});

describe('class 12: load', () => {
  test('class 12: 20 runs at once, all cancelled mid-stream, end as cancelled with their reasoning and leave no timer or socket behind', async () => {
    const timers = () => process.getActiveResourcesInfo().filter((k) => k === 'Timeout').length;
    await new Promise((r) => setTimeout(r, 100));
    const before = timers();
    const models = Array.from({ length: 20 }, () =>
      scripted({
        ...deepseekStream({ reasoning: 'Checking the loop bound. '.repeat(40), answer: ANSWER, model: 'load', pieces: 200 }),
        delayMs: 20,
      }),
    );
    const controllers = models.map(() => new AbortController());
    let streaming = 0;
    let allStreaming: () => void = () => undefined;
    const everyOneStreams = new Promise<void>((resolve) => (allStreaming = resolve));
    const runs = models.map((model, i) => {
      let seen = false;
      return runAnalysis({
        backend: backendFor(model),
        code: CODE,
        signal: controllers[i]!.signal,
        onEvent: (event) => {
          if (event.kind !== 'reasoning' || seen) return;
          seen = true;
          if (++streaming === 20) allStreaming();
        },
      });
    });
    // Cancel once every run is mid-stream (a 200-delta stream 20 ms apart lasts 4 s or more).
    await everyOneStreams;
    controllers.forEach((c) => c.abort());
    const outputs = await Promise.all(runs);
    assert.equal(outputs.filter((o) => o.error?.kind === 'cancelled').length, 20);
    assert.equal(outputs.filter((o) => o.reasoning.length > 0).length, 20, 'each kept its partial reasoning');
    // The server saw each connection closed by the client: no socket is left open on our side.
    for (const model of models)
      await server.waitForClientClose(
        server.requests.findIndex((r) => r.model === model),
        5000,
      );
    await new Promise((r) => setTimeout(r, 300));
    assert.ok(timers() <= before, `timers left behind: ${JSON.stringify(process.getActiveResourcesInfo())}`);
  });
});
