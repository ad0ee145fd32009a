// Runs a plan (plan.ts): each planned request in turn, then the endings the plan cannot foresee.
// - DeepSeek's JSON mode can answer with blank content: that request is sent once more without it.
// - A request that carried an answer constraint and got no reasoning from a model that thinks is
//   sent once more without it: the constraint silenced the thinking. The profile remembers that for
//   the session, the person is told what to change on the server, and the first answer is kept.
// - An answer with no readable JSON that the server did not hold to the contract (decided from what
//   the request carried and what came back, not from the preset) gets one short repair turn (the
//   answer sent back, thinking off where the server allows, asking only for the JSON).
// - A request that ran out of tokens while still thinking says so with the numbers and what to do.
// - A file reviewed in parts has its findings merged and duplicates (same fingerprint) dropped.
// - Token counts are never trusted low (tokens.ts): where the server counts, each planned prompt is
//   counted before it is sent; every count the server reports afterwards calibrates the estimate
//   for that server and model; a request the server refuses as too long is planned once more with
//   the count it named (a larger window, or smaller parts), or refused with the numbers.
// The CLI and the extension call `prepareRun` then `runPlanned`; they differ only in where events go.

import type { BackendProfile } from './backends/profile';
import { droppedConstraintNote, sessionProfiles, withObservations, type ProfileCache } from './backends/profile';
import { answerShape } from './contract';
import { startDeadline, type RunDeadline } from './deadline';
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
import { countKey } from './plan';
import { runAnalysis, type RunOutput } from './run';
import { addUsage } from './usage';
import { PRESETS } from './backends/presets';
import { combineThinking, type ThinkingRecord, type ThinkingSteer } from './thinking';
import { estimateTokens, formatCount, formatLines, stripThink } from './text';
import { calibrationKey, promptTokensInRefusal, sessionCalibration, type TokenCalibration } from './tokens';
import type { Backend, BackendRequest, ChatMessage, CodeUnderReview, Finding, ParsedAnswer, ReasoningEvent, Usage } from './types';

export interface PlannedRunOutput extends RunOutput {
  /** Undefined when the run ended (deadline, cancel) before this sample was planned. */
  readonly plan?: RunPlan | RefusedPlan;
  /** Things the person should know about how the run went (also folded into `parsed.problem`). */
  readonly notes: readonly string[];
  /** A repair turn asked the model for its JSON. */
  readonly repaired: boolean;
}

/** Rounds of counting and planning again before the plan stands (each round only grows the counts). */
const COUNT_ROUNDS = 3;

/**
 * Resolves the backend's profile (once per session) and plans the run with the calibrated
 * estimate. Where the server counts tokens, every planned prompt is counted; a count above the
 * plan's calibrates the estimate and the run is planned again, so what is sent fits the window.
 */
export async function prepareRun(
  backend: Backend,
  input: Omit<PlanInput, 'profile'>,
  signal: AbortSignal,
  profiles: ProfileCache = sessionProfiles,
  calibration: TokenCalibration = sessionCalibration,
): Promise<RunPlan | RefusedPlan> {
  const profile = await profiles.resolve(backend, signal);
  const key = calibrationKey(backend);
  const plan = () => planRun({ ...input, profile, tokenFactor: calibration.factor(key), counted });
  const counted = new Map<string, number>();
  let current = plan();
  if (!backend.countTokens) return current;
  for (let round = 0; round < COUNT_ROUNDS; round++) {
    // The planned prompts, or the one prompt a refused plan could not fit (the estimate may be high).
    const prompts = current.ok
      ? current.requests.map((r) => ({ messages: r.request.messages, planned: r.promptTokens, estimate: r.promptEstimate }))
      : current.prompt
        ? [{ messages: current.prompt, planned: undefined, estimate: undefined }]
        : [];
    let changed = false;
    for (const prompt of prompts) {
      const messagesKey = countKey(prompt.messages);
      if (counted.has(messagesKey)) continue;
      const count = await backend.countTokens(prompt.messages, signal);
      if (count === undefined) return current; // the server does not count: the estimate stands
      counted.set(messagesKey, count);
      if (prompt.estimate !== undefined) calibration.observe(key, prompt.estimate, count);
      // An undercount calls for a new plan; so does a refusal, whose count may now fit.
      if (prompt.planned === undefined || count > prompt.planned) changed = true;
    }
    // Planned again with the counts in place of the estimates (and, after an undercount, a larger factor).
    current = plan();
    if (!changed) break;
  }
  return current;
}

