// The models a server offers, for the Select Backend flow and its connection test: the
// OpenAI-compatible list (`GET {baseUrl}/models`), else Ollama's own (`GET /api/tags`). A failure
// says what was found at the address (nothing listening, a refused key, an HTML page...), with the
// server's own words redacted.

import { networkReason, redact } from '../errors';
import { ollamaRoot } from './ollama';

export type ModelListing =
  | { readonly ok: true; readonly models: readonly string[]; readonly via: 'openai' | 'ollama' }
  | {
      readonly ok: false;
      /** What went wrong, for a person: one sentence naming the address. */
      readonly problem: string;
      readonly kind: 'unreachable' | 'auth' | 'not-an-api' | 'http';
      readonly status?: number;
      /** The server's own message, redacted. */
      readonly serverMessage?: string;
    };

export interface ListModelsOptions {
  readonly apiKey?: string;
  readonly timeoutMs?: number;
  readonly signal?: AbortSignal;
}

const DEFAULT_TIMEOUT_MS = 4000;

export async function listModels(baseUrl: string, options: ListModelsOptions = {}): Promise<ModelListing> {
  const base = baseUrl.replace(/\/+$/, '');
  const secrets = { secrets: [options.apiKey] };
  const openai = await getJson(`${base}/models`, options);
  if (openai.ok) {
    const data = (openai.body as { data?: unknown } | null)?.data;
    if (Array.isArray(data)) {
      const models = data.map((m) => (m as { id?: unknown } | null)?.id).filter((id): id is string => typeof id === 'string');
      return { ok: true, models, via: 'openai' };
    }
  }
  // Ollama answers /api/tags at its root, whether or not the base URL ends in /v1.
  if (openai.ok || openai.status === 404) {
    const root = ollamaRoot(base);
    const ollama = await getJson(`${root}/api/tags`, options);
    const list = ollama.ok ? (ollama.body as { models?: unknown } | null)?.models : undefined;
    if (Array.isArray(list)) {
      const models = list.map((m) => (m as { name?: unknown } | null)?.name).filter((n): n is string => typeof n === 'string');
      return { ok: true, models, via: 'ollama' };
    }
  }
  if (!openai.ok && openai.reason !== undefined) {
    return { ok: false, kind: 'unreachable', problem: `Nothing answered at ${base} (${openai.reason}). Is the server running?` };
  }
  const status = openai.status;
  const serverMessage = openai.text ? redact(serverWords(openai.text), secrets) : undefined;
  const said = serverMessage ? ` The server said: ${serverMessage}` : '';
  if (status === 401 || status === 403) {
    return {
      ok: false,
      kind: 'auth',
      status,
      problem: `${base} refused the request (${status}): it needs a valid API key.${said}`,
      ...(serverMessage ? { serverMessage } : {}),
    };
  }
  if (openai.html || openai.ok) {
    return {
      ok: false,
      kind: 'not-an-api',
      ...(status ? { status } : {}),
      problem: `${base} answered, but not with a model list; check that the URL is the API root (usually ending in /v1).`,
    };
  }
  return {
    ok: false,
    kind: 'http',
    ...(status ? { status } : {}),
    problem: `${base} answered ${status} to a request for its models.${said}`,
    ...(serverMessage ? { serverMessage } : {}),
  };
}

type Fetched =
  | { ok: true; status: number; body: unknown; html?: undefined; text?: undefined; reason?: undefined }
  | { ok: false; status?: number; html?: boolean; text?: string; reason?: string };

async function getJson(url: string, options: ListModelsOptions): Promise<Fetched> {
  const timeout = AbortSignal.timeout(options.timeoutMs ?? DEFAULT_TIMEOUT_MS);
  try {
    const response = await fetch(url, {
      signal: options.signal ? AbortSignal.any([options.signal, timeout]) : timeout,
      headers: options.apiKey ? { authorization: `Bearer ${options.apiKey}` } : {},
    });
    const text = await response.text();
    const html = /^\s*</.test(text);
    if (!response.ok) return { ok: false, status: response.status, html, text };
    try {
      return { ok: true, status: response.status, body: JSON.parse(text) as unknown };
    } catch {
      return { ok: false, status: response.status, html: true, text };
    }
  } catch (err) {
    if ((err as { name?: unknown })?.name === 'TimeoutError') return { ok: false, reason: 'no answer in time' };
    if ((err as { name?: unknown })?.name === 'AbortError') throw err;
    return { ok: false, reason: networkReason(err) ?? 'connection failed' };
  }
}

/** The message inside a JSON error body (`{"error":{"message"}}`, `{"error":"..."}`), else the text. */
function serverWords(text: string): string {
  try {
    const body = JSON.parse(text) as { error?: { message?: unknown } | string; message?: unknown };
    const inner = typeof body.error === 'string' ? body.error : (body.error?.message ?? body.message);
    if (typeof inner === 'string') return inner;
  } catch {
    // not JSON
  }
  return text;
}

/** Models whose names say they reason (R1-style), first; the rest keep the server's order. */
export function reasoningModelsFirst(models: readonly string[]): string[] {
  const thinking = models.filter((m) => THINKING_MODEL.test(m));
  return [...thinking, ...models.filter((m) => !THINKING_MODEL.test(m))];
}

export const THINKING_MODEL = /r1|think|reason|qwq|deepseek|qwen3|gpt-oss|magistral/i;
