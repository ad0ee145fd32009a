// The suite's one way to ThinkLens's internals: activate() hands them out only when VS Code runs
// this suite (ExtensionMode.Test); the extension a person installs exports nothing.
import * as assert from 'node:assert/strict';
import * as vscode from 'vscode';
import type { ThinkLensTestApi } from '../../../src/extension/extension';

export const EXTENSION_ID = 'thinklens.thinklens';

export async function thinkLens(): Promise<ThinkLensTestApi> {
  const api = await vscode.extensions.getExtension<ThinkLensTestApi | undefined>(EXTENSION_ID)!.activate();
  assert.ok(api, 'ThinkLens exported nothing: the suite must run in ExtensionMode.Test (extensionTestsPath)');
  return api;
}

/** Clears every finding without the confirmation a person gets (the command always asks for several files). */
export async function clearAllFindings(): Promise<void> {
  (await thinkLens()).findings.clear();
}
