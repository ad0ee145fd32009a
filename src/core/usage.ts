// Usage of several requests of one run (parts, retries, a repair turn, a hand-over) added up.

import type { Usage } from './types';

export function addUsage(total: Usage | undefined, more: Usage | undefined): Usage | undefined {
  if (!more) return total;
  if (!total) return more;
  const sum = (a?: number, b?: number) => (a === undefined && b === undefined ? undefined : (a ?? 0) + (b ?? 0));
  const merged: Usage = {
    promptTokens: total.promptTokens + more.promptTokens,
    completionTokens: total.completionTokens + more.completionTokens,
  };
  const reasoningTokens = sum(total.reasoningTokens, more.reasoningTokens);
  const cachedPromptTokens = sum(total.cachedPromptTokens, more.cachedPromptTokens);
  const costUsd = sum(total.costUsd, more.costUsd);
  return {
    ...merged,
    ...(reasoningTokens !== undefined ? { reasoningTokens } : {}),
    ...(cachedPromptTokens !== undefined ? { cachedPromptTokens } : {}),
    ...(costUsd !== undefined ? { costUsd } : {}),
    ...(more.tokensPerSecond !== undefined ? { tokensPerSecond: more.tokensPerSecond } : {}),
  };
}