export interface PlannedRunInput {
  readonly backend: Backend;
  /** The code as the person chose it (a split review's parts are in the plan). */
  readonly code: CodeUnderReview;
  readonly plan: RunPlan | RefusedPlan;
  readonly signal: AbortSignal;
  readonly onEvent?: (event: ReasoningEvent) => void;
  /** The run's one deadline, started by the caller before its first step; every request waits under it. */
  readonly deadline?: RunDeadline;
  /** Without `deadline`: the deadline this plan's requests share, started now. */
  readonly deadlineSeconds?: number;
  /** Where a failed run drops the profile, so the next run asks the server again. */
  readonly profiles?: ProfileCache;
  /** Where the server's counts correct the estimate for the next requests. */
  readonly calibration?: TokenCalibration;
  /** The person's Answer now for this run: it ends the thinking of the running request and of those after it. */
  readonly answerNow?: ThinkingSteer;
}

export const REPAIR_NOTE = 'The answer had no readable JSON block, so one short repair turn asked the model for it';

/** Marks, in the run's answer, an answer that came without thinking under a constraint and was set aside. */
export const SET_ASIDE_LABEL =
  '[Set aside: this answer came with the constraint on and no thinking; the request was sent again without it.]';

export async function runPlanned(input: PlannedRunInput): Promise<PlannedRunOutput> {
  const deadline = input.deadline ?? startDeadline(input.signal, input.deadlineSeconds);
  const thinkingOfParts = new Map<number, ThinkingRecord>();
  try {
    const output = await runPlanUnder(input, deadline, thinkingOfParts);
    const thinking = combineThinking([...thinkingOfParts.values()]);
    return thinking ? { ...output, thinking } : output;
  } finally {
    if (!input.deadline) deadline.dispose();
  }
}

