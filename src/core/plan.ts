// The one planner: how a run fits the window of the server it goes to. The CLI and the extension
// both call `planRun` with the backend profile and the person's settings, so the same code and the
// same settings give the same requests wherever they start.
//
// The rules, in order (docs/limits.md):
// 1. Room is kept for the answer (`answerReserve`) and, for a model that thinks, for its thinking
//    (`reasoningReserve`, aiming at DESIRED_REASONING, never planned below MIN_REASONING).
// 2. Reference context gives way first (the prompt builder drops the least important snippet).
// 3. A file review still too long is split at symbol or blank-line boundaries into overlapping
//    parts, each its own request; their findings are merged and duplicates dropped (run.ts).
// 4. Code the person selected that cannot fit is refused before any request, with the numbers.
// 5. `max_tokens` is what the window leaves after the prompt, capped by the setting and the server.
// 6. Where the window is set per request (Ollama), it is sized to prompt + reserves, up to the
//    model's maximum. No request ever relies on a server truncating.

import type { BackendProfile } from './backends/profile';
import { droppedConstraintNote } from './backends/profile';
import { answerJsonSchema } from './contract';
import { BackendError } from './errors';
import type { Remedy } from './remedies';
import { buildFollowUp, buildPrompt, editableRanges } from './prompt';
import { estimateTokens, formatCount, formatLines, splitLines } from './text';
import type { BackendRequest, ChatMessage, CodeUnderReview, LineRange, ReasoningEffort } from './types';

/** The person's settings that shape a request; the CLI's flags and the extension's settings map here. */
export interface RunSettings {
  readonly temperature?: number;
  readonly topP?: number;
  readonly seed?: number;
  /** A cap on one answer, thinking included; the window may leave less. */
  readonly maxTokens?: number;
  readonly reasoningEffort?: ReasoningEffort;
  /** Reasoning tokens one request may spend before the answer is asked for; undefined: no limit. */
  readonly thinkingBudget?: number;
}

/** Thinking an R1-style model is given room for when the window allows. */
export const DESIRED_REASONING = 8192;
/** Below this the model is likely to run out mid-thought: the plan warns. */
export const WARN_REASONING = 1024;
/** Less than this is no room to think at all: the code does not fit. */
export const MIN_REASONING = 256;
/** The chat template's tokens around the messages, and the estimate's slack. */
const TEMPLATE_TOKENS = 64;
/** Without a cap from the person or the server, one answer stops here. */
const DEFAULT_OUTPUT_CAP = 32_768;
/** A per-request window is asked for in steps of this many tokens. */
const WINDOW_STEP = 1024;

export interface PlannedRequest {
  /** The code this request reviews (a part of the file when split). */
  readonly code: CodeUnderReview;
  /** Set when a file review was split: which part, and its lines. */
  readonly part?: { readonly index: number; readonly count: number; readonly lines: LineRange };
  readonly request: BackendRequest;
  /** How the messages were built, so the run can build them again without JSON mode. */
  readonly prompt: PromptRecipe;
  /** The prompt's tokens as planned: the server's count, or the calibrated estimate. */
  readonly promptTokens: number;
  /** The plain estimate of the same prompt (before calibration), what a server's count is compared with. */
  readonly promptEstimate: number;
  readonly reasoningReserve: number;
  readonly answerReserve: number;
  /** What set `max_tokens`: the room the window leaves, the person's setting, or the server's cap. */
  readonly limitedBy: 'window' | 'setting' | 'server';
}

export type PromptRecipe =
  | { readonly kind: 'code'; readonly contextTokenBudget?: number }
  | { readonly kind: 'follow-up'; readonly history: readonly ChatMessage[]; readonly question: string };

/** The messages of a planned request, with the answer asked as JSON alone or as prose and a block. */
export function messagesOf(code: CodeUnderReview, recipe: PromptRecipe, jsonOnlyAnswer: boolean): ChatMessage[] {
  return recipe.kind === 'follow-up'
    ? buildFollowUp(recipe.history, recipe.question, { jsonOnlyAnswer })
    : buildPrompt(code, { jsonOnlyAnswer, contextTokenBudget: recipe.contextTokenBudget });
}

export interface RunPlan {
  readonly ok: true;
  readonly profile: BackendProfile;
  readonly requests: readonly PlannedRequest[];
  /** Visible notes: a small reasoning reserve, an assumed window, reference context left out. */
  readonly warnings: readonly string[];
  /** The settings it was planned with, to plan a request again after a server refused it. */
  readonly settings: RunSettings;
}

export interface RefusedPlan {
  readonly ok: false;
  readonly profile: BackendProfile;
  readonly error: BackendError;
  /** The one prompt that did not fit (a selection, a follow-up), so a server that counts can be asked whether it does. */
  readonly prompt?: readonly ChatMessage[];
}

