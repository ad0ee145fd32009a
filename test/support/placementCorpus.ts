// Reads the placement corpus (test/fixtures/placement, format in its README) and scores what the
// engine makes of each answer: where every finding lands and what every fix does to the file.
// Shared by test/unit/placement.test.ts (which asserts every outcome) and bench/placement.ts
// (which writes the figures).

import { readdirSync, readFileSync, existsSync } from 'node:fs';
import { join } from 'node:path';
import { parseAnswer } from '../../src/core/answerParser';
import { editableRanges } from '../../src/core/prompt';
import type { CodeUnderReview, ContextSnippet, Finding, LineRange, ParsedAnswer, TextRange } from '../../src/core/types';
import { applyFix, FixRejectedError } from './applyFix';

export const CORPUS_DIR = join(import.meta.dirname, '..', 'fixtures', 'placement');

export interface ExpectedFinding {
  readonly title: string;
  /** Where the quoted code is, or `uncertain` when the finding cannot be placed with confidence. */
  readonly range: TextRange | 'uncertain';
  /** The exact file text the range covers (a check on the fixture itself). */
  readonly covers?: string;
  /** The file expected after applying the fix, or `refused` (a fix that must not be offered), or `none`. */
  readonly fix: string;
  /** The engine is known to miss this one (safely); the reason. */
  readonly knownMiss?: string;
}

export interface PlacementCase {
  readonly id: string;
  readonly description: string;
  /** Written after the engine changes the rest of the corpus led to, and scored before any change for it. */
  readonly heldOut: boolean;
  readonly path: string;
  readonly languageId: string;
  readonly kind: 'explain' | 'review';
  readonly fileText: string;
  readonly answer: string;
  readonly ranges: readonly LineRange[];
  readonly context?: readonly ContextSnippet[];
  readonly mistakes: readonly string[];
  readonly findings: readonly ExpectedFinding[];
  /** Expected file text per finding index, for findings whose fix is a file. */
  readonly after: ReadonlyMap<number, string>;
}

interface CaseJson {
  description: string;
  heldOut?: boolean;
  path: string;
  languageId: string;
  kind?: 'explain' | 'review';
  source: string;
  ranges: LineRange[];
  context?: ContextSnippet[];
  mistakes: string[];
  findings: ExpectedFinding[];
}

export function loadCorpus(dir: string = CORPUS_DIR): PlacementCase[] {
  return readdirSync(dir, { withFileTypes: true })
    .filter((entry) => entry.isDirectory() && existsSync(join(dir, entry.name, 'case.json')))
    .map((entry) => entry.name)
    .sort()
    .map((id) => loadCase(join(dir, id), id));
}

function loadCase(dir: string, id: string): PlacementCase {
  const json = JSON.parse(readFileSync(join(dir, 'case.json'), 'utf8')) as CaseJson;
  const after = new Map<number, string>();
  json.findings.forEach((f, i) => {
    if (f.fix !== 'refused' && f.fix !== 'none') after.set(i, readFileSync(join(dir, f.fix), 'utf8'));
  });
  return {
    id,
    description: json.description,
    heldOut: json.heldOut ?? false,
    path: json.path,
    languageId: json.languageId,
    kind: json.kind ?? 'review',
    fileText: readFileSync(join(dir, json.source), 'utf8'),
    answer: readFileSync(join(dir, 'answer.md'), 'utf8'),
    ranges: json.ranges,
    ...(json.context ? { context: json.context } : {}),
    mistakes: json.mistakes,
    findings: json.findings,
    after,
  };
}

export function codeOf(c: PlacementCase): CodeUnderReview {
  return {
    kind: c.kind,
    path: c.path,
    languageId: c.languageId,
    fileText: c.fileText,
    ranges: c.ranges,
    ...(c.context ? { context: c.context } : {}),
  };
}

