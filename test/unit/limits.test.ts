// Every server within its real limits: window discovery from each server's own endpoint, the one
// planner (reserves, refusal, splitting), constrained request bodies, the repair turn, and honest
// endings, all over real HTTP on loopback against servers that enforce their windows.
import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createBackend } from '../../src/core/backends/createBackend';
import { ProfileCache, profileOf } from '../../src/core/backends/profile';
import { PRESETS, requestBody } from '../../src/core/backends/presets';
import { answerJsonSchema } from '../../src/core/contract';
import { planRun, splitForWindow, WARN_REASONING } from '../../src/core/plan';
import { prepareRun, runPlanned } from '../../src/core/plannedRun';
import { TokenCalibration } from '../../src/core/tokens';
import type { Backend, BackendId, CodeUnderReview } from '../../src/core/types';
import { serverTokens, startLimitServer, type LimitServer, type LimitServerKind, type ScriptedTurn } from '../support/limitServers';
import { deepseekStream, startReplayServer } from '../support/replayServer';
import { hints } from '../support/remedyText';

const servers: LimitServer[] = [];
after(async () => {
  await Promise.all(servers.map((s) => s.close()));
});

async function serve(
  kind: LimitServerKind,
  contextWindow: number,
  turn: ScriptedTurn | ((body: Record<string, unknown>, i: number) => ScriptedTurn),
  extra: { notLoaded?: boolean } = {},
) {
  const server = await startLimitServer({ kind, model: 'r1-distill', contextWindow, turn, ...extra });
  servers.push(server);
  return server;
}

function backendOn(server: LimitServer, id: BackendId = 'openai-compatible'): Backend {
  return createBackend({ backend: id, baseUrl: server.baseUrl, model: 'r1-distill', maxRetries: 0 }, {});
}

/** A TypeScript file of `count` lines in functions of twelve lines, with one bug in function 37. */
function longFile(count: number): string {
  const lines: string[] = [];
  for (let f = 0; lines.length < count; f++) {
    lines.push(`export function total${f}(items: Item[]): number {`);
    lines.push('  let sum = 0;');
    lines.push(f === 37 ? '  for (let i = 0; i <= items.length; i++) {' : '  for (let i = 0; i < items.length; i++) {');
    lines.push(`    sum += items[i].price * items[i].qty * ${f + 1};`);
    lines.push('  }');
    for (let k = 0; k < 5; k++) lines.push(`  // note ${k}: prices are in cents and quantities are whole numbers of item ${f}`);
    lines.push('  return sum;');
    lines.push('}');
    lines.push('');
  }
  return lines.slice(0, count).join('\n');
}

const bugLine = 37 * 13 + 3;
const FINDING = {
  title: 'Off-by-one in total37',
  severity: 'error',
  category: 'bug',
  startLine: bugLine,
  endLine: bugLine,
  quote: 'for (let i = 0; i <= items.length; i++) {',
  explanation: 'The last pass reads past the end.',
};
const REASONING = 'Checking every loop bound against the array length. '.repeat(20);
/** Answers with the finding when the part it reviews holds the bug line. */
function reviewer(body: Record<string, unknown>): ScriptedTurn {
  const prompt = (body.messages as { content: string }[]).at(-1)!.content;
  const holds = prompt.includes(`${bugLine} |   for (let i = 0; i <= items.length`);
  return {
    reasoning: REASONING,
    answer: JSON.stringify({ summary: holds ? 'One bug.' : 'Nothing here.', explanation: 'Checked.', findings: holds ? [FINDING] : [] }),
  };
}

