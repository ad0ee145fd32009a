// The person steers the thinking (issue 20): Answer now and a thinking budget, through the engine's
// real path (prepareRun, runPlanned) against replay servers on loopback that stream a long think.
// A server with no way to end a running completion's thinking gets the hand-over: the stream is
// stopped and one more request carries the reasoning so far and asks only for the answer. The
// budget goes in the server's own field where it has one (llama.cpp, vLLM, OpenRouter) — the
// replay servers record the body as the real ones would receive it.
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, test } from 'node:test';
import assert from 'node:assert/strict';
import { createBackend } from '../../src/core/backends/createBackend';
import { ProfileCache } from '../../src/core/backends/profile';
import { requestBody, PRESETS } from '../../src/core/backends/presets';
import { prepareRun, runPlanned } from '../../src/core/plannedRun';
import { ThinkingSteer } from '../../src/core/thinking';
import type { BackendId, ReasoningEvent } from '../../src/core/types';
import { runCli } from '../support/cliProcess';
import { OFF_BY_ONE_ANSWER, OFF_BY_ONE_CODE, OFF_BY_ONE_SOURCE } from '../support/offByOne';
import { deepseekStream, startReplayServer, type ReplayServer } from '../support/replayServer';

const servers: ReplayServer[] = [];
after(async () => {
  await Promise.all(servers.map((s) => s.close()));
});

const BUGGY = OFF_BY_ONE_SOURCE;
const CODE = OFF_BY_ONE_CODE;
const ANSWER = OFF_BY_ONE_ANSWER;
/** About 3,000 tokens of circling, in 300 deltas: a model that would think for a long time. */
const LONG_THINK = Array.from(
  { length: 300 },
  (_, i) => `Step ${i}: the loop runs while i <= items.length, which reads past the end. `,
).join('');

async function longThinker(model: string): Promise<ReplayServer> {
  const server = await startReplayServer();
  servers.push(server);
  server.script(model, [
    // Never reaches its answer when the person asks for it first: 300 pieces, 20 ms apart.
    deepseekStream({ model, reasoning: LONG_THINK, answer: 'never read', pieces: 300, delayMs: 20, usage: false }),
    deepseekStream({ model, reasoning: '', answer: ANSWER, pieces: 4 }),
  ]);
  return server;
}

async function review(
  backendId: BackendId,
  server: ReplayServer,
  model: string,
  options: { answerNow?: ThinkingSteer; thinkingBudget?: number; onEvent?: (e: ReasoningEvent) => void },
) {
  const backend = createBackend({ backend: backendId, baseUrl: server.baseUrl, model, retryRateLimits: false });
  const profiles = new ProfileCache();
  const signal = new AbortController().signal;
  const plan = await prepareRun(
    backend,
    { code: CODE, settings: options.thinkingBudget ? { thinkingBudget: options.thinkingBudget } : {} },
    signal,
    profiles,
  );
  return runPlanned({ backend, code: CODE, plan, signal, profiles, ...options });
}

const chats = (server: ReplayServer) => server.requests.filter((r) => r.path.endsWith('/chat/completions'));
const lastUserText = (body: unknown) => {
  const messages = (body as { messages: { role: string; content: string }[] }).messages;
  return messages[messages.length - 1]!.content;
};

test('Answer now on a server that cannot end a completion in place: the stream stops, the reasoning is handed over, the finding comes', async () => {
  const server = await longThinker('thinker');
  const answerNow = new ThinkingSteer();
  let reasoningEvents = 0;
  const output = await review('openai-compatible', server, 'thinker', {
    answerNow,
    onEvent: (event) => {
      if (event.kind === 'reasoning' && ++reasoningEvents === 30) answerNow.requestAnswer('person');
    },
  });
  assert.equal(output.error, undefined, output.error?.message);
  const sent = chats(server);
  assert.equal(sent.length, 2, 'one hand-over request after the stopped stream');
  await server.waitForClientClose(sent[0]!.index);
  // The hand-over carries what was thought, and asks only for the answer.
  const handOver = lastUserText(sent[1]!.body);
  assert.match(handOver, /<reasoning>\nStep 0: the loop runs/);
  assert.match(handOver, /Write your answer now/);
  assert.ok(!handOver.includes('Step 299'), 'only the reasoning so far, not the rest of the think');
  // Nothing thought is lost, and the trace marks where thinking was ended.
  assert.match(output.reasoning, /^Step 0: /);
  assert.match(output.reasoning, /— Answer requested after [\d,]+ reasoning tokens —/);
  assert.equal(output.thinking?.endedBy, 'person');
  assert.equal(output.thinking?.budget, null);
  assert.ok(output.thinking!.tokens > 0 && output.thinking!.tokens < 3000, `tokens ${output.thinking?.tokens}`);
  assert.equal(output.parsed?.findings.length, 1);
  assert.equal(output.parsed?.findings[0]!.startLine, 3);
  // Evidence offsets point into the kept reasoning.
  for (const passage of output.parsed!.findings[0]!.evidence) {
    assert.equal(output.reasoning.slice(passage.start, passage.end), passage.text);
  }
});

