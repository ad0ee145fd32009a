// Changes to review, from the built-in git extension's API: uncommitted, staged, unstaged, the
// branch against its merge-base, or one commit. Each changed file comes with its hunks; a file
// whose reviewed text is not the working tree's (the index, a past commit) is opened read-only
// through the git extension's `git:` documents.

import * as vscode from 'vscode';
import { changedLineRanges } from '../core/diffHunks';
import type { LineRange } from '../core/types';

/** The slice of the git extension's API ThinkLens uses (extensions/git/src/api/git.d.ts). */
interface GitChange {
  readonly uri: vscode.Uri;
  readonly originalUri?: vscode.Uri;
  readonly status: number;
}
interface GitBranch {
  readonly name?: string;
  readonly commit?: string;
  readonly upstream?: { readonly remote: string; readonly name: string };
}
interface GitCommit {
  readonly hash: string;
  readonly message: string;
  readonly parents: readonly string[];
}
interface GitRepository {
  readonly rootUri: vscode.Uri;
  readonly state: {
    readonly HEAD?: GitBranch;
    readonly workingTreeChanges: readonly GitChange[];
    readonly indexChanges: readonly GitChange[];
    readonly untrackedChanges?: readonly GitChange[];
  };
  diffWithHEAD(path: string): Promise<string>;
  diffIndexWithHEAD(path: string): Promise<string>;
  diffWith(ref: string): Promise<GitChange[]>;
  diffWith(ref: string, path: string): Promise<string>;
  diffBetween(ref1: string, ref2: string): Promise<GitChange[]>;
  diffBetween(ref1: string, ref2: string, path: string): Promise<string>;
  diff(cached?: boolean): Promise<string>;
  getMergeBase(ref1: string, ref2: string): Promise<string | undefined>;
  log(options?: { maxEntries?: number }): Promise<GitCommit[]>;
  getCommit(ref: string): Promise<GitCommit>;
  status(): Promise<void>;
}
interface GitApi {
  readonly repositories: readonly GitRepository[];
  toGitUri(uri: vscode.Uri, ref: string): vscode.Uri;
}

/** Git's status codes for deleted files (index and working tree) and untracked files. */
const DELETED = new Set([2, 6]);
const UNTRACKED = 7;
/** Git's empty tree: what a root commit is compared with. */
const EMPTY_TREE = '4b825dc642cb6eb9a060e54bf8d69288fbee4904';

export interface ChangedFile {
  /** The document to review: the working-tree file, or a read-only `git:` document. */
  readonly uri: vscode.Uri;
  /** Changed lines of that text; undefined means the whole file is new. */
  readonly ranges?: readonly LineRange[];
}

export type ChangeScope =
  | { readonly kind: 'uncommitted' }
  | { readonly kind: 'staged' }
  | { readonly kind: 'unstaged' }
  | { readonly kind: 'branch' }
  | { readonly kind: 'commit'; readonly ref: string };

export interface Changes {
  readonly files: ChangedFile[];
  /** What was compared, for the person ("main...HEAD", "commit 1a2b3c4"). */
  readonly label: string;
}

async function gitApi(): Promise<GitApi> {
  const extension = vscode.extensions.getExtension<{ getAPI(version: 1): GitApi }>('vscode.git');
  if (!extension) throw new Error('The built-in Git extension is disabled; enable it to review changes.');
  const api = (extension.isActive ? extension.exports : await extension.activate()).getAPI(1);
  if (api.repositories.length === 0) throw new Error('No Git repository is open in this workspace.');
  return api;
}

export async function uncommittedChanges(): Promise<ChangedFile[]> {
  return (await changes({ kind: 'uncommitted' })).files;
}

/** The changed files of `scope` in every open repository (a commit: the repository that has it). */
export async function changes(scope: ChangeScope): Promise<Changes> {
  const api = await gitApi();
  const files: ChangedFile[] = [];
  const labels: string[] = [];
  let problem: unknown;
  for (const repository of api.repositories) {
    await repository.status();
    if (scope.kind === 'commit') {
      const found = await commitChanges(api, repository, scope.ref).catch(() => undefined);
      if (found) return found;
      continue;
    }
    try {
      const found = await repositoryChanges(api, repository, scope);
      files.push(...found.files);
      labels.push(found.label);
    } catch (error) {
      // One repository without a base branch does not stop the others' review.
      problem ??= error;
    }
  }
  if (scope.kind === 'commit') throw new Error(`No open repository has commit ${scope.ref}.`);
  if (labels.length === 0 && problem) throw problem;
  return { files, label: [...new Set(labels)].join(', ') };
}

