// The engine's public types: what backends emit, what the answer contract holds, and what a run
// needs. Everything that crosses from core to the CLI or the extension is declared here.

import type { Category, Confidence, Severity } from './contract';
import type { DocumentKind } from './documentKind';
import type { ThinkingSteer } from './thinking';

/** One event of a model's streamed response (docs/ARCHITECTURE.md, step 4 of a run). */
export type ReasoningEvent =
  | { readonly kind: 'reasoning'; readonly text: string }
  | { readonly kind: 'answer'; readonly text: string }
  | { readonly kind: 'usage'; readonly usage: Usage }
  | { readonly kind: 'done'; readonly finishReason: string; readonly observed?: WireObservation };

/** How a server can hold the answer to the contract (docs/limits.md "Constrained answers"). */
export type AnswerConstraint =
  /** `response_format: {type: 'json_schema'}` with the contract's schema (Ollama: `format`). */
  | 'json-schema'
  /** `response_format: {type: 'json_object'}`: valid JSON, any shape. */
  | 'json-object'
  /** The in-process model's grammar, applied once the thought has ended. */
  | 'grammar'
  /** Nothing: the prompt contract, then one repair turn if the JSON is missing. */
  | 'none';

/**
 * What one exchange showed about the server, sent with `done` by the backends that talk to one:
 * the constraint the request really carried (not what the preset hopes) and where the reasoning
 * arrived. The run decides from it whether the constraint silenced the thinking and whether the
 * answer was really held to the contract (plannedRun.ts); the profile remembers it (profile.ts).
 */
export interface WireObservation {
  readonly constraint: AnswerConstraint;
  /** A separate field (`reasoning_content`, `reasoning`, Ollama's `thinking`), inline `<think>` in content, or none at all. */
  readonly reasoning: 'field' | 'inline' | 'none';
}

export interface Usage {
  promptTokens: number;
  completionTokens: number;
  /** Tokens spent thinking, when the server reports them. */
  reasoningTokens?: number;
  /** Prompt tokens served from the provider's cache. */
  cachedPromptTokens?: number;
  /** Cost in US dollars, when the server reports it or the price table knows the model. */
  costUsd?: number;
  /** Local backends: generated tokens per second. */
  tokensPerSecond?: number;
  /**
   * `promptTokens` is not this request's prompt alone (Ollama's restart under `format` reads the
   * prompt and the thinking again), so it does not calibrate the token estimate.
   */
  promptTokensUncertain?: boolean;
}

export interface ChatMessage {
  readonly role: 'user' | 'assistant';
  /** For assistant turns only the final answer, never the reasoning (docs/ARCHITECTURE.md "Conversations"). */
  readonly content: string;
}

export type ReasoningEffort = 'none' | 'low' | 'medium' | 'high' | 'max';

export interface BackendRequest {
  readonly messages: readonly ChatMessage[];
  readonly temperature?: number;
  readonly topP?: number;
  readonly seed?: number;
  readonly maxTokens?: number;
  readonly reasoningEffort?: ReasoningEffort;
  /**
   * Reasoning tokens this request may spend. Sent in the server's own field where it has one
   * (presets.ts `thinkingBudget`); elsewhere run.ts counts the streamed reasoning and asks for the answer.
   */
  readonly thinkingBudget?: number;
  /** Ask the server for a JSON-object answer where the preset says it works while thinking. */
  readonly jsonAnswer?: boolean;
  /**
   * The window the plan sized for this request (prompt + reasoning reserve + answer). Servers that
   * take a window per request (Ollama's `num_ctx`) get it; the others only use it to check.
   */
  readonly contextWindow?: number;
  /**
   * The answer contract as a JSON schema. A backend whose server constrains the answer *after* the
   * thinking (vLLM/SGLang/llama.cpp/LM Studio `json_schema`, Ollama `format`, the local grammar)
   * applies it; the others ignore it.
   */
  readonly answerSchema?: Readonly<Record<string, unknown>>;
}

