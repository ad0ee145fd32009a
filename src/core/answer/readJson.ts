// Reading a candidate block as JSON (answerParser.ts): strict first, then light repairs (comments,
// trailing commas, Python literals, bad escapes), then jsonrepair for short blocks; and recognising
// the answer contract's shape in whatever came back.

import { jsonrepair } from 'jsonrepair';
import { ownValue } from '../text';
import { type Candidate, scanValue } from './jsonBlock';
import { isRecord, textOf } from './helpers';

/** A JSON block longer than this (about 16k tokens) is not a real answer; no lenient repair. */
const MAX_JSONREPAIR_CHARS = 64_000;

interface ReadContract {
  readonly summary: string;
  /** The contract's `explanation` field: the prose, when the answer was JSON alone. */
  readonly explanation: string;
  readonly rawFindings: readonly unknown[];
  readonly truncated: boolean;
  /** Offset in the candidate's body just past the JSON value. */
  readonly valueEnd: number;
}

export function readCandidate(candidate: Candidate): ReadContract | 'broken' | undefined {
  const body = candidate.body;
  const first = body.search(/[{[]/);
  if (first < 0) return candidate.labelledJson && body.trim() !== '' ? 'broken' : undefined;
  const scan = scanValue(body, first);
  const valueText = body.slice(first, scan.end);

  if (!scan.closed) {
    // Cut off mid-stream: keep only what was written in full. jsonrepair would happily close a
    // half-written `replacement` string, and applying that would delete code.
    const whole = scan.lastWholeElement > 0 ? body.slice(first, scan.lastWholeElement) : valueText;
    const value = readJson(whole);
    const contract = value === undefined ? undefined : contractOf(value, candidate.labelledJson);
    if (!contract) return candidate.labelledJson ? 'broken' : undefined;
    return {
      ...contract,
      rawFindings: scan.lastWholeElement > 0 ? contract.rawFindings : [],
      truncated: true,
      valueEnd: body.length,
    };
  }

  const value = readJson(valueText) ?? readJson(body);
  if (value === undefined) return candidate.labelledJson ? 'broken' : undefined;
  const contract = contractOf(value, candidate.labelledJson);
  if (!contract) return undefined;
  return { ...contract, truncated: false, valueEnd: scan.end };
}

function readJson(text: string): unknown {
  const trimmed = text.trim();
  if (trimmed === '') return undefined;
  const attempts = [() => trimmed, () => lightRepair(trimmed)];
  // jsonrepair knows many more breakages, but it mangles strings holding an unclosed `{` followed
  // by `"}` (3.15: `"x {"}` -> `"x {\"}"`), which code lines ending in `{` always do, so it only
  // gets text the strict repair could not read. It can also go quadratic on pathological text, so
  // it is kept to blocks of a realistic size.
  if (trimmed.length <= MAX_JSONREPAIR_CHARS) {
    attempts.push(
      () => jsonrepair(lightRepair(trimmed)),
      () => jsonrepair(trimmed),
    );
  }
  for (const attempt of attempts) {
    try {
      return JSON.parse(attempt()) as unknown;
    } catch {
      // next attempt
    }
  }
  return undefined;
}

const VALID_ESCAPES = new Set(['"', '\\', '/', 'b', 'f', 'n', 'r', 't', 'u']);
const PYTHON_LITERALS: Readonly<Record<string, string>> = { True: 'true', False: 'false', None: 'null' };

/**
 * The repairs R1-style answers need most, done without guessing: comments and trailing commas
 * removed, single-quoted strings and bare keys quoted, raw line breaks inside strings escaped,
 * Python literals mapped, and brackets left open at the end closed.
 */
function lightRepair(text: string): string {
  let out = '';
  const closers: string[] = [];
  let i = 0;
  while (i < text.length) {
    const ch = text[i]!;
    if (ch === '"' || ch === "'") {
      const quoted = requote(text, i);
      out += quoted.literal;
      i = quoted.end;
    } else if (ch === '/' && (text[i + 1] === '/' || text[i + 1] === '*')) {
      i = skipComment(text, i);
    } else if (ch === ',') {
      const next = text[skipSpaceAndComments(text, i + 1)];
      if (next !== undefined && next !== '}' && next !== ']') out += ch;
      i++;
    } else if (/[A-Za-z_$]/.test(ch) && !/[\w$.]/.test(text[i - 1] ?? '')) {
      const word = /^[A-Za-z_$][\w$]*/.exec(text.slice(i, i + 200))![0];
      const isKey = text[skipSpaceAndComments(text, i + word.length)] === ':';
      out += isKey ? JSON.stringify(word) : (ownValue(PYTHON_LITERALS, word) ?? word);
      i += word.length;
    } else {
      if (ch === '{') closers.push('}');
      else if (ch === '[') closers.push(']');
      else if (ch === '}' || ch === ']') closers.pop();
      out += ch;
      i++;
    }
  }
  return out.replace(/,\s*$/, '') + closers.reverse().join('');
}

/** A quoted string from `start` as a valid JSON string literal, and where it ended. */
function requote(text: string, start: number): { literal: string; end: number } {
  const quote = text[start]!;
  let out = '"';
  let i = start + 1;
  while (i < text.length) {
    const ch = text[i]!;
    if (ch === quote) return { literal: out + '"', end: i + 1 };
    if (ch === '\\') {
      const next = text[i + 1] ?? '';
      if (next === "'") out += "'";
      else if (VALID_ESCAPES.has(next)) out += ch + next;
      else out += '\\\\' + next;
      i += 2;
      continue;
    }
    if (ch === '"') out += '\\"';
    else if (ch === '\n') out += '\\n';
    else if (ch === '\r') out += '\\r';
    else if (ch === '\t') out += '\\t';
    else if (ch < ' ') out += `\\u${ch.charCodeAt(0).toString(16).padStart(4, '0')}`;
    else out += ch;
    i++;
  }
  return { literal: out + '"', end: text.length };
}

function skipComment(text: string, start: number): number {
  if (text[start + 1] === '/') {
    const eol = text.indexOf('\n', start);
    return eol < 0 ? text.length : eol;
  }
  const close = text.indexOf('*/', start + 2);
  return close < 0 ? text.length : close + 2;
}

function skipSpaceAndComments(text: string, start: number): number {
  let i = start;
  while (i < text.length) {
    if (/\s/.test(text[i]!)) i++;
    else if (text[i] === '/' && (text[i + 1] === '/' || text[i + 1] === '*')) i = skipComment(text, i);
    else break;
  }
  return i;
}

const FINDINGS_KEYS = ['findings', 'issues', 'bugs', 'problems', 'results'];
const FINDING_MARKERS = ['title', 'startLine', 'start_line', 'line', 'lines', 'quote', 'severity', 'explanation'];

/** The contract's shape in whatever came back, or undefined when it is some other JSON. */
function contractOf(value: unknown, labelledJson: boolean): Omit<ReadContract, 'truncated' | 'valueEnd'> | undefined {
  if (Array.isArray(value)) {
    if (value.some(looksLikeFinding) || (value.length === 0 && labelledJson)) {
      return { summary: '', explanation: '', rawFindings: value };
    }
    return undefined;
  }
  if (!isRecord(value)) return undefined;
  const summary = textOf(value.summary ?? value.overview ?? value.explanation_summary);
  const explanation = textOf(value.explanation);
  for (const key of FINDINGS_KEYS) {
    const list = value[key];
    if (Array.isArray(list)) return { summary, explanation, rawFindings: list };
    if (isRecord(list) && looksLikeFinding(list)) return { summary, explanation, rawFindings: [list] };
  }
  // A lone finding: its `explanation` is the finding's, not the answer's.
  if (looksLikeFinding(value) && ('title' in value || 'quote' in value)) return { summary, explanation: '', rawFindings: [value] };
  if ('summary' in value) return { summary, explanation, rawFindings: [] };
  return undefined;
}

function looksLikeFinding(value: unknown): boolean {
  return isRecord(value) && FINDING_MARKERS.some((key) => key in value);
}
