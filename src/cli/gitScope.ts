// What git says changed, for `review --diff <ref>` and `review --staged`: each changed file with
// its text and the changed hunks (the lines the review may edit). Git runs as a child process;
// refs and paths are passed as separate arguments, never through a shell.

import { execFile } from 'node:child_process';
import { readFile } from 'node:fs/promises';
import { isAbsolute, join, posix } from 'node:path';
import { changedLineRanges } from '../core/diffHunks';
import type { LineRange } from '../core/types';
import { UsageError } from './args';

export interface ChangedFile {
  /** Absolute path in the working tree. */
  readonly absPath: string;
  /** The text under review: the working tree's (--diff) or the index's (--staged). */
  readonly text: Buffer;
  /** Changed lines of that text; undefined means the whole file is new. */
  readonly ranges?: readonly LineRange[];
}

/** Git's own options first; `-c core.quotePath=false` keeps non-ASCII names readable. */
const GIT_OPTIONS = ['-c', 'core.quotePath=false', '--no-pager'];
const GIT_BUFFER = 256 * 1024 * 1024;

export function git(cwd: string, args: readonly string[], encoding: 'utf8' | 'buffer' = 'utf8'): Promise<string> {
  return new Promise((resolve, reject) => {
    execFile('git', [...GIT_OPTIONS, ...args], { cwd, maxBuffer: GIT_BUFFER, encoding: 'buffer' }, (error, stdout, stderr) => {
      if (error) {
        const reason = (stderr?.toString('utf8') || error.message).trim().split('\n')[0];
        reject(Object.assign(new Error(reason), { code: (error as NodeJS.ErrnoException).code }));
      } else resolve(encoding === 'utf8' ? stdout.toString('utf8') : (stdout as unknown as string));
    });
  });
}

function gitBuffer(cwd: string, args: readonly string[]): Promise<Buffer> {
  return git(cwd, args, 'buffer') as unknown as Promise<Buffer>;
}

/** The repository's top folder, or undefined outside a repository (or without git). */
export async function gitRoot(cwd: string): Promise<string | undefined> {
  try {
    return (await git(cwd, ['rev-parse', '--show-toplevel'])).trim() || undefined;
  } catch {
    return undefined;
  }
}

/** The repository's top and the person's folder relative to it (git's `--show-prefix`, symlinks resolved). */
async function requireRepo(cwd: string, flag: string): Promise<{ root: string; prefix: string }> {
  try {
    const [root, prefix] = (await git(cwd, ['rev-parse', '--show-toplevel', '--show-prefix'])).split('\n');
    if (root) return { root, prefix: prefix ?? '' };
  } catch {
    // not a repository, or no git: said below
  }
  throw new UsageError(`${flag} needs a git repository, and ${cwd} is not inside one (or git is not installed)`);
}

const nul = (text: string) => text.split('\0').filter(Boolean);

/** Where `ref` and HEAD meet, with a clear message for a ref git does not have (a shallow CI clone). */
export async function mergeBase(cwd: string, ref: string): Promise<string> {
  try {
    await git(cwd, ['rev-parse', '--verify', '--quiet', '--end-of-options', `${ref}^{commit}`]);
  } catch {
    throw new UsageError(
      `git does not know "${ref}". In CI, fetch it first (actions/checkout with fetch-depth: 0, or git fetch origin ${ref})`,
    );
  }
  try {
    return (await git(cwd, ['merge-base', '--end-of-options', ref, 'HEAD'])).trim();
  } catch {
    throw new UsageError(`"${ref}" and HEAD have no common ancestor in this clone; fetch more history (fetch-depth: 0) and try again`);
  }
}

/** `--diff <ref>`: changes since the merge-base of ref and HEAD, working tree and untracked files included. */
export async function diffScope(cwd: string, ref: string, pathspecs: readonly string[]): Promise<ChangedFile[]> {
  const { root, prefix } = await requireRepo(cwd, '--diff');
  const base = await mergeBase(cwd, ref);
  const spec = ['--', ...pathspecs.map((p) => fromRoot(prefix, p))];
  // Deleted files have nothing left to review (filter "d" leaves them out).
  const changed = nul(await git(root, ['diff', '--name-only', '-z', '--diff-filter=d', '--no-renames', base, ...spec]));
  const untracked = nul(await git(root, ['ls-files', '--others', '--exclude-standard', '-z', ...spec]));
  const files = await mapLimited(changed, 8, async (name) => {
    const patch = await git(root, ['diff', '-U0', '--no-color', '--no-ext-diff', '--no-renames', base, '--', name]);
    const text = await readFile(join(root, name));
    return withHunks(join(root, name), text, patch);
  });
  const added = await Promise.all(untracked.map(async (name) => ({ absPath: join(root, name), text: await readFile(join(root, name)) })));
  return [...files, ...added];
}

/** `--staged`: the index against HEAD; the text reviewed is the staged one, which is what gets committed. */
export async function stagedScope(cwd: string, pathspecs: readonly string[]): Promise<ChangedFile[]> {
  const { root, prefix } = await requireRepo(cwd, '--staged');
  const spec = ['--', ...pathspecs.map((p) => fromRoot(prefix, p))];
  const changed = nul(await git(root, ['diff', '--cached', '--name-only', '-z', '--diff-filter=d', '--no-renames', ...spec]));
  return mapLimited(changed, 8, async (name) => {
    const patch = await git(root, ['diff', '--cached', '-U0', '--no-color', '--no-ext-diff', '--no-renames', '--', name]);
    const text = await gitBuffer(root, ['show', `:${name}`]);
    return withHunks(join(root, name), text, patch);
  });
}

function withHunks(absPath: string, text: Buffer, patch: string): ChangedFile {
  // A new file's patch is one hunk from line 1: the whole file.
  if (/^new file mode/m.test(patch) || !patch.includes('@@')) return { absPath, text };
  return { absPath, text, ranges: changedLineRanges(patch) };
}

/** A path the person gave relative to their folder, as a pathspec from the repository's top (git's own magic kept). */
function fromRoot(prefix: string, path: string): string {
  if (path.startsWith(':') || isAbsolute(path)) return path;
  return `:(top)${posix.normalize(`${prefix}${path.replace(/\\/g, '/')}`)}`;
}

async function mapLimited<T, R>(items: readonly T[], limit: number, fn: (item: T) => Promise<R>): Promise<R[]> {
  const out: R[] = new Array(items.length);
  let next = 0;
  const worker = async () => {
    while (next < items.length) {
      const i = next++;
      out[i] = await fn(items[i]!);
    }
  };
  await Promise.all(Array.from({ length: Math.min(limit, items.length) }, worker));
  return out;
}
