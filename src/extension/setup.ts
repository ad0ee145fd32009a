// Select Backend as a step-by-step flow: where the model runs (local servers that answer are
// marked), the server's URL when it has one, the API key when it needs one, the model picked from
// the server's own list (or typed), then a connection test that says what it found.

import * as vscode from 'vscode';
import { detectLocalServers, DETECTABLE_SERVERS } from '../core/backends/detect';
import { withApiVersion } from '../core/backends/apiRoot';
import { listModels, reasoningModelsFirst, THINKING_MODEL, type ModelListing } from '../core/backends/models';
import { PRESETS } from '../core/backends/presets';
import { BACKEND_IDS, type BackendId } from '../core/types';
import { readConfig, type BackendSetting } from './config';
import type { ApiKeys } from './secrets';
import { COMMAND } from '../bridge/commandIds';

export const BACKEND_DESCRIPTIONS: Record<BackendId, string> = {
  deepseek: 'DeepSeek API (hosted). Needs an API key.',
  openrouter: 'OpenRouter (hosted). Needs an API key.',
  ollama: 'Ollama on this machine (port 11434).',
  lmstudio: "LM Studio's local server (port 1234).",
  llamacpp: 'llama.cpp server (port 8080).',
  vllm: 'vLLM server (port 8000), one machine or a multi-GPU deployment.',
  sglang: 'SGLang server (port 30000).',
  'openai-compatible': 'Any other OpenAI-compatible endpoint; asks for its base URL.',
  local: 'A GGUF model run inside VS Code; no server, code stays here.',
};

/** What the flow set up, and what the connection test found (for the caller and tests). */
export interface SetupOutcome {
  readonly backend: BackendSetting;
  readonly baseUrl?: string;
  readonly model?: string;
  readonly found?: string;
  readonly ok: boolean;
  /** The address the server answers at when the base URL given lacks the API's /v1. */
  readonly apiRoot?: string;
}

export interface SetupDeps {
  readonly keys: ApiKeys;
  /** Asks for and stores the key of `backend`; resolves false when the person gave none. */
  askApiKey(backend: BackendId): Promise<boolean>;
  /** The connection test found the server and the model. */
  onConnected?(): void;
}

const TYPE_MODEL = '$(edit) Type a model name…';

export async function selectBackendFlow(deps: SetupDeps): Promise<SetupOutcome | undefined> {
  const config = readConfig();
  const backend = await pickBackend(config.backend);
  if (!backend) return undefined;
  const settings = vscode.workspace.getConfiguration('thinklens');
  const save = async (key: string, value: unknown) => settings.update(key, value, vscode.ConfigurationTarget.Global);

  if (backend === 'auto' || backend === 'local') {
    await save('backend', backend);
    if (backend === 'local' && !readConfig().local.modelPath) await vscode.commands.executeCommand(COMMAND.downloadModel);
    return { backend, ok: true };
  }

  const preset = PRESETS[backend];
  // Step 2: the URL, when the backend is a server (hosted APIs keep their public address).
  let baseUrl = preset.defaultBaseUrl ?? '';
  if (!preset.hosted) {
    const current = config.backend === backend && config.baseUrl ? config.baseUrl : baseUrl;
    const typed = await vscode.window.showInputBox({
      title: `ThinkLens: ${preset.label} (2/4) — server URL`,
      prompt: 'The OpenAI-compatible API root, usually ending in /v1. Enter keeps it.',
      placeHolder: 'http://127.0.0.1:8000/v1',
      value: current,
      ignoreFocusOut: true,
      validateInput: (v) => (/^https?:\/\/\S+$/.test(v.trim()) ? undefined : 'Enter an http:// or https:// URL'),
    });
    if (!typed) return undefined;
    baseUrl = typed.trim();
  }

  // Step 3: the key: required by a hosted API (asked when there is none yet), optional for a server.
  if (preset.requiresApiKey && !(await deps.keys.get(backend))) {
    if (!(await deps.askApiKey(backend))) return undefined;
  } else if (!preset.hosted) {
    const typed = await askOptionalKey(preset.label, Boolean(await deps.keys.get(backend)));
    if (typed === undefined) return undefined;
    if (typed) await deps.keys.set(backend, typed);
  }
  let apiKey = await deps.keys.get(backend);

  // Step 4: the model, from the server's own list (or typed). A refused key can be set right there.
  const list = () =>
    vscode.window.withProgress(
      { location: vscode.ProgressLocation.Notification, title: `ThinkLens: asking ${baseUrl} for its models…` },
      () => listModelsOrApiRoot(backend, baseUrl, apiKey),
    );
  let { listing, apiRoot } = await list();
  let model: string | typeof SET_KEY | undefined;
  for (;;) {
    model = await pickModel(preset.label, listing, config.backend === backend ? config.model : undefined, preset.defaultModel);
    if (model !== SET_KEY) break;
    await deps.askApiKey(backend);
    apiKey = await deps.keys.get(backend);
    ({ listing, apiRoot } = await list());
  }
  if (model === undefined) return undefined;

  await save('backend', backend);
  await save('baseUrl', baseUrl === preset.defaultBaseUrl ? '' : baseUrl);
  await save('model', model);

  // The connection test: what the server said about itself and the chosen model.
  if (apiRoot) {
    const found = `${preset.label} does not answer at ${baseUrl}, but answers at ${apiRoot}: the base URL lacks the API's /v1.`;
    const use = `Use ${apiRoot}`;
    void vscode.window.showWarningMessage(`ThinkLens: ${found}`, use, 'Select Backend').then(async (pick) => {
      if (pick === use) await save('baseUrl', apiRoot === preset.defaultBaseUrl ? '' : apiRoot);
      else if (pick) await vscode.commands.executeCommand(COMMAND.selectBackend);
    });
    return { backend, baseUrl, model, found, ok: false, apiRoot };
  }
  const found = describeFound(preset.label, baseUrl, listing, model);
  const ok = listing.ok && (listing.models.length === 0 || listing.models.includes(model));
  if (ok) {
    deps.onConnected?.();
    void vscode.window.showInformationMessage(`ThinkLens: ${found}`);
  } else {
    // A refused key is fixed by a key, not by another backend.
    const actions = !listing.ok && listing.kind === 'auth' ? [SET_KEY_LABEL, 'Select Backend'] : ['Select Backend'];
    void vscode.window.showWarningMessage(`ThinkLens: ${found}`, ...actions).then((pick) => {
      if (pick === SET_KEY_LABEL) void vscode.commands.executeCommand(COMMAND.setApiKey, backend);
      else if (pick) void vscode.commands.executeCommand(COMMAND.selectBackend);
    });
  }
  return { backend, baseUrl, model, found, ok };
}

