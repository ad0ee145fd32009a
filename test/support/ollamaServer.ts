// An Ollama-shaped replay server: a real HTTP server on 127.0.0.1 speaking Ollama's native API
// (`GET /api/version`, `GET /api/tags`, `POST /api/show`, NDJSON `POST /api/chat`, error bodies
// `{"error": "..."}` with Ollama's statuses) that copies Ollama's *limits*, not only its shapes
// (checked against Ollama's source at v0.33.0-rc2):
//
// - A request without `options.num_ctx` runs with a 4096-token window (Ollama's default under
//   24 GiB of VRAM); `num_ctx` above the model's maximum is capped at it, as Ollama does.
// - `truncate` and `shift` (api/types.go ChatRequest, since v0.12.6) default to true. With
//   `truncate` on, a prompt longer than the window is cut silently in two steps: server/prompt.go
//   (chatPrompt) drops the oldest messages until the rendered prompt fits, always keeping the last
//   message (and system messages); then the runner (llm/llama_server.go,
//   completionPromptForRequest and contextShiftPromptLimit) keeps the first `num_keep` tokens (4,
//   plus the BOS), drops the start of the rest, and keeps the end so the prompt fills about half
//   the window.
// - With `truncate: false` nothing is dropped and the prompt reaches llama-server, which refuses it
//   (tools/server/server-context.cpp, `exceed_context_size_error`: "request (N tokens) exceeds the
//   available context size (M tokens), try increasing it", with `n_prompt_tokens` and `n_ctx`);
//   Ollama relays that body as its error text with status 400 (llm/llama_server.go
//   statusErrorMessage; server/routes.go streamResponse sends the status before any content).
//   Sent to a server older than v0.12.6 the fields are ignored, as Go's JSON decoding ignores
//   unknown fields.
// - Generation stops at `num_predict` with `done_reason: "length"`. Generation past the window
//   shifts the context with `shift` on (which drops more of the prompt's start, recorded as
//   truncation) and stops with `done_reason: "length"` with `shift: false`.
// - Thinking on (`think: true` or a level, "low" to "max") for a model without the "thinking"
//   capability is a 400; a thinking model without `think` thinks (server/routes.go); an unknown
//   model is a 404.
//
// Tokens are counted with a real byte-level BPE vocabulary, cl100k_base (the `gpt-tokenizer`
// package; Llama 3's vocabulary extends it): about four characters a token for English and
// everyday code, but one per Chinese character, and one per 1.4 to 2 characters of minified code
// or base64, as a model's own tokenizer counts them. `/api/tokenize` does not exist (Ollama has no
// tokenize endpoint), so a client can only estimate.
//
// The scripted model is R1-like: it reasons in `message.thinking` when thinking is on, or writes
// inline `<think>` tags in `content` when it has no thinking capability, then answers. It only does the task when it can
// see the instructions, the first line of the first user message: after a truncation it sees a
// piece of code and no request, and returns a quiet, empty review, as real models do. Its review
// reports every visible numbered line matching its `spot` pattern (an off-by-one loop by default).
// With `format` it answers with bare JSON; without, prose and a fenced ```json block.
//
// Every chat is recorded (`server.chats`, or `GET /__replay/chats` from another process; see
// ollamaServerMain.ts): the window it ran with, the prompt tokens, whether and how much was
// truncated, and the body as sent, for assertions.

import { createServer } from 'node:http';
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { decode, encode } from 'gpt-tokenizer/encoding/cl100k_base';

export const OLLAMA_VERSION = '0.32.15';
export const DEFAULT_NUM_CTX = 4096;
/** Tokens Ollama keeps at the start of a truncated prompt: `num_keep` (4) plus the BOS token. */
const KEEP_TOKENS = 5;

/** Tokens in `text` as the model's tokenizer counts them (cl100k_base, see the header). */
export function ollamaTokens(text: string): number {
  return encode(text).length;
}

