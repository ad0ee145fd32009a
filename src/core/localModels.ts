// The R1 distills we recommend for the local backend, and downloading one.
//
// Downloads go through node-llama-cpp's `createModelDownloader` (parallel connections, resumable:
// an interrupted download keeps its partial file and the next attempt continues it). Before that
// starts, one short request checks that the file exists and the host answers, because the
// downloader itself retries a dead connection for minutes before it gives up; offline, a person
// should learn that in seconds, with what to do instead.
import { raceAbort } from './abort';
import { BackendError } from './errors';
import type { Remedy } from './remedies';

export interface RecommendedModel {
  /** Short id, also accepted by `resolveModelUri`. */
  readonly id: string;
  readonly label: string;
  /** node-llama-cpp model URI of one Q4_K_M GGUF file. */
  readonly uri: string;
  /** Approximate download size, for the picker; the download reports the exact one. */
  readonly sizeBytes: number;
  /** Memory the model needs with an 8K context, in GB (RAM on CPU, VRAM on a GPU). */
  readonly memoryGb: number;
  readonly note?: string;
}

const GB = 1e9;

export const RECOMMENDED_MODELS: readonly RecommendedModel[] = [
  {
    id: 'r1-distill-qwen-1.5b',
    label: 'DeepSeek-R1-Distill-Qwen-1.5B (Q4_K_M)',
    uri: 'hf:bartowski/DeepSeek-R1-Distill-Qwen-1.5B-GGUF/DeepSeek-R1-Distill-Qwen-1.5B-Q4_K_M.gguf',
    sizeBytes: 1.12 * GB,
    memoryGb: 2,
    note: 'Fast on any laptop CPU; finds plain bugs, misses subtle ones.',
  },
  {
    id: 'r1-distill-qwen-7b',
    label: 'DeepSeek-R1-Distill-Qwen-7B (Q4_K_M)',
    uri: 'hf:bartowski/DeepSeek-R1-Distill-Qwen-7B-GGUF/DeepSeek-R1-Distill-Qwen-7B-Q4_K_M.gguf',
    sizeBytes: 4.68 * GB,
    memoryGb: 6,
    note: 'A good default with a GPU or a fast CPU.',
  },
  {
    id: 'r1-distill-llama-8b',
    label: 'DeepSeek-R1-Distill-Llama-8B (Q4_K_M)',
    uri: 'hf:bartowski/DeepSeek-R1-Distill-Llama-8B-GGUF/DeepSeek-R1-Distill-Llama-8B-Q4_K_M.gguf',
    sizeBytes: 4.92 * GB,
    memoryGb: 6.5,
  },
  {
    id: 'r1-distill-qwen-14b',
    label: 'DeepSeek-R1-Distill-Qwen-14B (Q4_K_M)',
    uri: 'hf:bartowski/DeepSeek-R1-Distill-Qwen-14B-GGUF/DeepSeek-R1-Distill-Qwen-14B-Q4_K_M.gguf',
    sizeBytes: 8.99 * GB,
    memoryGb: 11,
    note: 'The strongest reviewer here; wants a GPU with 12 GB or a lot of patience.',
  },
];

const URI_HINT: readonly Remedy[] = [
  { kind: 'advice', text: 'Use a recommended model, an hf:<user>/<repo>/<file>.gguf URI, or an https:// URL of a .gguf file.' },
];

/**
 * Normalises what a person typed (a recommended model's id or label, an `hf:` URI, a Hugging Face
 * page or file URL, or any https URL of a .gguf file) into a URI node-llama-cpp downloads.
 * Throws a `setup` error for anything else.
 */
