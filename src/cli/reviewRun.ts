// What the CLI and the MCP server share to run a review: the backend configuration from flags and
// the environment, the price table, and one file's review (samples, cache, filters) as a RunReport.
// Each front end decides only where the reasoning goes while it streams and how the result is shown.

import { forTerminal } from '../core/terminalText';
import { apiKeyFromEnv, chooseAutoBackend } from '../core/backends/auto';
import { CHANGES_QUESTION, HUNK_CONTEXT, keepNearChanges, withContext } from '../core/diffHunks';
import type { BackendError } from '../core/errors';
import { mergePriceTable, type PriceTable } from '../core/pricing';
import { documentKindOf, PROSE_EXTENSIONS } from '../core/documentKind';
import { startDeadline } from '../core/deadline';
import { prepareRun } from '../core/plannedRun';
import { runReview, type StoredResults } from '../core/review';
import { ownValue, splitLines } from '../core/text';
import { filterFindings } from '../core/triage';
import { sumUsage, type Limiter } from '../core/samples';
import type { Backend, BackendConfig, CodeUnderReview } from '../core/types';
import { UsageError, type CliRequest } from './args';
import { replayed, ResultCache, storable } from './cache';
import type { ReviewInput } from './inputs';
import { DEFAULT_RETRY_AFTER_MS, type Pushback } from './queue';
import type { RunReport } from './report';
import { terminalHint } from './remedies';

/** A Retry-After longer than this (a daily quota) fails the file instead of holding the job. */
const MAX_RETRY_AFTER_MS = 120_000;

export interface RunResult {
  readonly report: RunReport;
  readonly pushback?: Pushback;
}

/** Where one sample's reasoning goes while it streams (`label` names the file and sample when there are several). */
export interface ReasoningSink {
  write(text: string): void;
  end(): void;
}

/** THINKLENS_PRICING: the same `"<backend>/<model>"` table as the editor's `thinklens.pricing` setting. */
export function pricesFromEnv(): PriceTable {
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

export interface BackendChoiceOptions {
  /** `auto` may pick a hosted backend whose key is in the environment (the CLI); false: only local ones (the MCP server). */
  readonly autoMayChooseHosted: boolean;
}

/** The backend the flags name, or what `auto` finds; undefined when nothing is set up. */
export async function backendConfig(
  request: CliRequest,
  options: BackendChoiceOptions = { autoMayChooseHosted: true },
): Promise<BackendConfig | undefined> {
  // The queue retries 429s itself, so it can lower its concurrency (see queue.ts).
  const common = { requestTimeoutSeconds: request.timeoutSeconds, idleTimeoutSeconds: request.timeoutSeconds, retryRateLimits: false };
  const local = request.modelPath ? { modelPath: request.modelPath } : undefined;
  if (request.backend !== 'auto') {
    return { backend: request.backend, baseUrl: request.baseUrl, model: request.model, local, ...common };
  }
  const auto = await chooseAutoBackend({
    localModelPath: request.modelPath,
    keyFor: (id) => (options.autoMayChooseHosted ? apiKeyFromEnv(id, process.env) : undefined),
  });
  if (!auto) return undefined;
  if (request.showReasoning) process.stderr.write(`thinklens: ${forTerminal(`using ${auto.backend} (${auto.reason})`)}\n`);
  return { backend: auto.backend, baseUrl: auto.baseUrl, apiKey: auto.apiKey, model: request.model ?? auto.model, local, ...common };
}

export interface ReviewFileOptions {
  readonly cache: ResultCache | undefined;
  /** The server's base URL, part of the cache key. */
  readonly server: string | undefined;
  readonly signal: AbortSignal;
  /** Every file's samples share these slots: at most that many requests at once. */
  readonly slot: Limiter;
  /** Undefined: the reasoning is only kept in the report. */
  readonly reasoningSink?: (label: string) => ReasoningSink;
  /** Several files in this job: labels name the file. */
  readonly several: boolean;
}

/** One file's review (or explanation): every sample through the planner, voted, filtered, as a report. */
export async function reviewFile(
  request: CliRequest,
  input: ReviewInput,
  backend: Backend,
  options: ReviewFileOptions,
): Promise<RunResult> {
  const { signal, slot } = options;
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
  const { cache } = options;
  let hits = 0;
  // The settings the planner gets are the sampling the cache keys on.
  // The budget decides the answer too, so it is part of the cache key.
  const settingsOf = (seed: number | undefined) => ({
    seed,
    ...(request.thinkingBudget ? { thinkingBudget: request.thinkingBudget } : {}),
  });
  const keyOf = (seed: number | undefined) =>
    ResultCache.key({ backend, server: backend.endpoint ?? options.server, code, sampling: settingsOf(seed) });
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
    const label = [options.several ? input.file : '', samples > 1 ? `sample ${index + 1}` : ''].filter(Boolean).join(' ');
    return options.reasoningSink?.(label);
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
  const wanted = filterFindings(sampled.findings, { minSeverity: request.minSeverity, focus: request.focus });
  const filtered = filterFindings(wanted, { minConfidence: request.minConfidence });
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
    leftOutByConfidence: wanted.length - filtered.length,
    ...(first.thinking ? { thinking: first.thinking } : {}),
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
export const languageOf = (path: string) => ownValue(LANGUAGES, /\.([^.\\/]+)$/.exec(path)?.[1]?.toLowerCase() ?? '') ?? 'plaintext';
