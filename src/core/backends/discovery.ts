// Asks an OpenAI-compatible server what window its model has (the `describe()` of those backends).
// Each server says it somewhere else:
//   llama.cpp   GET /props  default_generation_settings.n_ctx (one slot's window). A router (llama-server
//               started without a model, serving several) answers `/props` for itself (`role: "router"`,
//               n_ctx 0) and for a model only with `?model=<id>`, loading it when needed
//               (tools/server/server-models.cpp, get_router_props and proxy_get). Nothing else: `/v1/models`
//               `meta.n_ctx` is the same number where a build lists it, and `meta.n_ctx_train` is what the
//               model was trained with, not the window the server runs it with.
//   vLLM/SGLang GET /v1/models  data[].max_model_len
//   LM Studio   GET /api/v1/models  models[].loaded_instances[].config.context_length (older: /api/v0/models
//               data[].loaded_context_length), max_context_length as the model's maximum
//   OpenRouter  GET /api/v1/models  data[].context_length, top_provider.max_completion_tokens
// A server that says nothing (or is not reachable yet) gives `{ source: 'none' }`: the planner then
// assumes the preset's cautious window. Never throws; a real failure shows on the chat request.

import type { ServerFacts } from '../types';
import { hostedModelLimits } from './hostedModels';
import type { Preset } from './presets';

/** Discovery is a cheap GET; a server that takes longer than this is asked again next run. */
const DISCOVERY_TIMEOUT_MS = 5000;
/**
 * A llama.cpp router loads a model that is not loaded yet before it answers `/props?model=`, as the
 * chat request would; loading a large model from disk takes longer than a GET.
 */
const ROUTER_LOAD_TIMEOUT_MS = 180_000;

export interface DiscoveryTarget {
  readonly preset: Preset;
  /** The API root, e.g. `http://127.0.0.1:8080/v1`. */
  readonly baseUrl: string;
  readonly model: string;
  readonly apiKey?: string;
}

export async function describeServer(target: DiscoveryTarget, signal: AbortSignal): Promise<ServerFacts> {
  const { preset } = target;
  try {
    switch (preset.limits.discovery) {
      case 'known':
        return fromPublishedTable(target);
      case 'llamacpp-props':
        return (await fromLlamaCppProps(target, signal)) ?? none;
      case 'openai-models':
        return (await fromOpenAiModels(target, signal)) ?? none;
      case 'lmstudio-rest':
        return (await fromLmStudio(target, signal)) ?? (await fromOpenAiModels(target, signal)) ?? none;
      case 'openrouter-models':
        return (await fromOpenRouter(target, signal)) ?? none;
      default:
        return none;
    }
  } catch {
    return none;
  }
}

const none: ServerFacts = { source: 'none' };

/** A hosted API that does not report its limits: its own published numbers (hostedModels.ts). */
function fromPublishedTable(target: DiscoveryTarget): ServerFacts {
  const row = hostedModelLimits(target.preset.id, target.model);
  if (!row) return none;
  return { contextWindow: row.contextWindow, maxOutputTokens: row.maxOutputTokens, source: `${row.source}, read ${row.read}` };
}

/** `http://host:8080/v1` → `http://host:8080`: the server's own endpoints sit beside the API root. */
export function serverRoot(baseUrl: string): string {
  return baseUrl.replace(/\/+$/, '').replace(/\/v1$/, '');
}

async function getJson(url: string, target: DiscoveryTarget, signal: AbortSignal, timeoutMs = DISCOVERY_TIMEOUT_MS): Promise<unknown> {
  const timeout = AbortSignal.timeout(timeoutMs);
  const response = await fetch(url, {
    headers: { accept: 'application/json', ...(target.apiKey ? { authorization: `Bearer ${target.apiKey}` } : {}) },
    signal: AbortSignal.any([signal, timeout]),
  });
  if (!response.ok) {
    await response.body?.cancel().catch(() => undefined);
    return undefined;
  }
  return (await response.json()) as unknown;
}

async function fromLlamaCppProps(target: DiscoveryTarget, signal: AbortSignal): Promise<ServerFacts | undefined> {
  const root = serverRoot(target.baseUrl);
  const props = record(await getJson(`${root}/props`, target, signal));
  if (props?.role !== 'router') {
    const window = slotWindow(props);
    return window ? { contextWindow: window, source: '/props' } : undefined;
  }
  const url = `${root}/props?model=${encodeURIComponent(target.model)}`;
  const window = slotWindow(record(await getJson(url, target, signal, ROUTER_LOAD_TIMEOUT_MS)));
  return window ? { contextWindow: window, source: '/props?model=' } : undefined;
}

