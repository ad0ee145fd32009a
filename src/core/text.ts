// Small text helpers shared by the prompt builder, the answer parser and the locator. Lines are
// split the way VS Code splits them (\r\n, \n or a lone \r), so line numbers and UTF-16 columns
// computed here match the editor's.

import { createReasoningSplitter } from './reasoningSplitter';
import type { LineRange } from './types';

const LINE_BREAK = /\r\n|\r|\n/;

/**
 * `table[key]` for the table's own keys only: model text such as "__proto__", "constructor" or
 * "toString" used as a key finds nothing instead of an inherited object or function.
 */
export function ownValue<T>(table: Readonly<Record<string, T>>, key: string): T | undefined {
  return Object.prototype.hasOwnProperty.call(table, key) ? table[key] : undefined;
}

/** The lines of `text` without their terminators. A trailing break yields a last empty line, as in VS Code. */
export function splitLines(text: string): string[] {
  return text.split(LINE_BREAK);
}

/** The line ending a file uses: CRLF when its first line break is CRLF, LF otherwise. */
export function detectEol(text: string): '\n' | '\r\n' {
  const match = /\r\n|\n|\r/.exec(text);
  return match?.[0] === '\r\n' ? '\r\n' : '\n';
}

/** Rewrites every line break in `text` as `eol`. */
export function normalizeEol(text: string, eol: '\n' | '\r\n'): string {
  return text.replace(/\r\n|\r|\n/g, eol);
}

export function clamp(value: number, min: number, max: number): number {
  return Math.min(Math.max(value, min), max);
}

/** Sorted, with overlapping and adjacent ranges joined, and reversed ranges put right. */
export function mergeRanges(ranges: readonly LineRange[]): LineRange[] {
  const sorted = ranges
    .filter((r) => Number.isFinite(r.startLine) && Number.isFinite(r.endLine))
    .map((r) => ({
      startLine: Math.min(r.startLine, r.endLine),
      endLine: Math.max(r.startLine, r.endLine),
    }))
    .sort((a, b) => a.startLine - b.startLine);
  const merged: { startLine: number; endLine: number }[] = [];
  for (const range of sorted) {
    const last = merged[merged.length - 1];
    if (last && range.startLine <= last.endLine + 1) {
      last.endLine = Math.max(last.endLine, range.endLine);
    } else {
      merged.push({ ...range });
    }
  }
  return merged;
}

/** Formats a line range for people and prompts: `12` or `12–14`. */
/**
 * A whole number with its thousands grouped, as `toLocaleString('en-US')` writes it, without Intl:
 * the first `toLocaleString` of a process loads ICU's number data (100 ms or more on 2 busy cores),
 * and the planner's messages are on the way to the first token (bench/results/latency.md).
 */
export function formatCount(value: number): string {
  return String(Math.round(value)).replace(/\B(?=(\d{3})+(?!\d))/g, ',');
}

export function formatLines(range: LineRange): string {
  return range.startLine === range.endLine ? `${range.startLine}` : `${range.startLine}–${range.endLine}`;
}

/**
 * Removes reasoning that leaked into an answer, as the stream's splitter reads it (one home for what
 * is a tag: src/core/reasoningSplitter.ts): whole `<think>…</think>` blocks, and everything before a
 * stray `</think>` (templates that prefill the opening tag never send it). Tags inside markdown
 * code, a block whose `</think>` only comes inside code it opened, and a `<think>` that never
 * closes after answer text are the answer's own text.
 */
export function stripThink(text: string): string {
  const splitter = createReasoningSplitter();
  return [...splitter.push({ content: text }), ...splitter.end('stop')]
    .filter((piece) => piece.kind === 'answer')
    .map((piece) => piece.text)
    .join('');
}

/** The `  12 | ` prefix the prompt puts before each code line. */
export const LINE_NUMBER_PREFIX = /^[ \t]*(\d+)[ \t]*\|[ \t]?/;

/**
 * Strips `12 | ` prefixes a model copied from the numbered prompt, but only when they are clearly
 * line numbers: every non-empty line carries one and the numbers increase. A single prefixed line
 * must be within 50 of `near` when given, so real code such as `1 | FLAG` survives.
 */
export function stripLineNumberPrefixes(text: string, near?: number): string {
  const lines = splitLines(text);
  const numbers: number[] = [];
  for (const line of lines) {
    const match = LINE_NUMBER_PREFIX.exec(line);
    if (match) numbers.push(Number(match[1]));
    else if (line.trim() !== '') return text;
  }
  if (numbers.length === 0) return text;
  if (numbers.some((n, i) => i > 0 && n <= numbers[i - 1]!)) return text;
  if (numbers.length === 1 && near !== undefined && Math.abs(numbers[0]! - near) > 50) return text;
  return lines.map((line) => line.replace(LINE_NUMBER_PREFIX, '')).join('\n');
}

/** The leading whitespace of a line. */
export function indentationOf(line: string): string {
  return /^[ \t]*/.exec(line)?.[0] ?? '';
}

/** Token counts for budgeting, erring high (the rules are in tokens.ts). */
export { estimateTokens } from './tokens';

/**
 * The first sentence of a markdown text, as plain text for a one-line message: markup dropped,
 * cut at the first `.`, `!` or `?` followed by a space (so `items.length` stays whole), at most `max` characters.
 */
export function firstSentenceOf(markdown: string, max = 160): string {
  const plain = markdown
    .replace(/```[\s\S]*?(```|$)/g, ' ')
    .replace(/[`*_#>]/g, '')
    .replace(/\s+/g, ' ')
    .trim();
  const end = /[.!?](?=\s|$)/.exec(plain);
  const sentence = end ? plain.slice(0, end.index + 1) : plain;
  return sentence.length > max ? `${sentence.slice(0, max - 1).trimEnd()}…` : sentence;
}
