// Counts in the planner's messages are grouped by hand, not by Intl: the first toLocaleString of a
// process loads ICU's number data, which cost 100 ms or more on the way to the first token
// (bench/results/latency.md). The text must stay what toLocaleString('en-US') wrote.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createBackend } from '../../src/core/backends/createBackend';
import { profileOf } from '../../src/core/backends/profile';
import { planRun } from '../../src/core/plan';
import { formatCount } from '../../src/core/text';
import type { CodeUnderReview } from '../../src/core/types';

test('formatCount writes what toLocaleString("en-US") writes for whole numbers', () => {
  const values = [0, 7, 42, 999, 1000, 4096, 16384, 131072, 999999, 1000000, 1048576, 123456789, -1, -1234, -1000000];
  for (const value of values) assert.equal(formatCount(value), value.toLocaleString('en-US'), String(value));
});

test('planning with an assumed window formats its numbers without Intl', () => {
  const backend = createBackend({ backend: 'vllm', baseUrl: 'http://127.0.0.1:9/v1', model: 'm' }, {});
  const profile = profileOf(backend, { source: 'none' });
  const code: CodeUnderReview = {
    kind: 'explain',
    path: 'src/a.ts',
    languageId: 'typescript',
    fileText: 'export const a = 1;\n'.repeat(40),
    ranges: [{ startLine: 3, endLine: 9 }],
  };
  const original = Number.prototype.toLocaleString;
  let calls = 0;
  Number.prototype.toLocaleString = function (this: number, ...args: Parameters<typeof original>) {
    calls++;
    return original.apply(this, args);
  };
  try {
    const plan = planRun({ code, profile });
    assert.ok(plan.ok);
    assert.match(plan.warnings.join(' '), /ThinkLens assumed [\d,]+ tokens/);
  } finally {
    Number.prototype.toLocaleString = original;
  }
  assert.equal(calls, 0, 'toLocaleString was called while planning');
});
