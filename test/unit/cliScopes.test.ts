// The CLI's pure pieces: glob patterns, shard assignment, the cache folder per platform, and the
// queue's reaction to pushback (fake clock-free: real timers, tiny waits).

import assert from 'node:assert/strict';
import { test } from 'node:test';
import { defaultCacheDir } from '../../src/cli/cache';
import { globToRegExp, splitGlob } from '../../src/cli/files';
import { inShard } from '../../src/cli/inputs';
import { runQueue } from '../../src/cli/queue';

test('globs: *, **, ?, [..], {a,b} as shells write them', () => {
  const cases: [string, string, boolean][] = [
    ['*.ts', 'a.ts', true],
    ['*.ts', 'dir/a.ts', false],
    ['**/*.ts', 'a.ts', true],
    ['**/*.ts', 'x/y/a.ts', true],
    ['src/**/test_?.py', 'src/a/b/test_1.py', true],
    ['src/**/test_?.py', 'src/test_12.py', false],
    ['{lib,src}/*.{js,ts}', 'lib/a.js', true],
    ['{lib,src}/*.{js,ts}', 'pkg/a.js', false],
    ['[ab].c', 'b.c', true],
    ['[!ab].c', 'b.c', false],
    ['a+b(1).ts', 'a+b(1).ts', true],
  ];
  for (const [glob, path, expected] of cases) assert.equal(globToRegExp(glob).test(path), expected, `${glob} vs ${path}`);
  assert.deepEqual(splitGlob('src/**/*.ts'), { base: 'src', pattern: '**/*.ts' });
  assert.deepEqual(splitGlob('*.md'), { base: '.', pattern: '*.md' });
});

test('shards: every path in exactly one of n shards, the same one every time, and none empty for many paths', () => {
  const paths = Array.from({ length: 400 }, (_, i) => `src/module${i}/file${i}.ts`);
  for (const count of [1, 2, 3, 7]) {
    const sizes = Array.from({ length: count }, () => 0);
    for (const path of paths) {
      const owners = Array.from({ length: count }, (_, i) => i + 1).filter((index) => inShard(path, { index, count }));
      assert.equal(owners.length, 1, `${path} in ${owners.length} of ${count} shards`);
      sizes[owners[0]! - 1]!++;
    }
    assert.ok(
      sizes.every((n) => n > (paths.length / count) * 0.6),
      `uneven shards: ${sizes}`,
    );
  }
});

test("the cache folder: THINKLENS_CACHE_DIR, else each platform's convention", () => {
  assert.equal(defaultCacheDir({ THINKLENS_CACHE_DIR: '/c' }, 'linux', '/h'), '/c');
  assert.equal(defaultCacheDir({}, 'linux', '/h'), '/h/.cache/thinklens');
  assert.equal(defaultCacheDir({ XDG_CACHE_HOME: '/x' }, 'linux', '/h'), '/x/thinklens');
  assert.equal(defaultCacheDir({}, 'darwin', '/h'), '/h/Library/Caches/thinklens');
  assert.match(defaultCacheDir({ LOCALAPPDATA: 'C:\\Users\\a\\AppData\\Local' }, 'win32', 'C:\\Users\\a'), /thinklens[\\/]Cache$/);
});

test('the queue: pushback lowers the limit to what is in flight, waits Retry-After, and retries the item', async () => {
  let inFlight = 0;
  let peak = 0;
  const attempts = new Map<number, number>();
  const starts: number[] = [];
  let lowestLimit = Infinity;
  const outcome = await runQueue<number, { item: number; busy: boolean }>({
    items: [0, 1, 2, 3, 4, 5],
    maxConcurrency: 6,
    run: async (item) => {
      starts.push(Date.now());
      attempts.set(item, (attempts.get(item) ?? 0) + 1);
      // A server that takes two at a time: the third and later in flight are refused.
      const busy = inFlight >= 2;
      inFlight++;
      peak = Math.max(peak, inFlight);
      await new Promise((r) => setTimeout(r, busy ? 1 : 30));
      inFlight--;
      return { item, busy };
    },
    pushbackOf: (r) => (r.busy ? { retryAfterMs: 50 } : undefined),
    onChange: (state) => (lowestLimit = Math.min(lowestLimit, state.limit)),
  });
  assert.deepEqual(
    outcome.results.map((r) => r?.item),
    [0, 1, 2, 3, 4, 5],
  );
  assert.ok(outcome.results.every((r) => r && !r.busy));
  assert.ok(outcome.pushbacks >= 4, `pushbacks ${outcome.pushbacks}`);
  // Lowered to what the server served (it grows back afterwards, see the next test).
  assert.ok(lowestLimit <= 2, `limit ${lowestLimit}`);
});

test('the queue: after pushback the limit grows back one step at a time as requests succeed, not after a quiet spell', async () => {
  let inFlight = 0;
  const limits: number[] = [];
  await runQueue<number, { busy: boolean }>({
    items: Array.from({ length: 40 }, (_, i) => i),
    maxConcurrency: 6,
    run: async () => {
      // A server that serves three at a time and refuses a fourth.
      const busy = inFlight >= 3;
      inFlight++;
      await new Promise((r) => setTimeout(r, busy ? 1 : 10));
      inFlight--;
      return { busy };
    },
    pushbackOf: (r) => (r.busy ? { retryAfterMs: 5 } : undefined),
    onChange: (state) => {
      if (limits[limits.length - 1] !== state.limit) limits.push(state.limit);
    },
  });
  const lowest = limits.indexOf(Math.min(...limits));
  assert.ok(lowest > 0, `the limit never dropped: ${limits.join(' ')}`);
  assert.ok(
    limits.slice(lowest).some((l) => l > limits[lowest]!),
    `the limit never grew back after dropping to ${limits[lowest]}: ${limits.join(' ')}`,
  );
  // Additive increase: every rise is one step.
  for (let i = 1; i < limits.length; i++)
    if (limits[i]! > limits[i - 1]!) assert.equal(limits[i]! - limits[i - 1]!, 1, `a jump: ${limits.join(' ')}`);
});

test('the queue: a budget that fits three items runs three and lists the rest', async () => {
  const outcome = await runQueue<number, number>({
    items: [1, 2, 3, 4, 5],
    maxConcurrency: 2,
    run: async (item) => item,
    budget: { maxUsd: 3.5, estimate: () => 1, spent: () => 1 },
  });
  assert.deepEqual(
    outcome.results.filter((r) => r !== undefined),
    [1, 2, 3],
  );
  assert.deepEqual(outcome.overBudget, [4, 5]);
  assert.equal(outcome.spentUsd, 3);
});
