// Which ThinkLens settings a repository may set. A workspace's .vscode/settings.json comes with the
// code under review, so it must never redirect code, choose what the person's key is billed for,
// change the cost shown, or let model edits apply themselves. Those settings are read from the
// person's own (user) settings only; package.json gives them the `machine` or `application` scope
// so the Settings editor says so too. docs/RELIABILITY.md lists both groups; a unit test checks that
// package.json, this list and the document agree.
//
// No `vscode` import: the policy is tested without an editor.

import { parse } from 'jsonc-parser';

/** Read from user settings only (inspect().globalValue); a workspace value is ignored and reported. */
export const USER_ONLY_SETTINGS = [
  'backend', // where code goes
  'baseUrl', // where code goes
  'model', // what the key is billed for
  'pricing', // the cost the person sees
  'maxTokens', // how much one run may spend
  'reasoningEffort', // how much one run may spend
  'thinkingBudget', // how much one run may spend
  'review.samples', // N samples cost N times one review
  'fixAll.enabled', // whether model edits apply without a look (source.fixAll, on save)
  'local.modelPath', // which file is loaded and run
  'local.modelUri', // what is downloaded
  'local.gpu', // this machine's hardware
  'local.threads',
  'local.contextSize',
] as const;

/** What a repository may set: how the panel looks, sampling, parallelism, time limits, and which findings show. */
export const WORKSPACE_SETTINGS = [
  'temperature',
  'topP',
  'seed',
  'requestTimeoutSeconds',
  'deadlineSeconds',
  'reasoning.display',
  'review.maxConcurrency',
  'review.minSeverity',
  'review.minConfidence',
  'review.focus',
] as const;

export interface Inspected<T> {
  readonly defaultValue?: T;
  readonly globalValue?: T;
  readonly workspaceValue?: T;
  readonly workspaceFolderValue?: T;
}

/** The person's own value, else the default; whatever a workspace says is not looked at. */
export function userValue<T>(inspected: Inspected<T> | undefined): T | undefined {
  return inspected?.globalValue ?? inspected?.defaultValue;
}

/**
 * `source.fixAll.thinklens` (run by hand or by `editor.codeActionsOnSave`) applies model fixes
 * without a look: only when the person turned it on in their user settings.
 */
export function fixAllEnabled(inspected: Inspected<boolean> | undefined): boolean {
  return inspected?.globalValue === true;
}

/**
 * The user-only settings (`thinklens.…`) a workspace settings file sets, dotted (`"thinklens.model"`)
 * or nested (`"thinklens": { "model": … }`). VS Code drops these from a workspace before any API
 * sees them (their machine/application scope), so reading the file is how ThinkLens can say in its
 * log what a repository tried. `settingsKey` is `settings` for a .code-workspace file.
 */
export function userOnlyKeysSetIn(fileText: string, settingsKey?: 'settings'): string[] {
  const parsed: unknown = parse(fileText, [], { allowTrailingComma: true, disallowComments: false });
  const root = settingsKey && isObject(parsed) ? parsed[settingsKey] : parsed;
  if (!isObject(root)) return [];
  const nested = isObject(root.thinklens) ? root.thinklens : {};
  const isSet = (key: string) => Object.hasOwn(root, `thinklens.${key}`) || hasPath(nested, key.split('.'));
  return USER_ONLY_SETTINGS.filter(isSet).map((key) => `thinklens.${key}`);
}

function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/** Whether `object` holds `path`, each step as one dotted key or as nested objects. */
function hasPath(object: Record<string, unknown>, path: readonly string[]): boolean {
  if (path.length === 0) return true;
  if (Object.hasOwn(object, path.join('.'))) return true;
  const [head, ...rest] = path;
  const next = object[head!];
  return Object.hasOwn(object, head!) && (rest.length === 0 || (isObject(next) && hasPath(next, rest)));
}
