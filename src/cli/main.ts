// `thinklens review|explain`: the engine headless, for terminals and CI.

import { forTerminal, terminalStream } from '../core/terminalText';
import { apiKeyFromEnv, chooseAutoBackend, SETUP_HINT } from '../core/backends/auto';
import { createBackend } from '../core/backends/createBackend';
import { CHANGES_QUESTION, HUNK_CONTEXT, keepNearChanges, withContext } from '../core/diffHunks';
import type { BackendError } from '../core/errors';
import { costOf, mergePriceTable, priceFor, type PriceTable } from '../core/pricing';
import { documentKindOf, PROSE_EXTENSIONS } from '../core/documentKind';
import { startDeadline } from '../core/deadline';
import { prepareRun } from '../core/plannedRun';
import { runReview, type StoredResults } from '../core/review';
import { estimateTokens, ownValue, splitLines } from '../core/text';
import { filterFindings } from '../core/triage';
import { limiter, sumUsage, type Limiter } from '../core/samples';
import type { Backend, BackendConfig, CodeUnderReview, Severity } from '../core/types';
import { parseCommandLine, USAGE, UsageError, type CliRequest } from './args';
import { Baseline } from './baseline';
import { defaultCacheDir, replayed, ResultCache, storable } from './cache';
import type { Skipped } from './files';
import { gitRoot } from './gitScope';
import { collectInputs, type ReviewInput } from './inputs';
import { runQueue, DEFAULT_RETRY_AFTER_MS, type Pushback, type QueueState } from './queue';
import { errorLine, toCodeQuality, toJson, toSarif, toText, type BaselineState, type ReportContext, type RunReport } from './report';
import { terminalHint } from './remedies';

declare const THINKLENS_VERSION: string | undefined;
const VERSION = typeof THINKLENS_VERSION === 'string' ? THINKLENS_VERSION : '0.0.0-dev';

const EXIT_OK = 0;
const EXIT_RUN_FAILED = 1;
const EXIT_USAGE = 2;
const EXIT_GATE = 3;

/** A Retry-After longer than this (a daily quota) fails the file instead of holding the job. */
const MAX_RETRY_AFTER_MS = 120_000;
/** Budget estimates: the prompt's instructions around the code, and the answer before any run has finished. */
const PROMPT_OVERHEAD_TOKENS = 1200;
const FIRST_ANSWER_TOKENS_ESTIMATE = 4096;
const SEVERITY_RANK: Record<Severity, number> = { info: 1, warning: 2, error: 3 };

interface RunResult {
  readonly report: RunReport;
  readonly pushback?: Pushback;
}

