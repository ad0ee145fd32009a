// Parses the command line into a typed request, or a usage error (exit 2). Every flag is one row
// of FLAGS: the parser's options and the help text both come from it.

import { parseArgs } from 'node:util';
import { DOCUMENT_KINDS, type DocumentKind } from '../core/documentKind';
import { CONFIDENCES_ASCENDING } from '../core/contract';
import { BACKEND_IDS, FOCUS_AREAS, type BackendId, type Confidence, type Focus, type LineRange, type Severity } from '../core/types';
import { MAX_TIMER_SECONDS } from '../core/inputLimits';
import { MAX_SAMPLES } from '../core/samples';
import { DEFAULT_DEADLINE_SECONDS } from '../core/deadline';

/** A budget above any model's window is a typo, not a limit. */
const MAX_THINKING_BUDGET = 1_000_000;

export const OUTPUT_FORMATS = ['text', 'json', 'sarif', 'codequality'] as const;
export type OutputFormat = (typeof OUTPUT_FORMATS)[number];
const SEVERITIES: readonly Severity[] = ['error', 'warning', 'info'];

export interface FileTarget {
  /** The path, directory or glob as the person wrote it (shown in output). */
  readonly path: string;
  /** Undefined: the whole file. */
  readonly range?: LineRange;
}

/** What to review: the paths given, or what git says changed (restricted to the paths, if any). */
export type Scope = { readonly kind: 'paths' } | { readonly kind: 'diff'; readonly ref: string } | { readonly kind: 'staged' };

export interface Shard {
  /** 1-based. */
  readonly index: number;
  readonly count: number;
}

export interface CliRequest {
  readonly command: 'review' | 'explain';
  readonly targets: readonly FileTarget[];
  readonly scope: Scope;
  readonly backend: BackendId | 'auto';
  readonly baseUrl?: string;
  readonly model?: string;
  readonly modelPath?: string;
  readonly format: OutputFormat;
  readonly showReasoning: boolean;
  readonly concurrency: number;
  readonly question?: string;
  readonly timeoutSeconds: number;
  /** The whole run's limit, in seconds (see runAnalysis). */
  readonly deadlineSeconds: number;
  readonly seed?: number;
  /** Reasoning tokens one request may spend (`--thinking-budget`); undefined: no limit. */
  readonly thinkingBudget?: number;
  /** Undefined: each file's kind comes from its extension (and, for Markdown, whether it has math). */
  readonly documentKind?: DocumentKind;
  /** Exit 3 when a finding at or above this severity remains after the baseline. */
  readonly failOn?: Severity;
  /** Stop starting requests once the estimated spend would pass this many US dollars. */
  readonly maxCostUsd?: number;
  readonly baselinePath?: string;
  /** Undefined: the user's cache folder. */
  readonly cacheDir?: string;
  readonly cache: boolean;
  readonly shard?: Shard;
  /** Leave out findings below these (after voting). */
  readonly minSeverity?: Severity;
  readonly minConfidence?: Confidence;
  /** Ask only for these kinds of problem, and keep only them. */
  readonly focus?: readonly Focus[];
  /** Independent samples of each review, matched by fingerprint (1: no voting). */
  readonly samples: number;
}

/** `mcp`: the server's defaults for every tool call (each call names its own files and command). */
export type ParsedCommandLine =
  { kind: 'run'; request: CliRequest } | { kind: 'mcp'; request: CliRequest } | { kind: 'help' } | { kind: 'version' };

/** Flags that choose what one review looks at or how its output is written: an MCP tool call says those itself. */
const NOT_FOR_MCP = ['diff', 'staged', 'format', 'fail-on', 'baseline', 'shard', 'question', 'show-reasoning', 'max-cost'];

export class UsageError extends Error {}

/** Each sample is a full run (and a full bill): more than this is a mistake, not a review. */

/** The most files in flight at once (the queue lowers it further when the server pushes back). */
const MAX_CONCURRENCY = 64;

interface Flag {
  readonly name: string;
  readonly type: 'string' | 'boolean';
  readonly short?: string;
  /** The value's placeholder in the help text (string flags). */
  readonly value?: string;
  readonly help: string;
}

