// The person's hold on how long the model thinks: Answer now, and a thinking budget.
// A `ThinkingSteer` lives for one request. The person (the panel's Answer now, the command) or the
// budget asks it for the answer; the backend that can end the thinking of a running request in
// place (llama.cpp's control endpoint, the in-process model) offers that through the steer, and
// otherwise run.ts stops the stream and hands the reasoning so far over in one more request.

import type { BackendRequest, ChatMessage } from './types';

/** Who ended the thinking: the model on its own, the budget, or the person. */
export const THINKING_ENDINGS = ['model', 'budget', 'person'] as const;
export type ThinkingEndedBy = (typeof THINKING_ENDINGS)[number];

/** How a run's thinking went, for the CLI's JSON, SARIF, the panel's header and the export. */
export interface ThinkingRecord {
  /** Reasoning tokens: the server's count where it reports one, else an estimate from the text. */
  readonly tokens: number;
  /** The budget the run had, or null for none. */
  readonly budget: number | null;
  readonly endedBy: ThinkingEndedBy;
}

/** Ends the thinking of the running request in place; resolves false when the server refused. */
export type EndInPlace = () => Promise<boolean>;

export class ThinkingSteer {
  private requestedBy: Exclude<ThinkingEndedBy, 'model'> | undefined;
  private listeners = new Set<() => void>();
  private inPlace: EndInPlace | undefined;

  /** Who asked for the answer, once someone did. */
  get endedBy(): Exclude<ThinkingEndedBy, 'model'> | undefined {
    return this.requestedBy;
  }

  /** Asks for the answer now; the first ask wins and later ones change nothing. */
  requestAnswer(by: Exclude<ThinkingEndedBy, 'model'>): void {
    if (this.requestedBy) return;
    this.requestedBy = by;
    for (const listener of [...this.listeners]) listener();
  }

  /** Called once when the answer is asked for (at once if it already was); returns the unsubscribe. */
  onAnswerRequested(listener: () => void): () => void {
    if (this.requestedBy) {
      listener();
      return () => undefined;
    }
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  /** A backend offers to end the running request's thinking in place (until `withdraw`). */
  offerEndInPlace(end: EndInPlace): () => void {
    this.inPlace = end;
    return () => {
      if (this.inPlace === end) this.inPlace = undefined;
    };
  }

  /** The backend's in-place ending, when the running request has one. */
  get endInPlace(): EndInPlace | undefined {
    return this.inPlace;
  }
}

/** The line the trace carries where thinking was ended, e.g. "Answer requested after 2,140 reasoning tokens". */
export function thinkingEndMarker(by: Exclude<ThinkingEndedBy, 'model'>, tokens: number, budget: number | null): string {
  const count = tokens.toLocaleString('en-US');
  return by === 'budget'
    ? `\n\n— Thinking budget of ${(budget ?? tokens).toLocaleString('en-US')} tokens reached after ${count} reasoning tokens: answer requested —\n\n`
    : `\n\n— Answer requested after ${count} reasoning tokens —\n\n`;
}

/** "Thinking ended by the model after 2,140 tokens" and its kin, for headers, exports and the CLI's text. */
export function describeThinking(record: ThinkingRecord): string {
  const tokens = `${record.tokens.toLocaleString('en-US')} reasoning tokens`;
  const budget = record.budget !== null ? ` (budget ${record.budget.toLocaleString('en-US')})` : '';
  switch (record.endedBy) {
    case 'model':
      return `Thought for ${tokens}${budget}; the model ended its thinking`;
    case 'budget':
      return `Thinking ended by the budget after ${tokens}${budget}`;
    case 'person':
      return `Answer requested after ${tokens}${budget}`;
  }
}

/**
 * The conversation of a hand-over: the same prompt, with the reasoning so far added to the person's
 * last turn and the answer asked for at once. Added to that turn rather than as a turn of its own,
 * because some chat templates refuse two user turns in a row.
 */
export function handOverMessages(messages: readonly ChatMessage[], reasoning: string): ChatMessage[] {
  const last = messages.length - 1;
  const handOver =
    '\n\nYou were thinking about this and were asked to stop. Your reasoning so far:\n\n<reasoning>\n' +
    reasoning.trim() +
    '\n</reasoning>\n\nDo not think further. Write your answer now, from this reasoning, in exactly the form asked for above.';
  return messages.map((message, index) =>
    index === last && message.role === 'user' ? { role: 'user', content: message.content + handOver } : message,
  );
}

/** The request that hands the reasoning so far over and asks only for the answer, with thinking off where asked. */
export function handOverRequest(request: BackendRequest, reasoning: string, thinkingOff: boolean): BackendRequest {
  return {
    ...request,
    messages: handOverMessages(request.messages, reasoning),
    thinkingBudget: undefined,
    ...(thinkingOff ? { reasoningEffort: 'none' as const } : {}),
  };
}

/** A run of several requests (parts of a file): tokens added up, and the strongest ending (person, budget, model). */
export function combineThinking(records: readonly ThinkingRecord[]): ThinkingRecord | undefined {
  if (records.length === 0) return undefined;
  const strength: Record<ThinkingEndedBy, number> = { model: 0, budget: 1, person: 2 };
  return records.reduce((total, record) => ({
    tokens: total.tokens + record.tokens,
    budget: total.budget ?? record.budget,
    endedBy: strength[record.endedBy] > strength[total.endedBy] ? record.endedBy : total.endedBy,
  }));
}