/** What a server says about a model, read from the server itself (see `Backend.describe`). */
export interface ServerFacts {
  /** Tokens one request may use now: the loaded window (llama.cpp n_ctx, LM Studio loaded length). */
  readonly contextWindow?: number;
  /** The most the model takes when asked per request (Ollama's model maximum from /api/show). */
  readonly maxContextWindow?: number;
  /** The most one answer may be (thinking included), when the server caps it below the window. */
  readonly maxOutputTokens?: number;
  /** The model thinks (Ollama capabilities, a reasoning parser); undefined when the server does not say. */
  readonly thinks?: boolean;
  /** Where the numbers came from (`/props`, `/api/show`, `known`), for logs and docs. */
  readonly source: string;
}

export interface Backend {
  /** Preset id, e.g. `deepseek` or `local`. */
  readonly id: BackendId;
  readonly model: string;
  /** True when code leaves the machine (hosted API); the extension asks consent first. */
  readonly hosted: boolean;
  /** The API root the code is sent to (`https://api.deepseek.com`); undefined for the in-process model. */
  readonly endpoint?: string;
  /**
   * Streams one request. A backend that can end the running request's thinking in place offers it
   * through `steer` (thinking.ts); the others ignore it and run.ts hands the reasoning over instead.
   */
  stream(request: BackendRequest, signal: AbortSignal, steer?: ThinkingSteer): AsyncIterable<ReasoningEvent>;
  /** Asks the server about its window and the model; never throws for a server that says nothing. */
  describe?(signal: AbortSignal): Promise<ServerFacts>;
  /**
   * The prompt's tokens as the server counts them (chat template applied), or undefined when it
   * cannot say (no such endpoint, an error): then the planner's estimate stands. Never throws
   * except when cancelled.
   */
  countTokens?(messages: readonly ChatMessage[], signal: AbortSignal): Promise<number | undefined>;
  dispose?(): void | Promise<void>;
}

export const BACKEND_IDS = [
  'deepseek',
  'openrouter',
  'ollama',
  'lmstudio',
  'llamacpp',
  'vllm',
  'sglang',
  'openai-compatible',
  'local',
] as const;
export type BackendId = (typeof BACKEND_IDS)[number];

export interface LocalModelOptions {
  /** Absolute path of a GGUF file. */
  readonly modelPath: string;
  readonly gpu?: 'auto' | 'cpu' | 'cuda' | 'vulkan' | 'metal';
  /** Threads for generation; default is the real core count. */
  readonly threads?: number;
  readonly contextSize?: number;
  /** Unload the model after this many seconds without a run. */
  readonly idleUnloadSeconds?: number;
}

export interface BackendConfig {
  readonly backend: BackendId;
  /** Overrides the preset's base URL (OpenAI-compatible backends). */
  readonly baseUrl?: string;
  /** Overrides the preset's default model. */
  readonly model?: string;
  readonly apiKey?: string;
  /** Seconds to wait for the response headers (connect and queueing); reasoning may then stream for long. */
  readonly requestTimeoutSeconds?: number;
  /** A stream that sends nothing for this long fails with `timeout`. */
  readonly idleTimeoutSeconds?: number;
  /** Retries for 429/5xx before the first token; never after. */
  readonly maxRetries?: number;
  /**
   * False: a 429 fails at once (with its Retry-After) instead of being retried inside the backend,
   * for a caller that schedules retries itself and adapts its concurrency (the CLI's queue).
   */
  readonly retryRateLimits?: boolean;
  readonly local?: LocalModelOptions;
}

export type BackendErrorKind =
  | 'auth'
  | 'out-of-balance'
  | 'rate-limit'
  | 'model-not-found'
  | 'context-too-long'
  | 'network'
  | 'timeout'
  | 'server'
  | 'bad-response'
  | 'cancelled'
  | 'setup';

// ---- The answer contract (its values and schema live in contract.ts) ----

export type { Category, Severity } from './contract';

export type { Confidence } from './contract';

/** A passage of the run's reasoning: 0-based character offsets, end exclusive, and its text. */
export interface EvidencePassage {
  readonly start: number;
  readonly end: number;
  readonly text: string;
}

/** 1-based inclusive line range, absolute in the file. */
export interface LineRange {
  readonly startLine: number;
  readonly endLine: number;
}

