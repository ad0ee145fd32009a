// Failures a person can act on. Every backend failure ends as a `BackendError` whose `message` is
// one line saying what happened and whose `remedies` say what to do, as data each front end words
// for its people (core/remedies.ts); `detail` keeps the server's own words (redacted, one line).
// No message ever contains the API key.

import { PRESETS } from './backends/presets';
import type { Remedy } from './remedies';
import type { BackendErrorKind, BackendId } from './types';
import { ownValue } from './text';

export interface BackendErrorOptions {
  readonly status?: number;
  readonly retryAfterSeconds?: number;
  /** The server's or the runtime's own words, redacted. */
  readonly detail?: string;
  /** More about what happened, in words that name nothing of a front end's (e.g. what the planner sent). */
  readonly note?: string;
  readonly cause?: unknown;
}

export class BackendError extends Error {
  override readonly name = 'BackendError';
  readonly kind: BackendErrorKind;
  /** What to do about it, most useful first. */
  readonly remedies: readonly Remedy[];
  readonly status?: number;
  readonly retryAfterSeconds?: number;
  readonly detail?: string;
  readonly note?: string;

  constructor(kind: BackendErrorKind, message: string, remedies: readonly Remedy[], options: BackendErrorOptions = {}) {
    // URL credentials are removed here too, so no message can carry them whoever built it.
    super(stripUrlCredentials(oneLine(message)), options.cause === undefined ? undefined : { cause: options.cause });
    this.kind = kind;
    this.remedies = remedies.map((r) =>
      r.kind === 'advice'
        ? { ...r, text: stripUrlCredentials(r.text) }
        : (r.kind === 'start-server' || r.kind === 'use-base-url') && r.url
          ? { ...r, url: stripUrlCredentials(r.url) }
          : r,
    );
    if (options.status !== undefined) this.status = options.status;
    if (options.retryAfterSeconds !== undefined) this.retryAfterSeconds = options.retryAfterSeconds;
    if (options.detail) this.detail = stripUrlCredentials(options.detail);
    if (options.note) this.note = stripUrlCredentials(options.note);
  }
}

/** What the failing request was, so a message can name the server, URL and model. */
export interface ErrorContext {
  readonly backend: BackendId;
  readonly baseUrl?: string;
  readonly model?: string;
  /** Values that must never appear in a message (the API key). */
  readonly secrets?: readonly (string | undefined)[];
  /** Seconds, for timeout messages. */
  readonly idleTimeoutSeconds?: number;
  readonly requestTimeoutSeconds?: number;
}

/** Facts about an HTTP error response, gathered by whoever saw it. */
export interface HttpFailure {
  readonly status: number;
  /** The server's message (from its JSON error body, or its text). */
  readonly serverMessage?: string;
  readonly retryAfterSeconds?: number;
  /** The body was an HTML page (a proxy or a wrong base URL), not the API's JSON. */
  readonly html?: boolean;
}

// "max_tokens" alone is a bad parameter, not an overlong prompt (DeepSeek: "Invalid max_tokens value").
const CONTEXT_WORDS = /context|too long|too large|length|(?<!max_)tokens?\b|exceed/i;

