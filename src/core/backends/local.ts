// The local backend: an R1-style GGUF model run in process by node-llama-cpp, no server.
//
// - node-llama-cpp is ESM with top-level await and the extension bundle is CommonJS, so it is only
//   ever loaded with `await import()`, on the first run, never when this module loads.
// - A `LocalModelHost` owns the loaded model: one load shared by all runs, a pool of context
//   sequences (one per run; runs beyond the pool wait in line), and an idle timer that unloads the
//   model after `idleUnloadSeconds` without runs. The backend owns its host; `dispose()` unloads.
// - A run thinks freely, with `<think>\n` forced at the start of the turn as DeepSeek advises (the
//   DeepSeek chat wrapper does not add it itself). When the thought segment ends, generation stops
//   and the same turn continues under a JSON-schema grammar for the answer contract, so a local
//   model's findings always parse. The answer is streamed as one ```json fenced block, which the
//   answer parser reads like any other model's.
import { availableParallelism } from 'node:os';
import { open, stat } from 'node:fs/promises';
import { basename } from 'node:path';
import type {
  ChatHistoryItem,
  ChatModelResponse,
  ChatWrapper,
  Llama,
  LlamaChatResponseChunk,
  LlamaContext,
  LlamaContextSequence,
  LlamaGrammar,
  LlamaModel,
} from 'node-llama-cpp';
import type { Backend, BackendRequest, LocalModelOptions, ReasoningEvent, Usage } from '../types';
import { raceAbort } from '../abort';
import { BackendError, cancelledError } from '../errors';
import { answerGrammarSchema } from '../contract';

export interface LocalBackendOptions extends LocalModelOptions {
  /** Default sampling seed; a request's own seed wins. */
  readonly seed?: number;
  /** Runs that generate at once, each on its own context sequence; more wait in line. Default 1. */
  readonly parallelRuns?: number;
  /** Constrain the answer to the JSON contract after the reasoning (default true). */
  readonly structuredAnswer?: boolean;
  /** Where the llama.cpp runtime comes from; the process-wide pool unless given (tests isolate). */
  readonly runtimes?: LlamaRuntimePool;
}

export interface LocalBackend extends Backend {
  readonly id: 'local';
  /** The loaded-model owner, exposed for status display and tests. */
  readonly host: LocalModelHost;
  dispose(): Promise<void>;
}

type NodeLlamaCpp = typeof import('node-llama-cpp');

const DEFAULT_TEMPERATURE = 0.6;
const DEFAULT_TOP_P = 0.95;
const DEFAULT_IDLE_UNLOAD_SECONDS = 300;
/** Without a setting: as large as memory allows, up to this (R1 traces run to thousands of tokens). */
const DEFAULT_MAX_CONTEXT = 16384;
/** Room left for the model to write when checking whether a prompt fits. */
const MIN_GENERATION_ROOM = 256;

type GpuChoice = 'auto' | 'cuda' | 'vulkan' | 'metal' | false;

/**
 * The llama.cpp runtimes (`Llama` instances) of this process, shared by every host with the same
 * GPU choice and thread budget. Starting one costs seconds (node-llama-cpp checks its prebuilt
 * binary in a child process), so hosts keep theirs across idle unloads and give it back when
 * disposed; the last one to give it back disposes it. An explicit object rather than loose module
 * state, so tests and the extension can see and drop it.
 */
export class LlamaRuntimePool {
  private readonly runtimes = new Map<string, { llama: Promise<Llama>; refs: number }>();

