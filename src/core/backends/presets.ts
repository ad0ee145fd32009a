// One record per backend: where it listens, which model to ask for, whether it needs a key, and how
// a request's options become that server's body fields (docs/wire.md, docs/limits.md). The OpenAI-compatible backend
// reads everything server-specific from here; nothing else should branch on the preset id.

import type { TokenCountRoute } from './tokenCount';
import type { AnswerConstraint, BackendId, BackendRequest, ReasoningEffort } from '../types';

export type { AnswerConstraint };

export interface Honoured {
  readonly temperature: boolean;
  readonly topP: boolean;
  readonly seed: boolean;
  /** The effort (or at least turning thinking off) reaches the server. */
  readonly reasoningEffort: boolean;
  /** `response_format: {type: 'json_object'}` is known to work while the model thinks. */
  readonly jsonAnswer: boolean;
  /** The server takes a thinking budget in its own field (extraBody sends it) and ends the thinking there. */
  readonly thinkingBudget: boolean;
}

/** Where the context window of a server's model is learned (see discovery.ts). */
export type WindowDiscovery =
  'llamacpp-props' | 'openai-models' | 'lmstudio-rest' | 'openrouter-models' | 'ollama-show' | 'known' | 'local-setting' | 'none';

export interface PresetLimits {
  readonly discovery: WindowDiscovery;
  /** The window when it is known (`known`), or what is assumed when the server says nothing. */
  readonly assumedWindow: number;
  /** The window is set per request (Ollama's `num_ctx`), up to the model's maximum. */
  readonly windowPerRequest: boolean;
  /** Where the server counts a prompt's tokens (tokenCount.ts); without one the planner estimates. */
  readonly tokenCount?: TokenCountRoute;
  /** The most the server lets one answer be, thinking included, when it caps it below the window. */
  readonly maxOutputTokens?: number;
  /**
   * The constraint ThinkLens sends, hoping the server applies it after the thinking. It is trusted
   * only while the server shows that it leaves the thinking free: a request that came back with no
   * reasoning is sent again without it, and the profile drops it for the session (profile.ts).
   */
  readonly answerConstraint: AnswerConstraint;
  /** What a person changes on the server so a constraint leaves the thinking free, for the note when one was dropped. */
  readonly freeThinking?: string;
  /** Thinking is switched per request (`reasoningEffort: 'none'` reaches it) or only where the server starts. */
  readonly thinkingSwitch: 'per-request' | 'server';
  /** What a person does to give the model a larger window, for messages. */
  readonly raiseWindow: string;
}

export interface Preset {
  readonly id: BackendId;
  readonly label: string;
  /** Hosted APIs: their public URL; local servers: 127.0.0.1 on their default port. */
  readonly defaultBaseUrl?: string;
  readonly defaultModel?: string;
  /** Code leaves the machine with the default base URL. */
  readonly hosted: boolean;
  /** A server the person runs on this machine (errors say "start the server"). */
  readonly localServer: boolean;
  /** The provider's own key variable, read after THINKLENS_API_KEY. */
  readonly apiKeyEnv?: string;
  readonly requiresApiKey: boolean;
  readonly requiresBaseUrl: boolean;
  readonly honours: Honoured;
  /** Server-specific body fields for a request (thinking switches, usage accounting). */
  readonly extraBody: (request: BackendRequest) => Record<string, unknown>;
  /**
   * How the thinking of a running request is ended in place, when the server can: llama.cpp's
   * control endpoint, addressed by the completion's id. Elsewhere Answer now hands the reasoning over.
   */
  readonly endThinking?: 'llamacpp-control';
  readonly limits: PresetLimits;
}

/** The generic variable every preset reads first. */
export const GENERIC_API_KEY_ENV = 'THINKLENS_API_KEY';

const SAMPLING: Honoured = { temperature: true, topP: true, seed: true, reasoningEffort: false, jsonAnswer: false, thinkingBudget: false };
const none = (): Record<string, unknown> => ({});

/** Efforts above what a server knows fall back to its highest. */
function cappedEffort(effort: ReasoningEffort, levels: readonly ReasoningEffort[]): ReasoningEffort {
  if (levels.includes(effort)) return effort;
  return levels[levels.length - 1]!;
}

