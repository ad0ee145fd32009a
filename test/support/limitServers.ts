// Replay servers with limits: each answers the discovery endpoint in its real server's shape and
// enforces its window the way that server does, with that server's own error body.
//
//   vllm      GET /v1/models  {object:'list', data:[{id, object:'model', owned_by:'vllm', root, max_model_len}]}
//             over the window: 400 {object:'error', message:"This model's maximum context length is N tokens. However, you requested M tokens (P in the messages, C in the completion). ...", type:'BadRequestError', code:400}
//   sglang    GET /v1/models  {object:'list', data:[{id, object:'model', owned_by:'sglang', root, max_model_len}]}
//             over the window: 400 {object:'error', message:'The input (P tokens) is longer than the model's context length (N tokens).', ...}
//   lmstudio  GET /api/v1/models  {models:[{type:'llm', key, loaded_instances:[{id, config:{context_length}}], max_context_length, ...}]}
//             over the window: 400 {error:'The number of tokens to keep from the initial prompt is greater than the context length. ...'}
//   llamacpp  GET /props {default_generation_settings:{n_ctx, ...}, total_slots, model_path} and GET /v1/models data[].meta
//             over the window: 400 {error:{code:400, message:'request (P tokens) exceeds the available context size (N tokens), try increasing it', type:'exceed_context_size_error', n_prompt_tokens, n_ctx}}
//             (the full llama.cpp replay, held to the real server, is test/support/llamacppServer.ts)
//   trtllm    GET /v1/models  {object:'list', data:[{id, object:'model', created, owned_by:'tensorrt_llm'}]}: no window
//             (ModelCard in tensorrt_llm/serve/openai_protocol.py); any field it does not know is a 400
//             {object:'error', message, type:'BadRequestError', param:null, code:400} (OpenAIBaseModel has
//             extra="forbid"; openai_server.py turns RequestValidationError into that ErrorResponse)
// Chat completions stream the scripted reasoning and answer in that server's delta field, stop with
// `finish_reason: length` when max_tokens (or the window) runs out, and record every request body.
// Tokens are counted as a real tokenizer does for code, about four characters each: fewer than the
// planner's estimate, so a plan that fits by the estimate also fits here.
//
// Where the reasoning goes, and what a `response_format` JSON schema binds, as each server does it:
//   vllm      with --reasoning-parser (`reasoningParser`, the default): `delta.reasoning` only, the name since
//             vLLM 0.16 removed `reasoning_content` (vLLM docs, "Reasoning Outputs": "reasoning used to be called
//             reasoning_content"); the schema applies after the thinking (vLLM docs, "Structured Outputs" with
//             reasoning: "the thinking process will not be guided by the JSON schema", which needs the parser).
//             Without the parser: everything in `content`, the thinking inline, and a schema binds from the
//             first token, so the model answers at once without thinking.
//   sglang    `reasoning_content` only when the server has --reasoning-parser and the request `separate_reasoning`
//             (python/sglang/srt/entrypoints/openai/serving_chat.py: `if self.reasoning_parser and
//             request.separate_reasoning`); otherwise inline, and a schema binds from the first token (SGLang docs,
//             "Reasoning Parser" / structured outputs for reasoning models need the parser).
//   lmstudio  `reasoning_content`; a json_schema applies to the whole output, the thinking included: the model
//             answers at once without thinking (lmstudio-bug-tracker 575, a maintainer: "structured output
//             applies to the entire model output, which includes the <think> tags"; 1698, 1773, 1783 open on 0.4.x).
//   llamacpp  `reasoning_content` (`reasoning_format: deepseek`); the schema's grammar after the thinking
//             (common/chat-auto-parser-generator.cpp, current builds).
//   trtllm    with --reasoning_parser deepseek-r1: `delta.reasoning_content` (chat_stream_post_processor in
//             tensorrt_llm/serve/postprocess_handlers.py); a json_schema becomes a structural tag that lets the
//             model think between <think> and </think> first (_response_format_to_guided_decoding_params in
//             openai_protocol.py). Without the parser: inline, and the schema binds from the first token.
// Inline thinking is sent as R1's chat template leaves it: the template prefills `<think>\n`, so the output
// has only the closing `</think>` (the DeepSeekR1Parser docstring in tensorrt_llm/llmapi/reasoning_parser.py).

