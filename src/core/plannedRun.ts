// Runs a plan (plan.ts): each planned request in turn, then the endings the plan cannot foresee.
// - DeepSeek's JSON mode can answer with blank content: that request is sent once more without it.
// - An answer with no readable JSON, from a server that could not constrain it, gets one short
//   repair turn (the answer sent back, thinking off where the server allows, asking only for the JSON).
// - A request that ran out of tokens while still thinking says so with the numbers and what to do.
// - A file reviewed in parts has its findings merged and duplicates (same fingerprint) dropped.
// The CLI and the extension call `prepareRun` then `runPlanned`; they differ only in where events go.

import type { BackendProfile } from './backends/profile';
import { sessionProfiles, type ProfileCache } from './backends/profile';
import { answerShape } from './contract';
import { BackendError } from './errors';
import type { Remedy } from './remedies';
import {
  MAX_TOKENS_REMEDIES,
  messagesOf,
  windowRemedies,
  planRun,
  type PlanInput,
  type PlannedRequest,
  type RefusedPlan,
  type RunPlan,
  type RunSettings,
} from './plan';
import { runAnalysis, type RunOutput } from './run';
import { estimateTokens, formatCount, formatLines, stripThink } from './text';
import type { Backend, ChatMessage, CodeUnderReview, Finding, ParsedAnswer, ReasoningEvent, Usage } from './types';

export interface PlannedRunOutput extends RunOutput {
  readonly plan: RunPlan | RefusedPlan;
  /** Things the person should know about how the run went (also folded into `parsed.problem`). */
  readonly notes: readonly string[];
  /** A repair turn asked the model for its JSON. */
  readonly repaired: boolean;
}

/** Resolves the backend's profile (once per session) and plans the run. */
export async function prepareRun(
  backend: Backend,
  input: Omit<PlanInput, 'profile'>,
  signal: AbortSignal,
  profiles: ProfileCache = sessionProfiles,
): Promise<RunPlan | RefusedPlan> {
  const profile = await profiles.resolve(backend, signal);
  return planRun({ ...input, profile });
}

export interface PlannedRunInput {
  readonly backend: Backend;
  /** The code as the person chose it (a split review's parts are in the plan). */
  readonly code: CodeUnderReview;
  readonly plan: RunPlan | RefusedPlan;
  readonly signal: AbortSignal;
  readonly onEvent?: (event: ReasoningEvent) => void;
  readonly deadlineSeconds?: number;
  /** Where a failed run drops the profile, so the next run asks the server again. */
  readonly profiles?: ProfileCache;
}

export const REPAIR_NOTE = 'The answer had no readable JSON block, so one short repair turn asked the model for it';

