// The one typed reader of ThinkLens settings. Settings that decide where code goes are read from
// user (machine) settings only: a repository's .vscode/settings.json must never redirect code or keys.

import * as vscode from 'vscode';
import type { BackendId, ReasoningEffort } from '../core/types';

export type BackendSetting = BackendId | 'auto';
export type ReasoningDisplay = 'expanded' | 'collapsed' | 'hidden';

export interface ThinkLensConfig {
  readonly backend: BackendSetting;
  readonly baseUrl?: string;
  readonly model?: string;
  readonly reasoningEffort: ReasoningEffort;
  readonly temperature: number;
  readonly topP: number;
  readonly seed?: number;
  readonly maxTokens: number;
  readonly requestTimeoutSeconds: number;
  readonly local: {
    readonly modelPath?: string;
    readonly modelUri?: string;
    readonly gpu: 'auto' | 'cpu' | 'cuda' | 'vulkan' | 'metal';
    readonly threads?: number;
    readonly contextSize: number;
  };
  readonly reasoningDisplay: ReasoningDisplay;
  readonly maxConcurrency: number;
  readonly pricing: Record<string, unknown>;
}

const SECTION = 'thinklens';

/** Keys whose value redirects code: only the user's own (global) value counts. */
const USER_ONLY_KEYS = ['backend', 'baseUrl', 'local.modelPath', 'local.modelUri'] as const;

function userOnly<T>(settings: vscode.WorkspaceConfiguration, key: string): T | undefined {
  const inspected = settings.inspect<T>(key);
  return inspected?.globalValue ?? inspected?.defaultValue;
}

const nonEmpty = (value: string | undefined): string | undefined => (value && value.trim() ? value.trim() : undefined);

export function readConfig(): ThinkLensConfig {
  const s = vscode.workspace.getConfiguration(SECTION);
  const threads = s.get<number>('local.threads', 0);
  const seed = s.get<number | null>('seed', null);
  return {
    backend: userOnly<BackendSetting>(s, 'backend') ?? 'auto',
    baseUrl: nonEmpty(userOnly<string>(s, 'baseUrl')),
    model: nonEmpty(s.get<string>('model')),
    reasoningEffort: s.get<ReasoningEffort>('reasoningEffort', 'high'),
    temperature: s.get<number>('temperature', 0.6),
    topP: s.get<number>('topP', 0.95),
    seed: typeof seed === 'number' ? seed : undefined,
    maxTokens: s.get<number>('maxTokens', 32768),
    requestTimeoutSeconds: s.get<number>('requestTimeoutSeconds', 60),
    local: {
      modelPath: nonEmpty(userOnly<string>(s, 'local.modelPath')),
      modelUri: nonEmpty(userOnly<string>(s, 'local.modelUri')),
      gpu: userOnly<ThinkLensConfig['local']['gpu']>(s, 'local.gpu') ?? 'auto',
      threads: threads > 0 ? threads : undefined,
      contextSize: s.get<number>('local.contextSize', 8192),
    },
    reasoningDisplay: s.get<ReasoningDisplay>('reasoning.display', 'expanded'),
    maxConcurrency: Math.max(1, s.get<number>('review.maxConcurrency', 2)),
    pricing: s.get<Record<string, unknown>>('pricing', {}),
  };
}

/** True when a workspace tried to set a key that only user settings may set (worth a warning). */
export function workspaceOverridesIgnored(): string[] {
  const s = vscode.workspace.getConfiguration(SECTION);
  return USER_ONLY_KEYS.filter((key) => {
    const inspected = s.inspect(key);
    return inspected?.workspaceValue !== undefined || inspected?.workspaceFolderValue !== undefined;
  }).map((key) => `${SECTION}.${key}`);
}

/** Calls `listener` with the new config whenever a ThinkLens setting changes. */
export function onConfigChange(listener: (config: ThinkLensConfig, changed: (key: string) => boolean) => void): vscode.Disposable {
  return vscode.workspace.onDidChangeConfiguration((event) => {
    if (!event.affectsConfiguration(SECTION)) return;
    listener(readConfig(), (key) => event.affectsConfiguration(`${SECTION}.${key}`));
  });
}