async function main(argv: readonly string[]): Promise<number> {
  let request: CliRequest;
  try {
    const parsed = parseCommandLine(argv);
    if (parsed.kind === 'help') return (print(USAGE), EXIT_OK);
    if (parsed.kind === 'version') return (print(VERSION), EXIT_OK);
    request = parsed.request;
  } catch (error) {
    if (!(error instanceof UsageError)) throw error;
    return usageError(error.message);
  }

  const cwd = process.cwd();
  const srcRoot = (await gitRoot(cwd)) ?? cwd;
  let prices: PriceTable;
  let inputs: Awaited<ReturnType<typeof collectInputs>>;
  let baseline: Baseline | undefined;
  try {
    prices = pricesFromEnv();
    inputs = await collectInputs(request, cwd, srcRoot);
    baseline = request.baselinePath ? await Baseline.load(request.baselinePath, srcRoot) : undefined;
  } catch (error) {
    if (!(error instanceof UsageError)) throw error;
    return usageError(error.message);
  }
  if (inputs.skipped.length) fail(skippedLine(inputs.skipped));

  const config = await backendConfig(request);
  if (!config) return (fail(SETUP_HINT), EXIT_RUN_FAILED);
  let backend: Backend;
  try {
    backend = createBackend(config, process.env, { prices });
  } catch (error) {
    return (fail(error instanceof Error ? error.message : String(error)), EXIT_RUN_FAILED);
  }
  if (request.maxCostUsd !== undefined && !priceFor(backend.id, backend.model, prices)) {
    await backend.dispose?.();
    return usageError(
      `--max-cost needs prices for ${backend.id}/${backend.model}, and none are known. Set THINKLENS_PRICING='{"${backend.id}/${backend.model}": {"inputCacheHit": 0.1, "inputCacheMiss": 0.5, "output": 2}}' (US dollars per 1M tokens)`,
    );
  }

  const controller = new AbortController();
  const onSignal = () => controller.abort();
  process.once('SIGINT', onSignal);
  process.once('SIGTERM', onSignal);
  const progress = process.stderr.isTTY ? progressLine(inputs.files.length) : undefined;
  const cache = request.cache ? new ResultCache(request.cacheDir ?? defaultCacheDir()) : undefined;
  const answerTokens: number[] = [];
  try {
    // Every file's samples share --concurrency slots: at most that many requests at once.
    const sampleSlot = limiter(request.concurrency);
    const outcome = await runQueue<ReviewInput, RunResult>({
      items: inputs.files,
      maxConcurrency: request.concurrency,
      signal: controller.signal,
      run: async (input) => {
        const result = await runOne(request, input, backend, cache, config.baseUrl, controller.signal, inputs.files.length > 1, sampleSlot);
        const usage = result.report.usage;
        if (usage && !result.report.cached) answerTokens.push(usage.completionTokens);
        return result;
      },
      pushbackOf: (result) => result.pushback,
      budget:
        request.maxCostUsd === undefined
          ? undefined
          : {
              maxUsd: request.maxCostUsd,
              estimate: (input) => {
                const completionTokens = answerTokens.length
                  ? answerTokens.reduce((a, b) => a + b, 0) / answerTokens.length
                  : FIRST_ANSWER_TOKENS_ESTIMATE;
                return (
                  costOf(
                    { promptTokens: estimateTokens(input.text) + PROMPT_OVERHEAD_TOKENS, completionTokens },
                    backend.id,
                    backend.model,
                    prices,
                  ) ?? 0
                );
              },
              spent: (result) => (result.report.cached ? 0 : (result.report.usage?.costUsd ?? 0)),
            },
      onChange: progress?.update,
    });
    progress?.end();
    const reports = outcome.results.filter((r): r is RunResult => r !== undefined).map((r) => withBaseline(r.report, baseline));
    for (const r of reports) if (r.error) fail(`${r.file}: ${errorLine(r.error)}`);
    const notReviewed = outcome.overBudget.map((input) => input.file);
    if (notReviewed.length) {
      fail(
        `--max-cost $${request.maxCostUsd!.toFixed(2)}: stopped before ${notReviewed.length} of ${inputs.files.length} files, having spent $${outcome.spentUsd.toFixed(4)}; the next would have passed the budget. Not reviewed: ${listed(notReviewed)}`,
      );
    }
    const context: ReportContext = {
      version: VERSION,
      srcRoot,
      command: request.command,
      skipped: inputs.skipped,
      notReviewed,
      shard: request.shard,
      budget: request.maxCostUsd === undefined ? undefined : { maxUsd: request.maxCostUsd, spentUsd: outcome.spentUsd },
    };
    const output =
      request.format === 'json'
        ? toJson(reports, context)
        : request.format === 'sarif'
          ? toSarif(reports, context)
          : request.format === 'codequality'
            ? toCodeQuality(reports, context)
            : // Text goes to a person's terminal: model text in it is neutralized. JSON and SARIF escape controls themselves.
              forTerminal(toText(reports, !request.showReasoning));
    process.stdout.write(output.endsWith('\n') ? output : `${output}\n`);
    if (request.failOn && gateFindings(reports, request.failOn) > 0) {
      fail(`${gateFindings(reports, request.failOn)} new finding(s) at or above ${request.failOn} (--fail-on ${request.failOn})`);
      return EXIT_GATE;
    }
    return reports.some((r) => r.error) || notReviewed.length ? EXIT_RUN_FAILED : EXIT_OK;
  } finally {
    progress?.end();
    process.off('SIGINT', onSignal);
    process.off('SIGTERM', onSignal);
    await backend.dispose?.();
  }
}

