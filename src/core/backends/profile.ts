// The backend profile: what one server and model can take, in one record, resolved once per
// session and asked again after a failure. The planner (plan.ts) sizes every request from it, so
// nothing outside src/core/backends needs to know which preset a backend is.

import type { AnswerConstraint, Backend, ServerFacts, WireObservation } from '../types';
import type { WindowDiscovery } from './presets';
import { PRESETS } from './presets';

/**
 * What this session saw one server and model do, as opposed to what its preset hopes. Kept for the
 * session (the extension host, or one CLI invocation), also across failed runs.
 */
export interface ServerObservations {
  /** A separate reasoning field arrived: the server splits the thinking itself. */
  readonly reasoningField?: boolean;
  /** `<think>` arrived inline in content: no reasoning parser runs, so a schema would bind the thinking too. */
  readonly inlineThink?: boolean;
  /** With the constraint on, reasoning arrived (it leaves the thinking free) or none did (it silences it). */
  readonly reasoningWithConstraint?: boolean;
  /** Without a constraint, reasoning arrived; `false`: none did either, so the model does not think there. */
  readonly reasoningWithoutConstraint?: boolean;
}

/** Why the preset's constraint is not sent to this server this session. */
export type DroppedConstraint = 'silenced-thinking' | 'inline-think';

export interface BackendProfile {
  readonly backendId: Backend['id'];
  /** How people call the server, for messages ("llama.cpp server"). */
  readonly label: string;
  readonly model: string;
  /** The origin the code goes to (`https://api.deepseek.com`), undefined in process. */
  readonly endpoint?: string;
  readonly hosted: boolean;
  /**
   * Tokens one request may use, prompt and output together. With `windowPerRequest` this is the
   * most the model takes, and the plan asks for what it needs.
   */
  readonly contextWindow: number;
  /** Where the window came from (`/props`, `known`, `assumed`), for messages and the log. */
  readonly windowSource: string;
  /** The server said nothing: the window is the preset's cautious guess. */
  readonly windowAssumed: boolean;
  /** Why it was assumed, as the start of a sentence ("LM Studio did not report m's context window"). */
  readonly windowAssumedBecause?: string;
  readonly windowPerRequest: boolean;
  /** The most one answer may be, thinking included, when the server caps it. */
  readonly maxOutputTokens?: number;
  /** The model thinks before answering (assumed for R1-style presets unless the server says not). */
  readonly thinks: boolean;
  /** `per-request`: `reasoningEffort: 'none'` turns thinking off; `server`: only the server's start-up flags do. */
  readonly thinkingSwitch: 'per-request' | 'server';
  /** The constraint requests carry: the preset's, unless this session saw it silence the thinking. */
  readonly answerConstraint: AnswerConstraint;
  /** Set when the preset's constraint was dropped for what the server showed. */
  readonly constraintDropped?: DroppedConstraint;
  readonly observed: ServerObservations;
  /** What a person changes on the server so a constraint leaves the thinking free. */
  readonly freeThinking?: string;
  /** What a person does to get a larger window. */
  readonly raiseWindow: string;
}

/** The profile from what the preset knows and what the server said. */
export function profileOf(backend: Backend, facts: ServerFacts): BackendProfile {
  const preset = PRESETS[backend.id];
  const { limits } = preset;
  const window = limits.windowPerRequest ? (facts.maxContextWindow ?? facts.contextWindow) : facts.contextWindow;
  return {
    backendId: backend.id,
    label: preset.label,
    model: backend.model,
    ...(backend.endpoint ? { endpoint: originOf(backend.endpoint) } : {}),
    hosted: backend.hosted,
    contextWindow: window ?? limits.assumedWindow,
    windowSource: window !== undefined ? facts.source : 'assumed',
    windowAssumed: window === undefined,
    ...(window === undefined ? { windowAssumedBecause: assumedBecause(preset.label, backend.model, limits.discovery) } : {}),
    windowPerRequest: limits.windowPerRequest && window !== undefined,
    ...((facts.maxOutputTokens ?? limits.maxOutputTokens) ? { maxOutputTokens: facts.maxOutputTokens ?? limits.maxOutputTokens } : {}),
    thinks: facts.thinks ?? true,
    thinkingSwitch: limits.thinkingSwitch,
    answerConstraint: limits.answerConstraint,
    observed: {},
    ...(limits.freeThinking ? { freeThinking: limits.freeThinking } : {}),
    raiseWindow: limits.raiseWindow,
  };
}

/** The profile with what the session saw: a constraint that silences the thinking is no longer sent. */
export function withObservations(profile: BackendProfile, observed: ServerObservations | undefined): BackendProfile {
  if (!observed) return profile;
  const dropped = droppedFor(profile.answerConstraint, observed);
  return { ...profile, observed, ...(dropped ? { answerConstraint: 'none' as const, constraintDropped: dropped } : {}) };
}