const FLAGS: readonly Flag[] = [
  { name: 'backend', type: 'string', value: 'B', help: `${['auto', ...BACKEND_IDS].join(' | ')} (default: auto)` },
  {
    name: 'base-url',
    type: 'string',
    value: 'U',
    help: "the server's base URL: OpenAI-compatible ones end in /v1; for Ollama http://host:11434 with or without /v1",
  },
  { name: 'model', type: 'string', value: 'M', help: "model id (default: the backend's default)" },
  { name: 'model-path', type: 'string', value: 'P', help: 'GGUF file for --backend local' },
  { name: 'format', type: 'string', value: 'F', help: `${OUTPUT_FORMATS.join(' | ')} (default: text)` },
  { name: 'diff', type: 'string', value: 'REF', help: 'review what changed since the merge-base of REF and HEAD, working tree included' },
  { name: 'staged', type: 'boolean', help: 'review the staged changes' },
  { name: 'shard', type: 'string', value: 'I/N', help: 'review only shard I of N (files split by a hash of their path)' },
  { name: 'fail-on', type: 'string', value: 'S', help: 'exit 3 when a new finding at or above error | warning | info remains' },
  {
    name: 'baseline',
    type: 'string',
    value: 'FILE',
    help: 'earlier SARIF: findings already in it are "unchanged", left out of the text and of --fail-on',
  },
  { name: 'max-cost', type: 'string', value: 'USD', help: 'stop starting requests once the estimated spend would pass this budget' },
  { name: 'cache-dir', type: 'string', value: 'DIR', help: "result cache folder (default: the user's cache folder)" },
  { name: 'no-cache', type: 'boolean', help: 'neither read nor write the result cache' },
  { name: 'concurrency', type: 'string', value: 'N', help: 'most files reviewed at once; fewer while the server pushes back (default: 2)' },
  {
    name: 'timeout',
    type: 'string',
    value: 'S',
    help: 'seconds to wait for the server, and the longest silence in a stream (default: 60)',
  },
  {
    name: 'deadline',
    type: 'string',
    value: 'S',
    help: `longest the run of one file may take, all its parts and samples together; what arrived so far is kept (default: ${DEFAULT_DEADLINE_SECONDS})`,
  },
  {
    name: 'thinking-budget',
    type: 'string',
    value: 'TOKENS',
    help: "reasoning tokens one request may spend before the answer is asked for: the server's own budget where it has one, else ThinkLens asks (default: no limit)",
  },
  { name: 'seed', type: 'string', value: 'N', help: 'sampling seed, where the backend honours it' },
  { name: 'question', type: 'string', value: 'TEXT', help: 'what to ask about the code (explain)' },
  {
    name: 'kind',
    type: 'string',
    value: 'K',
    help: 'proof | code: check a mathematical argument or review code (default: from the file extension; .tex, .txt and Markdown with math are proofs)',
  },
  { name: 'min-severity', type: 'string', value: 'S', help: `${[...SEVERITIES].reverse().join(' | ')}: leave out findings below S` },
  { name: 'min-confidence', type: 'string', value: 'C', help: `${CONFIDENCES_ASCENDING.join(' | ')}: leave out findings below C` },
  {
    name: 'focus',
    type: 'string',
    value: 'LIST',
    help: `any of ${FOCUS_AREAS.join(',')} (comma-separated): the prompt asks only for these, and the rest are left out`,
  },
  {
    name: 'samples',
    type: 'string',
    value: 'N',
    help: `review each file N times (in parallel, within --concurrency; up to ${MAX_SAMPLES}) and report how many samples found each finding (default: 1)`,
  },
  { name: 'show-reasoning', type: 'boolean', help: "stream the model's reasoning to stderr" },
  { name: 'help', type: 'boolean', short: 'h', help: 'this help' },
  { name: 'version', type: 'boolean', short: 'v', help: 'the version' },
];

/** Every flag the CLI parses, as a person types it (remedies name only these). */
export const CLI_FLAGS: readonly string[] = FLAGS.map((flag) => `--${flag.name}`);

function usage(): string {
  const label = (f: Flag) => `${f.short ? `-${f.short}, ` : ''}--${f.name}${f.value ? ` ${f.value}` : ''}`;
  const width = Math.max(...FLAGS.map((f) => label(f).length)) + 2;
  return `Usage:
  thinklens review <path>[:<start>-<end>] | <dir> | <glob> ... [options]
  thinklens review --diff <ref> [<path>...] [options]
  thinklens review --staged [<path>...] [options]
  thinklens explain <path>:<start>-<end> [--question TEXT] [options]
  thinklens mcp [options]

mcp serves the review, explain and check_proof tools to agents over the Model Context Protocol
(stdio); the options set its backend and defaults (docs/agents.md).

Directories and quoted globs ("src/**/*.ts") are expanded by thinklens itself: .gitignore is
honoured and binary, generated and vendored files are skipped (and listed on stderr).

Options:
${FLAGS.map((f) => `  ${label(f).padEnd(width)}${f.help}`).join('\n')}

API keys come from THINKLENS_API_KEY, then DEEPSEEK_API_KEY or OPENROUTER_API_KEY.
Results are cached by content (code, prompt, model, sampling) under THINKLENS_CACHE_DIR or the
user's cache folder; a cached result makes no request.
Exit codes: 0 success, 1 a run failed (or the budget stopped the review), 2 bad arguments,
3 a finding at or above --fail-on.`;
}

