// Runs llama.cpp's own `llama-server` (built by scripts/llamaServer.mjs) on a model file, for tests
// that talk to a real OpenAI-compatible server: its own chat templates, reasoning parser, grammar
// constraints and context limits, not a replay of them.
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { cpus, tmpdir } from 'node:os';
import { join } from 'node:path';
import { writeScriptedModel, type ScriptedModelInfo } from './gguf/scriptedModel';

export interface LlamaServerBuildInfo {
  readonly server: string;
  readonly env: NodeJS.ProcessEnv;
}

export interface RunningLlamaServer {
  /** `http://127.0.0.1:PORT/v1`, what `--base-url` takes. */
  readonly baseUrl: string;
  /** `http://127.0.0.1:PORT`, for the server's own endpoints (`/props`, `/slots`). */
  readonly origin: string;
  /** Everything the server logged so far. */
  log(): string;
  /**
   * How many completion tasks reached the model: llama-server logs "processing task" when a slot
   * takes one, including a prompt it then rejects as too long for its context.
   */
  completionTasks(): number;
  stop(): Promise<void>;
}

export interface LlamaServerOptions {
  /** `--ctx-size`. */
  readonly contextSize?: number;
  /** `--reasoning-format`: `deepseek` (and `auto`) split into `reasoning_content`, `none` leaves tags in content, `deepseek-legacy` does both when streaming. */
  readonly reasoningFormat?: 'deepseek' | 'deepseek-legacy' | 'none' | 'auto';
  readonly extraArgs?: readonly string[];
  /**
   * Start a router instead (`--models-dir`, no `--model`): it offers every GGUF in the folder by its
   * file name and loads one on demand (tools/server/server-models.cpp).
   */
  readonly modelsDir?: string;
}

/** Finds (never builds) the cached llama-server; the test layer built it before the tests ran. */
export async function cachedLlamaServer(): Promise<LlamaServerBuildInfo> {
  const { findLlamaServer } = await import('../../scripts/llamaServer.mjs');
  const build = findLlamaServer();
  if (!build) throw new Error('llama-server is not built; run `node scripts/llamaServer.mjs` (or `node scripts/test.mjs llamaserver`)');
  return build;
}

export async function startLlamaServer(
  build: LlamaServerBuildInfo,
  modelPath: string,
  options: LlamaServerOptions = {},
): Promise<RunningLlamaServer> {
  // One thread each: a tiny model is fastest that way on a shared two-core machine.
  const threads = String(Math.max(1, Math.min(2, cpus().length - 1)));
  const args = [
    ...(options.modelsDir ? ['--models-dir', options.modelsDir] : ['--model', modelPath]),
    '--host',
    '127.0.0.1',
    '--port',
    '0',
    '--ctx-size',
    String(options.contextSize ?? 4096),
    '--parallel',
    '1',
    '--threads',
    threads,
    '--threads-batch',
    threads,
    '--jinja',
    '--reasoning-format',
    options.reasoningFormat ?? 'deepseek',
    ...(options.extraArgs ?? []),
  ];
  const child = spawn(build.server, args, { env: build.env, stdio: ['ignore', 'pipe', 'pipe'], detached: process.platform !== 'win32' });
  let output = '';
  child.stdout!.on('data', (d) => (output += d));
  child.stderr!.on('data', (d) => (output += d));
  const exited = new Promise<number | null>((resolve) => child.on('close', (code) => resolve(code)));
  let stopped = false;
  const stop = async () => {
    if (stopped) return;
    stopped = true;
    killGroup(child, 'SIGTERM');
    const timer = setTimeout(() => killGroup(child, 'SIGKILL'), 5000);
    await exited;
    clearTimeout(timer);
  };
  process.once('exit', () => killGroup(child, 'SIGKILL'));

  try {
    const origin = await waitForListening(() => output, exited);
    await waitForHealth(origin, () => output, exited);
    return {
      baseUrl: `${origin}/v1`,
      origin,
      log: () => output,
      completionTasks: () => (output.match(/processing task/g) ?? []).length,
      stop,
    };
  } catch (error) {
    await stop();
    throw error;
  }
}