  /** A runtime for `gpu`; an explicit GPU that fails to start falls back to the CPU. */
  async acquire(lib: NodeLlamaCpp, gpu: GpuChoice, threads: number, log: (line: string) => void): Promise<Llama> {
    const key = `${String(gpu)}/${threads}`;
    let entry = this.runtimes.get(key);
    if (!entry) {
      const start = (choice: GpuChoice): Promise<Llama> =>
        lib.getLlama({
          gpu: choice,
          // node-llama-cpp's default is at least 4 threads; on a 2-core machine that is ~100x slower.
          maxThreads: threads,
          // Never try to compile llama.cpp on a user's machine: the prebuilt binaries or nothing.
          build: 'never',
          logLevel: lib.LlamaLogLevel.warn,
          logger: (_level, message) => log(message),
        });
      const llama = start(gpu).catch((error: unknown) => {
        if (gpu === false) throw error;
        log(`GPU runtime (${String(gpu)}) failed to start, using the CPU: ${String(error)}`);
        return start(false);
      });
      entry = { llama, refs: 0 };
      this.runtimes.set(key, entry);
      llama.catch(() => this.runtimes.delete(key));
    }
    entry.refs++;
    try {
      return await entry.llama;
    } catch (error) {
      entry.refs--;
      throw error;
    }
  }

  async release(llama: Llama): Promise<void> {
    for (const [key, entry] of this.runtimes) {
      if ((await entry.llama.catch(() => undefined)) !== llama) continue;
      entry.refs--;
      if (entry.refs <= 0) {
        this.runtimes.delete(key);
        await llama.dispose().catch(() => undefined);
      }
      return;
    }
  }

  get size(): number {
    return this.runtimes.size;
  }
}

/** The pool hosts use unless given their own. */
export const llamaRuntimes = new LlamaRuntimePool();

/** A model loaded and ready: everything one load creates, disposed together. */
interface Loaded {
  readonly llama: Llama;
  readonly model: LlamaModel;
  readonly context: LlamaContext;
  readonly free: LlamaContextSequence[];
  readonly chatWrapper: ChatWrapper;
  readonly grammar: LlamaGrammar;
  readonly lib: NodeLlamaCpp;
  readonly gpu: string | false;
}

export interface ModelLease {
  readonly loaded: Loaded;
  readonly sequence: LlamaContextSequence;
  release(): void;
}

interface Waiter {
  readonly resolve: (lease: ModelLease) => void;
  readonly reject: (error: unknown) => void;
  readonly signal: AbortSignal;
  readonly onAbort: () => void;
}

/** Recent llama.cpp log lines, for error details (never printed). */
class LogRing {
  private lines: string[] = [];
  add(line: string): void {
    this.lines.push(line.trim());
    if (this.lines.length > 20) this.lines.shift();
  }
  text(): string {
    return this.lines.filter(Boolean).join(' | ');
  }
}

/**
 * Owns one loaded model and its context sequences. Loads on the first `acquire`, keeps the model
 * while runs come, unloads after the idle time, reloads on the next `acquire`.
 */
export class LocalModelHost {
  private loading?: Promise<Loaded>;
  private current?: Loaded;
  private readonly waiters: Waiter[] = [];
  /** Stops for the runs in progress, so `dispose()` can end them before unloading. */
  private readonly running = new Set<AbortController>();
  private drained: (() => void)[] = [];
  private active = 0;
  private idleTimer?: NodeJS.Timeout;
  private disposed = false;
  private readonly log = new LogRing();
  /** The runtime this host holds from its first load until it is disposed. */
  private runtime?: { lib: NodeLlamaCpp; llama: Llama };
  /** How many times a model was loaded (a reload after an idle unload counts again). */
  loadCount = 0;

  private readonly runtimes: LlamaRuntimePool;

  constructor(private readonly options: LocalBackendOptions) {
    this.runtimes = options.runtimes ?? llamaRuntimes;
  }

  get loaded(): boolean {
    return this.current !== undefined;
  }

  /** The GPU the loaded model runs on (`false`: the CPU), or undefined while nothing is loaded. */
  get gpu(): string | false | undefined {
    return this.current?.gpu;
  }

  get threads(): number {
    return this.options.threads && this.options.threads > 0 ? Math.floor(this.options.threads) : availableParallelism();
  }

