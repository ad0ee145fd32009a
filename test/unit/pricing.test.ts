// The price table: DeepSeek's off-peak/peak prices by request time, cache hit vs miss, and the
// user's `thinklens.pricing` merged over the defaults.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { DEFAULT_PRICES, costOf, isPeak, mergePriceTable, priceFor, withCost } from '../../src/core/pricing';
import type { Usage } from '../../src/core/types';

const MILLION: Usage = { promptTokens: 1_000_000, cachedPromptTokens: 400_000, completionTokens: 2_000_000, reasoningTokens: 1_500_000 };
const utc = (hh: number, mm = 0) => new Date(Date.UTC(2026, 10, 22, hh, mm));
const close = (actual: number | undefined, expected: number) => {
  assert.ok(actual !== undefined && Math.abs(actual - expected) < 1e-9, `expected ${expected}, got ${actual}`);
};

test('deepseek-flash: cache hit and miss prices, reasoning billed as output, off-peak and peak', () => {
  // 0.4M hits x 0.003 + 0.6M misses x 0.15 + 2M output x 0.60
  close(costOf(MILLION, 'deepseek', 'deepseek-flash', DEFAULT_PRICES, utc(12)), 0.0012 + 0.09 + 1.2);
  close(costOf(MILLION, 'deepseek', 'deepseek-flash', DEFAULT_PRICES, utc(2)), 0.0024 + 0.18 + 2.4);
});

test('deepseek-v4-pro prices', () => {
  close(costOf(MILLION, 'deepseek', 'deepseek-v4-pro', DEFAULT_PRICES, utc(23)), 0.4 * 0.022 + 0.6 * 0.66 + 2 * 1.98);
  close(costOf(MILLION, 'deepseek', 'deepseek-v4-pro', DEFAULT_PRICES, utc(7, 30)), 0.4 * 0.044 + 0.6 * 1.32 + 2 * 3.96);
});

test('peak windows are 01-04 and 06-10 UTC, end exclusive', () => {
  const entry = DEFAULT_PRICES['deepseek/deepseek-flash']!;
  const peak = [
    [0, 59, false],
    [1, 0, true],
    [3, 59, true],
    [4, 0, false],
    [5, 59, false],
    [6, 0, true],
    [9, 59, true],
    [10, 0, false],
    [23, 0, false],
  ] as const;
  for (const [hh, mm, expected] of peak) assert.equal(isPeak(entry, utc(hh, mm)), expected, `${hh}:${mm}`);
});

test('no cache information means every prompt token is a miss; hits never exceed the prompt', () => {
  close(costOf({ promptTokens: 1_000_000, completionTokens: 0 }, 'deepseek', 'deepseek-flash', DEFAULT_PRICES, utc(12)), 0.15);
  close(
    costOf(
      { promptTokens: 1_000_000, cachedPromptTokens: 5_000_000, completionTokens: 0 },
      'deepseek',
      'deepseek-flash',
      DEFAULT_PRICES,
      utc(12),
    ),
    0.003,
  );
});

test('unknown models and local backends have no table cost', () => {
  assert.equal(costOf(MILLION, 'deepseek', 'deepseek-chat'), undefined);
  assert.equal(costOf(MILLION, 'local', 'tiny.gguf'), undefined);
  assert.equal(costOf(MILLION, 'openrouter', 'deepseek-flash'), undefined, 'keyed by backend too');
});

test('a server-reported cost wins over the table', () => {
  assert.equal(withCost({ promptTokens: 10, completionTokens: 10, costUsd: 0.5 }, 'deepseek', 'deepseek-flash').costUsd, 0.5);
  close(withCost({ promptTokens: 1_000_000, completionTokens: 0 }, 'deepseek', 'deepseek-flash', DEFAULT_PRICES, utc(12)).costUsd, 0.15);
  assert.equal('costUsd' in withCost({ promptTokens: 1, completionTokens: 1 }, 'ollama', 'x'), false);
});

test('user prices merge over the defaults without changing them', () => {
  const before = JSON.stringify(DEFAULT_PRICES);
  const { table, problems } = mergePriceTable({
    'deepseek/deepseek-flash': { output: 1 },
    'openrouter/deepseek/deepseek-r1': { inputCacheHit: 0.1, inputCacheMiss: 0.5, output: 2 },
    'vllm/*': { inputCacheHit: 0, inputCacheMiss: 0, output: 0 },
  });
  assert.deepEqual(problems, []);
  assert.equal(JSON.stringify(DEFAULT_PRICES), before, 'defaults untouched');
  // A partial override keeps the other default fields and the peak schedule.
  close(costOf({ promptTokens: 0, completionTokens: 1_000_000 }, 'deepseek', 'deepseek-flash', table, utc(12)), 1);
  close(costOf({ promptTokens: 1_000_000, completionTokens: 0 }, 'deepseek', 'deepseek-flash', table, utc(12)), 0.15);
  close(costOf({ promptTokens: 0, completionTokens: 1_000_000 }, 'deepseek', 'deepseek-flash', table, utc(2)), 1.2);
  // Model ids with slashes and per-backend wildcards.
  close(costOf({ promptTokens: 1_000_000, completionTokens: 1_000_000 }, 'openrouter', 'deepseek/deepseek-r1', table), 2.5);
  assert.equal(costOf(MILLION, 'vllm', 'anything', table), 0);
  assert.ok(priceFor('deepseek', 'deepseek-v4-pro', table), 'other defaults kept');
});

test('invalid user entries are skipped and reported, never thrown', () => {
  const { table, problems } = mergePriceTable({
    'no-slash': { inputCacheHit: 1, inputCacheMiss: 1, output: 1 },
    'ollama/m1': { inputCacheHit: -1, inputCacheMiss: 1, output: 1 },
    'ollama/m2': { inputCacheHit: 1, output: 1 },
    'ollama/m3': 'cheap',
    'ollama/m4': {
      inputCacheHit: 1,
      inputCacheMiss: 1,
      output: 1,
      peak: { inputCacheHit: 2, inputCacheMiss: 2, output: 2 },
      peakHoursUtc: [[10, 5]],
    },
    'ollama/ok': { inputCacheHit: 1, inputCacheMiss: 1, output: 1 },
  });
  assert.equal(problems.length, 5, problems.join('\n'));
  assert.ok(problems.every((p) => p.includes('skipped')));
  assert.deepEqual(
    Object.keys(table).filter((k) => k.startsWith('ollama/')),
    ['ollama/ok'],
  );
  assert.deepEqual(mergePriceTable('nonsense').problems.length, 1);
  assert.deepEqual(mergePriceTable(undefined), { table: DEFAULT_PRICES, problems: [] });
});

test('a user entry with its own peak schedule', () => {
  const { table } = mergePriceTable({
    'openai-compatible/m': {
      inputCacheHit: 0,
      inputCacheMiss: 1,
      output: 1,
      peak: { inputCacheHit: 0, inputCacheMiss: 3, output: 3 },
      peakHoursUtc: [[20, 24]],
    },
  });
  close(costOf({ promptTokens: 1_000_000, completionTokens: 0 }, 'openai-compatible', 'm', table, utc(21)), 3);
  close(costOf({ promptTokens: 1_000_000, completionTokens: 0 }, 'openai-compatible', 'm', table, utc(19)), 1);
});
