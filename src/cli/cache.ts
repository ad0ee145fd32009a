// A content-addressed result cache for the CLI: the same request (code and prompt, model, sampling
// settings, backend and server) gives the stored reasoning and answer without a request. Keys are
// SHA-256 of everything sent, so a changed line, prompt or setting is simply a miss. Only runs that
// ended normally are stored; a failure, a cut-off answer or a cancel is asked again next time.

import { createHash, randomBytes } from 'node:crypto';
import { mkdir, readFile, rename, writeFile } from 'node:fs/promises';
import { homedir } from 'node:os';
import { join } from 'node:path';
import type { Backend, BackendRequest, ReasoningEvent, Usage } from '../core/types';
import type { ThinkingSteer } from '../core/thinking';

/** Bump when the stored shape or the meaning of a key changes. */
const CACHE_FORMAT = 1;

/** The engine build (a hash of src/core and src/cli set by esbuild): results are only reused by the build that made them. */
declare const THINKLENS_ENGINE_BUILD: string | undefined;
const ENGINE_BUILD = typeof THINKLENS_ENGINE_BUILD === 'string' ? THINKLENS_ENGINE_BUILD : 'source';

interface StoredRun {
  readonly format: number;
  readonly reasoning: string;
  readonly answer: string;
  readonly usage?: Usage;
  readonly finishReason: string;
}

/** The user's cache folder: THINKLENS_CACHE_DIR, else the platform's convention. */
export function defaultCacheDir(
  env: NodeJS.ProcessEnv = process.env,
  platform: NodeJS.Platform = process.platform,
  home = homedir(),
): string {
  if (env.THINKLENS_CACHE_DIR) return env.THINKLENS_CACHE_DIR;
  if (platform === 'win32') return join(env.LOCALAPPDATA || join(home, 'AppData', 'Local'), 'thinklens', 'Cache');
  if (platform === 'darwin') return join(home, 'Library', 'Caches', 'thinklens');
  return join(env.XDG_CACHE_HOME || join(home, '.cache'), 'thinklens');
}

export class ResultCache {
  constructor(readonly dir: string) {}

  /** What identifies a result: every field that reaches the server, and which server. */
  static key(backend: Pick<Backend, 'id' | 'model'>, server: string | undefined, request: BackendRequest): string {
    const identity = JSON.stringify({
      format: CACHE_FORMAT,
      engine: ENGINE_BUILD,
      backend: backend.id,
      model: backend.model,
      server: server ?? '',
      request,
    });
    return createHash('sha256').update(identity).digest('hex');
  }

  private pathOf(key: string): string {
    return join(this.dir, 'results', key.slice(0, 2), `${key.slice(2)}.json`);
  }

  async get(key: string): Promise<StoredRun | undefined> {
    try {
      const stored = JSON.parse(await readFile(this.pathOf(key), 'utf8')) as StoredRun;
      return stored.format === CACHE_FORMAT && typeof stored.answer === 'string' ? stored : undefined;
    } catch {
      return undefined; // missing or unreadable: a miss
    }
  }

  /** Written to a temporary name and renamed, so parallel CI jobs never read half a file. */
  async put(key: string, run: Omit<StoredRun, 'format'>): Promise<void> {
    const path = this.pathOf(key);
    const temporary = `${path}.${randomBytes(6).toString('hex')}.tmp`;
    try {
      await mkdir(join(path, '..'), { recursive: true });
      await writeFile(temporary, JSON.stringify({ format: CACHE_FORMAT, ...run }));
      await rename(temporary, path);
    } catch {
      // A read-only or full cache folder costs a request next time, nothing more.
    }
  }
}

/**
 * The backend with the cache in front. `onHit` is told when a request was answered from the
 * cache: the CLI marks the run `cached` and counts no spend for it.
 */
export function withCache(backend: Backend, cache: ResultCache, server: string | undefined, onHit: () => void): Backend {
  return {
    id: backend.id,
    model: backend.model,
    hosted: backend.hosted,
    endpoint: backend.endpoint,
    describe: backend.describe?.bind(backend),
    async *stream(request: BackendRequest, signal: AbortSignal, steer?: ThinkingSteer): AsyncGenerator<ReasoningEvent> {
      const key = ResultCache.key(backend, server, request);
      const stored = await cache.get(key);
      if (stored) {
        onHit();
        if (stored.reasoning) yield { kind: 'reasoning', text: stored.reasoning };
        if (stored.answer) yield { kind: 'answer', text: stored.answer };
        // The tokens are the stored run's; this run spent nothing.
        if (stored.usage) yield { kind: 'usage', usage: { ...stored.usage, costUsd: 0 } };
        yield { kind: 'done', finishReason: stored.finishReason };
        return;
      }
      let reasoning = '';
      let answer = '';
      let usage: Usage | undefined;
      let finishReason: string | undefined;
      for await (const event of backend.stream(request, signal, steer)) {
        if (event.kind === 'reasoning') reasoning += event.text;
        else if (event.kind === 'answer') answer += event.text;
        else if (event.kind === 'usage') usage = event.usage;
        else finishReason = event.finishReason;
        yield event;
      }
      // An answer asked for before the model finished thinking is not what the request gives on its own.
      if (finishReason === 'stop' && !signal.aborted && answer && !steer?.endedBy)
        await cache.put(key, { reasoning, answer, usage, finishReason });
    },
  };
}
