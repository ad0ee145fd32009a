// What one CLI invocation reviews: the files (named, found by a walk or a glob, or changed in git),
// each with the lines the model may edit, what was skipped and why, and this job's shard of it.

import { createHash } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import { isAbsolute, relative } from 'node:path';
import { unreviewableReason } from '../core/inputLimits';
import type { LineRange } from '../core/types';
import { UsageError, type CliRequest, type Shard } from './args';
import { classify, expandPaths, IgnoreRules, toPosix, type Skipped } from './files';
import { diffScope, stagedScope, type ChangedFile } from './gitScope';

export interface ReviewInput {
  /** Shown in output: as written for a named file, else relative to the current folder. */
  readonly file: string;
  readonly absPath: string;
  /** Relative to the source root, `/`-separated: what shards and baselines go by. */
  readonly rootPath: string;
  readonly text: string;
  /** A range the person gave (`path:10-40`). */
  readonly range?: LineRange;
  /** A review of changes: the changed hunks (undefined hunks: a new file, all of it changed). */
  readonly changes?: { readonly hunks?: readonly LineRange[] };
}

export interface Inputs {
  readonly files: ReviewInput[];
  readonly skipped: Skipped[];
  /** Files in the scope before sharding. */
  readonly total: number;
}

export async function collectInputs(request: CliRequest, cwd: string, srcRoot: string): Promise<Inputs> {
  const rootPath = (absPath: string) => {
    const rel = relative(srcRoot, absPath);
    return toPosix(rel.startsWith('..') || isAbsolute(rel) ? absPath : rel);
  };
  let files: ReviewInput[] = [];
  const skipped: Skipped[] = [];
  if (request.scope.kind === 'paths') {
    // Ranged targets are files by definition; the rest may be folders or globs.
    const ranged = new Map(request.targets.filter((t) => t.range).map((t) => [t.path, t.range!]));
    const expansion = await expandPaths(
      cwd,
      request.targets.map((t) => t.path),
    );
    skipped.push(...expansion.skipped);
    for (const found of expansion.files) {
      const range = ranged.get(found.display);
      const text = await readText(found.absPath, found.display, range);
      files.push({ file: found.display, absPath: found.absPath, rootPath: rootPath(found.absPath), text, ...(range ? { range } : {}) });
    }
  } else {
    const pathspecs = request.targets.map((t) => t.path);
    const changed: ChangedFile[] =
      request.scope.kind === 'diff' ? await diffScope(cwd, request.scope.ref, pathspecs) : await stagedScope(cwd, pathspecs);
    const rules = new IgnoreRules();
    for (const change of changed) {
      const display = toPosix(relative(cwd, change.absPath));
      const reason = await classify(change.absPath, rules, change.text);
      if (reason) {
        skipped.push({ path: display, ...reason });
        continue;
      }
      files.push({
        file: display,
        absPath: change.absPath,
        rootPath: rootPath(change.absPath),
        text: change.text.toString('utf8'),
        changes: { hunks: change.ranges },
      });
    }
  }
  const total = files.length;
  if (request.shard) files = files.filter((f) => inShard(f.rootPath, request.shard!));
  return { files, skipped, total };
}

/**
 * Which shard a file belongs to: a hash of its path from the repository's top, so every job
 * agrees without talking to the others and a file stays in its shard as others come and go
 * (its code-scanning category stays the same).
 */
export function inShard(rootPath: string, shard: Shard): boolean {
  return createHash('sha256').update(rootPath).digest().readUInt32BE(0) % shard.count === shard.index - 1;
}

/**
 * A named file's text; a binary one, or one whose part to review (the `range`, else the whole file)
 * is over the size limit or past its end, is refused with the numbers (exit 2).
 */
async function readText(absPath: string, display: string, range: LineRange | undefined): Promise<string> {
  let bytes: Buffer;
  try {
    bytes = await readFile(absPath);
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    throw new UsageError(code === 'ENOENT' ? `no such file: ${display}` : `cannot read ${display}: ${code ?? String(error)}`);
  }
  const refused = unreviewableReason(display, bytes, range);
  if (refused) throw new UsageError(refused);
  return bytes.toString('utf8');
}
