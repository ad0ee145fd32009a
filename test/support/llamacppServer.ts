// A replay of llama.cpp's `llama-server`: its discovery endpoints, its token counting, its chat
// template, where it puts the reasoning for each `--reasoning-format`, what a `json_schema` binds and
// how it refuses a prompt longer than a slot's window. Each behaviour names the file of llama.cpp's
// tools/server (or common/, src/) it copies, as read in the source node-llama-cpp ships
// (node_modules/node-llama-cpp/llama/gitRelease.bundle, September 2026). test/llamaserver/
// conformance.test.ts runs the same scenarios against this replay and the real llama-server on the
// scripted test model (test/support/gguf) and fails when they differ.

import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';

/** What the model writes, as the scripted test model does (test/support/gguf/scriptedModel.ts). */
export interface LlamaCppScript {
  /** Between the template's `<think>\n` prefill and `</think>`. */
  readonly reasoning: string;
  /** After `</think>` when nothing constrains the answer. */
  readonly freeAnswer: string;
  /** After `</think>` when a `json_schema` binds the answer: the JSON object alone. */
  readonly answerJson: string;
}

/** The GGUF vocabulary the replay tokenizes with (`tokenizer.ggml.tokens` / `token_type`). */
export interface LlamaCppVocabulary {
  readonly tokens: readonly string[];
  readonly types: readonly number[];
  readonly bosText: string;
}

export type LlamaCppReasoningFormat = 'deepseek' | 'deepseek-legacy' | 'none' | 'auto';

export interface LlamaCppModel {
  /** The id `/v1/models` lists (the `--alias`, else the file name). */
  readonly id: string;
  /** `--ctx-size` with one slot: one slot's window. */
  readonly contextWindow: number;
  /** The GGUF's `<arch>.context_length`. */
  readonly trainedWindow: number;
}

export interface LlamaCppReplayOptions {
  /** A single-model server; with `router`, the models the router offers. */
  readonly models: readonly LlamaCppModel[];
  /** Started without `--model`: a router that loads models on demand (tools/server/server-models.cpp). */
  readonly router?: boolean;
  readonly reasoningFormat?: LlamaCppReasoningFormat;
  readonly script: LlamaCppScript | ((body: Record<string, unknown>, index: number) => LlamaCppScript);
  /** Tokenize as llama.cpp does with this vocabulary; without one, about four characters a token. */
  readonly vocabulary?: LlamaCppVocabulary;
}

export interface LlamaCppReplay {
  readonly origin: string;
  readonly baseUrl: string;
  readonly chats: Record<string, unknown>[];
  readonly paths: string[];
  close(): Promise<void>;
}

/** What the R1 template's generation prompt opens after `<think>`: the model writes on from there. */
const GENERATION_PROMPT_THINK = '\n';

// Token types in GGUF's `tokenizer.ggml.token_type` (src/llama-vocab.h).
const UNKNOWN = 2;
const CONTROL = 3;
const USER_DEFINED = 4;

/**
 * Counts tokens as llama.cpp's SPM tokenizer does for a vocabulary of special pieces and byte
 * fallback (src/llama-vocab.cpp): special tokens are cut out first, longest first
 * (`cache_special_tokens` sorted by length, `tokenizer_st_partition`; control and unknown tokens
 * only with `parse_special`), then the rest is escaped (space to `▁`) and every character the
 * vocabulary lacks falls back to one token per UTF-8 byte (`llm_tokenizer_spm_session::resegment`).
 * `add_special` prepends BOS when the model adds one.
 */
export function llamaCppTokenCount(vocabulary: LlamaCppVocabulary, text: string, addSpecial: boolean, parseSpecial: boolean): number {
  const special = vocabulary.tokens
    .map((token, i) => ({ token, type: vocabulary.types[i]! }))
    .filter(({ type }) => type === USER_DEFINED || (parseSpecial && (type === CONTROL || type === UNKNOWN)))
    .map(({ token }) => token)
    .filter((token) => token.length > 0)
    .sort((a, b) => Buffer.byteLength(b) - Buffer.byteLength(a));
  const known = new Set(vocabulary.tokens);
  let fragments: (string | { special: string })[] = [text];
  for (const token of special) {
    fragments = fragments.flatMap((fragment) => {
      if (typeof fragment !== 'string' || !fragment.includes(token)) return [fragment];
      const parts = fragment.split(token);
      return parts.flatMap((part, i) => [...(i > 0 ? [{ special: token }] : []), ...(part ? [part] : [])]);
    });
  }
  let count = addSpecial ? 1 : 0;
  for (const fragment of fragments) {
    if (typeof fragment !== 'string') {
      count += 1;
      continue;
    }
    for (const char of fragment.replaceAll(' ', '\u2581')) count += known.has(char) ? 1 : Buffer.byteLength(char);
  }
  return count;
}