  /** Waits for the model and a free sequence. Rejects with `cancelled` at once when `signal` aborts. */
  async acquire(signal: AbortSignal): Promise<ModelLease> {
    if (this.disposed) throw new BackendError('cancelled', 'The local model was unloaded.', 'Run it again.');
    if (signal.aborted) throw cancelledError();
    this.clearIdleTimer();
    this.active++;
    try {
      const loaded = await raceAbort(this.ensureLoaded(), signal);
      const sequence = loaded.free.pop();
      if (sequence) return this.lease(loaded, sequence);
      return await new Promise<ModelLease>((resolve, reject) => {
        const waiter: Waiter = {
          resolve,
          reject,
          signal,
          onAbort: () => {
            const i = this.waiters.indexOf(waiter);
            if (i >= 0) this.waiters.splice(i, 1);
            reject(cancelledError());
          },
        };
        signal.addEventListener('abort', waiter.onAbort, { once: true });
        this.waiters.push(waiter);
      });
    } catch (error) {
      this.runEnded();
      throw error;
    }
  }

  private lease(loaded: Loaded, sequence: LlamaContextSequence): ModelLease {
    let released = false;
    return {
      loaded,
      sequence,
      release: () => {
        if (released) return;
        released = true;
        const next = this.waiters.shift();
        if (next) {
          next.signal.removeEventListener('abort', next.onAbort);
          next.resolve(this.lease(loaded, sequence));
        } else {
          loaded.free.push(sequence);
        }
        this.runEnded();
      },
    };
  }

  private runEnded(): void {
    this.active = Math.max(0, this.active - 1);
    if (this.active > 0) return;
    for (const resolve of this.drained.splice(0)) resolve();
    if (!this.disposed) this.startIdleTimer();
  }

  /** Registers a run's stop switch for `dispose()`; returns the unregister function. */
  track(stop: AbortController): () => void {
    this.running.add(stop);
    return () => this.running.delete(stop);
  }

  private startIdleTimer(): void {
    this.clearIdleTimer();
    const seconds = this.options.idleUnloadSeconds ?? DEFAULT_IDLE_UNLOAD_SECONDS;
    if (!(seconds >= 0) || seconds === Infinity) return;
    this.idleTimer = setTimeout(() => void this.unload(), seconds * 1000);
    // An idle model must not keep the process (the CLI) alive.
    this.idleTimer.unref();
  }

  private clearIdleTimer(): void {
    if (this.idleTimer) clearTimeout(this.idleTimer);
    this.idleTimer = undefined;
  }

  private ensureLoaded(): Promise<Loaded> {
    if (this.current) return Promise.resolve(this.current);
    this.loading ??= this.load().then(
      (loaded) => {
        this.loading = undefined;
        if (this.disposed) {
          void disposeLoaded(loaded);
          throw new BackendError('cancelled', 'The local model was unloaded.', 'Run it again.');
        }
        this.current = loaded;
        this.loadCount++;
        // Runs that gave up while it loaded leave nobody waiting: start the idle clock.
        if (this.active === 0) this.startIdleTimer();
        return loaded;
      },
      (error: unknown) => {
        this.loading = undefined;
        throw error;
      },
    );
    return this.loading;
  }

  private async load(): Promise<Loaded> {
    await checkModelFile(this.options.modelPath);
    const runtime = await this.ensureRuntime();
    try {
      return await this.loadOn(runtime.lib, runtime.llama);
    } catch (error) {
      if (runtime.llama.gpu === false) throw error;
      // The GPU could not take the model (driver, memory): the CPU still can.
      this.log.add(`loading on the GPU (${String(runtime.llama.gpu)}) failed, retrying on the CPU: ${String(error)}`);
      this.runtime = undefined;
      await this.runtimes.release(runtime.llama);
      const cpu = await this.ensureRuntime(false);
      return this.loadOn(cpu.lib, cpu.llama);
    }
  }