/** Findings at or above `threshold` that the baseline does not already have. */
function gateFindings(reports: readonly RunReport[], threshold: Severity): number {
  return reports.reduce(
    (n, r) =>
      n +
      r.findings.filter((f, i) => SEVERITY_RANK[f.severity] >= SEVERITY_RANK[threshold] && r.baselineStates?.[i] !== 'unchanged').length,
    0,
  );
}

function withBaseline(report: RunReport, baseline: Baseline | undefined): RunReport {
  if (!baseline) return report;
  const states: BaselineState[] = report.findings.map((f) =>
    baseline.has(report.rootPath ?? report.file, f.fingerprint) ? 'unchanged' : 'new',
  );
  return { ...report, baselineStates: states };
}

/** THINKLENS_PRICING: the same `"<backend>/<model>"` table as the editor's `thinklens.pricing` setting. */
function pricesFromEnv(): PriceTable {
  const text = process.env.THINKLENS_PRICING;
  if (!text) return mergePriceTable(undefined).table;
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch (error) {
    throw new UsageError(`THINKLENS_PRICING is not JSON: ${error instanceof Error ? error.message : String(error)}`);
  }
  const { table, problems } = mergePriceTable(parsed);
  if (problems.length) throw new UsageError(`THINKLENS_PRICING: ${problems.join(' ')}`);
  return table;
}

async function backendConfig(request: CliRequest): Promise<BackendConfig | undefined> {
  // The queue retries 429s itself, so it can lower its concurrency (see queue.ts).
  const common = { requestTimeoutSeconds: request.timeoutSeconds, idleTimeoutSeconds: request.timeoutSeconds, retryRateLimits: false };
  const local = request.modelPath ? { modelPath: request.modelPath } : undefined;
  if (request.backend !== 'auto') {
    return { backend: request.backend, baseUrl: request.baseUrl, model: request.model, local, ...common };
  }
  const auto = await chooseAutoBackend({ localModelPath: request.modelPath, keyFor: (id) => apiKeyFromEnv(id, process.env) });
  if (!auto) return undefined;
  if (request.showReasoning) process.stderr.write(`thinklens: ${forTerminal(`using ${auto.backend} (${auto.reason})`)}\n`);
  return { backend: auto.backend, baseUrl: auto.baseUrl, apiKey: auto.apiKey, model: request.model ?? auto.model, local, ...common };
}

