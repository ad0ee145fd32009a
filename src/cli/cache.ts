// A content-addressed result cache for the CLI: the same review (the code and what is asked about
// it, the model, the sampling settings, the backend and server) gives the stored reasoning, answer
// and findings without any request, not even the probe that asks the server for its window. Keys
// are SHA-256 of what decides the answer, never of what a probe said: a rerun against a server
// that is down, or that reports another window, still finds its result. The prompt is the engine
// build's (the key holds the build), so a changed prompt or planner is a miss. Only runs that ended
// normally are stored; a failure, a cut-off answer, a deadline or a cancel is asked again next time.

import { createHash, randomBytes } from 'node:crypto';
import { mkdir, readFile, rename, writeFile } from 'node:fs/promises';
import { homedir } from 'node:os';
import { join } from 'node:path';
import type { PlannedRunOutput } from '../core/plannedRun';
import type { Backend, CodeUnderReview, ParsedAnswer, Usage } from '../core/types';

/** Bump when the stored shape or the meaning of a key changes. */
const CACHE_FORMAT = 2;

/** The engine build (a hash of src/core and src/cli set by esbuild): results are only reused by the build that made them. */
declare const THINKLENS_ENGINE_BUILD: string | undefined;
const ENGINE_BUILD = typeof THINKLENS_ENGINE_BUILD === 'string' ? THINKLENS_ENGINE_BUILD : 'source';

/** One sample of one file's review, as it ended. */
export interface StoredRun {
  readonly format: number;
  readonly reasoning: string;
  readonly answer: string;
  readonly usage?: Usage;
  readonly finishReason?: string;
  readonly parsed: ParsedAnswer;
  readonly notes: readonly string[];
  readonly repaired: boolean;
}

/** What decides a review's answer: every input of the prompt and of the sampling, and who answers. */
export interface ReviewIdentity {
  readonly backend: Pick<Backend, 'id' | 'model'>;
  /** The server's base URL (its identity; the CLI has one per backend). */
  readonly server: string | undefined;
  readonly code: CodeUnderReview;
  /** This sample's seed and the other sampling settings. */
  readonly sampling: Readonly<Record<string, unknown>>;
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

  /** The key of one sample of one review: nothing a probe reports is in it. */
  static key(identity: ReviewIdentity): string {
    const { backend, server, code, sampling } = identity;
    const text = JSON.stringify({
      format: CACHE_FORMAT,
      engine: ENGINE_BUILD,
      backend: backend.id,
      model: backend.model,
      server: server ?? '',
      code,
      sampling,
    });
    return createHash('sha256').update(text).digest('hex');
  }

  private pathOf(key: string): string {
    return join(this.dir, 'results', key.slice(0, 2), `${key.slice(2)}.json`);
  }

  async get(key: string): Promise<StoredRun | undefined> {
    try {
      const stored = JSON.parse(await readFile(this.pathOf(key), 'utf8')) as StoredRun;
      return stored.format === CACHE_FORMAT && typeof stored.answer === 'string' && Array.isArray(stored.parsed?.findings)
        ? stored
        : undefined;
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

/** A stored run as the engine returns one; its tokens are the stored run's, and it spent nothing. */
export function replayed(stored: StoredRun): PlannedRunOutput {
  const { reasoning, answer, usage, finishReason, parsed, notes, repaired } = stored;
  return {
    messages: [],
    reasoning,
    answer,
    ...(usage ? { usage: { ...usage, costUsd: 0 } } : {}),
    ...(finishReason ? { finishReason } : {}),
    parsed,
    notes,
    repaired,
  };
}

/**
 * The run worth keeping: it ended normally with an answer that was read, not cut at the token limit,
 * and its thinking was not ended early by a person (what the same request gives on its own).
 */
export function storable(output: PlannedRunOutput): Omit<StoredRun, 'format'> | undefined {
  const { error, parsed, finishReason, answer } = output;
  if (error || !parsed || finishReason === 'length' || !answer || output.thinking?.endedBy === 'person') return undefined;
  const { reasoning, usage, notes, repaired } = output;
  return { reasoning, answer, ...(usage ? { usage } : {}), ...(finishReason ? { finishReason } : {}), parsed, notes, repaired };
}
