// The llama.cpp server's window, as llama-server reports it (src/core/backends/discovery.ts):
// `/props` for a single model, `/props?model=<id>` from a router, never `meta.n_ctx_train` (what the
// model was trained with, not the window the server runs it with). Against the llama.cpp replay
// (test/support/llamacppServer.ts), which test/llamaserver/conformance.test.ts holds to the real server.
import assert from 'node:assert/strict';
import { after, test } from 'node:test';
import { createBackend } from '../../src/core/backends/createBackend';
import { PRESETS } from '../../src/core/backends/presets';
import { ProfileCache } from '../../src/core/backends/profile';
import { prepareRun } from '../../src/core/plannedRun';
import type { CodeUnderReview } from '../../src/core/types';
import { startLlamaCppReplay, type LlamaCppReplay, type LlamaCppReplayOptions } from '../support/llamacppServer';

const replays: LlamaCppReplay[] = [];
after(async () => {
  await Promise.all(replays.map((r) => r.close()));
});

const script = {
  reasoning: 'Checking the bound.',
  freeAnswer: '{"summary":"ok","findings":[]}',
  answerJson: '{"summary":"ok","findings":[]}',
};

async function replay(options: Omit<LlamaCppReplayOptions, 'script'>): Promise<LlamaCppReplay> {
  const server = await startLlamaCppReplay({ ...options, script });
  replays.push(server);
  return server;
}

function backendOn(server: LlamaCppReplay, model: string) {
  return createBackend({ backend: 'llamacpp', baseUrl: server.baseUrl, model, maxRetries: 0 }, {});
}

/** About 12,000 estimated tokens of code: one request on a 32K window, several parts on 4,096. */
function file(): CodeUnderReview {
  const lines = Array.from({ length: 600 }, (_, i) => `export const value${i} = compute(input${i}, options); // step ${i}`);
  return { kind: 'review', path: 'big.ts', languageId: 'typescript', fileText: lines.join('\n'), ranges: [{ startLine: 1, endLine: 600 }] };
}

test('a single-model llama-server: the window is /props default_generation_settings.n_ctx, and /v1/models is not asked', async () => {
  const server = await replay({ models: [{ id: 'r1', contextWindow: 12_288, trainedWindow: 131_072 }] });
  const facts = await backendOn(server, 'anything').describe!(AbortSignal.timeout(5000));
  assert.deepEqual(facts, { contextWindow: 12_288, source: '/props' });
  assert.deepEqual(server.paths, ['GET /props']);
});

test('a router: /props answers for the router itself, so the window is asked with ?model=<id>', async () => {
  const server = await replay({
    router: true,
    models: [
      { id: 'deepseek-r1-distill-qwen-7b', contextWindow: 32_768, trainedWindow: 131_072 },
      { id: 'other', contextWindow: 8192, trainedWindow: 32_768 },
    ],
  });
  const backend = backendOn(server, 'deepseek-r1-distill-qwen-7b');
  const plan = await prepareRun(backend, { code: file() }, AbortSignal.timeout(5000), new ProfileCache());
  assert.ok(plan.ok);
  assert.equal(plan.profile.contextWindow, 32_768);
  assert.equal(plan.profile.windowAssumed, false);
  assert.equal(plan.profile.windowSource, '/props?model=');
  // Before, the router's dummy n_ctx of 0 left the window assumed at 4,096 and this file was split.
  assert.equal(plan.requests.length, 1, 'the file fits the model the router serves');
  assert.deepEqual(
    server.paths.filter((p) => p.startsWith('GET ')),
    ['GET /props', 'GET /props?model=deepseek-r1-distill-qwen-7b'],
  );
  // The prompt is then counted by the router's model (tokenCount.ts).
  assert.deepEqual(
    server.paths.filter((p) => p.startsWith('POST ')),
    ['POST /apply-template', 'POST /tokenize'],
  );
});

test('a router without that model: the window is assumed, and the run says so', async () => {
  const server = await replay({ router: true, models: [{ id: 'other', contextWindow: 32_768, trainedWindow: 131_072 }] });
  const plan = await prepareRun(backendOn(server, 'missing'), { code: file() }, AbortSignal.timeout(5000), new ProfileCache());
  assert.ok(plan.ok);
  assert.equal(plan.profile.windowAssumed, true);
  assert.equal(plan.profile.contextWindow, PRESETS.llamacpp.limits.assumedWindow);
  assert.match(plan.warnings.join('\n'), /did not report missing's context window; ThinkLens assumed 4,096 tokens/);
});

test('never n_ctx_train: a server whose /props says nothing is assumed, whatever /v1/models says the model was trained with', async () => {
  const server = await replay({ router: true, models: [{ id: 'm', contextWindow: 2048, trainedWindow: 131_072 }] });
  // The router's own /props (n_ctx 0) and a model it cannot name: nothing that is a window.
  const facts = await backendOn(server, 'not-served').describe!(AbortSignal.timeout(5000));
  assert.equal(facts.contextWindow, undefined);
  assert.ok(!server.paths.includes('GET /v1/models'), 'the model list is not read for a window');
});