async function runOne(
  request: CliRequest,
  input: ReviewInput,
  backend: Backend,
  cache: ResultCache | undefined,
  server: string | undefined,
  signal: AbortSignal,
  several: boolean,
  slot: Limiter,
): Promise<RunResult> {
  const lines = splitLines(input.text);
  const whole = { startLine: 1, endLine: Math.max(1, lines.length) };
  const hunks = input.changes?.hunks;
  const ranges = hunks?.length ? withContext(hunks, HUNK_CONTEXT, lines.length) : [input.range ?? whole];
  const code: CodeUnderReview = {
    kind: request.command,
    document: request.documentKind ?? documentKindOf(languageOf(input.file), input.text),
    path: input.file,
    languageId: languageOf(input.file),
    fileText: input.text,
    ranges,
    question: request.question ?? (hunks?.length ? CHANGES_QUESTION : undefined),
    focus: request.focus,
  };
  const { samples } = request;
  let hits = 0;
  // The settings the planner gets are the sampling the cache keys on.
  const settingsOf = (seed: number | undefined) => ({ seed });
  const keyOf = (seed: number | undefined) =>
    ResultCache.key({ backend, server: backend.endpoint ?? server, code, sampling: settingsOf(seed) });
  const results: StoredResults | undefined = cache && {
    get: async (_sample, seed) => {
      const stored = await cache.get(keyOf(seed));
      if (stored) hits++;
      return stored && replayed(stored);
    },
    put: async (_sample, seed, output) => {
      const run = storable(output);
      if (run) await cache.put(keyOf(seed), run);
    },
  };
  const traces = Array.from({ length: samples }, (_, index) => {
    const label = [several ? input.file : '', samples > 1 ? `sample ${index + 1}` : ''].filter(Boolean).join(' ');
    return request.showReasoning ? reasoningWriter(label ? `[${label}] ` : '') : undefined;
  });
  // One deadline for the file's whole run: the probe, every part and sample, and the wait for a slot.
  const deadline = startDeadline(signal, request.deadlineSeconds);
  let sampled: Awaited<ReturnType<typeof runReview>>;
  try {
    sampled = await runReview({
      backend,
      code,
      samples,
      seed: request.seed,
      // The same planner as the extension: the window, reserves and answer constraint come from the profile.
      planFor: (_index, seed, runSignal) => prepareRun(backend, { code, settings: settingsOf(seed) }, runSignal),
      slot,
      deadline,
      onEvent: (index, event) => {
        if (event.kind === 'reasoning') traces[index]?.write(event.text);
      },
      ...(results ? { results } : {}),
    });
  } finally {
    deadline.dispose();
    traces.forEach((trace) => trace?.end());
  }
  const { outputs, error } = sampled;
  const first = outputs[0]!;
  const finished = outputs.filter((o) => !o.error);
  const filtered = filterFindings(sampled.findings, {
    minSeverity: request.minSeverity,
    minConfidence: request.minConfidence,
    focus: request.focus,
  });
  const report: RunReport = {
    file: input.file,
    absPath: input.absPath,
    rootPath: input.rootPath,
    // Every sample came from the cache (one that did not was paid for, and counts).
    cached: hits === samples,
    reasoning: first.reasoning,
    answer: first.answer,
    findings: hunks?.length ? keepNearChanges(filtered, ranges) : filtered,
    summary: (first.parsed ?? finished[0]?.parsed)?.summary,
    usage: sumUsage(outputs.map((o) => o.usage)),
    problem: first.parsed?.problem,
    error: error && errorOf(error),
    samples,
    ...(samples > 1
      ? {
          sampleTraces: outputs.map((o) => ({ reasoning: o.reasoning, answer: o.answer })),
          sampleErrors: outputs.flatMap((o, index) => (o.error ? [{ sample: index, ...errorOf(o.error) }] : [])),
        }
      : {}),
    lines,
  };
  return { report, pushback: error ? pushbackOf(error, first.reasoning + first.answer) : undefined };
}

/** The error as the report carries it: the remedies worded for a terminal, and the server's own words (redacted). */
const errorOf = (error: BackendError) => ({
  kind: error.kind,
  message: error.message,
  hint: terminalHint(error.remedies, error.note),
  ...(error.detail ? { detail: error.detail } : {}),
});

/** A 429 before any output: the file goes back in the queue (unless the wait is a quota's hours). */
function pushbackOf(error: BackendError | undefined, received: string): Pushback | undefined {
  if (error?.kind !== 'rate-limit' || received) return undefined;
  const retryAfterMs = error.retryAfterSeconds !== undefined ? error.retryAfterSeconds * 1000 : DEFAULT_RETRY_AFTER_MS;
  return retryAfterMs <= MAX_RETRY_AFTER_MS ? { retryAfterMs } : undefined;
}

/** One line on a terminal's stderr, redrawn as files finish; nothing when stderr is a file or a pipe. */
function progressLine(total: number) {
  let shown = false;
  return {
    update(state: QueueState) {
      const text = `thinklens: ${state.done}/${total} files, ${state.inFlight} in flight (limit ${state.limit})${state.pushbacks ? `, ${state.pushbacks} pushbacks` : ''}`;
      process.stderr.write(`\r\x1b[K${text}`);
      shown = true;
    },
    end() {
      if (shown) process.stderr.write('\r\x1b[K');
      shown = false;
    },
  };
}

