// Splits a chat-completions stream into reasoning and answer text, reading every place servers put
// reasoning (docs/wire.md): `reasoning_details[]`, `reasoning_content`, `reasoning`, and inline
// `<think>...</think>` inside `content`. It is a streaming state machine over the deltas: each
// push looks only at the new text plus at most a few held-back characters (a possible partial tag)
// and the text of a block it cannot classify yet, never at the whole answer, so tags split across
// chunks at any position are found and the result does not depend on where chunks are cut.
//
// The missing opening tag (`inlineStart`): the original R1, and chat templates that prefill
// `<think>\n`, start `content` straight with the reasoning and only send `</think>`. Until that
// tag arrives, untagged content could be reasoning or an answer from a model that skipped
// thinking. The default, `'auto'`, holds such content back and classifies it exactly: `</think>`
// later means it was reasoning; the stream ending without one means it was the answer (unless the
// output hit its token limit: then it was reasoning cut short). The price is that this reasoning
// is shown only once `</think>` arrives. `'reasoning'` streams it live as reasoning, for backends
// that know their template prefilled `<think>`. `'answer'` treats untagged content as the answer.
//
// Several blocks: text before a `<think>` is answer text, and a `<think>` after answer text opens
// another reasoning block (interleaved thinking). Such a later block is only believed once its
// `</think>` arrives outside any markdown code the block itself opened: an answer that merely
// mentions `<think>` in its prose (and quotes `'</think>'` in the code of its JSON block, say) must
// not lose the rest of its text, so a block that never closes goes back into the answer, tag and
// all. A tag inside a markdown code span or fence, or anywhere in an answer that is bare JSON, is
// text, not a tag.
// Blocks are joined with a line break in the reasoning, and the answer text around a removed block
// gets one when neither side has whitespace there.
//
// Reasoning fields: once a delta carries one, the server splits for us and `content` is the
// answer; a stray tag at the very start of that answer (a server that also sent `<think>` as
// content) is dropped, and any later tags are the answer's own text.
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
  /**
   * The stream ended: release what was held back. `finishReason` is the server's; `length` means
   * the output was cut at its token limit, so text still waiting for `</think>` is reasoning.
   */
  end(finishReason?: string): SplitPiece[];
  /** Where the reasoning released so far came from: a reasoning field, inline tags in content, or nowhere yet. */
  reasoningSource(): 'field' | 'inline' | 'none';
}

const OPEN_TAG = '<think>';
const CLOSE_TAG = '</think>';

/**
 * `start`: nothing but whitespace or a prefix of a tag seen yet.
 * `think`: inside reasoning opened at the start (or implied by `inlineStart: 'reasoning'`).
 * `undecided`: untagged content in `auto` mode, held until `</think>`, `<think>` or the end.
 * `answer`: answer text, in which a `<think>` may open a later block.
 * `laterBlock`: after a `<think>` that followed answer text; held until its `</think>`.
 */
type ContentState = 'start' | 'think' | 'undecided' | 'answer' | 'laterBlock';

