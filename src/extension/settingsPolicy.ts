// Which ThinkLens settings a repository may set. A workspace's .vscode/settings.json comes with the
// code under review, so it must never redirect code, choose what the person's key is billed for,
// change the cost shown, or let model edits apply themselves. Those settings are read from the
// person's own (user) settings only; package.json gives them the `machine` or `application` scope
// so the Settings editor says so too. docs/RELIABILITY.md lists both groups; a unit test checks that
// package.json, this list and the document agree.
//
// No `vscode` import: the policy is tested without an editor.

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