/** About four characters a token, as BPE tokenizers give for code and English. */
function approximateTokens(text: string): number {
  return Math.ceil(text.length / 4);
}

/**
 * The DeepSeek-R1 chat template the R1 distills ship (and the scripted model carries), rendered as
 * llama.cpp's Jinja engine renders it, without the leading BOS: the tokenizer adds that one
 * (common/chat.cpp, common_chat_template_direct_apply_impl strips a rendered BOS when the model
 * adds its own).
 */
export function renderR1Template(messages: readonly { role: string; content: string }[]): string {
  const system = messages.filter((m) => m.role === 'system').at(-1)?.content ?? '';
  let out = system;
  for (const message of messages) {
    if (message.role === 'user') out += `<｜User｜>${message.content}`;
    else if (message.role === 'assistant') out += `<｜Assistant｜>${message.content.split('</think>').at(-1)}<｜end▁of▁sentence｜>`;
  }
  return `${out}<｜Assistant｜><think>\n`;
}

export async function startLlamaCppReplay(options: LlamaCppReplayOptions): Promise<LlamaCppReplay> {
  const chats: Record<string, unknown>[] = [];
  const paths: string[] = [];
  const loaded = new Set<string>(options.router ? [] : options.models.map((m) => m.id));
  const reasoningFormat = options.reasoningFormat ?? 'auto';

  const tokens = (text: string, addSpecial: boolean, parseSpecial: boolean) =>
    options.vocabulary ? llamaCppTokenCount(options.vocabulary, text, addSpecial, parseSpecial) : approximateTokens(text);

  const server = createServer((req, res) => {
    void handle(req, res).catch((error: unknown) => json(res, 500, { error: { code: 500, message: String(error), type: 'server_error' } }));
  });

  async function handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const url = new URL(req.url ?? '/', 'http://replay');
    paths.push(`${req.method} ${url.pathname}${url.search}`);
    if (req.method === 'GET' && url.pathname === '/health') return json(res, 200, { status: 'ok' });
    if (req.method === 'GET' && url.pathname === '/props') return props(url.searchParams.get('model'), res);
    if (req.method === 'GET' && (url.pathname === '/v1/models' || url.pathname === '/models')) return listModels(res);
    if (req.method !== 'POST') return notFound(res);
    const body = JSON.parse(await readBody(req)) as Record<string, unknown>;
    if (url.pathname === '/tokenize') return tokenize(body, res);
    if (url.pathname === '/apply-template') return applyTemplate(body, res);
    if (url.pathname === '/v1/chat/completions' || url.pathname === '/chat/completions') {
      chats.push(body);
      return chat(body, chats.length - 1, res);
    }
    return notFound(res);
  }

  /** The model a request names: a router needs a known one (server-models.cpp, router_validate_model). */
  function modelFor(name: string | null | undefined, res: ServerResponse): LlamaCppModel | undefined {
    if (!options.router) return options.models[0];
    if (!name) {
      invalid(res, 'model name is missing from the request');
      return undefined;
    }
    const model = options.models.find((m) => m.id === name);
    if (!model) {
      invalid(res, `model '${name}' not found`);
      return undefined;
    }
    // models_autoload is on by default: the router loads it, then forwards the request.
    loaded.add(model.id);
    return model;
  }

  function props(name: string | null, res: ServerResponse): void {
    if (options.router && !name) {
      // server-models.cpp, get_router_props: the router's own props, a dummy window of 0.
      return json(res, 200, {
        role: 'router',
        max_instances: 4,
        models_autoload: true,
        model_alias: 'llama-server',
        model_path: 'none',
        default_generation_settings: { params: null, n_ctx: 0 },
        build_info: 'replay',
      });
    }
    const model = modelFor(name, res);
    if (!model) return;
    // server-context.cpp, get_res_props: one slot's window in default_generation_settings.n_ctx.
    json(res, 200, {
      default_generation_settings: { params: { n_predict: -1 }, n_ctx: model.contextWindow },
      total_slots: 1,
      model_alias: model.id,
      model_path: `/models/${model.id}.gguf`,
      modalities: { vision: false, video: false, audio: false },
      chat_template: 'deepseek-r1',
      bos_token: options.vocabulary?.bosText ?? '<｜begin▁of▁sentence｜>',
      build_info: 'replay',
      is_sleeping: false,
    });
  }

  /** server-context.cpp, get_res_model_info: `meta.n_ctx` is the slot's window, `n_ctx_train` the GGUF's. */
  function modelInfo(model: LlamaCppModel): Record<string, unknown> {
    return {
      id: model.id,
      aliases: [],
      tags: [],
      object: 'model',
      created: 1764460800,
      owned_by: 'llamacpp',
      meta: {
        vocab_type: 1,
        n_vocab: options.vocabulary?.tokens.length ?? 151936,
        n_ctx: model.contextWindow,
        n_ctx_train: model.trainedWindow,
      },
    };
  }

  function listModels(res: ServerResponse): void {
    if (!options.router) return json(res, 200, { object: 'list', data: options.models.map(modelInfo) });
    // server-models.cpp, get_router_models: every model with its status; a loaded one also carries
    // what its child process reported (its model info, `meta` included).
    const data = options.models.map((model) => ({
      id: model.id,
      aliases: [],
      tags: [],
      object: 'model',
      owned_by: 'llamacpp',
      created: 1764460800,
      status: { value: loaded.has(model.id) ? 'loaded' : 'unloaded', args: [] },
      ...(loaded.has(model.id) ? { meta: modelInfo(model).meta } : {}),
    }));
    json(res, 200, { data, object: 'list' });
  }

  /** server-context.cpp, post_tokenize: `add_special` false and `parse_special` true unless asked. */
  function tokenize(body: Record<string, unknown>, res: ServerResponse): void {
    if (typeof body.content !== 'string') return json(res, 200, { tokens: [] });
    const addSpecial = body.add_special === true;
    const parseSpecial = body.parse_special !== false;
    const count = tokens(body.content, addSpecial, parseSpecial);
    // The ids are not modelled, only how many there are.
    json(res, 200, { tokens: Array.from({ length: count }, (_, i) => i) });
  }

  /** server-context.cpp, post_apply_template: the rendered chat template as `prompt`. */
  function applyTemplate(body: Record<string, unknown>, res: ServerResponse): void {
    json(res, 200, { prompt: renderR1Template(messagesOf(body)) });
  }

  function chat(body: Record<string, unknown>, index: number, res: ServerResponse): void {
    const model = modelFor(typeof body.model === 'string' ? body.model : undefined, res);
    if (!model) return;
    // The prompt is the rendered template, tokenized with BOS and special tokens (server-common.cpp,
    // tokenize_input_prompts(vocab, ..., add_special = true, parse_special = true)).
    const promptTokens = tokens(renderR1Template(messagesOf(body)), true, true);
    // server-context.cpp: a prompt that fills the slot's window is refused before any token is made,
    // with the numbers (server_task_result_error::to_json adds n_prompt_tokens and n_ctx).
    if (promptTokens >= model.contextWindow) {
      return json(res, 400, {
        error: {
          code: 400,
          message: `request (${promptTokens} tokens) exceeds the available context size (${model.contextWindow} tokens), try increasing it`,
          type: 'exceed_context_size_error',
          n_prompt_tokens: promptTokens,
          n_ctx: model.contextWindow,
        },
      });
    }
    // This build cannot build the schema's grammar when no reasoning format splits the thinking: a
    // 400 before anything is generated (observed by the conformance test; the request's own
    // `reasoning_format: deepseek` avoids it).
    if (formatOf(body) === 'none' && isJsonSchema(body)) {
      return invalid(res, 'Failed to initialize samplers: std::exception');
    }
    const script = typeof options.script === 'function' ? options.script(body, index) : options.script;
    const output = outputOf(script, body);
    const requested = typeof body.max_tokens === 'number' ? body.max_tokens : Infinity;
    const room = Math.min(requested, model.contextWindow - promptTokens);
    const text = (s: string) => tokens(s, false, true);
    const completionTokens = text(output.reasoning) + text(output.content);
    const finish = completionTokens > room ? 'length' : 'stop';
    const usage = {
      prompt_tokens: promptTokens,
      completion_tokens: Math.min(completionTokens, room),
      total_tokens: promptTokens + Math.min(completionTokens, room),
    };
    if (body.stream === true) return stream(res, index, model.id, output, finish, usage);
    json(res, 200, {
      id: `chatcmpl-${index}`,
      object: 'chat.completion',
      model: model.id,
      choices: [
        {
          index: 0,
          finish_reason: finish,
          message: { role: 'assistant', content: output.content, ...(output.reasoning ? { reasoning_content: output.reasoning } : {}) },
        },
      ],
      usage,
    });
  }

  /**
   * Where the thinking goes (server-schema.cpp, `reasoning_format`; the request's own field wins over
   * the server's flag). The output is parsed together with the template's generation prompt, whose
   * `<think>\n` the model never writes (common/chat.cpp, `generation_prompt`): `deepseek` and `auto`
   * put the thinking, that newline first, in `reasoning_content`; `none` leaves `<think>\n`, the
   * thinking and `</think>` in `content`. `deepseek-legacy` is documented to keep the tags in
   * `content` too when streaming (common/arg.cpp, server-schema.cpp `reasoning_in_content`), but with
   * the R1 template this build splits exactly as `deepseek` does, streaming or not (the conformance
   * test showed it). A `json_schema` becomes a grammar that
   * binds the answer after `</think>` (common/chat-auto-parser-generator.cpp, build_parser), so the
   * answer is the JSON object alone.
   */
  function outputOf(script: LlamaCppScript, body: Record<string, unknown>): { reasoning: string; content: string } {
    const answer = isJsonSchema(body) ? script.answerJson : script.freeAnswer;
    const thinking = `${GENERATION_PROMPT_THINK}${script.reasoning}`;
    if (formatOf(body) === 'none') return { reasoning: '', content: `<think>${thinking}</think>${answer}` };
    return { reasoning: thinking, content: answer };
  }

  function formatOf(body: Record<string, unknown>): string {
    return typeof body.reasoning_format === 'string' ? body.reasoning_format : reasoningFormat;
  }

  function stream(
    res: ServerResponse,
    index: number,
    model: string,
    output: { reasoning: string; content: string },
    finish: string,
    usage: Record<string, number>,
  ): void {
    res.writeHead(200, { 'content-type': 'text/event-stream', 'cache-control': 'no-cache' });
    const send = (delta: Record<string, unknown>, finishReason: string | null = null, extra: Record<string, unknown> = {}) =>
      res.write(
        `data: ${JSON.stringify({ id: `chatcmpl-${index}`, object: 'chat.completion.chunk', model, choices: [{ index: 0, delta, finish_reason: finishReason }], ...extra })}\n\n`,
      );
    send({ role: 'assistant', content: null });
    for (const piece of pieces(output.reasoning)) send({ reasoning_content: piece });
    for (const piece of pieces(output.content)) send({ content: piece });
    send({}, finish);
    res.write(`data: ${JSON.stringify({ id: `chatcmpl-${index}`, object: 'chat.completion.chunk', model, choices: [], usage })}\n\n`);
    res.end('data: [DONE]\n\n');
  }

  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  const origin = `http://127.0.0.1:${port}`;
  return {
    origin,
    baseUrl: `${origin}/v1`,
    chats,
    paths,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}

