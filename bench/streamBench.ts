// Stream path CPU: ThinkLens's OpenAI-compatible backend (the SDK's request, our SSE parsing, the
// reasoning splitter, the events) against a plain loop over the `openai` SDK's own stream, on the
// same 26K-token DeepSeek-shaped stream over loopback. The replay server runs in a child process,
// so this process's CPU time (process.cpuUsage, user + system) is the client's alone. Runs
// alternate (A B, B A, ...) so that other work on the machine falls on both alike.
//
//   node --import tsx bench/streamBench.ts [--pairs 12]
//
// Writes bench/results/stream.md.

import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { cpus, loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import OpenAI from 'openai';
import { startReplayServerProcess } from '../test/support/serverProcess';
import { createOpenAiBackend } from '../src/core/backends/openaiCompatible';
import { PRESETS } from '../src/core/backends/presets';

const { values } = parseArgs({ options: { pairs: { type: 'string', default: '12' } } });
const PAIRS = Number(values.pairs);
// 26K tokens in all; the replay builder cuts reasoning and answer into the same number of deltas.
const REASONING_TOKENS = 13_000;
const ANSWER_TOKENS = 13_000;
const MODEL = 'bench-model';

/** Word-sized pieces like a tokenizer's: one SSE event per token. */
function tokens(n: number, seed: string): string {
  const words = [
    'the',
    ' loop',
    ' bound',
    ' is',
    ' off',
    ' by',
    ' one',
    ',',
    ' so',
    ' items',
    '[i]',
    ' reads',
    ' past',
    ' the',
    ' end',
    '.',
    '\n',
  ];
  let out = '';
  for (let i = 0; i < n; i++) out += words[(i * 7 + seed.length) % words.length];
  return out;
}

async function startServer(dir: string): Promise<{ baseUrl: string; stop: () => void }> {
  // Each event carries one token: `pieces` splits the text into that many deltas.
  const reasoning = tokens(REASONING_TOKENS, 'r');
  const answer = tokens(ANSWER_TOKENS, 'answer');
  const spec = { stream: 'deepseek', model: MODEL, reasoning, answer, pieces: REASONING_TOKENS, chunking: { bytes: 16_384 } };
  const server = await startReplayServerProcess(dir, { default: spec });
  return { baseUrl: server.url, stop: server.stop };
}

interface Sample {
  cpuMs: number;
  wallMs: number;
  chars: number;
  events: number;
}

async function measure(fn: () => Promise<{ chars: number; events: number }>): Promise<Sample> {
  const cpu = process.cpuUsage();
  const started = performance.now();
  const { chars, events } = await fn();
  const used = process.cpuUsage(cpu);
  return { cpuMs: (used.user + used.system) / 1000, wallMs: performance.now() - started, chars, events };
}

const median = (xs: number[]) => {
  const s = [...xs].sort((a, b) => a - b);
  return s.length % 2 ? s[(s.length - 1) / 2]! : (s[s.length / 2 - 1]! + s[s.length / 2]!) / 2;
};

async function main(): Promise<void> {
  const dir = mkdtempSync(join(tmpdir(), 'thinklens-streambench-'));
  const server = await startServer(dir);
  const loadBefore = loadavg();
  const messages = [{ role: 'user' as const, content: 'Review this.' }];

  const client = new OpenAI({ baseURL: server.baseUrl, apiKey: 'bench' });
  const plainSdk = async () => {
    const stream = await client.chat.completions.create({ model: MODEL, messages, stream: true });
    let reasoning = '';
    let answer = '';
    let events = 0;
    for await (const chunk of stream) {
      events++;
      const delta = chunk.choices[0]?.delta as { content?: string | null; reasoning_content?: string | null } | undefined;
      if (delta?.reasoning_content) reasoning += delta.reasoning_content;
      if (delta?.content) answer += delta.content;
    }
    return { chars: reasoning.length + answer.length, events };
  };

  const backend = createOpenAiBackend({ preset: PRESETS['openai-compatible'], baseUrl: server.baseUrl, model: MODEL, hosted: false });
  const thinkLens = async () => {
    let chars = 0;
    let events = 0;
    for await (const event of backend.stream({ messages }, new AbortController().signal)) {
      events++;
      if (event.kind === 'reasoning' || event.kind === 'answer') chars += event.text.length;
    }
    return { chars, events };
  };

  // Warm-up: JIT, connection pool, the SDK's lazy import.
  for (let i = 0; i < 2; i++) {
    await measure(plainSdk);
    await measure(thinkLens);
  }
  const a: Sample[] = [];
  const b: Sample[] = [];
  for (let i = 0; i < PAIRS; i++) {
    if (i % 2 === 0) {
      b.push(await measure(thinkLens));
      a.push(await measure(plainSdk));
    } else {
      a.push(await measure(plainSdk));
      b.push(await measure(thinkLens));
    }
  }
  server.stop();
  rmSync(dir, { recursive: true, force: true });
  // The splitter trims the whitespace that starts the reasoning and the answer: a few characters.
  if (Math.abs(a[0]!.chars - b[0]!.chars) > 4)
    throw new Error(`the two paths read different text: ${a[0]!.chars} vs ${b[0]!.chars} characters`);

  const ratio = median(b.map((s) => s.cpuMs)) / median(a.map((s) => s.cpuMs));
  const pairRatios = b.map((s, i) => s.cpuMs / a[i]!.cpuMs);
  const loadAfter = loadavg();
  const row = (name: string, xs: Sample[], r: string) =>
    `| ${name} | ${median(xs.map((s) => s.cpuMs)).toFixed(0)} | ${median(xs.map((s) => s.wallMs)).toFixed(0)} | ${xs.map((s) => s.cpuMs.toFixed(0)).join(', ')} | ${r} |`;
  const table = [
    '# Stream path benchmark',
    '',
    `\`node --import tsx bench/streamBench.ts --pairs ${PAIRS}\` on ${new Date().toISOString().slice(0, 10)}: ${cpus().length} cores (${cpus()[0]?.model.trim()}), shared with other work; Node ${process.version}.`,
    `Stream: ${REASONING_TOKENS.toLocaleString('en')} reasoning + ${ANSWER_TOKENS.toLocaleString('en')} answer deltas shaped like DeepSeek's (one token per SSE event, ${a[0]!.events.toLocaleString('en')} chunks, ${a[0]!.chars.toLocaleString('en')} characters), from the replay server in a child process over loopback, written in 16 KiB pieces.`,
    `CPU is this process's user + system time for one whole request (the client only). ${PAIRS} alternating pairs after 2 warm-up pairs.`,
    `Load average (1/5/15 min) before: ${loadBefore.map((x) => x.toFixed(2)).join(' / ')}; after: ${loadAfter.map((x) => x.toFixed(2)).join(' / ')}.`,
    '',
    '| path | CPU ms, median | wall ms, median | CPU ms, every run | CPU vs plain SDK loop |',
    '|---|---|---|---|---|',
    row('plain `openai` SDK stream loop (reference)', a, '1.00×'),
    row(
      'ThinkLens backend: SDK request + own SSE parsing + splitter + events',
      b,
      `${ratio.toFixed(2)}× (median of pair ratios ${median(pairRatios).toFixed(2)}×)`,
    ),
    '',
    'The target is at most 1.00× the plain SDK loop. ThinkLens takes the raw response from the SDK (`asResponse()`), decodes it once, parses the SSE with eventsource-parser (linear: an unfinished line is kept as pieces and joined once), and ends at `[DONE]`; the SDK path decodes lines with its own buffer and then parses each event again.',
    '',
  ].join('\n');
  writeFileSync(join('bench', 'results', 'stream.md'), table);
  process.stdout.write(`${table}\n`);
}

main().catch((err: unknown) => {
  process.stderr.write(`stream bench: ${err instanceof Error ? err.stack : String(err)}\n`);
  process.exit(1);
});
