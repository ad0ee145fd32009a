// `thinklens review|explain`: the engine headless, for terminals and CI.

import { readFile } from 'node:fs/promises';
import { unreviewableReason } from '../core/inputLimits';
import { forTerminal, terminalStream } from '../core/terminalText';
import { apiKeyFromEnv, chooseAutoBackend, SETUP_HINT } from '../core/backends/auto';
import { createBackend } from '../core/backends/createBackend';
import { documentKindOf, PROSE_EXTENSIONS } from '../core/documentKind';
import { runAnalysis } from '../core/run';
import { ownValue, splitLines } from '../core/text';
import { filterFindings, voteAcrossSamples } from '../core/triage';
import type { Backend, BackendConfig, CodeUnderReview, Usage } from '../core/types';
import { parseCommandLine, USAGE, UsageError, type CliRequest, type FileTarget } from './args';
import { toJson, toSarif, toText, type RunReport } from './report';

declare const THINKLENS_VERSION: string | undefined;
const VERSION = typeof THINKLENS_VERSION === 'string' ? THINKLENS_VERSION : '0.0.0-dev';

const EXIT_OK = 0;
const EXIT_RUN_FAILED = 1;
const EXIT_USAGE = 2;

interface LoadedTarget extends FileTarget {
  readonly text: string;
}

async function main(argv: readonly string[]): Promise<number> {
  let request: CliRequest;
  try {
    const parsed = parseCommandLine(argv);
    if (parsed.kind === 'help') return print(USAGE), EXIT_OK;
    if (parsed.kind === 'version') return print(VERSION), EXIT_OK;
    request = parsed.request;
  } catch (error) {
    if (!(error instanceof UsageError)) throw error;
    return usageError(error.message);
  }

  let targets: LoadedTarget[];
  try {
    targets = await Promise.all(request.targets.map(loadTarget));
  } catch (error) {
    if (!(error instanceof UsageError)) throw error;
    return usageError(error.message);
  }

  const config = await backendConfig(request);
  if (!config) return fail(SETUP_HINT), EXIT_RUN_FAILED;
  let backend: Backend;
  try {
    backend = createBackend(config, process.env);
  } catch (error) {
    return fail(error instanceof Error ? error.message : String(error)), EXIT_RUN_FAILED;
  }

  const controller = new AbortController();
  const onSignal = () => controller.abort();
  process.once('SIGINT', onSignal);
  process.once('SIGTERM', onSignal);
  try {
    const reports = await runAll(request, targets, backend, controller.signal);
    for (const r of reports) if (r.error) fail(`${r.file}: ${r.error.message} ${r.error.hint}`.trimEnd());
    // Text goes to a person's terminal: model text in it is neutralized. JSON and SARIF escape controls themselves.
    const output = request.format === 'json' ? toJson(reports) : request.format === 'sarif' ? toSarif(reports, VERSION) : forTerminal(toText(reports, !request.showReasoning));
    process.stdout.write(output.endsWith('\n') ? output : `${output}\n`);
    return reports.some((r) => r.error) ? EXIT_RUN_FAILED : EXIT_OK;
  } finally {
    process.off('SIGINT', onSignal);
    process.off('SIGTERM', onSignal);
    await backend.dispose?.();
  }
}

async function backendConfig(request: CliRequest): Promise<BackendConfig | undefined> {
  const timeouts = { requestTimeoutSeconds: request.timeoutSeconds, idleTimeoutSeconds: request.timeoutSeconds };
  const local = request.modelPath ? { modelPath: request.modelPath } : undefined;
  if (request.backend !== 'auto') {
    return { backend: request.backend, baseUrl: request.baseUrl, model: request.model, local, ...timeouts };
  }
  const auto = await chooseAutoBackend({ localModelPath: request.modelPath, keyFor: (id) => apiKeyFromEnv(id, process.env) });
  if (!auto) return undefined;
  if (request.showReasoning) process.stderr.write(`thinklens: ${forTerminal(`using ${auto.backend} (${auto.reason})`)}\n`);
  return { backend: auto.backend, baseUrl: auto.baseUrl, apiKey: auto.apiKey, model: request.model ?? auto.model, local, ...timeouts };
}

async function loadTarget(target: FileTarget): Promise<LoadedTarget> {
  let bytes: Buffer;
  try {
    bytes = await readFile(target.path);
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    throw new UsageError(code === 'ENOENT' ? `no such file: ${target.path}` : `cannot read ${target.path}: ${code ?? String(error)}`);
  }
  const refused = unreviewableReason(target.path, bytes);
  if (refused) throw new UsageError(refused);
  const text = bytes.toString('utf8');
  const lineCount = splitLines(text).length;
  if (target.range && target.range.endLine > lineCount) {
    throw new UsageError(`${target.path}:${target.range.startLine}-${target.range.endLine} is past the end of the file (${lineCount} lines)`);
  }
  return { ...target, text };
}

/** Every file's samples share `--concurrency` slots: at most that many requests at once. */
async function runAll(request: CliRequest, targets: readonly LoadedTarget[], backend: Backend, signal: AbortSignal): Promise<RunReport[]> {
  const slot = limiter(request.concurrency);
  return Promise.all(targets.map((target) => runOne(request, target, backend, signal, targets.length > 1, slot)));
}

