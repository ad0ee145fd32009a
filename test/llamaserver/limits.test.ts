// ThinkLens within a real llama-server's limits: the window is learned from the server itself, a
// request that cannot fit is refused before anything is sent, and the answer is constrained to the
// answer contract's JSON schema while the thinking stays free.
import assert from 'node:assert/strict';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import { createBackend } from '../../src/core/backends/createBackend';
import type { ScriptedModelInfo } from '../support/gguf/scriptedModel';
import { startScriptedLlamaServers, type RunningLlamaServer, type ScriptedLlamaServers } from '../support/llamaServer';
import { runCli } from '../support/cliProcess';

const SMALL_WINDOW = 2048;

let dir: string;
let file: string;
let minified: string;
let model: ScriptedModelInfo;
let small: RunningLlamaServer;
let large: RunningLlamaServer;
let fixture: ScriptedLlamaServers<'small' | 'large'> | undefined;

before(async () => {
  fixture = await startScriptedLlamaServers('thinklens-llamaserver-limits-', {
    small: { reasoningFormat: 'deepseek', contextSize: SMALL_WINDOW },
    large: { reasoningFormat: 'deepseek', contextSize: 16384 },
  });
  ({
    dir,
    file,
    model,
    servers: { small, large },
  } = fixture);
  // One line far longer than the small window: no split at symbol boundaries can make it fit.
  minified = join(dir, 'bundle.min.js');
  writeFileSync(minified, `${Array.from({ length: 3000 }, (_, i) => `var v${i}=${i}*2;`).join('')}\nexport default v0;\n`);
});

after(async () => {
  await fixture?.stop();
});

const cli = (args: readonly string[]) => runCli(args, { killAfterMs: 120_000 });

test('window discovery: the llama.cpp backend learns the window the server was started with', async () => {
  const backend = createBackend({ backend: 'llamacpp', baseUrl: small.baseUrl, model: 'scripted' }, {});
  assert.ok(backend.describe, 'the llama.cpp backend can describe its server');
  const facts = await backend.describe(AbortSignal.timeout(10_000));
  assert.equal(facts.contextWindow, SMALL_WINDOW);
  // The same number the server publishes in both of its places.
  const props = await (await fetch(`${small.origin}/props`)).json();
  assert.equal(props.default_generation_settings.n_ctx, SMALL_WINDOW);
  const models = await (await fetch(`${small.baseUrl}/models`)).json();
  assert.equal(models.data[0].meta.n_ctx, SMALL_WINDOW);
  assert.equal(models.data[0].meta.n_ctx_train, 4096, 'the model file says 4096; the server runs it with less');
});

test('code that cannot fit the window is refused before any request, with the numbers', async () => {
  const tasksBefore = small.completionTasks();
  const result = await cli([
    'review',
    `${minified}:1-1`,
    '--backend',
    'llamacpp',
    '--base-url',
    small.baseUrl,
    '--format',
    'json',
    '--timeout',
    '60',
  ]);
  assert.notEqual(result.code, 0, 'a refused run fails');
  const said = `${result.stdout}\n${result.stderr}`;
  assert.match(said, /window for \S+ is 2,048 tokens \(from \/props\)/, `names the window and where it came from:\n${said}`);
  assert.match(said, /\(1\) needs about [\d,]+ tokens/, `names the code's size:\n${said}`);
  assert.match(said, /Nothing was sent/);
  // llama-server logs "processing task" for every completion a slot takes, also for one it then
  // rejects as too long: none means ThinkLens never sent it.
  await new Promise((resolve) => setTimeout(resolve, 500));
  assert.equal(small.completionTasks(), tasksBefore, `the server saw no completion request:\n${small.log().slice(-2000)}`);
});

test('json_schema: the answer is the contract JSON, constrained after free thinking', async () => {
  const result = await cli(['review', file, '--backend', 'llamacpp', '--base-url', large.baseUrl, '--format', 'json', '--timeout', '120']);
  assert.equal(result.code, 0, `the CLI failed:\n${result.stderr}\n${result.stdout}`);
  const run = JSON.parse(result.stdout).runs[0];
  assert.equal(run.reasoning, model.reasoning, 'the thinking is not constrained');
  // Unconstrained, the scripted model writes prose and a fenced block; under the schema the
  // grammar only allows the JSON object itself.
  assert.equal(run.answer, model.answerJson);
  assert.equal(run.findings.length, 1);
  assert.equal(run.findings[0].startLine, 3);
});