export const USAGE = usage();

export function parseCommandLine(argv: readonly string[]): ParsedCommandLine {
  let parsed;
  try {
    parsed = parseArgs({
      args: [...argv],
      allowPositionals: true,
      strict: true,
      options: Object.fromEntries(FLAGS.map((f) => [f.name, f.short ? { type: f.type, short: f.short } : { type: f.type }])),
    });
  } catch (error) {
    throw new UsageError(error instanceof Error ? error.message : String(error));
  }
  const { positionals } = parsed;
  const values = parsed.values as Record<string, string | boolean | undefined>;
  const text = (name: string) => values[name] as string | undefined;
  const flag = (name: string) => values[name] === true;
  if (flag('help')) return { kind: 'help' };
  if (flag('version')) return { kind: 'version' };
  const [command, ...paths] = positionals;
  if (command === 'mcp') checkMcpFlags(values, paths);
  else if (command !== 'review' && command !== 'explain') {
    throw new UsageError(
      command ? `unknown command "${command}"; use review, explain or mcp` : 'no command given; use review, explain or mcp',
    );
  }
  const scope = scopeOf(text('diff'), flag('staged'));
  if (scope.kind !== 'paths' && command === 'explain') throw new UsageError('--diff and --staged are for review, not explain');
  if (paths.length === 0 && scope.kind === 'paths' && command !== 'mcp')
    throw new UsageError(`${command} needs at least one file, directory or glob (or --diff <ref> / --staged)`);
  const targets = paths.map(parseTarget);
  if (command === 'explain' && (targets.length !== 1 || !targets[0]!.range)) {
    throw new UsageError('explain takes exactly one <path>:<start>-<end>');
  }
  if (scope.kind !== 'paths' && targets.some((t) => t.range))
    throw new UsageError(`with --${scope.kind} the changed hunks are the lines to review; leave out :<start>-<end>`);
  const backend = text('backend') ?? (text('model-path') ? 'local' : text('base-url') ? 'openai-compatible' : 'auto');
  if (backend !== 'auto' && !(BACKEND_IDS as readonly string[]).includes(backend)) {
    throw new UsageError(`unknown backend "${backend}"; use one of: auto, ${BACKEND_IDS.join(', ')}`);
  }
  const format = text('format') ?? 'text';
  if (!(OUTPUT_FORMATS as readonly string[]).includes(format))
    throw new UsageError(`unknown format "${format}"; use ${OUTPUT_FORMATS.join(', ')}`);
  if (backend === 'local' && !text('model-path')) throw new UsageError('--backend local needs --model-path <file.gguf>');
  const baseUrl = text('base-url');
  if (baseUrl !== undefined && !/^https?:\/\/\S+$/.test(baseUrl)) {
    throw new UsageError(`--base-url must be an http:// or https:// URL, not "${baseUrl}"`);
  }
  const documentKind = text('kind');
  if (documentKind !== undefined && !(DOCUMENT_KINDS as readonly string[]).includes(documentKind)) {
    throw new UsageError(`unknown kind "${documentKind}"; use ${DOCUMENT_KINDS.join(' or ')}`);
  }
  const failOn = text('fail-on');
  if (failOn !== undefined && !(SEVERITIES as readonly string[]).includes(failOn))
    throw new UsageError(`--fail-on must be error, warning or info, not "${failOn}"`);
  if (flag('no-cache') && text('cache-dir') !== undefined)
    throw new UsageError('--no-cache and --cache-dir contradict each other; use one');
  return {
    kind: command === 'mcp' ? 'mcp' : 'run',
    request: {
      command: command === 'mcp' ? 'review' : command,
      targets,
      scope,
      backend: backend as BackendId | 'auto',
      baseUrl,
      model: text('model'),
      modelPath: text('model-path'),
      format: format as OutputFormat,
      showReasoning: flag('show-reasoning'),
      concurrency: positiveInt(text('concurrency'), '--concurrency', 2, MAX_CONCURRENCY),
      timeoutSeconds: positiveInt(text('timeout'), '--timeout', 60, MAX_TIMER_SECONDS),
      deadlineSeconds: positiveInt(text('deadline'), '--deadline', DEFAULT_DEADLINE_SECONDS, MAX_TIMER_SECONDS),
      seed: text('seed') === undefined ? undefined : integer(text('seed')!, '--seed'),
      ...(text('thinking-budget') !== undefined
        ? { thinkingBudget: positiveInt(text('thinking-budget'), '--thinking-budget', 0, MAX_THINKING_BUDGET) }
        : {}),
      question: text('question'),
      ...(documentKind ? { documentKind: documentKind as DocumentKind } : {}),
      failOn: failOn as Severity | undefined,
      maxCostUsd: text('max-cost') === undefined ? undefined : dollars(text('max-cost')!),
      baselinePath: text('baseline'),
      cacheDir: text('cache-dir'),
      cache: !flag('no-cache'),
      shard: text('shard') === undefined ? undefined : parseShard(text('shard')!),
      minSeverity: oneOf(text('min-severity'), '--min-severity', SEVERITIES),
      minConfidence: oneOf(text('min-confidence'), '--min-confidence', CONFIDENCES_ASCENDING),
      focus: text('focus') === undefined ? undefined : focusList(text('focus')!),
      samples: positiveInt(text('samples'), '--samples', 1, MAX_SAMPLES),
    },
  };
}