export function createReasoningSplitter(options: ReasoningSplitterOptions = {}): ReasoningSplitter {
  const inlineStart: InlineStart = options.inlineStart ?? 'auto';

  let state: ContentState = 'start';
  /** Content not yet looked at past a possible partial tag at its end. */
  let pending = '';
  /** `undecided` content already scanned. */
  let undecidedText = '';
  /** `laterBlock` content already scanned. */
  let laterBlockText = '';
  /** A reasoning field was seen: the server splits, content is the answer. */
  let serverSplits = false;
  /** Markdown code and bare JSON in the prose (undecided or answer text), where tags are text. */
  const prose = createProseTracker();
  /** Markdown code opened inside a later block, where `</think>` is text and does not close it. */
  const laterBlockCode = createProseTracker();

  let out: SplitPiece[] = [];
  let reasoningStarted = false;
  let heldReasoningWhitespace = '';
  /** Reasoning text came from a field, or from content (inline tags or the template's implied `<think>`). */
  let fieldReasoning = false;
  let inlineReasoning = false;
  /** A reasoning block ended (or answer text came) since the last reasoning text. */
  let reasoningBlockEnded = false;
  let answerStarted = false;
  let lastAnswerChar = '';
  /** Reasoning came between two pieces of answer text. */
  let answerInterrupted = false;

  function emit(kind: SplitPiece['kind'], text: string): void {
    if (!text) return;
    const last = out[out.length - 1];
    if (last && last.kind === kind) out[out.length - 1] = { kind, text: last.text + text };
    else out.push({ kind, text });
  }

  function emitReasoning(raw: string): void {
    let text = raw;
    if (!reasoningStarted || reasoningBlockEnded) {
      text = text.trimStart();
      if (!text) return;
      if (reasoningStarted && !heldReasoningWhitespace.includes('\n')) heldReasoningWhitespace = '\n';
      reasoningStarted = true;
      reasoningBlockEnded = false;
    }
    const body = text.trimEnd();
    const trailing = text.slice(body.length);
    if (!body) {
      heldReasoningWhitespace += trailing;
      return;
    }
    if (serverSplits) fieldReasoning = true;
    else inlineReasoning = true;
    emit('reasoning', heldReasoningWhitespace + body);
    heldReasoningWhitespace = trailing;
    if (answerStarted) answerInterrupted = true;
  }

  function emitAnswer(raw: string): void {
    let text = raw;
    if (!answerStarted) {
      text = text.trimStart();
      if (!text) return;
      answerStarted = true;
    } else if (!text) {
      return;
    } else if (answerInterrupted && !/\s/.test(lastAnswerChar) && !/^\s/.test(text)) {
      text = `\n${text}`;
    }
    answerInterrupted = false;
    reasoningBlockEnded = true;
    lastAnswerChar = text[text.length - 1]!;
    emit('answer', text);
  }

  /** Answer or undecided text that was settled: feeds the prose tracker. */
  function settleProse(text: string, into: 'answer' | 'undecided'): void {
    prose.feed(text);
    if (into === 'answer') emitAnswer(text);
    else undecidedText += text;
  }

  function closeBlock(reasoning: string): void {
    emitReasoning(reasoning);
    reasoningBlockEnded = true;
    state = 'answer';
  }

  /** Runs the content state machine over `pending` until it needs more input. */
  function drainContent(): void {
    for (;;) {
      switch (state) {
        case 'start': {
          const trimmed = pending.trimStart();
          if (!trimmed) return;
          if (serverSplits) {
            // A tag before the answer of a server that splits reasoning itself is a stray marker.
            const stray = [OPEN_TAG, CLOSE_TAG].find((tag) => trimmed.startsWith(tag));
            if (stray) {
              pending = trimmed.slice(stray.length);
              continue;
            }
            if (OPEN_TAG.startsWith(trimmed) || CLOSE_TAG.startsWith(trimmed)) return;
            state = 'answer';
            continue;
          }
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
        case 'laterBlock': {
          const close = pending.indexOf(CLOSE_TAG);
          if (close >= 0) {
            const before = pending.slice(0, close);
            pending = pending.slice(close + CLOSE_TAG.length);
            if (state === 'laterBlock') {
              laterBlockCode.feed(before);
              if (laterBlockCode.inCode()) {
                // Inside markdown code the block opened (the answer's JSON quoting code, say): the
                // tag is that code's text, so this is no reasoning block but prose about the tag.
                laterBlockText += before + CLOSE_TAG;
                laterBlockCode.feed(CLOSE_TAG);
                continue;
              }
            }
            closeBlock(state === 'laterBlock' ? laterBlockText + before : before);
            laterBlockText = '';
            continue;
          }
          const keep = partialSuffixLength(pending, [CLOSE_TAG]);
          const settled = pending.slice(0, pending.length - keep);
          pending = pending.slice(pending.length - keep);
          if (state === 'think') emitReasoning(settled);
          else {
            laterBlockText += settled;
            laterBlockCode.feed(settled);
          }
          return;
        }
        case 'undecided':
        case 'answer': {
          // `</think>` only ends undecided text (it was reasoning); in the answer it is text.
          const tags = state === 'undecided' ? [CLOSE_TAG, OPEN_TAG] : serverSplits ? [] : [OPEN_TAG];
          const found = firstTag(pending, tags);
          if (!found) {
            const keep = partialSuffixLength(pending, tags);
            settleProse(pending.slice(0, pending.length - keep), state);
            pending = pending.slice(pending.length - keep);
            return;
          }
          const before = pending.slice(0, found.index);
          pending = pending.slice(found.index + found.tag.length);
          if (found.tag === CLOSE_TAG) {
            // Untagged content that reached `</think>`: the template's reasoning.
            const reasoning = undecidedText + before;
            undecidedText = '';
            prose.reset();
            closeBlock(reasoning);
            continue;
          }
          settleProse(before, state);
          if (prose.tagsAreText()) {
            settleProse(found.tag, state);
            continue;
          }
          // Text before a `<think>` is answer text; the block is believed when it closes.
          if (state === 'undecided') {
            emitAnswer(undecidedText);
            undecidedText = '';
          }
          state = 'laterBlock';
          laterBlockCode.reset();
          continue;
        }
      }
    }
  }

  function onReasoningField(text: string): void {
    if (!serverSplits) {
      serverSplits = true;
      switch (state) {
        case 'undecided':
          // Content before the reasoning field cannot have been inline reasoning after all.
          pending = undecidedText + pending;
          undecidedText = '';
          state = 'start';
          break;
        case 'think':
          // A `<think>` sent as content before the server's own reasoning field was a stray
          // marker; from here content is the answer (a stray `</think>` at its start is dropped).
          state = 'start';
          break;
        case 'laterBlock':
          // An unclosed later block is the answer's own text.
          emitAnswer(OPEN_TAG + laterBlockText);
          laterBlockText = '';
          state = 'answer';
          break;
        default:
          break;
      }
      drainContent();
    }
    emitReasoning(text);
  }

  function take(): SplitPiece[] {
    const result = out;
    out = [];
    return result;
  }

  return {
    reasoningSource: () => (fieldReasoning ? 'field' : inlineReasoning ? 'inline' : 'none'),
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
    end(finishReason) {
      const cutShort = finishReason === 'length';
      switch (state) {
        case 'start':
          // Only whitespace or a prefix of a tag arrived: it was text, not a tag.
          if (inlineStart === 'reasoning' && !serverSplits) emitReasoning(pending);
          else emitAnswer(pending);
          break;
        case 'think':
          emitReasoning(pending); // the reasoning was cut short (e.g. max_tokens): never an answer
          break;
        case 'undecided':
          // No `</think>` came: the answer of a model that skipped thinking, unless the output
          // was cut at its limit while the template's reasoning was still running.
          if (cutShort) emitReasoning(undecidedText + pending);
          else emitAnswer(undecidedText + pending);
          break;
        case 'laterBlock':
          // A block opened in the answer that never closed: prose mentioning the tag, unless the
          // output was cut at its limit inside a real block.
          if (cutShort) emitReasoning(laterBlockText + pending);
          else emitAnswer(OPEN_TAG + laterBlockText + pending);
          break;
        case 'answer':
          emitAnswer(pending);
          break;
      }
      pending = '';
      undecidedText = '';
      laterBlockText = '';
      heldReasoningWhitespace = '';
      state = 'answer';
      return take();
    },
  };
}

/**
 * Follows markdown code spans and fences, and whether the prose is bare JSON, over text fed in
 * order (any chunking). Inside code or JSON a `<think>` is the text's own, not a tag.
 */
function createProseTracker() {
  let firstChar = '';
  /** Length of the backtick run that opened the code span or fence we are in; 0 outside code. */
  let openRun = 0;
  /** Length of the backtick run being read. */
  let run = 0;
  const endRun = (): number => {
    if (run === 0) return openRun;
    if (openRun === 0) return run;
    return run === openRun ? 0 : openRun;
  };
  return {
    feed(text: string): void {
      for (const char of text) {
        if (!firstChar && !/\s/.test(char)) firstChar = char;
        if (char === '`') {
          run++;
        } else if (run > 0) {
          openRun = endRun();
          run = 0;
        }
      }
    },
    tagsAreText(): boolean {
      return firstChar === '{' || firstChar === '[' || endRun() > 0;
    },
    /** Inside a code span or fence (whatever the first character was). */
    inCode(): boolean {
      return endRun() > 0;
    },
    reset(): void {
      firstChar = '';
      openRun = 0;
      run = 0;
    },
  };
}

/**
 * The reasoning text a delta carries in its reasoning fields, or undefined when it has none.
 * Servers in transition send the same text under two names (vLLM: `reasoning_content` and
 * `reasoning`; OpenRouter: `reasoning` and `reasoning_details`), so only one field counts:
 * OpenRouter's structured `reasoning_details` text first (it is the source `reasoning` is derived
 * from), then `reasoning_content`, then `reasoning`. Details holding only encrypted or empty items
 * fall back to the plain fields, and alone still mark the stream as one with separate reasoning
 * (returns '').
 */
function reasoningText(delta: Record<string, unknown>): string | undefined {
  const { reasoning_content: reasoningContent, reasoning, reasoning_details: details } = delta;
  let detailsText: string | undefined;
  if (Array.isArray(details) && details.length > 0) {
    detailsText = '';
    for (const item of details) {
      if (!isRecord(item)) continue;
      if (item.type === 'reasoning.text' && typeof item.text === 'string') detailsText += item.text;
      else if (item.type === 'reasoning.summary' && typeof item.summary === 'string') detailsText += item.summary;
    }
  }
  if (detailsText) return detailsText;
  if (typeof reasoningContent === 'string' && reasoningContent) return reasoningContent;
  if (typeof reasoning === 'string' && reasoning) return reasoning;
  return detailsText;
}

/** The earliest of `tags` in `text`. */
function firstTag(text: string, tags: readonly string[]): { index: number; tag: string } | undefined {
  let best: { index: number; tag: string } | undefined;
  for (const tag of tags) {
    const index = text.indexOf(tag);
    if (index >= 0 && (!best || index < best.index)) best = { index, tag };
  }
  return best;
}

/** Length of the longest suffix of `text` that is a proper prefix of one of `tags` (a tag cut by a chunk). */
function partialSuffixLength(text: string, tags: readonly string[]): number {
  let longest = 0;
  for (const tag of tags) {
    for (let n = Math.min(text.length, tag.length - 1); n > longest; n--) {
      if (text.endsWith(tag.slice(0, n))) {
        longest = n;
        break;
      }
    }
  }
  return longest;
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}
