// Asks a server how many tokens a prompt takes (the `countTokens` of OpenAI-compatible backends),
// so the planner uses the server's own count instead of an estimate. Each server counts elsewhere:
//   llama.cpp  POST /apply-template {messages} -> {prompt} (tools/server/server-context.cpp,
//              post_apply_template: the chat template applied as for a chat request), then
//              POST /tokenize {content, add_special: true, parse_special: true} -> {tokens: [...]}
//              (post_tokenize), the way a chat request's prompt is tokenized (server-common.cpp,
//              tokenize_input_prompts with add_special and parse_special). A router (several models)
//              passes both to the model named in the body (tools/server/server.cpp, proxy_post).
//   vLLM       POST /tokenize {model, messages, add_generation_prompt: true} -> {count, max_model_len,
//              tokens} (vllm/entrypoints/openai/protocol.py TokenizeChatRequest: the chat template
//              applied by the server).
//   SGLang     POST /v1/tokenize {model, prompt, add_special_tokens: true} -> {tokens, count,
//              max_model_len} (python/sglang/srt/entrypoints/openai/serving_tokenize.py). It takes
//              text only, no messages, so the messages' text is counted by the server and the chat
//              template around each message is added as an estimate.
// One count per prompt: answers are cached by content. A server that cannot count (no such
// endpoint, an error, a timeout) gives undefined, and the planner's estimate stands.

import type { ChatMessage } from '../types';
import { serverRoot } from './discovery';

export type TokenCountRoute = 'llamacpp-tokenize' | 'vllm-tokenize' | 'sglang-tokenize' | 'none';

/** Counting is a cheap POST; a server slower than this is not waited for (the estimate stands). */
const COUNT_TIMEOUT_MS = 10_000;
/** Prompts whose count is kept. */
const CACHE_SIZE = 64;
/** SGLang: the chat template's tokens around each message (role markers, separators), estimated high. */
const TEMPLATE_TOKENS_PER_MESSAGE = 12;

export interface CountTarget {
  readonly route: TokenCountRoute;
  /** The API root, e.g. `http://127.0.0.1:8080/v1`. */
  readonly baseUrl: string;
  readonly model: string;
  readonly apiKey?: string;
}

export type TokenCounter = (messages: readonly ChatMessage[], signal: AbortSignal) => Promise<number | undefined>;

export function createTokenCounter(target: CountTarget): TokenCounter | undefined {
  if (target.route === 'none') return undefined;
  const cache = new Map<string, number>();
  return async (messages, signal) => {
    const key = JSON.stringify(messages.map((m) => [m.role, m.content]));
    const cached = cache.get(key);
    if (cached !== undefined) return cached;
    let count: number | undefined;
    try {
      count = await countOnServer(target, messages, signal);
    } catch (err) {
      if (signal.aborted) throw err;
      return undefined;
    }
    if (count === undefined) return undefined;
    if (cache.size >= CACHE_SIZE) cache.delete(cache.keys().next().value!);
    cache.set(key, count);
    return count;
  };
}

async function countOnServer(target: CountTarget, messages: readonly ChatMessage[], signal: AbortSignal): Promise<number | undefined> {
  const root = serverRoot(target.baseUrl);
  const chat = messages.map((m) => ({ role: m.role, content: m.content }));
  switch (target.route) {
    case 'llamacpp-tokenize': {
      const rendered = await postJson(`${root}/apply-template`, { model: target.model, messages: chat }, target, signal);
      const prompt = isRecord(rendered) && typeof rendered.prompt === 'string' ? rendered.prompt : undefined;
      if (prompt === undefined) return undefined;
      const tokenized = await postJson(
        `${root}/tokenize`,
        { model: target.model, content: prompt, add_special: true, parse_special: true },
        target,
        signal,
      );
      return isRecord(tokenized) && Array.isArray(tokenized.tokens) ? tokenized.tokens.length : undefined;
    }
    case 'vllm-tokenize': {
      const answer = await postJson(
        `${root}/tokenize`,
        { model: target.model, messages: chat, add_generation_prompt: true },
        target,
        signal,
      );
      return isRecord(answer) ? countOf(answer.count) : undefined;
    }
    case 'sglang-tokenize': {
      const text = messages.map((m) => m.content).join('\n');
      const answer = await postJson(`${root}/v1/tokenize`, { model: target.model, prompt: text, add_special_tokens: true }, target, signal);
      const counted = isRecord(answer) ? countOf(answer.count) : undefined;
      return counted === undefined ? undefined : counted + TEMPLATE_TOKENS_PER_MESSAGE * (messages.length + 1);
    }
    default:
      return undefined;
  }
}

async function postJson(url: string, body: unknown, target: CountTarget, signal: AbortSignal): Promise<unknown> {
  const response = await fetch(url, {
    method: 'POST',
    headers: {
      'content-type': 'application/json',
      accept: 'application/json',
      ...(target.apiKey ? { authorization: `Bearer ${target.apiKey}` } : {}),
    },
    body: JSON.stringify(body),
    signal: AbortSignal.any([signal, AbortSignal.timeout(COUNT_TIMEOUT_MS)]),
  });
  if (!response.ok) {
    await response.body?.cancel().catch(() => undefined);
    return undefined;
  }
  return response.json();
}

function countOf(value: unknown): number | undefined {
  return typeof value === 'number' && Number.isInteger(value) && value > 0 ? value : undefined;
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}
