// Benchmark (not a test): the local backend on a random-weight model with the shape of
// DeepSeek-R1-Distill-Qwen-1.5B (Q8_0, 1.9 GB; test/support/gguf/randomModel.ts), beside plain
// node-llama-cpp with its default threads and with threads set to the core count. Reports load
// time, time to first token cold (first run after the load) and warm (the same request again),
// generation speed and peak RSS; writes bench/results/local.md.
//
//   node --import tsx bench/localBench.ts            # about 4 minutes on 2 cores
//   node --import tsx bench/localBench.ts --tokens 24
//
// Two phases:
// 1. Each configuration in its own child process (load, a cold run, a warm run), so its load,
//    cold start and peak RSS are its own.
// 2. One process holding both fast configurations (the backend and plain node-llama-cpp with
//    threads = cores) on the same model file, alternating warm runs, for a speed comparison that a
//    neighbour's burst of work hits equally. This machine is shared: phase 1's single runs can be
//    slowed several times over by other work, so compare speeds with phase 2.
// Ratios are against the same run's plain node-llama-cpp with its defaults.
import { execFile, execFileSync } from 'node:child_process';
import { writeFileSync, readFileSync, statSync } from 'node:fs';
import { availableParallelism, cpus, loadavg } from 'node:os';
import { join } from 'node:path';
import type { ChatHistoryItem } from 'node-llama-cpp';
import { createLocalBackend } from '../src/core/backends/local';
import { ensureRandomModel, RANDOM_SHAPES } from '../test/support/gguf/randomModel';

const CONFIGS = ['thinklens', 'plain-cores', 'plain-default'] as const;
type ConfigName = (typeof CONFIGS)[number];

const LABELS: Record<ConfigName, string> = {
  thinklens: 'ThinkLens local backend (threads = cores)',
  'plain-cores': 'plain node-llama-cpp, threads = cores',
  'plain-default': 'plain node-llama-cpp, library defaults',
};

/** A short review request: the prompt's size sets the cold TTFT, and the default-thread run must finish. */
const PROMPT =
  'Review this JavaScript for bugs and answer with findings:\n' +
  'function total(items) {\n  let sum = 0;\n  for (let i = 0; i <= items.length; i++) {\n    sum += items[i].price;\n  }\n  return sum;\n}';
/** A run that has not finished by then is stopped and reported with what it produced. */
const RUN_LIMIT_MS = 40_000;
/** Phase 2: warm runs per configuration, alternating. */
const ROUNDS = 4;

interface RunFigures {
  ttftMs: number;
  tokens: number;
  /** Generated tokens per second after the first token. */
  tokensPerSecond: number;
  stoppedAtLimit: boolean;
}

interface ConfigResult {
  config: ConfigName;
  threads: number;
  loadMs: number;
  cold: RunFigures;
  warm: RunFigures;
  peakRssMiB: number;
  promptTokens: number;
}

interface AlternateResult {
  thinklens: number[];
  plain: number[];
}

/** A loaded configuration that can run the request again and again. */
interface Session {
  readonly threads: number;
  readonly loadMs: number;
  readonly promptTokens: () => number;
  run(): Promise<RunFigures>;
  close(): Promise<void>;
}

function argValue(name: string): string | undefined {
  const i = process.argv.indexOf(name);
  return i >= 0 ? process.argv[i + 1] : undefined;
}

const maxTokens = Number(argValue('--tokens') ?? 16);

// ---- children ----

async function openThinkLens(modelPath: string): Promise<Session> {
  const backend = createLocalBackend({ modelPath, contextSize: 2048, idleUnloadSeconds: 600 });
  // Load counts from the import of node-llama-cpp, which the backend does on its first run.
  const started = performance.now();
  const lease = await backend.host.acquire(new AbortController().signal);
  lease.release();
  const loadMs = performance.now() - started;
  let promptTokens = 0;
  return {
    threads: backend.host.threads,
    loadMs,
    promptTokens: () => promptTokens,
    async run() {
      const controller = new AbortController();
      const limit = setTimeout(() => controller.abort(), RUN_LIMIT_MS);
      const t0 = performance.now();
      let first: number | undefined;
      let tokens = 0;
      let tokensPerSecond = 0;
      try {
        for await (const event of backend.stream(
          { messages: [{ role: 'user', content: PROMPT }], maxTokens, seed: 1 },
          controller.signal,
        )) {
          if ((event.kind === 'reasoning' || event.kind === 'answer') && first === undefined) first = performance.now() - t0;
          if (event.kind === 'usage') {
            tokens = event.usage.completionTokens;
            tokensPerSecond = event.usage.tokensPerSecond ?? 0;
            promptTokens = event.usage.promptTokens;
          }
        }
      } catch {
        // Stopped at the limit: the figures so far stand.
      } finally {
        clearTimeout(limit);
      }
      return { ttftMs: first ?? NaN, tokens, tokensPerSecond, stoppedAtLimit: controller.signal.aborted };
    },
    close: () => backend.dispose(),
  };
}