export interface OllamaModelSpec {
  /** `model_info["<arch>.context_length"]`. */
  readonly contextLength: number;
  readonly arch?: string;
  readonly capabilities?: readonly string[];
  /** Lines (without their number prefix) the model reports as bugs. */
  readonly spot?: RegExp;
}

/** A fault for the next chat of a model. */
export type OllamaFault =
  | { readonly kind: 'status'; readonly status: number; readonly error: string }
  | { readonly kind: 'html' }
  /** Wait this long before sending the headers. */
  | { readonly kind: 'slow-headers'; readonly ms: number }
  /** Send this many stream lines, then nothing (the connection stays open). */
  | { readonly kind: 'stall'; readonly afterLines: number }
  /** Send this many stream lines, then close without the `done` line. */
  | { readonly kind: 'cut'; readonly afterLines: number }
  /** Send this many stream lines, then an `{"error": ...}` line (the runner failed). */
  | { readonly kind: 'stream-error'; readonly afterLines: number; readonly error: string }
  /** After the headers, one line of this many bytes that never ends (a broken or hostile server). */
  | { readonly kind: 'flood'; readonly bytes: number }
  /** Send this many stream lines, then this raw text as a line (not JSON), then the rest. */
  | { readonly kind: 'garbage'; readonly afterLines: number; readonly text: string };

export interface OllamaChatRecord {
  readonly model: string;
  /** What the request asked for (`options.num_ctx`), undefined when it sent none. */
  readonly requestedNumCtx?: number;
  /** The window the chat ran with: the request's, or the default, capped at the model's maximum. */
  readonly numCtx: number;
  readonly numPredict?: number;
  /** Tokens of the rendered prompt before any truncation. */
  readonly promptTokens: number;
  /** Tokens the model actually saw. */
  readonly keptPromptTokens: number;
  /** The start of the prompt was dropped (before generation, or by a context shift during it). */
  readonly truncated: boolean;
  /** Messages server/prompt.go dropped before the runner saw the prompt. */
  readonly droppedMessages: number;
  /** Refused with a 400 because `truncate: false` and the prompt is longer than the window. */
  readonly refused: boolean;
  readonly instructionsSeen: boolean;
  readonly think?: unknown;
  readonly format?: unknown;
  readonly body: Record<string, unknown>;
  clientClosed: boolean;
}

export interface OllamaServerOptions {
  readonly port?: number;
  readonly version?: string;
  /** Installed models; default: `deepseek-r1:7b` with a 131072-token maximum and thinking. */
  readonly models?: Readonly<Record<string, OllamaModelSpec>>;
  /** Delay between stream lines (for cancellation tests). */
  readonly lineDelayMs?: number;
  /** Generated tokens per second reported through `eval_duration`. */
  readonly tokensPerSecond?: number;
  /** Models Ollama has loaded already, with their window (its own default by VRAM, or an earlier client's). */
  readonly loaded?: Readonly<Record<string, number>>;
  /** What loading a model costs, charged whenever a chat's `num_ctx` differs from the loaded runner's. */
  readonly reloadDelayMs?: number;
  /** `/api/ps` lists `context_length` (false: a server older than ollama/ollama#11331). */
  readonly psContextLength?: boolean;
}

/** A model load the scheduler did: `reload` when the model was loaded already with another window. */
export interface OllamaLoad {
  readonly model: string;
  readonly numCtx: number;
  readonly reload: boolean;
}

export interface OllamaServer {
  /** `http://127.0.0.1:<port>` (no `/v1`). */
  readonly root: string;
  readonly port: number;
  readonly chats: OllamaChatRecord[];
  /** Every model load, in order (see `schedule`). */
  readonly loads: OllamaLoad[];
  /** Every request: method, path and its Authorization header. */
  readonly requests: { method: string; path: string; authorization?: string }[];
  fault(model: string, fault: OllamaFault): void;
  close(): Promise<void>;
}

