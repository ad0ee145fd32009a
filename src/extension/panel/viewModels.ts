// Host-side helpers that fill the panel's view models from engine values. They live here, not in
// src/bridge/protocol.ts, because the webview bundle imports that file and never needs them.
import type { BackendError } from '../../core/errors';
import type { Usage } from '../../core/types';
import type { ErrorView, UsageView } from '../../bridge/protocol';
import { editorAdvice } from '../remedies';

/** The panel's card for an engine error: what happened, what to do with its buttons, and the server's own words (redacted). */
export function errorViewOf(error: BackendError): ErrorView {
  const advice = editorAdvice(error.remedies, error.note);
  return {
    kind: error.kind,
    message: error.message,
    ...(advice.text ? { hint: advice.text } : {}),
    ...(error.detail ? { detail: error.detail } : {}),
    actions: advice.actions,
  };
}

/** Engine usage to panel usage: `completionTokens` counts reasoning too, so the answer is the rest. */
export function usageViewFromUsage(usage: Usage): UsageView {
  const reasoningTokens = usage.reasoningTokens ?? 0;
  return {
    promptTokens: usage.promptTokens,
    reasoningTokens,
    answerTokens: Math.max(0, usage.completionTokens - reasoningTokens),
    ...(usage.cachedPromptTokens !== undefined ? { cachedPromptTokens: usage.cachedPromptTokens } : {}),
    ...(usage.costUsd !== undefined ? { costUsd: usage.costUsd } : {}),
    ...(usage.tokensPerSecond !== undefined ? { tokensPerSecond: usage.tokensPerSecond } : {}),
  };
}
