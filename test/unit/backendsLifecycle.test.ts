// The extension's kept backend (src/extension/backends.ts) on a real node-llama-cpp with the
// scripted model: disposing it (what deactivate() waits for) resolves only once the local model and
// its llama.cpp runtime are unloaded, so VS Code does not shut the extension host down under it.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Backends } from '../../src/extension/backends';
import type { ThinkLensConfig } from '../../src/extension/config';
import type { Log } from '../../src/extension/log';
import type { ApiKeys } from '../../src/extension/secrets';
import { llamaRuntimes } from '../../src/core/backends/local';
import { writeScriptedModel } from '../support/gguf/scriptedModel';

let dir: string;
let modelPath: string;

before(async () => {
  dir = await mkdtemp(join(tmpdir(), 'thinklens-backends-'));
  const answer = { summary: 'Nothing wrong.', findings: [] };
  modelPath = (await writeScriptedModel(join(dir, 'scripted-r1.gguf'), { reasoning: 'The code looks fine.', prose: 'Fine.\n\n', answer }))
    .path;
});

after(async () => {
  await rm(dir, { recursive: true, force: true });
});

const noKeys = { get: async () => undefined } as unknown as ApiKeys;
const quietLog = { info: () => undefined, warn: () => undefined, error: () => undefined } as unknown as Log;

/** The settings Backends reads, for the local backend on `modelPath`. */
const localSettings = (path: string) =>
  ({
    backend: 'local',
    requestTimeoutSeconds: 60,
    pricing: {},
    local: { modelPath: path, gpu: 'cpu', threads: 1, contextSize: 2048 },
  }) as unknown as ThinkLensConfig;

test('disposing the kept backends resolves after the local model and its runtime are unloaded', async () => {
  const backends = new Backends(noKeys, quietLog, {});
  const choice = await backends.choose(localSettings(modelPath));
  assert.ok(choice.ok, choice.ok ? '' : choice.setup);
  let answer = '';
  for await (const event of choice.backend.stream({ messages: [{ role: 'user', content: 'Review it.' }] }, new AbortController().signal)) {
    if (event.kind === 'answer') answer += event.text;
  }
  assert.match(answer, /Nothing wrong/);
  assert.equal(llamaRuntimes.size, 1, 'the run loaded no llama.cpp runtime');
  await backends.dispose();
  assert.equal(llamaRuntimes.size, 0, 'dispose() returned while the local model was still unloading');
});