export const R1_MODEL = 'deepseek-r1:7b';
const OFF_BY_ONE = /for \(let \w+ = 0; \w+ <= [\w.]+\.length; /;

export async function startOllamaServer(options: OllamaServerOptions = {}): Promise<OllamaServer> {
  const models: Record<string, OllamaModelSpec> = { ...(options.models ?? { [R1_MODEL]: { contextLength: 131_072 } }) };
  const version = options.version ?? OLLAMA_VERSION;
  const faults = new Map<string, OllamaFault[]>();
  const chats: OllamaChatRecord[] = [];
  const requests: { method: string; path: string; authorization?: string }[] = [];
  const open = new Set<ServerResponse>();
  const loads: OllamaLoad[] = [];
  /** The loaded runners: the window each runs with, and when its load is done. */
  const runners = new Map<string, { numCtx: number; ready: Promise<void> }>(
    Object.entries(options.loaded ?? {}).map(([name, numCtx]) => [name, { numCtx, ready: Promise.resolve() }]),
  );

  /**
   * Ollama's scheduler (server/sched.go): a chat for a loaded model reuses its runner when the runner
   * options match (needsReload compares them with reflect.DeepEqual; `num_ctx` is one, capped at the
   * model's trained length by effectiveContext), and otherwise unloads it and loads it again. A
   * request that sends no `num_ctx` runs with the default window. Requests wait for a load in progress.
   */
  async function schedule(name: string, spec: OllamaModelSpec, body: Record<string, unknown>): Promise<void> {
    const sent = isRecord(body.options) ? body.options : {};
    const numCtx = Math.min(typeof sent.num_ctx === 'number' ? sent.num_ctx : DEFAULT_NUM_CTX, spec.contextLength);
    const runner = runners.get(name);
    if (runner?.numCtx === numCtx) return runner.ready;
    loads.push({ model: name, numCtx, reload: runner !== undefined });
    const ready = sleep(options.reloadDelayMs ?? 0).then(() => undefined);
    runners.set(name, { numCtx, ready });
    return ready;
  }

  const specOf = (name: string): OllamaModelSpec | undefined => models[name] ?? models[`${name}:latest`];
  const capabilitiesOf = (spec: OllamaModelSpec) => spec.capabilities ?? ['completion', 'thinking'];

  const server = createServer((req, res) => {
    open.add(res);
    res.on('close', () => open.delete(res));
    handle(req, res).catch((err: unknown) => {
      if (!res.headersSent) json(res, 500, { error: String(err) });
      else res.destroy();
    });
  });

  async function handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const path = (req.url ?? '/').split('?')[0]!;
    requests.push({ method: req.method ?? 'GET', path, authorization: req.headers.authorization });
    if (req.method === 'GET' && path === '/api/version') return json(res, 200, { version });
    // server/routes.go PsHandler: the loaded models; `context_length` is the runner's window.
    if (req.method === 'GET' && path === '/api/ps') {
      return json(res, 200, {
        models: [...runners].map(([name, runner]) => ({
          name,
          model: name,
          size: 6_654_289_920,
          digest: '0a8c266910232fd3291e71e5ba1e058cc5af9d411192cf88b6d30e92b6e73163',
          details: {
            parent_model: '',
            format: 'gguf',
            family: 'qwen2',
            families: ['qwen2'],
            parameter_size: '7.6B',
            quantization_level: 'Q4_K_M',
          },
          expires_at: '2026-12-08T03:00:00Z',
          size_vram: 6_654_289_920,
          ...(options.psContextLength === false ? {} : { context_length: runner.numCtx }),
        })),
      });
    }
    // Not Ollama's: what the chats ran with, for a test in another process.
    if (req.method === 'GET' && path === '/__replay/chats') return json(res, 200, chats);
    if (req.method === 'GET' && path === '/api/tags') {
      return json(res, 200, {
        models: Object.entries(models).map(([name, spec]) => ({
          name,
          model: name,
          modified_at: '2026-11-01T10:00:00Z',
          size: 4_683_087_332,
          digest: '0a8c266910232fd3291e71e5ba1e058cc5af9d411192cf88b6d30e92b6e73163',
          details: {
            parent_model: '',
            format: 'gguf',
            family: spec.arch ?? 'qwen2',
            families: [spec.arch ?? 'qwen2'],
            parameter_size: '7.6B',
            quantization_level: 'Q4_K_M',
          },
        })),
      });
    }
    // Ollama's OpenAI-compatible model list (server/routes.go: `r.GET("/v1/models", middleware.ListMiddleware(),
    // s.ListHandler)`, shaped by openai/openai.go ToListCompletion). Its OpenAI chat lives only under /v1:
    // `/chat/completions` at the root falls through to gin's 404 below, as a base URL without /v1 gets.
    if (req.method === 'GET' && path === '/v1/models') {
      return json(res, 200, {
        object: 'list',
        data: Object.keys(models).map((name) => ({ id: name, object: 'model', created: 1_761_991_200, owned_by: 'library' })),
      });
    }
    if (req.method === 'POST' && (path === '/api/show' || path === '/api/chat')) {
      const body = await readJson(req);
      if (body === undefined) return json(res, 400, { error: 'invalid character looking for beginning of value' });
      const name = typeof body.model === 'string' ? body.model : typeof body.name === 'string' ? body.name : '';
      if (!name) return json(res, 400, { error: 'model is required' });
      const spec = specOf(name);
      if (path === '/api/show') {
        if (!spec) return json(res, 404, { error: `model '${name}' not found` });
        const arch = spec.arch ?? 'qwen2';
        return json(res, 200, {
          license: 'MIT License',
          modelfile: `FROM ${name}`,
          parameters: 'stop "<｜begin▁of▁sentence｜>"\nstop "<｜end▁of▁sentence｜>"',
          template: '{{- range .Messages }}…{{ end }}',
          details: {
            parent_model: '',
            format: 'gguf',
            family: arch,
            families: [arch],
            parameter_size: '7.6B',
            quantization_level: 'Q4_K_M',
          },
          model_info: {
            'general.architecture': arch,
            'general.parameter_count': 7_615_616_512,
            [`${arch}.context_length`]: spec.contextLength,
            [`${arch}.embedding_length`]: 3584,
          },
          capabilities: capabilitiesOf(spec),
          modified_at: '2026-11-01T10:00:00Z',
        });
      }
      if (!spec) return json(res, 404, { error: `model "${name}" not found, try pulling it first` });
      if (thinkingOn(body.think) && !capabilitiesOf(spec).includes('thinking')) {
        return json(res, 400, { error: `"${name}" does not support thinking` });
      }
      return chat(res, name, spec, body);
    }
    res.writeHead(404, { 'content-type': 'text/plain' }).end('404 page not found');
  }

  async function chat(res: ServerResponse, name: string, spec: OllamaModelSpec, body: Record<string, unknown>): Promise<void> {
    const fault = faults.get(name)?.shift();
    if (fault?.kind === 'status') return json(res, fault.status, { error: fault.error });
    if (fault?.kind === 'html') {
      res.writeHead(200, { 'content-type': 'text/html' }).end('<!doctype html><html><body>Sign in</body></html>');
      return;
    }
    if (fault?.kind === 'slow-headers') await sleep(fault.ms);
    await schedule(name, spec, body);

    const sent = isRecord(body.options) ? body.options : {};
    const requestedNumCtx = typeof sent.num_ctx === 'number' ? sent.num_ctx : undefined;
    const numCtx = Math.min(requestedNumCtx ?? DEFAULT_NUM_CTX, spec.contextLength);
    const numPredict = typeof sent.num_predict === 'number' && sent.num_predict > 0 ? sent.num_predict : undefined;
    const allMessages = Array.isArray(body.messages) ? body.messages.filter(isRecord) : [];
    const think = body.think;
    const thinks = capabilitiesOf(spec).includes('thinking');
    // A thinking model thinks unless told not to; a model without the capability thinks inline.
    const mode: 'field' | 'inline' | 'off' = !thinks ? 'inline' : think === undefined || thinkingOn(think) ? 'field' : 'off';
    const truncateOn = body.truncate !== false;
    const shiftOn = body.shift !== false;
    const messages = truncateOn ? dropOldestMessages(allMessages, mode === 'field', numCtx) : allMessages;
    const prompt = renderPrompt(messages, mode === 'field');
    const promptTokens = ollamaTokens(prompt);
    const base = {
      model: name,
      requestedNumCtx,
      numCtx,
      numPredict,
      promptTokens,
      droppedMessages: allMessages.length - messages.length,
      think,
      format: body.format,
      body,
      clientClosed: false,
    };
    if (!truncateOn && promptTokens > numCtx - 1) {
      chats.push({ ...base, keptPromptTokens: 0, truncated: false, refused: true, instructionsSeen: false });
      const refusal = {
        error: {
          code: 400,
          message: `request (${promptTokens} tokens) exceeds the available context size (${numCtx} tokens), try increasing it`,
          type: 'exceed_context_size_error',
          n_prompt_tokens: promptTokens,
          n_ctx: numCtx,
        },
      };
      return json(res, 400, { error: JSON.stringify(refusal) });
    }
    const seen = truncate(prompt, numCtx);
    const firstLine = String(allMessages.find((m) => m.role === 'user')?.content ?? '')
      .split('\n')[0]!
      .trim();
    const instructionsSeen = firstLine !== '' && seen.text.includes(firstLine);

    const reply = compose(seen.text, instructionsSeen, spec.spot ?? OFF_BY_ONE, body.format);
    // Generation: up to num_predict; at the window the context shifts (dropping more of the
    // prompt) or, with `shift: false`, generation stops.
    const reasoningTokens = mode === 'off' ? 0 : ollamaTokens(reply.reasoning);
    const answerTokens = ollamaTokens(reply.answer);
    const windowLeft = shiftOn ? Number.POSITIVE_INFINITY : Math.max(0, numCtx - seen.tokens);
    const limit = Math.min(numPredict ?? Number.POSITIVE_INFINITY, windowLeft);
    const generated = Math.min(reasoningTokens + answerTokens, limit);
    const shifted = shiftOn && seen.tokens + generated > numCtx;
    const record: OllamaChatRecord = {
      ...base,
      keptPromptTokens: seen.tokens,
      truncated: seen.truncated || shifted || base.droppedMessages > 0,
      refused: false,
      instructionsSeen,
    };
    chats.push(record);
    res.on('close', () => {
      if (!res.writableFinished) record.clientClosed = true;
    });

    // The lines, cut at num_predict.
    const parts: { thinking?: string; content?: string }[] = [];
    let budget = limit;
    const take = (text: string, field: 'thinking' | 'content') => {
      for (const piece of pieces(text)) {
        if (budget <= 0) return;
        const tokens = encode(piece);
        const kept = tokens.length <= budget ? piece : decode(tokens.slice(0, budget));
        budget -= Math.min(tokens.length, budget);
        parts.push({ [field]: kept });
      }
    };
    if (mode === 'field') {
      take(reply.reasoning, 'thinking');
      take(reply.answer, 'content');
    } else if (mode === 'inline') {
      take(`<think>\n${reply.reasoning}\n</think>\n\n${reply.answer}`, 'content');
    } else {
      take(reply.answer, 'content');
    }
    const doneReason = reasoningTokens + answerTokens > limit ? 'length' : 'stop';

    res.writeHead(200, { 'content-type': 'application/x-ndjson' });
    if (fault?.kind === 'flood') {
      const block = Buffer.alloc(64 * 1024, 'a');
      for (let sent = 0; sent < fault.bytes && !res.destroyed; sent += block.length) {
        if (!res.write(block)) await new Promise((resolve) => res.once('drain', resolve).once('close', resolve));
      }
      return void res.end();
    }
    const created = () => new Date().toISOString();
    const line = (value: unknown) => res.write(`${JSON.stringify(value)}\n`);
    for (let i = 0; i < parts.length; i++) {
      if (fault && 'afterLines' in fault && i === fault.afterLines) {
        if (fault.kind === 'stall') return; // stays open; the client's idle timer must end it
        if (fault.kind === 'cut') return void res.end();
        if (fault.kind === 'garbage') {
          res.write(`${fault.text}\n`);
          continue;
        }
        line({ error: fault.error });
        return void res.end();
      }
      if (res.destroyed) return;
      const part = parts[i]!;
      line({
        model: name,
        created_at: created(),
        message: { role: 'assistant', content: part.content ?? '', ...(part.thinking ? { thinking: part.thinking } : {}) },
        done: false,
      });
      if (options.lineDelayMs) await sleep(options.lineDelayMs);
    }
    const tokensPerSecond = options.tokensPerSecond ?? 50;
    line({
      model: name,
      created_at: created(),
      message: { role: 'assistant', content: '' },
      done: true,
      done_reason: doneReason,
      total_duration: 4_100_000_000,
      load_duration: 20_000_000,
      prompt_eval_count: seen.tokens,
      prompt_eval_duration: 800_000_000,
      eval_count: generated,
      eval_duration: Math.round((generated / tokensPerSecond) * 1e9),
    });
    res.end();
  }

  await new Promise<void>((resolve) => server.listen(options.port ?? 0, '127.0.0.1', resolve));
  const port = (server.address() as AddressInfo).port;
  return {
    root: `http://127.0.0.1:${port}`,
    port,
    chats,
    loads,
    requests,
    fault(model, fault) {
      faults.set(model, [...(faults.get(model) ?? []), fault]);
    },
    async close() {
      for (const res of open) res.destroy();
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}

/** `think` as Ollama reads it (api/types.go ThinkValue.Bool): true or a level turns thinking on. */
function thinkingOn(think: unknown): boolean {
  return think === true || think === 'low' || think === 'medium' || think === 'high' || think === 'max';
}

/** DeepSeek-R1's chat template, the way Ollama renders it for the distills. */
function renderPrompt(messages: readonly Record<string, unknown>[], think: boolean): string {
  let out = '<｜begin▁of▁sentence｜>';
  for (const m of messages) {
    const content = typeof m.content === 'string' ? m.content : '';
    out += m.role === 'assistant' ? `<｜Assistant｜>${content}<｜end▁of▁sentence｜>` : `<｜User｜>${content}`;
  }
  return `${out}<｜Assistant｜>${think ? '<think>\n' : ''}`;
}

/**
 * server/prompt.go chatPrompt with truncation on: from the oldest message on, drop messages until
 * the rendered prompt fits the window, keeping system messages and always the last message.
 */
function dropOldestMessages(
  messages: readonly Record<string, unknown>[],
  think: boolean,
  numCtx: number,
): readonly Record<string, unknown>[] {
  for (let from = 0; from < messages.length; from++) {
    const system = messages.slice(0, from).filter((m) => m.role === 'system');
    const kept = [...system, ...messages.slice(from)];
    if (from === messages.length - 1 || ollamaTokens(renderPrompt(kept, think)) <= numCtx) return kept;
  }
  return messages;
}

/**
 * The runner's cut of a prompt longer than the window (llm/llama_server.go,
 * completionPromptForRequest): keep `num_keep` tokens plus the BOS, then the end, so the prompt
 * fills `contextShiftPromptLimit` = numCtx - (numCtx - keep) / 2 tokens.
 */
function truncate(prompt: string, numCtx: number): { text: string; tokens: number; truncated: boolean } {
  const tokens = encode(prompt);
  if (tokens.length <= numCtx - 1) return { text: prompt, tokens: tokens.length, truncated: false };
  const keep = Math.min(KEEP_TOKENS, numCtx - 1);
  const limit = numCtx - Math.max(Math.floor((numCtx - keep) / 2), 1);
  const kept = [...tokens.slice(0, keep), ...tokens.slice(tokens.length - (limit - keep))];
  return { text: decode(kept), tokens: kept.length, truncated: true };
}

/** The scripted model's reasoning and answer for what it can see. */
function compose(seen: string, instructionsSeen: boolean, spot: RegExp, format: unknown): { reasoning: string; answer: string } {
  // Under `format` the answer is the JSON alone (Ollama's grammar allows nothing else); a schema
  // with an `explanation` property gets the prose there.
  const schemaFields = isRecord(format) && isRecord(format.properties) ? Object.keys(format.properties) : [];
  const answerOf = (summary: string, prose: string, findings: readonly unknown[]): string => {
    if (format === undefined) return `${prose}\n\n\`\`\`json\n${JSON.stringify({ summary, findings })}\n\`\`\``;
    return JSON.stringify({ summary, ...(schemaFields.includes('explanation') ? { explanation: prose } : {}), findings });
  };
  if (!instructionsSeen) {
    const summary = 'This looks like part of a source file, but there is no question or task to answer.';
    return {
      reasoning:
        'I see numbered lines of code and some rules about a JSON shape, but no request about them. ' +
        'Without knowing what is wanted, the safest answer is to report nothing.',
      answer: answerOf(summary, summary, []),
    };
  }
  const findings = [];
  for (const match of seen.matchAll(/^ *(\d+) \| (.*)$/gm)) {
    const code = match[2]!;
    if (!spot.test(code)) continue;
    const line = Number(match[1]);
    findings.push({
      title: 'Off-by-one: the loop reads one element past the end',
      severity: 'error',
      category: 'bug',
      startLine: line,
      endLine: line,
      quote: code.trim(),
      explanation: 'The bound uses `<=`, so the last pass reads an index equal to the length, which is undefined.',
      fix: { startLine: line, endLine: line, replacement: code.replace('<=', '<') },
    });
  }
  const summary = findings.length
    ? `${findings.length} loop${findings.length === 1 ? '' : 's'} read${findings.length === 1 ? 's' : ''} one element past the end.`
    : 'No real problems found.';
  const reasoning =
    'The task is to review the code for bugs. Let me go through the loops one by one and check each bound ' +
    'against the length of what it indexes. ' +
    findings.map((f) => `Line ${f.startLine} uses <= against .length, so the last index is out of range.`).join(' ') +
    ' That is all I can find.';
  return { reasoning, answer: answerOf(summary, summary, findings) };
}

/** Splits text into stream pieces of a few words, as a model emits it. */
function pieces(text: string): string[] {
  return (
    text
      .match(/\S*\s*/g)
      ?.filter(Boolean)
      .reduce<string[]>((out, word, i) => {
        if (i % 4 === 0) out.push(word);
        else out[out.length - 1] += word;
        return out;
      }, []) ?? []
  );
}

function json(res: ServerResponse, status: number, body: unknown): void {
  res.writeHead(status, { 'content-type': 'application/json; charset=utf-8' }).end(JSON.stringify(body));
}

async function readJson(req: IncomingMessage): Promise<Record<string, unknown> | undefined> {
  const chunks: Buffer[] = [];
  for await (const chunk of req) chunks.push(chunk as Buffer);
  try {
    const value: unknown = JSON.parse(Buffer.concat(chunks).toString('utf8'));
    return isRecord(value) ? value : undefined;
  } catch {
    return undefined;
  }
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));
