// Replay server: a real HTTP server on 127.0.0.1 that answers `POST {baseUrl}/chat/completions`
// with scripted responses shaped like each real server's stream (docs/wire.md), faults included.
//
//   const server = await startReplayServer();                  // port 0: a free port
//   server.script('m', [rateLimited(1), deepseekStream({ reasoning: 'r', answer: 'a', model: 'm' })]);
//   // point a backend at server.baseUrl (ends in /v1) with model 'm'
//   server.requests[0].body                                      // what the client sent
//   await server.waitForClientClose(1);                          // the client hung up (abort)
//   await server.close();
//
// Choosing a response: each request takes the next response scripted for the model it names;
// when that queue is empty (or the model has none) the default response answers.
// Builders for responses (`deepseekStream`, `openrouterStream`, `inlineThinkStream`, ...,
// `errorResponse`, `rateLimited`, `htmlPage`) live in wireStreams.ts and are re-exported here.
//
// From another process: `node --import tsx test/support/replayServerMain.ts --port N --script
// file.json` prints `listening <baseUrl>`. The script file is `{ "default"?: R, "models"?: {
// "<model>": [R, ...] } }` where R is a ReplayResponse or a builder spec such as `{ "stream":
// "deepseek", "reasoning": "...", "answer": "..." }`, `{ "error": 401, "message": "..." }`,
// `{ "rateLimited": 1 }` or `{ "html": 200 }`. While it runs, `GET {baseUrl}/__replay/requests`
// returns the recorded requests and `POST {baseUrl}/__replay/script` with `{ "model", "responses"
// }` scripts more.

import { createServer } from 'node:http';
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { EventEmitter } from 'node:events';
import type { ReplayResponse } from './wireStreams';
import { STREAM_BUILDERS, deepseekStream, errorResponse, htmlPage, rateLimited } from './wireStreams';

export * from './wireStreams';

export interface ReplayRequest {
  readonly index: number;
  readonly method: string;
  readonly path: string;
  /** Lower-case header names. */
  readonly headers: Readonly<Record<string, string>>;
  /** Parsed JSON, or the raw text when it is not JSON. */
  readonly body: unknown;
  readonly model?: string;
  readonly receivedAt: number;
  /** The client closed the connection before the response ended (abort, timeout). */
  clientClosed: boolean;
  /** Every scripted byte was written (a stalled response counts once its bytes are out). */
  written: boolean;
  /** Turned away with 429 because maxInFlight requests were being served. */
  busy?: boolean;
  /** When the last byte was written (Date.now()). */
  finishedAt?: number;
}

export interface ReplayServerOptions {
  readonly port?: number;
  /** Answers requests with nothing scripted for their model. */
  readonly defaultResponse?: ReplayResponse;
  /**
   * A deployment's capacity behind a gateway: at most this many chat requests in flight; one more
   * gets `429` with `Retry-After: busyRetryAfterSeconds` (default 1) and is not queued.
   */
  readonly maxInFlight?: number;
  readonly busyRetryAfterSeconds?: number;
  /**
   * Started with a key, as `vllm serve --api-key`: every `/v1` route without `Authorization: Bearer
   * <key>` is `401 {"error": "Unauthorized"}` (vllm/entrypoints/openai/api_server.py,
   * AuthenticationMiddleware).
   */
  readonly apiKey?: string;
}

export interface ReplayServer {
  /** `http://127.0.0.1:<port>/v1` */
  readonly baseUrl: string;
  readonly port: number;
  /** Chat-completion requests in arrival order (turned-away ones included, `busy: true`). */
  readonly requests: ReplayRequest[];
  /** The most chat requests served at once, and how many were turned away busy (maxInFlight). */
  readonly load: { readonly peakInFlight: number; readonly turnedAway: number };
  /** How many times the model list was asked for (`GET …/models`, refused ones included). */
  readonly modelListRequests: number;
  /** Queues responses for successive requests naming `model` (appends to what is queued). */
  script(model: string, responses: readonly ReplayResponse[]): void;
  setDefault(response: ReplayResponse): void;
  /** Resolves once request `index` saw the client hang up; rejects after `timeoutMs`. */
  waitForClientClose(index: number, timeoutMs?: number): Promise<ReplayRequest>;
  close(): Promise<void>;
}

export const DEFAULT_REPLAY_RESPONSE: ReplayResponse = deepseekStream({
  reasoning: 'The code is short; checking the loop bounds and the return value.',
  answer: 'No problems found.\n\n```json\n{"summary": "No problems found.", "findings": []}\n```\n',
});

