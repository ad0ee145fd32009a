// Scale-out benchmark: the built CLI, as a separate process, fans a folder of files out to the
// replay server standing in for a vLLM/SGLang deployment behind one base URL. The server answers
// each request in a fixed time and serves at most SERVER_LIMIT at once (one more gets 429 with
// Retry-After: 1, as a gateway in front of a deployment does). Files per minute at --concurrency
// 1, 4, 16 and 64, beside the ideal: latency × files ÷ concurrency, with the concurrency capped at
// the server's limit (nothing can beat the server). Throughput is timed from the first request the
// server receives to the last byte it writes, so the CLI's start-up (node, the bundle) is left out.
//
//   node --import tsx bench/scaleout.ts        writes bench/results/scaleout.md

import { execFileSync, spawn } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { cpus, loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { deepseekStream, startReplayServer, type ReplayServer } from '../test/support/replayServer';

const SERVER_LIMIT = 32;
/** Per-request service time: 20 pieces of the stream, 25 ms apart. */
const PIECES = 20;
const PIECE_DELAY_MS = 25;
const ROWS = [
  { concurrency: 1, files: 16 },
  { concurrency: 4, files: 64 },
  { concurrency: 16, files: 192 },
  { concurrency: 64, files: 384 },
];

const root = join(__dirname, '..');
const CLI = join(root, 'dist', 'cli.js');

function makeFiles(count: number): string {
  const dir = mkdtempSync(join(tmpdir(), 'thinklens-scaleout-'));
  for (let i = 0; i < count; i++) {
    const name = `f${String(i).padStart(4, '0')}.ts`;
    writeFileSync(
      join(dir, name),
      `export function f${i}(items: number[]): number {\n  let total = 0;\n  for (let j = 0; j <= items.length; j++) total += items[j];\n  return total;\n}\n`,
    );
  }
  return dir;
}

function runCli(cwd: string, server: ReplayServer, concurrency: number): Promise<{ code: number | null; stderr: string }> {
  return new Promise((resolve, reject) => {
    const child = spawn(
      process.execPath,
      [
        CLI,
        'review',
        '.',
        '--base-url',
        server.baseUrl,
        '--model',
        'bench',
        '--concurrency',
        String(concurrency),
        '--format',
        'json',
        '--no-cache',
      ],
      {
        cwd,
        env: { PATH: process.env.PATH },
        stdio: ['ignore', 'ignore', 'pipe'],
      },
    );
    let stderr = '';
    child.stderr.on('data', (d) => (stderr += d));
    child.on('error', reject);
    child.on('close', (code) => resolve({ code, stderr }));
  });
}

interface Row {
  concurrency: number;
  files: number;
  seconds: number;
  filesPerMinute: number;
  idealPerMinute: number;
  turnedAway: number;
  peakInFlight: number;
  /** Mean time the server took per served request. */
  serviceMs: number;
}

async function measure(concurrency: number, files: number): Promise<Row> {
  const server = await startReplayServer({
    maxInFlight: SERVER_LIMIT,
    busyRetryAfterSeconds: 1,
    defaultResponse: deepseekStream({
      model: 'bench',
      reasoning: 'Checking the loop bound. '.repeat(8),
      answer: 'No problems.\n\n```json\n{"summary": "ok", "findings": []}\n```\n',
      pieces: PIECES,
      delayMs: PIECE_DELAY_MS,
    }),
  });
  const dir = makeFiles(files);
  try {
    const result = await runCli(dir, server, concurrency);
    if (result.code !== 0) throw new Error(`the CLI failed at concurrency ${concurrency} (exit ${result.code}): ${result.stderr}`);
    const served = server.requests.filter((r) => !r.busy);
    if (served.length !== files) throw new Error(`${served.length} requests served for ${files} files`);
    const first = Math.min(...server.requests.map((r) => r.receivedAt));
    const last = Math.max(...served.map((r) => r.finishedAt ?? 0));
    const seconds = (last - first) / 1000;
    const effective = Math.min(concurrency, SERVER_LIMIT);
    // The latency is what the server took per request in this very run: on a shared machine it
    // grows with the load, and the ideal must use the same latency the CLI met.
    const serviceMs = served.reduce((sum, r) => sum + ((r.finishedAt ?? r.receivedAt) - r.receivedAt), 0) / served.length;
    return {
      concurrency,
      files,
      seconds,
      filesPerMinute: (files / seconds) * 60,
      idealPerMinute: (effective / (serviceMs / 1000)) * 60,
      turnedAway: server.load.turnedAway,
      peakInFlight: server.load.peakInFlight,
      serviceMs,
    };
  } finally {
    await server.close();
    rmSync(dir, { recursive: true, force: true });
  }
}

async function main(): Promise<void> {
  execFileSync(process.execPath, ['esbuild.mjs', 'cli'], { cwd: root, stdio: 'inherit' });
  const loadBefore = loadavg();
  const started = Date.now();
  const rows: Row[] = [];
  for (const { concurrency, files } of ROWS) {
    const row = await measure(concurrency, files);
    rows.push(row);
    process.stdout.write(
      `concurrency ${concurrency}: ${row.filesPerMinute.toFixed(0)} files/min (ideal ${row.idealPerMinute.toFixed(0)}), ${row.turnedAway} turned away\n`,
    );
  }
  const loadAfter = loadavg();
  const cpu = cpus();
  const lines = [
    '# Scale-out benchmark',
    '',
    `\`node --import tsx bench/scaleout.ts\` on ${new Date().toISOString().slice(0, 10)}: ${cpu.length} cores (${cpu[0]?.model.trim()}), shared with other work; Node ${process.version}.`,
    `Load average (1/5/15 min) before: ${loadBefore.map((l) => l.toFixed(2)).join(' / ')}; after: ${loadAfter.map((l) => l.toFixed(2)).join(' / ')}. Whole run: ${((Date.now() - started) / 1000).toFixed(0)} s.`,
    '',
    `The built CLI (\`thinklens review <folder> --concurrency N --no-cache\`) against the replay server on loopback, standing in for a deployment behind one base URL: each request streams ${PIECES} pieces ${PIECE_DELAY_MS} ms apart (${PIECES * PIECE_DELAY_MS} ms on an idle machine), and the server serves at most **${SERVER_LIMIT}** at once; one more gets \`429\` with \`Retry-After: 1\`. Timed from the first request the server receives to the last byte it writes.`,
    '',
    "Ideal = latency × files ÷ concurrency, as files per minute, with the concurrency capped at the server's limit; the latency is the mean time the server took per request in the same row (the table shows it), so the ratio says how well the CLI keeps the server busy.",
    '',
    '| concurrency | files | latency per request (ms) | seconds | files/min | ideal files/min | of ideal | 429s | most in flight at the server |',
    '|---|---|---|---|---|---|---|---|---|',
    ...rows.map(
      (r) =>
        `| ${r.concurrency} | ${r.files} | ${r.serviceMs.toFixed(0)} | ${r.seconds.toFixed(2)} | ${r.filesPerMinute.toFixed(0)} | ${r.idealPerMinute.toFixed(0)} | ${((r.filesPerMinute / r.idealPerMinute) * 100).toFixed(0)}% | ${r.turnedAway} | ${r.peakInFlight} |`,
    ),
    '',
    'Notes:',
    `- Up to the server's limit (1, 4, 16) no request is refused and the CLI keeps that many in flight; the gap to the ideal is the CLI's own work between one file's answer and the next file's request (answer parsing, the next prompt) on a machine whose load average was about ${loadBefore[0]!.toFixed(0)} on ${cpu.length} cores. The latency column shows that load: the same stream takes ${PIECES * PIECE_DELAY_MS} ms on an idle machine.`,
    `- "most in flight at the server" can exceed the concurrency by one: the server counts a response until its last write completes, and the CLI may already have sent the next request.`,
    `- Past the limit (64) the first wave is refused: each \`429\` lowers the CLI's concurrency to the number still in flight, nothing starts before the \`Retry-After\` second has passed, and the refused files go back to the front of the queue. From there the limit grows back by one for every \`limit\` requests that succeed (additive increase, as TCP does), so now and then it probes one past the server's limit, meets another \`429\` and waits another second: the 429s column counts them. How far the first wave drops the limit depends on the order its refusals arrive in, so this row varies more from run to run than the others.`,
  ];
  mkdirSync(join(root, 'bench', 'results'), { recursive: true });
  writeFileSync(join(root, 'bench', 'results', 'scaleout.md'), `${lines.join('\n')}\n`);
  process.stdout.write('wrote bench/results/scaleout.md\n');
}

main().catch((error: unknown) => {
  process.stderr.write(`${error instanceof Error ? error.stack : String(error)}\n`);
  process.exit(1);
});