/** Maps an HTTP error status to the error a person sees (docs/RELIABILITY.md). */
export function httpError(failure: HttpFailure, ctx: ErrorContext): BackendError {
  const { status } = failure;
  const name = labelOf(ctx);
  const detail = failure.serverMessage ? redact(failure.serverMessage, ctx) : undefined;
  const options = { status, detail, retryAfterSeconds: failure.retryAfterSeconds };
  const local = isLocal(ctx);

  if (status === 401 || status === 403) {
    const what = status === 401 ? 'rejected the API key' : 'refused access with this API key';
    return new BackendError(
      'auth',
      `${name} ${what} (${status}).`,
      [{ kind: 'set-key', backend: ctx.backend }, { kind: 'choose-backend' }],
      options,
    );
  }
  if (status === 402) {
    return new BackendError(
      'out-of-balance',
      `${name} says the account has no balance left (402).`,
      [{ kind: 'top-up', provider: name }, { kind: 'choose-backend' }],
      options,
    );
  }
  if (status === 429) {
    const wait = failure.retryAfterSeconds !== undefined ? ` Retry in ${Math.ceil(failure.retryAfterSeconds)} s.` : '';
    return new BackendError(
      'rate-limit',
      `${name} is limiting requests (429).${wait}`,
      [{ kind: 'retry' }, { kind: 'lower-option', option: 'maxConcurrency' }],
      options,
    );
  }
  if (status >= 500) {
    return new BackendError(
      'server',
      `${name} had a server error (${status}).`,
      [
        { kind: 'retry' },
        local
          ? { kind: 'server-log', server: name }
          : { kind: 'advice', text: 'If it keeps failing, the provider may be having an outage.' },
      ],
      options,
    );
  }
  if (failure.html && status !== 413) return htmlPage(ctx, status);
  if (status === 413 || (status === 400 && !failure.html && detail !== undefined && CONTEXT_WORDS.test(detail))) {
    return new BackendError(
      'context-too-long',
      `The request is too long for ${modelName(ctx)} (${status}).`,
      [{ kind: 'smaller-input' }, ...(local ? [{ kind: 'advice', text: 'Or start the server with a larger context size.' } as const] : [])],
      options,
    );
  }
  if (status === 404) {
    return new BackendError(
      'model-not-found',
      `${name} has no model "${ctx.model ?? '?'}" at ${ctx.baseUrl ?? 'its base URL'} (404).`,
      ctx.backend === 'ollama'
        ? [
            { kind: 'pull-model', model: ctx.model ?? '<model>' },
            { kind: 'set-option', option: 'model', to: 'a model the server has' },
          ]
        : [
            { kind: 'set-option', option: 'model', to: 'a model the server serves' },
            { kind: 'set-option', option: 'baseUrl', to: "the server's API root" },
          ],
      options,
    );
  }
  const said = detail ? `: ${truncate(detail, 160)}` : '.';
  return new BackendError(
    'setup',
    `${name} rejected the request (${status})${said}`,
    [
      { kind: 'set-option', option: 'backend', to: 'the kind of server this is' },
      { kind: 'set-option', option: 'model', to: 'a model the server serves' },
      { kind: 'set-option', option: 'baseUrl', to: "the server's API root" },
      { kind: 'show-log' },
    ],
    options,
  );
}

/**
 * A 404 that is about the address, not the model: the same server answers at `apiRoot` (the base
 * URL with the API's `/v1`), or it lists the model (`apiRoot` undefined), so the path is wrong.
 */
export function wrongBaseUrlError(ctx: ErrorContext, apiRoot: string | undefined, status = 404): BackendError {
  const name = labelOf(ctx);
  const at = ctx.baseUrl ?? 'its base URL';
  return apiRoot
    ? new BackendError(
        'setup',
        `${name} answered ${status} at ${at}, but answers at ${apiRoot}: the base URL lacks the API's /v1.`,
        [{ kind: 'use-base-url', url: apiRoot }],
        { status },
      )
    : new BackendError(
        'setup',
        `${name} lists ${ctx.model ?? 'the model'} but answered ${status} at ${at}, so the base URL's path is wrong.`,
        [{ kind: 'set-option', option: 'baseUrl', to: "the server's API root, usually ending in /v1" }, { kind: 'choose-backend' }],
        { status },
      );
}

export function htmlPage(ctx: ErrorContext, status?: number): BackendError {
  const where = ctx.baseUrl ?? labelOf(ctx);
  return new BackendError(
    'bad-response',
    `${where} returned an HTML page instead of an API response${status ? ` (${status})` : ''}; check the base URL.`,
    [
      {
        kind: 'set-option',
        option: 'baseUrl',
        to: 'the OpenAI-compatible API root, usually ending in /v1 (for example http://127.0.0.1:11434/v1)',
      },
    ],
    status === undefined ? {} : { status },
  );
}

export function networkError(ctx: ErrorContext, reason: string, cause?: unknown): BackendError {
  const name = labelOf(ctx);
  return new BackendError(
    'network',
    `Could not reach ${name} at ${ctx.baseUrl ?? 'its base URL'} (${reason}).`,
    isLocal(ctx)
      ? [{ kind: 'start-server', server: name, ...(ctx.baseUrl ? { url: ctx.baseUrl } : {}) }, { kind: 'retry' }]
      : [
          { kind: 'advice', text: 'Check the internet connection or a proxy.' },
          { kind: 'set-option', option: 'baseUrl', to: "the provider's API root" },
          { kind: 'retry' },
          { kind: 'choose-backend' },
        ],
    { detail: cause === undefined ? undefined : redact(describeCause(cause), ctx), cause },
  );
}

/** The stream stopped before a finish reason: the connection dropped or the server gave up. */
export function streamCutError(ctx: ErrorContext, cause?: unknown): BackendError {
  return new BackendError(
    'network',
    `The stream from ${labelOf(ctx)} ended before the answer finished.`,
    [{ kind: 'retry' }, { kind: 'advice', text: "If it keeps happening, look at the server's log or a proxy's timeout." }],
    { detail: cause === undefined ? undefined : redact(describeCause(cause), ctx), cause },
  );
}

