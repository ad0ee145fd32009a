// Splits a chat-completions stream into reasoning and answer text, reading every place servers put
// reasoning (WIRE.md): `reasoning_content`, `reasoning`, `reasoning_details[]`, and inline
// `<think>...</think>` inside `content`. It is a streaming state machine over the deltas: each
// push looks only at the new text plus at most a few held-back characters (a possible partial tag),
// never at the accumulated text, so tags split across chunks at any position are found and
// reasoning never reaches the answer.
//
// The missing opening tag (`inlineStart`): the original R1, and chat templates that prefill
// `<think>\n`, start `content` straight with the reasoning and only send `</think>`. Until that
// tag arrives, untagged content could be reasoning or an answer from a model that skipped
// thinking. The default, `'auto'`, holds such content back and classifies it exactly: `</think>`
// later means it was reasoning; the stream ending without one means it was the answer. The price
// is that this reasoning is shown only once `</think>` arrives. `'reasoning'` streams it live as
// reasoning, for backends that know their template prefilled `<think>` (an answer from a model
// that skipped thinking would then be shown as reasoning). `'answer'` treats untagged content as
// the answer and looks for no closing tag.
//
// Whitespace: the reasoning and the answer never start with whitespace (it follows `<think>` and
// `</think>`, and servers put "\n\n" before the answer), and the reasoning never ends with
// whitespace (trailing whitespace is held until more reasoning text follows).

export type InlineStart = 'auto' | 'reasoning' | 'answer';

export interface ReasoningSplitterOptions {
  readonly inlineStart?: InlineStart;
}

export interface SplitPiece {
  readonly kind: 'reasoning' | 'answer';
  readonly text: string;
}

export interface ReasoningSplitter {
  /** Feed one `choices[0].delta` (untrusted, read defensively); returns the text it releases. */
  push(delta: unknown): SplitPiece[];
  /** The stream ended: release what was held back. */
  end(): SplitPiece[];
}

const OPEN_TAG = '<think>';
const CLOSE_TAG = '</think>';

/**
 * `start`: nothing but whitespace or a prefix of `<think>` seen yet.
 * `think`: inside inline reasoning, looking for `</think>`.
 * `undecided`: untagged content in `auto` mode, held until `</think>` or the end.
 * `answer`: everything from here is answer text.
 */
type ContentState = 'start' | 'think' | 'undecided' | 'answer';