export interface PlanInput {
  readonly code: CodeUnderReview;
  readonly profile: BackendProfile;
  readonly settings?: RunSettings;
  /** Earlier turns (answers only) and the new question, for a follow-up. */
  readonly followUp?: { readonly history: readonly ChatMessage[]; readonly question: string };
  /**
   * What estimates are multiplied by for this server and model (tokens.ts, `TokenCalibration`):
   * the worst ratio of counted to estimated tokens seen so far; 1 before anything was counted.
   */
  readonly tokenFactor?: number;
  /** Prompt counts the server gave for some of the messages (keyed by `countKey`); they replace the estimate. */
  readonly counted?: ReadonlyMap<string, number>;
}

/** The key of a prompt's count: its messages, as sent. */
export function countKey(messages: readonly ChatMessage[]): string {
  return JSON.stringify(messages.map((m) => [m.role, m.content]));
}

/** What the answer needs: the JSON contract with its explanation and a few findings. */
export function answerReserveFor(window: number): number {
  return Math.round(Math.min(2048, Math.max(768, window / 6)));
}

export function planRun(input: PlanInput): RunPlan | RefusedPlan {
  const { code, profile, settings = {} } = input;
  const thinks = profile.thinks && !(settings.reasoningEffort === 'none' && profile.thinkingSwitch === 'per-request');
  const answerReserve = answerReserveFor(profile.contextWindow);
  const minReasoning = thinks ? MIN_REASONING : 0;
  // Room the prompt may take while thinking keeps its target (at most half of what is left).
  const reasoningTarget = thinks ? Math.min(desiredReasoning(settings), Math.floor((profile.contextWindow - answerReserve) / 2)) : 0;
  const warnings: string[] = [];
  if (profile.windowAssumed) {
    warnings.push(`${assumedBecause(profile)}; ThinkLens assumed ${n(profile.contextWindow)} tokens.`);
  }
  const dropped = droppedConstraintNote(profile);
  if (dropped) warnings.push(dropped);
  const jsonAnswer = profile.answerConstraint !== 'none';
  const shared = requestOptions(profile, settings);

  const factor = Math.max(1, input.tokenFactor ?? 1);
  const estimate = (messages: readonly ChatMessage[]) => estimateTokens(messages.map((m) => m.content).join('\n')) + TEMPLATE_TOKENS;
  const fit = (messages: readonly ChatMessage[]) => input.counted?.get(countKey(messages)) ?? Math.ceil(estimate(messages) * factor);
  const size = (partCode: CodeUnderReview, prompt: PromptRecipe, part?: PlannedRequest['part']): PlannedRequest => {
    const messages = messagesOf(partCode, prompt, jsonAnswer);
    const promptTokens = fit(messages);
    const { window, maxTokens, limitedBy } = outputRoom(profile, settings, promptTokens, answerReserve, thinks);
    return {
      code: partCode,
      ...(part ? { part } : {}),
      prompt,
      request: {
        messages,
        ...shared,
        maxTokens,
        ...(profile.windowPerRequest ? { contextWindow: window } : {}),
      },
      promptTokens,
      promptEstimate: estimate(messages),
      reasoningReserve: thinks ? Math.max(0, maxTokens - answerReserve) : 0,
      answerReserve,
      limitedBy,
    };
  };

  if (input.followUp) {
    const recipe: PromptRecipe = { kind: 'follow-up', history: input.followUp.history, question: input.followUp.question };
    const messages = messagesOf(code, recipe, jsonAnswer);
    const tokens = fit(messages);
    if (tokens + answerReserve + minReasoning > profile.contextWindow) {
      const refused = refuse(
        profile,
        `The conversation so far needs about ${n(tokens)} tokens`,
        tokens,
        answerReserve + minReasoning,
        'Start a new run instead of a follow-up.',
      );
      return { ...refused, prompt: messages };
    }
    return finish({ ok: true, profile, requests: [size(code, recipe)], warnings, settings }, thinks);
  }

  // The prompt builder budgets reference context by the plain estimate.
  const budget = Math.floor((profile.contextWindow - answerReserve - reasoningTarget) / factor);
  const recipe: PromptRecipe = { kind: 'code', contextTokenBudget: budget };
  const whole = messagesOf(code, recipe, jsonAnswer);
  const tokens = fit(whole);
  if (tokens + answerReserve + minReasoning <= profile.contextWindow) {
    return finish({ ok: true, profile, requests: [size(code, recipe)], warnings, settings }, thinks);
  }

  // Too long even without reference context (the builder dropped it all on the way here).
  const lines = splitLines(code.fileText);
  const editable = editableRanges(code, lines.length);
  if (!isWholeFileReview(code, editable, lines.length)) {
    const codeTokens = factor * estimateTokens(editable.map((r) => lines.slice(r.startLine - 1, r.endLine).join('\n')).join('\n'));
    const what = code.kind === 'explain' ? 'The selected code' : 'The code under review';
    const refused = refuse(
      profile,
      `${what} (${editable.map(formatLines).join(', ')}) needs about ${n(Math.ceil(codeTokens))} tokens, with the instructions ${n(tokens)}`,
      tokens,
      answerReserve + minReasoning,
    );
    return { ...refused, prompt: whole };
  }

  // A file review: overlapping parts, each as large as the window allows while thinking keeps its target.
  const overhead = fit(buildPrompt({ ...code, context: [], ranges: [{ startLine: 1, endLine: 1 }] }, { jsonOnlyAnswer: jsonAnswer }));
  const codeBudget = profile.contextWindow - answerReserve - reasoningTarget - overhead;
  const width = String(lines.length).length + 3;
  if (codeBudget < factor * estimateTokens('x'.repeat(width + 80)) * 20) {
    return refuse(
      profile,
      `Even a part of ${code.path} of 20 lines does not fit beside the instructions (${n(overhead)} tokens)`,
      overhead,
      answerReserve + reasoningTarget,
      'Use a model with a larger window.',
    );
  }
  const parts = splitForWindow(lines, codeBudget / factor, width);
  const requests = parts.map((range, index) => {
    const partCode: CodeUnderReview = { ...code, context: [], ranges: [range] };
    return size(partCode, { kind: 'code' }, { index, count: parts.length, lines: range });
  });
  warnings.push(
    `${code.path} is too long for ${profile.model}'s ${n(profile.contextWindow)}-token window in one request; ` +
      `it is reviewed in ${parts.length} overlapping parts (${parts.map(formatLines).join(', ')}).`,
  );
  return finish({ ok: true, profile, requests, warnings, settings }, thinks);
}