export const PRESETS: Readonly<Record<BackendId, Preset>> = {
  deepseek: {
    id: 'deepseek',
    label: 'DeepSeek',
    defaultBaseUrl: 'https://api.deepseek.com',
    defaultModel: 'deepseek-flash',
    hosted: true,
    localServer: false,
    apiKeyEnv: 'DEEPSEEK_API_KEY',
    requiresApiKey: true,
    requiresBaseUrl: false,
    // In thinking mode temperature and top_p are accepted and ignored; DeepSeek has no seed.
    honours: { temperature: false, topP: false, seed: false, reasoningEffort: true, jsonAnswer: true, thinkingBudget: false },
    extraBody: ({ reasoningEffort, jsonAnswer }) => {
      const body: Record<string, unknown> = {
        thinking: { type: reasoningEffort === 'none' ? 'disabled' : 'enabled' },
      };
      // DeepSeek knows low/high/max; "medium" is not one of them, so it gets the usual high.
      if (reasoningEffort && reasoningEffort !== 'none') {
        body.reasoning_effort = reasoningEffort === 'low' ? 'low' : reasoningEffort === 'max' ? 'max' : 'high';
      }
      if (jsonAnswer) body.response_format = { type: 'json_object' };
      return body;
    },
    limits: {
      discovery: 'known',
      assumedWindow: 131_072,
      windowPerRequest: false,
      maxOutputTokens: 65_536,
      answerConstraint: 'json-object',
      thinkingSwitch: 'per-request',
      raiseWindow: "Select less code; the hosted model's window is fixed.",
    },
  },
  openrouter: {
    id: 'openrouter',
    label: 'OpenRouter',
    defaultBaseUrl: 'https://openrouter.ai/api/v1',
    defaultModel: 'deepseek/deepseek-r1',
    hosted: true,
    localServer: false,
    apiKeyEnv: 'OPENROUTER_API_KEY',
    requiresApiKey: true,
    requiresBaseUrl: false,
    honours: { ...SAMPLING, reasoningEffort: true, thinkingBudget: true },
    extraBody: ({ reasoningEffort, thinkingBudget }) => ({
      // `exclude: false` keeps the reasoning in the stream; some routes drop it otherwise. A budget
      // goes as `max_tokens`, which OpenRouter takes instead of an effort, not beside it
      // (openrouter.ai/docs, "Reasoning Tokens").
      reasoning:
        reasoningEffort === 'none'
          ? { enabled: false }
          : thinkingBudget
            ? { max_tokens: thinkingBudget, exclude: false }
            : reasoningEffort
              ? { effort: cappedEffort(reasoningEffort, ['low', 'medium', 'high']), exclude: false }
              : { enabled: true, exclude: false },
      usage: { include: true },
    }),
    limits: {
      discovery: 'openrouter-models',
      assumedWindow: 65_536,
      windowPerRequest: false,
      answerConstraint: 'none',
      thinkingSwitch: 'per-request',
      raiseWindow: 'Select less code, or choose a model with a larger context length.',
    },
  },
  ollama: {
    id: 'ollama',
    label: 'Ollama',
    // The native API's root; `.../v1` is accepted too (see ollamaRoot in ollama.ts).
    defaultBaseUrl: 'http://127.0.0.1:11434',
    defaultModel: 'deepseek-r1:8b',
    hosted: false,
    localServer: true,
    requiresApiKey: false,
    requiresBaseUrl: false,
    // Served by ollama.ts through /api/chat: `think` on or off, the sampling options, `format`.
    honours: { ...SAMPLING, reasoningEffort: true, jsonAnswer: true },
    extraBody: none,
    limits: {
      discovery: 'ollama-show',
      // Ollama's own default under 24 GiB of VRAM; the native API sets `num_ctx` per request.
      assumedWindow: 4096,
      windowPerRequest: true,
      answerConstraint: 'json-schema',
      freeThinking: 'Update Ollama to 0.12.4 or later, which applies `format` after the thinking.',
      thinkingSwitch: 'per-request',
      raiseWindow: 'Select less code, or use a model with a larger context length.',
    },
  },
  lmstudio: {
    id: 'lmstudio',
    label: 'LM Studio',
    defaultBaseUrl: 'http://127.0.0.1:1234/v1',
    defaultModel: 'deepseek/deepseek-r1-0528-qwen3-8b',
    hosted: false,
    localServer: true,
    requiresApiKey: false,
    requiresBaseUrl: false,
    // Reasoning separation is an app setting; the splitter reads inline tags when it is off.
    honours: SAMPLING,
    extraBody: none,
    limits: {
      discovery: 'lmstudio-rest',
      assumedWindow: 4096,
      windowPerRequest: false,
      // LM Studio applies a json_schema to the whole output, thinking included (lmstudio-bug-tracker
      // 575, a maintainer's answer; 1698, 1773 open on 0.4.x): the prompt contract and the repair turn instead.
      answerConstraint: 'none',
      thinkingSwitch: 'server',
      raiseWindow: 'Load the model in LM Studio with a larger context length, or select less code.',
    },
  },
  llamacpp: {
    id: 'llamacpp',
    label: 'llama.cpp server',
    defaultBaseUrl: 'http://127.0.0.1:8080/v1',
    // llama-server answers with the model it was started with, whatever the name.
    defaultModel: 'deepseek-r1',
    hosted: false,
    localServer: true,
    requiresApiKey: false,
    requiresBaseUrl: false,
    // Only "none" reaches it (turns thinking off). The budget goes per request, and
    // `reasoning_control` arms Answer now: POST /v1/chat/completions/control {id, action:
    // "reasoning_end"} then ends the thinking of the running completion, whose stream goes on with
    // the answer (tools/server/server-common.cpp, the reasoning-budget block; server-context.cpp,
    // post_control). Servers without them ignore both fields.
    honours: { ...SAMPLING, reasoningEffort: true, thinkingBudget: true },
    endThinking: 'llamacpp-control',
    extraBody: ({ reasoningEffort, thinkingBudget }) => ({
      reasoning_format: 'deepseek',
      reasoning_control: true,
      ...(thinkingBudget ? { thinking_budget_tokens: thinkingBudget } : {}),
      ...(reasoningEffort === 'none' ? { reasoning_effort: 'none' } : {}),
    }),
    limits: {
      discovery: 'llamacpp-props',
      assumedWindow: 4096,
      windowPerRequest: false,
      tokenCount: 'llamacpp-tokenize',
      answerConstraint: 'json-schema',
      freeThinking: 'Start a current llama-server with --reasoning-format deepseek (not none), so the schema applies after the thinking.',
      thinkingSwitch: 'per-request',
      raiseWindow: 'Start llama-server with a larger --ctx-size (-c), or select less code.',
    },
  },
  vllm: {
    id: 'vllm',
    label: 'vLLM',
    defaultBaseUrl: 'http://127.0.0.1:8000/v1',
    defaultModel: 'deepseek-ai/DeepSeek-R1-Distill-Qwen-7B',
    hosted: false,
    localServer: true,
    requiresApiKey: false,
    requiresBaseUrl: false,
    // Reasoning is split by the server's --reasoning-parser; structured output applies to the answer.
    honours: { ...SAMPLING, jsonAnswer: true, thinkingBudget: true },
    // `thinking_token_budget` ends the thinking at that many tokens when vLLM runs with
    // --reasoning-config (vLLM docs, "Reasoning Outputs", thinking budget); otherwise ThinkLens counts.
    extraBody: ({ thinkingBudget }) => (thinkingBudget ? { thinking_token_budget: thinkingBudget } : {}),
    limits: {
      discovery: 'openai-models',
      assumedWindow: 8192,
      windowPerRequest: false,
      tokenCount: 'vllm-tokenize',
      // Only with --reasoning-parser does vLLM hold the schema off the thinking (vLLM docs, "Reasoning Outputs").
      answerConstraint: 'json-schema',
      freeThinking: 'Start vLLM with --reasoning-parser (deepseek_r1 for R1 models), so the schema applies after the thinking.',
      thinkingSwitch: 'server',
      raiseWindow: 'Start vLLM with a larger --max-model-len, or select less code.',
    },
  },
  sglang: {
    id: 'sglang',
    label: 'SGLang',
    defaultBaseUrl: 'http://127.0.0.1:30000/v1',
    defaultModel: 'deepseek-ai/DeepSeek-R1-Distill-Qwen-7B',
    hosted: false,
    localServer: true,
    requiresApiKey: false,
    requiresBaseUrl: false,
    honours: SAMPLING,
    extraBody: () => ({ separate_reasoning: true }),
    limits: {
      discovery: 'openai-models',
      assumedWindow: 8192,
      windowPerRequest: false,
      tokenCount: 'sglang-tokenize',
      // Only with --reasoning-parser does SGLang separate the thinking (SGLang docs, "Reasoning Parser").
      answerConstraint: 'json-schema',
      freeThinking: 'Start SGLang with --reasoning-parser (deepseek-r1 for R1 models), so the schema applies after the thinking.',
      thinkingSwitch: 'server',
      raiseWindow: 'Start SGLang with a larger --context-length, or select less code.',
    },
  },
  'openai-compatible': {
    id: 'openai-compatible',
    label: 'OpenAI-compatible server',
    hosted: false,
    localServer: false,
    requiresApiKey: false,
    requiresBaseUrl: true,
    honours: SAMPLING,
    extraBody: none,
    limits: {
      // Many servers list `max_model_len` or `context_length`; the rest get a cautious guess.
      discovery: 'openai-models',
      assumedWindow: 8192,
      windowPerRequest: false,
      answerConstraint: 'none',
      thinkingSwitch: 'server',
      raiseWindow: "Give the server's model a larger context window, or select less code.",
    },
  },
  local: {
    id: 'local',
    label: 'Local model',
    hosted: false,
    localServer: false,
    requiresApiKey: false,
    requiresBaseUrl: false,
    // node-llama-cpp's `budgets.thoughtTokens` ends the thought segment in process (localRun.ts).
    honours: { ...SAMPLING, jsonAnswer: true, thinkingBudget: true },
    extraBody: none,
    limits: {
      discovery: 'local-setting',
      assumedWindow: 16_384,
      windowPerRequest: false,
      answerConstraint: 'grammar',
      thinkingSwitch: 'per-request',
      raiseWindow: 'Give the local model a larger context (memory permitting), or select less code.',
    },
  },
};