async function repositoryChanges(
  api: GitApi,
  repository: GitRepository,
  scope: Exclude<ChangeScope, { kind: 'commit' }>,
): Promise<Changes> {
  const { workingTreeChanges, indexChanges, untrackedChanges = [] } = repository.state;
  const untracked = untrackedChanges.length ? untrackedChanges : workingTreeChanges.filter((c) => c.status === UNTRACKED);
  const live = (list: readonly GitChange[]) => unique(list.filter((c) => !DELETED.has(c.status)));
  switch (scope.kind) {
    case 'uncommitted': {
      const files: ChangedFile[] = [];
      for (const change of live([...indexChanges, ...workingTreeChanges, ...untracked])) {
        files.push(
          change.status === UNTRACKED ? { uri: change.uri } : withRanges(change.uri, await repository.diffWithHEAD(change.uri.fsPath)),
        );
      }
      return { files, label: 'uncommitted changes' };
    }
    case 'staged': {
      const unstaged = new Set(workingTreeChanges.map((c) => c.uri.toString()));
      const files: ChangedFile[] = [];
      for (const change of live(indexChanges)) {
        const patch = await repository.diffIndexWithHEAD(change.uri.fsPath);
        // The staged text is what gets committed; it differs from the file when more edits followed.
        const uri = unstaged.has(change.uri.toString()) ? api.toGitUri(change.uri, '') : change.uri;
        files.push(withRanges(uri, patch));
      }
      return { files, label: 'staged changes' };
    }
    case 'unstaged': {
      const patches = splitPatch(await repository.diff(false));
      const files: ChangedFile[] = [];
      for (const change of live(workingTreeChanges.filter((c) => c.status !== UNTRACKED))) {
        const patch = patches.get(relativePath(repository, change.uri));
        files.push(patch ? withRanges(change.uri, patch) : { uri: change.uri });
      }
      for (const change of live(untracked)) files.push({ uri: change.uri });
      return { files, label: 'unstaged changes' };
    }
    case 'branch': {
      const { base, against } = await branchBase(repository);
      const files: ChangedFile[] = [];
      for (const change of live(await repository.diffWith(base))) {
        files.push(withRanges(change.uri, await repository.diffWith(base, change.uri.fsPath)));
      }
      for (const change of live(untracked))
        if (!files.some((f) => f.uri.toString() === change.uri.toString())) files.push({ uri: change.uri });
      return { files, label: `${repository.state.HEAD?.name ?? 'HEAD'} against ${against} (merge-base ${base.slice(0, 7)})` };
    }
  }
}

/**
 * The branch's merge-base: with the default branch (origin's, then a local main or master) when
 * this is another branch; on the default branch itself, with its upstream (what is not pushed yet).
 */
async function branchBase(repository: GitRepository): Promise<{ base: string; against: string }> {
  const head = repository.state.HEAD;
  for (const candidate of ['origin/main', 'origin/master', 'main', 'master']) {
    if (candidate === head?.name) continue;
    const base = await repository.getMergeBase('HEAD', candidate).catch(() => undefined);
    // A default branch that HEAD is not ahead of says nothing; the upstream may.
    if (base && base !== head?.commit) return { base, against: candidate };
  }
  if (head?.upstream) {
    const upstream = `${head.upstream.remote}/${head.upstream.name}`;
    const base = await repository.getMergeBase('HEAD', upstream).catch(() => undefined);
    if (base) return { base, against: upstream };
  }
  throw new Error(
    `Found no default branch (main or master, local or on origin) or upstream that ${head?.name ?? 'HEAD'} has moved on from.`,
  );
}

async function commitChanges(api: GitApi, repository: GitRepository, ref: string): Promise<Changes> {
  const commit = await repository.getCommit(ref);
  const hash = commit.hash;
  const parent = commit.parents[0] ?? EMPTY_TREE;
  const files: ChangedFile[] = [];
  for (const change of unique((await repository.diffBetween(parent, hash)).filter((c) => !DELETED.has(c.status)))) {
    const patch = await repository.diffBetween(parent, hash, change.uri.fsPath);
    files.push(withRanges(api.toGitUri(change.uri, hash), patch));
  }
  const subject = commit.message.split('\n')[0];
  return { files, label: `commit ${hash.slice(0, 7)}${subject ? ` "${subject}"` : ''}` };
}

/**
 * The working-tree file behind a git extension's `git:` document (the staged text, a commit's), whose
 * query holds the file's path (extensions/git/src/uri.ts `toGitUri`); undefined for any other URI.
 */
export function workingTreeUri(uri: vscode.Uri): vscode.Uri | undefined {
  if (uri.scheme !== 'git') return undefined;
  try {
    const { path } = JSON.parse(uri.query) as { path?: unknown };
    return typeof path === 'string' && path ? vscode.Uri.file(path) : undefined;
  } catch {
    return undefined;
  }
}

/** A file as a person knows it: its workspace-relative path, for a `git:` copy too. */
export function relativePathOf(uri: vscode.Uri): string {
  return vscode.workspace.asRelativePath(workingTreeUri(uri) ?? uri);
}

/** Recent commits of the first repository, for a picker. */
export async function recentCommits(max = 30): Promise<GitCommit[]> {
  const [repository] = (await gitApi()).repositories;
  return repository ? repository.log({ maxEntries: max }) : [];
}

function withRanges(uri: vscode.Uri, patch: string): ChangedFile {
  if (!patch.includes('@@') || /^new file mode/m.test(patch)) return { uri };
  return { uri, ranges: changedLineRanges(patch) };
}

/** A multi-file `git diff` cut into each file's part, keyed by its path in the repository. */
function splitPatch(patch: string): Map<string, string> {
  const parts = new Map<string, string>();
  for (const part of patch.split(/^(?=diff --git )/m)) {
    const name = /^\+\+\+ b\/(.+)$/m.exec(part)?.[1] ?? /^diff --git a\/.+ b\/(.+)$/m.exec(part)?.[1];
    if (name) parts.set(name.replace(/\t$/, ''), part);
  }
  return parts;
}

function relativePath(repository: GitRepository, uri: vscode.Uri): string {
  const root = repository.rootUri.path.replace(/\/$/, '');
  return uri.path.startsWith(`${root}/`) ? uri.path.slice(root.length + 1) : uri.path;
}

function unique(list: readonly GitChange[]): GitChange[] {
  const seen = new Set<string>();
  return list.filter((c) => !seen.has(c.uri.toString()) && seen.add(c.uri.toString()));
}
