// A constraint is trusted only once the server has shown that it leaves the thinking free (issue 18,
// item 1). Against replay servers that apply a JSON schema where the real ones do (see the sources in
// test/support/limitServers.ts): a request whose constraint silenced the thinking is sent once more
// without it, the profile remembers that for the session, the person is told what to change on the
// server, the first answer is kept, and the repair turn runs whenever the answer was not really held
// to the contract.
import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import { createBackend } from '../../src/core/backends/createBackend';
import { droppedConstraintNote, ProfileCache, profileOf, withObservations } from '../../src/core/backends/profile';
import { prepareRun, runPlanned, SET_ASIDE_LABEL } from '../../src/core/plannedRun';
import { createReasoningSplitter } from '../../src/core/reasoningSplitter';
import type { Backend, BackendId } from '../../src/core/types';
import { OFF_BY_ONE_CODE, OFF_BY_ONE_JSON, OFF_BY_ONE_REASONING } from '../support/offByOne';
import { startLimitServer, type LimitServer, type LimitServerKind, type ScriptedTurn } from '../support/limitServers';

const servers: LimitServer[] = [];
after(async () => {
  await Promise.all(servers.map((s) => s.close()));
});

const CODE = OFF_BY_ONE_CODE;
const REASONING = OFF_BY_ONE_REASONING;
const JSON_ANSWER = OFF_BY_ONE_JSON;

/** A model that thinks, then answers bare JSON under a schema, or prose and a fenced block without one. */
function reviewer(body: Record<string, unknown>): ScriptedTurn {
  const constrained = body.response_format !== undefined;
  return {
    reasoning: REASONING,
    answer: constrained ? JSON_ANSWER : `The loop bound is off by one.\n\n\`\`\`json\n${JSON_ANSWER}\n\`\`\``,
  };
}

async function serve(
  kind: LimitServerKind,
  turn: ScriptedTurn | ((body: Record<string, unknown>, i: number) => ScriptedTurn),
  reasoningParser?: boolean,
) {
  const server = await startLimitServer({
    kind,
    model: 'r1-distill',
    contextWindow: 32_768,
    turn,
    ...(reasoningParser !== undefined ? { reasoningParser } : {}),
  });
  servers.push(server);
  return server;
}

function backendOn(server: LimitServer, id: BackendId): Backend {
  return createBackend({ backend: id, baseUrl: server.baseUrl, model: 'r1-distill', maxRetries: 0 }, {});
}

async function review(backend: Backend, profiles: ProfileCache) {
  const plan = await prepareRun(backend, { code: CODE }, AbortSignal.timeout(5000), profiles);
  return runPlanned({ backend, code: CODE, plan, signal: AbortSignal.timeout(10_000), profiles });
}

const schemaOf = (body: Record<string, unknown>) => (body.response_format as { type?: string } | undefined)?.type;

for (const [kind, flag] of [
  ['vllm', /Start vLLM with --reasoning-parser/],
  ['sglang', /Start SGLang with --reasoning-parser/],
] as const) {
  test(`${kind} without --reasoning-parser: the schema silenced the thinking, so the request goes again without it, and the session remembers`, async () => {
    const server = await serve(kind, reviewer, false);
    const backend = backendOn(server, kind);
    const profiles = new ProfileCache();

    const first = await review(backend, profiles);
    assert.equal(first.error, undefined, first.error?.message);
    assert.equal(server.chats.length, 2, 'one request with the schema, one without');
    assert.equal(schemaOf(server.chats[0]!), 'json_schema');
    assert.equal(server.chats[1]!.response_format, undefined);
    assert.match(first.reasoning, /reads one element past the end/, 'the reasoning of the second request reaches the person');
    assert.deepEqual(
      first.parsed!.findings.map((f) => f.startLine),
      [3],
    );
    assert.match(first.parsed!.problem!, /sent no reasoning while the answer was constrained/);
    assert.match(first.parsed!.problem!, flag);
    // The first answer came without thinking and found nothing: kept, marked as set aside.
    assert.match(first.answer, new RegExp(`^${escape(SET_ASIDE_LABEL)}\\n\\{"summary":"No problems found\\."`));
    assert.match(first.reasoning, /No reasoning came while the answer was constrained; sent again without the constraint/);

    const second = await review(backend, profiles);
    assert.equal(server.chats.length, 3, 'the next run sends no schema at once');
    assert.equal(server.chats[2]!.response_format, undefined);
    assert.match(second.parsed!.problem!, flag, 'every later run says why it goes unconstrained');
    assert.deepEqual(
      second.parsed!.findings.map((f) => f.startLine),
      [3],
    );
    const profile = await profiles.resolve(backend, AbortSignal.timeout(5000));
    assert.equal(profile.answerConstraint, 'none');
    assert.equal(profile.constraintDropped, 'silenced-thinking');
    assert.deepEqual(profile.observed, { inlineThink: true, reasoningWithConstraint: false, reasoningWithoutConstraint: true });
  });
}