export function malformedStreamError(ctx: ErrorContext, cause?: unknown): BackendError {
  return new BackendError(
    'bad-response',
    `${labelOf(ctx)} sent a stream line that is not valid JSON.`,
    [{ kind: 'set-option', option: 'baseUrl', to: 'an OpenAI-compatible server' }, { kind: 'show-log' }],
    { detail: cause === undefined ? undefined : redact(describeCause(cause), ctx), cause },
  );
}

export function idleTimeoutError(ctx: ErrorContext): BackendError {
  const seconds = ctx.idleTimeoutSeconds ?? 60;
  return new BackendError('timeout', `${labelOf(ctx)} sent nothing for ${seconds} s, so the request was stopped.`, [
    { kind: 'advice', text: 'The server may be overloaded or stuck.' },
    { kind: 'retry' },
    { kind: 'raise-option', option: 'requestTimeoutSeconds', value: seconds },
  ]);
}

export function requestTimeoutError(ctx: ErrorContext): BackendError {
  const seconds = ctx.requestTimeoutSeconds ?? 60;
  return new BackendError('timeout', `${labelOf(ctx)} did not start answering within ${seconds} s.`, [
    ...(isLocal(ctx) ? [{ kind: 'advice', text: 'A local server may still be loading the model.' } as const] : []),
    { kind: 'retry' },
    { kind: 'raise-option', option: 'requestTimeoutSeconds', value: seconds },
  ]);
}

export function cancelledError(): BackendError {
  return new BackendError('cancelled', 'The request was cancelled.', [{ kind: 'retry' }]);
}

const NETWORK_CODES: Record<string, string> = {
  ECONNREFUSED: 'connection refused',
  ECONNRESET: 'connection reset',
  ENOTFOUND: 'host not found',
  EAI_AGAIN: 'DNS lookup failed',
  EHOSTUNREACH: 'host unreachable',
  ENETUNREACH: 'network unreachable',
  ETIMEDOUT: 'connection timed out',
  EPIPE: 'connection closed',
  UND_ERR_SOCKET: 'connection closed',
  UND_ERR_CONNECT_TIMEOUT: 'connection timed out',
  UND_ERR_CLOSED: 'connection closed',
  CERT_HAS_EXPIRED: 'TLS certificate expired',
  DEPTH_ZERO_SELF_SIGNED_CERT: 'self-signed TLS certificate',
  UNABLE_TO_VERIFY_LEAF_SIGNATURE: 'TLS certificate not trusted',
  SELF_SIGNED_CERT_IN_CHAIN: 'TLS certificate not trusted',
};

/** The network reason behind an error (walking `cause`), or undefined when it is not one. */
export function networkReason(err: unknown): string | undefined {
  for (let e: unknown = err, depth = 0; e !== undefined && e !== null && depth < 6; depth++) {
    const code = (e as { code?: unknown }).code;
    const reason = typeof code === 'string' ? ownValue(NETWORK_CODES, code) : undefined;
    if (reason) return reason;
    e = (e as { cause?: unknown }).cause;
  }
  return undefined;
}

/** Turns anything thrown into a `BackendError`; one that already is one passes through. */
export function toBackendError(err: unknown, ctx: ErrorContext): BackendError {
  if (err instanceof BackendError) return err;
  const name = (err as { name?: unknown } | null)?.name;
  if (name === 'AbortError') return cancelledError();
  if (name === 'TimeoutError') return requestTimeoutError(ctx);
  const status = (err as { status?: unknown } | null)?.status;
  if (typeof status === 'number' && status >= 400) {
    return httpError({ status, serverMessage: messageOf(err) }, ctx);
  }
  if (err instanceof SyntaxError) return malformedStreamError(ctx, err);
  const reason = networkReason(err);
  if (reason) return networkError(ctx, reason, err);
  return new BackendError(
    'bad-response',
    `${labelOf(ctx)} failed unexpectedly: ${truncate(redact(messageOf(err) ?? String(err), ctx), 160)}`,
    [{ kind: 'retry' }, { kind: 'show-log' }],
    { detail: redact(describeCause(err), ctx), cause: err },
  );
}

/** `Retry-After` (seconds or an HTTP date) or `retry-after-ms`, in seconds; undefined when absent. */
export function parseRetryAfter(headers: { get(name: string): string | null } | undefined, now = Date.now()): number | undefined {
  if (!headers) return undefined;
  const ms = headers.get('retry-after-ms');
  if (ms !== null && ms.trim() !== '' && Number.isFinite(Number(ms))) return Math.max(0, Number(ms) / 1000);
  const value = headers.get('retry-after');
  if (value === null || value.trim() === '') return undefined;
  if (Number.isFinite(Number(value))) return Math.max(0, Number(value));
  const date = Date.parse(value);
  return Number.isNaN(date) ? undefined : Math.max(0, (date - now) / 1000);
}