/** The text `range` covers in `fileText` (line breaks as in the file). */
export function textAt(fileText: string, range: TextRange): string {
  const lines = fileText.split(/(?<=\r\n|\n|\r(?!\n))/);
  let out = '';
  for (let line = range.startLine; line <= range.endLine; line++) {
    const text = lines[line - 1] ?? '';
    const from = line === range.startLine ? range.startColumn : 0;
    const to = line === range.endLine ? range.endColumn : text.length;
    out += text.slice(from, to);
  }
  return out;
}

// ---- scoring ----

/**
 * Where a finding landed:
 * - `exact`: on the expected range to the column (or uncertain, as expected);
 * - `line`: confidently on the expected lines, other columns;
 * - `missed`: marked uncertain where a place was expected (safe: the person sees the model's lines);
 * - `wrong`: confidently placed somewhere else (must never happen).
 */
export type PlacementOutcome = 'exact' | 'line' | 'missed' | 'wrong';

/**
 * What its fix did:
 * - `intended`: applied, the file is exactly the intended one;
 * - `refused`: withheld with a reason, as expected;
 * - `none`: no fix, as expected;
 * - `missed`: withheld where the intended edit was recoverable (safe);
 * - `wrong-edit`: applied and the file differs from the intended one (must never happen);
 * - `outside`: reaches outside the file or the editable ranges (must never happen).
 */
export type FixOutcome = 'intended' | 'refused' | 'none' | 'missed' | 'wrong-edit' | 'outside';

export interface FindingResult {
  readonly caseId: string;
  readonly index: number;
  readonly expected: ExpectedFinding;
  readonly actual: Finding | undefined;
  readonly placement: PlacementOutcome;
  readonly fix: FixOutcome;
  /** What went wrong, for people reading a failure or the bench table. */
  readonly detail: string;
}

export interface CaseResult {
  readonly case: PlacementCase;
  readonly parsed: ParsedAnswer;
  readonly findings: readonly FindingResult[];
  /** Findings the engine produced beyond the expected ones (each is a wrong placement). */
  readonly extra: readonly Finding[];
}

export function evaluateCase(c: PlacementCase): CaseResult {
  const code = codeOf(c);
  const parsed = parseAnswer(c.answer, code);
  const editable = editableRanges(code);
  const findings = c.findings.map((expected, index) => scoreFinding(c, index, expected, parsed.findings[index], editable));
  return { case: c, parsed, findings, extra: parsed.findings.slice(c.findings.length) };
}

function scoreFinding(
  c: PlacementCase,
  index: number,
  expected: ExpectedFinding,
  actual: Finding | undefined,
  editable: readonly LineRange[],
): FindingResult {
  const base = { caseId: c.id, index, expected, actual };
  if (!actual) return { ...base, placement: 'missed', fix: expected.fix === 'none' ? 'none' : 'missed', detail: 'the finding is missing' };
  const notes: string[] = [];
  if (actual.title !== expected.title) notes.push(`title ${JSON.stringify(actual.title)}`);

  let placement: PlacementOutcome;
  const where = actual.range ? formatRange(actual.range) : `lines ${actual.startLine}-${actual.endLine}`;
  if (expected.range === 'uncertain') {
    placement = actual.locationUncertain ? 'exact' : 'wrong';
    if (placement === 'wrong') notes.push(`placed at ${where}, expected uncertain`);
  } else if (actual.locationUncertain || !actual.range) {
    placement = 'missed';
    notes.push(`uncertain (lines ${actual.startLine}-${actual.endLine}), expected ${formatRange(expected.range)}`);
  } else if (sameRange(actual.range, expected.range)) {
    placement = 'exact';
  } else if (actual.range.startLine === expected.range.startLine && actual.range.endLine === expected.range.endLine) {
    placement = 'line';
    notes.push(`at ${where}, expected ${formatRange(expected.range)}`);
  } else {
    placement = 'wrong';
    notes.push(`at ${where}, expected ${formatRange(expected.range)}`);
  }

  let fix: FixOutcome;
  const intended = c.after.get(index);
  if (actual.fix) {
    let applied: string | undefined;
    try {
      applied = applyFix(c.fileText, actual.fix, editable);
    } catch (error) {
      if (!(error instanceof FixRejectedError)) throw error;
      notes.push(`fix ${error.message}`);
    }
    if (applied === undefined) fix = 'outside';
    else if (intended !== undefined && applied === intended) fix = 'intended';
    else {
      fix = 'wrong-edit';
      notes.push(
        intended === undefined
          ? `fix applied at lines ${actual.fix.startLine}-${actual.fix.endLine}, expected ${expected.fix}`
          : `fix at lines ${actual.fix.startLine}-${actual.fix.endLine} gives another file: ${firstDifference(applied, intended)}`,
      );
    }
  } else if (expected.fix === 'refused') {
    fix = actual.fixRefused ? 'refused' : 'missed';
    if (!actual.fixRefused) notes.push('fix dropped without a reason');
  } else if (expected.fix === 'none') {
    fix = 'none';
  } else {
    fix = 'missed';
    notes.push(actual.fixRefused ? `fix refused: ${actual.fixRefused}` : 'no fix');
  }
  return { ...base, placement, fix, detail: notes.join('; ') };
}

