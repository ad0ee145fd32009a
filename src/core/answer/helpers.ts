// Small helpers the answer parser's parts share.

import type { LineRange } from '../types';
import { clamp, formatLines } from '../text';

export function clampRange(range: LineRange, lineCount: number): LineRange {
  const startLine = clamp(range.startLine, 1, lineCount);
  return { startLine, endLine: clamp(range.endLine, startLine, lineCount) };
}

export function spanOf(ranges: readonly LineRange[]): LineRange | undefined {
  if (ranges.length === 0) return undefined;
  return { startLine: ranges[0]!.startLine, endLine: ranges[ranges.length - 1]!.endLine };
}

export function where(range: LineRange): string {
  return `${range.startLine === range.endLine ? 'line' : 'lines'} ${formatLines(range)}`;
}

export function count(n: number, noun: string): string {
  return `${n} ${noun}${n === 1 ? '' : 's'}`;
}

export function firstSentence(text: string): string {
  const sentence = /^[^\n.!?]{1,80}/.exec(text.replace(/[`*_#>]/g, '').trim());
  return sentence ? sentence[0].trim() : '';
}

export function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

export function textOf(value: unknown): string {
  if (typeof value === 'string') return value;
  if (typeof value === 'number' || typeof value === 'boolean') return String(value);
  return '';
}

export function firstString(...values: unknown[]): string | undefined {
  for (const value of values) {
    if (typeof value === 'string' && value.trim() !== '') return value;
  }
  return undefined;
}