test('discovery: each server tells its window in its own shape', async () => {
  const cases: [LimitServerKind, BackendId, number, string][] = [
    ['vllm', 'vllm', 32768, '/v1/models max_model_len'],
    ['sglang', 'sglang', 16384, '/v1/models max_model_len'],
    ['lmstudio', 'lmstudio', 4096, '/api/v1/models'],
    ['llamacpp', 'llamacpp', 8192, '/props'],
  ];
  for (const [kind, id, window, source] of cases) {
    const server = await serve(kind, window, { reasoning: 'r', answer: '{}' });
    const facts = await backendOn(server, id).describe!(AbortSignal.timeout(5000));
    assert.equal(facts.contextWindow, window, kind);
    assert.equal(facts.source, source, kind);
  }
  // LM Studio lists a model that is not loaded: only its maximum, so the profile assumes the small default.
  const idle = await serve('lmstudio', 8192, { reasoning: 'r', answer: '{}' }, { notLoaded: true });
  const backend = backendOn(idle, 'lmstudio');
  const facts = await backend.describe!(AbortSignal.timeout(5000));
  assert.equal(facts.contextWindow, undefined);
  assert.equal(facts.maxContextWindow, 131072);
  const profile = profileOf(backend, facts);
  assert.equal(profile.contextWindow, PRESETS.lmstudio.limits.assumedWindow);
  assert.equal(profile.windowAssumed, true);
  // DeepSeek's limits are its published ones (test/unit/hostedLimits.test.ts); a server with nothing to say is assumed, never fatal.
  assert.match((await createBackend({ backend: 'deepseek', apiKey: 'k' }, {}).describe!(AbortSignal.timeout(1000))).source, /DeepSeek/);
  const silent = createBackend({ backend: 'vllm', baseUrl: 'http://127.0.0.1:9/v1', model: 'm' }, {});
  assert.deepEqual(await silent.describe!(AbortSignal.timeout(5000)), { source: 'none' });
});

test('a profile is resolved once per session and asked again after a failure', async () => {
  const server = await serve('llamacpp', 8192, { reasoning: 'r', answer: '{}' });
  const backend = backendOn(server, 'llamacpp');
  const cache = new ProfileCache();
  const first = await cache.resolve(backend, AbortSignal.timeout(5000));
  await cache.resolve(backend, AbortSignal.timeout(5000));
  assert.equal(server.paths.filter((p) => p === 'GET /props').length, 1);
  assert.equal(first.contextWindow, 8192);
  assert.equal(first.endpoint, new URL(server.baseUrl).origin);
  cache.invalidate(backend);
  await cache.resolve(backend, AbortSignal.timeout(5000));
  assert.equal(server.paths.filter((p) => p === 'GET /props').length, 2);
});

test('a 700-line file on a 4K llama.cpp window is reviewed in overlapping parts that each fit, findings merged once', async () => {
  const server = await serve('llamacpp', 4096, reviewer);
  const backend = backendOn(server, 'llamacpp');
  const code: CodeUnderReview = {
    kind: 'review',
    path: 'src/totals.ts',
    languageId: 'typescript',
    fileText: longFile(700),
    ranges: [{ startLine: 1, endLine: 700 }],
  };
  const cache = new ProfileCache();
  const plan = await prepareRun(backend, { code }, AbortSignal.timeout(5000), cache);
  assert.ok(plan.ok);
  assert.ok(plan.requests.length > 2, `${plan.requests.length} parts`);
  const parts = plan.requests.map((r) => r.part!.lines);
  assert.equal(parts[0]!.startLine, 1);
  assert.equal(parts.at(-1)!.endLine, 700);
  for (let i = 1; i < parts.length; i++) assert.ok(parts[i]!.startLine <= parts[i - 1]!.endLine, 'parts overlap');
  for (const r of plan.requests) assert.ok(r.promptTokens + r.request.maxTokens! <= 4096, 'prompt and output fit the window');
  assert.match(plan.warnings.join(' '), /reviewed in \d+ overlapping parts/);

  const output = await runPlanned({ backend, code, plan, signal: AbortSignal.timeout(30_000), profiles: cache });
  assert.equal(output.error, undefined, output.error?.message);
  assert.equal(server.chats.length, plan.requests.length, 'one request per part, none refused by the server');
  assert.equal(output.parsed!.findings.length, 1, 'the bug seen by two overlapping parts is listed once');
  assert.equal(output.parsed!.findings[0]!.startLine, bugLine);
  for (const body of server.chats) {
    assert.deepEqual(
      (body.response_format as { json_schema: { schema: unknown } }).json_schema.schema,
      answerJsonSchema(),
      'the answer is held to the contract',
    );
    assert.equal(body.reasoning_format, 'deepseek', 'the thinking stays free');
  }
});