/** The variables an API key is read from, in order. */
export function apiKeyEnvNames(preset: Preset): string[] {
  return preset.apiKeyEnv ? [GENERIC_API_KEY_ENV, preset.apiKeyEnv] : [GENERIC_API_KEY_ENV];
}

/** The constraint a chat-completions body carries, read from the body itself (what was really sent). */
export function constraintInBody(body: Readonly<Record<string, unknown>>): AnswerConstraint {
  const format = body.response_format;
  const type = typeof format === 'object' && format !== null ? (format as { type?: unknown }).type : undefined;
  return type === 'json_schema' ? 'json-schema' : type === 'json_object' ? 'json-object' : 'none';
}

/** The chat-completions body for a request, with only the options this preset honours. */
export function requestBody(preset: Preset, model: string, request: BackendRequest): Record<string, unknown> {
  const { honours } = preset;
  const body: Record<string, unknown> = {
    model,
    // Only role and content: earlier assistant turns carry their answer, never their reasoning.
    messages: request.messages.map((m) => ({ role: m.role, content: m.content })),
    stream_options: { include_usage: true },
  };
  if (request.maxTokens !== undefined) body.max_tokens = request.maxTokens;
  if (honours.temperature && request.temperature !== undefined) body.temperature = request.temperature;
  if (honours.topP && request.topP !== undefined) body.top_p = request.topP;
  if (honours.seed && request.seed !== undefined) body.seed = request.seed;
  const extra = preset.extraBody(request);
  if (!honours.jsonAnswer) delete extra.response_format;
  else if (request.jsonAnswer && !('response_format' in extra)) extra.response_format = { type: 'json_object' };
  // The contract's schema, where the server holds the answer (never the thinking) to it.
  if (request.answerSchema && preset.limits.answerConstraint === 'json-schema') {
    extra.response_format = { type: 'json_schema', json_schema: { name: 'thinklens_answer', schema: request.answerSchema } };
  }
  return { ...body, ...extra };
}
