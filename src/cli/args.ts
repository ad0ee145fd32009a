// Parses the command line into a typed request, or a usage error (exit 2).

import { parseArgs } from 'node:util';
import { CONFIDENCES_ASCENDING, SEVERITIES } from '../core/contract';
import { DOCUMENT_KINDS, type DocumentKind } from '../core/documentKind';
import { BACKEND_IDS, FOCUS_AREAS, type BackendId, type Confidence, type Focus, type LineRange, type Severity } from '../core/types';
import { MAX_TIMER_SECONDS } from '../core/inputLimits';
import { DEFAULT_DEADLINE_SECONDS } from '../core/run';

/** Each sample is a full run (and a full bill): more than this is a mistake, not a review. */
const MAX_SAMPLES = 16;

export type OutputFormat = 'text' | 'json' | 'sarif';

export interface FileTarget {
  /** The path as the person wrote it (shown in output). */
  readonly path: string;
  /** Undefined: the whole file. */
  readonly range?: LineRange;
}

export interface CliRequest {
  readonly command: 'review' | 'explain';
  readonly targets: readonly FileTarget[];
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
  readonly minSeverity?: Severity;
  readonly minConfidence?: Confidence;
  readonly focus?: readonly Focus[];
  /** Independent samples of each review, matched by fingerprint (1: no voting). */
  readonly samples: number;
  /** Undefined: each file's kind comes from its extension (and, for Markdown, whether it has math). */
  readonly documentKind?: DocumentKind;
}

export type ParsedCommandLine = { kind: 'run'; request: CliRequest } | { kind: 'help' } | { kind: 'version' };

export class UsageError extends Error {}

export const USAGE = `Usage:
  thinklens review <path>[:<start>-<end>]... [options]
  thinklens explain <path>:<start>-<end> [--question TEXT] [options]

Options:
  --backend B        ${['auto', ...BACKEND_IDS].join(' | ')} (default: auto)
  --base-url U       the server's base URL: OpenAI-compatible ones end in /v1; for Ollama
                     http://host:11434 with or without /v1
  --model M          model id (default: the backend's default)
  --model-path P     GGUF file for --backend local
  --format F         text | json | sarif (default: text)
  --show-reasoning   stream the model's reasoning to stderr
  --concurrency N    files reviewed at once (default: 2)
  --timeout S        seconds to wait for the server, and the longest silence in a stream (default: 60)
  --deadline S       longest a whole run may take; the reasoning so far is kept (default: ${DEFAULT_DEADLINE_SECONDS})
  --seed N           sampling seed, where the backend honours it
  --question TEXT    what to ask about the code (explain)
  --min-severity S   ${[...SEVERITIES].reverse().join(' | ')}: leave out findings below S
  --min-confidence C ${CONFIDENCES_ASCENDING.join(' | ')}: leave out findings below C
  --focus LIST       any of ${FOCUS_AREAS.join(',')} (comma-separated): the prompt asks only for these, and the rest are left out
  --samples N        review each file N times (in parallel, within --concurrency) and report how many samples found each finding (default: 1)
  --kind K           proof | code: check a mathematical argument or review code (default: from the
                     file extension; .tex, .txt and Markdown with math are proofs)
  -h, --help         this help;  -v, --version  the version

API keys come from THINKLENS_API_KEY, then DEEPSEEK_API_KEY or OPENROUTER_API_KEY.
Exit codes: 0 success, 1 a run failed, 2 bad arguments.`;