export async function runPlanned(input: PlannedRunInput): Promise<PlannedRunOutput> {
  const { backend, plan, signal, onEvent } = input;
  const profiles = input.profiles ?? sessionProfiles;
  if (!plan.ok) {
    return { plan, notes: [], repaired: false, messages: [], reasoning: '', answer: '', error: plan.error };
  }
  const notes: string[] = [...plan.warnings];
  let repaired = false;
  const outputs: { part: PlannedRequest; output: RunOutput; parsed?: ParsedAnswer }[] = [];
  let reasoning = '';
  let answer = '';
  let usage: Usage | undefined;

  const send = async (part: PlannedRequest, request = part.request, forward = onEvent): Promise<RunOutput> => {
    const output = await runAnalysis({
      backend,
      code: part.code,
      request,
      signal,
      deadlineSeconds: input.deadlineSeconds,
      onEvent: forward,
    });
    usage = addUsage(usage, output.usage);
    return output;
  };

  for (const part of plan.requests) {
    if (part.part && part.part.count > 1) {
      const heading = `${part.part.index > 0 ? '\n\n' : ''}— Part ${part.part.index + 1} of ${part.part.count}: lines ${formatLines(part.part.lines)} —\n\n`;
      reasoning += heading;
      onEvent?.({ kind: 'reasoning', text: heading });
    }
    let output = await send(part);
    // DeepSeek in JSON mode answers non-JSON with blank content: once more, as prose and a block.
    if (!output.error && part.request.jsonAnswer && output.answer.trim() === '' && output.finishReason === 'stop') {
      notes.push('The server returned a blank answer in JSON mode, so the request was sent again without it.');
      output = await send(part, { ...part.request, jsonAnswer: false, messages: messagesOf(part.code, part.prompt, false) });
    }
    reasoning += output.reasoning;
    answer += (answer && output.answer ? '\n\n' : '') + output.answer;
    if (output.error) {
      if (output.error.kind !== 'cancelled') profiles.invalidate(backend);
      const error = output.error.kind === 'context-too-long' ? withPlanNumbers(output.error, part, plan.profile) : output.error;
      return { plan, notes, repaired, messages: output.messages, reasoning, answer, usage, finishReason: output.finishReason, error };
    }
    const ending = ranOutWhileThinking(output, part, plan.profile);
    if (ending) {
      if (plan.requests.length === 1) {
        return {
          plan,
          notes,
          repaired,
          messages: output.messages,
          reasoning,
          answer,
          usage,
          finishReason: output.finishReason,
          error: ending,
        };
      }
      notes.push(`Part ${part.part!.index + 1} (lines ${formatLines(part.part!.lines)}): ${ending.message}`);
      outputs.push({ part, output });
      continue;
    }
    let parsed = output.parsed;
    if (parsed?.jsonMissing && output.answer.trim() !== '' && canRepair(plan.profile)) {
      // The repair turn only reformats the answer: its own thinking stays out of the trace, which
      // is the model's reasoning about the code (and what evidence offsets point into).
      const fromRepair = await repairTurn(part, output, plan.profile, send);
      repaired = true;
      notes.push(fromRepair ? `${REPAIR_NOTE}.` : `${REPAIR_NOTE}, and it gave none either.`);
      if (fromRepair) parsed = { ...fromRepair, prose: parsed.prose || fromRepair.prose };
    }
    if (output.finishReason === 'length' && output.answer.trim() !== '') {
      notes.push(`The answer was cut at the token limit (${part.request.maxTokens} tokens).`);
    }
    outputs.push({ part, output, parsed });
  }

  const last = outputs[outputs.length - 1]!.output;
  const parsed = mergeParsed(outputs, notes);
  return { plan, notes, repaired, messages: last.messages, reasoning, answer, usage, finishReason: last.finishReason, parsed };
}

function canRepair(profile: BackendProfile): boolean {
  // A server that holds the answer to the schema (or the local grammar) has nothing to repair.
  return profile.answerConstraint === 'none' || profile.answerConstraint === 'json-object';
}

async function repairTurn(
  part: PlannedRequest,
  output: RunOutput,
  profile: BackendProfile,
  send: (part: PlannedRequest, request: PlannedRequest['request'], forward?: (e: ReasoningEvent) => void) => Promise<RunOutput>,
): Promise<ParsedAnswer | undefined> {
  const messages: ChatMessage[] = [
    ...part.request.messages,
    { role: 'assistant', content: stripThink(output.answer).trim() },
    {
      role: 'user',
      content:
        'Your answer has no readable JSON block. Reply with only that JSON object, for the answer you just gave ' +
        `(no prose, no code fences), of this shape:\n${answerShape(false, part.code.document === 'proof')}`,
    },
  ];
  const promptTokens = estimateTokens(messages.map((m) => m.content).join('\n')) + 64;
  const window = part.request.contextWindow ?? profile.contextWindow;
  const thinkingOff = profile.thinkingSwitch === 'per-request';
  const maxTokens = Math.min(window - promptTokens, thinkingOff ? part.answerReserve * 2 : (part.request.maxTokens ?? Infinity));
  if (maxTokens < part.answerReserve / 2) return undefined;
  const repair = await send(
    part,
    { ...part.request, messages, maxTokens, jsonAnswer: false, ...(thinkingOff ? { reasoningEffort: 'none' as const } : {}) },
    undefined,
  );
  return repair.error || !repair.parsed || repair.parsed.jsonMissing ? undefined : repair.parsed;
}