/** One slot's window: `default_generation_settings.n_ctx` (0 from a router asked for itself). */
function slotWindow(props: Record<string, unknown> | undefined): number | undefined {
  return count(record(props?.default_generation_settings)?.n_ctx);
}

/**
 * vLLM and SGLang list models at `{baseUrl}/models` with `max_model_len`; for a server we do not know,
 * the generic preset also reads `meta.n_ctx` (what llama-server lists: tools/server/server-context.cpp,
 * get_res_model_info, the slot's window) and `context_length`. Never `meta.n_ctx_train`.
 */
async function fromOpenAiModels(target: DiscoveryTarget, signal: AbortSignal): Promise<ServerFacts | undefined> {
  const list = record(await getJson(`${target.baseUrl}/models`, target, signal));
  const models = Array.isArray(list?.data) ? list.data.map(record).filter((m) => m !== undefined) : [];
  // llama-server and single-model servers answer for any name: one listed model is the one.
  const model = models.find((m) => m.id === target.model) ?? (models.length === 1 ? models[0] : undefined);
  if (!model) return undefined;
  const meta = record(model.meta);
  const window = count(model.max_model_len) ?? count(meta?.n_ctx) ?? count(model.context_length) ?? count(model.context_window);
  if (!window) return undefined;
  const source = count(model.max_model_len) ? '/v1/models max_model_len' : count(meta?.n_ctx) ? '/v1/models meta.n_ctx' : '/v1/models';
  return { contextWindow: window, source };
}

async function fromLmStudio(target: DiscoveryTarget, signal: AbortSignal): Promise<ServerFacts | undefined> {
  const root = serverRoot(target.baseUrl);
  const v1 = record(await getJson(`${root}/api/v1/models`, target, signal).catch(() => undefined));
  if (Array.isArray(v1?.models)) {
    const model = v1.models.map(record).find((m) => m?.key === target.model || m?.id === target.model);
    if (model) {
      const loaded = Array.isArray(model.loaded_instances) ? model.loaded_instances.map(record) : [];
      const window = loaded.map((i) => count(record(i?.config)?.context_length)).find((n) => n !== undefined);
      const maximum = count(model.max_context_length);
      // Not loaded yet: LM Studio loads it on the first request with its default window, not the maximum.
      if (window || maximum) {
        return {
          ...(window ? { contextWindow: window } : {}),
          ...(maximum ? { maxContextWindow: maximum } : {}),
          source: '/api/v1/models',
        };
      }
    }
  }
  const v0 = record(await getJson(`${root}/api/v0/models`, target, signal).catch(() => undefined));
  if (Array.isArray(v0?.data)) {
    const model = v0.data.map(record).find((m) => m?.id === target.model);
    const window = count(model?.loaded_context_length);
    const maximum = count(model?.max_context_length);
    if (window || maximum) {
      return { ...(window ? { contextWindow: window } : {}), ...(maximum ? { maxContextWindow: maximum } : {}), source: '/api/v0/models' };
    }
  }
  return undefined;
}

async function fromOpenRouter(target: DiscoveryTarget, signal: AbortSignal): Promise<ServerFacts | undefined> {
  const list = record(await getJson(`${target.baseUrl}/models`, target, signal));
  const models = Array.isArray(list?.data) ? list.data.map(record) : [];
  const model = models.find((m) => m?.id === target.model || m?.canonical_slug === target.model);
  const provider = record(model?.top_provider);
  const window = count(provider?.context_length) ?? count(model?.context_length);
  if (!window) return undefined;
  const maxOutput = count(provider?.max_completion_tokens);
  return { contextWindow: window, ...(maxOutput ? { maxOutputTokens: maxOutput } : {}), source: '/api/v1/models' };
}

function record(value: unknown): Record<string, unknown> | undefined {
  return typeof value === 'object' && value !== null && !Array.isArray(value) ? (value as Record<string, unknown>) : undefined;
}

function count(value: unknown): number | undefined {
  return typeof value === 'number' && Number.isInteger(value) && value > 0 ? value : undefined;
}
