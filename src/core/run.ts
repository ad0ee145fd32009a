// One way to run a backend over code: build the prompt, stream the events, parse the answer.
// The CLI and the extension both call this; they differ only in where the events go.

import { buildFollowUp, buildPrompt } from './prompt';
import { parseAnswer } from './answerParser';
import { startDeadline, type RunDeadline } from './deadline';
import { raceAbort } from './abort';
import { cancelledError, toBackendError, type BackendError } from './errors';
import { estimateTokens } from './text';
import { handOverRequest, thinkingEndMarker, ThinkingSteer, type ThinkingRecord } from './thinking';
import { addUsage } from './usage';
import type { Backend, BackendRequest, ChatMessage, CodeUnderReview, ParsedAnswer, ReasoningEvent, Usage, WireObservation } from './types';

export interface SamplingOptions {
  readonly temperature?: number;
  readonly topP?: number;
  readonly seed?: number;
  readonly maxTokens?: number;
  readonly reasoningEffort?: BackendRequest['reasoningEffort'];
  /** Ask for a bare JSON answer where the backend supports it while thinking (DeepSeek). */
  readonly jsonAnswer?: boolean;
  /** Limit for the whole prompt; reference context is cut first and the prompt says so. */
  readonly promptTokenBudget?: number;
}

export interface RunInput {
  readonly backend: Backend;
  readonly code: CodeUnderReview;
  readonly sampling?: SamplingOptions;
  /** Earlier turns of the conversation (answers only) and the new question, for a follow-up. */
  readonly followUp?: { readonly history: readonly ChatMessage[]; readonly question: string };
  /** The conversation to send, when the caller built it already (see `messagesFor`). */
  readonly messages?: readonly ChatMessage[];
  /** The whole request, as the planner sized it (plannedRun.ts); wins over `sampling` and `messages`. */
  readonly request?: BackendRequest;
  readonly signal: AbortSignal;
  /** Every event as it arrives, for live display. */
  readonly onEvent?: (event: ReasoningEvent) => void;
  /** The run's deadline, when this request is one step of a larger run (deadline.ts). */
  readonly deadline?: RunDeadline;
  /** Without `deadline`: this request alone may take this long; default DEFAULT_DEADLINE_SECONDS. */
  readonly deadlineSeconds?: number;
  /** The person's Answer now for the whole run (thinking.ts); each request gets its own steer from it. */
  readonly answerNow?: ThinkingSteer;
  /** The server takes `thinkingBudget` in its own field, so ThinkLens only steps in well past it. */
  readonly budgetEnforcedByServer?: boolean;
  /** The hand-over asks for the answer with thinking off (the server switches it per request). */
  readonly handOverThinkingOff?: boolean;
}

export interface RunOutput {
  readonly messages: readonly ChatMessage[];
  readonly reasoning: string;
  readonly answer: string;
  readonly usage?: Usage;
  readonly finishReason?: string;
  /** With `error`: what the finished parts of a run that passed its deadline found. */
  readonly parsed?: ParsedAnswer;
  /** What the server showed in this exchange (the constraint sent, where the reasoning came), when the backend says. */
  readonly observed?: WireObservation;
  /** How the thinking ended, when the request got that far. */
  readonly thinking?: ThinkingRecord;
  /** Set when the run failed; what arrived before the failure is kept above. */
  readonly error?: BackendError;
}

/** The conversation a run sends: the prompt, or the earlier turns and the follow-up question. */
export function messagesFor(input: Pick<RunInput, 'code' | 'sampling' | 'followUp'>): ChatMessage[] {
  const jsonOnlyAnswer = input.sampling?.jsonAnswer;
  return input.followUp
    ? buildFollowUp(input.followUp.history, input.followUp.question, { jsonOnlyAnswer })
    : buildPrompt(input.code, { jsonOnlyAnswer, contextTokenBudget: input.sampling?.promptTokenBudget });
}