export function resolveModelUri(input: string): string {
  const text = input.trim();
  const recommended = RECOMMENDED_MODELS.find((m) => m.id === text.toLowerCase() || m.label === text || m.uri === text);
  if (recommended) return recommended.uri;
  const hf = /^(?:hf:\/\/|hf:|huggingface:\/\/|huggingface:)(.+)$/i.exec(text);
  if (hf) {
    const [user, repo] = hf[1].split('/');
    if (!user || !repo) throw new BackendError('setup', `"${text}" is not a complete model URI.`, URI_HINT);
    return `hf:${hf[1]}`;
  }
  let url: URL;
  try {
    url = new URL(/^(hf\.co|huggingface\.co)\//i.test(text) ? `https://${text}` : text);
  } catch {
    throw new BackendError('setup', `"${text}" is not a model URI or URL.`, URI_HINT);
  }
  if (url.protocol !== 'https:' && url.protocol !== 'http:') {
    throw new BackendError('setup', `"${text}" is not an http(s) URL.`, URI_HINT);
  }
  // A Hugging Face file page (/blob/) downloads from /resolve/.
  if (/(^|\.)(huggingface\.co|hf\.co)$/i.test(url.hostname)) {
    const m = /^\/([^/]+)\/([^/]+)\/(?:blob|resolve)\/([^/]+)\/(.+)$/.exec(url.pathname);
    if (m) return `hf:${m[1]}/${m[2]}/${m[4]}${m[3] === 'main' ? '' : `#${m[3]}`}`;
    const repo = /^\/([^/]+)\/([^/]+)\/?$/.exec(url.pathname);
    if (repo) return `hf:${repo[1]}/${repo[2]}`;
  }
  if (!/\.gguf(\.part\d+of\d+)?$/i.test(url.pathname)) {
    throw new BackendError('setup', `"${text}" does not point at a .gguf file.`, URI_HINT);
  }
  return url.href;
}

export interface DownloadProgress {
  readonly downloadedBytes: number;
  readonly totalBytes: number;
}

export interface DownloadOptions {
  /** Another Hugging Face endpoint (a mirror); defaults to MODEL_ENDPOINT / HF_ENDPOINT or huggingface.co. */
  readonly huggingFaceEndpoint?: string;
  /** How long the reachability check may take, in ms (default 15 000). */
  readonly checkTimeoutMs?: number;
}

function huggingFaceEndpoint(options: DownloadOptions): string {
  const pick = [options.huggingFaceEndpoint, process.env.MODEL_ENDPOINT, process.env.HF_ENDPOINT].find((v) => v && /^https?:\/\//.test(v));
  const endpoint = pick ?? 'https://huggingface.co/';
  return endpoint.endsWith('/') ? endpoint : `${endpoint}/`;
}

/** The URL whose answer tells whether the model exists: the file itself, or the repository. */
function checkUrlFor(uri: string, endpoint: string): { url: string; method: 'HEAD' | 'GET' } {
  if (!uri.startsWith('hf:')) return { url: uri, method: 'HEAD' };
  const [path, branch = 'main'] = uri.slice(3).split('#');
  const [user, repoWithTag, ...file] = path.split('/');
  const repo = repoWithTag.split(':')[0];
  if (file.length > 0) {
    const encoded = file.map(encodeURIComponent).join('/');
    return {
      url: `${endpoint}${encodeURIComponent(user)}/${encodeURIComponent(repo)}/resolve/${encodeURIComponent(branch)}/${encoded}`,
      method: 'HEAD',
    };
  }
  return { url: `${endpoint}api/models/${encodeURIComponent(user)}/${encodeURIComponent(repo)}`, method: 'GET' };
}

const OFFLINE_CODES = new Set([
  'ENOTFOUND',
  'EAI_AGAIN',
  'ECONNREFUSED',
  'ECONNRESET',
  'ENETUNREACH',
  'EHOSTUNREACH',
  'ETIMEDOUT',
  'UND_ERR_CONNECT_TIMEOUT',
  'UND_ERR_SOCKET',
  'CERT_HAS_EXPIRED',
  'SELF_SIGNED_CERT_IN_CHAIN',
  'UNABLE_TO_VERIFY_LEAF_SIGNATURE',
]);

function errorCode(error: unknown): string | undefined {
  for (let e: unknown = error, depth = 0; e && depth < 4; e = (e as { cause?: unknown }).cause, depth++) {
    const code = (e as { code?: unknown }).code;
    if (typeof code === 'string') return code;
  }
  return undefined;
}

const RESUME_HINT: readonly Remedy[] = [
  { kind: 'advice', text: 'Check the internet connection (or a proxy), then run the download again: it resumes where it stopped.' },
  { kind: 'set-option', option: 'localModelPath', to: 'a .gguf file you downloaded yourself' },
];

function cancelled(): BackendError {
  return new BackendError('cancelled', 'The model download was cancelled.', [
    { kind: 'advice', text: 'Run the download again to resume it.' },
  ]);
}

/** One short request: does the host answer, and does the file exist? */
async function checkReachable(uri: string, options: DownloadOptions, signal: AbortSignal): Promise<void> {
  const { url, method } = checkUrlFor(uri, huggingFaceEndpoint(options));
  const host = new URL(url).host;
  const timeout = AbortSignal.timeout(options.checkTimeoutMs ?? 15_000);
  let response: Response;
  try {
    response = await fetch(url, { method, redirect: 'follow', signal: AbortSignal.any([signal, timeout]) });
  } catch (error) {
    if (signal.aborted) throw cancelled();
    const code = timeout.aborted ? 'no answer in time' : (errorCode(error) ?? (error instanceof Error ? error.message : String(error)));
    const offline = timeout.aborted || OFFLINE_CODES.has(code) || /fetch failed/i.test(code);
    throw new BackendError(
      'network',
      offline
        ? `Could not download ${uri}: ${host} cannot be reached (${code}); this machine may be offline.`
        : `Could not download ${uri}: ${code}.`,
      RESUME_HINT,
      { detail: `${method} ${url}: ${String(error)}`, cause: error },
    );
  }
  await response.body?.cancel().catch(() => undefined);
  if (response.ok) return;
  const status = response.status;
  if (status === 404) {
    throw new BackendError(
      'model-not-found',
      `No model file at ${uri} (404).`,
      [{ kind: 'advice', text: 'Check the user, repository and file name.' }, ...URI_HINT],
      { status },
    );
  }
  if (status === 401 || status === 403) {
    throw new BackendError(
      'auth',
      `${host} refused ${uri} (${status}): the model is private or gated.`,
      [{ kind: 'advice', text: 'Accept the model’s terms on its Hugging Face page, or choose a recommended model.' }],
      { status },
    );
  }
  throw new BackendError('network', `Could not download ${uri}: ${host} answered ${status}.`, RESUME_HINT, { status });
}

/**
 * Downloads a model into `dirPath` (created if needed) and returns the local file's path. A file
 * already there is reused; an interrupted download is resumed. Errors are `BackendError`s: `network`
 * (offline, with a resume hint), `model-not-found`, `auth` (gated), `cancelled`, or `setup`.
 */
export async function downloadModel(
  uri: string,
  dirPath: string,
  onProgress: (progress: DownloadProgress) => void,
  signal: AbortSignal,
  options: DownloadOptions = {},
): Promise<string> {
  if (signal.aborted) throw cancelled();
  const modelUri = resolveModelUri(uri);
  await checkReachable(modelUri, options, signal);

  const { createModelDownloader } = await import('node-llama-cpp');
  const endpoints = options.huggingFaceEndpoint ? { huggingFace: options.huggingFaceEndpoint } : undefined;
  try {
    const downloader = await raceAbort(
      createModelDownloader({
        modelUri,
        dirPath,
        showCliProgress: false,
        skipExisting: true,
        // Keep the partial file on cancel so the next attempt resumes it.
        deleteTempFileOnCancel: false,
        endpoints,
        onProgress: ({ downloadedSize, totalSize }) => onProgress({ downloadedBytes: downloadedSize, totalBytes: totalSize }),
      }),
      signal,
      cancelled,
    );
    return await downloader.download({ signal });
  } catch (error) {
    if (signal.aborted) throw cancelled();
    if (error instanceof BackendError) throw error;
    const code = errorCode(error);
    if (code === 'ENOSPC') {
      throw new BackendError(
        'setup',
        `The disk is full: ${dirPath} has no room for the model.`,
        [{ kind: 'advice', text: 'Free some space (the partial download is kept) and run the download again.' }],
        { cause: error },
      );
    }
    if (code === 'EACCES' || code === 'EPERM') {
      throw new BackendError(
        'setup',
        `Cannot write the model to ${dirPath} (${code}).`,
        [{ kind: 'advice', text: 'Choose a folder you can write to.' }],
        { cause: error },
      );
    }
    throw new BackendError(
      'network',
      `The download of ${modelUri} failed: ${error instanceof Error ? error.message : String(error)}`,
      RESUME_HINT,
      {
        detail: String(error),
        cause: error,
      },
    );
  }
}