import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';

export type LimitServerKind = 'vllm' | 'sglang' | 'lmstudio' | 'llamacpp' | 'trtllm';

export interface ScriptedTurn {
  readonly reasoning: string;
  readonly answer: string;
  /**
   * What the model writes when a schema binds it from the first token and it cannot think; by
   * default a quiet JSON review with no findings, as the issue saw from a real server.
   */
  readonly unthinking?: string;
}

/** A model held to the schema before it could think reviews nothing. */
export const UNTHINKING_ANSWER = JSON.stringify({ summary: 'No problems found.', findings: [] });

/** The chat-completions fields trtllm-serve's ChatCompletionRequest declares (the ones ThinkLens could send). */
const TRTLLM_FIELDS = new Set([
  'messages',
  'model',
  'frequency_penalty',
  'logit_bias',
  'logprobs',
  'top_logprobs',
  'max_tokens',
  'max_completion_tokens',
  'n',
  'presence_penalty',
  'response_format',
  'seed',
  'stop',
  'stream',
  'stream_options',
  'temperature',
  'top_p',
  'tools',
  'tool_choice',
  'user',
  'reasoning_effort',
  'thinking_token_budget',
  'chat_template_kwargs',
  'top_k',
  'min_p',
  'repetition_penalty',
  'add_generation_prompt',
  'add_special_tokens',
  'echo',
  'skip_special_tokens',
  'ignore_eos',
]);

export interface LimitServerOptions {
  readonly kind: LimitServerKind;
  readonly model: string;
  /** The window the model is loaded with. */
  readonly contextWindow: number;
  /** LM Studio: the model's maximum (listed beside the loaded window). */
  readonly maxContextWindow?: number;
  /** LM Studio: the model is listed but not loaded (no `loaded_instances`). */
  readonly notLoaded?: boolean;
  /** vLLM, SGLang, TensorRT-LLM: started with a reasoning parser (default true). */
  readonly reasoningParser?: boolean;
  /** What the model writes; a function sees the request body (to answer a repair turn differently). */
  readonly turn: ScriptedTurn | ((body: Record<string, unknown>, index: number) => ScriptedTurn);
}

export interface LimitServer {
  /** The API root, ending in /v1. */
  readonly baseUrl: string;
  /** Chat-completion request bodies, in order. */
  readonly chats: Record<string, unknown>[];
  /** Every path asked, discovery included. */
  readonly paths: string[];
  close(): Promise<void>;
}

/** About four characters a token, as BPE tokenizers give for code and English. */
export function serverTokens(text: string): number {
  return Math.ceil(text.length / 4);
}

/** A chat's prompt: the messages' text and a few tokens of chat template. */
function chatPromptTokens(messages: readonly { content?: unknown }[]): number {
  return serverTokens(messages.map((m) => (typeof m.content === 'string' ? m.content : '')).join('\n')) + 8;
}