/** The window to use and the `max_tokens` it leaves for a prompt of `promptTokens`. */
/** The reasoning a request is planned for: the budget, when the person set one below the usual room. */
function desiredReasoning(settings: RunSettings): number {
  return settings.thinkingBudget !== undefined ? Math.min(DESIRED_REASONING, settings.thinkingBudget) : DESIRED_REASONING;
}

function outputRoom(profile: BackendProfile, settings: RunSettings, promptTokens: number, answerReserve: number, thinks: boolean) {
  const wanted = promptTokens + (thinks ? desiredReasoning(settings) : 0) + answerReserve;
  const window = profile.windowPerRequest
    ? Math.min(profile.contextWindow, Math.ceil(wanted / WINDOW_STEP) * WINDOW_STEP)
    : profile.contextWindow;
  const room = window - promptTokens;
  const setting = settings.maxTokens ?? DEFAULT_OUTPUT_CAP;
  const server = profile.maxOutputTokens ?? Infinity;
  const maxTokens = Math.max(1, Math.floor(Math.min(room, setting, server)));
  const limitedBy = maxTokens === Math.floor(room) ? 'window' : maxTokens === setting ? 'setting' : 'server';
  return { window, maxTokens, limitedBy } as const;
}

function finish(planned: RunPlan, thinks: boolean): RunPlan {
  const plan = oneWindowPerRun(planned);
  if (!thinks) return plan;
  const smallest = Math.min(...plan.requests.map((r) => r.reasoningReserve));
  if (smallest >= WARN_REASONING) return plan;
  const first = plan.requests.find((r) => r.reasoningReserve === smallest)!;
  const why =
    first.limitedBy === 'setting' ? 'Raise the maximum tokens per answer, or lower the reasoning effort.' : plan.profile.raiseWindow;
  return {
    ...plan,
    warnings: [
      ...plan.warnings,
      `Only ${n(smallest)} tokens are left for thinking (an R1-style model often needs thousands); it may run out ` +
        `before it answers. ${why}`,
    ],
  };
}

/**
 * Where the window is set per request (Ollama's `num_ctx`), every request of a run asks for the
 * largest one it needs: a server that changes the window reloads the model (Ollama's scheduler,
 * server/sched.go needsReload, compares the runner's options), so the parts of a split review share
 * one load instead of growing it part by part. Samples plan the same code, so they ask the same.
 */
function oneWindowPerRun(plan: RunPlan): RunPlan {
  const windows = plan.requests.map((r) => r.request.contextWindow).filter((w) => w !== undefined);
  if (windows.length < 2) return plan;
  const contextWindow = Math.max(...windows);
  return { ...plan, requests: plan.requests.map((r) => ({ ...r, request: { ...r.request, contextWindow } })) };
}

