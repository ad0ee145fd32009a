// Reading one finding of the contract (answerParser.ts): the field names models use instead of the
// contract's, line numbers in every notation, severity, category and confidence words.

import type { Category, Confidence, LineRange, Severity } from '../types';
import { CATEGORY_WORDS, CONFIDENCE_WORDS, DEFAULT_CATEGORY, DEFAULT_SEVERITY, normaliseCategoryWord, SEVERITY_WORDS } from '../contract';
import { ownValue } from '../text';
import { firstSentence, firstString, isRecord, textOf } from './helpers';

export interface RawFix {
  readonly lines?: Partial<LineRange>;
  readonly replacement: string;
  /** A line key with a value that is no line (negative, zero, not a number): the fix is refused. */
  readonly badLines?: string;
}

export interface RawFinding {
  readonly title: string;
  readonly severity: Severity;
  readonly category: Category;
  readonly lines: Partial<LineRange>;
  readonly quote?: string;
  readonly explanation: string;
  readonly fix?: RawFix;
  readonly confidence?: Confidence;
}

export function readFinding(value: unknown): RawFinding | undefined {
  if (!isRecord(value)) return undefined;
  let explanation = textOf(value.explanation ?? value.description ?? value.details ?? value.detail ?? value.message ?? value.reason).trim();
  const quote = firstString(value.quote, value.snippet, value.code, value.quoted);
  let fix: RawFix | undefined;
  const rawFix = value.fix ?? value.suggestedFix ?? value.suggested_fix ?? value.patch;
  if (typeof rawFix === 'string' && rawFix.trim() !== '') {
    // A fix described in words has no lines to replace: keep it for the person to read.
    const note = rawFix.trim();
    explanation = [explanation, note.includes('\n') ? `Suggested fix:\n\n\`\`\`\n${note}\n\`\`\`` : `Suggested fix: ${note}`]
      .filter(Boolean)
      .join('\n\n');
  } else if (isRecord(rawFix)) {
    const replacement = replacementOf(rawFix);
    if (replacement !== undefined) {
      const lines = lineRangeOf(rawFix);
      const badLines = impossibleLineIn(rawFix);
      fix = { replacement, ...(lines.startLine !== undefined ? { lines } : {}), ...(badLines ? { badLines } : {}) };
    }
  }
  const lines = lineRangeOf(value);
  const titleText = textOf(value.title ?? value.name ?? value.summary ?? value.issue)
    .replace(/\s+/g, ' ')
    .trim();
  const title = titleText || firstSentence(explanation) || 'Untitled finding';
  if (!titleText && !explanation && lines.startLine === undefined && quote === undefined) return undefined;
  return {
    title,
    severity: severityOf(value.severity ?? value.level ?? value.priority),
    category: categoryOf(value.category ?? value.type ?? value.kind),
    lines,
    ...(quote !== undefined ? { quote } : {}),
    explanation,
    ...(fix ? { fix } : {}),
    ...confidenceField(value.confidence ?? value.certainty),
  };
}

/** `high | medium | low`, or a number from 0 to 1 (or a percentage) as some models write it. */
function confidenceField(value: unknown): { confidence?: Confidence } {
  if (typeof value === 'number' && Number.isFinite(value)) {
    const share = value > 1 ? value / 100 : value;
    return { confidence: share >= 0.75 ? 'high' : share >= 0.4 ? 'medium' : 'low' };
  }
  const confidence = CONFIDENCE_WORDS[textOf(value).trim().toLowerCase()];
  return confidence ? { confidence } : {};
}

function replacementOf(fix: Record<string, unknown>): string | undefined {
  for (const key of ['replacement', 'replace', 'newCode', 'new_code', 'code', 'after', 'text', 'content']) {
    const value = fix[key];
    if (typeof value === 'string') return value;
    if (Array.isArray(value) && value.every((line) => typeof line === 'string')) return value.join('\n');
  }
  return undefined;
}

