// The status line's words for every state of a run (pure: no browser needed).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { describeRunStatus } from '../../src/webview/views/runStatus';
import type { RunProgress } from '../../src/webview/views/runStatus';

const startedAt = 1_000_000;
const base: RunProgress = { status: 'running', startedAt, reasoningPieces: 0, answerPieces: 0 };

test('thinking: elapsed time, an estimated token count and the rate', () => {
  const text = describeRunStatus({ ...base, reasoningPieces: 2431 }, startedAt + 12_400);
  assert.equal(text.status, 'Thinking… 12s');
  assert.equal(text.traceStats, '12s · ≈2,431 tokens · 196.0 tokens/s');
});

test('no rate in the first second, when it would be noise', () => {
  assert.equal(describeRunStatus({ ...base, reasoningPieces: 40 }, startedAt + 900).traceStats, '0s · ≈40 tokens');
});

test('answering: the thinking time stops when the answer starts', () => {
  const text = describeRunStatus(
    { ...base, reasoningPieces: 100, answerPieces: 20, answerStartedAt: startedAt + 42_000 },
    startedAt + 65_000,
  );
  assert.equal(text.status, 'Answering… 1m 05s');
  assert.match(text.traceStats, /^thought for 42s · ≈100 tokens · /);
});

test("finished: the server's own counts replace the estimate, and the rate goes", () => {
  const usage = { promptTokens: 10, reasoningTokens: 900, answerTokens: 50, tokensPerSecond: 31.5 };
  const run: RunProgress = {
    ...base,
    status: 'done',
    reasoningPieces: 880,
    answerStartedAt: startedAt + 30_000,
    finishedAt: startedAt + 40_000,
    usage,
  };
  const text = describeRunStatus(run, startedAt + 99_000);
  assert.equal(text.status, 'Done in 40s');
  assert.equal(text.traceStats, 'thought for 30s · 900 tokens');
});

test('a server that reports no reasoning tokens keeps the estimate', () => {
  const usage = { promptTokens: 10, reasoningTokens: 0, answerTokens: 50 };
  const run: RunProgress = { ...base, status: 'done', reasoningPieces: 77, finishedAt: startedAt + 5_000, usage };
  assert.equal(describeRunStatus(run, startedAt + 9_000).traceStats, 'thought for 5s · ≈77 tokens');
});

test('failed, cancelled and interrupted runs', () => {
  const ended = { ...base, finishedAt: startedAt + 3_000 };
  assert.equal(describeRunStatus({ ...ended, status: 'error' }, 0).status, 'Failed after 3s');
  assert.equal(describeRunStatus({ ...ended, status: 'cancelled' }, 0).status, 'Cancelled after 3s');
  // Restored from history without an end time: no duration to claim.
  const interrupted = describeRunStatus({ ...base, status: 'interrupted', reasoningPieces: 5 }, startedAt + 86_400_000);
  assert.equal(interrupted.status, 'Interrupted: VS Code closed while this ran');
  assert.equal(interrupted.traceStats, '≈5 tokens');
});
