// The backend profile: what one server and model can take, in one record, resolved once per
// session and asked again after a failure. The planner (plan.ts) sizes every request from it, so
// nothing outside src/core/backends needs to know which preset a backend is.

import type { Backend, ServerFacts } from '../types';
import type { AnswerConstraint, WindowDiscovery } from './presets';
import { PRESETS } from './presets';

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
  readonly answerConstraint: AnswerConstraint;
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
    raiseWindow: limits.raiseWindow,
  };
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

  resolve(backend: Backend, signal: AbortSignal): Promise<BackendProfile> {
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