const START_KEYS = [
  'startLine',
  'start_line',
  'lineStart',
  'line_start',
  'fromLine',
  'start',
  'line',
  'lineNumber',
  'line_number',
  'lines',
];
const END_KEYS = ['endLine', 'end_line', 'lineEnd', 'line_end', 'toLine', 'end'];

const STRICT_LINE_KEYS = new Set([
  'startLine',
  'start_line',
  'endLine',
  'end_line',
  'line',
  'lineStart',
  'lineEnd',
  'line_start',
  'line_end',
]);

/**
 * A line key whose value cannot be a line of a file: a number below 1 or not finite, a negative
 * numeric string, or (for keys that only ever hold a line number) text without a number. Read as
 * "no lines", such a fix would silently move onto the finding's lines instead.
 */
function impossibleLineIn(fix: Record<string, unknown>): string | undefined {
  for (const key of [...START_KEYS, ...END_KEYS]) {
    if (!Object.prototype.hasOwnProperty.call(fix, key)) continue;
    const value = fix[key];
    const bad =
      (typeof value === 'number' && (!Number.isFinite(value) || value < 1)) ||
      (typeof value === 'string' &&
        (/^\s*-\s*\d/.test(value) || /^\s*0+\s*$/.test(value) || (STRICT_LINE_KEYS.has(key) && !/\d/.test(value)))) ||
      (STRICT_LINE_KEYS.has(key) && value !== null && typeof value === 'object' && !Array.isArray(value)) ||
      typeof value === 'boolean';
    if (bad) return `${key}: ${JSON.stringify(value)?.slice(0, 40) ?? String(value)}`;
  }
  return undefined;
}

/** Lines from numbers, numeric strings (`"12"`, `"L12"`, `"12-14"`), `[12, 14]` or a nested location. */
function lineRangeOf(value: Record<string, unknown>): Partial<LineRange> {
  let start: number | undefined;
  let end: number | undefined;
  for (const key of START_KEYS) {
    const read = readLines(value[key]);
    if (read.start !== undefined) {
      start = read.start;
      end = read.end;
      break;
    }
  }
  for (const key of END_KEYS) {
    const read = readLines(value[key]);
    if (read.start !== undefined) {
      end = read.end ?? read.start;
      break;
    }
  }
  if (start === undefined) {
    const nested = value.location ?? value.range ?? value.position;
    if (isRecord(nested)) return lineRangeOf(nested);
  }
  return { ...(start !== undefined ? { startLine: start } : {}), ...(end !== undefined ? { endLine: end } : {}) };
}

function readLines(value: unknown): { start?: number; end?: number } {
  if (typeof value === 'number') return Number.isFinite(value) && value >= 0 ? { start: Math.trunc(value) } : {};
  if (typeof value === 'string') {
    const match = /^\s*(?:lines?\s*)?L?(\d+)(?:\s*(?:-|–|—|to|\.\.|:|,)\s*L?(\d+))?/i.exec(value);
    if (!match) return {};
    return { start: Number(match[1]), ...(match[2] ? { end: Number(match[2]) } : {}) };
  }
  if (Array.isArray(value) && value.length > 0) {
    const first = readLines(value[0]);
    const last = readLines(value[value.length - 1]);
    return first.start === undefined ? {} : { start: first.start, ...(last.start !== undefined ? { end: last.start } : {}) };
  }
  return {};
}

function severityOf(value: unknown): Severity {
  const key = textOf(value).trim().toLowerCase();
  return ownValue(SEVERITY_WORDS, key) ?? DEFAULT_SEVERITY;
}

function categoryOf(value: unknown): Category {
  const key = normaliseCategoryWord(textOf(value));
  return ownValue(CATEGORY_WORDS, key) ?? ownValue(CATEGORY_WORDS, key.replace(/ /g, '')) ?? DEFAULT_CATEGORY;
}
