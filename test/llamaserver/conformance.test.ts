// Conformance: the llama.cpp replay server (test/support/llamacppServer.ts), which the unit tests
// trust, against llama.cpp's own llama-server on the scripted test model (test/support/gguf). The
// same scenarios run against both and must observe the same thing: the window each reports, the
// refusal of a prompt longer than the window (status and body), where the reasoning goes with each
// `--reasoning-format`, what a `json_schema` binds, the chat template, and `/tokenize` counts. A
// replay that drifts from the real server fails here.
import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import { createBackend } from '../../src/core/backends/createBackend';
import { answerJsonSchema } from '../../src/core/contract';
import { buildScriptedModel, writeScriptedModel } from '../support/gguf/scriptedModel';
import { cachedLlamaServer, startLlamaServer, startScriptedLlamaServers, type ScriptedLlamaServers } from '../support/llamaServer';
import { startLlamaCppReplay, type LlamaCppReasoningFormat, type LlamaCppReplay, type LlamaCppVocabulary } from '../support/llamacppServer';

const WINDOW = 2048;
const FORMATS = ['deepseek', 'none', 'deepseek-legacy', 'auto'] as const satisfies readonly LlamaCppReasoningFormat[];
type Format = (typeof FORMATS)[number];

/** Where a scenario runs: the real server's or the replay's origin. */
interface Target {
  readonly origin: string;
  readonly baseUrl: string;
}

let real: ScriptedLlamaServers<Format> | undefined;
const replays: LlamaCppReplay[] = [];
const targets = {} as Record<Format, { real: Target; replay: Target }>;

/** The scripted model's vocabulary, as its GGUF carries it (the same build as the file the real server loads). */
function scriptedVocabulary(): LlamaCppVocabulary {
  const metadata = buildScriptedModel().file.metadata;
  const values = (key: string) => {
    const entry = metadata[key];
    if (entry?.type !== 'array') throw new Error(`${key} is not an array`);
    return Array.from(entry.values);
  };
  const tokens = values('tokenizer.ggml.tokens') as string[];
  const types = values('tokenizer.ggml.token_type') as number[];
  return { tokens, types, bosText: tokens[1]! };
}

before(async () => {
  real = await startScriptedLlamaServers(
    'thinklens-conformance-',
    Object.fromEntries(FORMATS.map((format) => [format, { reasoningFormat: format, contextSize: WINDOW }])) as Record<
      Format,
      { reasoningFormat: Format; contextSize: number }
    >,
  );
  const vocabulary = scriptedVocabulary();
  const { model } = real;
  for (const format of FORMATS) {
    const replay = await startLlamaCppReplay({
      // llama-server names a model without --alias by its path.
      models: [{ id: model.path, contextWindow: WINDOW, trainedWindow: 4096 }],
      reasoningFormat: format,
      script: { reasoning: model.reasoning, freeAnswer: model.freeAnswer, answerJson: model.answerJson },
      vocabulary,
    });
    replays.push(replay);
    targets[format] = { real: real.servers[format], replay };
  }
});

after(async () => {
  await Promise.all(replays.map((r) => r.close()));
  await real?.stop();
});

async function post(target: Target, path: string, body: unknown): Promise<{ status: number; body: unknown }> {
  const response = await fetch(`${target.origin}${path}`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify(body),
  });
  return { status: response.status, body: await response.json() };
}

/**
 * A GET, sent again once when the server closed the kept-alive connection the client reused ("other
 * side closed", seen once in a clean-clone run right after the router started a model). A GET of
 * these endpoints reads state without changing it, so asking again changes nothing observed.
 */
async function fetchOnce(url: string): Promise<Response> {
  try {
    return await fetch(url);
  } catch (error) {
    const code = (error as { cause?: { code?: string } }).cause?.code;
    if (code !== 'UND_ERR_SOCKET' && code !== 'ECONNRESET') throw error;
    return fetch(url);
  }
}

async function get(target: Target, path: string): Promise<Record<string, unknown>> {
  const response = await fetchOnce(`${target.origin}${path}`);
  assert.equal(response.status, 200, path);
  return (await response.json()) as Record<string, unknown>;
}

/** Runs `observe` against the real server and the replay of the same format; they must agree. */
async function conforms<T>(format: Format, what: string, observe: (target: Target) => Promise<T>): Promise<T> {
  const fromReal = await observe(targets[format].real);
  const fromReplay = await observe(targets[format].replay);
  assert.deepEqual(fromReplay, fromReal, `${what} (--reasoning-format ${format}): the replay server differs from llama-server`);
  return fromReal;
}