/** What to raise when the person's own cap on an answer is what ran short. */
export const MAX_TOKENS_REMEDIES: readonly Remedy[] = [
  { kind: 'raise-option', option: 'maxTokens' },
  { kind: 'advice', text: 'Or lower the reasoning effort.' },
];

/** How to make room in the window: the server's own advice, and for the in-process model our setting. */
export function windowRemedies(profile: BackendProfile): Remedy[] {
  return [
    { kind: 'advice', text: profile.raiseWindow },
    ...(profile.backendId === 'local' ? [{ kind: 'raise-option', option: 'localContextSize' } as const] : []),
  ];
}

function assumedBecause(profile: BackendProfile): string {
  return profile.windowAssumedBecause ?? `${profile.label} did not report ${profile.model}'s context window`;
}

function refuse(profile: BackendProfile, what: string, tokens: number, reserve: number, wayOut?: string): RefusedPlan {
  const source = profile.windowAssumed ? `assumed: ${assumedBecause(profile)}` : `from ${profile.windowSource}`;
  return {
    ok: false,
    profile,
    error: new BackendError(
      'context-too-long',
      `${what}; ${profile.label}'s window for ${profile.model} is ${n(profile.contextWindow)} tokens (${source}) and ` +
        `${n(reserve)} must stay free for thinking and the answer. Nothing was sent.`,
      [...(wayOut ? [{ kind: 'advice', text: wayOut } as const] : []), ...windowRemedies(profile)],
      { detail: `prompt ${tokens} tokens + reserve ${reserve} > window ${profile.contextWindow}` },
    ),
  };
}

function requestOptions(profile: BackendProfile, settings: RunSettings): Omit<BackendRequest, 'messages'> {
  return {
    ...(settings.temperature !== undefined ? { temperature: settings.temperature } : {}),
    ...(settings.topP !== undefined ? { topP: settings.topP } : {}),
    ...(settings.seed !== undefined ? { seed: settings.seed } : {}),
    ...(settings.reasoningEffort !== undefined ? { reasoningEffort: settings.reasoningEffort } : {}),
    ...(settings.thinkingBudget !== undefined ? { thinkingBudget: settings.thinkingBudget } : {}),
    ...(profile.answerConstraint === 'json-object' ? { jsonAnswer: true } : {}),
    ...(profile.answerConstraint === 'json-schema' ? { answerSchema: answerJsonSchema() } : {}),
  };
}

function isWholeFileReview(code: CodeUnderReview, editable: readonly LineRange[], lineCount: number): boolean {
  return code.kind === 'review' && editable.length === 1 && editable[0]!.startLine === 1 && editable[0]!.endLine === lineCount;
}

/** A line where a part may end: blank, or the last before a line that starts a top-level symbol. */
const SYMBOL_START =
  /^(?:export\s|async\s|function\b|class\b|def\s|fn\s|pub\s|func\s|public\s|private\s|protected\s|static\s|const\s|let\s|var\s|interface\s|type\s|impl\b|struct\s|enum\s|module\s|@|#\[|\/\*\*|\/\/\/|package\s|import\s|from\s)/;

/**
 * Lines 1..N cut into parts whose numbered text fits `budget` tokens. A part ends at a blank line or
 * before a top-level symbol when one lies in its last third; the next part starts a few lines
 * earlier (overlap) so a problem on a boundary is seen whole by one of them.
 */
export function splitForWindow(lines: readonly string[], budget: number, prefixWidth: number): LineRange[] {
  // Each line as the prompt shows it: numbered, with its line break.
  const cost = lines.map((line, i) => estimateTokens(`${String(i + 1).padStart(prefixWidth - 3)} | ${line}\n`));
  const parts: LineRange[] = [];
  let start = 1;
  while (start <= lines.length) {
    let end = start;
    let used = cost[start - 1]!;
    while (end < lines.length && used + cost[end]! <= budget) used += cost[end++]!;
    if (end < lines.length) {
      const floor = start + Math.floor(((end - start) * 2) / 3);
      for (let at = end; at > floor; at--) {
        const next = lines[at] ?? '';
        if ((lines[at - 1] ?? '').trim() === '' || SYMBOL_START.test(next)) {
          end = at;
          break;
        }
      }
    }
    parts.push({ startLine: start, endLine: end });
    if (end >= lines.length) break;
    const overlap = Math.min(20, Math.floor((end - start + 1) / 5));
    start = Math.max(start + 1, end + 1 - overlap);
  }
  return parts;
}

function n(value: number): string {
  return formatCount(value);
}
