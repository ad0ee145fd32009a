// The one typed reader of ThinkLens settings. Settings that decide where code goes are read from
// user (machine) settings only: a repository's .vscode/settings.json must never redirect code or keys.

import * as vscode from 'vscode';
import { CONFIDENCES_ASCENDING, SEVERITIES } from '../core/contract';
import { FOCUS_AREAS, type BackendId, type Confidence, type Focus, type ReasoningEffort, type Severity } from '../core/types';
import { DEFAULT_DEADLINE_SECONDS } from '../core/deadline';
import { MAX_SAMPLES } from '../core/samples';
import type { FindingFilter } from '../core/triage';
import { timerSeconds } from '../core/inputLimits';
import { USER_ONLY_SETTINGS, userValue } from './settingsPolicy';

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
  /** The whole run's limit (see runAnalysis). */
  readonly deadlineSeconds: number;
  readonly local: {
    readonly modelPath?: string;
    readonly modelUri?: string;
    readonly gpu: 'auto' | 'cpu' | 'cuda' | 'vulkan' | 'metal';
    readonly threads?: number;
    readonly contextSize: number;
  };
  readonly reasoningDisplay: ReasoningDisplay;
  readonly maxConcurrency: number;
  /** Independent samples of each review, matched by fingerprint (1: no voting). User or Remote settings, never a workspace. */
  readonly samples: number;
  /** Which findings are shown at all (the same filter as the CLI's --min-severity, --min-confidence, --focus). */
  readonly filter: FindingFilter;
  readonly pricing: Record<string, unknown>;
}

const SECTION = 'thinklens';

/** Keys a repository must not set (see settingsPolicy.ts): only the user's own (global) value counts. */
function userOnly<T>(settings: vscode.WorkspaceConfiguration, key: (typeof USER_ONLY_SETTINGS)[number]): T | undefined {
  return userValue(settings.inspect<T>(key));
}

/** A number setting, or `fallback` when it is not a finite number. */
function numberOr(value: unknown, fallback: number): number {
  return typeof value === 'number' && Number.isFinite(value) ? value : fallback;
}

const oneOf = <T extends string>(value: unknown, allowed: readonly T[]): T | undefined =>
  (allowed as readonly unknown[]).includes(value) ? (value as T) : undefined;
const listOf = <T extends string>(value: unknown, allowed: readonly T[]): T[] =>
  Array.isArray(value) ? [...new Set(value.filter((v): v is T => (allowed as readonly unknown[]).includes(v)))] : [];

const nonEmpty = (value: string | undefined): string | undefined => (value && value.trim() ? value.trim() : undefined);

export function readConfig(): ThinkLensConfig {
  const s = vscode.workspace.getConfiguration(SECTION);
  const threads = userOnly<number>(s, 'local.threads') ?? 0;
  const seed = s.get<number | null>('seed', null);
  return {
    backend: userOnly<BackendSetting>(s, 'backend') ?? 'auto',
    baseUrl: nonEmpty(userOnly<string>(s, 'baseUrl')),
    model: nonEmpty(userOnly<string>(s, 'model')),
    reasoningEffort: userOnly<ReasoningEffort>(s, 'reasoningEffort') ?? 'high',
    temperature: s.get<number>('temperature', 0.6),
    topP: s.get<number>('topP', 0.95),
    seed: typeof seed === 'number' ? seed : undefined,
    maxTokens: Math.max(256, Math.floor(numberOr(userOnly<number>(s, 'maxTokens'), 32768))),
    // Past 2^31 ms a Node timer fires at once: bounded here, like the CLI's flags.
    requestTimeoutSeconds: timerSeconds(s.get<number>('requestTimeoutSeconds'), 60),
    deadlineSeconds: timerSeconds(s.get<number>('deadlineSeconds'), DEFAULT_DEADLINE_SECONDS),
    local: {
      modelPath: nonEmpty(userOnly<string>(s, 'local.modelPath')),
      modelUri: nonEmpty(userOnly<string>(s, 'local.modelUri')),
      gpu: userOnly<ThinkLensConfig['local']['gpu']>(s, 'local.gpu') ?? 'auto',
      threads: threads > 0 ? threads : undefined,
      contextSize: userOnly<number>(s, 'local.contextSize') ?? 8192,
    },
    reasoningDisplay: s.get<ReasoningDisplay>('reasoning.display', 'expanded'),
    maxConcurrency: Math.min(16, Math.max(1, Math.floor(numberOr(s.get<number>('review.maxConcurrency'), 2)))),
    samples: Math.min(MAX_SAMPLES, Math.max(1, Math.floor(numberOr(userOnly<number>(s, 'review.samples'), 1)))),
    filter: {
      minSeverity: oneOf<Severity>(s.get('review.minSeverity'), SEVERITIES),
      minConfidence: oneOf<Confidence>(s.get('review.minConfidence'), CONFIDENCES_ASCENDING),
      focus: listOf<Focus>(s.get('review.focus'), FOCUS_AREAS),
    },
    pricing: userOnly<Record<string, unknown>>(s, 'pricing') ?? {},
  };
}

/** True when a workspace tried to set a key that only user settings may set (worth a warning). */
export function workspaceOverridesIgnored(): string[] {
  const s = vscode.workspace.getConfiguration(SECTION);
  return USER_ONLY_SETTINGS.filter((key) => {
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
