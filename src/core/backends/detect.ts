// Finds a local server that answers on its default port, preferring one that serves an R1-style
// (thinking) model. Used by the `auto` backend. The listing (models.ts) reads Ollama's native
// `/api/tags` at its root, so Ollama's candidate is its root, the address its backend uses.

import type { BackendId } from '../types';
import { listModels, THINKING_MODEL } from './models';
import { PRESETS } from './presets';

export interface DetectedServer {
  readonly backend: BackendId;
  readonly baseUrl: string;
  /** A thinking model when the server has one, else its first model. */
  readonly model?: string;
  readonly thinkingModel: boolean;
}

export const LOCAL_SERVER_CANDIDATES: readonly { backend: BackendId; baseUrl: string }[] = [
  { backend: 'ollama', baseUrl: 'http://127.0.0.1:11434' },
  { backend: 'lmstudio', baseUrl: 'http://127.0.0.1:1234/v1' },
  { backend: 'llamacpp', baseUrl: 'http://127.0.0.1:8080/v1' },
];

/**
 * What Detect Local Servers and Select Backend probe: the `auto` candidates, plus vLLM and SGLang on
 * their default ports (they serve one model a person chose to start, so `auto` does not pick them).
 */
export const DETECTABLE_SERVERS: readonly { backend: BackendId; baseUrl: string }[] = [
  ...LOCAL_SERVER_CANDIDATES,
  ...(['vllm', 'sglang'] as const).map((backend) => ({ backend, baseUrl: PRESETS[backend].defaultBaseUrl! })),
];

/** Model ids a server lists, or undefined when it does not answer with a list. */
async function modelsAt(baseUrl: string, timeoutMs: number, signal?: AbortSignal): Promise<string[] | undefined> {
  const listing = await listModels(baseUrl, { timeoutMs, ...(signal ? { signal } : {}) });
  return listing.ok ? [...listing.models] : undefined;
}

/** Every candidate that answers, in list order, with the models it lists. */
export async function detectLocalServers(
  candidates: readonly { backend: BackendId; baseUrl: string }[] = LOCAL_SERVER_CANDIDATES,
  timeoutMs = 700,
  signal?: AbortSignal,
): Promise<{ backend: BackendId; baseUrl: string; models: string[] }[]> {
  const answers = await Promise.all(candidates.map((c) => modelsAt(c.baseUrl, timeoutMs, signal)));
  return candidates.flatMap((c, i) => (answers[i] ? [{ ...c, models: answers[i]! }] : []));
}

/** Probes the candidates at once; the first (in list order) that answers wins, thinking models first. */
export async function detectLocalServer(
  candidates: readonly { backend: BackendId; baseUrl: string }[] = LOCAL_SERVER_CANDIDATES,
  timeoutMs = 700,
  signal?: AbortSignal,
): Promise<DetectedServer | undefined> {
  const found = (await detectLocalServers(candidates, timeoutMs, signal)).map((s) => ({ candidate: s, models: s.models }));
  const thinking = found.find((f) => f.models.some((m) => THINKING_MODEL.test(m)));
  const chosen = thinking ?? found[0];
  if (!chosen) return undefined;
  const model = chosen.models.find((m) => THINKING_MODEL.test(m)) ?? chosen.models[0];
  return { backend: chosen.candidate.backend, baseUrl: chosen.candidate.baseUrl, model, thinkingModel: thinking !== undefined };
}