test('a model that does not think at all: asked once without the constraint, which then stays (it was not to blame)', async () => {
  const server = await serve(
    'vllm',
    (body) => ({
      reasoning: '',
      answer: body.response_format ? JSON_ANSWER : `One bug.\n\n\`\`\`json\n${JSON_ANSWER}\n\`\`\``,
      // Bound by the schema from the first token it writes the same: it had nothing to think.
      unthinking: JSON_ANSWER,
    }),
    false,
  );
  const backend = backendOn(server, 'vllm');
  const profiles = new ProfileCache();
  const first = await review(backend, profiles);
  assert.equal(server.chats.length, 2);
  assert.match(
    first.parsed!.problem!,
    /sent no reasoning from r1-distill with the answer constraint or without it, so the model does not seem to think there and the constraint stays/,
  );
  assert.deepEqual(
    first.parsed!.findings.map((f) => f.startLine),
    [3],
  );
  const second = await review(backend, profiles);
  assert.equal(server.chats.length, 3, 'the next run sends the schema once, and nothing again');
  assert.equal(schemaOf(server.chats[2]!), 'json_schema');
  assert.equal(second.parsed!.problem, undefined);
  assert.deepEqual(
    second.parsed!.findings.map((f) => f.startLine),
    [3],
  );
});

test('vLLM ≥ 0.16 with its parser (reasoning only in delta.reasoning): the schema leaves the thinking free and stays', async () => {
  const server = await serve('vllm', reviewer, true);
  const backend = backendOn(server, 'vllm');
  const profiles = new ProfileCache();
  const output = await review(backend, profiles);
  assert.equal(output.error, undefined, output.error?.message);
  assert.equal(server.chats.length, 1);
  assert.equal(schemaOf(server.chats[0]!), 'json_schema');
  assert.equal(output.reasoning, REASONING);
  assert.deepEqual(
    output.parsed!.findings.map((f) => f.startLine),
    [3],
  );
  assert.equal(output.parsed!.problem, undefined, 'nothing was dropped, so nothing to say');
  const profile = await profiles.resolve(backend, AbortSignal.timeout(5000));
  assert.equal(profile.answerConstraint, 'json-schema');
  assert.deepEqual(profile.observed, { reasoningField: true, reasoningWithConstraint: true });
});

test('LM Studio gets no schema (it would bind the thinking): the prompt contract, and the bug is found', async () => {
  const server = await serve('lmstudio', reviewer);
  const backend = backendOn(server, 'lmstudio');
  const output = await review(backend, new ProfileCache());
  assert.equal(server.chats.length, 1);
  assert.equal(server.chats[0]!.response_format, undefined);
  assert.equal(output.reasoning, REASONING);
  assert.deepEqual(
    output.parsed!.findings.map((f) => f.startLine),
    [3],
  );
});

test('the repair turn runs when the answer was not really constrained, though the preset claims a schema', async () => {
  // vLLM without its parser: after the constraint is dropped the model answers in prose alone.
  const server = await serve(
    'vllm',
    (body, i) =>
      i === 2
        ? { reasoning: 'Reformatting.', answer: JSON_ANSWER }
        : { reasoning: REASONING, answer: body.response_format ? JSON_ANSWER : 'The loop bound is off by one: use < instead of <=.' },
    false,
  );
  const backend = backendOn(server, 'vllm');
  const output = await review(backend, new ProfileCache());
  assert.equal(server.chats.length, 3, 'constrained, again without the constraint, then the repair turn');
  assert.match((server.chats[2]!.messages as { content: string }[]).at(-1)!.content, /Reply with only that JSON object/);
  assert.equal(output.repaired, true);
  assert.deepEqual(
    output.parsed!.findings.map((f) => f.startLine),
    [3],
  );
  assert.match(output.parsed!.prose, /off by one/, 'the prose of the thought-through answer stays');
});

test('an answer held to the schema after the thinking is not repaired (there is nothing to reformat)', async () => {
  // The schema was sent and the thinking stayed free: a repair turn would only ask the same server again.
  const server = await serve('vllm', { reasoning: REASONING, answer: JSON_ANSWER.slice(0, 40) }, true);
  const backend = backendOn(server, 'vllm');
  const output = await review(backend, new ProfileCache());
  assert.equal(server.chats.length, 1);
  assert.equal(output.repaired, false);
});

