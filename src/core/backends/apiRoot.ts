// A 404 from a server is often the address, not the model: Ollama, vLLM, SGLang and LM Studio serve
// their OpenAI-compatible API under `/v1`, so a base URL without it gets 404 for every request (a
// wrong path), which reads like "no such model". Before saying the model is missing, ask the same
// server at `<url>/v1`, and whether its model list has the model.

import { listModels, type ListModelsOptions } from './models';

/** What a 404 from `baseUrl` was about. */
export type NotFoundCause =
  /** The server answers with a model list at `apiRoot`: the base URL lacks `/v1`. */
  | { readonly kind: 'api-root'; readonly apiRoot: string }
  /** The server lists the model, so the path is wrong, not the model. */
  | { readonly kind: 'model-listed' }
  /** Nothing says it is the address: the model is missing, as the server said. */
  | { readonly kind: 'model' };

/** `baseUrl` with the API's `/v1`, or undefined when it already has it. */
export function withApiVersion(baseUrl: string): string | undefined {
  const base = baseUrl.replace(/\/+$/, '');
  return /\/v1$/.test(base) ? undefined : `${base}/v1`;
}

/**
 * Asks the server what a 404 from `baseUrl` for `model` was about (at most two small GETs, bounded
 * by `options.timeoutMs`). `serverSaid` is the 404's own text: servers that miss a model say so
 * (Ollama: 'model "x" not found'; vLLM: 'The model `x` does not exist.'), while a wrong path gets
 * the router's words ('404 page not found', '{"detail":"Not Found"}'), so only then does a listed
 * model mean the path is wrong.
 */
export async function diagnoseNotFound(
  baseUrl: string,
  model: string,
  serverSaid: string | undefined,
  options: ListModelsOptions = {},
): Promise<NotFoundCause> {
  const apiRoot = withApiVersion(baseUrl);
  if (apiRoot) {
    const there = await listModels(apiRoot, options);
    if (there.ok && there.via === 'openai') return { kind: 'api-root', apiRoot };
  }
  if (/model/i.test(serverSaid ?? '')) return { kind: 'model' };
  const here = await listModels(baseUrl, options);
  return here.ok && here.via === 'openai' && here.models.includes(model) ? { kind: 'model-listed' } : { kind: 'model' };
}