function sameRange(a: TextRange, b: TextRange): boolean {
  return a.startLine === b.startLine && a.startColumn === b.startColumn && a.endLine === b.endLine && a.endColumn === b.endColumn;
}

export function formatRange(r: TextRange): string {
  return `${r.startLine}:${r.startColumn}-${r.endLine}:${r.endColumn}`;
}

function firstDifference(actual: string, expected: string): string {
  const a = actual.split(/\r?\n/);
  const e = expected.split(/\r?\n/);
  for (let i = 0; i < Math.max(a.length, e.length); i++) {
    if (a[i] !== e[i])
      return `line ${i + 1} is ${JSON.stringify(a[i] ?? '<end of file>')}, expected ${JSON.stringify(e[i] ?? '<end of file>')}`;
  }
  return 'line endings differ';
}

// ---- figures ----

export interface Figures {
  readonly cases: number;
  readonly findings: number;
  /** Findings with an expected place (not `uncertain`). */
  readonly placeable: number;
  readonly exactRange: number;
  readonly rightLine: number;
  readonly uncertainExpected: number;
  readonly uncertainRight: number;
  readonly missedPlacements: number;
  readonly wrongPlacements: number;
  readonly intendedFixes: number;
  readonly fixesIntended: number;
  readonly fixesMissed: number;
  readonly refusalsExpected: number;
  readonly refusalsRight: number;
  readonly wrongEdits: number;
  readonly outsideEdits: number;
}

export function figuresOf(results: readonly CaseResult[]): Figures {
  const all = results.flatMap((r) => r.findings);
  const placeable = all.filter((f) => f.expected.range !== 'uncertain');
  const uncertain = all.filter((f) => f.expected.range === 'uncertain');
  const extra = results.reduce((n, r) => n + r.extra.length, 0);
  const intended = all.filter((f) => f.expected.fix !== 'refused' && f.expected.fix !== 'none');
  const refusals = all.filter((f) => f.expected.fix === 'refused');
  return {
    cases: results.length,
    findings: all.length,
    placeable: placeable.length,
    exactRange: placeable.filter((f) => f.placement === 'exact').length,
    rightLine: placeable.filter((f) => f.placement === 'exact' || f.placement === 'line').length,
    uncertainExpected: uncertain.length,
    uncertainRight: uncertain.filter((f) => f.placement === 'exact').length,
    missedPlacements: all.filter((f) => f.placement === 'missed').length,
    wrongPlacements: all.filter((f) => f.placement === 'wrong').length + extra,
    intendedFixes: intended.length,
    fixesIntended: intended.filter((f) => f.fix === 'intended').length,
    fixesMissed: intended.filter((f) => f.fix === 'missed').length,
    refusalsExpected: refusals.length,
    refusalsRight: refusals.filter((f) => f.fix === 'refused').length,
    wrongEdits: all.filter((f) => f.fix === 'wrong-edit').length,
    outsideEdits: all.filter((f) => f.fix === 'outside').length,
  };
}

export function percent(part: number, whole: number): string {
  return whole === 0 ? '–' : `${((100 * part) / whole).toFixed(1)} %`;
}
