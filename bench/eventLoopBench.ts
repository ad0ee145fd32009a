// How long the extension host's event loop stalls while the local backend starts its runtime and
// loads a model (a tiny scripted GGUF, so the runtime start dominates). Each round starts a fresh
// runtime and compares its worst gap with the worst gap of an idle interval of the same length,
// measured in the same process just before: the ratio, not the milliseconds, is what compares
// across machines. Results: bench/results/event-loop.md.
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { cpus, loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { createLocalBackend, LlamaRuntimePool } from '../src/core/backends/local';
import { writeScriptedModel } from '../test/support/gguf/scriptedModel';

const ROUNDS = 5;

async function worstGapWhile(work: () => Promise<void>): Promise<{ worstMs: number; tookMs: number }> {
  let last = performance.now();
  let worst = 0;
  const timer = setInterval(() => {
    const now = performance.now();
    worst = Math.max(worst, now - last);
    last = now;
  }, 5);
  const started = performance.now();
  try {
    await work();
  } finally {
    clearInterval(timer);
  }
  return { worstMs: worst, tookMs: performance.now() - started };
}

async function main(): Promise<void> {
  const dir = await mkdtemp(join(tmpdir(), 'thinklens-eventloop-'));
  const model = await writeScriptedModel(join(dir, 'scripted.gguf'), {
    reasoning: 'Thinking.',
    prose: 'Fine.\n\n',
    answer: { summary: 'Nothing found.', findings: [] },
  });
  const rows: string[] = [];
  try {
    for (let round = 1; round <= ROUNDS; round++) {
      const pool = new LlamaRuntimePool();
      const backend = createLocalBackend({ modelPath: model.path, threads: 1, contextSize: 512, runtimes: pool });
      const load = await worstGapWhile(async () => {
        const lease = await backend.host.acquire(new AbortController().signal);
        lease.release();
      });
      const idle = await worstGapWhile(() => new Promise((resolve) => setTimeout(resolve, load.tookMs)));
      await backend.dispose();
      rows.push(
        `| ${round} | ${load.tookMs.toFixed(0)} | ${load.worstMs.toFixed(0)} | ${idle.worstMs.toFixed(0)} | ${(load.worstMs / idle.worstMs).toFixed(2)}x |`,
      );
      console.log(rows[rows.length - 1]);
    }
  } finally {
    await rm(dir, { recursive: true, force: true });
  }

  await writeFile(
    join('bench', 'results', 'event-loop.md'),
    `# Event loop while the local runtime starts

\`npx tsx bench/eventLoopBench.ts\` on ${cpus().length} cores, load average ${loadavg()[0]!.toFixed(1)} at the end, ${new Date().toISOString().slice(0, 10)}.
Each round starts a fresh node-llama-cpp runtime and loads a tiny scripted model (the first import of node-llama-cpp, about 0.2 s of synchronous module evaluation once per process, falls in round 1), then measures an idle interval of the same length: the ratio of the worst gaps is the figure that compares across machines.

| round | start + load (ms) | worst gap while loading (ms) | worst gap idle (ms) | ratio |
|---|---|---|---|---|
${rows.join('\n')}
`,
  );
}

void main();
