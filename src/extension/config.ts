// The one typed reader of ThinkLens settings. Settings that decide where code goes are read from
// user (machine) settings only: a repository's .vscode/settings.json must never redirect code or keys.

import * as vscode from 'vscode';
import { USER_ONLY_SETTINGS, userOnlyKeysSetIn } from './settingsPolicy';
import { readSettings, type ThinkLensConfig } from './settingsReader';

export type { BackendSetting, ReasoningDisplay, ThinkLensConfig } from './settingsReader';

const SECTION = 'thinklens';

export function readConfig(): ThinkLensConfig {
  return readSettings(vscode.workspace.getConfiguration(SECTION));
}

/**
 * The user-only settings the open workspace tries to set, which are ignored (worth a warning): those
 * in each folder's .vscode/settings.json and the .code-workspace file (VS Code itself drops them
 * from a workspace, so the files are read), and any a workspace level reports through inspect().
 */
export async function workspaceOverridesIgnored(): Promise<string[]> {
  const found = new Set<string>();
  const s = vscode.workspace.getConfiguration(SECTION);
  for (const key of USER_ONLY_SETTINGS) {
    const inspected = s.inspect(key);
    if (inspected?.workspaceValue !== undefined || inspected?.workspaceFolderValue !== undefined) found.add(`${SECTION}.${key}`);
  }
  const files: [vscode.Uri, 'settings' | undefined][] = (vscode.workspace.workspaceFolders ?? []).map((folder) => [
    vscode.Uri.joinPath(folder.uri, '.vscode', 'settings.json'),
    undefined,
  ]);
  const workspaceFile = vscode.workspace.workspaceFile;
  if (workspaceFile && workspaceFile.scheme !== 'untitled') files.push([workspaceFile, 'settings']);
  for (const [uri, settingsKey] of files) {
    const text = await readText(uri);
    if (text !== undefined) for (const key of userOnlyKeysSetIn(text, settingsKey)) found.add(key);
  }
  return USER_ONLY_SETTINGS.map((key) => `${SECTION}.${key}`).filter((key) => found.has(key));
}

/** A file's text, or undefined when it is not there (most workspaces have no settings file). */
async function readText(uri: vscode.Uri): Promise<string | undefined> {
  try {
    return new TextDecoder().decode(await vscode.workspace.fs.readFile(uri));
  } catch {
    return undefined;
  }
}

/** Calls `listener` with the new config whenever a ThinkLens setting changes. */
export function onConfigChange(listener: (config: ThinkLensConfig, changed: (key: string) => boolean) => void): vscode.Disposable {
  return vscode.workspace.onDidChangeConfiguration((event) => {
    if (!event.affectsConfiguration(SECTION)) return;
    listener(readConfig(), (key) => event.affectsConfiguration(`${SECTION}.${key}`));
  });
}