function checkMcpFlags(values: Record<string, string | boolean | undefined>, paths: readonly string[]): void {
  const given = NOT_FOR_MCP.filter((name) => values[name] !== undefined).map((name) => `--${name}`);
  if (given.length)
    throw new UsageError(`${given.join(', ')} ${given.length === 1 ? 'is' : 'are'} not for mcp: each tool call says what to review`);
  if (paths.length) throw new UsageError(`mcp takes no paths ("${paths[0]}"): each tool call names its own files`);
}

function oneOf<T extends string>(value: string | undefined, name: string, allowed: readonly T[]): T | undefined {
  if (value === undefined) return undefined;
  if (!(allowed as readonly string[]).includes(value)) throw new UsageError(`${name} must be one of ${allowed.join(', ')}, not "${value}"`);
  return value as T;
}

function focusList(value: string): Focus[] {
  const wanted = value
    .split(',')
    .map((part) => part.trim().toLowerCase())
    .filter(Boolean);
  const unknown = wanted.filter((part) => !(FOCUS_AREAS as readonly string[]).includes(part));
  if (wanted.length === 0 || unknown.length > 0) {
    throw new UsageError(
      `--focus takes a comma-separated list of ${FOCUS_AREAS.join(', ')}${unknown.length ? `; "${unknown.join('", "')}" is not one` : ''}`,
    );
  }
  return [...new Set(wanted)] as Focus[];
}

export function scopeOf(diff: string | undefined, staged: boolean): Scope {
  if (diff !== undefined && staged) throw new UsageError('--diff and --staged are two different scopes; use one');
  if (diff !== undefined) {
    // A ref starting with "-" would be read by git as an option.
    if (!diff || diff.startsWith('-')) throw new UsageError(`--diff needs a git ref (a branch, tag or commit), not "${diff}"`);
    return { kind: 'diff', ref: diff };
  }
  return staged ? { kind: 'staged' } : { kind: 'paths' };
}

/** `path`, `path:12` or `path:10-40` (a Windows drive letter's colon is not a range). */
export function parseTarget(arg: string): FileTarget {
  const match = /^(.+?):(\d+)(?:-(\d+))?$/.exec(arg);
  if (!match) return { path: arg };
  const startLine = Number(match[2]);
  const endLine = match[3] === undefined ? startLine : Number(match[3]);
  if (startLine < 1 || endLine < startLine) throw new UsageError(`bad line range in "${arg}": lines are 1-based and start <= end`);
  return { path: match[1]!, range: { startLine, endLine } };
}

/** `I/N` with 1 <= I <= N. */
export function parseShard(value: string): Shard {
  const match = /^(\d+)\/(\d+)$/.exec(value);
  const index = Number(match?.[1]);
  const count = Number(match?.[2]);
  if (!match || count < 1 || index < 1 || index > count)
    throw new UsageError(`--shard must be I/N with 1 <= I <= N (for example 2/4), not "${value}"`);
  return { index, count };
}

function dollars(value: string): number {
  const n = Number(value);
  if (!/^\d+(\.\d+)?$/.test(value) || !Number.isFinite(n))
    throw new UsageError(`--max-cost must be an amount of US dollars such as 0.50, not "${value}"`);
  return n;
}

function integer(value: string, name: string): number {
  if (!/^-?\d+$/.test(value)) throw new UsageError(`${name} must be a whole number, not "${value}"`);
  const n = Number(value);
  if (!Number.isSafeInteger(n)) throw new UsageError(`${name} is too large: ${value}`);
  return n;
}

function positiveInt(value: string | undefined, name: string, fallback: number, max: number): number {
  if (value === undefined) return fallback;
  const n = integer(value, name);
  if (n < 1) throw new UsageError(`${name} must be at least 1, not ${n}`);
  if (n > max) throw new UsageError(`${name} must be at most ${max}, not ${n}`);
  return n;
}