async function openPlain(modelPath: string, threads: number | undefined): Promise<Session> {
  const started = performance.now();
  const lib = await import('node-llama-cpp');
  // What a user of the library writes: getLlama(), loadModel(), createContext(), a chat.
  const llama = await lib.getLlama(threads ? { maxThreads: threads } : {});
  const model = await llama.loadModel({ modelPath });
  const context = await model.createContext(threads ? { threads, contextSize: 2048 } : { contextSize: 2048 });
  const loadMs = performance.now() - started;
  const sequence = context.getSequence();
  const history: ChatHistoryItem[] = [{ type: 'user', text: PROMPT }];
  return {
    threads: context.idealThreads,
    loadMs,
    promptTokens: () =>
      // As the chat template renders it, like the backend's count.
      lib
        .resolveChatWrapper(model)
        .generateContextState({ chatHistory: [...history, { type: 'model', response: [] }] })
        .contextText.tokenize(model.tokenizer).length,
    async run() {
      const chat = new lib.LlamaChat({ contextSequence: sequence });
      const controller = new AbortController();
      const limit = setTimeout(() => controller.abort(), RUN_LIMIT_MS);
      const t0 = performance.now();
      let first: number | undefined;
      let last = 0;
      let tokens = 0;
      try {
        await chat.generateResponse(history, {
          maxTokens,
          temperature: 0.6,
          topP: 0.95,
          seed: 1,
          signal: controller.signal,
          stopOnAbortSignal: true,
          onResponseChunk: (chunk) => {
            if (chunk.tokens.length === 0) return;
            tokens += chunk.tokens.length;
            last = performance.now() - t0;
            first ??= last;
          },
        });
      } catch {
        // Aborted before the first token: nothing to count.
      } finally {
        clearTimeout(limit);
        chat.dispose({ disposeSequence: false });
      }
      const seconds = first === undefined ? 0 : (last - first) / 1000;
      return {
        ttftMs: first ?? NaN,
        tokens,
        tokensPerSecond: tokens > 1 && seconds > 0 ? (tokens - 1) / seconds : 0,
        stoppedAtLimit: controller.signal.aborted,
      };
    },
    async close() {
      await context.dispose();
      await model.dispose();
      await llama.dispose();
    },
  };
}

async function child(config: ConfigName, modelPath: string): Promise<void> {
  const session =
    config === 'thinklens'
      ? await openThinkLens(modelPath)
      : await openPlain(modelPath, config === 'plain-cores' ? availableParallelism() : undefined);
  const cold = await session.run();
  const warm = await session.run();
  const result: ConfigResult = {
    config,
    threads: session.threads,
    loadMs: session.loadMs,
    cold,
    warm,
    promptTokens: session.promptTokens(),
    peakRssMiB: process.resourceUsage().maxRSS / 1024,
  };
  await session.close();
  process.stdout.write(`${JSON.stringify(result)}\n`);
}

async function alternate(modelPath: string): Promise<void> {
  const thinklens = await openThinkLens(modelPath);
  const plain = await openPlain(modelPath, availableParallelism());
  // First runs evaluate the prompt; the rounds measure warm generation.
  await thinklens.run();
  await plain.run();
  const result: AlternateResult = { thinklens: [], plain: [] };
  for (let round = 0; round < ROUNDS; round++) {
    // A B, then B A, so neither always runs right after the other.
    const order = round % 2 === 0 ? (['thinklens', 'plain'] as const) : (['plain', 'thinklens'] as const);
    for (const which of order) result[which].push((await (which === 'thinklens' ? thinklens : plain).run()).tokensPerSecond);
  }
  await thinklens.close();
  await plain.close();
  process.stdout.write(`${JSON.stringify(result)}\n`);
}

