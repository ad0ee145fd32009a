// Reads a model's final answer back into findings (docs/ARCHITECTURE.md, step 6 of a run).
// Real models bend the contract in every way they can: the JSON block is fenced oddly or not at
// all, has comments and trailing commas, uses other field names, or is cut off mid-stream; the
// line numbers are often wrong. The quote is the anchor for where a finding goes, and a fix is only
// offered when it is certain to replace lines inside the code under review.

import { jsonrepair } from 'jsonrepair';
import type { Category, CodeUnderReview, Confidence, Finding, Fix, LineRange, ParsedAnswer, Severity, TextRange } from './types';
import { CATEGORY_WORDS, CONFIDENCE_WORDS, DEFAULT_CATEGORY, DEFAULT_SEVERITY, normaliseCategoryWord, SEVERITY_WORDS } from './contract';
import { closesFence, CONTRACT_OBJECT, isJsonLabel, openingFence } from './answerBlock';
import { withProvenance } from './provenance';
import { fingerprintOf } from './fingerprint';
import { locateQuoteInLines } from './locate';
import { editableRanges } from './prompt';
import { reflowLikeOriginal } from './reflow';
import {
  clamp,
  detectEol,
  formatLines,
  indentationOf,
  LINE_NUMBER_PREFIX,
  mergeRanges,
  splitLines,
  stripLineNumberPrefixes,
  stripThink,
  ownValue,
} from './text';

/** More than this many findings in one answer is noise (or a model stuck in a loop). */
const MAX_FINDINGS = 100;
/** Only the last few brace-starts of a long answer are tried as a bare JSON object. */
const MAX_BARE_CANDIDATES = 30;
/** ... and only the last few blocks of each kind: the answer's block is at the end. */
const MAX_CANDIDATES = 40;
/** Claims (and fixes) longer than this many lines are not lined up by similarity. */
const MAX_DELTA_SEARCH = 200;
/** A JSON block longer than this (about 16k tokens) is not a real answer; no lenient repair. */
const MAX_JSONREPAIR_CHARS = 64_000;

/** A finding placed in the file, before the reasoning is read for its evidence and confidence. */
type PlacedFinding = Omit<Finding, 'evidence' | 'confidence' | 'confidenceReasons'>;

/**
 * Reads `answer` against the code it was about, and ties each finding to the passages of
 * `reasoning` behind it. Never throws, whatever the text.
 */
export function parseAnswer(answer: string, code: CodeUnderReview, reasoning = ''): ParsedAnswer {
  let text = '';
  try {
    text = stripThink(typeof answer === 'string' ? answer : String(answer ?? ''));
    const parsed = parse(text, code);
    return { ...parsed, findings: withProvenance(parsed.findings, typeof reasoning === 'string' ? reasoning : '') };
  } catch (error) {
    return {
      summary: '',
      findings: [],
      prose: text.trim(),
      problem: `The answer could not be read (${error instanceof Error ? error.message : String(error)}); its text is shown as is.`,
    };
  }
}

function parse(text: string, code: CodeUnderReview): Omit<ParsedAnswer, 'findings'> & { findings: PlacedFinding[] } {
  if (text.trim() === '') {
    return { summary: '', findings: [], prose: '', problem: 'The model gave an empty answer.', jsonMissing: true };
  }
  const candidates = findCandidates(text);
  let sawBroken = false;
  for (const candidate of candidates) {
    const read = readCandidate(candidate);
    if (read === 'broken') {
      sawBroken = true;
      continue;
    }
    if (!read) continue;
    // A model that forgot the closing fence may still have written prose after the JSON.
    const end =
      candidate.unclosedFenceBodyStart !== undefined && !read.truncated
        ? candidate.unclosedFenceBodyStart + read.valueEnd
        : candidate.end;
    // Prose around the block is the explanation; an answer that is JSON alone carries it in a field.
    const prose = tidyProse(text.slice(0, candidate.start) + '\n\n' + text.slice(end)) || read.explanation.trim();
    const { findings, unreadable } = placeFindings(read.rawFindings, code);
    let problem: string | undefined;
    const one = findings.length === 1;
    if (read.truncated) {
      problem =
        findings.length > 0
          ? 'The answer stopped before its JSON block was finished; only the ' +
            `${count(findings.length, 'finding')} written in full ${one ? 'is' : 'are'} shown.`
          : 'The answer stopped before its JSON block was finished, so no findings could be read.';
    } else if (unreadable > 0) {
      const was = unreadable === 1 ? 'was' : 'were';
      problem = `${count(unreadable, 'finding')} in the answer could not be read and ${was} left out.`;
    }
    return { summary: read.summary, findings, prose, ...(problem ? { problem } : {}) };
  }
  return {
    summary: '',
    findings: [],
    prose: tidyProse(text),
    jsonMissing: true,
    problem: sawBroken
      ? "The answer's JSON block could not be read, so no findings are listed; the explanation is shown as text."
      : 'The answer has no JSON block with findings, so none are listed; the explanation is shown as text.',
  };
}

// ---- finding the JSON block ----

interface Candidate {
  /** The span removed from the prose when this candidate is the block. */
  readonly start: number;
  readonly end: number;
  readonly body: string;
  /** Fenced with a json-ish or empty info string: `[]` alone counts as an answer. */
  readonly labelledJson: boolean;
  /** Fenced as some other language (```ts): only tried when nothing else holds the contract. */
  readonly otherLanguage: boolean;
  /** A fence that never closed: the block ends where its JSON value does, not at the text's end. */
  readonly unclosedFenceBodyStart?: number;
}