function droppedFor(constraint: AnswerConstraint, observed: ServerObservations): DroppedConstraint | undefined {
  // The in-process grammar is ours and applies only after the thought: nothing to drop.
  if (constraint === 'none' || constraint === 'grammar') return undefined;
  // No reasoning without the constraint either: the model does not think, and the constraint is not to blame.
  if (observed.reasoningWithConstraint === false && observed.reasoningWithoutConstraint !== false) return 'silenced-thinking';
  // A server that sends the thinking inline runs no reasoning parser: its schema would bind from the first token.
  if (observed.inlineThink && constraint === 'json-schema') return 'inline-think';
  return undefined;
}

/** What the person is told about a dropped constraint, and what to change on the server. */
export function droppedConstraintNote(profile: BackendProfile): string | undefined {
  if (!profile.constraintDropped) return undefined;
  const what =
    profile.constraintDropped === 'silenced-thinking'
      ? `${profile.label} sent no reasoning while the answer was constrained to JSON, so the constraint silences ${profile.model}'s thinking there`
      : `${profile.label} sends ${profile.model}'s thinking inline as <think> in the answer, so no reasoning parser runs and a JSON schema would bind the thinking too`;
  const change = profile.freeThinking ?? 'Configure the server to separate the reasoning, so a constraint applies only after it.';
  return `${what}; ThinkLens sends no answer constraint to it this session (the prompt asks for the JSON, and one repair turn asks again if it is missing). ${change}`;
}

function assumedBecause(label: string, model: string, discovery: WindowDiscovery): string {
  // A hosted API that does not report limits: its published table (hostedModels.ts) lacks the model.
  if (discovery === 'known') return `${label} does not report limits and its published table in ThinkLens does not list ${model}`;
  return `${label} did not report ${model}'s context window`;
}

export function originOf(url: string): string {
  try {
    return new URL(url).origin;
  } catch {
    return url;
  }
}

/**
 * Profiles of this session, one per backend, endpoint and model. A run that failed (the server
 * restarted with another window, a model was reloaded) drops its entry so the next run asks again.
 */
export class ProfileCache {
  private readonly entries = new Map<string, Promise<BackendProfile>>();
  /** What the servers showed this session; a failed run does not clear it. */
  private readonly observations = new Map<string, ServerObservations>();

  async resolve(backend: Backend, signal: AbortSignal): Promise<BackendProfile> {
    const profile = await this.described(backend, signal);
    return withObservations(profile, this.observations.get(keyOf(backend)));
  }

  /**
   * Remembers what one exchange showed. `thinkingExpected`: the model thinks and the request did not
   * turn that off, so no reasoning under a constraint means the constraint silenced it.
   */
  observe(backend: Backend, observed: WireObservation, thinkingExpected: boolean): ServerObservations {
    const key = keyOf(backend);
    const before = this.observations.get(key) ?? {};
    const constrained = observed.constraint === 'json-schema' || observed.constraint === 'json-object';
    const next: ServerObservations = {
      ...before,
      ...(observed.reasoning === 'field' ? { reasoningField: true } : {}),
      ...(observed.reasoning === 'inline' ? { inlineThink: true } : {}),
      // Once a constraint silenced the thinking it is not sent again, so `false` stays.
      ...(constrained && thinkingExpected && before.reasoningWithConstraint !== false
        ? { reasoningWithConstraint: observed.reasoning !== 'none' }
        : {}),
      // One unconstrained answer with reasoning shows that the model thinks; `true` stays.
      ...(!constrained && thinkingExpected && before.reasoningWithoutConstraint !== true
        ? { reasoningWithoutConstraint: observed.reasoning !== 'none' }
        : {}),
    };
    this.observations.set(key, next);
    return next;
  }

  private described(backend: Backend, signal: AbortSignal): Promise<BackendProfile> {
    const key = keyOf(backend);
    let entry = this.entries.get(key);
    if (!entry) {
      entry = (
        backend.describe
          ? backend.describe(signal).catch((): ServerFacts => ({ source: 'none' }))
          : Promise.resolve<ServerFacts>({ source: 'none' })
      ).then((facts) => profileOf(backend, facts));
      this.entries.set(key, entry);
      // A describe cut short by a cancelled run says nothing about the server: ask again next time.
      void entry.then((profile) => {
        if (signal.aborted && profile.windowAssumed) this.entries.delete(key);
      });
    }
    return entry;
  }

  invalidate(backend: Backend): void {
    this.entries.delete(keyOf(backend));
  }
}

function keyOf(backend: Backend): string {
  return `${backend.id}\u0000${backend.endpoint ?? ''}\u0000${backend.model}`;
}

/** The session's profiles (the extension host and the CLI are one session each). */
export const sessionProfiles = new ProfileCache();
