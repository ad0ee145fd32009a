// How numbers read in the panel.
import type { UsageView } from '../bridge/protocol';

const integer = new Intl.NumberFormat('en-US');

export function formatCount(n: number): string {
  return integer.format(Math.round(n));
}

export function formatDuration(ms: number): string {
  const seconds = Math.max(0, Math.floor(ms / 1000));
  if (seconds < 60) return `${seconds}s`;
  const minutes = Math.floor(seconds / 60);
  return `${minutes}m ${String(seconds % 60).padStart(2, '0')}s`;
}

export function formatCost(usd: number): string {
  if (usd === 0) return '$0';
  return usd < 0.01 ? `$${usd.toFixed(4)}` : `$${usd.toFixed(2)}`;
}

export function formatUsage(usage: UsageView): string {
  const parts = [
    `${formatCount(usage.promptTokens)} in` + (usage.cachedPromptTokens ? ` (${formatCount(usage.cachedPromptTokens)} cached)` : ''),
    `${formatCount(usage.reasoningTokens)} reasoning`,
    `${formatCount(usage.answerTokens)} answer`,
  ];
  if (usage.tokensPerSecond !== undefined) parts.push(`${usage.tokensPerSecond.toFixed(1)} tokens/s`);
  if (usage.costUsd !== undefined) parts.push(formatCost(usage.costUsd));
  return parts.join(' · ');
}

export function formatTime(epochMs: number, now = Date.now()): string {
  const date = new Date(epochMs);
  const sameDay = new Date(now).toDateString() === date.toDateString();
  return sameDay
    ? date.toLocaleTimeString(undefined, { hour: '2-digit', minute: '2-digit' })
    : date.toLocaleDateString(undefined, { month: 'short', day: 'numeric' }) +
        ' ' +
        date.toLocaleTimeString(undefined, { hour: '2-digit', minute: '2-digit' });
}