function limiter(size: number): <T>(task: () => Promise<T>) => Promise<T> {
  let running = 0;
  const waiting: (() => void)[] = [];
  return async (task) => {
    while (running >= size) await new Promise<void>((resolve) => waiting.push(resolve));
    running++;
    try {
      return await task();
    } finally {
      running--;
      waiting.shift()?.();
    }
  };
}

async function runOne(
  request: CliRequest,
  target: LoadedTarget,
  backend: Backend,
  signal: AbortSignal,
  several: boolean,
  slot: ReturnType<typeof limiter>,
): Promise<RunReport> {
  const lines = splitLines(target.text);
  const code: CodeUnderReview = {
    kind: request.command,
    document: request.documentKind ?? documentKindOf(languageOf(target.path), target.text),
    path: target.path,
    languageId: languageOf(target.path),
    fileText: target.text,
    ranges: [target.range ?? { startLine: 1, endLine: Math.max(1, lines.length) }],
    question: request.question,
    focus: request.focus,
  };
  const { samples } = request;
  const runSample = (index: number) =>
    slot(async () => {
      const label = [several ? target.path : '', samples > 1 ? `sample ${index + 1}` : ''].filter(Boolean).join(' ');
      const trace = request.showReasoning ? reasoningWriter(label ? `[${label}] ` : '') : undefined;
      const output = await runAnalysis({
        backend,
        code,
        // Each sample gets its own seed, so that servers which honour seeds do not repeat one answer.
        sampling: { seed: samples > 1 ? (request.seed ?? 0) + index + 1 : request.seed, jsonAnswer: backend.id === 'local' },
        signal,
        deadlineSeconds: request.deadlineSeconds,
        onEvent: (event) => {
          if (event.kind === 'reasoning') trace?.write(event.text);
        },
      });
      trace?.end();
      return output;
    });
  const outputs = await Promise.all(Array.from({ length: samples }, (_, index) => runSample(index)));
  const first = outputs[0]!;
  const failed = outputs.find((o) => o.error);
  const finished = outputs.filter((o) => !o.error);
  const voted = voteAcrossSamples(finished.map((o) => o.parsed?.findings ?? []));
  // Evidence offsets point into the reasoning of the sample the finding came from: renumber the
  // sample among all of them (a failed sample has no findings).
  const findings = voted.map((f) => (f.sample === undefined ? f : { ...f, sample: outputs.indexOf(finished[f.sample]!) }));
  const filter = { minSeverity: request.minSeverity, minConfidence: request.minConfidence, focus: request.focus };
  return {
    file: target.path,
    reasoning: first.reasoning,
    answer: first.answer,
    findings: filterFindings(findings, filter),
    summary: (first.parsed ?? finished[0]?.parsed)?.summary,
    usage: sumUsage(outputs.map((o) => o.usage)),
    problem: first.parsed?.problem,
    // With several samples the run fails only when every sample failed; the others still vote.
    error: (finished.length === 0 || samples === 1) && failed?.error ? errorOf(failed.error) : undefined,
    sampleErrors: samples > 1 ? outputs.flatMap((o, index) => (o.error ? [{ sample: index, ...errorOf(o.error) }] : [])) : undefined,
    samples,
    sampleTraces: samples > 1 ? outputs.map((o) => ({ reasoning: o.reasoning, answer: o.answer })) : undefined,
    lines,
  };
}

const errorOf = (error: { kind: string; message: string; hint: string }) => ({ kind: error.kind, message: error.message, hint: error.hint });

/** The usage of all samples together (tokens and cost add up). */
function sumUsage(usages: readonly (Usage | undefined)[]): Usage | undefined {
  const known = usages.filter((u): u is Usage => u !== undefined);
  if (known.length <= 1) return known[0];
  const add = (pick: (u: Usage) => number | undefined) =>
    known.some((u) => pick(u) !== undefined) ? known.reduce((sum, u) => sum + (pick(u) ?? 0), 0) : undefined;
  const total: Usage = { promptTokens: add((u) => u.promptTokens) ?? 0, completionTokens: add((u) => u.completionTokens) ?? 0 };
  const reasoningTokens = add((u) => u.reasoningTokens);
  const cachedPromptTokens = add((u) => u.cachedPromptTokens);
  const costUsd = add((u) => u.costUsd);
  return {
    ...total,
    ...(reasoningTokens !== undefined ? { reasoningTokens } : {}),
    ...(cachedPromptTokens !== undefined ? { cachedPromptTokens } : {}),
    ...(costUsd !== undefined ? { costUsd } : {}),
  };
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
      process.stderr.write(pending.slice(0, cut + 1).replace(/^/gm, prefix).replace(new RegExp(`${escapeRegExp(prefix)}$`), ''));
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
  ts: 'typescript', tsx: 'typescriptreact', js: 'javascript', jsx: 'javascriptreact', mjs: 'javascript', cjs: 'javascript',
  py: 'python', go: 'go', rs: 'rust', java: 'java', kt: 'kotlin', c: 'c', h: 'c', cc: 'cpp', cpp: 'cpp', hpp: 'cpp',
  cs: 'csharp', rb: 'ruby', php: 'php', swift: 'swift', scala: 'scala', sh: 'shellscript', sql: 'sql', lua: 'lua',
  lean: 'lean', v: 'coq', ...PROSE_EXTENSIONS,
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
  finish(EXIT_RUN_FAILED);
});