export function createReasoningSplitter(options: ReasoningSplitterOptions = {}): ReasoningSplitter {
  const inlineStart: InlineStart = options.inlineStart ?? 'auto';

  let state: ContentState = 'start';
  /** Content not yet classified: whitespace/partial `<think>` in `start`, a partial `</think>` otherwise. */
  let pending = '';
  /** `undecided` content already scanned (contains no `</think>`). */
  let undecidedText = '';
  /** A reasoning field (not inline tags) was seen: from then on content is the answer. */
  let sawReasoningField = false;

  let out: SplitPiece[] = [];
  let reasoningStarted = false;
  let heldReasoningWhitespace = '';
  let answerStarted = false;

  function emit(kind: SplitPiece['kind'], text: string): void {
    if (!text) return;
    const last = out[out.length - 1];
    if (last && last.kind === kind) out[out.length - 1] = { kind, text: last.text + text };
    else out.push({ kind, text });
  }

  function emitReasoning(raw: string): void {
    let text = raw;
    if (!reasoningStarted) {
      text = text.trimStart();
      if (!text) return;
      reasoningStarted = true;
    }
    const body = text.trimEnd();
    const trailing = text.slice(body.length);
    if (!body) {
      heldReasoningWhitespace += trailing;
      return;
    }
    emit('reasoning', heldReasoningWhitespace + body);
    heldReasoningWhitespace = trailing;
  }

  function emitAnswer(raw: string): void {
    let text = raw;
    if (!answerStarted) {
      text = text.trimStart();
      if (!text) return;
      answerStarted = true;
    }
    emit('answer', text);
  }

  /** Runs the content state machine over `pending` until it needs more input. */
  function drainContent(): void {
    for (;;) {
      switch (state) {
        case 'start': {
          if (sawReasoningField) {
            state = 'answer';
            continue;
          }
          const trimmed = pending.trimStart();
          if (!trimmed) return;
          if (trimmed.startsWith(OPEN_TAG)) {
            state = 'think';
            pending = trimmed.slice(OPEN_TAG.length);
            continue;
          }
          if (OPEN_TAG.startsWith(trimmed)) return; // could still become `<think>`
          state = inlineStart === 'answer' ? 'answer' : inlineStart === 'reasoning' ? 'think' : 'undecided';
          continue;
        }
        case 'think':
        case 'undecided': {
          const close = pending.indexOf(CLOSE_TAG);
          if (close >= 0) {
            const before = pending.slice(0, close);
            emitReasoning(state === 'undecided' ? undecidedText + before : before);
            undecidedText = '';
            pending = pending.slice(close + CLOSE_TAG.length);
            state = 'answer';
            continue;
          }
          const keep = partialSuffixLength(pending, CLOSE_TAG);
          const settled = pending.slice(0, pending.length - keep);
          pending = pending.slice(pending.length - keep);
          if (state === 'think') emitReasoning(settled);
          else undecidedText += settled;
          return;
        }
        case 'answer':
          emitAnswer(pending);
          pending = '';
          return;
      }
    }
  }

  function onReasoningField(text: string): void {
    if (!sawReasoningField) {
      sawReasoningField = true;
      // Content seen before the reasoning field cannot have been inline reasoning after all.
      if (state === 'start' || state === 'undecided') {
        const held = undecidedText + pending;
        undecidedText = '';
        pending = '';
        state = 'answer';
        emitAnswer(held);
      }
    }
    emitReasoning(text);
  }

  function take(): SplitPiece[] {
    const result = out;
    out = [];
    return result;
  }

  return {
    push(delta) {
      if (!isRecord(delta)) return [];
      const reasoning = reasoningText(delta);
      if (reasoning !== undefined) onReasoningField(reasoning);
      const content = delta.content;
      if (typeof content === 'string' && content) {
        pending += content;
        drainContent();
      }
      return take();
    },
    end() {
      switch (state) {
        case 'start':
          // Only whitespace or a prefix of `<think>` arrived: it was text, not a tag.
          if (inlineStart === 'reasoning' && !sawReasoningField) emitReasoning(pending);
          else emitAnswer(pending);
          break;
        case 'think':
          emitReasoning(pending); // the reasoning was cut short (e.g. max_tokens): never an answer
          break;
        case 'undecided':
          emitAnswer(undecidedText + pending); // no `</think>` ever came: it was the answer
          break;
        case 'answer':
          emitAnswer(pending);
          break;
      }
      pending = '';
      undecidedText = '';
      heldReasoningWhitespace = '';
      state = 'answer';
      return take();
    },
  };
}

/**
 * The reasoning text a delta carries in its reasoning fields, or undefined when it has none.
 * Servers in transition send the same text under two names (vLLM: `reasoning_content` and
 * `reasoning`; OpenRouter: `reasoning` and `reasoning_details`), so only the first field present
 * counts. An encrypted-only `reasoning_details` still marks the stream as one with separate
 * reasoning (returns '').
 */
function reasoningText(delta: Record<string, unknown>): string | undefined {
  const { reasoning_content: reasoningContent, reasoning, reasoning_details: details } = delta;
  if (typeof reasoningContent === 'string' && reasoningContent) return reasoningContent;
  if (typeof reasoning === 'string' && reasoning) return reasoning;
  if (Array.isArray(details) && details.length > 0) {
    let text = '';
    for (const item of details) {
      if (!isRecord(item)) continue;
      if (item.type === 'reasoning.text' && typeof item.text === 'string') text += item.text;
      else if (item.type === 'reasoning.summary' && typeof item.summary === 'string') text += item.summary;
    }
    return text;
  }
  return undefined;
}

/** Length of the longest suffix of `text` that is a proper prefix of `tag` (a tag cut by a chunk). */
function partialSuffixLength(text: string, tag: string): number {
  for (let n = Math.min(text.length, tag.length - 1); n > 0; n--) {
    if (text.endsWith(tag.slice(0, n))) return n;
  }
  return 0;
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}