  private async loadOn(lib: NodeLlamaCpp, llama: Llama): Promise<Loaded> {
    const path = this.options.modelPath;
    let model: LlamaModel | undefined;
    try {
      try {
        model = await llama.loadModel({ modelPath: path });
      } catch (error) {
        throw corruptModelError(path, error, this.log.text());
      }
      const parallel = Math.max(1, Math.floor(this.options.parallelRuns ?? 1));
      const trainContext = model.trainContextSize;
      let context: LlamaContext;
      try {
        context = await model.createContext({
          sequences: parallel,
          threads: this.threads,
          contextSize: this.options.contextSize
            ? Math.min(this.options.contextSize, trainContext)
            : { min: Math.min(2048, trainContext), max: Math.min(DEFAULT_MAX_CONTEXT, trainContext) },
        });
      } catch (error) {
        throw memoryError(path, error, this.options.contextSize);
      }
      const free: LlamaContextSequence[] = [];
      for (let i = 0; i < parallel; i++) free.push(context.getSequence());
      // The contract's schema is built at run time, so node-llama-cpp cannot type it; it keeps to the subset it reads.
      const grammar = await llama.createGrammarForJsonSchema(answerGrammarSchema() as Parameters<Llama['createGrammarForJsonSchema']>[0]);
      return { llama, model, context, free, chatWrapper: chooseChatWrapper(lib, model), grammar, lib, gpu: llama.gpu };
    } catch (error) {
      await model?.dispose().catch(() => undefined);
      throw error;
    }
  }

  private async ensureRuntime(gpu?: false): Promise<{ lib: NodeLlamaCpp; llama: Llama }> {
    if (this.runtime) return this.runtime;
    let lib: NodeLlamaCpp;
    try {
      lib = await import('node-llama-cpp');
    } catch (error) {
      throw new BackendError('setup', 'Could not load node-llama-cpp, the local model runtime.', 'Reinstall ThinkLens for this platform; the OpenAI-compatible backends still work.', {
        detail: String(error),
        cause: error,
      });
    }
    const wanted = gpu ?? this.options.gpu ?? 'auto';
    let llama: Llama;
    try {
      llama = await this.runtimes.acquire(lib, wanted === 'cpu' ? false : wanted, this.threads, (line) => this.log.add(line));
    } catch (error) {
      throw new BackendError('setup', 'The local model runtime (llama.cpp) could not start on this machine.', 'The ThinkLens log has the details; the OpenAI-compatible backends still work.', {
        detail: [String(error), this.log.text()].filter(Boolean).join(' | '),
        cause: error,
      });
    }
    this.runtime = { lib, llama };
    return this.runtime;
  }

  /** Unloads the model now (runs in progress keep it until they finish). */
  async unload(): Promise<void> {
    this.clearIdleTimer();
    if (this.active > 0) return;
    const loaded = this.current;
    this.current = undefined;
    if (loaded) await disposeLoaded(loaded);
  }

  /** Ends the runs in progress (they finish as `cancelled`), then unloads the model and the runtime. */
  async dispose(): Promise<void> {
    this.disposed = true;
    this.clearIdleTimer();
    for (const waiter of this.waiters.splice(0)) {
      waiter.signal.removeEventListener('abort', waiter.onAbort);
      // Its `acquire` ends the run's count when it sees the rejection.
      waiter.reject(new BackendError('cancelled', 'The local model was unloaded.', 'Run it again.'));
    }
    for (const stop of this.running) stop.abort();
    if (this.active > 0) await new Promise<void>((resolve) => this.drained.push(resolve));
    const loading = this.loading;
    if (loading) await loading.catch(() => undefined);
    const loaded = this.current;
    this.current = undefined;
    if (loaded) await disposeLoaded(loaded);
    const runtime = this.runtime;
    this.runtime = undefined;
    if (runtime) await this.runtimes.release(runtime.llama);
  }
}

async function disposeLoaded(loaded: Loaded): Promise<void> {
  await loaded.context.dispose().catch(() => undefined);
  await loaded.model.dispose().catch(() => undefined);
}