const SET_KEY_LABEL = 'Set API Key';
/** The model step's answer when the person chose to set the key the server asked for. */
const SET_KEY = Symbol('set-key');

/** Step 3 for a server: a key only if it was started with one (vLLM, llama-server and others take `--api-key`). */
async function askOptionalKey(label: string, stored: boolean): Promise<string | undefined> {
  const typed = await vscode.window.showInputBox({
    title: `ThinkLens: ${label} (3/4) — API key (optional)`,
    prompt: stored
      ? "A key is stored for this backend. Type a new one to replace it, or press Enter to keep it. Stored in VS Code's secret storage."
      : "Only if the server was started with a key. Leave empty and press Enter for none. Stored in VS Code's secret storage.",
    password: true,
    ignoreFocusOut: true,
  });
  return typed === undefined ? undefined : typed.trim();
}

/**
 * The server's models, and the address it really answers at when the base URL lacks the API's /v1
 * (then the models listed there). Ollama's own backend talks to the server's root, so it needs no /v1.
 */
async function listModelsOrApiRoot(
  backend: BackendId,
  baseUrl: string,
  apiKey: string | undefined,
): Promise<{ listing: ModelListing; apiRoot?: string }> {
  const options = apiKey ? { apiKey } : {};
  const listing = await listModels(baseUrl, options);
  const candidate = withApiVersion(baseUrl);
  if (backend === 'ollama' || !candidate || (listing.ok && listing.via === 'openai')) return { listing };
  const there = await listModels(candidate, options);
  return there.ok && there.via === 'openai' ? { listing: there, apiRoot: candidate } : { listing };
}

