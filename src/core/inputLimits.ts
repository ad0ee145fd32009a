// What ThinkLens refuses to send, and the bounds on numbers a person types. One home for the CLI
// and the extension, so both refuse the same files with the same words.

import { splitLines } from './text';
import type { LineRange } from './types';

/**
 * Most code sent for review: a whole file, or the range of one that was asked for. About 250K tokens of code: past every model's window, so a bigger
 * file could only fail at the server after the upload (and the bill for the prompt).
 */
export const MAX_REVIEW_FILE_BYTES = 1024 * 1024;

/** Node's timers hold at most 2^31-1 ms; a longer delay fires at once instead. */
export const MAX_TIMER_SECONDS = Math.floor((2 ** 31 - 1) / 1000);

/** How many bytes are looked at for a NUL byte (git's binary test looks at the first 8000). */
const BINARY_SNIFF_BYTES = 8000;

/**
 * Why `content` must not be sent for review, or undefined when it may be. The limit is on what is
 * sent: with a `range` (`path:start-end`) that is those lines, however large the file around them.
 */
export function unreviewableReason(path: string, content: Uint8Array, range?: LineRange): string | undefined {
  const sniff = content.subarray(0, BINARY_SNIFF_BYTES);
  if (sniff.includes(0)) return `${path} looks like a binary file (it contains NUL bytes); ThinkLens reviews text source files only.`;
  if (range) {
    const lines = splitLines(Buffer.from(content.buffer, content.byteOffset, content.byteLength).toString('utf8'));
    if (range.endLine > lines.length)
      return `${path}:${range.startLine}-${range.endLine} is past the end of the file (${lines.length} lines)`;
    const sent = Buffer.byteLength(lines.slice(range.startLine - 1, range.endLine).join('\n'), 'utf8');
    if (sent > MAX_REVIEW_FILE_BYTES)
      return `${path}:${range.startLine}-${range.endLine} is ${formatBytes(sent)}, over the ${formatBytes(MAX_REVIEW_FILE_BYTES)} ThinkLens sends for review; review a smaller range.`;
    return undefined;
  }
  if (content.byteLength > MAX_REVIEW_FILE_BYTES) {
    return `${path} is ${formatBytes(content.byteLength)}, over the ${formatBytes(MAX_REVIEW_FILE_BYTES)} ThinkLens sends for review; review a range of it (path:start-end) or a smaller file.`;
  }
  return undefined;
}

/** The same test for text already decoded (an editor's document): size in UTF-8 bytes, NUL characters. */
export function unreviewableTextReason(path: string, text: string): string | undefined {
  const bytes = Buffer.byteLength(text, 'utf8');
  if (bytes > MAX_REVIEW_FILE_BYTES) {
    return `${path} is ${formatBytes(bytes)}, over the ${formatBytes(MAX_REVIEW_FILE_BYTES)} ThinkLens sends for review; select a part of it and review the selection.`;
  }
  if (text.slice(0, BINARY_SNIFF_BYTES).includes('\u0000'))
    return `${path} looks like a binary file (it contains NUL characters); ThinkLens reviews text source files only.`;
  return undefined;
}

/** A number of seconds from a setting, or `fallback` when it is missing, not a number, not positive, or past what a timer holds. */
export function timerSeconds(value: unknown, fallback: number): number {
  if (typeof value !== 'number' || !Number.isFinite(value) || value <= 0) return fallback;
  return Math.min(value, MAX_TIMER_SECONDS);
}

function formatBytes(bytes: number): string {
  return bytes >= 1024 * 1024 ? `${(bytes / (1024 * 1024)).toFixed(1)} MiB` : `${Math.ceil(bytes / 1024)} KiB`;
}