test('a thinking budget on a server without a budget field: ThinkLens counts and asks for the answer at the budget', async () => {
  const server = await longThinker('budgeted');
  const output = await review('openai-compatible', server, 'budgeted', { thinkingBudget: 200 });
  assert.equal(output.error, undefined, output.error?.message);
  assert.equal(output.thinking?.endedBy, 'budget');
  assert.equal(output.thinking?.budget, 200);
  assert.ok(
    output.thinking!.tokens >= 200 && output.thinking!.tokens < 400,
    `about 200 tokens of reasoning, got ${output.thinking?.tokens}`,
  );
  assert.match(output.reasoning, /Thinking budget of 200 tokens reached/);
  assert.equal(chats(server).length, 2);
  assert.equal(output.parsed?.findings.length, 1);
});

test("the budget goes in each server's own field where it has one", () => {
  const request = { messages: [{ role: 'user' as const, content: 'x' }], thinkingBudget: 512 };
  // llama.cpp: tools/server/server-common.cpp reads reasoning_budget_tokens, then thinking_budget_tokens.
  const llama = requestBody(PRESETS.llamacpp, 'm', request);
  assert.equal(llama.thinking_budget_tokens, 512);
  assert.equal(llama.reasoning_control, true, 'armed for Answer now through the control endpoint');
  // vLLM: thinking_token_budget (with --reasoning-config).
  assert.equal(requestBody(PRESETS.vllm, 'm', request).thinking_token_budget, 512);
  // OpenRouter: reasoning.max_tokens, instead of an effort.
  assert.deepEqual(requestBody(PRESETS.openrouter, 'm', { ...request, reasoningEffort: 'high' }).reasoning, {
    max_tokens: 512,
    exclude: false,
  });
  // Servers without a field get none; ThinkLens counts for them.
  assert.equal(JSON.stringify(requestBody(PRESETS['openai-compatible'], 'm', request)).includes('512'), false);
});

test('a run that thinks to its end records that the model ended it', async () => {
  const server = await startReplayServer();
  servers.push(server);
  server.script('quick', [deepseekStream({ model: 'quick', reasoning: 'Short think about the bound.', answer: ANSWER })]);
  const output = await review('openai-compatible', server, 'quick', {});
  assert.deepEqual(output.thinking && { endedBy: output.thinking.endedBy, budget: output.thinking.budget }, {
    endedBy: 'model',
    budget: null,
  });
  assert.equal(chats(server).length, 1);
});

test('CLI: --thinking-budget 200 against a model that would think for 3,000 tokens ends by the budget, with the finding, in JSON and SARIF', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'thinklens-budget-'));
  const file = join(dir, 'total.ts');
  writeFileSync(file, BUGGY);
  const args = (format: string) => [
    'review',
    file,
    '--backend',
    'openai-compatible',
    '--format',
    format,
    '--thinking-budget',
    '200',
    '--no-cache',
  ];
  try {
    const server = await longThinker('cli-thinker');
    const json = await runCli([...args('json'), '--base-url', server.baseUrl, '--model', 'cli-thinker'], { killAfterMs: 60_000 });
    assert.equal(json.code, 0, json.stderr);
    const run = JSON.parse(json.stdout).runs[0];
    assert.equal(run.thinking.endedBy, 'budget');
    assert.equal(run.thinking.budget, 200);
    assert.ok(run.thinking.tokens >= 200 && run.thinking.tokens < 400, `about 200 tokens, got ${run.thinking.tokens}`);
    assert.equal(run.findings.length, 1);

    const again = await longThinker('cli-thinker-sarif');
    const sarif = await runCli([...args('sarif'), '--base-url', again.baseUrl, '--model', 'cli-thinker-sarif'], { killAfterMs: 60_000 });
    assert.equal(sarif.code, 0, sarif.stderr);
    const [thinking] = JSON.parse(sarif.stdout).runs[0].properties.thinking;
    assert.equal(thinking.endedBy, 'budget');
    assert.equal(thinking.budget, 200);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('CLI: --thinking-budget must be a positive number of tokens', async () => {
  const result = await runCli(['review', 'x.ts', '--thinking-budget', 'lots']);
  assert.equal(result.code, 2);
  assert.match(result.stderr, /--thinking-budget/);
});
