// Reads ThinkLens's settings into one typed value, from any source that can `get` and `inspect` a
// setting (VS Code's configuration in config.ts; a test's stand-in). No `vscode` import: the
// user-only rule is tested without an editor.

import { CONFIDENCES_ASCENDING, SEVERITIES } from '../core/contract';
import { FOCUS_AREAS, type BackendId, type Confidence, type Focus, type ReasoningEffort, type Severity } from '../core/types';
import { DEFAULT_DEADLINE_SECONDS } from '../core/deadline';
import { MAX_SAMPLES } from '../core/samples';
import type { FindingFilter } from '../core/triage';
import { timerSeconds } from '../core/inputLimits';
import { USER_ONLY_SETTINGS, userValue, type Inspected } from './settingsPolicy';

export type BackendSetting = BackendId | 'auto';
export type ReasoningDisplay = 'expanded' | 'collapsed' | 'hidden';

export interface ThinkLensConfig {
  readonly backend: BackendSetting;
  readonly baseUrl?: string;
  readonly model?: string;
  readonly reasoningEffort: ReasoningEffort;
  /** Reasoning tokens one request may spend before the answer is asked for; 0: no limit. */
  readonly thinkingBudget: number;
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

/**
 * The two reads of a settings section: `vscode.WorkspaceConfiguration` is one. `get` gives the
 * effective value (a workspace value wins over the user's); `inspect` gives each level apart.
 */
export interface SettingsSource {
  get<T>(key: string): T | undefined;
  inspect<T>(key: string): Inspected<T> | undefined;
}

/** Keys a repository must not set (see settingsPolicy.ts): only the user's own (global) value counts. */
function userOnly<T>(settings: SettingsSource, key: (typeof USER_ONLY_SETTINGS)[number]): T | undefined {
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

/**
 * The settings of the `thinklens` section, typed and bounded. Every user-only setting is read by
 * `userOnly` (the person's value, never the workspace's); only the settings a workspace may set go
 * through `get`. test/unit/settingsPolicy.test.ts hands it a source whose `get` answers with a
 * repository's values for every key, so a read that goes back to `get` fails there.
 */
export function readSettings(s: SettingsSource): ThinkLensConfig {
  const threads = userOnly<number>(s, 'local.threads') ?? 0;
  const seed = s.get<number | null>('seed') ?? null;
  return {
    backend: userOnly<BackendSetting>(s, 'backend') ?? 'auto',
    baseUrl: nonEmpty(userOnly<string>(s, 'baseUrl')),
    model: nonEmpty(userOnly<string>(s, 'model')),
    reasoningEffort: userOnly<ReasoningEffort>(s, 'reasoningEffort') ?? 'high',
    thinkingBudget: Math.max(0, Math.floor(numberOr(userOnly<number>(s, 'thinkingBudget'), 0))),
    temperature: s.get<number>('temperature') ?? 0.6,
    topP: s.get<number>('topP') ?? 0.95,
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
    reasoningDisplay: s.get<ReasoningDisplay>('reasoning.display') ?? 'expanded',
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
