// Load: 20 runs at once and then cancel them all; then 200 runs in a row. Each run is the engine
// (runAnalysis over the OpenAI-compatible backend) feeding a PanelSession (the panel's host half,
// the extension's own code minus `vscode`), as the extension wires them, against the replay
// server in a child process over loopback. Nothing may get stuck, and nothing may leak: heap after
// a full GC, active handles (sockets, timers) and the abort listeners are read before, between and after.
//
//   node --expose-gc --import tsx bench/loadBench.ts
//
// Writes bench/results/load.md.

import { ignoredPanelEvents } from '../test/support/panelEvents';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { cpus, loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { startReplayServerProcess } from '../test/support/serverProcess';
import { createOpenAiBackend } from '../src/core/backends/openaiCompatible';
import { PRESETS } from '../src/core/backends/presets';
import { runAnalysis } from '../src/core/run';
import type { CodeUnderReview } from '../src/core/types';
import { PanelSession } from '../src/extension/panel/panelSession';

const gc = (globalThis as { gc?: () => void }).gc;
if (!gc) {
  process.stderr.write('run with node --expose-gc --import tsx bench/loadBench.ts\n');
  process.exit(2);
}

const CODE: CodeUnderReview = {
  kind: 'review',
  path: 'cart.ts',
  languageId: 'typescript',
  fileText: 'let total = 0;\nfor (let i = 0; i <= items.length; i++) total += items[i];\n',
  ranges: [{ startLine: 1, endLine: 2 }],
};
const ANSWER =
  'Off by one.\n\n```json\n{"summary": "i <= n", "findings": [{"title": "Off-by-one", "severity": "error", "category": "bug", "startLine": 2, "endLine": 2, "quote": "i <= items.length", "explanation": "Reads past the end."}]}\n```';

async function startServer(dir: string): Promise<{ baseUrl: string; stop: () => void }> {
  const reasoning = 'Checking the loop bound and the index. '.repeat(200);
  const script = {
    // Fast: the 200-in-a-row runs. Slow: 20 at once, cancelled while they stream.
    default: { stream: 'deepseek', model: 'fast', reasoning, answer: ANSWER, pieces: 200 },
    models: {
      slow: Array.from({ length: 20 }, () => ({ stream: 'deepseek', model: 'slow', reasoning, answer: ANSWER, pieces: 400, delayMs: 25 })),
    },
  };
  const server = await startReplayServerProcess(dir, script);
  return { baseUrl: server.url, stop: server.stop };
}

interface Snapshot {
  readonly label: string;
  readonly heapMiB: number;
  readonly handles: Record<string, number>;
}

async function snapshot(label: string): Promise<Snapshot> {
  // Let closed sockets and cleared timers leave the loop, then collect twice.
  await new Promise((r) => setTimeout(r, 200));
  gc!();
  gc!();
  const handles: Record<string, number> = {};
  for (const kind of process.getActiveResourcesInfo()) handles[kind] = (handles[kind] ?? 0) + 1;
  return { label, heapMiB: process.memoryUsage().heapUsed / 2 ** 20, handles };
}

function panelSession(): { session: PanelSession; posted: () => number } {
  let posts = 0;
  const events = ignoredPanelEvents();
  const session = new PanelSession(events, { frameMs: 0 });
  session.attach(() => void posts++);
  session.receive({ type: 'ready' });
  return { session, posted: () => posts };
}

async function main(): Promise<void> {
  const dir = mkdtempSync(join(tmpdir(), 'thinklens-loadbench-'));
  const server = await startServer(dir);
  const loadBefore = loadavg();
  const backendFor = (model: string) =>
    createOpenAiBackend({ preset: PRESETS['openai-compatible'], baseUrl: server.baseUrl, model, hosted: false });
  const { session, posted } = panelSession();
  let runNumber = 0;

  async function oneRun(model: string, signal: AbortSignal) {
    const id = `run-${++runNumber}`;
    session.startRun({ id, kind: 'review', title: 'cart.ts', backend: 'openai-compatible', model, startedAt: Date.now() });
    const output = await runAnalysis({
      backend: backendFor(model),
      code: CODE,
      signal,
      onEvent: (event) => {
        if (event.kind === 'reasoning') session.appendReasoning(id, event.text);
        else if (event.kind === 'answer') session.appendAnswer(id, event.text);
      },
    });
    session.finishRun(id, {
      summary: output.parsed?.summary ?? '',
      prose: output.answer,
      findings: [],
      cancelled: output.error?.kind === 'cancelled',
    });
    return output;
  }

  // Warm-up: one run, so the SDK import and JIT are not counted as growth.
  await oneRun('fast', new AbortController().signal);
  const before = await snapshot('before (after 1 warm-up run)');

  // 20 at once, cancelled mid-stream.
  const controllers = Array.from({ length: 20 }, () => new AbortController());
  const started = performance.now();
  const concurrent = controllers.map((c) => oneRun('slow', c.signal));
  await new Promise((r) => setTimeout(r, 1500));
  const cancelAt = performance.now();
  for (const c of controllers) c.abort();
  const outputs = await Promise.all(concurrent);
  const settledMs = performance.now() - cancelAt;
  const cancelled = outputs.filter((o) => o.error?.kind === 'cancelled').length;
  const withReasoning = outputs.filter((o) => o.reasoning.length > 0).length;
  const afterConcurrent = await snapshot('after 20 at once, all cancelled');

  // 200 in a row.
  const series: Snapshot[] = [];
  const rowStarted = performance.now();
  let ok = 0;
  for (let i = 1; i <= 200; i++) {
    const output = await oneRun('fast', new AbortController().signal);
    if (!output.error && output.parsed?.summary === 'i <= n') ok++;
    if (i % 50 === 0) series.push(await snapshot(`after ${i} in a row`));
  }
  const rowSeconds = (performance.now() - rowStarted) / 1000;
  session.dispose();
  server.stop();
  rmSync(dir, { recursive: true, force: true });
  const after = await snapshot('end (session disposed, server stopped)');
  const loadAfter = loadavg();

  const all = [before, afterConcurrent, ...series, after];
  const kinds = [...new Set(all.flatMap((s) => Object.keys(s.handles)))].sort();
  const table = [
    '# Load benchmark',
    '',
    `\`node --expose-gc --import tsx bench/loadBench.ts\` on ${new Date().toISOString().slice(0, 10)}: ${cpus().length} cores (${cpus()[0]?.model.trim()}), shared with other work; Node ${process.version}.`,
    'Each run is runAnalysis over the OpenAI-compatible backend feeding a PanelSession (the panel host code without `vscode`), in one process, against the replay server in a child process over loopback. The extension host itself is not driven 200 times here: a code-server run per case takes minutes on this machine, so the engine and the PanelSession stand in for it.',
    `Load average (1/5/15 min) before: ${loadBefore.map((x) => x.toFixed(2)).join(' / ')}; after: ${loadAfter.map((x) => x.toFixed(2)).join(' / ')}.`,
    '',
    '## 20 runs at once, then cancel all',
    '',
    `20 streaming runs (400 deltas each, 25 ms apart) started together; all cancelled after 1.5 s. ${cancelled}/20 ended as cancelled, ${withReasoning}/20 kept their partial reasoning; the last one settled ${settledMs.toFixed(0)} ms after the cancel (${((cancelAt - started) / 1000).toFixed(1)} s after the start).`,
    '',
    '## 200 runs in a row',
    '',
    `${ok}/200 finished with the parsed answer, in ${rowSeconds.toFixed(1)} s (${((rowSeconds * 1000) / 200).toFixed(0)} ms a run). The panel posted ${posted()} messages in all. The panel keeps its last 20 runs by design.`,
    '',
    '## Heap and handles',
    '',
    'Heap is `heapUsed` after two full GCs; handles are `process.getActiveResourcesInfo()` after 200 ms of quiet.',
    '',
    `| point | heap (MiB) | ${kinds.join(' | ')} |`,
    `|---|---|${kinds.map(() => '---').join('|')}|`,
    ...all.map((s) => `| ${s.label} | ${s.heapMiB.toFixed(1)} | ${kinds.map((k) => s.handles[k] ?? 0).join(' | ')} |`),
    '',
    `Heap growth from before to after 200 in a row: ${(series.at(-1)!.heapMiB - before.heapMiB).toFixed(1)} MiB; from 50 to 200 in a row: ${(series.at(-1)!.heapMiB - series[0]!.heapMiB).toFixed(1)} MiB.`,
    '',
  ].join('\n');
  writeFileSync(join('bench', 'results', 'load.md'), table);
  process.stdout.write(`${table}\n`);
}

main().catch((err: unknown) => {
  process.stderr.write(`load bench: ${err instanceof Error ? err.stack : String(err)}\n`);
  process.exit(1);
});