/**
 * DeepSeek's wrapper for R1-style templates (checked by their turn markers: node-llama-cpp's own
 * template comparison takes most of a second); otherwise the model's own wrapper when it knows
 * thoughts, or DeepSeek's when the name says R1.
 */
function chooseChatWrapper(lib: NodeLlamaCpp, model: LlamaModel): ChatWrapper {
  const template = model.fileInfo.metadata?.tokenizer?.chat_template ?? '';
  if (template.includes('<｜Assistant｜>')) return new lib.DeepSeekChatWrapper();
  const resolved = lib.resolveChatWrapper(model);
  if (resolved.settings.segments?.thought) return resolved;
  const name = model.fileInfo.metadata?.general?.name ?? '';
  if (/deepseek.*r1|r1.*distill/i.test(`${name} ${basename(model.filename ?? '')}`)) return new lib.DeepSeekChatWrapper();
  return resolved;
}

const SETUP_HINT = "Set thinklens.local.modelPath (or --model-path) to a .gguf model file, or run 'ThinkLens: Download Model'.";

/** Missing, a folder, not GGUF: say so before node-llama-cpp gives a vaguer error. */
async function checkModelFile(path: string): Promise<void> {
  const info = await stat(path).catch((error: NodeJS.ErrnoException) => {
    if (error.code === 'ENOENT') throw new BackendError('setup', `The local model file does not exist: ${path}`, SETUP_HINT);
    throw new BackendError('setup', `Cannot read the local model file ${path} (${error.code ?? error.message}).`, SETUP_HINT, { cause: error });
  });
  if (info.isDirectory()) throw new BackendError('setup', `The local model path is a folder, not a file: ${path}`, SETUP_HINT);
  const handle = await open(path, 'r');
  try {
    const magic = Buffer.alloc(4);
    const { bytesRead } = await handle.read(magic, 0, 4, 0);
    if (bytesRead < 4 || magic.toString('latin1') !== 'GGUF') {
      throw new BackendError('setup', `Not a GGUF model file: ${path}`, `Use a .gguf file (llama.cpp format), not safetensors or a partial download. ${SETUP_HINT}`);
    }
  } finally {
    await handle.close();
  }
}

function corruptModelError(path: string, error: unknown, log: string): BackendError {
  const detail = [String(error), log].filter(Boolean).join(' | ');
  if (/memory|alloc/i.test(detail)) return memoryError(path, error);
  return new BackendError(
    'setup',
    `The local model file is damaged or incomplete and could not be loaded: ${path}`,
    'Download it again (an interrupted download leaves a truncated file), or choose another model.',
    { detail, cause: error },
  );
}

function memoryError(path: string, error: unknown, contextSize?: number): BackendError {
  return new BackendError(
    'setup',
    `Not enough memory to run ${basename(path)}${contextSize ? ` with a ${contextSize}-token context` : ''}.`,
    'Lower thinklens.local.contextSize, choose a smaller model, or close other programs.',
    { detail: String(error), cause: error },
  );
}

/** Events pushed from node-llama-cpp's callbacks, pulled by the backend's async generator. */
class EventQueue<T> {
  private items: T[] = [];
  private wake?: () => void;
  private ended = false;
  private failure: { error: unknown } | undefined;

  push(item: T): void {
    this.items.push(item);
    this.notify();
  }
  close(): void {
    this.ended = true;
    this.notify();
  }
  fail(error: unknown): void {
    this.failure = { error };
    this.ended = true;
    this.notify();
  }
  private notify(): void {
    const wake = this.wake;
    this.wake = undefined;
    wake?.();
  }
  async *drain(): AsyncGenerator<T> {
    for (;;) {
      if (this.items.length > 0) {
        yield this.items.shift()!;
        continue;
      }
      if (this.ended) {
        if (this.failure) throw this.failure.error;
        return;
      }
      await new Promise<void>((resolve) => { this.wake = resolve; });
    }
  }
}