/** A streamed chat, put back together: the text of each delta field, and which fields came. */
async function streamed(target: Target, body: Record<string, unknown>) {
  const response = await fetch(`${target.baseUrl}/chat/completions`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ ...body, stream: true, stream_options: { include_usage: true } }),
  });
  assert.equal(response.status, 200);
  const text = await response.text();
  const fields: Record<string, string> = {};
  let promptTokens: number | undefined;
  let finish: string | undefined;
  for (const line of text.split('\n')) {
    if (!line.startsWith('data: ') || line === 'data: [DONE]') continue;
    const chunk = JSON.parse(line.slice(6)) as {
      choices?: { delta?: Record<string, unknown>; finish_reason?: string | null }[];
      usage?: { prompt_tokens?: number };
    };
    for (const choice of chunk.choices ?? []) {
      for (const [key, value] of Object.entries(choice.delta ?? {})) {
        if (typeof value === 'string' && key !== 'role') fields[key] = (fields[key] ?? '') + value;
      }
      finish = choice.finish_reason ?? finish;
    }
    promptTokens = chunk.usage?.prompt_tokens ?? promptTokens;
  }
  // An empty field is the same as none: servers differ in whether they send a first empty delta.
  for (const key of Object.keys(fields)) if (fields[key] === '') delete fields[key];
  return { fields, finish, promptTokens };
}

const REVIEW = [
  { role: 'system', content: 'You review code.' },
  { role: 'user', content: 'Review this loop:\nfor (let i = 0; i <= items.length; i++) total += items[i];' },
];

test('the window: /props, /v1/models and what ThinkLens learns from them', async () => {
  await conforms('deepseek', 'the window', async (target) => {
    const props = await get(target, '/props');
    const models = await get(target, '/v1/models');
    const listed = (models.data as { id: string; meta: Record<string, unknown> }[])[0]!;
    const facts = await createBackend({ backend: 'llamacpp', baseUrl: target.baseUrl, model: 'any' }, {}).describe!(
      AbortSignal.timeout(10_000),
    );
    return {
      slotWindow: (props.default_generation_settings as { n_ctx: unknown }).n_ctx,
      slots: props.total_slots,
      role: props.role,
      listedWindow: listed.meta.n_ctx,
      trainedWindow: listed.meta.n_ctx_train,
      learned: facts,
    };
  });
});

test('a prompt longer than the window: the same status and error body, streamed or not', async () => {
  const long = { messages: [{ role: 'user', content: 'x '.repeat(1500) }], max_tokens: 10 };
  for (const stream of [false, true]) {
    const refusal = await conforms('deepseek', `overflow, stream ${stream}`, (target) =>
      post(target, '/v1/chat/completions', { ...long, stream }),
    );
    assert.equal(refusal.status, 400);
  }
  // One token short of the window is still refused (the prompt needs a slot for the first token).
  await conforms('deepseek', 'the boundary', async (target) => {
    const counted = await post(target, '/tokenize', { content: 'x '.repeat(1000), add_special: true });
    return (counted.body as { tokens: unknown[] }).tokens.length;
  });
});

for (const format of FORMATS) {
  test(`--reasoning-format ${format}: the reasoning and the answer land in the same fields`, async () => {
    const plain = await conforms(format, 'a whole answer', async (target) => {
      const { status, body } = await post(target, '/v1/chat/completions', { messages: REVIEW, max_tokens: 600 });
      const choice = (body as { choices: { message: Record<string, unknown>; finish_reason: string }[] }).choices[0]!;
      const { role: _role, ...message } = choice.message;
      return {
        status,
        message,
        finish: choice.finish_reason,
        promptTokens: (body as { usage: { prompt_tokens: number } }).usage.prompt_tokens,
      };
    });
    assert.equal(plain.status, 200);
    await conforms(format, 'a streamed answer', (target) => streamed(target, { messages: REVIEW, max_tokens: 600 }));
  });
}

test('json_schema binds the answer after free thinking (reasoning-format deepseek)', async () => {
  const schema = { type: 'json_schema', json_schema: { name: 'thinklens_answer', schema: answerJsonSchema() } };
  const observed = await conforms('deepseek', 'a constrained answer', (target) =>
    streamed(target, { messages: REVIEW, max_tokens: 800, response_format: schema }),
  );
  assert.equal(observed.fields.content, real!.model.answerJson, 'the answer is the JSON alone');
  assert.match(observed.fields.reasoning_content ?? '', /Okay, the user wants me to check this loop/, 'the thinking is free');
});

