// `thinklens review|explain`: the engine headless, for terminals and CI (`thinklens mcp`: for agents, src/mcp).

import { forTerminal, terminalStream } from '../core/terminalText';
import { SETUP_HINT } from '../core/backends/auto';
import { createBackend } from '../core/backends/createBackend';
import { costOf, priceFor, type PriceTable } from '../core/pricing';
import { estimateTokens } from '../core/text';
import { limiter } from '../core/samples';
import type { Backend, Severity } from '../core/types';
import { parseCommandLine, USAGE, UsageError, type CliRequest } from './args';
import { Baseline } from './baseline';
import { defaultCacheDir, ResultCache } from './cache';
import type { Skipped } from './files';
import { gitRoot } from './gitScope';
import { collectInputs, type ReviewInput } from './inputs';
import { runQueue, type QueueState } from './queue';
import { errorLine, toCodeQuality, toJson, toSarif, toText, type BaselineState, type ReportContext, type RunReport } from './report';
import { backendConfig, pricesFromEnv, reviewFile, type RunResult } from './reviewRun';

declare const THINKLENS_VERSION: string | undefined;
const VERSION = typeof THINKLENS_VERSION === 'string' ? THINKLENS_VERSION : '0.0.0-dev';

const EXIT_OK = 0;
const EXIT_RUN_FAILED = 1;
const EXIT_USAGE = 2;
const EXIT_GATE = 3;

/** Budget estimates: the prompt's instructions around the code, and the answer before any run has finished. */
const PROMPT_OVERHEAD_TOKENS = 1200;
const FIRST_ANSWER_TOKENS_ESTIMATE = 4096;
const SEVERITY_RANK: Record<Severity, number> = { info: 1, warning: 2, error: 3 };

async function main(argv: readonly string[]): Promise<number> {
  let request: CliRequest;
  try {
    const parsed = parseCommandLine(argv);
    if (parsed.kind === 'help') return (print(USAGE), EXIT_OK);
    if (parsed.kind === 'version') return (print(VERSION), EXIT_OK);
    if (parsed.kind === 'mcp') return (await loadMcpServer()).serveMcp(parsed.request, VERSION);
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
        const result = await reviewFile(request, input, backend, {
          cache,
          server: config.baseUrl,
          signal: controller.signal,
          slot: sampleSlot,
          several: inputs.files.length > 1,
          reasoningSink: request.showReasoning ? (label) => reasoningWriter(label ? `[${label}] ` : '') : undefined,
        });
        const usage = result.report.usage;
        if (usage && !result.report.cached) answerTokens.push(usage.completionTokens / request.samples);
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
                // Each sample is its own request at its own price.
                const perSample =
                  costOf(
                    { promptTokens: estimateTokens(input.text) + PROMPT_OVERHEAD_TOKENS, completionTokens },
                    backend.id,
                    backend.model,
                    prices,
                  ) ?? 0;
                return perSample * request.samples;
              },
              // Every sample's own cost: a cached sample's is 0, a paid one's counts even beside cached ones.
              spent: (result) => result.report.usage?.costUsd ?? 0,
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
    const gated = request.failOn ? gateFindings(reports, request.failOn) : 0;
    if (gated > 0) fail(`${gated} new finding(s) at or above ${request.failOn} (--fail-on ${request.failOn})`);
    // A failed or unreviewed file outranks the gate: exit 3 would tell CI that everything was reviewed.
    if (reports.some((r) => r.error) || notReviewed.length) return EXIT_RUN_FAILED;
    return gated > 0 ? EXIT_GATE : EXIT_OK;
  } finally {
    progress?.end();
    process.off('SIGINT', onSignal);
    process.off('SIGTERM', onSignal);
    await backend.dispose?.();
  }
}

/** The MCP server, from its own bundle beside this one (esbuild.mjs): only `thinklens mcp` pays for loading the SDK. */
async function loadMcpServer(): Promise<typeof import('../mcp/server')> {
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  return typeof THINKLENS_VERSION === 'string' ? require('./mcp.js') : import('../mcp/server');
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
