// Ollama cannot count tokens for us, so what ThinkLens sends must fit by its estimate, and a prompt
// that still does not fit must never be cut silently. Against the Ollama replay server, which counts
// with a real BPE vocabulary and truncates the way Ollama does unless told not to.
import assert from 'node:assert/strict';
import { after, before, test as nodeTest } from 'node:test';
import { createBackend } from '../../src/core/backends/createBackend';
import { ProfileCache } from '../../src/core/backends/profile';
import { prepareRun, runPlanned, type PlannedRunOutput } from '../../src/core/plannedRun';
import { calibrationKey, TokenCalibration } from '../../src/core/tokens';
import type { Backend, CodeUnderReview } from '../../src/core/types';
import { COMMENTS, commentedSourceWithLoops, minifiedWithLoop, sourceWithLoops } from '../support/longSource';
import { R1_MODEL, startOllamaServer, type OllamaChatRecord, type OllamaServer } from '../support/ollamaServer';

const test = (name: string, fn: () => void | Promise<void>) => nodeTest(name, { timeout: 60_000 }, fn);

let server: OllamaServer;
let old: OllamaServer;
before(async () => {
  const models = { [R1_MODEL]: { contextLength: 131_072 }, 'small-r1:1.5b': { contextLength: 16_384 } };
  server = await startOllamaServer({ models });
  old = await startOllamaServer({ models, version: '0.12.5' });
});
after(async () => {
  await server.close();
  await old.close();
});

const backendOn = (on: OllamaServer, model = R1_MODEL): Backend => createBackend({ backend: 'ollama', baseUrl: on.root, model }, {});

function review(path: string, fileText: string): CodeUnderReview {
  const lineCount = fileText.split('\n').length - (fileText.endsWith('\n') ? 1 : 0);
  return { kind: 'review', path, languageId: 'typescript', fileText, ranges: [{ startLine: 1, endLine: lineCount }] };
}

async function reviewOn(
  on: OllamaServer,
  code: CodeUnderReview,
  calibration = new TokenCalibration(),
  model = R1_MODEL,
): Promise<{ output: PlannedRunOutput; chats: OllamaChatRecord[] }> {
  const backend = backendOn(on, model);
  const profiles = new ProfileCache();
  const before = on.chats.length;
  const signal = AbortSignal.timeout(50_000);
  const plan = await prepareRun(backend, { code }, signal, profiles, calibration);
  const output = await runPlanned({ backend, code, plan, signal, profiles, calibration });
  return { output, chats: on.chats.slice(before) };
}

/** What the planner of the last round asked for: prompt/3 + 8,192 + the answer reserve, in 1,024 steps. */
function oldPlannedWindow(promptChars: number): number {
  return Math.ceil((Math.ceil(promptChars / 3) + 64 + 8192 + 2048) / 1024) * 1024;
}

test('class 9: a 1,600-line TypeScript file with Chinese comments fits the Ollama window planned for it, is never cut, and its bugs are found', async () => {
  const fileText = commentedSourceWithLoops(1600, [5, 1589], COMMENTS.chinese);
  const { output, chats } = await reviewOn(server, review('src/totals.ts', fileText));
  assert.equal(output.error, undefined, output.error?.message);
  assert.equal(chats.length, 1, 'one request, no refusal and no resend');
  const chat = chats[0]!;
  // The old estimate asked for less than the prompt itself: Ollama cut its start and nothing was found.
  const promptChars = (chat.body.messages as { content: string }[]).reduce((n, m) => n + m.content.length, 0);
  assert.ok(oldPlannedWindow(promptChars) < chat.promptTokens, `old window ${oldPlannedWindow(promptChars)} < prompt ${chat.promptTokens}`);
  assert.equal(chat.truncated, false);
  assert.equal(chat.refused, false);
  assert.equal(chat.instructionsSeen, true);
  assert.ok(
    chat.numCtx >= chat.promptTokens + (chat.numPredict ?? 0),
    `window ${chat.numCtx} for ${chat.promptTokens} + ${chat.numPredict}`,
  );
  assert.deepEqual(
    output.parsed?.findings.map((f) => f.startLine),
    [5, 1589],
  );
});

test('Latin, CJK and minified code each fit the window planned for; the plan never counts fewer tokens than the server', async () => {
  const files = {
    latin: commentedSourceWithLoops(600, [5], COMMENTS.english),
    japanese: commentedSourceWithLoops(600, [5], COMMENTS.japanese),
    minified: minifiedWithLoop(60, 5),
  };
  for (const [name, fileText] of Object.entries(files)) {
    const { output, chats } = await reviewOn(server, review(`src/${name}.js`, fileText));
    assert.equal(output.error, undefined, `${name}: ${output.error?.message}`);
    const plan = output.plan;
    assert.ok(plan?.ok);
    assert.equal(chats.length, plan.requests.length, `${name}: every request sent once`);
    chats.forEach((chat, i) => {
      const planned = plan.requests[i];
      assert.equal(chat.truncated, false, `${name}: never truncated`);
      assert.equal(chat.refused, false, `${name}: never refused`);
      assert.ok(planned!.promptTokens >= chat.promptTokens, `${name}: planned ${planned!.promptTokens} ≥ counted ${chat.promptTokens}`);
      assert.ok(
        chat.numCtx >= chat.promptTokens + (chat.numPredict ?? 0),
        `${name}: ${chat.numCtx} ≥ ${chat.promptTokens} + ${chat.numPredict}`,
      );
    });
    assert.deepEqual(
      output.parsed?.findings.map((f) => f.startLine),
      [5],
      name,
    );
  }
});

