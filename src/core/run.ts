// One way to run a backend over code: build the prompt, stream the events, parse the answer.
// The CLI and the extension both call this; they differ only in where the events go.

import { buildFollowUp, buildPrompt } from './prompt';
import { parseAnswer } from './answerParser';
import { startDeadline, type RunDeadline } from './deadline';
import { cancelledError, toBackendError, type BackendError } from './errors';
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
  let reasoning = '';
  let answer = '';
  let usage: Usage | undefined;
  let finishReason: string | undefined;
  let observed: WireObservation | undefined;
  // A step of a larger run waits under that run's deadline; a lone request gets its own.
  const deadline = input.deadline ?? startDeadline(signal, input.deadlineSeconds);
  let events: AsyncIterator<ReasoningEvent> | undefined;
  try {
    events = backend.stream(request, deadline.signal)[Symbol.asyncIterator]();
    for (;;) {
      // Raced against the deadline and cancel, so a backend that ignores its signal still ends.
      const next = await deadline.race(events.next());
      if (next.done) break;
      const event = next.value;
      if (event.kind === 'reasoning') reasoning += event.text;
      else if (event.kind === 'answer') answer += event.text;
      else if (event.kind === 'usage') usage = event.usage;
      else {
        finishReason = event.finishReason;
        observed = event.observed;
      }
      onEvent?.(event);
    }
    if (deadline.signal.aborted) throw cancelledError();
  } catch (error) {
    const failure = deadline.expired ? deadline.error() : toBackendError(error, { backend: backend.id });
    // A backend still waiting inside (it ignored the signal) is told to finish; nobody waits for it.
    if (deadline.signal.aborted) events?.return?.().catch(() => undefined);
    return { messages, reasoning, answer, usage, finishReason, error: failure };
  } finally {
    if (!input.deadline) deadline.dispose();
  }
  return {
    messages,
    reasoning,
    answer,
    usage,
    finishReason,
    ...(observed ? { observed } : {}),
    parsed: parseAnswer(answer, code, reasoning),
  };
}

/** The conversation so far, for a follow-up: the prompt and the final answer, never the reasoning. */
export function conversationOf(output: RunOutput): ChatMessage[] {
  return [...output.messages, { role: 'assistant', content: output.answer }];
}