// ---- parent: both phases, then the table ----

function runChild<T>(args: string[], label: string): Promise<T> {
  return new Promise((resolve, reject) => {
    execFile(
      process.execPath,
      ['--import', 'tsx', __filename, ...args, '--tokens', String(maxTokens)],
      { timeout: 8 * RUN_LIMIT_MS, maxBuffer: 1 << 20 },
      (error, stdout, stderr) => {
        const line = stdout.trim().split('\n').pop() ?? '';
        if (error && !line.startsWith('{')) return reject(new Error(`${label} failed: ${error.message}\n${stderr.slice(-2000)}`));
        try {
          resolve(JSON.parse(line) as T);
        } catch {
          reject(new Error(`${label} printed no result:\n${stdout.slice(-1000)}\n${stderr.slice(-2000)}`));
        }
      },
    );
  });
}

const s = (ms: number): string => (Number.isFinite(ms) ? (ms / 1000).toFixed(2) : '—');
const rate = (r: RunFigures): string =>
  `${r.tokensPerSecond.toFixed(2)}${r.stoppedAtLimit ? ` (stopped at ${RUN_LIMIT_MS / 1000} s, ${r.tokens} tokens)` : ''}`;
const ratio = (a: number, b: number): string => (b > 0 && a > 0 ? `${(a / b).toFixed(2)}×` : '—');
const median = (xs: readonly number[]): number => {
  const sorted = [...xs].sort((a, b) => a - b);
  const mid = Math.floor(sorted.length / 2);
  return sorted.length % 2 ? sorted[mid] : (sorted[mid - 1] + sorted[mid]) / 2;
};