/** A precise range: 1-based lines, 0-based UTF-16 columns, end exclusive. */
export interface TextRange {
  readonly startLine: number;
  readonly startColumn: number;
  readonly endLine: number;
  readonly endColumn: number;
}

export interface Fix extends LineRange {
  readonly replacement: string;
  /**
   * Set when the fix deletes most of the reviewed code: why it needs a person's explicit look. Such
   * a fix is never applied in one click or by a fix-all.
   */
  readonly destructive?: string;
}

export interface Finding extends LineRange {
  readonly title: string;
  readonly severity: Severity;
  readonly category: Category;
  readonly quote?: string;
  readonly explanation: string;
  readonly fix?: Fix;
  /** The quote was not found near the stated lines; the lines are the model's own claim. */
  readonly locationUncertain: boolean;
  /** Where the quote sits, when it was found (may be part of a line). */
  readonly range?: TextRange;
  /** Why the fix was withheld (e.g. it reaches outside the code under review). */
  readonly fixRefused?: string;
  /**
   * Identity across runs, samples and edits: normalized quoted code, enclosing symbol and category,
   * never line numbers (see `fingerprint.ts`).
   */
  readonly fingerprint: string;
  /** The confidence the model stated in its answer, when it did. */
  readonly statedConfidence?: Confidence;
  /** The passages of the reasoning that led to this finding (empty when none was found). */
  readonly evidence: readonly EvidencePassage[];
  /** The model's statement combined with what was checked (see `provenance.ts`). */
  readonly confidence: Confidence;
  /** Why the confidence is not high, for people. */
  readonly confidenceReasons: readonly string[];
  /** With several samples: in how many of them this finding (by fingerprint) came up. */
  readonly agreement?: Agreement;
  /** With several samples: which one (0-based) this finding's text and evidence come from. */
  readonly sample?: number;
}

export interface Agreement {
  readonly count: number;
  readonly of: number;
}

export interface ParsedAnswer {
  readonly summary: string;
  readonly findings: readonly Finding[];
  /**
   * The explanation for the person (markdown): the answer's text around the JSON block, or the
   * contract's `explanation` field when the answer was JSON alone.
   */
  readonly prose: string;
  /** Set when the JSON block was missing or broken; the run still succeeds with no findings. */
  readonly problem?: string;
  /** No JSON with the contract's shape was found at all (a repair turn may ask for it). */
  readonly jsonMissing?: boolean;
}

// ---- What a run looks at ----

/** What a review concentrates on; shapes the prompt and filters the findings. */
export const FOCUS_AREAS = ['bugs', 'edge-cases', 'security', 'performance'] as const;
export type Focus = (typeof FOCUS_AREAS)[number];

export type RunKind = 'explain' | 'review';

/** A diagnostic from another tool on the lines under review. */
export interface ForeignDiagnostic {
  readonly line: number;
  readonly message: string;
  readonly source?: string;
  readonly severity?: Severity;
}

/** Reference code shown to the model but not editable (enclosing symbol, called signatures). */
export interface ContextSnippet {
  readonly label: string;
  readonly startLine: number;
  readonly text: string;
}

export interface CodeUnderReview {
  readonly kind: RunKind;
  /**
   * A proof gets a referee's questions and prose-tolerant quote matching; code (the default) a code
   * reviewer's. Callers infer it with `documentKindOf` unless the person chose (Check This Proof, `--kind`).
   */
  readonly document?: DocumentKind;
  /** Workspace-relative or absolute path, shown to the model. */
  readonly path: string;
  readonly languageId: string;
  /** The whole file's text (line numbers and fixes are checked against it). */
  readonly fileText: string;
  /** The editable lines: selection, file, or changed hunks. */
  readonly ranges: readonly LineRange[];
  readonly context?: readonly ContextSnippet[];
  readonly diagnostics?: readonly ForeignDiagnostic[];
  /** Free text from the person or the diagnostic being explained. */
  readonly question?: string;
  /** Only these kinds of problem are wanted (empty or undefined: all of them). */
  readonly focus?: readonly Focus[];
}
