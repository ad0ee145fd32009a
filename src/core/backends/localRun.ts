// One local run (local.ts): think freely after a forced `<think>`, then answer in the same turn
// under the contract's JSON grammar, pushing events to a queue the backend's generator drains.

import type { ChatHistoryItem, ChatModelResponse, LlamaChatResponseChunk } from 'node-llama-cpp';
import type { ThinkingSteer } from '../thinking';
import type { BackendRequest, ReasoningEvent, Usage } from '../types';
import { BackendError, cancelledError } from '../errors';
import type { LocalBackendOptions } from './local';
import type { ModelLease } from './localModelHost';

const DEFAULT_TEMPERATURE = 0.6;
const DEFAULT_TOP_P = 0.95;
/** Room left for the model to write when checking whether a prompt fits. */
const MIN_GENERATION_ROOM = 256;

/** Events pushed from node-llama-cpp's callbacks, pulled by the backend's async generator. */
export class EventQueue<T> {
  private items: T[] = [];
  private wake?: () => void;
  private ended = false;
  private failure: { error: unknown } | undefined;

  push(item: T): void {
    this.items.push(item);
    this.notify();
  }
  close(): void {
    this.ended = true;
    this.notify();
  }
  fail(error: unknown): void {
    this.failure = { error };
    this.ended = true;
    this.notify();
  }
  private notify(): void {
    const wake = this.wake;
    this.wake = undefined;
    wake?.();
  }
  async *drain(): AsyncGenerator<T> {
    for (;;) {
      if (this.items.length > 0) {
        yield this.items.shift()!;
        continue;
      }
      if (this.ended) {
        if (this.failure) throw this.failure.error;
        return;
      }
      await new Promise<void>((resolve) => {
        this.wake = resolve;
      });
    }
  }
}

function toHistory(request: Pick<BackendRequest, 'messages'>): ChatHistoryItem[] {
  return request.messages.map((m): ChatHistoryItem =>
    m.role === 'user' ? { type: 'user', text: m.content } : { type: 'model', response: [m.content] },
  );
}

/** The last model turn with its open thought segment closed, for an answer asked before the model ended it. */
function closeThought(history: ChatHistoryItem[]): ChatHistoryItem[] {
  const out = history.slice();
  const last = out[out.length - 1];
  if (last?.type !== 'model') return out;
  const response = last.response.map((item) =>
    typeof item !== 'string' && item.type === 'segment' && item.segmentType === 'thought' && !item.ended ? { ...item, ended: true } : item,
  );
  out[out.length - 1] = { type: 'model', response } satisfies ChatModelResponse;
  return out;
}

/** The chat as the model sees it: the turns, and for a thinking model the opened (or, with thinking off, closed) thought. */
function promptHistory(loaded: ModelLease['loaded'], request: Pick<BackendRequest, 'messages' | 'reasoningEffort'>): ChatHistoryItem[] {
  const history = toHistory(request);
  if (loaded.chatWrapper.settings.segments?.thought !== undefined) {
    // Force the turn to open with `<think>\n` (or, with thinking off, an empty closed thought).
    const skipThinking = request.reasoningEffort === 'none';
    history.push({
      type: 'model',
      response: [{ type: 'segment', segmentType: 'thought', text: skipThinking ? '\n\n' : '\n', ended: skipThinking }],
    });
  }
  return history;
}

/** Tokens of the chat with the model's own chat wrapper and tokenizer: what the context will hold. */
function countPrompt(loaded: ModelLease['loaded'], history: ChatHistoryItem[]): number {
  return loaded.chatWrapper.generateContextState({ chatHistory: history }).contextText.tokenize(loaded.model.tokenizer).length;
}

/** The prompt tokens of `messages` as `generate` would send them (the planner's count for the in-process model). */
export function promptTokensOf(loaded: ModelLease['loaded'], messages: BackendRequest['messages']): number {
  return countPrompt(loaded, promptHistory(loaded, { messages }));
}

/** The last model turn cut right after its thought segment (what the answer phase continues). */
function upToThought(history: ChatHistoryItem[]): ChatHistoryItem[] {
  const out = history.slice();
  const last = out[out.length - 1];
  if (last?.type !== 'model') return out;
  const end = last.response.findIndex(
    (item) => typeof item !== 'string' && item.type === 'segment' && item.segmentType === 'thought' && item.ended,
  );
  if (end >= 0) out[out.length - 1] = { type: 'model', response: last.response.slice(0, end + 1) } satisfies ChatModelResponse;
  return out;
}

function finishReasonOf(stopReason: string): string {
  return stopReason === 'maxTokens' ? 'length' : stopReason === 'abort' ? 'cancelled' : 'stop';
}