/** Runs to the end and never throws: a failure is returned with the partial reasoning and answer. */
export async function runAnalysis(input: RunInput): Promise<RunOutput> {
  const { backend, code, sampling = {}, signal, onEvent } = input;
  const { promptTokenBudget: _budget, ...requestOptions } = sampling;
  const messages = input.request?.messages ?? input.messages ?? messagesFor(input);
  const request: BackendRequest = input.request ?? { messages, ...requestOptions };
  // A step of a larger run waits under that run's deadline; a lone request gets its own.
  const deadline = input.deadline ?? startDeadline(signal, input.deadlineSeconds);
  try {
    const steer = requestSteer(input.answerNow);
    const first = await streamOnce(backend, request, deadline, onEvent, steer, budgetWatch(request, input.budgetEnforcedByServer));
    let streamed = first;
    if (first.handedOver && !first.error) {
      // The stream was stopped with its thinking unfinished: the reasoning so far goes over in one
      // more request that asks only for the answer (thinking off where the server allows it).
      const marker = thinkingEndMarker(steer.endedBy!, reasoningTokensOf(first), request.thinkingBudget ?? null);
      onEvent?.({ kind: 'reasoning', text: marker });
      const second = await streamOnce(
        backend,
        handOverRequest(request, first.reasoning, input.handOverThinkingOff ?? false),
        deadline,
        onEvent,
      );
      streamed = {
        ...second,
        reasoning: first.reasoning + marker + second.reasoning,
        answer: second.answer,
        usage: addUsage(first.usage, second.usage),
        handedOver: true,
        thinkingTokens: reasoningTokensOf(first),
      };
    }
    const thinking = thinkingRecord(streamed, request, steer);
    const { reasoning, answer, usage, finishReason, observed, error } = streamed;
    if (error) return { messages, reasoning, answer, usage, finishReason, thinking, error };
    return {
      messages,
      reasoning,
      answer,
      usage,
      finishReason,
      thinking,
      ...(observed ? { observed } : {}),
      parsed: parseAnswer(answer, code, reasoning),
    };
  } finally {
    if (!input.deadline) deadline.dispose();
  }
}

interface Streamed {
  readonly reasoning: string;
  readonly answer: string;
  readonly usage?: Usage;
  readonly finishReason?: string;
  readonly observed?: WireObservation;
  readonly error?: BackendError;
  /** The stream was stopped for a hand-over: the thinking was not finished. */
  readonly handedOver: boolean;
  /** The server ended the thinking in place when asked (the same stream went on with the answer). */
  readonly endedInPlace?: boolean;
  /** Reasoning tokens before thinking was ended, when a hand-over followed. */
  readonly thinkingTokens?: number;
}