/** "Ran out of tokens while thinking (N of M)": the length limit came before any answer. */
function ranOutWhileThinking(output: RunOutput, part: PlannedRequest, profile: BackendProfile): BackendError | undefined {
  if (output.finishReason !== 'length' || output.answer.trim() !== '' || output.reasoning.trim() === '') return undefined;
  const limit = part.request.maxTokens;
  const spent = output.usage?.reasoningTokens ?? output.usage?.completionTokens ?? estimateTokens(output.reasoning);
  const of = limit !== undefined ? `${formatCount(spent)} of ${formatCount(limit)}` : formatCount(spent);
  const remedies: readonly Remedy[] =
    part.limitedBy === 'setting'
      ? MAX_TOKENS_REMEDIES
      : part.limitedBy === 'server'
        ? [{ kind: 'advice', text: `The server caps one answer at ${limit} tokens; lower the reasoning effort or select less code.` }]
        : [...windowRemedies(profile), { kind: 'advice', text: 'A lower reasoning effort also helps.' }];
  return new BackendError(
    'context-too-long',
    `The model ran out of tokens while thinking (${of}) and wrote no answer; its reasoning is kept.`,
    remedies,
  );
}

/** A server that still refused the prompt: say what the plan sent, so the numbers can be compared. */
function withPlanNumbers(error: BackendError, part: PlannedRequest, profile: BackendProfile): BackendError {
  const window = part.request.contextWindow ?? profile.contextWindow;
  const note =
    `ThinkLens planned about ${formatCount(part.promptTokens)} prompt tokens and max_tokens ` +
    `${part.request.maxTokens ?? 'unset'} for a ${formatCount(window)}-token window (${profile.windowSource}); ` +
    'the window is asked again on the next run.';
  return new BackendError(error.kind, error.message, error.remedies, {
    ...(error.status !== undefined ? { status: error.status } : {}),
    ...(error.detail ? { detail: error.detail } : {}),
    note: error.note ? `${error.note} ${note}` : note,
    cause: error,
  });
}

function mergeParsed(outputs: readonly { part: PlannedRequest; parsed?: ParsedAnswer }[], notes: readonly string[]): ParsedAnswer {
  const parsedParts = outputs.filter((o): o is { part: PlannedRequest; parsed: ParsedAnswer } => o.parsed !== undefined);
  const several = outputs.length > 1;
  const seen = new Set<string>();
  const findings: Finding[] = [];
  for (const { parsed } of parsedParts) {
    for (const finding of parsed.findings) {
      // Parts overlap: a problem on a boundary is found twice, with the same fingerprint.
      const key = finding.fingerprint || `${finding.startLine}:${finding.category}:${finding.title}`;
      if (seen.has(key)) continue;
      seen.add(key);
      findings.push(finding);
    }
  }
  const label = (part: PlannedRequest) => (part.part ? `**Lines ${formatLines(part.part.lines)}**\n\n` : '');
  const prose = parsedParts
    .filter((p) => p.parsed.prose.trim() !== '')
    .map((p) => (several ? label(p.part) : '') + p.parsed.prose)
    .join('\n\n');
  const summary = parsedParts
    .map((p) => p.parsed.summary.trim())
    .filter(Boolean)
    .join(several ? '\n\n' : ' ');
  const problems = [...parsedParts.map((p) => p.parsed.problem).filter((p): p is string => Boolean(p)), ...notes];
  const problem = [...new Set(problems)].join(' ');
  const jsonMissing = parsedParts.length > 0 && parsedParts.every((p) => p.parsed.jsonMissing);
  return { summary, findings, prose, ...(problem ? { problem } : {}), ...(jsonMissing ? { jsonMissing } : {}) };
}

function addUsage(total: Usage | undefined, more: Usage | undefined): Usage | undefined {
  if (!more) return total;
  if (!total) return more;
  const sum = (a?: number, b?: number) => (a === undefined && b === undefined ? undefined : (a ?? 0) + (b ?? 0));
  const merged: Usage = {
    promptTokens: total.promptTokens + more.promptTokens,
    completionTokens: total.completionTokens + more.completionTokens,
  };
  const reasoningTokens = sum(total.reasoningTokens, more.reasoningTokens);
  const cachedPromptTokens = sum(total.cachedPromptTokens, more.cachedPromptTokens);
  const costUsd = sum(total.costUsd, more.costUsd);
  return {
    ...merged,
    ...(reasoningTokens !== undefined ? { reasoningTokens } : {}),
    ...(cachedPromptTokens !== undefined ? { cachedPromptTokens } : {}),
    ...(costUsd !== undefined ? { costUsd } : {}),
    ...(more.tokensPerSecond !== undefined ? { tokensPerSecond: more.tokensPerSecond } : {}),
  };
}

export type { RunSettings };