function skippedLine(skipped: readonly Skipped[]): string {
  return `skipped ${skipped.length} file${skipped.length === 1 ? '' : 's'}: ${listed(skipped.map((s) => `${s.path} (${s.reason}: ${s.detail})`))}`;
}

function listed(items: readonly string[], max = 20): string {
  return items.length > max ? `${items.slice(0, max).join(', ')} and ${items.length - max} more` : items.join(', ');
}

/** Streams reasoning to stderr as it arrives, neutralized; with several files, whole lines with a prefix. */
function reasoningWriter(prefix: string) {
  let pending = '';
  const safe = terminalStream();
  return {
    write(raw: string) {
      const text = safe.push(raw);
      if (!prefix) return void process.stderr.write(text);
      pending += text;
      const cut = pending.lastIndexOf('\n');
      if (cut < 0) return;
      process.stderr.write(
        pending
          .slice(0, cut + 1)
          .replace(/^/gm, prefix)
          .replace(new RegExp(`${escapeRegExp(prefix)}$`), ''),
      );
      pending = pending.slice(cut + 1);
    },
    end() {
      pending += safe.end();
      if (pending) process.stderr.write(`${prefix}${pending}`);
      process.stderr.write('\n');
    },
  };
}

const escapeRegExp = (s: string) => s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');

const LANGUAGES: Record<string, string> = {
  ts: 'typescript',
  tsx: 'typescriptreact',
  js: 'javascript',
  jsx: 'javascriptreact',
  mjs: 'javascript',
  cjs: 'javascript',
  py: 'python',
  go: 'go',
  rs: 'rust',
  java: 'java',
  kt: 'kotlin',
  c: 'c',
  h: 'c',
  cc: 'cpp',
  cpp: 'cpp',
  hpp: 'cpp',
  cs: 'csharp',
  rb: 'ruby',
  php: 'php',
  swift: 'swift',
  scala: 'scala',
  sh: 'shellscript',
  sql: 'sql',
  lua: 'lua',
  lean: 'lean',
  v: 'coq',
  ...PROSE_EXTENSIONS,
};
const languageOf = (path: string) => ownValue(LANGUAGES, /\.([^.\\/]+)$/.exec(path)?.[1]?.toLowerCase() ?? '') ?? 'plaintext';

const print = (text: string) => process.stdout.write(`${text}\n`);
// Error lines carry server and model words: neutralized like every other terminal write.
const fail = (message: string) => process.stderr.write(`thinklens: ${forTerminal(message)}\n`);
function usageError(message: string): number {
  fail(`${message}\nRun "thinklens --help" for usage.`);
  return EXIT_USAGE;
}

process.on('unhandledRejection', (reason) => {
  fail(`internal error: ${reason instanceof Error ? reason.message : String(reason)}`);
  process.exit(EXIT_RUN_FAILED);
});

/**
 * Sets the exit code once every byte of stdout and stderr is handed to the OS (a pipe to a slow
 * reader, such as `| tee` in CI, drains long after write() returns); then, if a native handle (a
 * loaded model) keeps the loop alive, exits anyway soon.
 */
async function finish(code: number): Promise<void> {
  process.exitCode = code;
  await Promise.all([drained(process.stdout), drained(process.stderr)]);
  setTimeout(() => process.exit(code), 500).unref();
}

/** Resolves when everything written to `stream` so far has been flushed (or the reader has gone). */
function drained(stream: NodeJS.WriteStream): Promise<void> {
  return new Promise((resolve) => {
    if (stream.destroyed || !stream.writable) return resolve();
    stream.write('', () => resolve());
  });
}

// A reader that went away (`| head`) is not a crash: stop writing, keep the exit code.
process.stdout.on('error', () => undefined);
process.stderr.on('error', () => undefined);

main(process.argv.slice(2)).then(finish, (error: unknown) => {
  fail(`internal error: ${error instanceof Error ? error.message : String(error)}`);
  return finish(EXIT_RUN_FAILED);
});
