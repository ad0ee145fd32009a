// core/samples.ts, shared by the CLI's --samples and the extension's thinklens.review.samples: each
// sample its own seed, at most `concurrency` at once, and a finding's `sample` numbering every
// sample, failed ones included, so its evidence offsets point into the right trace.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { BackendError } from '../../src/core/errors';
import type { RunOutput } from '../../src/core/run';
import { limiter, runSamples, sampleSeed } from '../../src/core/samples';
import type { Finding } from '../../src/core/types';

function finding(fingerprint: string): Finding {
  return {
    title: fingerprint,
    severity: 'warning',
    category: 'bug',
    startLine: 1,
    endLine: 1,
    explanation: '',
    locationUncertain: false,
    fingerprint,
    evidence: [],
    confidence: 'high',
    confidenceReasons: [],
  };
}

function output(findings: Finding[] | 'failed', reasoning = ''): RunOutput {
  if (findings === 'failed')
    return { messages: [], reasoning, answer: '', error: new BackendError('server', 'The server failed.', [{ kind: 'retry' }]) };
  return { messages: [], reasoning, answer: '', parsed: { summary: '', prose: '', findings } };
}

test('each sample gets its own seed; one sample keeps the setting as it is', () => {
  assert.deepEqual(
    [0, 1, 2].map((i) => sampleSeed(3, i, undefined)),
    [1, 2, 3],
  );
  assert.deepEqual(
    [0, 1, 2].map((i) => sampleSeed(3, i, 40)),
    [41, 42, 43],
  );
  assert.equal(sampleSeed(1, 0, undefined), undefined);
  assert.equal(sampleSeed(1, 0, 7), 7);
});

test('the limiter runs at most its size at once, and all of them', async () => {
  const slot = limiter(2);
  let running = 0;
  let peak = 0;
  const release: (() => void)[] = [];
  const tasks = Array.from({ length: 5 }, (_, i) =>
    slot(async () => {
      running++;
      peak = Math.max(peak, running);
      await new Promise<void>((resolve) => release.push(resolve));
      running--;
      return i;
    }),
  );
  // Release whoever is waiting until every task is done (no timing: each release lets the next in).
  const all = Promise.all(tasks);
  let released = 0;
  while (released < 5) {
    await new Promise((resolve) => setImmediate(resolve));
    const next = release.shift();
    if (next) {
      next();
      released++;
    }
  }
  assert.deepEqual(await all, [0, 1, 2, 3, 4]);
  assert.equal(peak, 2);
});

test("a finding's sample numbers every sample, failed ones included; the review fails only when all samples did", async () => {
  const seeds: (number | undefined)[] = [];
  const outputs = [output('failed', 'first'), output([finding('a')], 'second'), output([finding('a'), finding('b')], 'third')];
  const run = await runSamples(3, undefined, async (index, seed) => {
    seeds[index] = seed;
    return outputs[index]!;
  });
  assert.deepEqual(seeds, [1, 2, 3]);
  assert.equal(run.error, undefined, 'two samples still voted');
  assert.deepEqual(
    run.findings.map((f) => [f.fingerprint, f.sample, f.agreement]),
    [
      ['a', 1, { count: 2, of: 2 }],
      ['b', 2, { count: 1, of: 2 }],
    ],
  );
  assert.equal(run.outputs[run.findings[1]!.sample!]!.reasoning, 'third');

  const failed = await runSamples(2, undefined, async () => output('failed'));
  assert.equal(failed.error?.kind, 'server');
  const single = await runSamples(1, undefined, async () => output('failed'));
  assert.equal(single.error?.kind, 'server');
});