/** Every place a JSON answer could be, the last in the text first. */
function findCandidates(text: string): Candidate[] {
  const fenced = findFencedBlocks(text);
  // Blocks come in text order and never overlap: binary search keeps many fences cheap.
  const insideFence = (at: number): boolean => {
    let lo = 0;
    let hi = fenced.length - 1;
    while (lo <= hi) {
      const mid = (lo + hi) >> 1;
      const block = fenced[mid]!;
      if (at < block.start) hi = mid - 1;
      else if (at >= block.end) lo = mid + 1;
      else return true;
    }
    return false;
  };

  const starts = new Set<number>();
  // A `{` or `[` opening a line, or an object that starts with one of the contract's keys anywhere.
  for (const match of text.matchAll(/^[ \t]*([{[])/gm)) starts.add(match.index + match[0].length - 1);
  for (const match of text.matchAll(CONTRACT_OBJECT)) starts.add(match.index);
  const bareStarts = [...starts]
    .filter((at) => !insideFence(at))
    .sort((a, b) => b - a)
    .slice(0, MAX_BARE_CANDIDATES);
  const bare = bareStarts.map((start): Candidate => {
    const end = scanValue(text, start).end;
    return { start, end, body: text.slice(start, end), labelledJson: false, otherLanguage: false };
  });

  // The last block wins; at the same end a fenced block (its span includes the fences) before a
  // bare one. A ```ts block holding an object literal must not beat the real answer, so blocks
  // fenced as other languages are only tried after all the rest.
  const byEnd = (a: Candidate, b: Candidate): number => b.end - a.end || a.start - b.start;
  const likely = [...fenced.filter((b) => !b.otherLanguage), ...bare].sort(byEnd).slice(0, MAX_CANDIDATES);
  const other = fenced.filter((b) => b.otherLanguage).sort(byEnd).slice(0, MAX_CANDIDATES);
  return [...likely, ...other];
}

function findFencedBlocks(text: string): Candidate[] {
  const blocks: Candidate[] = [];
  const lineStarts = [0];
  for (let i = text.indexOf('\n'); i >= 0; i = text.indexOf('\n', i + 1)) lineStarts.push(i + 1);
  const lineAt = (n: number): string => text.slice(lineStarts[n]!, (lineStarts[n + 1] ?? text.length + 1) - 1);

  for (let n = 0; n < lineStarts.length; n++) {
    const open = openingFence(lineAt(n));
    if (!open) continue;
    const label = open.label;
    let close = -1;
    for (let m = n + 1; m < lineStarts.length; m++) {
      if (closesFence(lineAt(m), open)) {
        close = m;
        break;
      }
    }
    const bodyStart = lineStarts[n + 1] ?? text.length;
    const bodyEnd = close >= 0 ? lineStarts[close]! : text.length;
    const end = close >= 0 ? Math.min(text.length, (lineStarts[close + 1] ?? text.length + 1) - 1) : text.length;
    blocks.push({
      start: lineStarts[n]!,
      end,
      body: text.slice(Math.min(bodyStart, bodyEnd), bodyEnd),
      ...(close < 0 ? { unclosedFenceBodyStart: Math.min(bodyStart, bodyEnd) } : {}),
      labelledJson: label === '' || isJsonLabel(label),
      otherLanguage: label !== '' && !isJsonLabel(label),
    });
    if (close < 0) break;
    n = close;
  }
  return blocks;
}

interface ScanResult {
  /** Just past the value's closing bracket, or the end of the text when it never closes. */
  readonly end: number;
  readonly closed: boolean;
  /** Just past the last object that closed directly inside an array (a whole finding). */
  readonly lastWholeElement: number;
}

/**
 * Walks a JSON-ish value from `start` (a `{` or `[`) to its matching close, skipping strings
 * (double or single quoted) and comments, so brackets inside them do not count.
 */
function scanValue(text: string, start: number): ScanResult {
  const stack: string[] = [];
  let lastWholeElement = -1;
  let i = start;
  while (i < text.length) {
    const ch = text[i]!;
    if (ch === '"' || ch === "'") {
      i = skipString(text, i);
      continue;
    }
    if (ch === '/' && text[i + 1] === '/') {
      const eol = text.indexOf('\n', i);
      i = eol < 0 ? text.length : eol;
      continue;
    }
    if (ch === '/' && text[i + 1] === '*') {
      const close = text.indexOf('*/', i + 2);
      i = close < 0 ? text.length : close + 2;
      continue;
    }
    if (ch === '{' || ch === '[') stack.push(ch);
    else if (ch === '}' || ch === ']') {
      stack.pop();
      if (stack.length === 0) return { end: i + 1, closed: true, lastWholeElement };
      if (ch === '}' && stack[stack.length - 1] === '[') lastWholeElement = i + 1;
    }
    i++;
  }
  return { end: text.length, closed: false, lastWholeElement };
}

function skipString(text: string, start: number): number {
  const quote = text[start]!;
  let i = start + 1;
  while (i < text.length) {
    const ch = text[i]!;
    if (ch === '\\') i += 2;
    else if (ch === quote) return i + 1;
    // A single-quoted "string" never spans lines; an apostrophe in a comment-less bare word must
    // not swallow the rest of the answer.
    else if (quote === "'" && ch === '\n') return i;
    else i++;
  }
  return text.length;
}

interface ReadContract {
  readonly summary: string;
  /** The contract's `explanation` field: the prose, when the answer was JSON alone. */
  readonly explanation: string;
  readonly rawFindings: readonly unknown[];
  readonly truncated: boolean;
  /** Offset in the candidate's body just past the JSON value. */
  readonly valueEnd: number;
}

function readCandidate(candidate: Candidate): ReadContract | 'broken' | undefined {
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
    attempts.push(() => jsonrepair(lightRepair(trimmed)), () => jsonrepair(trimmed));
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

// ---- reading one finding ----

interface RawFix {
  readonly lines?: Partial<LineRange>;
  readonly replacement: string;
  /** A line key with a value that is no line (negative, zero, not a number): the fix is refused. */
  readonly badLines?: string;
}

interface RawFinding {
  readonly title: string;
  readonly severity: Severity;
  readonly category: Category;
  readonly lines: Partial<LineRange>;
  readonly quote?: string;
  readonly explanation: string;
  readonly fix?: RawFix;
  readonly confidence?: Confidence;
}

function readFinding(value: unknown): RawFinding | undefined {
  if (!isRecord(value)) return undefined;
  let explanation = textOf(
    value.explanation ?? value.description ?? value.details ?? value.detail ?? value.message ?? value.reason,
  ).trim();
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
  const titleText = textOf(value.title ?? value.name ?? value.summary ?? value.issue).replace(/\s+/g, ' ').trim();
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
  'startLine', 'start_line', 'lineStart', 'line_start', 'fromLine', 'start',
  'line', 'lineNumber', 'line_number', 'lines',
];
const END_KEYS = ['endLine', 'end_line', 'lineEnd', 'line_end', 'toLine', 'end'];

const STRICT_LINE_KEYS = new Set(['startLine', 'start_line', 'endLine', 'end_line', 'line', 'lineStart', 'lineEnd', 'line_start', 'line_end']);

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
      (typeof value === 'string' && (/^\s*-\s*\d/.test(value) || /^\s*0+\s*$/.test(value) || (STRICT_LINE_KEYS.has(key) && !/\d/.test(value)))) ||
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

// ---- placing findings in the file ----

/** What every finding of one answer is placed against. */
interface Scene {
  readonly lines: readonly string[];
  /** The lines a fix may change. */
  readonly editable: readonly LineRange[];
  /** The lines the prompt showed the model: the code under review and its reference context. */
  readonly visible: readonly LineRange[];
  readonly eol: '\n' | '\r\n';
  /** A proof: quotes are matched as prose and fixes keep the paragraph's line breaks. */
  readonly prose: boolean;
}

function placeFindings(rawFindings: readonly unknown[], code: CodeUnderReview): { findings: PlacedFinding[]; unreadable: number } {
  const lines = splitLines(code.fileText);
  const editable = editableRanges(code, lines.length);
  const scene: Scene = { lines, editable, visible: visibleRanges(code, editable, lines.length),
    eol: detectEol(code.fileText),
    prose: code.document === 'proof',
  };
  const findings: PlacedFinding[] = [];
  let unreadable = 0;
  for (const value of rawFindings.slice(0, MAX_FINDINGS)) {
    const raw = readFinding(value);
    if (!raw) {
      unreadable++;
      continue;
    }
    findings.push(placeFinding(raw, scene));
  }
  return { findings, unreadable };
}

function visibleRanges(code: CodeUnderReview, editable: readonly LineRange[], lineCount: number): LineRange[] {
  const context = (code.context ?? [])
    .filter((snippet) => typeof snippet.text === 'string' && snippet.text.trim() !== '' && Number.isFinite(snippet.startLine))
    .map((snippet) => ({
      startLine: snippet.startLine,
      endLine: snippet.startLine + splitLines(snippet.text.replace(/(\r\n|\r|\n)$/, '')).length - 1,
    }));
  return mergeRanges([...editable, ...context])
    .filter((r) => r.endLine >= 1 && r.startLine <= lineCount)
    .map((r) => ({ startLine: clamp(r.startLine, 1, lineCount), endLine: clamp(r.endLine, 1, lineCount) }));
}

function placeFinding(raw: RawFinding, scene: Scene): PlacedFinding {
  const { lines, editable } = scene;
  const lineCount = lines.length;
  const claimedStart = raw.lines.startLine ?? raw.lines.endLine;
  const claim: LineRange | undefined =
    claimedStart === undefined
      ? undefined
      : {
          startLine: Math.min(claimedStart, raw.lines.endLine ?? claimedStart),
          endLine: Math.max(claimedStart, raw.lines.endLine ?? claimedStart),
        };
  // No lines at all: look for the quote across the code under review.
  const searchClaim = claim ?? spanOf(editable) ?? { startLine: 1, endLine: lineCount };
  const range = raw.quote ? locate(raw.quote, searchClaim, claim !== undefined, scene) : undefined;

  let place: LineRange;
  let alignment: Alignment = { delta: 0, certain: true };
  if (range && claim) {
    alignment = chooseDelta(range, claim, raw.fix, lines);
    place = {
      startLine: Math.min(claim.startLine + alignment.delta, range.startLine),
      endLine: Math.max(claim.endLine + alignment.delta, range.endLine),
    };
  } else if (range) {
    place = { startLine: range.startLine, endLine: range.endLine };
  } else {
    const fallback = claim ?? { startLine: searchClaim.startLine, endLine: searchClaim.startLine };
    place = fallback;
  }
  place = clampRange(place, lineCount);

  const base = {
    title: raw.title,
    severity: raw.severity,
    category: raw.category,
    startLine: place.startLine,
    endLine: place.endLine,
    ...(raw.quote !== undefined ? { quote: raw.quote } : {}),
    explanation: raw.explanation,
    locationUncertain: range === undefined,
    ...(range ? { range } : {}),
    fingerprint: fingerprintOf({ category: raw.category, lines, range, quote: raw.quote, place }),
    ...(raw.confidence ? { statedConfidence: raw.confidence } : {}),
  };
  if (!raw.fix) return base;
  const outcome = placeFix(raw, raw.fix, { claim, range, place, ...alignment }, scene);
  return 'fix' in outcome ? { ...base, fix: outcome.fix } : { ...base, fixRefused: outcome.refused };
}

/**
 * Where the quote is. The lines the model was shown come first: a copy of the quote elsewhere in
 * the file is a coincidence. A model that numbered a selection from 1 claims lines outside
 * everything it was shown; then the claim counted from the selection's start is tried. Only then
 * the whole file, as the claim alone would have it (a match on shown lines found only there was
 * ambiguous among them, so it does not count).
 */
function locate(quote: string, claim: LineRange, claimed: boolean, scene: Scene): TextRange | undefined {
  const { lines, visible, prose } = scene;
  if (visible.length === 0) return locateQuoteInLines(lines, quote, claim, { prose });
  const seen = locateQuoteInLines(lines, quote, claim, { within: visible, prose });
  if (seen) return seen;
  const relative = claimed ? selectionRelativeClaim(claim, scene) : undefined;
  if (relative) {
    const found = locateQuoteInLines(lines, quote, relative, { within: visible, wholeFileIfUnique: false, prose });
    if (found) return found;
  }
  const anywhere = locateQuoteInLines(lines, quote, claim, { prose });
  return anywhere && !visible.some((r) => anywhere.startLine >= r.startLine && anywhere.endLine <= r.endLine)
    ? anywhere
    : undefined;
}

/** The claim read as counted from the first line of the one selection, when it makes sense so. */
function selectionRelativeClaim(claim: LineRange, scene: Scene): LineRange | undefined {
  if (scene.editable.length !== 1) return undefined;
  const selection = scene.editable[0]!;
  const offset = selection.startLine - 1;
  if (offset <= 0 || scene.visible.some((r) => claim.startLine <= r.endLine && claim.endLine >= r.startLine)) return undefined;
  const shifted = { startLine: claim.startLine + offset, endLine: claim.endLine + offset };
  return shifted.startLine <= selection.endLine ? shifted : undefined;
}

interface Alignment {
  /** How far the claimed lines (and a fix numbered like them) move. */
  readonly delta: number;
  /** False when the fix fits two readings of the lines equally well. */
  readonly certain: boolean;
}

interface Placement extends Alignment {
  readonly claim: LineRange | undefined;
  readonly range: TextRange | undefined;
  readonly place: LineRange;
}

function placeFix(
  raw: RawFinding,
  fix: RawFix,
  placement: Placement,
  scene: Scene,
): { fix: Fix } | { refused: string } {
  const { claim, range, place, delta } = placement;
  const { lines, editable, eol } = scene;
  const lineCount = lines.length;
  if (!range) {
    if (raw.quote) {
      return { refused: `The quoted code was not found near ${where(place)}, so where the fix belongs is uncertain.` };
    }
    if (!claim && !fix.lines) {
      return { refused: 'The finding names no lines, so where the fix belongs is unknown.' };
    }
  }
  if (!placement.certain && range && claim) {
    return {
      refused:
        `The quoted code is on ${where(range)}, inside the claimed ${where(claim)} but not on the first of them, ` +
        'and the fix fits the claimed lines and the ones starting at the quote equally well, so which lines it replaces is uncertain.',
    };
  }

  if (fix.badLines) {
    return { refused: `The fix names an impossible line (${fix.badLines}); lines are numbered from 1, so it is not offered.` };
  }
  // A fix without lines of its own replaces the finding's lines; one with lines moves with it.
  const own = fix.lines?.startLine !== undefined ? fix.lines : undefined;
  let target: LineRange = own
    ? {
        startLine: Math.min(own.startLine!, own.endLine ?? own.startLine!) + delta,
        endLine: Math.max(own.startLine!, own.endLine ?? own.startLine!) + delta,
      }
    : place;
  if (own && (target.startLine < 1 || target.endLine > lineCount)) {
    // Even moved by the finding's own offset these lines do not exist: snapping them onto the
    // quote would turn a claim about nothing into an edit of other lines.
    return { refused: `The fix names ${where(target)}, but the file has ${lineCount} lines.` };
  }
  if (own && range) target = ontoQuote(target, range, fix.replacement, lines);

  if (target.startLine < 1 || target.endLine > lineCount) {
    return { refused: `The fix names ${where(target)}, but the file has ${lineCount} lines.` };
  }
  const inside = editable.some((r) => target.startLine >= r.startLine && target.endLine <= r.endLine);
  if (!inside) {
    const reviewed = editable.length > 0 ? `(${editable.map(formatLines).join(', ')})` : '(none was given)';
    const moved = delta !== 0 ? ', once moved to where the quoted code is,' : '';
    return {
      refused: `The fix${moved} would change ${where(target)}, outside the code under review ${reviewed}, so it is not offered.`,
    };
  }

  const original = lines.slice(target.startLine - 1, target.endLine);
  const cleaned = cleanReplacement(fix.replacement, original, target.startLine);
  const elision = elisionIn(cleaned, original);
  if (elision) {
    return { refused: `The fix writes \`${elision}\` in place of code it leaves out, so applying it would delete that code.` };
  }
  const unrepeated = withoutRepeatedNeighbours(cleaned, lines, target);
  const replacementLines = scene.prose ? reflowLikeOriginal(unrepeated, original) : unrepeated;
  if (!range && !raw.quote && similarity(replacementLines.join('\n'), original.join('\n')) < 0.5) {
    // Nothing anchors these lines, and the fix does not look like an edit of them.
    return {
      refused: `The finding gives no quote to check its lines against, and the fix does not resemble ${where(target)}.`,
    };
  }
  if (replacementLines.join('\n') === original.join('\n')) {
    return { refused: 'The suggested fix is the same as the current code.' };
  }
  const destructive = destructiveReason(original, replacementLines, editable, lines);
  return { fix: { startLine: target.startLine, endLine: target.endLine, replacement: replacementLines.join(eol), ...(destructive ? { destructive } : {}) } };
}

/**
 * Why a fix needs an explicit look: it deletes at least half of the reviewed code (counting
 * non-blank lines, at least two). A real fix edits a few lines; one that empties the selection is
 * a model that lost the thread, or one that was told to by the code it read.
 */
function destructiveReason(original: readonly string[], replacement: readonly string[], editable: readonly LineRange[], lines: readonly string[]): string | undefined {
  const nonBlank = (l: string) => l.trim() !== '';
  const reviewed = editable.reduce((n, r) => n + lines.slice(r.startLine - 1, r.endLine).filter(nonBlank).length, 0);
  const removed = original.filter(nonBlank).length - replacement.filter(nonBlank).length;
  if (removed < 2 || removed * 2 < reviewed) return undefined;
  return `The fix deletes ${removed} of the ${reviewed} non-blank lines under review; look at it before applying.`;
}

/**
 * How well a fix fits the lines it would replace, from three sides: `lines`, the share of the
 * replaced lines it keeps verbatim, in order (an edit keeps most of the lines around its change;
 * lone braces count less); `edges`, how much its first and last lines resemble theirs (an edit
 * rarely rewrites both ends); and `chars`, bigram similarity of the whole (only telling for
 * near-copies: a rewrite shares tokens with any nearby code).
 */
interface Fit {
  readonly lines: number;
  readonly edges: number;
  readonly chars: number;
}

/** Kept-lines evidence must reach this (0..1) and beat the other reading by the margin to decide. */
const LINE_EVIDENCE = 0.4;
const LINE_MARGIN = 0.2;
/** Bigram similarity at which a fix counts as a near-copy of the lines it replaces. */
const NEAR_COPY = 0.85;
/** ... and by how much a near-copy must beat the other reading. */
const ALIGN_MARGIN = 0.1;
/** Without kept lines to go by, bigrams alone must differ this much to decide. */
const CHAR_MARGIN = 0.2;
/** Matching ends must reach this (0..1) and beat the other reading by the margin to decide. */
const EDGE_EVIDENCE = 0.6;
const EDGE_MARGIN = 0.3;

/** Whether fit `a` shows clearly better than fit `b` where a fix belongs (never on worse kept lines). */
function clearlyBetter(a: Fit, b: Fit): boolean {
  return (
    (a.lines >= LINE_EVIDENCE && a.lines >= b.lines + LINE_MARGIN) ||
    (a.lines >= b.lines && a.edges >= EDGE_EVIDENCE && a.edges >= b.edges + EDGE_MARGIN) ||
    (a.lines >= b.lines && a.chars >= NEAR_COPY && a.chars >= b.chars + ALIGN_MARGIN)
  );
}

/**
 * How far a finding whose quote is not on its first claimed line moves. The contract puts the
 * quote on the first claimed line, so a quote outside the claim means the numbers are off by the
 * difference. A quote further down inside the claim has two readings: the model quoted a later
 * line of the right lines (the default, no move), or its numbers are off. A fix with a multi-line
 * claim overrules the default where it clearly fits other lines better (it is an edit of the lines
 * it replaces); when the two readings of a quote inside the claim fit it about equally, the fix's
 * place is uncertain.
 */
function chooseDelta(range: TextRange, claim: LineRange, fix: RawFix | undefined, lines: readonly string[]): Alignment {
  const preferred = range.startLine - claim.startLine;
  const lowest = range.startLine - claim.endLine;
  const anchor = lowest <= 0 && preferred >= 0 ? 0 : preferred;
  // A one-line claim, or one spanning a whole screen that says little about where its quote sat.
  if (!fix || lowest === preferred || claim.endLine - claim.startLine > MAX_DELTA_SEARCH) return { delta: anchor, certain: true };
  const own: LineRange =
    fix.lines?.startLine !== undefined
      ? {
          startLine: Math.min(fix.lines.startLine, fix.lines.endLine ?? fix.lines.startLine),
          endLine: Math.max(fix.lines.startLine, fix.lines.endLine ?? fix.lines.startLine),
        }
      : claim;
  if (own.endLine - own.startLine > MAX_DELTA_SEARCH) return { delta: anchor, certain: true };
  const comparable = comparableReplacement(fix.replacement, own.startLine);
  const replacementLines = splitLines(comparable);
  const fitAt = (delta: number): Fit | undefined => {
    const start = own.startLine + delta;
    const end = own.endLine + delta;
    if (start < 1 || end > lines.length) return undefined;
    const window = lines.slice(start - 1, end);
    return {
      lines: keptLines(replacementLines, window),
      edges: matchingEnds(replacementLines, window),
      chars: similarity(comparable, window.join('\n')),
    };
  };
  const none: Fit = { lines: 0, edges: 0, chars: 0 };
  const anchorFit = fitAt(anchor) ?? none;
  // Among the readings that beat the default, the one with most kept lines and matching ends, then
  // the most similar, then the contract's own (the quote on the first line).
  const rank = (delta: number, fit: Fit): number[] => [fit.lines + fit.edges, fit.chars, -Math.abs(delta - preferred)];
  const ahead = (a: number[], b: number[]): boolean => {
    const i = a.findIndex((x, k) => x !== b[k]);
    return i >= 0 && a[i]! > b[i]!;
  };
  let best: { delta: number; fit: Fit } | undefined;
  for (let delta = lowest; delta <= preferred; delta++) {
    if (delta === anchor) continue;
    const fit = fitAt(delta);
    if (!fit || !clearlyBetter(fit, anchorFit)) continue;
    if (!best || ahead(rank(delta, fit), rank(best.delta, best.fit))) best = { delta, fit };
  }
  if (best) return { delta: best.delta, certain: true };
  if (anchor === preferred) return { delta: anchor, certain: true };
  const other = fitAt(preferred) ?? none;
  const certain = clearlyBetter(anchorFit, other) || (anchorFit.lines >= other.lines && anchorFit.chars >= other.chars + CHAR_MARGIN);
  return { delta: anchor, certain };
}

/** The mean similarity of the first lines of both and of their last ones (blank lines match only each other). */
function matchingEnds(replacement: readonly string[], window: readonly string[]): number {
  const a = withoutTrailingBlank(replacement);
  if (a.length === 0 || window.length === 0) return 0;
  const alike = (x: string, y: string): number => (x.trim() === '' || y.trim() === '' ? Number(x.trim() === y.trim()) : similarity(x, y));
  return (alike(a[0]!, window[0]!) + alike(a[a.length - 1]!, window[window.length - 1]!)) / 2;
}

/** A replacement's lines without the empty line a final line break leaves. */
function withoutTrailingBlank(lines: readonly string[]): readonly string[] {
  return lines.length > 1 && lines[lines.length - 1]!.trim() === '' ? lines.slice(0, -1) : lines;
}

/** Blank lines, and lines that are only brackets or a keyword-sized fragment, say less about where a fix belongs. */
const WEAK_LINE = 0.5;

/**
 * The share (0..1) of `window` and `replacement` made of lines they have in common, in order,
 * compared without indentation; blank and other weak lines weigh less.
 */
function keptLines(replacement: readonly string[], window: readonly string[]): number {
  const a = withoutTrailingBlank(replacement).map((line) => line.trim());
  const b = window.map((line) => line.trim());
  if (a.length === 0 || b.length === 0 || a.length * b.length > 40_000) return 0;
  const weight = (line: string): number => (isSubstantial(line) ? 1 : WEAK_LINE);
  // Weighted longest common subsequence, one row at a time.
  let previous = new Float64Array(b.length + 1);
  for (let i = 1; i <= a.length; i++) {
    const row = new Float64Array(b.length + 1);
    for (let j = 1; j <= b.length; j++) {
      row[j] = a[i - 1] === b[j - 1] ? previous[j - 1]! + weight(a[i - 1]!) : Math.max(previous[j]!, row[j - 1]!);
    }
    previous = row;
  }
  const total = a.reduce((n, line) => n + weight(line), 0) + b.reduce((n, line) => n + weight(line), 0);
  return (2 * previous[b.length]!) / total;
}

/** A fix numbered apart from its finding is moved at most this many lines to reach the quote. */
const MAX_FIX_SLIP = 3;

/**
 * A fix whose own lines miss the quoted code, though it is a near-copy of lines that hold it, was
 * numbered apart from its finding (the finding is right, the fix one line off): it moves there.
 * A fix that does not look like those lines may rightly change other code, and stays.
 */
function ontoQuote(target: LineRange, range: TextRange, replacement: string, lines: readonly string[]): LineRange {
  if (target.startLine <= range.startLine && target.endLine >= range.startLine) return target;
  if (target.endLine - target.startLine > MAX_DELTA_SEARCH) return target;
  const comparable = comparableReplacement(replacement, target.startLine);
  const fits = (start: number): number => {
    const end = start + target.endLine - target.startLine;
    if (start < 1 || end > lines.length) return -1;
    return similarity(comparable, lines.slice(start - 1, end).join('\n'));
  };
  const here = fits(target.startLine);
  let best: LineRange = target;
  let bestFit = -1;
  for (let shift = -MAX_FIX_SLIP; shift <= MAX_FIX_SLIP; shift++) {
    const start = target.startLine + shift;
    const end = target.endLine + shift;
    if (shift === 0 || start > range.startLine || end < range.startLine) continue;
    const fit = fits(start);
    if (fit > bestFit) {
      best = { startLine: start, endLine: end };
      bestFit = fit;
    }
  }
  return bestFit >= NEAR_COPY && bestFit >= here + ALIGN_MARGIN ? best : target;
}

/** The replacement without a wrapping fence or copied `12 | ` prefixes, for comparing with code. */
function comparableReplacement(replacement: string, near: number): string {
  const fence = FENCED_REPLACEMENT.exec(replacement);
  return stripLineNumberPrefixes(fence ? fence[2]! : replacement, near);
}

const FENCED_REPLACEMENT = /^\s*(`{3,}|~{3,})[^\n]*\n([\s\S]*?)\r?\n?[ \t]*\1\s*$/;

/**
 * The replacement as lines: without a fence or `12 | ` prefixes a model wrapped it in, without
 * one trailing line break, with a `\n` that lost its JSON escaping put back, and indented like
 * the code it replaces (tabs or spaces as the file has them; a block written at another depth
 * moved back).
 */
function cleanReplacement(replacement: string, original: readonly string[], startLine: number): string[] {
  let text = replacement;
  const fence = FENCED_REPLACEMENT.exec(text);
  if (fence) text = fence[2]!;
  // Code that itself starts with `1 | ...` (bit flags) is not a copied line number.
  const originalLooksNumbered = original.some((line) => LINE_NUMBER_PREFIX.test(line));
  if (!originalLooksNumbered) text = stripLineNumberPrefixes(text, startLine);
  const out = splitLines(repairBrokenStringEscapes(text, original));
  if (out.length > 1 && out[out.length - 1] === '') out.pop();
  return reindent(matchIndentCharacters(out, original), original);
}

/**
 * A model that writes `"\n"` inside a string in its JSON (instead of `"\\n"`) sends a real line
 * break in the middle of a string literal, which no language with one-line `"` strings accepts.
 * When the code being replaced keeps every `"` string on one line, and reading those breaks as
 * `\n` closes every string the replacement opens, they are put back. Replacements that may hold
 * multi-line strings (triple quotes, backticks) are left alone.
 */
function repairBrokenStringEscapes(text: string, original: readonly string[]): string {
  if (!/\r\n|\r|\n/.test(text) || /"""|'''|`/.test(text)) return text;
  if (original.some((line) => openAfter(line, false))) return text;
  const parts = text.split(/\r\n|\r|\n/);
  let out = parts[0]!;
  let open = openAfter(out, false);
  let repaired = false;
  for (const part of parts.slice(1)) {
    out += open ? '\\n' : '\n';
    repaired ||= open;
    out += part;
    open = openAfter(part, open);
  }
  return repaired && !open ? out : text;
}

/** Whether a `"` string is open at the end of `line`, given whether one was open at its start. */
function openAfter(line: string, openAtStart: boolean): boolean {
  let open = openAtStart;
  for (let i = 0; i < line.length; i++) {
    const ch = line[i]!;
    if (open && ch === '\\') i++;
    else if (ch === '"') open = !open;
    // A character literal holding a quote ('"' or '\"') is not a string.
    else if (!open && line.startsWith(`'"'`, i)) i += 2;
    else if (!open && line.startsWith(`'\\"'`, i)) i += 3;
  }
  return open;
}

/**
 * Leading tabs where the code uses tabs and the model wrote spaces (models often turn a tab into
 * four spaces), and the reverse. The width comes from the first line's indentation on both sides.
 */
function matchIndentCharacters(out: string[], original: readonly string[]): string[] {
  const indents = original.filter((line) => line.trim() !== '').map(indentationOf).filter((indent) => indent !== '');
  if (indents.length === 0) return out;
  const tabs = indents.every((indent) => /^\t+ *$/.test(indent));
  if (!tabs && !indents.every((indent) => /^ +$/.test(indent))) return out;
  const foreign = tabs ? /^ +/ : /^\t+/;
  const written = out.filter((line) => line.trim() !== '' && indentationOf(line) !== '');
  // Only a replacement indented wholly the other way; a mix is left as the model wrote it.
  if (written.length === 0 || !written.every((line) => foreign.test(line) && !/^( +\t|\t+ )/.test(line))) return out;

  const firstOriginal = indentationOf(original.find((line) => line.trim() !== '') ?? '');
  const firstOut = indentationOf(out.find((line) => line.trim() !== '') ?? '');
  if (tabs) {
    const tabCount = /^\t*/.exec(firstOriginal)![0].length;
    const ratio = tabCount > 0 ? firstOut.length / tabCount : 0;
    const width = [2, 4, 8].includes(ratio) ? ratio : 4;
    return out.map((line) => {
      const lead = /^ +/.exec(line)?.[0];
      if (!lead || line.trim() === '') return line;
      return '\t'.repeat(Math.floor(lead.length / width)) + ' '.repeat(lead.length % width) + line.slice(lead.length);
    });
  }
  const ratio = firstOut.length > 0 ? firstOriginal.length / firstOut.length : 0;
  const width = [2, 4, 8].includes(ratio) ? ratio : 4;
  return out.map((line) => {
    const lead = /^\t+/.exec(line)?.[0];
    return lead && line.trim() !== '' ? ' '.repeat(lead.length * width) + line.slice(lead.length) : line;
  });
}

/**
 * Puts a replacement at the depth of the code it replaces when the model wrote it at another one:
 * only its first line lost its indentation while the rest is absolute, or the whole block sits
 * shallower or deeper with its inner structure intact.
 */
function reindent(out: string[], original: readonly string[]): string[] {
  const originalIndent = indentationOf(original.find((line) => line.trim() !== '') ?? '');
  const firstIndex = out.findIndex((line) => line.trim() !== '');
  if (firstIndex < 0) return out;
  const firstIndent = indentationOf(out[firstIndex]!);
  if (firstIndent === originalIndent) return out;
  const rest = out.slice(firstIndex + 1).filter((line) => line.trim() !== '');
  if (firstIndent.length < originalIndent.length && originalIndent.startsWith(firstIndent)) {
    // Either only the first line lost its indentation (the rest is already absolute, e.g. a closing
    // brace at the original depth), or the whole block is written too shallow.
    const extra = originalIndent.slice(firstIndent.length);
    const onlyFirst = rest.length > 0 && rest.every((line) => indentationOf(line).length >= originalIndent.length);
    return out.map((line, i) =>
      line.trim() === '' || i < firstIndex || (onlyFirst && i !== firstIndex) ? line : extra + line,
    );
  }
  if (firstIndent.length > originalIndent.length && firstIndent.startsWith(originalIndent)) {
    // The whole block too deep: only when every line carries the surplus, so nothing is cut.
    const surplus = firstIndent.slice(originalIndent.length);
    if (!rest.every((line) => line.startsWith(surplus))) return out;
    return out.map((line) => (line.trim() === '' ? line : line.slice(surplus.length)));
  }
  return out;
}

/** Marks a model writes for code it left out: `// ...`, `# … rest unchanged`, a block comment saying so. */
const ELISION_COMMENT = /^(?:\/\/+|#+|--|\/\*+|\*|<!--)\s*(.*?)\s*(?:\*\/|-->)?$/;
const ELLIPSIS = /^[([]?(?:\.{3,}|…)|(?:\.{3,}|…)[)\]]?$/;
const LEFT_OUT = /\b(?:unchanged|as before|same as (?:before|above)|rest of|remaining|existing (?:code|logic)|omitted)\b/i;

/** A line of the replacement that stands for code left out, if any (and not already in the code). */
function elisionIn(replacement: readonly string[], original: readonly string[]): string | undefined {
  const present = new Set(original.map((line) => line.trim()));
  for (const line of replacement) {
    const text = line.trim();
    if (text === '' || present.has(text)) continue;
    const comment = ELISION_COMMENT.exec(text);
    if (comment && (ELLIPSIS.test(comment[1]!) || (LEFT_OUT.test(comment[1]!) && comment[1]!.length <= 60))) return text;
    if (/^(?:\.{3,}|…)$/.test(text)) return text;
  }
  return undefined;
}

/** Neighbouring lines this many at most are recognised as copied into a replacement. */
const MAX_REPEATED_NEIGHBOURS = 3;

/**
 * Models often copy a neighbouring line into their replacement (the line after the fix's lines,
 * or the one before) without counting it in those lines, typically an endLine one short of the
 * closing brace the replacement ends with; applied as is, the line would appear twice. Such
 * copies are dropped, unless they are also what the replaced lines end (or start) with. A copy
 * that is only brackets (a brace added on purpose looks the same) is dropped only when that is
 * what makes the replacement open and close as many brackets as the lines it replaces.
 */
function withoutRepeatedNeighbours(replacement: readonly string[], lines: readonly string[], target: LineRange): string[] {
  const original = lines.slice(target.startLine - 1, target.endLine);
  const same = (a: readonly string[], b: readonly string[]): boolean => a.length === b.length && a.every((line, i) => line === b[i]);
  const balanced = bracketBalance(original);
  const droppable = (copy: readonly string[], rest: readonly string[]): boolean =>
    copy.some(isSubstantial) || (bracketBalance(rest) === balanced && bracketBalance([...copy, ...rest]) !== balanced);
  let out = replacement.slice();
  for (let k = Math.min(MAX_REPEATED_NEIGHBOURS, out.length - 1); k >= 1; k--) {
    const tail = out.slice(out.length - k);
    const rest = out.slice(0, out.length - k);
    const after = lines.slice(target.endLine, target.endLine + k);
    if (same(tail, after) && !same(tail, original.slice(-k)) && droppable(tail, rest)) {
      out = rest;
      break;
    }
  }
  for (let k = Math.min(MAX_REPEATED_NEIGHBOURS, out.length - 1); k >= 1; k--) {
    const head = out.slice(0, k);
    const rest = out.slice(k);
    const before = lines.slice(Math.max(0, target.startLine - 1 - k), target.startLine - 1);
    if (same(head, before) && !same(head, original.slice(0, k)) && droppable(head, rest)) {
      out = rest;
      break;
    }
  }
  return out;
}

/** Opening minus closing brackets, outside string literals (a rough count is enough here). */
function bracketBalance(lines: readonly string[]): number {
  let balance = 0;
  for (const line of lines) {
    const code = line.replace(/"(?:[^"\\]|\\.)*"|'(?:[^'\\]|\\.)*'/g, '');
    for (const ch of code) {
      if (ch === '{' || ch === '(' || ch === '[') balance++;
      else if (ch === '}' || ch === ')' || ch === ']') balance--;
    }
  }
  return balance;
}

/** A line that says something on its own: not a lone brace, bracket or keyword-sized fragment. */
function isSubstantial(line: string): boolean {
  return line.replace(/[\s{}()[\];,]/g, '').length >= 6;
}

/** Dice coefficient over character bigrams, whitespace ignored: 1 for the same code, 0 for unrelated. */
function similarity(a: string, b: string): number {
  const x = a.replace(/\s+/g, '');
  const y = b.replace(/\s+/g, '');
  if (x === y) return 1;
  if (x.length < 2 || y.length < 2) return 0;
  const grams = new Map<string, number>();
  for (let i = 0; i < x.length - 1; i++) {
    const gram = x.slice(i, i + 2);
    grams.set(gram, (grams.get(gram) ?? 0) + 1);
  }
  let shared = 0;
  for (let i = 0; i < y.length - 1; i++) {
    const gram = y.slice(i, i + 2);
    const left = grams.get(gram) ?? 0;
    if (left > 0) {
      shared++;
      grams.set(gram, left - 1);
    }
  }
  return (2 * shared) / (x.length - 1 + y.length - 1);
}

// ---- small helpers ----

function clampRange(range: LineRange, lineCount: number): LineRange {
  const startLine = clamp(range.startLine, 1, lineCount);
  return { startLine, endLine: clamp(range.endLine, startLine, lineCount) };
}

function spanOf(ranges: readonly LineRange[]): LineRange | undefined {
  if (ranges.length === 0) return undefined;
  return { startLine: ranges[0]!.startLine, endLine: ranges[ranges.length - 1]!.endLine };
}

function where(range: LineRange): string {
  return `${range.startLine === range.endLine ? 'line' : 'lines'} ${formatLines(range)}`;
}

function count(n: number, noun: string): string {
  return `${n} ${noun}${n === 1 ? '' : 's'}`;
}

function tidyProse(text: string): string {
  return text
    .replace(/(`{3,}|~{3,})[a-zA-Z]*[ \t]*\r?\n?[ \t]*\1/g, '') // a fence emptied by taking the JSON out
    .replace(/\n[ \t]*\n(?:[ \t]*\n)+/g, '\n\n')
    .trim();
}

function firstSentence(text: string): string {
  const sentence = /^[^\n.!?]{1,80}/.exec(text.replace(/[`*_#>]/g, '').trim());
  return sentence ? sentence[0].trim() : '';
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function textOf(value: unknown): string {
  if (typeof value === 'string') return value;
  if (typeof value === 'number' || typeof value === 'boolean') return String(value);
  return '';
}

function firstString(...values: unknown[]): string | undefined {
  for (const value of values) {
    if (typeof value === 'string' && value.trim() !== '') return value;
  }
  return undefined;
}