test('every chat to Ollama 0.12.6 or newer says truncate: false and shift: false; an older server gets neither', async () => {
  const code = review('src/a.ts', sourceWithLoops(40, [11]));
  const { chats } = await reviewOn(server, code);
  assert.equal(chats[0]!.body.truncate, false);
  assert.equal(chats[0]!.body.shift, false);
  const older = await reviewOn(old, code);
  assert.equal('truncate' in older.chats[0]!.body, false);
  assert.equal('shift' in older.chats[0]!.body, false);
});

test('class 9: an undercount on Ollama becomes a refusal that is planned again with the server’s count and sent once more, never a silent cut', async () => {
  // Rare CJK characters (Extension B, outside the basic plane): the estimate's one token each is
  // low, the vocabulary spends several bytes' tokens on each.
  const rare = Array.from({ length: 40 }, (_, i) => String.fromCodePoint(0x20000 + i * 7)).join('');
  const fileText = commentedSourceWithLoops(900, [5], (n) => `  // ${n} ${rare}`);
  const calibration = new TokenCalibration();
  // A server of its own: no model loaded yet with a larger window the backend could reuse (/api/ps).
  const fresh = await startOllamaServer({ models: { [R1_MODEL]: { contextLength: 131_072 } } });
  after(() => fresh.close());
  const { output, chats } = await reviewOn(fresh, review('src/rare.ts', fileText), calibration);
  assert.equal(output.error, undefined, output.error?.message);
  assert.equal(chats.length, 2);
  assert.equal(chats[0]!.refused, true, 'the first window was too small: a 400, not a cut');
  assert.equal(chats[1]!.refused, false);
  assert.equal(chats[1]!.truncated, false);
  assert.ok(chats[1]!.numCtx > chats[0]!.numCtx, `resent with ${chats[1]!.numCtx} > ${chats[0]!.numCtx}`);
  assert.ok(chats[1]!.numCtx >= chats[1]!.promptTokens + (chats[1]!.numPredict ?? 0));
  assert.match(output.parsed?.problem ?? '', /refused the prompt as longer than ThinkLens counted \([\d,]+ tokens by its count\)/);
  assert.deepEqual(
    output.parsed?.findings.map((f) => f.startLine),
    [5],
  );
  // The server's count calibrates the next run on this server and model: it fits at once.
  const key = calibrationKey(backendOn(fresh));
  assert.ok(calibration.factor(key) > 1);
  const again = await reviewOn(fresh, review('src/rare.ts', fileText), calibration);
  assert.equal(again.chats.length, 1);
  assert.equal(again.chats[0]!.refused, false);
});

test('a selection that cannot fit even after the server’s count is refused with the numbers', async () => {
  const rare = Array.from({ length: 60 }, (_, i) => String.fromCodePoint(0x20000 + i * 7)).join('');
  const fileText = commentedSourceWithLoops(400, [5], (n) => `  // ${n} ${rare}`);
  const code: CodeUnderReview = { ...review('src/rare.ts', fileText), kind: 'explain' };
  const { output, chats } = await reviewOn(server, code, new TokenCalibration(), 'small-r1:1.5b');
  assert.equal(output.error?.kind, 'context-too-long');
  assert.ok(
    chats.every((c) => !c.truncated),
    'nothing was cut',
  );
  assert.match(output.error!.message, /needs about [\d,]+ tokens.*16,384 tokens/);
  assert.match(output.error!.note ?? output.error!.message, /refused the prompt as too long|Nothing was sent/);
});

test('control: with Ollama’s defaults the replay server drops the oldest messages, then cuts the prompt', async () => {
  const long = `Review this code for bugs.\n${'x = 1;\n'.repeat(3000)}`;
  const body = {
    model: R1_MODEL,
    stream: false,
    options: { num_ctx: 4096 },
    messages: [
      { role: 'user', content: long },
      { role: 'assistant', content: 'Nothing found.' },
      { role: 'user', content: long },
    ],
  };
  await (await fetch(`${server.root}/api/chat`, { method: 'POST', body: JSON.stringify(body) })).text();
  const cut = server.chats.at(-1)!;
  assert.equal(cut.droppedMessages, 2, 'server/prompt.go drops the oldest messages first');
  assert.equal(cut.truncated, true, 'then the runner cuts the last message');
  const refused = await fetch(`${server.root}/api/chat`, { method: 'POST', body: JSON.stringify({ ...body, truncate: false }) });
  assert.equal(refused.status, 400);
  const error = ((await refused.json()) as { error: string }).error;
  assert.match(error, /exceeds the available context size \(4096 tokens\)/);
  assert.equal(server.chats.at(-1)!.refused, true);
});
