// Hosted limits are data with their sources (src/core/backends/hostedModels.ts, docs/limits.md):
// DeepSeek's current models plan with the window and output cap DeepSeek publishes, and a model the
// table does not list gets the preset's cautious window with a note that it was assumed.
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { test } from 'node:test';
import { createBackend } from '../../src/core/backends/createBackend';
import { HOSTED_MODEL_LIMITS } from '../../src/core/backends/hostedModels';
import { PRESETS } from '../../src/core/backends/presets';
import { profileOf } from '../../src/core/backends/profile';
import { planRun } from '../../src/core/plan';
import type { CodeUnderReview } from '../../src/core/types';

async function profileFor(model: string) {
  const backend = createBackend({ backend: 'deepseek', apiKey: 'k', model }, {});
  return profileOf(backend, await backend.describe!(AbortSignal.timeout(1000)));
}

/** A file of about `tokens` estimated tokens (three characters each). */
function fileOf(tokens: number): CodeUnderReview {
  const line = 'export const value = compute(input, options); // keeps the numbers\n';
  const lines = Math.ceil((tokens * 3) / line.length);
  return {
    kind: 'review',
    path: 'big.ts',
    languageId: 'typescript',
    fileText: line.repeat(lines),
    ranges: [{ startLine: 1, endLine: lines }],
  };
}

test("DeepSeek's current models have the window and output cap of DeepSeek's model page", async () => {
  for (const model of ['deepseek-flash', 'deepseek-v4-pro']) {
    const profile = await profileFor(model);
    assert.equal(profile.contextWindow, 1_000_000, model);
    assert.equal(profile.maxOutputTokens, 384_000, model);
    assert.equal(profile.windowAssumed, false, model);
    assert.match(profile.windowSource, /DeepSeek's Models & Pricing page, read \d{4}-\d{2}-\d{2}/, model);
  }
});

test('a review that the old 131,072-token assumption had to split fits in one request on deepseek-v4-pro', async () => {
  const code = fileOf(300_000);
  const known = planRun({ code, profile: await profileFor('deepseek-v4-pro') });
  assert.ok(known.ok, 'planned');
  assert.equal(known.requests.length, 1, 'one request: the file fits the published 1M window');
  assert.deepEqual(known.warnings, []);
});

test('a DeepSeek model the table does not list gets the cautious default, and the run says it was assumed', async () => {
  const profile = await profileFor('deepseek-r9-preview');
  assert.equal(profile.contextWindow, PRESETS.deepseek.limits.assumedWindow);
  assert.equal(profile.maxOutputTokens, PRESETS.deepseek.limits.maxOutputTokens);
  assert.equal(profile.windowAssumed, true);
  const plan = planRun({ code: fileOf(1000), profile });
  assert.ok(plan.ok);
  assert.match(plan.warnings.join('\n'), /does not list deepseek-r9-preview; ThinkLens assumed 131,072 tokens/);
});

test('docs/limits.md shows every row of the table with its source page and the date it was read', () => {
  const docs = readFileSync('docs/limits.md', 'utf8');
  for (const row of HOSTED_MODEL_LIMITS) {
    const line = docs.split('\n').find((l) => l.includes(`\`${row.model}\``));
    assert.ok(line, `docs/limits.md lists ${row.model}`);
    assert.ok(line.includes(row.contextWindow.toLocaleString('en-US')), `${row.model}: window ${line}`);
    assert.ok(line.includes(row.maxOutputTokens.toLocaleString('en-US')), `${row.model}: output cap ${line}`);
    assert.ok(line.includes(row.page) && line.includes(row.read), `${row.model}: source and date ${line}`);
  }
});