/** Runs one request on a leased sequence, pushing events to `queue`. */
export async function generate(
  lease: ModelLease,
  request: BackendRequest,
  options: LocalBackendOptions,
  signal: AbortSignal,
  queue: EventQueue<ReasoningEvent>,
  steer?: ThinkingSteer,
): Promise<void> {
  const { loaded, sequence } = lease;
  const { lib, chatWrapper } = loaded;
  const chat = new lib.LlamaChat({ contextSequence: sequence, chatWrapper, autoDisposeSequence: false });
  try {
    const thinks = chatWrapper.settings.segments?.thought !== undefined;
    const structured = options.structuredAnswer ?? true;
    const skipThinking = request.reasoningEffort === 'none';
    const history = promptHistory(loaded, request);
    const promptTokens = countPrompt(loaded, history);
    const contextSize = sequence.contextSize;
    if (promptTokens + MIN_GENERATION_ROOM > contextSize) {
      throw new BackendError(
        'context-too-long',
        `The request is ${promptTokens} tokens, too long for the local model's ${contextSize}-token context.`,
        [{ kind: 'smaller-input' }, { kind: 'raise-option', option: 'localContextSize', value: contextSize }],
      );
    }
    const budget = Math.min(request.maxTokens ?? Infinity, contextSize - promptTokens);
    const sampling = {
      temperature: request.temperature ?? DEFAULT_TEMPERATURE,
      topP: request.topP ?? DEFAULT_TOP_P,
      seed: request.seed ?? options.seed,
    };

    let completionTokens = 0;
    let reasoningTokens = 0;
    let firstTokenAt: number | undefined;
    let lastTokenAt: number | undefined;
    const counted = (n: number): void => {
      if (n === 0) return;
      completionTokens += n;
      lastTokenAt = performance.now();
      firstTokenAt ??= lastTokenAt;
    };

    let thoughtEnded = skipThinking || !thinks;
    let finishReason = 'stop';
    let contextWindow = history;
    let cleanHistory = history;

    if (!thoughtEnded || !structured) {
      // Phase 1: think freely. With a structured answer, stop as soon as the thought ends, or when
      // the person asks for the answer (Answer now ends the thought here and phase 2 answers).
      const thoughtDone = new AbortController();
      let answerAsked = false;
      const withdraw =
        structured && steer
          ? steer.offerEndInPlace(async () => {
              if (thoughtEnded) return false;
              answerAsked = true;
              thoughtDone.abort();
              return true;
            })
          : undefined;
      const result = await chat.generateResponse(history, {
        ...sampling,
        maxTokens: budget,
        // node-llama-cpp closes the thought segment itself at the budget and goes on to the answer.
        ...(request.thinkingBudget ? { budgets: { thoughtTokens: request.thinkingBudget } } : {}),
        signal: AbortSignal.any([signal, thoughtDone.signal]),
        stopOnAbortSignal: true,
        onResponseChunk: (chunk: LlamaChatResponseChunk) => {
          if (chunk.type === 'segment') {
            counted(chunk.tokens.length);
            reasoningTokens += chunk.tokens.length;
            if (chunk.text) queue.push({ kind: 'reasoning', text: chunk.text });
            if (chunk.segmentEndTime && chunk.segmentType === 'thought') {
              thoughtEnded = true;
              if (structured) thoughtDone.abort();
            }
          } else if (!(structured && thoughtEnded)) {
            counted(chunk.tokens.length);
            if (chunk.text) queue.push({ kind: 'answer', text: chunk.text });
          }
        },
      });
      withdraw?.();
      if (signal.aborted) throw cancelledError();
      finishReason = finishReasonOf(result.metadata.stopReason);
      const cut = answerAsked && !thoughtEnded ? closeThought : upToThought;
      if (answerAsked) thoughtEnded = true;
      contextWindow = cut(result.lastEvaluation.contextWindow);
      cleanHistory = cut(result.lastEvaluation.cleanHistory);
      if (result.metadata.stopReason === 'abort') finishReason = 'stop';
    }

    if (structured && thoughtEnded && completionTokens < budget) {
      // Phase 2: the same turn continues, constrained to the answer contract.
      let opened = false;
      const result = await chat.generateResponse(cleanHistory, {
        ...sampling,
        grammar: loaded.grammar,
        maxTokens: budget - completionTokens,
        signal,
        stopOnAbortSignal: true,
        lastEvaluationContextWindow: { history: contextWindow },
        onResponseChunk: (chunk: LlamaChatResponseChunk) => {
          counted(chunk.tokens.length);
          if (!chunk.text) return;
          if (!opened) {
            opened = true;
            queue.push({ kind: 'answer', text: '```json\n' });
          }
          queue.push({ kind: 'answer', text: chunk.text });
        },
      });
      if (signal.aborted) throw cancelledError();
      if (opened) queue.push({ kind: 'answer', text: '\n```' });
      finishReason = finishReasonOf(result.metadata.stopReason);
    } else if (structured && !thoughtEnded) {
      finishReason = 'length';
    }

    const seconds = firstTokenAt !== undefined && lastTokenAt !== undefined ? (lastTokenAt - firstTokenAt) / 1000 : 0;
    const usage: Usage = {
      promptTokens,
      completionTokens,
      reasoningTokens,
      ...(completionTokens > 1 && seconds > 0 ? { tokensPerSecond: (completionTokens - 1) / seconds } : {}),
    };
    queue.push({ kind: 'usage', usage });
    // node-llama-cpp splits the thought from the answer itself; the grammar holds only the answer after it.
    const constraint = structured && thoughtEnded ? 'grammar' : 'none';
    queue.push({ kind: 'done', finishReason, observed: { constraint, reasoning: reasoningTokens > 0 ? 'field' : 'none' } });
  } finally {
    chat.dispose({ disposeSequence: false });
  }
}
