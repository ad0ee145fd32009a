// A 404 is named for what it is: against the Ollama-shaped replay server (which, like Ollama, serves
// its OpenAI-compatible API only under /v1), a base URL without /v1 is "answers at …/v1" with a
// "Use …/v1" remedy, not "has no model"; with /v1, a missing model is still a missing model; and a
// router's 404 from a server that lists the model says the path is wrong.
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { createBackend } from '../../src/core/backends/createBackend';
import { withApiVersion } from '../../src/core/backends/apiRoot';
import type { BackendRequest } from '../../src/core/types';
import { collectStream } from '../support/backendStream';
import { R1_MODEL, startOllamaServer, type OllamaServer } from '../support/ollamaServer';
import { errorResponse, startReplayServer, type ReplayServer } from '../support/replayServer';

const REQUEST: BackendRequest = { messages: [{ role: 'user', content: 'Review this.' }] };
let ollama: OllamaServer;
let replay: ReplayServer;

before(async () => {
  ollama = await startOllamaServer();
  replay = await startReplayServer();
});
after(async () => {
  await ollama.close();
  await replay.close();
});

test('withApiVersion adds /v1 once', () => {
  assert.equal(withApiVersion('http://127.0.0.1:11434'), 'http://127.0.0.1:11434/v1');
  assert.equal(withApiVersion('http://127.0.0.1:11434/'), 'http://127.0.0.1:11434/v1');
  assert.equal(withApiVersion('http://127.0.0.1:11434/v1/'), undefined);
});

test('404 without /v1: the server answers at …/v1, so the remedy is to use that address, not another model', async () => {
  const backend = createBackend({ backend: 'openai-compatible', baseUrl: ollama.root, model: R1_MODEL }, {});
  const { error } = await collectStream(backend, REQUEST);
  assert.equal(error?.status, 404);
  assert.equal(error?.kind, 'setup');
  assert.equal(
    error?.message,
    `OpenAI-compatible server answered 404 at ${ollama.root}, but answers at ${ollama.root}/v1: the base URL lacks the API's /v1.`,
  );
  assert.deepEqual(error?.remedies, [{ kind: 'use-base-url', url: `${ollama.root}/v1` }]);
  assert.doesNotMatch(error!.message, /no model/);
  // The chat went to the root, then the probe asked the same server at /v1.
  assert.ok(ollama.requests.some((r) => r.method === 'GET' && r.path === '/v1/models'));
});

test('404 with /v1 for a model the server does not have: the model is missing, as before', async () => {
  const model = `absent-${Date.now()}`;
  replay.script(model, [errorResponse(404, `The model \`${model}\` does not exist.`)]);
  // The replay server lists scripted models; this one is listed, yet the server named the model as missing.
  const backend = createBackend({ backend: 'vllm', baseUrl: replay.baseUrl, model }, {});
  const { error } = await collectStream(backend, REQUEST);
  assert.equal(error?.kind, 'model-not-found');
  assert.match(error!.message, new RegExp(`has no model "${model}" at ${replay.baseUrl.replace(/[.]/g, '\\.')}`));
  assert.ok(!error!.remedies.some((r) => r.kind === 'use-base-url'));
});

test("a router's 404 from a server that lists the model: the base URL's path is wrong", async () => {
  const model = `listed-${Date.now()}`;
  // FastAPI's 404 for an unknown route (vLLM, SGLang): no word about a model.
  replay.script(model, [errorResponse(404, 'Not Found')]);
  const backend = createBackend({ backend: 'vllm', baseUrl: replay.baseUrl, model }, {});
  const { error } = await collectStream(backend, REQUEST);
  assert.equal(error?.kind, 'setup');
  assert.equal(error?.message, `vLLM lists ${model} but answered 404 at ${replay.baseUrl}, so the base URL's path is wrong.`);
});
