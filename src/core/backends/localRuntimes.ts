// The llama.cpp runtimes of this process, shared by the local backend's model hosts (local.ts).

import type { Llama } from 'node-llama-cpp';

export type NodeLlamaCpp = typeof import('node-llama-cpp');

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