export function parseCommandLine(argv: readonly string[]): ParsedCommandLine {
  let parsed;
  try {
    parsed = parseArgs({
      args: [...argv],
      allowPositionals: true,
      strict: true,
      options: {
        backend: { type: 'string' },
        'base-url': { type: 'string' },
        model: { type: 'string' },
        'model-path': { type: 'string' },
        format: { type: 'string' },
        'show-reasoning': { type: 'boolean' },
        concurrency: { type: 'string' },
        timeout: { type: 'string' },
        deadline: { type: 'string' },
        seed: { type: 'string' },
        question: { type: 'string' },
        'min-severity': { type: 'string' },
        'min-confidence': { type: 'string' },
        focus: { type: 'string' },
        samples: { type: 'string' },
        kind: { type: 'string' },
        help: { type: 'boolean', short: 'h' },
        version: { type: 'boolean', short: 'v' },
      },
    });
  } catch (error) {
    throw new UsageError(error instanceof Error ? error.message : String(error));
  }
  const { values, positionals } = parsed;
  if (values.help) return { kind: 'help' };
  if (values.version) return { kind: 'version' };
  const [command, ...paths] = positionals;
  if (command !== 'review' && command !== 'explain') {
    throw new UsageError(command ? `unknown command "${command}"; use review or explain` : 'no command given; use review or explain');
  }
  if (paths.length === 0) throw new UsageError(`${command} needs at least one file`);
  const targets = paths.map(parseTarget);
  if (command === 'explain' && (targets.length !== 1 || !targets[0]!.range)) {
    throw new UsageError('explain takes exactly one <path>:<start>-<end>');
  }
  const backend = values.backend ?? (values['model-path'] ? 'local' : values['base-url'] ? 'openai-compatible' : 'auto');
  if (backend !== 'auto' && !(BACKEND_IDS as readonly string[]).includes(backend)) {
    throw new UsageError(`unknown backend "${backend}"; use one of: auto, ${BACKEND_IDS.join(', ')}`);
  }
  const format = values.format ?? 'text';
  if (format !== 'text' && format !== 'json' && format !== 'sarif') throw new UsageError(`unknown format "${format}"; use text, json or sarif`);
  if (backend === 'local' && !values['model-path']) throw new UsageError('--backend local needs --model-path <file.gguf>');
  if (values['base-url'] !== undefined && !/^https?:\/\/\S+$/.test(values['base-url'])) {
    throw new UsageError(`--base-url must be an http:// or https:// URL, not "${values['base-url']}"`);
  }
  const documentKind = values.kind;
  if (documentKind !== undefined && !(DOCUMENT_KINDS as readonly string[]).includes(documentKind)) {
    throw new UsageError(`unknown kind "${documentKind}"; use ${DOCUMENT_KINDS.join(' or ')}`);
  }
  return {
    kind: 'run',
    request: {
      command,
      targets,
      backend: backend as BackendId | 'auto',
      baseUrl: values['base-url'],
      model: values.model,
      modelPath: values['model-path'],
      format,
      showReasoning: values['show-reasoning'] ?? false,
      concurrency: positiveInt(values.concurrency, '--concurrency', 2, 64),
      timeoutSeconds: positiveInt(values.timeout, '--timeout', 60, MAX_TIMER_SECONDS),
      deadlineSeconds: positiveInt(values.deadline, '--deadline', DEFAULT_DEADLINE_SECONDS, MAX_TIMER_SECONDS),
      seed: values.seed === undefined ? undefined : integer(values.seed, '--seed'),
      question: values.question,
      minSeverity: oneOf(values['min-severity'], '--min-severity', [...SEVERITIES].reverse()),
      minConfidence: oneOf(values['min-confidence'], '--min-confidence', CONFIDENCES_ASCENDING),
      focus: values.focus === undefined ? undefined : focusList(values.focus),
      samples: positiveInt(values.samples, '--samples', 1, MAX_SAMPLES),
      ...(documentKind ? { documentKind: documentKind as DocumentKind } : {}),
    },
  };
}

function oneOf<T extends string>(value: string | undefined, name: string, allowed: readonly T[]): T | undefined {
  if (value === undefined) return undefined;
  if (!(allowed as readonly string[]).includes(value)) throw new UsageError(`${name} must be one of ${allowed.join(', ')}, not "${value}"`);
  return value as T;
}

function focusList(value: string): Focus[] {
  const wanted = value.split(',').map((part) => part.trim().toLowerCase()).filter(Boolean);
  const unknown = wanted.filter((part) => !(FOCUS_AREAS as readonly string[]).includes(part));
  if (wanted.length === 0 || unknown.length > 0) {
    throw new UsageError(`--focus takes a comma-separated list of ${FOCUS_AREAS.join(', ')}${unknown.length ? `; "${unknown.join('", "')}" is not one` : ''}`);
  }
  return [...new Set(wanted)] as Focus[];
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