async function runPlanUnder(
  input: PlannedRunInput,
  deadline: RunDeadline,
  thinkingOfParts: Map<number, ThinkingRecord>,
): Promise<PlannedRunOutput> {
  const { backend, plan, signal, onEvent } = input;
  const profiles = input.profiles ?? sessionProfiles;
  const calibration = input.calibration ?? sessionCalibration;
  const calibrationOf = calibrationKey(backend);
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
    // The analysis itself is steered (Answer now, the budget); a repair turn only reformats it.
    const steered = forward === onEvent;
    const output = await runAnalysis({
      backend,
      code: part.code,
      request,
      signal,
      deadline,
      onEvent: forward,
      ...(steered ? thinkingSteering(input.answerNow, plan.profile) : {}),
    });
    usage = addUsage(usage, output.usage);
    if (steered && output.thinking) thinkingOfParts.set(part.part?.index ?? 0, output.thinking);
    return output;
  };
  /** The deadline passed: what the finished parts found is kept, and the error says how far the run got. */
  const stoppedByDeadline = (last?: RunOutput): PlannedRunOutput => {
    const count = plan.requests.length;
    const progress = count > 1 ? `${outputs.length} of ${count} parts` : undefined;
    return {
      plan,
      notes,
      repaired,
      messages: last?.messages ?? outputs.at(-1)?.output.messages ?? [],
      reasoning,
      answer,
      usage,
      ...(last?.finishReason ? { finishReason: last.finishReason } : {}),
      ...(outputs.length ? { parsed: mergeParsed(outputs, notes) } : {}),
      error: deadline.error(progress),
    };
  };

  /** The server showed that a constraint binds the thinking: later parts go without it. */
  let constraintOff = false;
  /** The note about the constraint was given (by the plan's warnings, or by this run). */
  let constraintNoted = plan.profile.constraintDropped !== undefined;
  /** What the server showed so far, applied to the plan's profile. */
  const observe = (output: RunOutput, request: BackendRequest): BackendProfile =>
    output.observed
      ? withObservations(plan.profile, profiles.observe(backend, output.observed, thinkingExpected(plan.profile, request)))
      : plan.profile;

  const queue = [...plan.requests];
  let replanned = false;
  for (let at = 0; at < queue.length; at++) {
    const part = queue[at]!;
    if (deadline.expired) return stoppedByDeadline();
    if (part.part && part.part.count > 1) {
      const heading = `${part.part.index > 0 ? '\n\n' : ''}— Part ${part.part.index + 1} of ${part.part.count}: lines ${formatLines(part.part.lines)} —\n\n`;
      reasoning += heading;
      onEvent?.({ kind: 'reasoning', text: heading });
    }
    let request: BackendRequest = constraintOff ? unconstrained(part) : part.request;
    let output = await send(part, request);
    if (output.usage && !output.usage.promptTokensUncertain) {
      calibration.observe(calibrationOf, part.promptEstimate, output.usage.promptTokens);
    }
    if (output.error && !replanned && output.reasoning === '' && output.answer === '' && undercountShown(output.error, plan.profile)) {
      // The server counted more than the plan did: calibrate from its count and plan this request again, once.
      replanned = true;
      const again = planAfterRefusal(
        output.error,
        part,
        plan,
        calibration,
        calibrationOf,
        plan.requests.length === 1 ? input.code : undefined,
      );
      if (!again.ok) return { plan, notes, repaired, messages: output.messages, reasoning, answer, usage, error: again.error };
      notes.push(
        `${plan.profile.label} refused the prompt as longer than ThinkLens counted (${again.counted}), so it was planned again ` +
          `with that count: ${describeReplan(again.plan)}.`,
      );
      notes.push(...again.plan.warnings.filter((w) => !notes.includes(w)));
      queue.splice(at, 1, ...again.plan.requests);
      at--;
      continue;
    }
    let seen: BackendProfile = output.error ? plan.profile : observe(output, request);
    let resent: Resent = 'no';
    if (!output.error && silencedByConstraint(output, request, seen)) {
      // The first answer came without thinking: kept, marked, and the request is sent once more without the constraint.
      const marker = `${reasoning && !reasoning.endsWith('\n') ? '\n\n' : ''}— No reasoning came while the answer was constrained; sent again without the constraint —\n\n`;
      reasoning += marker;
      onEvent?.({ kind: 'reasoning', text: marker });
      resent = output.answer.trim() ? 'set-aside' : 'empty';
      if (resent === 'set-aside') answer += `${answer ? '\n\n' : ''}${SET_ASIDE_LABEL}\n${output.answer.trim()}`;
      request = unconstrained(part);
      output = await send(part, request);
      if (!output.error) seen = observe(output, request);
    }
    constraintOff = seen.constraintDropped !== undefined;
    if (!constraintNoted && (constraintOff || resent !== 'no')) {
      constraintNoted = true;
      notes.push(constraintOff ? droppedNote(seen, resent) : notThinkingNote(seen, resent));
    }
    // DeepSeek in JSON mode answers non-JSON with blank content: once more, as prose and a block.
    if (!output.error && request.jsonAnswer && output.answer.trim() === '' && output.finishReason === 'stop') {
      notes.push('The server returned a blank answer in JSON mode, so the request was sent again without it.');
      request = { ...request, jsonAnswer: false, messages: messagesOf(part.code, part.prompt, false) };
      output = await send(part, request);
    }
    reasoning += output.reasoning;
    answer += (answer && output.answer ? '\n\n' : '') + output.answer;
    if (deadline.expired) return stoppedByDeadline(output);
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
    if (parsed?.jsonMissing && output.answer.trim() !== '' && !heldToContract(output)) {
      // The repair turn only reformats the answer: its own thinking stays out of the trace, which
      // is the model's reasoning about the code (and what evidence offsets point into).
      const fromRepair = await repairTurn(part, request, output, plan.profile, send);
      repaired = true;
      notes.push(fromRepair ? `${REPAIR_NOTE}.` : `${REPAIR_NOTE}, and it gave none either.`);
      if (fromRepair) parsed = { ...fromRepair, prose: parsed.prose || fromRepair.prose };
      if (deadline.expired) {
        outputs.push({ part, output, parsed });
        return stoppedByDeadline(output);
      }
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

/** Whether a request was sent again without its constraint, and whether its first answer was kept. */
type Resent = 'no' | 'empty' | 'set-aside';

/**
 * A refusal that shows the estimate was low: the server named its count, or it sizes the window
 * per request (Ollama), so a window it refused can only mean more tokens than planned. A fixed
 * window refused without a count may have shrunk instead: that ends the run with the numbers and
 * the profile is asked again.
 */
function undercountShown(error: BackendError, profile: BackendProfile): boolean {
  if (error.kind !== 'context-too-long') return false;
  return (
    promptTokensInRefusal(error.detail) !== undefined || promptTokensInRefusal(error.message) !== undefined || profile.windowPerRequest
  );
}

/**
 * A request the server refused as too long, planned again: the count the server named (else the
 * window it was refused in, plus a quarter) calibrates the estimate; a whole review may now be
 * split, a part or a selection gets a larger window where the server sizes it per request, or the
 * plan refuses with the numbers.
 */
function planAfterRefusal(
  error: BackendError,
  part: PlannedRequest,
  plan: RunPlan,
  calibration: TokenCalibration,
  key: string,
  wholeCode: CodeUnderReview | undefined,
): { ok: true; plan: RunPlan; counted: string } | { ok: false; error: BackendError } {
  const named = promptTokensInRefusal(error.detail) ?? promptTokensInRefusal(error.message);
  const window = part.request.contextWindow ?? plan.profile.contextWindow;
  const count = named ?? Math.ceil(Math.max(window, part.promptTokens) * 1.25);
  calibration.observe(key, part.promptEstimate, count);
  const followUp = part.prompt.kind === 'follow-up' ? { history: part.prompt.history, question: part.prompt.question } : undefined;
  const again = planRun({
    code: wholeCode ?? part.code,
    profile: plan.profile,
    settings: plan.settings,
    tokenFactor: calibration.factor(key),
    ...(followUp ? { followUp } : {}),
  });
  const counted = named !== undefined ? `${formatCount(named)} tokens by its count` : `over ${formatCount(window)} tokens`;
  if (!again.ok) {
    return {
      ok: false,
      // The plan's refusal says nothing was sent; here one request was, and the server refused it.
      error: new BackendError(
        again.error.kind,
        again.error.message.replace(/ Nothing was sent\.$/, ' Nothing more was sent.'),
        again.error.remedies,
        {
          ...(again.error.detail ? { detail: again.error.detail } : {}),
          note: `${plan.profile.label} refused the prompt as too long (${counted}; ThinkLens had planned ${formatCount(part.promptTokens)}).`,
          cause: error,
        },
      ),
    };
  }
  return { ok: true, plan: again, counted };
}

function describeReplan(plan: RunPlan): string {
  const first = plan.requests[0]!;
  if (plan.requests.length > 1) return `${plan.requests.length} parts`;
  const window = first.request.contextWindow;
  return window !== undefined
    ? `a ${formatCount(window)}-token window for about ${formatCount(first.promptTokens)} prompt tokens`
    : `about ${formatCount(first.promptTokens)} prompt tokens`;
}

/** The note for a constraint this run saw silence the thinking, and what became of the request. */
function droppedNote(profile: BackendProfile, resent: Resent): string {
  const why = droppedConstraintNote(profile) ?? 'ThinkLens stopped sending an answer constraint to this server.';
  return `${why}${resentNote(resent)}`;
}

/** Without the constraint the model did not think either: the constraint was not to blame and stays. */
function notThinkingNote(profile: BackendProfile, resent: Resent): string {
  return (
    `${profile.label} sent no reasoning from ${profile.model} with the answer constraint or without it, so the model does not ` +
    `seem to think there and the constraint stays.${resentNote(resent)}`
  );
}

function resentNote(resent: Resent): string {
  if (resent === 'no') return '';
  const kept = resent === 'set-aside' ? "; its first answer is kept in the run's answer, marked as set aside" : '';
  return ` This request was sent again without the constraint${kept}.`;
}

/**
 * The server held this answer to the contract: the request carried the schema (or the local
 * grammar ran) and came back with it applied. A JSON object mode holds the syntax, not the shape,
 * and a backend that says nothing of what it sent counts as unconstrained.
 */
function heldToContract(output: RunOutput): boolean {
  return output.observed?.constraint === 'json-schema' || output.observed?.constraint === 'grammar';
}

/** The model thinks and this request did not switch that off where the server takes the switch. */
function thinkingExpected(profile: BackendProfile, request: BackendRequest): boolean {
  return profile.thinks && !(request.reasoningEffort === 'none' && profile.thinkingSwitch === 'per-request');
}

/**
 * The request carried a constraint and a model that thinks sent no reasoning at all: the constraint
 * silenced it, unless the server already showed no reasoning without a constraint either.
 */
function silencedByConstraint(output: RunOutput, request: BackendRequest, profile: BackendProfile): boolean {
  const constraint = output.observed?.constraint;
  const constrained = constraint === 'json-schema' || constraint === 'json-object';
  return (
    constrained &&
    thinkingExpected(profile, request) &&
    profile.observed.reasoningWithoutConstraint !== false &&
    output.reasoning.trim() === ''
  );
}

/** The part's request without any answer constraint, asking for prose and a JSON block (the prompt contract). */
function unconstrained(part: PlannedRequest): BackendRequest {
  const { answerSchema: _schema, jsonAnswer: _json, ...rest } = part.request;
  return { ...rest, messages: messagesOf(part.code, part.prompt, false) };
}

async function repairTurn(
  part: PlannedRequest,
  sent: BackendRequest,
  output: RunOutput,
  profile: BackendProfile,
  send: (part: PlannedRequest, request: PlannedRequest['request'], forward?: (e: ReasoningEvent) => void) => Promise<RunOutput>,
): Promise<ParsedAnswer | undefined> {
  const messages: ChatMessage[] = [
    ...sent.messages,
    { role: 'assistant', content: stripThink(output.answer).trim() },
    {
      role: 'user',
      content:
        'Your answer has no readable JSON block. Reply with only that JSON object, for the answer you just gave ' +
        `(no prose, no code fences), of this shape:\n${answerShape(false, part.code.document === 'proof')}`,
    },
  ];
  const promptTokens = estimateTokens(messages.map((m) => m.content).join('\n')) + 64;
  const window = sent.contextWindow ?? profile.contextWindow;
  const thinkingOff = profile.thinkingSwitch === 'per-request';
  const maxTokens = Math.min(window - promptTokens, thinkingOff ? part.answerReserve * 2 : (sent.maxTokens ?? Infinity));
  if (maxTokens < part.answerReserve / 2) return undefined;
  const repair = await send(
    part,
    { ...sent, messages, maxTokens, jsonAnswer: false, ...(thinkingOff ? { reasoningEffort: 'none' as const } : {}) },
    undefined,
  );
  return repair.error || !repair.parsed || repair.parsed.jsonMissing ? undefined : repair.parsed;
}

/** How a request's thinking is steered: the run's Answer now, whether the server holds the budget, the hand-over. */
function thinkingSteering(answerNow: ThinkingSteer | undefined, profile: BackendProfile) {
  return {
    ...(answerNow ? { answerNow } : {}),
    budgetEnforcedByServer: PRESETS[profile.backendId].honours.thinkingBudget,
    // The answer alone: thinking off where the server switches it per request.
    handOverThinkingOff: profile.thinkingSwitch === 'per-request',
  };
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

export type { RunSettings };
