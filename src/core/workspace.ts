// The folders an agent's tool call may read: for the MCP server the client's roots when it offers
// them, else the folder the server was started in; in VS Code the workspace folders. Every path is
// checked after symbolic links are resolved, so a link inside that points outside is refused too.

import { realpath } from 'node:fs/promises';
import { dirname, isAbsolute, relative, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

export interface Workspace {
  /** Real paths; relative paths in a call resolve against the first. */
  readonly roots: readonly string[];
  /** Where the roots came from, for messages. */
  readonly source: 'client roots' | 'server folder' | 'workspace folders';
}

/** `file://` roots as real folders; roots of other schemes name nothing on this disk and are ignored. */
export async function workspaceOf(
  rootUris: readonly string[] | undefined,
  serverFolder: string,
  source: Workspace['source'] = 'client roots',
): Promise<Workspace> {
  if (rootUris === undefined) return { roots: [await realOrResolved(serverFolder)], source: 'server folder' };
  const folders = rootUris.filter((uri) => uri.startsWith('file:')).map((uri) => fileURLToPath(uri));
  return { roots: await Promise.all(folders.map(realOrResolved)), source };
}

/** The real path of `path`, or of its nearest existing ancestor with the rest appended (a path that does not exist yet). */
async function realOrResolved(path: string): Promise<string> {
  try {
    return await realpath(path);
  } catch {
    const parent = dirname(path);
    return parent === path ? path : resolve(await realOrResolved(parent), relative(parent, path));
  }
}

export function contains(root: string, path: string): boolean {
  const rel = relative(root, path);
  return rel === '' || (!rel.startsWith('..') && !isAbsolute(rel));
}

/** Undefined when `path` (relative to the first root, symbolic links resolved) is inside a root; else why not, naming `shown`. */
export async function outsideWorkspace(workspace: Workspace, path: string, shown = path): Promise<string | undefined> {
  if (!workspace.roots.length) return `there are no workspace folders (${workspace.source}), so no file can be read`;
  const real = await realOrResolved(resolve(workspace.roots[0]!, path));
  if (workspace.roots.some((root) => contains(root, real))) return undefined;
  return `${shown} is outside the workspace (${workspace.roots.join(', ')}, from the ${workspace.source}); ThinkLens reads only files inside it`;
}