/** Removes the API key, URL credentials and anything shaped like a key or bearer token; one line, bounded. */
export function redact(text: string, ctx?: Pick<ErrorContext, 'secrets'>): string {
  let out = text;
  for (const secret of ctx?.secrets ?? []) {
    if (secret && secret.length >= 4) out = out.split(secret).join('***');
  }
  out = stripUrlCredentials(out)
    .replace(/\bsk-[A-Za-z0-9_-]{6,}/g, '***')
    .replace(/Bearer\s+\S+/gi, 'Bearer ***');
  return truncate(oneLine(out), 500);
}

// `scheme://user:pass@host` and query parameters that carry a credential (`?api_key=`, `&token=`).
const URL_USERINFO = /\b([a-z][a-z0-9+.-]*:\/\/)[^\s/?#@]*@/gi;
const CREDENTIAL_PARAM =
  /([?&;](?:api[_-]?key|apikey|key|token|access[_-]?token|auth|authorization|password|passwd|pwd|secret|client[_-]?secret|sig|signature|code)=)[^&#\s"'<>]*/gi;

/** Text with every URL's user info and credential query parameters replaced by `***`. */
export function stripUrlCredentials(text: string): string {
  return text.replace(URL_USERINFO, '$1***@').replace(CREDENTIAL_PARAM, '$1***');
}

/** The credentials written into a base URL (user, password, credential parameters), to redact wherever they appear. */
export function urlSecrets(url: string | undefined): string[] {
  if (!url) return [];
  let parsed: URL;
  try {
    parsed = new URL(url);
  } catch {
    return [];
  }
  const found = [parsed.username, parsed.password, decodeSafe(parsed.username), decodeSafe(parsed.password)];
  for (const [name, value] of parsed.searchParams) if (/key|token|secret|pass|pwd|auth|sig|code/i.test(name)) found.push(value);
  return found.filter((s) => s.length >= 4);
}

function decodeSafe(text: string): string {
  try {
    return decodeURIComponent(text);
  } catch {
    return text;
  }
}

/** A stream event or a whole response past its cap: the server is broken or hostile. */
export function streamTooLargeError(ctx: ErrorContext, what: 'event' | 'response', size: number, cap: number, unit: string): BackendError {
  const said = what === 'event' ? `one stream event longer than ${cap} ${unit}` : `a response longer than ${cap} ${unit} (${size} so far)`;
  return new BackendError('bad-response', `${labelOf(ctx)} sent ${said}, so the request was stopped.`, [
    { kind: 'advice', text: 'The server is misbehaving or is not an OpenAI-compatible API; the reasoning so far is kept.' },
    { kind: 'set-option', option: 'baseUrl', to: 'an OpenAI-compatible server' },
  ]);
}

function labelOf(ctx: ErrorContext): string {
  return PRESETS[ctx.backend]?.label ?? ctx.backend;
}

function modelName(ctx: ErrorContext): string {
  return ctx.model ? `${ctx.model}'s context window` : "the model's context window";
}

/** A server on this machine: a local preset, or any base URL on a loopback address. */
function isLocal(ctx: ErrorContext): boolean {
  return (PRESETS[ctx.backend]?.localServer ?? false) || isLoopbackUrl(ctx.baseUrl);
}

function isLoopbackUrl(url: string | undefined): boolean {
  if (!url) return false;
  try {
    const host = new URL(url).hostname.replace(/^\[|\]$/g, '');
    return host === 'localhost' || host === '::1' || /^127\./.test(host);
  } catch {
    return false;
  }
}

function messageOf(err: unknown): string | undefined {
  const message = (err as { message?: unknown } | null)?.message;
  return typeof message === 'string' && message ? message : undefined;
}

function describeCause(err: unknown): string {
  const parts: string[] = [];
  for (let e: unknown = err, depth = 0; e !== undefined && e !== null && depth < 4; depth++) {
    const message = messageOf(e) ?? String(e);
    const code = (e as { code?: unknown }).code;
    parts.push(typeof code === 'string' ? `${message} [${code}]` : message);
    e = (e as { cause?: unknown }).cause;
  }
  return parts.join(' <- ');
}

function oneLine(text: string): string {
  return text.replace(/\s+/g, ' ').trim();
}

function truncate(text: string, max: number): string {
  return text.length <= max ? text : `${text.slice(0, max - 1)}…`;
}