function toHistory(request: BackendRequest): ChatHistoryItem[] {
  return request.messages.map((m): ChatHistoryItem => (m.role === 'user' ? { type: 'user', text: m.content } : { type: 'model', response: [m.content] }));
}

/** The last model turn cut right after its thought segment (what the answer phase continues). */
function upToThought(history: ChatHistoryItem[]): ChatHistoryItem[] {
  const out = history.slice();
  const last = out[out.length - 1];
  if (last?.type !== 'model') return out;
  const end = last.response.findIndex((item) => typeof item !== 'string' && item.type === 'segment' && item.segmentType === 'thought' && item.ended);
  if (end >= 0) out[out.length - 1] = { type: 'model', response: last.response.slice(0, end + 1) } satisfies ChatModelResponse;
  return out;
}

function finishReasonOf(stopReason: string): string {
  return stopReason === 'maxTokens' ? 'length' : stopReason === 'abort' ? 'cancelled' : 'stop';
}

/** Runs one request on a leased sequence, pushing events to `queue`. */
async function generate(
  lease: ModelLease,
  request: BackendRequest,
  options: LocalBackendOptions,
  signal: AbortSignal,
  queue: EventQueue<ReasoningEvent>,
): Promise<void> {
  const { loaded, sequence } = lease;
  const { lib, model, chatWrapper } = loaded;
  const chat = new lib.LlamaChat({ contextSequence: sequence, chatWrapper, autoDisposeSequence: false });
  try {
    const thinks = chatWrapper.settings.segments?.thought !== undefined;
    const structured = options.structuredAnswer ?? true;
    const skipThinking = request.reasoningEffort === 'none';
    const history = toHistory(request);
    if (thinks) {
      // Force the turn to open with `<think>\n` (or, with thinking off, an empty closed thought).
      history.push({ type: 'model', response: [{ type: 'segment', segmentType: 'thought', text: skipThinking ? '\n\n' : '\n', ended: skipThinking }] });
    }

    const promptTokens = chatWrapper.generateContextState({ chatHistory: history }).contextText.tokenize(model.tokenizer).length;
    const contextSize = sequence.contextSize;
    if (promptTokens + MIN_GENERATION_ROOM > contextSize) {
      throw new BackendError(
        'context-too-long',
        `The request is ${promptTokens} tokens, too long for the local model's ${contextSize}-token context.`,
        'Review a smaller selection or fewer files at once, or raise thinklens.local.contextSize.',
      );
    }
    const budget = Math.min(request.maxTokens ?? Infinity, contextSize - promptTokens);
    const sampling = {
      temperature: request.temperature ?? DEFAULT_TEMPERATURE,
      topP: request.topP ?? DEFAULT_TOP_P,
      seed: request.seed ?? options.seed,
    };

    let completionTokens = 0;
    let reasoningTokens = 0;
    let firstTokenAt: number | undefined;
    let lastTokenAt: number | undefined;
    const counted = (n: number): void => {
      if (n === 0) return;
      completionTokens += n;
      lastTokenAt = performance.now();
      firstTokenAt ??= lastTokenAt;
    };

    let thoughtEnded = skipThinking || !thinks;
    let finishReason = 'stop';
    let contextWindow = history;
    let cleanHistory = history;

    if (!thoughtEnded || !structured) {
      // Phase 1: think freely. With a structured answer, stop as soon as the thought ends.
      const thoughtDone = new AbortController();
      const result = await chat.generateResponse(history, {
        ...sampling,
        maxTokens: budget,
        signal: AbortSignal.any([signal, thoughtDone.signal]),
        stopOnAbortSignal: true,
        onResponseChunk: (chunk: LlamaChatResponseChunk) => {
          if (chunk.type === 'segment') {
            counted(chunk.tokens.length);
            reasoningTokens += chunk.tokens.length;
            if (chunk.text) queue.push({ kind: 'reasoning', text: chunk.text });
            if (chunk.segmentEndTime && chunk.segmentType === 'thought') {
              thoughtEnded = true;
              if (structured) thoughtDone.abort();
            }
          } else if (!(structured && thoughtEnded)) {
            counted(chunk.tokens.length);
            if (chunk.text) queue.push({ kind: 'answer', text: chunk.text });
          }
        },
      });
      if (signal.aborted) throw cancelledError();
      finishReason = finishReasonOf(result.metadata.stopReason);
      contextWindow = upToThought(result.lastEvaluation.contextWindow);
      cleanHistory = upToThought(result.lastEvaluation.cleanHistory);
      if (result.metadata.stopReason === 'abort') finishReason = 'stop';
    }

    if (structured && thoughtEnded && completionTokens < budget) {
      // Phase 2: the same turn continues, constrained to the answer contract.
      let opened = false;
      const result = await chat.generateResponse(cleanHistory, {
        ...sampling,
        grammar: loaded.grammar,
        maxTokens: budget - completionTokens,
        signal,
        stopOnAbortSignal: true,
        lastEvaluationContextWindow: { history: contextWindow },
        onResponseChunk: (chunk: LlamaChatResponseChunk) => {
          counted(chunk.tokens.length);
          if (!chunk.text) return;
          if (!opened) {
            opened = true;
            queue.push({ kind: 'answer', text: '```json\n' });
          }
          queue.push({ kind: 'answer', text: chunk.text });
        },
      });
      if (signal.aborted) throw cancelledError();
      if (opened) queue.push({ kind: 'answer', text: '\n```' });
      finishReason = finishReasonOf(result.metadata.stopReason);
    } else if (structured && !thoughtEnded) {
      finishReason = 'length';
    }

    const seconds = firstTokenAt !== undefined && lastTokenAt !== undefined ? (lastTokenAt - firstTokenAt) / 1000 : 0;
    const usage: Usage = {
      promptTokens,
      completionTokens,
      reasoningTokens,
      ...(completionTokens > 1 && seconds > 0 ? { tokensPerSecond: (completionTokens - 1) / seconds } : {}),
    };
    queue.push({ kind: 'usage', usage });
    queue.push({ kind: 'done', finishReason });
  } finally {
    chat.dispose({ disposeSequence: false });
  }
}