function killGroup(child: ChildProcess, signal: NodeJS.Signals): void {
  if (!child.pid || child.exitCode !== null) return;
  try {
    process.kill(process.platform === 'win32' ? child.pid : -child.pid, signal);
  } catch {
    // already gone
  }
}

const STARTUP_MS = 60_000;

async function waitForListening(output: () => string, exited: Promise<number | null>): Promise<string> {
  const deadline = Date.now() + STARTUP_MS;
  let code: number | null | undefined;
  void exited.then((c) => (code = c ?? -1));
  while (Date.now() < deadline) {
    const match = /listening on (http:\/\/127\.0\.0\.1:\d+)/.exec(output());
    if (match) return match[1]!;
    if (code !== undefined) throw new Error(`llama-server exited (${code}) before listening:\n${tail(output())}`);
    await sleep(100);
  }
  throw new Error(`llama-server did not listen within ${STARTUP_MS / 1000} s:\n${tail(output())}`);
}

async function waitForHealth(origin: string, output: () => string, exited: Promise<number | null>): Promise<void> {
  const deadline = Date.now() + STARTUP_MS;
  let code: number | null | undefined;
  void exited.then((c) => (code = c ?? -1));
  while (Date.now() < deadline) {
    if (code !== undefined) throw new Error(`llama-server exited (${code}) while loading the model:\n${tail(output())}`);
    try {
      const response = await fetch(`${origin}/health`);
      if (response.ok) return;
    } catch {
      // not yet
    }
    await sleep(200);
  }
  throw new Error(`llama-server did not become healthy within ${STARTUP_MS / 1000} s:\n${tail(output())}`);
}

function tail(text: string): string {
  return text.split('\n').slice(-30).join('\n');
}

function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

/** The file the llama-server tests review: an off-by-one loop bound. */
export const SUM_SOURCE = [
  'export function sum(items: number[]): number {',
  '  let total = 0;',
  '  for (let i = 0; i <= items.length; i++) {',
  '    total += items[i];',
  '  }',
  '  return total;',
  '}',
  '',
].join('\n');

export interface ScriptedLlamaServers<K extends string> {
  /** A fresh temporary folder holding `sum.ts` and the model; `stop()` removes it. */
  readonly dir: string;
  /** `dir/sum.ts`, with SUM_SOURCE. */
  readonly file: string;
  readonly model: ScriptedModelInfo;
  readonly servers: Record<K, RunningLlamaServer>;
  /** Stops every server and removes the folder. */
  stop(): Promise<void>;
}

/**
 * The llama-server tests' start-up: a temporary folder with SUM_SOURCE and the scripted model
 * (test/support/gguf), and one llama-server on that model for each entry of `servers`, started
 * together. If one fails to start, the others are stopped and the folder removed.
 */
export async function startScriptedLlamaServers<K extends string>(
  prefix: string,
  servers: Record<K, LlamaServerOptions>,
): Promise<ScriptedLlamaServers<K>> {
  const dir = mkdtempSync(join(tmpdir(), prefix));
  const file = join(dir, 'sum.ts');
  writeFileSync(file, SUM_SOURCE);
  const started: RunningLlamaServer[] = [];
  const stop = async () => {
    await Promise.all(started.map((s) => s.stop()));
    rmSync(dir, { recursive: true, force: true });
  };
  try {
    const model = await writeScriptedModel(join(dir, 'scripted-r1.gguf'));
    const build = await cachedLlamaServer();
    const names = Object.keys(servers) as K[];
    const running = await Promise.all(
      names.map(async (name) => {
        const server = await startLlamaServer(build, model.path, servers[name]);
        started.push(server);
        return server;
      }),
    );
    return {
      dir,
      file,
      model,
      servers: Object.fromEntries(names.map((name, i) => [name, running[i]!])) as Record<K, RunningLlamaServer>,
      stop,
    };
  } catch (error) {
    await stop();
    throw error;
  }
}
