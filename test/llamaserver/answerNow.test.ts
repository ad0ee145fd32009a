// Answer now and the thinking budget against llama.cpp's own llama-server (issue 20). The scripted
// model thinks for about 1,500 tokens. ThinkLens sends `reasoning_control: true`; Answer now then
// posts `{"id", "action": "reasoning_end"}` to /v1/chat/completions/control, the server forces the
// end of the thinking in the running completion (tools/server/server-context.cpp, the control task),
// and the same stream goes on with the answer: no second completion.
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import { createBackend } from '../../src/core/backends/createBackend';
import { ProfileCache } from '../../src/core/backends/profile';
import { prepareRun, runPlanned } from '../../src/core/plannedRun';
import { ThinkingSteer } from '../../src/core/thinking';
import type { CodeUnderReview } from '../../src/core/types';
import { defaultScript, writeScriptedModel, type ScriptedModelInfo } from '../support/gguf/scriptedModel';
import { cachedLlamaServer, startLlamaServer, SUM_SOURCE, type RunningLlamaServer } from '../support/llamaServer';

let dir: string;
let model: ScriptedModelInfo;
let server: RunningLlamaServer | undefined;

/** 1,500 distinct words of circling before `</think>`: a model that would think for a long time. */
const LONG_REASONING = `${defaultScript.reasoning} ${Array.from({ length: 1500 }, (_, i) => `w${i}`).join(' ')}`;

before(async () => {
  dir = mkdtempSync(join(tmpdir(), 'thinklens-answer-now-'));
  writeFileSync(join(dir, 'sum.ts'), SUM_SOURCE);
  model = await writeScriptedModel(join(dir, 'long-thinker.gguf'), { reasoning: LONG_REASONING });
  server = await startLlamaServer(await cachedLlamaServer(), model.path, { reasoningFormat: 'deepseek', contextSize: 8192 });
});

after(async () => {
  await server?.stop();
  rmSync(dir, { recursive: true, force: true });
});

const CODE: CodeUnderReview = {
  kind: 'review',
  path: 'sum.ts',
  languageId: 'typescript',
  fileText: SUM_SOURCE,
  ranges: [{ startLine: 1, endLine: 7 }],
};

/** Every HTTP request the engine makes, by path (the SDK and the control call both go through fetch). */
function recordFetches(): { paths: string[]; restore: () => void } {
  const original = globalThis.fetch;
  const paths: string[] = [];
  globalThis.fetch = (input, init) => {
    const url = typeof input === 'string' ? input : input instanceof URL ? input.href : input.url;
    paths.push(`${init?.method ?? 'GET'} ${new URL(url).pathname}`);
    return original(input, init);
  };
  return { paths, restore: () => (globalThis.fetch = original) };
}

async function review(options: { answerNowAfter?: number; thinkingBudget?: number }) {
  const backend = createBackend({ backend: 'llamacpp', baseUrl: server!.baseUrl, model: 'scripted', requestTimeoutSeconds: 120 });
  const profiles = new ProfileCache();
  const signal = new AbortController().signal;
  const plan = await prepareRun(
    backend,
    { code: CODE, settings: options.thinkingBudget ? { thinkingBudget: options.thinkingBudget } : {} },
    signal,
    profiles,
  );
  const answerNow = new ThinkingSteer();
  let reasoningEvents = 0;
  const fetches = recordFetches();
  try {
    const output = await runPlanned({
      backend,
      code: CODE,
      plan,
      signal,
      profiles,
      answerNow,
      onEvent: (event) => {
        if (event.kind === 'reasoning' && ++reasoningEvents === options.answerNowAfter) answerNow.requestAnswer('person');
      },
    });
    return { output, paths: fetches.paths };
  } finally {
    fetches.restore();
  }
}

test('Answer now mid-trace: reasoning_end through the control endpoint, the same stream answers with the finding', async () => {
  const { output, paths } = await review({ answerNowAfter: 40 });
  assert.equal(output.error, undefined, output.error?.message);
  assert.deepEqual(
    paths.filter((p) => p.startsWith('POST')),
    ['POST /v1/chat/completions', 'POST /v1/chat/completions/control'],
    'one completion, one control call, no hand-over',
  );
  assert.equal(output.thinking?.endedBy, 'person');
  assert.match(output.reasoning, /— Answer requested after [\d,]+ reasoning tokens —/);
  assert.ok(!output.reasoning.includes('w1499'), 'the thinking really ended before the script did');
  assert.ok(output.reasoning.startsWith(defaultScript.reasoning.slice(0, 40)), 'what was thought is kept');
  assert.equal(output.parsed?.findings.length, 1);
  assert.equal(output.parsed?.findings[0]!.title, 'Off-by-one in loop bound');
});

test("a thinking budget goes in llama.cpp's own field, and the server ends the thinking there", async () => {
  const { output, paths } = await review({ thinkingBudget: 200 });
  assert.equal(output.error, undefined, output.error?.message);
  assert.deepEqual(
    paths.filter((p) => p.startsWith('POST')),
    ['POST /v1/chat/completions'],
  );
  assert.equal(output.thinking?.endedBy, 'budget');
  assert.equal(output.thinking?.budget, 200);
  assert.ok(!output.reasoning.includes('w1499'));
  assert.equal(output.parsed?.findings.length, 1);
});