function isJsonSchema(body: Record<string, unknown>): boolean {
  return (body.response_format as { type?: string } | undefined)?.type === 'json_schema';
}

function messagesOf(body: Record<string, unknown>): { role: string; content: string }[] {
  return Array.isArray(body.messages) ? (body.messages as { role: string; content: string }[]) : [];
}

/** server-common.cpp, format_error_response: ERROR_TYPE_INVALID_REQUEST is a 400. */
function invalid(res: ServerResponse, message: string): void {
  json(res, 400, { error: { code: 400, message, type: 'invalid_request_error' } });
}

function notFound(res: ServerResponse): void {
  json(res, 404, { error: { code: 404, message: 'File Not Found', type: 'not_found_error' } });
}

function pieces(text: string): string[] {
  const out: string[] = [];
  for (let i = 0; i < text.length; i += 40) out.push(text.slice(i, i + 40));
  return out;
}

function json(res: ServerResponse, status: number, value: unknown): void {
  res.writeHead(status, { 'content-type': 'application/json' });
  res.end(JSON.stringify(value));
}

function readBody(req: IncomingMessage): Promise<string> {
  return new Promise((resolve, reject) => {
    let text = '';
    req.setEncoding('utf8');
    req.on('data', (chunk: string) => (text += chunk));
    req.on('end', () => resolve(text));
    req.on('error', reject);
  });
}