export async function startLimitServer(options: LimitServerOptions): Promise<LimitServer> {
  const chats: Record<string, unknown>[] = [];
  const paths: string[] = [];
  const server = createServer((req, res) => {
    void handle(req, res).catch((error: unknown) => {
      res.writeHead(500, { 'content-type': 'application/json' });
      res.end(JSON.stringify({ error: String(error) }));
    });
  });

  async function handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const path = (req.url ?? '/').split('?')[0]!;
    paths.push(`${req.method} ${path}`);
    if (req.method === 'GET') return discovery(path, res);
    if (req.method === 'POST' && path === '/v1/chat/completions') {
      const body = JSON.parse(await readBody(req)) as Record<string, unknown>;
      chats.push(body);
      return chat(body, chats.length - 1, res);
    }
    if (req.method === 'POST' && options.kind === 'vllm' && path === '/tokenize') {
      // vllm/entrypoints/openai/protocol.py TokenizeChatRequest -> TokenizeResponse {count, max_model_len, tokens}:
      // the messages with the chat template applied, counted as the chat request counts them.
      const body = JSON.parse(await readBody(req)) as { messages?: { content?: unknown }[] };
      const count = chatPromptTokens(body.messages ?? []);
      return json(res, 200, { count, max_model_len: options.contextWindow, tokens: Array.from({ length: count }, (_, i) => i) });
    }
    if (req.method === 'POST' && options.kind === 'sglang' && path === '/v1/tokenize') {
      // python/sglang/srt/entrypoints/openai/serving_tokenize.py: `prompt` text only, no chat template.
      const body = JSON.parse(await readBody(req)) as { prompt?: unknown };
      const count = serverTokens(String(body.prompt ?? ''));
      return json(res, 200, { tokens: Array.from({ length: count }, (_, i) => i), count, max_model_len: options.contextWindow });
    }
    json(res, 404, { error: `no route ${req.method} ${path}` });
  }

  function discovery(path: string, res: ServerResponse): void {
    const { kind, model, contextWindow } = options;
    if (kind === 'trtllm') {
      if (path === '/v1/models') {
        return json(res, 200, { object: 'list', data: [{ id: model, object: 'model', created: 1764460800, owned_by: 'tensorrt_llm' }] });
      }
    } else if (kind === 'vllm' || kind === 'sglang') {
      if (path === '/v1/models') {
        return json(res, 200, {
          object: 'list',
          data: [
            { id: model, object: 'model', created: 1764460800, owned_by: kind, root: model, parent: null, max_model_len: contextWindow },
          ],
        });
      }
    } else if (kind === 'lmstudio') {
      if (path === '/api/v1/models') {
        return json(res, 200, {
          models: [
            {
              type: 'llm',
              publisher: 'lmstudio-community',
              key: model,
              display_name: model,
              architecture: 'qwen2',
              quantization: { name: 'Q4_K_M', bits_per_weight: 4 },
              size_bytes: 4_683_073_184,
              params_string: '7B',
              loaded_instances: options.notLoaded ? [] : [{ id: model, config: { context_length: contextWindow } }],
              max_context_length: options.maxContextWindow ?? 131_072,
              format: 'gguf',
              capabilities: { vision: false, trained_for_tool_use: false },
              description: null,
            },
          ],
        });
      }
      if (path === '/v1/models')
        return json(res, 200, { object: 'list', data: [{ id: model, object: 'model', owned_by: 'organization_owner' }] });
    } else if (kind === 'llamacpp') {
      if (path === '/props') {
        return json(res, 200, {
          default_generation_settings: {
            id: 0,
            id_task: -1,
            n_ctx: contextWindow,
            speculative: false,
            is_processing: false,
            params: { n_predict: -1 },
          },
          total_slots: 1,
          model_path: `/models/${model}.gguf`,
          chat_template: '{{ messages }}',
          build_info: 'b6500-replay',
        });
      }
      if (path === '/v1/models') {
        return json(res, 200, {
          object: 'list',
          data: [
            {
              id: model,
              object: 'model',
              created: 1764460800,
              owned_by: 'llamacpp',
              // server-context.cpp get_res_model_info: the slot's window beside the trained length.
              meta: {
                vocab_type: 2,
                n_vocab: 151936,
                n_ctx: contextWindow,
                n_ctx_train: 131072,
                n_embd: 3584,
                n_params: 7615616512,
                size: 4683073184,
              },
            },
          ],
        });
      }
    }
    json(res, 404, { error: 'Not Found' });
  }

  function chat(body: Record<string, unknown>, index: number, res: ServerResponse): void {
    const { kind, contextWindow } = options;
    if (kind === 'trtllm') {
      const unknown = Object.keys(body).filter((key) => !TRTLLM_FIELDS.has(key));
      if (unknown.length > 0) {
        return json(res, 400, {
          object: 'error',
          message: `1 validation error for ChatCompletionRequest\n${unknown[0]}\n  Extra inputs are not permitted [type=extra_forbidden]`,
          type: 'BadRequestError',
          param: null,
          code: 400,
        });
      }
    }
    const messages = (body.messages as { content: string }[]) ?? [];
    const promptTokens = chatPromptTokens(messages);
    const requested = typeof body.max_tokens === 'number' ? body.max_tokens : undefined;
    // vLLM checks prompt + max_tokens against the window; the others only the prompt.
    if (kind === 'vllm' && promptTokens + (requested ?? 0) > contextWindow) {
      return json(res, 400, {
        object: 'error',
        message:
          `This model's maximum context length is ${contextWindow} tokens. However, you requested ${promptTokens + (requested ?? 0)} tokens ` +
          `(${promptTokens} in the messages, ${requested ?? 0} in the completion). Please reduce the length of the messages or completion.`,
        type: 'BadRequestError',
        param: null,
        code: 400,
      });
    }
    if (promptTokens >= contextWindow) {
      if (kind === 'sglang') {
        return json(res, 400, {
          object: 'error',
          message: `The input (${promptTokens} tokens) is longer than the model's context length (${contextWindow} tokens).`,
          type: 'BadRequestError',
          param: null,
          code: 400,
        });
      }
      if (kind === 'lmstudio') {
        return json(res, 400, {
          error:
            'The number of tokens to keep from the initial prompt is greater than the context length. Try to load the model with a larger context length, or provide a shorter input',
        });
      }
      return json(res, 400, {
        error: {
          code: 400,
          // The text of tools/server/server-context.cpp, held to the real server by test/llamaserver/conformance.test.ts.
          message: `request (${promptTokens} tokens) exceeds the available context size (${contextWindow} tokens), try increasing it`,
          type: 'exceed_context_size_error',
          n_prompt_tokens: promptTokens,
          n_ctx: contextWindow,
        },
      });
    }
    const scripted = typeof options.turn === 'function' ? options.turn(body, index) : options.turn;
    const split = separatesReasoning(kind, body);
    // A schema that binds from the first token leaves no room to think: the model answers at once.
    const turn = schemaBindsThinking(kind, body) ? { reasoning: '', answer: scripted.unthinking ?? UNTHINKING_ANSWER } : scripted;
    const room = Math.min(requested ?? Infinity, contextWindow - promptTokens);
    const field = kind === 'vllm' ? 'reasoning' : 'reasoning_content';
    const reasoningCost = serverTokens(turn.reasoning);
    const reasoning = reasoningCost <= room ? turn.reasoning : turn.reasoning.slice(0, room * 4);
    const answerRoom = room - serverTokens(reasoning);
    const answer = reasoningCost <= room ? turn.answer.slice(0, Math.max(0, answerRoom) * 4) : '';
    const cut = reasoningCost > room || serverTokens(turn.answer) > answerRoom;
    res.writeHead(200, { 'content-type': 'text/event-stream', 'cache-control': 'no-cache' });
    const send = (delta: Record<string, unknown>, finish: string | null = null) =>
      res.write(
        `data: ${JSON.stringify({ id: `chatcmpl-${index}`, object: 'chat.completion.chunk', model: options.model, choices: [{ index: 0, delta, finish_reason: finish }] })}\n\n`,
      );
    send({ role: 'assistant', content: '' });
    if (split) for (const piece of pieces(reasoning)) send({ [field]: piece });
    // No parser: the thinking stays in content, closed by the `</think>` the template left open.
    else if (reasoning) for (const piece of pieces(`${reasoning}\n</think>\n\n`)) send({ content: piece });
    for (const piece of pieces(answer)) send({ content: piece });
    send({}, cut ? 'length' : 'stop');
    const completion = serverTokens(reasoning) + serverTokens(answer);
    res.write(
      `data: ${JSON.stringify({ id: `chatcmpl-${index}`, object: 'chat.completion.chunk', choices: [], usage: { prompt_tokens: promptTokens, completion_tokens: completion, total_tokens: promptTokens + completion, completion_tokens_details: { reasoning_tokens: serverTokens(reasoning) } } })}\n\n`,
    );
    res.end('data: [DONE]\n\n');
  }

  /** The server sends the thinking in a field of its own (else inline in content). */
  function separatesReasoning(kind: LimitServerKind, body: Record<string, unknown>): boolean {
    const parser = options.reasoningParser ?? true;
    if (kind === 'sglang') return parser && body.separate_reasoning === true;
    if (kind === 'vllm' || kind === 'trtllm') return parser;
    return true;
  }

  /** A `response_format` schema that applies from the first token, so the model cannot think. */
  function schemaBindsThinking(kind: LimitServerKind, body: Record<string, unknown>): boolean {
    const format = body.response_format as { type?: unknown } | undefined;
    if (format?.type !== 'json_schema' && format?.type !== 'json_object') return false;
    if (kind === 'lmstudio') return true;
    if (kind === 'llamacpp') return false;
    return !(options.reasoningParser ?? true);
  }

  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    baseUrl: `http://127.0.0.1:${port}/v1`,
    chats,
    paths,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
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
