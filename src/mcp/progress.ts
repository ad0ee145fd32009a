// The reasoning as MCP progress: whole sentences and lines, not tokens, and at most one
// notification per interval (pieces that arrive in between go out together), so an agent's
// transcript stays readable and a fast model does not flood the connection.

import { forTerminal } from '../core/terminalText';
import type { ReasoningSink } from '../cli/reviewRun';

export interface ProgressOptions {
  /** The shortest time between two notifications. */
  readonly minIntervalMs: number;
  /** A piece with no sentence end or newline is sent anyway once it is this long (cut at a space). */
  readonly maxPieceChars: number;
  /** An unfinished piece is sent anyway when nothing more arrived for this long (a pause, or a stall before a cancel). */
  readonly idleFlushMs: number;
}

export const PROGRESS_DEFAULTS: ProgressOptions = { minIntervalMs: 400, maxPieceChars: 600, idleFlushMs: 1500 };

/** Sends `message` with a progress value that only grows (the characters of reasoning sent so far); resolves once written. */
export type SendProgress = (message: string, progress: number) => void | Promise<void>;

export interface ReasoningProgress {
  /** One sink per file and sample; `label` prefixes its pieces when there are several. */
  sink(label: string): ReasoningSink;
  /**
   * Sends what is queued now (the run has ended); resolves once it is written, so the tool's result
   * goes out after it (a client drops progress that arrives after the result).
   */
  flush(): Promise<void>;
  dispose(): void;
}

export function reasoningProgress(send: SendProgress, options: ProgressOptions = PROGRESS_DEFAULTS): ReasoningProgress {
  const queue: string[] = [];
  let sentChars = 0;
  let lastSent = -Infinity;
  let timer: NodeJS.Timeout | undefined;
  const idleTimers = new Set<() => void>();

  const sendQueued = async (): Promise<void> => {
    timer = undefined;
    if (!queue.length) return;
    const message = queue.splice(0).join('\n');
    sentChars += message.length;
    lastSent = Date.now();
    await send(message, sentChars);
  };
  const schedule = () => {
    if (timer) return;
    const wait = lastSent + options.minIntervalMs - Date.now();
    if (wait <= 0) void sendQueued();
    else timer = setTimeout(() => void sendQueued(), wait);
  };
  const enqueue = (label: string, piece: string) => {
    const text = forTerminal(piece).trim();
    if (!text) return;
    queue.push(label ? `[${label}] ${text}` : text);
    schedule();
  };

  return {
    sink(label) {
      let pending = '';
      let idle: NodeJS.Timeout | undefined;
      const sendPending = () => {
        if (idle) clearTimeout(idle);
        idle = undefined;
        enqueue(label, pending);
        pending = '';
      };
      idleTimers.add(() => idle && clearTimeout(idle));
      return {
        write(text) {
          pending += text;
          for (;;) {
            const cut = pieceEnd(pending, options.maxPieceChars);
            if (cut < 0) break;
            enqueue(label, pending.slice(0, cut));
            pending = pending.slice(cut);
          }
          if (idle) clearTimeout(idle);
          idle = pending.trim() ? setTimeout(sendPending, options.idleFlushMs) : undefined;
        },
        end: sendPending,
      };
    },
    flush() {
      if (timer) clearTimeout(timer);
      return sendQueued();
    },
    dispose() {
      for (const clear of idleTimers) clear();
      if (timer) clearTimeout(timer);
      timer = undefined;
      queue.length = 0;
    },
  };
}

/**
 * Where the first readable piece of `text` ends: after a newline, or after a sentence's end
 * followed by a space; a long run without either is cut at its last space. -1: wait for more.
 */
export function pieceEnd(text: string, maxChars: number): number {
  const boundary = /\n|[.!?]["')\]]*\s/.exec(text);
  if (boundary) return boundary.index + boundary[0].length;
  if (text.length < maxChars) return -1;
  const space = text.lastIndexOf(' ', maxChars);
  return space > 0 ? space + 1 : maxChars;
}