async function parent(): Promise<void> {
  const load = (): string =>
    loadavg()
      .map((l) => l.toFixed(2))
      .join(' / ');
  const loadBefore = load();
  const started = Date.now();
  const modelPath = await ensureRandomModel('qwen2-1.5b');
  const results: ConfigResult[] = [];
  for (const config of CONFIGS) {
    process.stderr.write(`${config}…\n`);
    const result = await runChild<ConfigResult>(['--child', config, '--model', modelPath], config);
    process.stderr.write(`${JSON.stringify(result)}\n`);
    results.push(result);
  }
  process.stderr.write('alternating…\n');
  const alt = await runChild<AlternateResult>(['--alternate', '--model', modelPath], 'alternating runs');
  process.stderr.write(`${JSON.stringify(alt)}\n`);
  const loadAfter = load();

  const reference = results.find((r) => r.config === 'plain-default')!;
  const cpu = cpus()[0]?.model ?? 'unknown CPU';
  const version = JSON.parse(readFileSync(join(__dirname, '../node_modules/node-llama-cpp/package.json'), 'utf8')).version as string;
  const shape = RANDOM_SHAPES['qwen2-1.5b'];
  const size = statSync(modelPath).size;
  const date = new Date().toISOString().slice(0, 10);
  let os: string;
  try {
    os = execFileSync('sh', ['-c', '. /etc/os-release && echo "$PRETTY_NAME"'], { encoding: 'utf8' }).trim();
  } catch {
    os = process.platform;
  }

  const rows = results.map((r) =>
    [
      LABELS[r.config],
      r.threads,
      s(r.loadMs),
      s(r.cold.ttftMs),
      s(r.warm.ttftMs),
      rate(r.warm),
      ratio(r.warm.tokensPerSecond, reference.warm.tokensPerSecond),
      ratio(reference.cold.ttftMs, r.cold.ttftMs),
      r.peakRssMiB.toFixed(0),
    ].join(' | '),
  );
  const list = (xs: readonly number[]): string => xs.map((x) => x.toFixed(2)).join(', ');
  const thinklensMedian = median(alt.thinklens);
  const plainMedian = median(alt.plain);
  const markdown = `# Local backend benchmark

\`node --import tsx bench/localBench.ts\` on ${date}: ${availableParallelism()} cores (${cpu}), shared with other work; ${os}; Node ${process.version}; node-llama-cpp ${version}, CPU build (no GPU on this machine).

Model: random weights with the shape of DeepSeek-R1-Distill-Qwen-1.5B (\`qwen2\`, ${shape.embedding} wide, ${shape.layers} layers, ${shape.heads} heads / ${shape.kvHeads} KV heads, FFN ${shape.ffn}, full ${shape.vocab.toLocaleString('en-US')}-token vocabulary, untied output), Q8_0, ${(size / 1e9).toFixed(2)} GB, written by \`test/support/gguf/randomModel.ts\`. Its words are noise, but every matrix has the real size, so the speed is the real model's at Q8_0.
Request: a ${results[0].promptTokens}-token review prompt (as the chat template renders it), then ${maxTokens} generated tokens, context 2,048, temperature 0.6, seed 1.
Load average (1/5/15 min) before: ${loadBefore}; after: ${loadAfter}. Whole run: ${Math.round((Date.now() - started) / 1000)} s.

## Each configuration in its own process

Load, a cold run (the first after loading), then the same request again (warm). One run each: on this shared machine a single run can be slowed several times over by other work, so read speeds from the next table.

| configuration | threads | load (s) | TTFT cold (s) | TTFT warm (s) | tokens/s (warm) | tokens/s vs library defaults | cold TTFT vs library defaults | peak RSS (MiB) |
|---|---|---|---|---|---|---|---|---|
${rows.map((r) => `| ${r} |`).join('\n')}

## Generation speed, alternating in one process

Both fast configurations loaded on the same model file in one process; ${ROUNDS} warm runs each, alternating (A B, B A, ...), so interference from other work falls on both alike.

| configuration | tokens/s, median of ${ROUNDS} | every run | vs plain node-llama-cpp, threads = cores | vs library defaults (above) |
|---|---|---|---|---|
| ${LABELS.thinklens} | ${thinklensMedian.toFixed(2)} | ${list(alt.thinklens)} | ${ratio(thinklensMedian, plainMedian)} | ${ratio(thinklensMedian, reference.warm.tokensPerSecond)} |
| ${LABELS['plain-cores']} | ${plainMedian.toFixed(2)} | ${list(alt.plain)} | 1.00× | ${ratio(plainMedian, reference.warm.tokensPerSecond)} |

Notes:
- "library defaults" is \`getLlama()\` and \`createContext()\` with no thread settings: node-llama-cpp then uses at least 4 threads, more than this machine's ${availableParallelism()} cores, and the threads spin waiting for each other. ThinkLens sets threads to \`os.availableParallelism()\` (or \`thinklens.local.threads\`). The backend and plain node-llama-cpp with threads = cores run the same llama.cpp the same way, so their speeds should match; the backend's own work per token (event queue, segment handling) is what a gap would show.
- Load = importing node-llama-cpp (about 1 s) + starting the llama.cpp runtime (node-llama-cpp first checks its prebuilt binary in a child process, about 2 s here) + mapping the model + creating the context. The backend's load also picks the chat wrapper and builds the answer grammar. The backend keeps the runtime and the model between runs, so only the first run pays the load (and the first after an idle unload pays the model part).
- TTFT is from the request to the first generated token; cold includes evaluating the whole prompt. A warm TTFT far below the cold one means the second identical request reused the evaluated prompt in the context sequence.
- Tokens/s is the generation rate after the first token (the backend's \`usage.tokensPerSecond\`), over ${maxTokens} tokens; the backend's tokens are reasoning tokens (the random model never closes \`<think>\`).
- Peak RSS is each child process's \`maxRSS\`: the model is memory-mapped, so its pages count once touched.
`;
  const out = join(__dirname, 'results', 'local.md');
  writeFileSync(out, markdown);
  process.stdout.write(markdown);
  process.stderr.write(`wrote ${out}\n`);
}

function fail(error: unknown): void {
  process.stderr.write(`${error instanceof Error ? error.stack : String(error)}\n`);
  process.exitCode = 1;
}

if (process.argv.includes('--child')) child(argValue('--child') as ConfigName, argValue('--model')!).catch(fail);
else if (process.argv.includes('--alternate')) alternate(argValue('--model')!).catch(fail);
else parent().catch(fail);
