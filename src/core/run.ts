// One way to run a backend over code: build the prompt, stream the events, parse the answer.
// The CLI and the extension both call this; they differ only in where the events go.

import { buildFollowUp, buildPrompt } from './prompt';
import { parseAnswer } from './answerParser';
import { BackendError, toBackendError } from './errors';
import type {
  Backend,
  BackendRequest,
  ChatMessage,
  CodeUnderReview,
  ParsedAnswer,
  ReasoningEvent,
  Usage,
} from './types';

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
  readonly signal: AbortSignal;
  /** Every event as it arrives, for live display. */
  readonly onEvent?: (event: ReasoningEvent) => void;
}

export interface RunOutput {
  readonly messages: readonly ChatMessage[];
  readonly reasoning: string;
  readonly answer: string;
  readonly usage?: Usage;
  readonly finishReason?: string;
  readonly parsed?: ParsedAnswer;
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
  const messages = input.messages ?? messagesFor(input);
  const request: BackendRequest = { messages, ...requestOptions };
  let reasoning = '';
  let answer = '';
  let usage: Usage | undefined;
  let finishReason: string | undefined;
  try {
    for await (const event of backend.stream(request, signal)) {
      if (event.kind === 'reasoning') reasoning += event.text;
      else if (event.kind === 'answer') answer += event.text;
      else if (event.kind === 'usage') usage = event.usage;
      else finishReason = event.finishReason;
      onEvent?.(event);
    }
    if (signal.aborted) throw new BackendError('cancelled', 'The run was cancelled.', 'Run it again when you are ready.');
  } catch (error) {
    return { messages, reasoning, answer, usage, finishReason, error: toBackendError(error, { backend: backend.id }) };
  }
  return { messages, reasoning, answer, usage, finishReason, parsed: parseAnswer(answer, code, reasoning) };
}

/** The conversation so far, for a follow-up: the prompt and the final answer, never the reasoning. */
export function conversationOf(output: RunOutput): ChatMessage[] {
  return [...output.messages, { role: 'assistant', content: output.answer }];
}
