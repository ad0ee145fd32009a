// The `auto` backend: a configured local model, else a local server that answers on its default
// port, else a hosted backend with a key. Shared by the extension and the CLI.

import type { BackendId } from '../types';
import { detectLocalServer, type DetectedServer } from './detect';
import { apiKeyEnvNames, PRESETS } from './presets';

/** The first key set in the environment for `backend`: THINKLENS_API_KEY, then the provider's own. */
export function apiKeyFromEnv(backend: BackendId, env: NodeJS.ProcessEnv): string | undefined {
  return apiKeyEnvNames(PRESETS[backend])
    .map((name) => env[name]?.trim())
    .find(Boolean);
}

export interface AutoChoice {
  readonly backend: BackendId;
  readonly baseUrl?: string;
  readonly model?: string;
  readonly apiKey?: string;
  /** Why this backend was chosen, for the status bar and logs. */
  readonly reason: string;
}

export interface AutoInput {
  readonly localModelPath?: string;
  /** The key for a hosted backend (secret storage, then the environment). */
  readonly keyFor: (backend: BackendId) => Promise<string | undefined> | string | undefined;
  readonly detect?: () => Promise<DetectedServer | undefined>;
}

const HOSTED_IN_ORDER: readonly BackendId[] = ['deepseek', 'openrouter'];

/** Undefined when nothing is set up; the caller shows how to set a backend up. */
export async function chooseAutoBackend(input: AutoInput): Promise<AutoChoice | undefined> {
  if (input.localModelPath) return { backend: 'local', reason: 'a local model is configured' };
  const server = await (input.detect ?? detectLocalServer)();
  if (server) {
    return {
      backend: server.backend,
      baseUrl: server.baseUrl,
      model: server.model,
      reason: `a local server answers at ${server.baseUrl}${server.thinkingModel ? '' : ' (it lists no thinking model)'}`,
    };
  }
  for (const backend of HOSTED_IN_ORDER) {
    const apiKey = await input.keyFor(backend);
    if (apiKey) return { backend, apiKey, reason: `an API key for ${backend} is set` };
  }
  return undefined;
}

/** How to set a backend up, when `auto` found nothing. */
export const SETUP_HINT =
  'No backend is set up: set an API key (DEEPSEEK_API_KEY or OPENROUTER_API_KEY), start a local server (Ollama, LM Studio, llama.cpp), or point at a GGUF model.';
