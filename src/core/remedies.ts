// What a person can do about a failure, as data. A `BackendError` carries a list of remedies (a kind
// plus its parameters); each front end words them for its own people: the extension names palette
// commands and settings and offers buttons (src/extension/remedies.ts), the CLI names flags and
// environment variables (src/cli/remedies.ts). Nothing in core names a command, a setting or a flag
// in prose: the names live in the table below, once.
import type { BackendId } from './types';

/**
 * The options a remedy may point at: the editor setting (under `thinklens.`) and the CLI's flag for
 * the same thing, when it has one. test/unit/remedies.test.ts checks both names against
 * package.json and the CLI's flag table.
 */
export const OPTIONS = {
  backend: { what: 'the backend', setting: 'backend', flag: '--backend' },
  baseUrl: { what: 'the base URL', setting: 'baseUrl', flag: '--base-url' },
  model: { what: 'the model', setting: 'model', flag: '--model' },
  maxTokens: { what: 'the maximum tokens per answer', setting: 'maxTokens' },
  requestTimeoutSeconds: { what: 'the request timeout', setting: 'requestTimeoutSeconds', flag: '--timeout' },
  deadlineSeconds: { what: 'the run deadline', setting: 'deadlineSeconds', flag: '--deadline' },
  maxConcurrency: { what: 'the number of requests at once', setting: 'review.maxConcurrency', flag: '--concurrency' },
  localModelPath: { what: 'the local model file', setting: 'local.modelPath', flag: '--model-path' },
  localContextSize: { what: "the local model's context size", setting: 'local.contextSize' },
} as const satisfies Record<string, { readonly what: string; readonly setting: string; readonly flag?: string }>;
export type OptionName = keyof typeof OPTIONS;

export type Remedy =
  /** Give the backend an API key (SecretStorage in the editor, its environment variable anywhere). */
  | { readonly kind: 'set-key'; readonly backend: BackendId }
  /** The server answers at another base URL (the same one with the API's `/v1`): use that one. */
  | { readonly kind: 'use-base-url'; readonly url: string }
  /** Pick another backend (or model). */
  | { readonly kind: 'choose-backend' }
  /** Set an option to something that works: `to` says what, in words ("a model the server serves"). */
  | { readonly kind: 'set-option'; readonly option: OptionName; readonly to: string }
  /** Raise a limit; `value` is what it is now. */
  | { readonly kind: 'raise-option'; readonly option: OptionName; readonly value?: number }
  | { readonly kind: 'lower-option'; readonly option: OptionName }
  /** A server on this machine is not answering: start it, or point the base URL where it listens. */
  | { readonly kind: 'start-server'; readonly server: string; readonly url?: string }
  /** Ollama has no such model: pull it. */
  | { readonly kind: 'pull-model'; readonly model: string }
  /** The in-process backend has no usable GGUF file. */
  | { readonly kind: 'get-local-model' }
  /** Run the same request again. */
  | { readonly kind: 'retry' }
  /** Less code per request. */
  | { readonly kind: 'smaller-input' }
  | { readonly kind: 'top-up'; readonly provider: string }
  /** The cause is on the server: its own log says more. */
  | { readonly kind: 'server-log'; readonly server: string }
  /** ThinkLens's own log (the editor) or its error output (the CLI) has the full details. */
  | { readonly kind: 'show-log' }
  /** Advice that names nothing of ThinkLens's (no command, setting or flag), worded the same everywhere. */
  | { readonly kind: 'advice'; readonly text: string };

export type RemedyKind = Remedy['kind'];

/** A renderer per remedy kind: a front end that misses a kind fails to type-check. */
export type RemedyRenderers<T> = { readonly [K in RemedyKind]: (remedy: Extract<Remedy, { kind: K }>) => T };

export function renderRemedy<T>(renderers: RemedyRenderers<T>, remedy: Remedy): T {
  return (renderers[remedy.kind] as (r: Remedy) => T)(remedy);
}
