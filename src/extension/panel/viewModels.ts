// Host-side helpers that fill the panel's view models from engine values. They live here, not in
// src/bridge/protocol.ts, because the webview bundle imports that file and never needs them.
import { BACKEND_IDS, type BackendId, type Usage } from '../../core/types';
import type { ErrorAction, UsageView } from '../../bridge/protocol';
import { COMMAND } from '../../bridge/commandIds';

const isBackendId = (x: unknown): x is BackendId => (BACKEND_IDS as readonly unknown[]).includes(x);

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

/** The buttons that fix each kind of failure (all from the allow-list). */
export function defaultErrorActions(kind: string, backend?: string): ErrorAction[] {
  const local = backend === 'local';
  const failing = isBackendId(backend) ? { backend } : {};
  switch (kind) {
    case 'auth':
    case 'out-of-balance':
      return [
        { label: 'Set API key', command: COMMAND.setApiKey, ...failing },
        { label: 'Switch backend', command: COMMAND.selectBackend },
      ];
    case 'model-not-found':
      return local
        ? [
            { label: 'Download model', command: COMMAND.downloadModel },
            { label: 'Pick model', command: COMMAND.selectBackend },
          ]
        : [{ label: 'Pick model', command: COMMAND.selectBackend }];
    case 'network':
      return [
        { label: 'Try again', command: 'rerun' },
        { label: 'Switch backend', command: COMMAND.selectBackend },
        { label: 'Show log', command: COMMAND.showLog },
      ];
    case 'rate-limit':
    case 'timeout':
    case 'server':
      return [
        { label: 'Try again', command: 'rerun' },
        { label: 'Show log', command: COMMAND.showLog },
      ];
    case 'setup':
      return local
        ? [
            { label: 'Download model', command: COMMAND.downloadModel },
            { label: 'Select backend', command: COMMAND.selectBackend },
          ]
        : [
            { label: 'Select backend', command: COMMAND.selectBackend },
            { label: 'Set API key', command: COMMAND.setApiKey },
          ];
    case 'cancelled':
      return [{ label: 'Run again', command: 'rerun' }];
    default:
      return [
        { label: 'Try again', command: 'rerun' },
        { label: 'Show log', command: COMMAND.showLog },
      ];
  }
}
