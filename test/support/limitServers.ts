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
//             over the window: 400 {error:{code:400, message:'the request exceeds the available context size, try increasing it', type:'exceed_context_size_error', n_prompt_tokens, n_ctx}}
// Chat completions stream the scripted reasoning and answer in that server's delta field, stop with
// `finish_reason: length` when max_tokens (or the window) runs out, and record every request body.
// Tokens are counted as a real tokenizer does for code, about four characters each: fewer than the
// planner's estimate, so a plan that fits by the estimate also fits here.

import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';

export type LimitServerKind = 'vllm' | 'sglang' | 'lmstudio' | 'llamacpp';

export interface ScriptedTurn {
  readonly reasoning: string;
  readonly answer: string;
}

export interface LimitServerOptions {
  readonly kind: LimitServerKind;
  readonly model: string;
  /** The window the model is loaded with. */
  readonly contextWindow: number;
  /** LM Studio: the model's maximum (listed beside the loaded window). */
  readonly maxContextWindow?: number;
  /** LM Studio: the model is listed but not loaded (no `loaded_instances`). */
  readonly notLoaded?: boolean;
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
    json(res, 404, { error: `no route ${req.method} ${path}` });
  }

  function discovery(path: string, res: ServerResponse): void {
    const { kind, model, contextWindow } = options;
    if (kind === 'vllm' || kind === 'sglang') {
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
              meta: { vocab_type: 2, n_vocab: 151936, n_ctx_train: 131072, n_embd: 3584, n_params: 7615616512, size: 4683073184 },
            },
          ],
        });
      }
    }
    json(res, 404, { error: 'Not Found' });
  }

  function chat(body: Record<string, unknown>, index: number, res: ServerResponse): void {
    const { kind, contextWindow } = options;
    const messages = (body.messages as { content: string }[]) ?? [];
    const promptTokens = serverTokens(messages.map((m) => m.content).join('\n')) + 8;
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
          message: 'the request exceeds the available context size, try increasing it',
          type: 'exceed_context_size_error',
          n_prompt_tokens: promptTokens,
          n_ctx: contextWindow,
        },
      });
    }
    const turn = typeof options.turn === 'function' ? options.turn(body, index) : options.turn;
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
    for (const piece of pieces(reasoning)) send({ [field]: piece });
    for (const piece of pieces(answer)) send({ content: piece });
    send({}, cut ? 'length' : 'stop');
    const completion = serverTokens(reasoning) + serverTokens(answer);
    res.write(
      `data: ${JSON.stringify({ id: `chatcmpl-${index}`, object: 'chat.completion.chunk', choices: [], usage: { prompt_tokens: promptTokens, completion_tokens: completion, total_tokens: promptTokens + completion, completion_tokens_details: { reasoning_tokens: serverTokens(reasoning) } } })}\n\n`,
    );
    res.end('data: [DONE]\n\n');
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
