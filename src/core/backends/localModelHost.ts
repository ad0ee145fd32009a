// The local backend's model host (local.ts): one load shared by all runs, a pool of context
// sequences, an idle unload; the model file's checks, the chat wrapper and the answer grammar.

import { availableParallelism } from 'node:os';
import { open, stat } from 'node:fs/promises';
import { basename } from 'node:path';
import type { ChatWrapper, Llama, LlamaContext, LlamaContextSequence, LlamaGrammar, LlamaModel } from 'node-llama-cpp';
import { raceAbort } from '../abort';
import { BackendError, cancelledError } from '../errors';
import type { Remedy } from '../remedies';
import { answerGrammarSchema } from '../contract';
import type { LocalBackendOptions } from './local';
import { type LlamaRuntimePool, llamaRuntimes, type NodeLlamaCpp } from './localRuntimes';

const DEFAULT_IDLE_UNLOAD_SECONDS = 300;
/** Without a setting: as large as memory allows, up to this (R1 traces run to thousands of tokens). */
const DEFAULT_MAX_CONTEXT = 16384;

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
    if (this.disposed) throw new BackendError('cancelled', 'The local model was unloaded.', [{ kind: 'retry' }]);
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
          throw new BackendError('cancelled', 'The local model was unloaded.', [{ kind: 'retry' }]);
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
      throw new BackendError(
        'setup',
        'Could not load node-llama-cpp, the local model runtime.',
        [
          { kind: 'advice', text: 'Reinstall ThinkLens for this platform; the OpenAI-compatible backends still work.' },
          { kind: 'choose-backend' },
        ],
        {
          detail: String(error),
          cause: error,
        },
      );
    }
    const wanted = gpu ?? this.options.gpu ?? 'auto';
    let llama: Llama;
    try {
      llama = await this.runtimes.acquire(lib, wanted === 'cpu' ? false : wanted, this.threads, (line) => this.log.add(line));
    } catch (error) {
      throw new BackendError(
        'setup',
        'The local model runtime (llama.cpp) could not start on this machine.',
        [{ kind: 'show-log' }, { kind: 'choose-backend' }],
        {
          detail: [String(error), this.log.text()].filter(Boolean).join(' | '),
          cause: error,
        },
      );
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
      waiter.reject(new BackendError('cancelled', 'The local model was unloaded.', [{ kind: 'retry' }]));
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

const NEEDS_MODEL: readonly Remedy[] = [{ kind: 'get-local-model' }];

/** Missing, a folder, not GGUF: say so before node-llama-cpp gives a vaguer error. */
async function checkModelFile(path: string): Promise<void> {
  const info = await stat(path).catch((error: NodeJS.ErrnoException) => {
    if (error.code === 'ENOENT') throw new BackendError('setup', `The local model file does not exist: ${path}`, NEEDS_MODEL);
    throw new BackendError('setup', `Cannot read the local model file ${path} (${error.code ?? error.message}).`, NEEDS_MODEL, {
      cause: error,
    });
  });
  if (info.isDirectory()) throw new BackendError('setup', `The local model path is a folder, not a file: ${path}`, NEEDS_MODEL);
  const handle = await open(path, 'r');
  try {
    const magic = Buffer.alloc(4);
    const { bytesRead } = await handle.read(magic, 0, 4, 0);
    if (bytesRead < 4 || magic.toString('latin1') !== 'GGUF') {
      throw new BackendError('setup', `Not a GGUF model file: ${path}`, [
        { kind: 'advice', text: 'Use a .gguf file (llama.cpp format), not safetensors or a partial download.' },
        ...NEEDS_MODEL,
      ]);
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
    [
      { kind: 'advice', text: 'An interrupted download leaves a truncated file: download it again, or choose another model.' },
      ...NEEDS_MODEL,
    ],
    { detail, cause: error },
  );
}

function memoryError(path: string, error: unknown, contextSize?: number): BackendError {
  return new BackendError(
    'setup',
    `Not enough memory to run ${basename(path)}${contextSize ? ` with a ${contextSize}-token context` : ''}.`,
    [
      { kind: 'lower-option', option: 'localContextSize' },
      { kind: 'advice', text: 'Choose a smaller model, or close other programs.' },
    ],
    { detail: String(error), cause: error },
  );
}