test('selected code that cannot fit is refused before any request, with the numbers and the way out', async () => {
  const server = await serve('llamacpp', 4096, reviewer);
  const backend = backendOn(server, 'llamacpp');
  const code: CodeUnderReview = {
    kind: 'explain',
    path: 'src/totals.ts',
    languageId: 'typescript',
    fileText: longFile(700),
    ranges: [{ startLine: 1, endLine: 400 }],
  };
  const plan = await prepareRun(backend, { code }, AbortSignal.timeout(5000), new ProfileCache());
  assert.equal(plan.ok, false);
  const output = await runPlanned({ backend, code, plan, signal: AbortSignal.timeout(5000) });
  assert.equal(server.chats.length, 0, 'nothing was sent');
  assert.equal(output.error?.kind, 'context-too-long');
  assert.match(output.error!.message, /The selected code \(1–400\) needs about [\d,]+ tokens/);
  assert.match(output.error!.message, /window for r1-distill is 4,096 tokens \(from \/props\)/);
  assert.match(output.error!.message, /[\d,]+ must stay free for thinking and the answer\. Nothing was sent\./);
  assert.match(hints(output.error!), /--ctx-size/);
});

test('a server that still refuses gets its real error, the plan numbers, and the profile is asked again', async () => {
  // The server's window shrank after the profile was read (restarted with -c 2048).
  const server = await serve('llamacpp', 2048, reviewer);
  const backend = backendOn(server, 'llamacpp');
  const cache = new ProfileCache();
  const stale = profileOf(backend, { contextWindow: 16384, source: '/props' });
  const code: CodeUnderReview = {
    kind: 'review',
    path: 'src/totals.ts',
    languageId: 'typescript',
    fileText: longFile(300),
    ranges: [{ startLine: 1, endLine: 300 }],
  };
  const plan = planRun({ code, profile: stale });
  const output = await runPlanned({ backend, code, plan, signal: AbortSignal.timeout(10_000), profiles: cache });
  assert.equal(output.error?.kind, 'context-too-long');
  assert.match(hints(output.error!), /planned about [\d,]+ prompt tokens and max_tokens \d+ for a 16,384-token window/);
  const fresh = await cache.resolve(backend, AbortSignal.timeout(5000));
  assert.equal(fresh.contextWindow, 2048);
});

test('a small reasoning reserve is a visible warning', () => {
  const backend = createBackend({ backend: 'llamacpp', model: 'm' }, {});
  const code: CodeUnderReview = {
    kind: 'explain',
    path: 'a.ts',
    languageId: 'typescript',
    fileText: longFile(120),
    ranges: [{ startLine: 1, endLine: 20 }],
  };
  const measured = planRun({ code, profile: profileOf(backend, { contextWindow: 32768, source: '/props' }) });
  assert.ok(measured.ok);
  // A window that leaves 600 tokens to think beside the prompt and the answer's 768.
  const profile = profileOf(backend, { contextWindow: measured.requests[0]!.promptTokens + 768 + 600, source: '/props' });
  const plan = planRun({ code, profile });
  assert.ok(plan.ok, plan.ok ? '' : plan.error.message);
  assert.ok(plan.requests[0]!.reasoningReserve < WARN_REASONING);
  assert.match(plan.warnings.join(' '), /Only [\d,]+ tokens are left for thinking .* --ctx-size/);
  const roomy = planRun({ code, profile: profileOf(backend, { contextWindow: 32768, source: '/props' }) });
  assert.ok(roomy.ok && roomy.warnings.length === 0, 'no warning with room to think');
});