/** One request's stream, collected; an Answer now on `steer` ends its thinking in place or stops it for a hand-over. */
async function streamOnce(
  backend: Backend,
  request: BackendRequest,
  deadline: RunDeadline,
  onEvent: ((event: ReasoningEvent) => void) | undefined,
  steer?: ThinkingSteer,
  budget?: (reasoning: string) => boolean,
): Promise<Streamed> {
  let reasoning = '';
  let answer = '';
  let usage: Usage | undefined;
  let finishReason: string | undefined;
  let observed: WireObservation | undefined;
  let handedOver = false;
  let endedInPlace = false;
  const stop = new AbortController();
  const streamSignal = AbortSignal.any([deadline.signal, stop.signal]);
  const say = (event: ReasoningEvent) => onEvent?.(event);

  const endThinking = async (): Promise<void> => {
    if (answer !== '' || handedOver || endedInPlace || !steer?.endedBy) return;
    const inPlace = steer.endInPlace;
    if (inPlace && (await inPlace().catch(() => false))) {
      endedInPlace = true;
      const marker = thinkingEndMarker(steer.endedBy, estimateTokens(reasoning), request.thinkingBudget ?? null);
      reasoning += marker;
      say({ kind: 'reasoning', text: marker });
      return;
    }
    if (answer !== '') return; // the model answered while the server was asked
    handedOver = true;
    stop.abort();
  };
  const unsubscribe = steer?.onAnswerRequested(() => void endThinking());
  let events: AsyncIterator<ReasoningEvent> | undefined;
  try {
    events = backend.stream(request, streamSignal, steer)[Symbol.asyncIterator]();
    for (;;) {
      // Raced against the deadline, cancel and hand-over, so a backend that ignores its signal still ends.
      const next = await raceAbort(events.next(), streamSignal);
      if (next.done) break;
      const event = next.value;
      if (event.kind === 'reasoning') {
        reasoning += event.text;
        if (answer === '' && budget?.(reasoning)) steer?.requestAnswer('budget');
      } else if (event.kind === 'answer') answer += event.text;
      else if (event.kind === 'usage') usage = event.usage;
      else {
        finishReason = event.finishReason;
        observed = event.observed;
      }
      say(event);
    }
    if (deadline.signal.aborted) throw cancelledError();
    if (handedOver) throw cancelledError();
  } catch (error) {
    // A backend still waiting inside (it ignored the signal) is told to finish; nobody waits for it.
    if (streamSignal.aborted) events?.return?.().catch(() => undefined);
    if (handedOver && !deadline.signal.aborted) return { reasoning, answer, usage, handedOver };
    const failure = deadline.expired ? deadline.error() : toBackendError(error, { backend: backend.id });
    return { reasoning, answer, usage, finishReason, handedOver, endedInPlace, error: failure };
  } finally {
    unsubscribe?.();
  }
  return { reasoning, answer, usage, finishReason, handedOver, endedInPlace, ...(observed ? { observed } : {}) };
}

/** This request's own steer: the run's Answer now reaches it, and its budget asks it alone. */
function requestSteer(runAnswerNow: ThinkingSteer | undefined): ThinkingSteer {
  const steer = new ThinkingSteer();
  runAnswerNow?.onAnswerRequested(() => steer.requestAnswer('person'));
  return steer;
}

/**
 * When the request has a budget: true once the streamed reasoning passes it. A server that takes the
 * budget in its own field ends the thinking itself, so ThinkLens steps in only far past it: the
 * estimate is made never to count low, so on plain words it counts up to about twice the server's
 * tokens, and stepping in early would cut a thinking the server was still allowed.
 */
function budgetWatch(request: BackendRequest, enforcedByServer: boolean | undefined): ((reasoning: string) => boolean) | undefined {
  const budget = request.thinkingBudget;
  if (budget === undefined || budget <= 0) return undefined;
  const limit = enforcedByServer ? budget * 3 + 256 : budget;
  return (reasoning) => estimateTokens(reasoning) >= limit;
}

function reasoningTokensOf(streamed: Streamed): number {
  return streamed.usage?.reasoningTokens ?? estimateTokens(streamed.reasoning);
}

/** How the thinking ended: asked for by the person or the budget, the server's budget field, or the model. */
function thinkingRecord(streamed: Streamed, request: BackendRequest, steer: ThinkingSteer): ThinkingRecord {
  const budget = request.thinkingBudget ?? null;
  const tokens = streamed.thinkingTokens ?? reasoningTokensOf(streamed);
  const asked = streamed.handedOver || streamed.endedInPlace ? steer.endedBy : undefined;
  // A server that enforces the budget itself ends the thinking at about that many tokens.
  const atBudget = budget !== null && tokens >= budget * 0.9;
  return { tokens, budget, endedBy: asked ?? (atBudget ? 'budget' : 'model') };
}

/** The conversation so far, for a follow-up: the prompt and the final answer, never the reasoning. */
export function conversationOf(output: RunOutput): ChatMessage[] {
  return [...output.messages, { role: 'assistant', content: output.answer }];
}
