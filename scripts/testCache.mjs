// Where the test suite keeps what it builds or installs once per machine: llama.cpp's server,
// code-server and the Node 24 that runs it. The folder is per user, not per clone, so a second
// clone (and every CI run on a machine that ran one before) reuses them. Each piece is keyed by
// its version in its folder name, and a lock file makes a second concurrent run wait instead of
// building the same thing twice.
//
//   THINKLENS_TEST_CACHE   overrides the folder
//   XDG_CACHE_HOME         else <it>/thinklens-test, else ~/.cache/thinklens-test
import { mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { homedir } from 'node:os';
import { dirname, join, resolve } from 'node:path';

/** The per-user cache folder for test tools. */
export function testCacheDir(env = process.env, home = homedir()) {
  if (env.THINKLENS_TEST_CACHE) return resolve(env.THINKLENS_TEST_CACHE);
  return join(env.XDG_CACHE_HOME || join(home, '.cache'), 'thinklens-test');
}

export function pidAlive(pid) {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    return /** @type {NodeJS.ErrnoException} */ (error).code === 'EPERM';
  }
}

/** Takes the lock file, or returns the pid of a live process that holds it. */
export function takeLock(lock) {
  mkdirSync(dirname(lock), { recursive: true });
  for (let attempt = 0; attempt < 2; attempt++) {
    try {
      writeFileSync(lock, String(process.pid), { flag: 'wx' });
      return undefined;
    } catch (error) {
      if (/** @type {NodeJS.ErrnoException} */ (error).code !== 'EEXIST') throw error;
      const holder = Number(readFileSync(lock, 'utf8').trim());
      if (holder && holder !== process.pid && pidAlive(holder)) return holder;
      rmSync(lock, { force: true }); // left by a run that died
    }
  }
  throw new Error(`could not take the lock ${lock}; delete it if no build or install is running`);
}

/**
 * Holds `lock` while `work` runs. When another live process holds it, waits for that process and
 * returns `find()` once it finds the finished piece; `find` is asked again after taking the lock,
 * so the work runs only when nobody finished it meanwhile.
 * @template T
 * @param {{ lock: string, what: string, verb: 'built' | 'installed', find: () => T | undefined, work: () => Promise<T>, log: (line: string) => void, onCleanup: (f: () => void) => () => void }} options
 * @returns {Promise<T>}
 */
export async function underLock({ lock, what, verb, find, work, log, onCleanup }) {
  let holder = takeLock(lock);
  if (holder) {
    log(`${what} is being ${verb} by process ${holder}; waiting for it ...`);
    while (holder && pidAlive(holder)) {
      await new Promise((r) => setTimeout(r, 2000));
      const done = find();
      if (done) return done;
    }
    holder = takeLock(lock);
    if (holder) throw new Error(`${what} is still being ${verb} by process ${holder}`);
  }
  const releaseLock = onCleanup(() => rmSync(lock, { force: true }));
  try {
    return find() ?? (await work());
  } finally {
    rmSync(lock, { force: true });
    releaseLock();
  }
}