test('constrained answers: each preset sends the contract the way its server applies it after thinking', () => {
  const code: CodeUnderReview = {
    kind: 'explain',
    path: 'a.ts',
    languageId: 'typescript',
    fileText: longFile(30),
    ranges: [{ startLine: 1, endLine: 13 }],
  };
  const body = (id: BackendId) => {
    const backend = createBackend(
      { backend: id, model: 'm', apiKey: 'k', baseUrl: id === 'openai-compatible' ? 'http://127.0.0.1:1/v1' : undefined },
      {},
    );
    const plan = planRun({ code, profile: profileOf(backend, { contextWindow: 32768, source: 'test' }) });
    assert.ok(plan.ok);
    return { body: requestBody(PRESETS[id], 'm', plan.requests[0]!.request), prompt: plan.requests[0]!.request.messages[0]!.content };
  };
  const schema = { type: 'json_schema', json_schema: { name: 'thinklens_answer', schema: answerJsonSchema() } };
  for (const id of ['vllm', 'sglang', 'llamacpp'] as const) {
    const { body: sent, prompt } = body(id);
    assert.deepEqual(sent.response_format, schema, id);
    assert.match(prompt, /answer with one JSON object and nothing else/, `${id}: the prompt asks for JSON alone`);
  }
  assert.deepEqual(body('deepseek').body.response_format, { type: 'json_object' });
  // LM Studio applies a schema to the whole output, thinking included: the prompt contract instead.
  for (const id of ['lmstudio', 'openrouter', 'openai-compatible'] as const) {
    const { body: sent, prompt } = body(id);
    assert.equal(sent.response_format, undefined, id);
    assert.match(prompt, /end your answer with exactly one fenced ```json block/, id);
  }
});

test('no readable JSON from an unconstrained server: one short repair turn, and the output says so', async () => {
  const server = await serve('vllm', 16384, (_body, i) =>
    i === 0
      ? { reasoning: REASONING, answer: 'The loop in total37 runs once too often and reads past the end.' }
      : { reasoning: 'Reformatting my earlier answer as JSON.', answer: JSON.stringify({ summary: 'One bug.', findings: [FINDING] }) },
  );
  const backend = backendOn(server, 'openai-compatible');
  const code: CodeUnderReview = {
    kind: 'explain',
    path: 'src/totals.ts',
    languageId: 'typescript',
    fileText: longFile(700),
    ranges: [{ startLine: 470, endLine: 500 }],
  };
  const plan = await prepareRun(backend, { code }, AbortSignal.timeout(5000), new ProfileCache());
  const output = await runPlanned({ backend, code, plan, signal: AbortSignal.timeout(10_000) });
  assert.equal(output.error, undefined);
  assert.equal(server.chats.length, 2);
  const repair = server.chats[1]!.messages as { role: string; content: string }[];
  assert.equal(repair.at(-2)!.role, 'assistant');
  assert.match(repair.at(-2)!.content, /runs once too often/, 'the answer is sent back');
  assert.match(repair.at(-1)!.content, /Reply with only that JSON object/);
  assert.ok((server.chats[1]!.max_tokens as number) < (server.chats[0]!.max_tokens as number), 'the repair turn is short');
  assert.equal(output.repaired, true);
  assert.equal(output.parsed!.findings.length, 1);
  assert.match(output.parsed!.prose, /runs once too often/, 'the prose of the first answer stays');
  assert.match(output.parsed!.problem!, /repair turn/);
  // The trace is the model's reasoning about the code: the repair turn only reformats, and its
  // thinking would otherwise be glued onto the end of the trace without a word.
  assert.equal(output.reasoning.trimEnd(), REASONING.trimEnd(), 'the repair turn adds nothing to the trace');
});

test('ran out of tokens while thinking: says so with the numbers and what to do, reasoning kept', async () => {
  const server = await serve('llamacpp', 4096, { reasoning: 'Thinking about the bounds again. '.repeat(1000), answer: '{}' });
  const backend = backendOn(server, 'llamacpp');
  const code: CodeUnderReview = {
    kind: 'explain',
    path: 'src/totals.ts',
    languageId: 'typescript',
    fileText: longFile(100),
    ranges: [{ startLine: 40, endLine: 52 }],
  };
  const plan = await prepareRun(backend, { code }, AbortSignal.timeout(5000), new ProfileCache());
  const output = await runPlanned({ backend, code, plan, signal: AbortSignal.timeout(10_000) });
  assert.equal(output.error?.kind, 'context-too-long');
  assert.match(output.error!.message, /ran out of tokens while thinking \([\d,]+ of [\d,]+\)/);
  assert.match(hints(output.error!), /--ctx-size/);
  assert.ok(output.reasoning.length > 1000, 'the reasoning is kept');
});

test('DeepSeek JSON mode with blank content is sent once more without it', async () => {
  const replay = await startReplayServer();
  try {
    const answer = `The loop is off by one.\n\n\`\`\`json\n${JSON.stringify({ summary: 'One bug.', findings: [FINDING] })}\n\`\`\``;
    replay.script('deepseek-flash', [deepseekStream({ reasoning: 'r', answer: '' }), deepseekStream({ reasoning: 'r', answer })]);
    const backend = createBackend({ backend: 'deepseek', baseUrl: replay.baseUrl, apiKey: 'k', maxRetries: 0 }, {});
    const code: CodeUnderReview = {
      kind: 'explain',
      path: 'src/totals.ts',
      languageId: 'typescript',
      fileText: longFile(700),
      ranges: [{ startLine: 470, endLine: 500 }],
    };
    const plan = await prepareRun(backend, { code }, AbortSignal.timeout(5000), new ProfileCache());
    const output = await runPlanned({ backend, code, plan, signal: AbortSignal.timeout(10_000) });
    assert.equal(replay.requests.length, 2);
    assert.deepEqual((replay.requests[0]!.body as Record<string, unknown>).response_format, { type: 'json_object' });
    assert.equal((replay.requests[1]!.body as Record<string, unknown>).response_format, undefined);
    assert.equal(output.parsed!.findings.length, 1);
    assert.match(output.parsed!.problem!, /blank answer in JSON mode/);
  } finally {
    await replay.close();
  }
});

test('splitting cuts at blank lines or symbols and overlaps', () => {
  const lines = longFile(300).split('\n');
  const parts = splitForWindow(lines, 1500, 6);
  assert.ok(parts.length >= 2);
  for (const part of parts.slice(0, -1)) {
    const last = lines[part.endLine - 1]!;
    const next = lines[part.endLine] ?? '';
    assert.ok(
      last.trim() === '' || /^export function/.test(next),
      `part ends at a boundary: ${JSON.stringify(last)} / ${JSON.stringify(next)}`,
    );
  }
});

test('the CLI plans like the core: the same code and settings give the same request', async () => {
  const server = await serve('llamacpp', 4096, reviewer);
  const dir = mkdtempSync(join(tmpdir(), 'thinklens-limits-'));
  try {
    const file = join(dir, 'totals.ts');
    const text = longFile(120);
    writeFileSync(file, text);
    const backend = backendOn(server, 'llamacpp');
    const code: CodeUnderReview = {
      kind: 'review',
      path: file,
      languageId: 'typescript',
      fileText: text,
      ranges: [{ startLine: 1, endLine: 120 }],
    };
    const plan = await prepareRun(backend, { code, settings: { seed: 7 } }, AbortSignal.timeout(5000), new ProfileCache());
    assert.ok(plan.ok);
    const result = await new Promise<{ code: number | null; stdout: string; stderr: string }>((resolve, reject) => {
      const child = spawn(
        process.execPath,
        [
          join(import.meta.dirname, '..', '..', 'dist', 'cli.js'),
          'review',
          file,
          '--backend',
          'llamacpp',
          '--base-url',
          server.baseUrl,
          '--model',
          'r1-distill',
          '--seed',
          '7',
          '--format',
          'json',
        ],
        {
          env: { PATH: process.env.PATH },
          stdio: ['ignore', 'pipe', 'pipe'],
        },
      );
      let stdout = '';
      let stderr = '';
      child.stdout.on('data', (d) => (stdout += d));
      child.stderr.on('data', (d) => (stderr += d));
      child.on('error', reject);
      child.on('close', (code) => resolve({ code, stdout, stderr }));
    });
    assert.equal(result.code, 0, result.stderr);
    const sent = server.chats.at(-1)!;
    const expected = requestBody(PRESETS.llamacpp, 'r1-distill', plan.requests[0]!.request);
    for (const key of ['messages', 'max_tokens', 'response_format', 'seed', 'reasoning_format'] as const) {
      assert.deepEqual(sent[key], expected[key], key);
    }
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('vLLM and SGLang count the prompt: the plan holds the server’s count, the chat template included, and the request fits', async () => {
  const code: CodeUnderReview = {
    kind: 'review',
    path: 'src/totals.ts',
    languageId: 'typescript',
    fileText: longFile(120),
    ranges: [{ startLine: 1, endLine: 120 }],
  };
  for (const kind of ['vllm', 'sglang'] as const) {
    const server = await serve(kind, 8192, reviewer);
    const backend = backendOn(server, kind);
    assert.ok(backend.countTokens, `${kind} counts with its server`);
    const plan = await prepareRun(backend, { code }, AbortSignal.timeout(5000), new ProfileCache(), new TokenCalibration());
    assert.ok(plan.ok);
    const planned = plan.requests[0]!;
    const chatCount = serverTokens(planned.request.messages.map((m) => m.content).join('\n')) + 8;
    if (kind === 'vllm') {
      assert.equal(planned.promptTokens, chatCount, 'vLLM: /tokenize with the messages counts what the chat counts');
    } else {
      // SGLang counts text only: the messages' text by the server, the template around them estimated high.
      assert.ok(planned.promptTokens >= chatCount, `SGLang: ${planned.promptTokens} ≥ ${chatCount}`);
    }
    assert.ok(planned.promptTokens < planned.promptEstimate, `${kind}: the server counted fewer than the estimate`);
    assert.ok(server.paths.includes(kind === 'vllm' ? 'POST /tokenize' : 'POST /v1/tokenize'), server.paths.join(', '));
    const output = await runPlanned({ backend, code, plan, signal: AbortSignal.timeout(10_000) });
    assert.equal(output.error, undefined, `${kind}: ${output.error?.message}`);
  }
});

test('a selection the estimate refuses is counted by the server, and sent when the count fits', async () => {
  const server = await serve('vllm', 8192, reviewer);
  const backend = backendOn(server, 'vllm');
  const profiles = new ProfileCache();
  const profile = await profiles.resolve(backend, AbortSignal.timeout(5000));
  // The largest selection the estimate refuses but the server's count (about four characters a token) fits.
  const fitsByCount = (lines: number) => {
    const code: CodeUnderReview = {
      kind: 'explain',
      path: 'src/totals.ts',
      languageId: 'typescript',
      fileText: longFile(lines),
      ranges: [{ startLine: 1, endLine: lines }],
    };
    return { code, byEstimate: planRun({ code, profile }) };
  };
  let lines = 200;
  while (fitsByCount(lines + 10).byEstimate.ok) lines += 10;
  const { code } = fitsByCount(lines + 10);
  const byEstimate = planRun({ code, profile });
  assert.equal(byEstimate.ok, false, 'the estimate refuses it');
  const plan = await prepareRun(backend, { code }, AbortSignal.timeout(5000), profiles, new TokenCalibration());
  assert.ok(plan.ok, plan.ok ? '' : plan.error.message);
  const planned = plan.requests[0]!;
  assert.equal(planned.promptTokens, serverTokens(planned.request.messages.map((m) => m.content).join('\n')) + 8, 'the server’s count');
  const output = await runPlanned({ backend, code, plan, signal: AbortSignal.timeout(10_000) });
  assert.equal(output.error, undefined, output.error?.message);
  assert.equal(server.chats.length, 1);
});
