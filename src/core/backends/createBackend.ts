// Turns settings into a backend: resolves the preset, base URL, model and API key, and refuses at
// once (a `setup` error with what to do) when a required key or base URL is missing. Ollama goes
// through its native API (ollama.ts); every other server through the OpenAI-compatible backend.
// Nothing heavy loads here: the `openai` SDK and the `ollama` client load on the first request,
// and the local backend (node-llama-cpp) is imported on its first `stream()` call, so this stays
// synchronous and cheap for activation.

import type { Backend, BackendConfig, BackendRequest, LocalModelOptions, ReasoningEvent } from '../types';
import type { ThinkingSteer } from '../thinking';
import { BackendError, toBackendError } from '../errors';
import { apiKeyEnvNames, PRESETS } from './presets';
import type { OpenAiBackendOptions } from './openaiCompatible';
import { createOpenAiBackend } from './openaiCompatible';
import { createOllamaBackend, ollamaRoot } from './ollama';

/** Options that are not settings of one backend. */
export interface CreateBackendOptions {
  readonly inlineStart?: OpenAiBackendOptions['inlineStart'];
  /** The price table (e.g. `mergePriceTable(settings.pricing).table`); default DEFAULT_PRICES. */
  readonly prices?: OpenAiBackendOptions['prices'];
}

export function createBackend(config: BackendConfig, env: NodeJS.ProcessEnv = process.env, options: CreateBackendOptions = {}): Backend {
  const preset = PRESETS[config.backend];
  if (!preset) {
    throw new BackendError('setup', `Unknown backend "${String(config.backend)}".`, [{ kind: 'choose-backend' }]);
  }
  if (preset.id === 'local') return createLazyLocalBackend(config);

  const baseUrl = (nonEmpty(config.baseUrl) ?? preset.defaultBaseUrl)?.replace(/\/+$/, '');
  if (!baseUrl) {
    throw new BackendError('setup', `The ${preset.label} backend needs a base URL.`, [
      { kind: 'set-option', option: 'baseUrl', to: 'the server’s API root, for example http://127.0.0.1:8000/v1' },
    ]);
  }
  let url: URL;
  try {
    url = new URL(baseUrl);
  } catch {
    throw new BackendError('setup', `The base URL "${baseUrl}" is not a valid URL.`, [
      { kind: 'set-option', option: 'baseUrl', to: 'an http:// or https:// address' },
    ]);
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') {
    throw new BackendError('setup', `The base URL "${baseUrl}" is not an http(s) address.`, [
      { kind: 'set-option', option: 'baseUrl', to: 'an http:// or https:// address' },
    ]);
  }

  const model = nonEmpty(config.model) ?? preset.defaultModel;
  if (!model) {
    throw new BackendError('setup', `The ${preset.label} backend needs a model name.`, [
      { kind: 'set-option', option: 'model', to: 'a model the server serves' },
    ]);
  }

  const apiKey =
    nonEmpty(config.apiKey) ??
    apiKeyEnvNames(preset)
      .map((name) => nonEmpty(env[name]))
      .find((key) => key !== undefined);
  if (preset.requiresApiKey && !apiKey) {
    throw new BackendError('setup', `${preset.label} needs an API key.`, [
      { kind: 'set-key', backend: preset.id },
      { kind: 'choose-backend' },
    ]);
  }

  // Code leaves the machine whenever the server is not on this machine, whatever the preset.
  const hosted = !isLoopbackHost(url.hostname);
  if (preset.id === 'ollama') {
    const ollama = createOllamaBackend({
      preset,
      baseUrl: ollamaRoot(baseUrl),
      model,
      apiKey,
      hosted,
      requestTimeoutSeconds: config.requestTimeoutSeconds,
      idleTimeoutSeconds: config.idleTimeoutSeconds,
      maxRetries: config.maxRetries,
      prices: options.prices,
    });
    // Consent and the profile key on where the code goes.
    return { ...ollama, endpoint: baseUrl };
  }

  return createOpenAiBackend({
    preset,
    baseUrl,
    model,
    apiKey,
    hosted,
    requestTimeoutSeconds: config.requestTimeoutSeconds,
    idleTimeoutSeconds: config.idleTimeoutSeconds,
    maxRetries: config.maxRetries,
    retryRateLimits: config.retryRateLimits,
    inlineStart: options.inlineStart,
    prices: options.prices,
  });
}

interface LocalModule {
  createLocalBackend(options: LocalModelOptions & { seed?: number }): Backend;
}

/** The local backend behind a lazy import: node-llama-cpp loads on the first run, not before. */
function createLazyLocalBackend(config: BackendConfig): Backend {
  const local = config.local;
  if (!local || !nonEmpty(local.modelPath)) {
    throw new BackendError('setup', 'The local backend needs a GGUF model file.', [{ kind: 'get-local-model' }]);
  }
  let loading: Promise<Backend> | undefined;
  const load = (): Promise<Backend> => {
    loading ??= (import('./local') as Promise<LocalModule>)
      .then((module) => module.createLocalBackend({ ...local }))
      .catch((err: unknown) => {
        loading = undefined;
        throw err instanceof BackendError
          ? err
          : new BackendError(
              'setup',
              'Could not load the local model runtime (node-llama-cpp).',
              [{ kind: 'show-log' }, { kind: 'choose-backend' }],
              {
                detail: String(err),
                cause: err,
              },
            );
      });
    return loading;
  };
  return {
    id: 'local',
    model: local.modelPath.split(/[\\/]/).pop() || local.modelPath,
    hosted: false,
    // The window the model is loaded with (the setting; the runtime may load less when memory is short).
    describe: async () => ({
      contextWindow: local.contextSize ?? PRESETS.local.limits.assumedWindow,
      source: 'thinklens.local.contextSize',
    }),
    async *stream(request: BackendRequest, signal: AbortSignal, steer?: ThinkingSteer): AsyncGenerator<ReasoningEvent> {
      const backend = await load();
      try {
        yield* backend.stream(request, signal, steer);
      } catch (err) {
        throw toBackendError(err, { backend: 'local', model: local.modelPath });
      }
    },
    async dispose() {
      const pending = loading;
      loading = undefined;
      const backend = await pending?.catch(() => undefined);
      await backend?.dispose?.();
    },
  };
}

function isLoopbackHost(hostname: string): boolean {
  const host = hostname.replace(/^\[|\]$/g, '').toLowerCase();
  return host === 'localhost' || host.endsWith('.localhost') || host === '::1' || /^127(\.\d{1,3}){3}$/.test(host);
}

function nonEmpty(value: string | undefined): string | undefined {
  const trimmed = value?.trim();
  return trimmed ? trimmed : undefined;
}