export async function startReplayServer(options: ReplayServerOptions = {}): Promise<ReplayServer> {
  const scripts = new Map<string, ReplayResponse[]>();
  let fallback = options.defaultResponse ?? DEFAULT_REPLAY_RESPONSE;
  const requests: ReplayRequest[] = [];
  let modelListRequests = 0;
  const events = new EventEmitter();
  events.setMaxListeners(0);
  const load = { inFlight: 0, peakInFlight: 0, turnedAway: 0 };

  const server = createServer((req, res) => {
    handle(req, res).catch(() => {
      if (!res.headersSent) res.writeHead(500).end();
      else res.destroy();
    });
  });

  async function handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const path = (req.url ?? '/').split('?')[0]!;
    const text = await readBody(req);
    if (req.method === 'GET' && path.endsWith('/__replay/requests')) return sendJson(res, 200, requests);
    if (req.method === 'POST' && path.endsWith('/__replay/script')) {
      const parsed = parseJson(text) as { model?: unknown; responses?: unknown } | undefined;
      if (typeof parsed?.model !== 'string' || !Array.isArray(parsed.responses))
        return sendJson(res, 400, { error: { message: 'expected {model, responses}' } });
      addScript(parsed.model, parsed.responses.map(responseFromSpec));
      return sendJson(res, 200, { ok: true });
    }
    if (req.method === 'GET' && path.endsWith('/models')) modelListRequests++;
    if (options.apiKey !== undefined && path.startsWith('/v1') && req.headers.authorization !== `Bearer ${options.apiKey}`) {
      return sendJson(res, 401, { error: 'Unauthorized' });
    }
    if (req.method === 'GET' && path.endsWith('/models')) {
      return sendJson(res, 200, { object: 'list', data: [...scripts.keys()].map((id) => ({ id, object: 'model', owned_by: 'replay' })) });
    }
    if (req.method !== 'POST' || !path.endsWith('/chat/completions')) {
      return sendJson(res, 404, { error: { message: `no route ${req.method} ${path}`, type: 'not_found' } });
    }

    const body = parseJson(text) ?? text;
    const model = typeof (body as { model?: unknown })?.model === 'string' ? (body as { model: string }).model : undefined;
    const record: ReplayRequest = {
      index: requests.length,
      method: req.method,
      path,
      headers: Object.fromEntries(Object.entries(req.headers).map(([k, v]) => [k, Array.isArray(v) ? v.join(', ') : (v ?? '')])),
      body,
      model,
      receivedAt: Date.now(),
      clientClosed: false,
      written: false,
    };
    requests.push(record);
    if (options.maxInFlight !== undefined && load.inFlight >= options.maxInFlight) {
      record.busy = true;
      load.turnedAway++;
      await play(
        res,
        rateLimited(options.busyRetryAfterSeconds ?? 1, `The server is at capacity (${options.maxInFlight} requests).`),
        () => {},
      );
      record.written = true;
      return;
    }
    load.inFlight++;
    load.peakInFlight = Math.max(load.peakInFlight, load.inFlight);
    const response = (model !== undefined ? scripts.get(model)?.shift() : undefined) ?? fallback;

    let serverClosing = false;
    res.on('close', () => {
      if (!res.writableEnded && !serverClosing) {
        record.clientClosed = true;
        events.emit('client-close', record.index);
      }
    });
    try {
      await play(res, response, () => {
        serverClosing = true;
      });
    } finally {
      load.inFlight--;
    }
    record.written = true;
    record.finishedAt = Date.now();
  }

  function addScript(model: string, responses: readonly ReplayResponse[]): void {
    scripts.set(model, [...(scripts.get(model) ?? []), ...responses]);
  }

  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(options.port ?? 0, '127.0.0.1', () => resolve());
  });
  const port = (server.address() as AddressInfo).port;

  return {
    baseUrl: `http://127.0.0.1:${port}/v1`,
    port,
    requests,
    get modelListRequests() {
      return modelListRequests;
    },
    get load() {
      return { peakInFlight: load.peakInFlight, turnedAway: load.turnedAway };
    },
    script: addScript,
    setDefault(response) {
      fallback = response;
    },
    waitForClientClose(index, timeoutMs = 2000) {
      return new Promise((resolve, reject) => {
        const done = (i: number) => {
          if (i !== index) return;
          clearTimeout(timer);
          events.off('client-close', done);
          resolve(requests[index]!);
        };
        const timer = setTimeout(() => {
          events.off('client-close', done);
          reject(new Error(`request ${index} was not closed by the client within ${timeoutMs} ms`));
        }, timeoutMs);
        events.on('client-close', done);
        if (requests[index]?.clientClosed) done(index);
      });
    },
    close() {
      return new Promise((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      });
    },
  };
}

