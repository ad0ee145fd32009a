// Ollama reload benchmark (issue 22 item 2): the built CLI, as a separate process, against the
// Ollama replay server, whose scheduler charges a reload delay whenever a chat's `num_ctx` differs
// from the loaded runner's window, as Ollama's does (server/sched.go, needsReload: the runner's
// options are compared with reflect.DeepEqual, `num_ctx` among them; test/support/ollamaServer.ts
// `schedule`). Counts the loads and reloads of a review in three parts with three samples and of the
// other cases below, and times each run against the same run with no reload cost (the reference).
//
//   node --import tsx bench/ollamaReloads.ts [--cli path/to/cli.js] [--out file.md]
//
// `--cli` runs another build of the CLI (e.g. one built from an older commit) against the same
// server, to show what changed.

import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { cpus, loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { sourceWithLoops } from '../test/support/longSource';
import { startOllamaServer, type OllamaServer } from '../test/support/ollamaServer';

/** What one reload costs here: a stand-in for an 8B model's seconds to tens of seconds. */
const RELOAD_MS = 1500;
const REPEATS = 3;
const SMALL = 'r1-small:7b';
const SMALL_MAXIMUM = 16_384;
const LARGE = 'deepseek-r1:8b';

const root = join(__dirname, '..');
const flag = (name: string) => {
  const at = process.argv.indexOf(name);
  return at >= 0 ? process.argv[at + 1] : undefined;
};
const CLI = flag('--cli') ?? join(root, 'dist', 'cli.js');
const OUT = flag('--out') ?? join(root, 'bench', 'results', 'ollama-reloads.md');

interface Scenario {
  readonly name: string;
  /** What Ollama has loaded before the run. */
  readonly loaded: Record<string, number>;
  /** Runs one after another against the same server (a later one in a new process). */
  readonly runs: readonly { file: 'long' | 'short'; model: string; samples: number }[];
}

const SCENARIOS: readonly Scenario[] = [
  {
    name: "3-part review, 3 samples; the model loaded at Ollama's 4,096 default",
    loaded: { [SMALL]: 4096 },
    runs: [{ file: 'long', model: SMALL, samples: 3 }],
  },
  { name: '3-part review, 3 samples; the model not loaded', loaded: {}, runs: [{ file: 'long', model: SMALL, samples: 3 }] },
  {
    name: 'one-request review, 3 samples; Ollama loaded the model at 32,768 on its own (24 GiB of VRAM or more)',
    loaded: { [LARGE]: 32_768 },
    runs: [{ file: 'short', model: LARGE, samples: 3 }],
  },
  {
    name: 'a 3-part review, then a short file in a new process (the model stays loaded)',
    loaded: {},
    runs: [
      { file: 'long', model: SMALL, samples: 1 },
      { file: 'short', model: SMALL, samples: 1 },
    ],
  },
];

function cli(args: readonly string[]): Promise<{ code: number | null; stderr: string }> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [CLI, ...args], { env: { PATH: process.env.PATH }, stdio: ['ignore', 'ignore', 'pipe'] });
    let stderr = '';
    child.stderr.on('data', (d) => (stderr += d));
    child.on('error', reject);
    child.on('close', (code) => resolve({ code, stderr }));
  });
}

interface Measured {
  loads: number;
  reloads: number;
  chats: number;
  windows: number[];
  seconds: number;
}

async function measure(scenario: Scenario, files: Record<'long' | 'short', string>, reloadDelayMs: number): Promise<Measured> {
  const server: OllamaServer = await startOllamaServer({
    models: { [SMALL]: { contextLength: SMALL_MAXIMUM }, [LARGE]: { contextLength: 131_072 } },
    loaded: scenario.loaded,
    reloadDelayMs,
  });
  try {
    const started = performance.now();
    for (const run of scenario.runs) {
      const args = ['review', files[run.file], '--backend', 'ollama', '--base-url', server.root, '--model', run.model];
      const result = await cli([...args, '--samples', String(run.samples), '--format', 'json', '--no-cache']);
      if (result.code !== 0) throw new Error(`the CLI failed (${result.code}): ${result.stderr}`);
    }
    const seconds = (performance.now() - started) / 1000;
    return {
      loads: server.loads.length,
      reloads: server.loads.filter((l) => l.reload).length,
      chats: server.chats.length,
      windows: [...new Set(server.chats.map((c) => c.requestedNumCtx ?? 0))],
      seconds,
    };
  } finally {
    await server.close();
  }
}

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;

