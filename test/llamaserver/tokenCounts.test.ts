// Token counts from the real llama-server: the llama.cpp backend asks the server itself
// (`/apply-template`, then `/tokenize`), so the count is the one the server holds the request to.
// The test model's vocabulary has no merges for ordinary text (a byte a token), so an estimate of
// any kind is far too low here: only the server's count makes the plan fit.
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { createBackend } from '../../src/core/backends/createBackend';
import { ProfileCache } from '../../src/core/backends/profile';
import { planRun } from '../../src/core/plan';
import { prepareRun, runPlanned } from '../../src/core/plannedRun';
import { buildPrompt } from '../../src/core/prompt';
import { runAnalysis } from '../../src/core/run';
import { estimateTokens } from '../../src/core/text';
import { TokenCalibration } from '../../src/core/tokens';
import type { Backend, CodeUnderReview } from '../../src/core/types';
import { sourceWithLoops } from '../support/longSource';
import { startScriptedLlamaServers, SUM_SOURCE, type RunningLlamaServer, type ScriptedLlamaServers } from '../support/llamaServer';

// The scripted model was trained with 4,096 tokens, and llama-server runs it with at most that.
const WINDOW = 4096;

let server: RunningLlamaServer;
let fixture: ScriptedLlamaServers<'server'> | undefined;
let backend: Backend;

before(async () => {
  fixture = await startScriptedLlamaServers('thinklens-llamaserver-counts-', {
    server: { reasoningFormat: 'deepseek', contextSize: WINDOW },
  });
  server = fixture.servers.server;
  backend = createBackend({ backend: 'llamacpp', baseUrl: server.baseUrl, model: 'scripted' }, {});
});

after(async () => {
  await fixture?.stop();
});

function review(fileText: string): CodeUnderReview {
  const lines = fileText.split('\n').length - 1;
  return { kind: 'review', path: 'src/totals.ts', languageId: 'typescript', fileText, ranges: [{ startLine: 1, endLine: lines }] };
}

test('the count comes from llama-server: the chat template applied, tokenized as the request is', async () => {
  assert.ok(backend.countTokens, 'the llama.cpp backend counts with its server');
  const code = review(SUM_SOURCE);
  const messages = buildPrompt(code, { jsonOnlyAnswer: false });
  const counted = await backend.countTokens(messages, AbortSignal.timeout(10_000));
  assert.ok(counted !== undefined, 'the server counted');
  // The same messages as a chat request: the server's own usage says how many prompt tokens it read.
  const output = await runAnalysis({ backend, code, request: { messages, maxTokens: 8 }, signal: AbortSignal.timeout(60_000) });
  const used = output.usage?.promptTokens;
  assert.ok(used !== undefined, `usage reported: ${output.error?.message ?? ''}`);
  assert.ok(counted >= used && counted - used <= 1, `counted ${counted}, the request used ${used} (at most one BOS apart)`);
  // An estimate, even the careful one, is far below what this byte-level vocabulary counts.
  const estimate = estimateTokens(messages.map((m) => m.content).join('\n'));
  assert.ok(estimate * 2 < counted, `estimate ${estimate}, server ${counted}`);
});

test('class 9: a selection the estimate says fits but llama-server counts too long is refused before sending, with the server’s count', async () => {
  const code: CodeUnderReview = { ...review(sourceWithLoops(100, [11])), kind: 'explain' };
  const profiles = new ProfileCache();
  const signal = AbortSignal.timeout(120_000);
  const profile = await profiles.resolve(backend, signal);
  assert.equal(profile.windowSource, '/props');

  // By the estimate alone the selection fits in one request, and the real server refuses it.
  const byEstimate = planRun({ code, profile });
  assert.ok(byEstimate.ok && byEstimate.requests.length === 1, 'by the estimate the selection fits');
  const refused = await runAnalysis({ backend, code, request: byEstimate.requests[0]!.request, signal });
  assert.equal(refused.error?.kind, 'context-too-long', 'the real server refuses the estimate’s plan');

  // With the server's count the plan refuses before anything is sent, naming that count.
  const counted = await backend.countTokens!(byEstimate.requests[0]!.request.messages, signal);
  assert.ok(counted !== undefined && counted > profile.contextWindow, `counted ${counted}`);
  const tasks = server.completionTasks();
  const calibration = new TokenCalibration();
  const plan = await prepareRun(backend, { code }, signal, profiles, calibration);
  assert.equal(plan.ok, false);
  const output = await runPlanned({ backend, code, plan, signal, profiles, calibration });
  assert.equal(output.error?.kind, 'context-too-long');
  assert.match(output.error!.message, new RegExp(`with the instructions ${counted.toLocaleString('en-US')}\\b`));
  assert.match(output.error!.message, /Nothing was sent/);
  assert.equal(server.completionTasks(), tasks, 'nothing reached the model');
});
