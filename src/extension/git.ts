// Uncommitted changes from the built-in git extension's API: each changed file with its hunks.

import * as vscode from 'vscode';
import { changedLineRanges } from '../core/diffHunks';
import type { LineRange } from '../core/types';

/** The slice of the git extension's API ThinkLens uses (extensions/git/src/api/git.d.ts). */
interface GitChange {
  readonly uri: vscode.Uri;
  readonly status: number;
}
interface GitRepository {
  readonly rootUri: vscode.Uri;
  readonly state: { readonly workingTreeChanges: readonly GitChange[]; readonly indexChanges: readonly GitChange[]; readonly untrackedChanges?: readonly GitChange[] };
  diffWithHEAD(path: string): Promise<string>;
  status(): Promise<void>;
}
interface GitApi {
  readonly repositories: readonly GitRepository[];
}

/** Git's status codes for deleted files (index and working tree) and untracked files. */
const DELETED = new Set([2, 6]);
const UNTRACKED = 7;

export interface ChangedFile {
  readonly uri: vscode.Uri;
  /** Changed lines of the current file; undefined means the whole file is new. */
  readonly ranges?: readonly LineRange[];
}

export async function uncommittedChanges(): Promise<ChangedFile[]> {
  const extension = vscode.extensions.getExtension<{ getAPI(version: 1): GitApi }>('vscode.git');
  if (!extension) throw new Error('The built-in Git extension is disabled; enable it to review uncommitted changes.');
  const api = (extension.isActive ? extension.exports : await extension.activate()).getAPI(1);
  if (api.repositories.length === 0) throw new Error('No Git repository is open in this workspace.');
  const files: ChangedFile[] = [];
  const seen = new Set<string>();
  for (const repository of api.repositories) {
    await repository.status();
    const { workingTreeChanges, indexChanges, untrackedChanges = [] } = repository.state;
    for (const change of [...indexChanges, ...workingTreeChanges, ...untrackedChanges]) {
      const key = change.uri.toString();
      if (seen.has(key) || DELETED.has(change.status)) continue;
      seen.add(key);
      if (change.status === UNTRACKED) {
        files.push({ uri: change.uri });
        continue;
      }
      const patch = await repository.diffWithHEAD(change.uri.fsPath);
      const ranges = changedLineRanges(patch);
      files.push(patch.includes('@@') ? { uri: change.uri, ranges } : { uri: change.uri });
    }
  }
  return files;
}