test('the chat template and /tokenize count the same', async () => {
  const conversation = [
    { role: 'system', content: 'You review code.' },
    { role: 'user', content: 'First question.' },
    { role: 'assistant', content: '<think>\nhidden</think>The answer.' },
    { role: 'user', content: 'And now?' },
  ];
  await conforms('deepseek', '/apply-template', (target) => post(target, '/apply-template', { messages: conversation }));
  const texts = [
    'export function sum(items: number[]): number {\n  let total = 0;\n}',
    // Chinese comments: three UTF-8 bytes a character, each its own token in this vocabulary.
    '// 计算总和，跳过空值\nconst 总和 = items.reduce((a, b) => a + b, 0);',
    'var a=1,b=2;function c(d){return d*a+b}',
    'aGVsbG8gd29ybGQ=',
    // Pieces of the script are tokens of their own, longest first.
    'Okay, the user wants me to check this loop. The fix is to use < instead.',
    '<｜begin▁of▁sentence｜><｜User｜>hi<｜Assistant｜><think>\n',
  ];
  for (const content of texts) {
    for (const add_special of [false, true]) {
      for (const parse_special of [false, true]) {
        await conforms(
          'deepseek',
          `/tokenize ${JSON.stringify(content).slice(0, 30)} add_special ${add_special} parse_special ${parse_special}`,
          async (target) => {
            const { status, body } = await post(target, '/tokenize', { content, add_special, parse_special });
            return { status, count: (body as { tokens: unknown[] }).tokens.length };
          },
        );
      }
    }
  }
});

test('json_schema on a server started with --reasoning-format none: refused, unless the request asks for deepseek', async () => {
  const schema = { type: 'json_schema', json_schema: { name: 'thinklens_answer', schema: answerJsonSchema() } };
  for (const stream of [false, true]) {
    const refused = await conforms('none', `json_schema, stream ${stream}`, (target) =>
      post(target, '/v1/chat/completions', { messages: REVIEW, max_tokens: 800, response_format: schema, stream }),
    );
    assert.equal(refused.status, 400);
  }
  // What the llama.cpp preset sends: the request's reasoning_format wins over the server's flag.
  const observed = await conforms('none', 'json_schema with reasoning_format deepseek', (target) =>
    streamed(target, { messages: REVIEW, max_tokens: 800, response_format: schema, reasoning_format: 'deepseek' }),
  );
  assert.equal(observed.fields.content, real!.model.answerJson);
  assert.match(observed.fields.reasoning_content ?? '', /Okay, the user wants me/);
});

test('a router (llama-server without --model): /props for itself, /props?model=<id> for a model, and what ThinkLens learns', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'thinklens-router-'));
  const modelsDir = join(dir, 'models');
  mkdirSync(modelsDir);
  const model = await writeScriptedModel(join(modelsDir, 'scripted-r1.gguf'));
  const router = await startLlamaServer(await cachedLlamaServer(), model.path, { modelsDir, contextSize: WINDOW });
  const replay = await startLlamaCppReplay({
    router: true,
    // The router names a model by its file name.
    models: [{ id: 'scripted-r1', contextWindow: WINDOW, trainedWindow: 4096 }],
    script: { reasoning: model.reasoning, freeAnswer: model.freeAnswer, answerJson: model.answerJson },
    vocabulary: scriptedVocabulary(),
  });
  try {
    const observe = async (target: Target) => {
      const listed = async () =>
        ((await get(target, '/v1/models')).data as { id: string; status: { value: string }; meta?: { n_ctx: number } }[]).map((m) => ({
          id: m.id,
          status: m.status.value,
          window: m.meta?.n_ctx,
        }));
      const own = await get(target, '/props');
      const before = await listed();
      const facts = await createBackend({ backend: 'llamacpp', baseUrl: target.baseUrl, model: 'scripted-r1' }, {}).describe!(
        AbortSignal.timeout(60_000),
      );
      const unknown = await fetch(`${target.origin}/props?model=not-served`);
      return {
        own: { role: own.role, window: (own.default_generation_settings as { n_ctx: number }).n_ctx },
        before,
        learned: facts,
        after: await listed(),
        unknown: { status: unknown.status, body: await unknown.json() },
      };
    };
    const fromReal = await observe(router);
    assert.deepEqual(await observe(replay), fromReal, 'the router replay differs from llama-server in router mode');
    assert.deepEqual(fromReal.learned, { contextWindow: WINDOW, source: '/props?model=' });
  } finally {
    await replay.close();
    await router.stop();
    rmSync(dir, { recursive: true, force: true });
  }
});