/** Turns a JSON script entry into a response: a ReplayResponse as is, or a builder spec. */
export function responseFromSpec(spec: unknown): ReplayResponse {
  if (typeof spec !== 'object' || spec === null) throw new Error(`a replay response must be an object, got ${JSON.stringify(spec)}`);
  const s = spec as Record<string, unknown>;
  if (typeof s.stream === 'string') {
    const builder = STREAM_BUILDERS[s.stream as keyof typeof STREAM_BUILDERS];
    if (!builder) throw new Error(`unknown stream builder "${s.stream}"; known: ${Object.keys(STREAM_BUILDERS).join(', ')}`);
    return builder(s as Parameters<typeof builder>[0]);
  }
  if (typeof s.error === 'number') return errorResponse(s.error, typeof s.message === 'string' ? s.message : `error ${s.error}`);
  if (typeof s.rateLimited === 'number') return rateLimited(s.rateLimited);
  if (typeof s.html === 'number') return htmlPage(s.html);
  return s as ReplayResponse;
}

async function play(res: ServerResponse, response: ReplayResponse, markServerClosing: () => void): Promise<void> {
  const closed = () => res.destroyed || res.writableEnded;
  if (response.headerDelayMs) await sleep(response.headerDelayMs);
  if (closed()) return;
  const status = response.status ?? 200;
  const isStream = response.body === undefined;
  res.writeHead(status, {
    ...(isStream
      ? { 'content-type': 'text/event-stream; charset=utf-8', 'cache-control': 'no-cache' }
      : { 'content-type': 'application/json' }),
    ...response.headers,
  });
  res.flushHeaders();
  const bytes = Buffer.from(isStream ? (response.events ?? []).join('') : response.body!, 'utf8');
  const eventSizes = isStream ? (response.events ?? []).map((e) => Buffer.byteLength(e, 'utf8')) : [bytes.length];
  for (const piece of cut(bytes, response.chunking ?? 'events', eventSizes)) {
    if (closed()) return;
    // Wait until the bytes are handed to the socket, so a scripted cut comes after them.
    await new Promise<void>((resolve) => {
      res.once('close', resolve);
      res.write(piece, () => {
        res.off('close', resolve);
        resolve();
      });
    });
    if (response.delayMs) await sleep(response.delayMs);
  }
  if (closed()) return;
  switch (response.ending ?? 'end') {
    case 'end':
      res.end();
      break;
    case 'destroy':
      markServerClosing();
      res.socket?.destroy();
      break;
    case 'stall':
      break; // keep the connection open and silent until the client gives up or the server closes
  }
}

function cut(bytes: Buffer, chunking: NonNullable<ReplayResponse['chunking']>, eventSizes: readonly number[]): Buffer[] {
  let offsets: number[];
  if (chunking === 'whole') offsets = [];
  else if (chunking === 'events') {
    offsets = [];
    let at = 0;
    for (const size of eventSizes) offsets.push((at += size));
  } else if ('bytes' in chunking) {
    offsets = [];
    for (let at = chunking.bytes; at < bytes.length; at += chunking.bytes) offsets.push(at);
  } else if ('pieces' in chunking) {
    offsets = Array.from({ length: chunking.pieces - 1 }, (_, i) => Math.round(((i + 1) * bytes.length) / chunking.pieces));
  } else offsets = [...chunking.at];
  const bounds = [0, ...offsets.filter((o) => o > 0 && o < bytes.length).sort((a, b) => a - b), bytes.length];
  const pieces: Buffer[] = [];
  for (let i = 0; i + 1 < bounds.length; i++) if (bounds[i + 1]! > bounds[i]!) pieces.push(bytes.subarray(bounds[i], bounds[i + 1]));
  return pieces;
}

function readBody(req: IncomingMessage): Promise<string> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => resolve(Buffer.concat(chunks).toString('utf8')));
    req.on('error', reject);
  });
}

function sendJson(res: ServerResponse, status: number, payload: unknown): void {
  res.writeHead(status, { 'content-type': 'application/json' }).end(JSON.stringify(payload));
}

function parseJson(text: string): unknown {
  try {
    return JSON.parse(text) as unknown;
  } catch {
    return undefined;
  }
}

function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}