async function main(): Promise<void> {
  const dir = mkdtempSync(join(tmpdir(), 'thinklens-reload-bench-'));
  const files = { long: join(dir, 'long.ts'), short: join(dir, 'short.ts') };
  writeFileSync(files.long, sourceWithLoops(1500, [11, 1491]));
  writeFileSync(files.short, sourceWithLoops(120, [11]));
  const loadBefore = loadavg();
  const started = Date.now();
  const rows: string[] = [];
  try {
    for (const scenario of SCENARIOS) {
      const charged: Measured[] = [];
      const free: Measured[] = [];
      for (let i = 0; i < REPEATS; i++) {
        // Interleaved, so a change in the machine's load hits both alike.
        charged.push(await measure(scenario, files, RELOAD_MS));
        free.push(await measure(scenario, files, 0));
      }
      const first = charged[0]!;
      const ratios = charged.map((c, i) => c.seconds / free[i]!.seconds);
      const seconds = charged.map((c) => c.seconds);
      const reference = free.map((f) => f.seconds);
      rows.push(
        `| ${scenario.name} | ${first.chats} | ${first.loads} | **${first.reloads}** | ${first.windows.join(', ')} | ` +
          `${median(seconds).toFixed(2)} (${Math.min(...seconds).toFixed(2)}–${Math.max(...seconds).toFixed(2)}) | ` +
          `${median(reference).toFixed(2)} (${Math.min(...reference).toFixed(2)}–${Math.max(...reference).toFixed(2)}) | ` +
          `${median(ratios).toFixed(2)} (${Math.min(...ratios).toFixed(2)}–${Math.max(...ratios).toFixed(2)}) |`,
      );
      console.log(rows.at(-1));
    }
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
  const loadAfter = loadavg();
  const table = [
    '| case | chats | loads | reloads | `num_ctx` sent | seconds, reload costs 1.5 s: median (min–max) | seconds, reloads free (reference) | ratio |',
    '|---|---|---|---|---|---|---|---|',
    ...rows,
  ].join('\n');
  const text = [
    '# Ollama reload benchmark',
    '',
    `\`node --import tsx bench/ollamaReloads.ts\` on ${new Date().toISOString().slice(0, 10)}: ${cpus().length} cores (${cpus()[0]?.model.trim()}), shared with other work; Node ${process.version}.`,
    `Load average (1/5/15 min) before: ${loadBefore.map((l) => l.toFixed(2)).join(' / ')}; after: ${loadAfter.map((l) => l.toFixed(2)).join(' / ')}. Whole run: ${Math.round((Date.now() - started) / 1000)} s. CLI: \`${CLI.replace(root, '.')}\`.`,
    '',
    `The built CLI (\`thinklens review <file> --backend ollama --samples N --no-cache\`) against the Ollama replay server (test/support/ollamaServer.ts) on loopback. Its scheduler does what Ollama's does (server/sched.go, needsReload): a chat whose \`num_ctx\` differs from the loaded runner's window reloads the model, and each load here costs ${RELOAD_MS / 1000} s (a stand-in: an 8B model takes seconds to tens of seconds). \`/api/ps\` lists the loaded model with its \`context_length\`. The small model's maximum is ${SMALL_MAXIMUM.toLocaleString('en-US')} tokens, so the 1,500-line file is reviewed in three overlapping parts; the large model's is 131,072. A load of a model that was not loaded is a load, not a reload. Each case ran ${REPEATS} times with the reload cost and ${REPEATS} times without it, interleaved; the ratio is charged ÷ free, per pair. The counts are the same in every repeat.`,
    '',
    table,
    '',
  ].join('\n');
  writeFileSync(OUT, text);
  console.log(`wrote ${OUT}`);
}

void main().catch((error: unknown) => {
  console.error(error);
  process.exit(1);
});