/** The local backend over one GGUF file. Nothing loads until the first `stream()`. */
export function createLocalBackend(options: LocalBackendOptions): LocalBackend {
  const host = new LocalModelHost(options);
  return {
    id: 'local',
    model: basename(options.modelPath),
    hosted: false,
    host,
    async *stream(request: BackendRequest, signal: AbortSignal): AsyncGenerator<ReasoningEvent> {
      const lease = await host.acquire(signal);
      // Stops generation when the consumer stops reading (break, return) or the backend is
      // disposed, as well as on `signal`.
      const stop = new AbortController();
      const untrack = host.track(stop);
      const runSignal = AbortSignal.any([signal, stop.signal]);
      const queue = new EventQueue<ReasoningEvent>();
      const work = generate(lease, request, options, runSignal, queue).then(
        () => queue.close(),
        (error: unknown) => queue.fail(toLocalError(error, runSignal)),
      );
      try {
        yield* queue.drain();
      } finally {
        stop.abort();
        // The sequence goes back to the pool only once generation has really stopped.
        await work;
        untrack();
        lease.release();
      }
    },
    dispose: () => host.dispose(),
  };
}

function toLocalError(error: unknown, signal: AbortSignal): unknown {
  if (error instanceof BackendError) return error;
  if (signal.aborted) return cancelledError();
  const text = String(error);
  if (/context/i.test(text) && /size|long|exceed|full/i.test(text)) {
    return new BackendError('context-too-long', 'The conversation no longer fits in the local model’s context.', 'Start a new run, or raise thinklens.local.contextSize.', {
      detail: text,
      cause: error,
    });
  }
  return new BackendError('bad-response', 'The local model failed while generating.', 'Run it again; the ThinkLens log has the details.', { detail: text, cause: error });
}