async function pickBackend(current: BackendSetting): Promise<BackendSetting | undefined> {
  type Item = vscode.QuickPickItem & { id: BackendSetting };
  const items: Item[] = (['auto', ...BACKEND_IDS] as const).map((id) => ({
    id,
    label: id === 'auto' ? 'Automatic' : PRESETS[id].label,
    description: id === current ? 'current' : undefined,
    detail:
      id === 'auto'
        ? 'A configured local model, else a local server that answers, else a hosted backend with a key.'
        : BACKEND_DESCRIPTIONS[id],
  }));
  const pick = vscode.window.createQuickPick<Item>();
  pick.title = 'ThinkLens: where should code be sent? (1/4)';
  pick.matchOnDetail = true;
  pick.ignoreFocusOut = true;
  pick.items = items;
  pick.activeItems = items.filter((i) => i.id === current);
  pick.busy = true;
  // Local servers that answer are marked while the person looks at the list.
  void detectLocalServers(DETECTABLE_SERVERS, 700)
    .then((running) => {
      if (!running.length) return;
      const active = pick.activeItems;
      pick.items = items.map((item) => {
        const server = running.find((r) => r.backend === item.id);
        return server
          ? {
              ...item,
              description: [item.description, `running · ${server.models.length} model${server.models.length === 1 ? '' : 's'}`]
                .filter(Boolean)
                .join(' · '),
            }
          : item;
      });
      pick.activeItems = pick.items.filter((i) => active.some((a) => a.id === i.id));
    })
    .finally(() => (pick.busy = false));
  const chosen = await new Promise<BackendSetting | undefined>((resolve) => {
    pick.onDidAccept(() => resolve(pick.selectedItems[0]?.id ?? pick.activeItems[0]?.id));
    pick.onDidHide(() => resolve(undefined));
    pick.show();
  });
  pick.dispose();
  return chosen;
}

async function pickModel(
  label: string,
  listing: ModelListing,
  current: string | undefined,
  fallback: string | undefined,
): Promise<string | typeof SET_KEY | undefined> {
  type Item = vscode.QuickPickItem & { model?: string; setKey?: boolean };
  const models = listing.ok ? reasoningModelsFirst(listing.models) : [];
  // What went wrong is an item of its own, read in full, never squeezed into the placeholder.
  const problem: Item[] = listing.ok
    ? []
    : listing.kind === 'auth'
      ? [{ label: `$(key) ${SET_KEY_LABEL}…`, detail: listing.problem, setKey: true, alwaysShow: true }]
      : [{ label: '$(warning) The server did not list its models', detail: listing.problem, alwaysShow: true }];
  const items: Item[] = [
    ...problem,
    ...models.map((m) => ({
      model: m,
      label: m,
      description:
        [m === current ? 'current' : '', THINKING_MODEL.test(m) ? 'reasoning model' : ''].filter(Boolean).join(' · ') || undefined,
    })),
    { label: TYPE_MODEL, alwaysShow: true },
  ];
  const pick = vscode.window.createQuickPick<Item>();
  pick.title = `ThinkLens: ${label} (4/4) — model`;
  pick.ignoreFocusOut = true;
  pick.placeholder = listing.ok
    ? models.length
      ? `${models.length} model${models.length === 1 ? '' : 's'} on the server; reasoning models first`
      : 'The server lists no models: type the model name'
    : 'Type a model name';
  pick.items = items;
  const preferred = items.find((i) => i.model && i.model === current) ?? items[0];
  if (preferred) pick.activeItems = [preferred];
  const chosen = await new Promise<Item | undefined>((resolve) => {
    pick.onDidAccept(() => resolve(pick.selectedItems[0] ?? pick.activeItems[0]));
    pick.onDidHide(() => resolve(undefined));
    pick.show();
  });
  pick.dispose();
  if (!chosen) return undefined;
  if (chosen.setKey) return SET_KEY;
  if (chosen.model) return chosen.model;
  const typed = await vscode.window.showInputBox({
    title: `ThinkLens: ${label} — model name`,
    value: current || fallback || '',
    prompt: 'The model id as the server knows it (for example deepseek-r1:8b).',
    ignoreFocusOut: true,
    validateInput: (v) => (v.trim() ? undefined : 'Enter a model name'),
  });
  return typed?.trim() || undefined;
}

/** One sentence for the person: what answered, how many models, whether the chosen one is there. */
export function describeFound(label: string, baseUrl: string, listing: ModelListing, model: string): string {
  if (!listing.ok) return `${listing.problem} The model is set to ${model}; runs will fail until the server answers.`;
  const count = `${listing.models.length} model${listing.models.length === 1 ? '' : 's'}`;
  const kind = listing.via === 'ollama' ? ' (Ollama)' : '';
  if (listing.models.length && !listing.models.includes(model)) {
    return `${label} answered at ${baseUrl}${kind} with ${count}, but not ${model}: pick one it lists, or load ${model} on the server.`;
  }
  const reasoning = THINKING_MODEL.test(model) ? ', a reasoning model' : '; its name does not say it reasons, so the trace may be empty';
  return `Connected to ${label} at ${baseUrl}${kind}: ${count}; using ${model}${reasoning}.`;
}