test('TensorRT-LLM through openai-compatible: no window listed (assumed, said), reasoning_content with its parser, inline without', async () => {
  for (const reasoningParser of [true, false]) {
    const server = await serve('trtllm', reviewer, reasoningParser);
    const backend = backendOn(server, 'openai-compatible');
    const profiles = new ProfileCache();
    const output = await review(backend, profiles);
    assert.equal(output.error, undefined, output.error?.message);
    assert.equal(server.chats.length, 1, 'no field it would refuse, no schema to drop');
    assert.equal(server.chats[0]!.response_format, undefined);
    assert.equal(output.reasoning, REASONING, `parser ${reasoningParser}`);
    assert.deepEqual(
      output.parsed!.findings.map((f) => f.startLine),
      [3],
    );
    assert.match(output.parsed!.problem!, /did not report r1-distill's context window; ThinkLens assumed 8,192 tokens/);
    const profile = await profiles.resolve(backend, AbortSignal.timeout(5000));
    assert.deepEqual(
      profile.observed,
      reasoningParser
        ? { reasoningField: true, reasoningWithoutConstraint: true }
        : { inlineThink: true, reasoningWithoutConstraint: true },
    );
  }
});

test('TensorRT-LLM refuses a field it does not know with its own 400 (the replay copies extra="forbid")', async () => {
  const server = await serve('trtllm', reviewer);
  const response = await fetch(`${server.baseUrl}/chat/completions`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ model: 'r1-distill', messages: [{ role: 'user', content: 'hi' }], separate_reasoning: true }),
  });
  assert.equal(response.status, 400);
  const body = (await response.json()) as { object: string; type: string; message: string };
  assert.equal(body.object, 'error');
  assert.equal(body.type, 'BadRequestError');
  assert.match(body.message, /separate_reasoning/);
});

test('the note names the server, the model and what to change there', () => {
  for (const [id, flag] of [
    ['vllm', /--reasoning-parser/],
    ['sglang', /--reasoning-parser/],
    ['llamacpp', /--reasoning-format deepseek/],
    ['ollama', /0\.12\.4/],
  ] as const) {
    const backend = createBackend({ backend: id, baseUrl: 'http://127.0.0.1:9/v1', model: 'r1' }, {});
    const base = profileOf(backend, { contextWindow: 8192, source: 'test' });
    assert.equal(droppedConstraintNote(base), undefined, 'nothing dropped, no note');
    const silenced = withObservations(base, { reasoningWithConstraint: false });
    assert.equal(silenced.answerConstraint, 'none');
    const note = droppedConstraintNote(silenced)!;
    assert.match(note, new RegExp(`^${base.label} sent no reasoning while the answer was constrained to JSON`));
    assert.match(note, /r1's thinking/);
    assert.match(note, flag, id);
    const inline = droppedConstraintNote(withObservations(base, { inlineThink: true }))!;
    assert.match(inline, /inline as <think>.*no reasoning parser runs/);
  }
  // A reasoning field with the constraint on is what trust looks like: the constraint stays.
  const vllm = profileOf(createBackend({ backend: 'vllm', baseUrl: 'http://127.0.0.1:9/v1', model: 'r1' }, {}), { source: 'none' });
  assert.equal(withObservations(vllm, { reasoningField: true, reasoningWithConstraint: true }).answerConstraint, 'json-schema');
  // No reasoning without the constraint either: the model does not think, the constraint stays.
  const silent = withObservations(vllm, { reasoningWithConstraint: false, reasoningWithoutConstraint: false });
  assert.equal(silent.answerConstraint, 'json-schema');
  assert.equal(droppedConstraintNote(silent), undefined);
});

test('the splitter tells where the reasoning came from: a field, inline tags, or nowhere', () => {
  const cases: [unknown[], 'field' | 'inline' | 'none'][] = [
    [[{ reasoning: 'a' }, { content: 'b' }], 'field'],
    [[{ reasoning_content: 'a' }, { content: 'b' }], 'field'],
    [[{ content: '<think>a</think>b' }], 'inline'],
    [[{ content: 'a\n</think>\n\nb' }], 'inline'],
    [[{ content: '{"summary": "x"}' }], 'none'],
  ];
  for (const [deltas, expected] of cases) {
    const splitter = createReasoningSplitter();
    for (const delta of deltas) splitter.push(delta);
    splitter.end('stop');
    assert.equal(splitter.reasoningSource(), expected, JSON.stringify(deltas));
  }
});

function escape(text: string): string {
  return text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}
