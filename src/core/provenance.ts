// Ties each finding to the passages of the reasoning trace that led to it, and judges how far to
// trust it. R1-style traces wander: they raise a suspicion, test it, drop it ("wait, actually that
// is fine"), and come back. The passages are found by matching the finding's quote, identifiers,
// line references and own words against the trace's sentences; the trace's stance on the finding
// (confirmed, retracted, or both) feeds the confidence together with the model's own statement and
// whether the code was found. Measured by bench/provenance.ts.

import { CONFIDENCES_ASCENDING } from './contract';
import type { Confidence, EvidencePassage, Finding } from './types';

/** At most this many passages per finding: a person reads one or two, not a list. */
const MAX_PASSAGES = 3;
/** A sentence scoring below this is not evidence, however it compares to the others. */
const MIN_EVIDENCE_SCORE = 3;
/** Other sentences join the best one when they score at least this share of it. */
const JOIN_SHARE = 0.7;
/** Sentences next to a chosen one join its passage at this share of the best (same paragraph only). */
const NEIGHBOUR_SHARE = 0.35;
/** ... and at most this many on each side. */
const NEIGHBOURS = 2;
/** Sentences at least this share of the best one count when reading the trace's stance. */
const RELEVANT_SHARE = 0.3;
/** Traces longer than this are read from their end (the conclusions are there). */
const MAX_TRACE_CHARS = 400_000;

/** One sentence (or line) of the trace: 0-based offsets into the reasoning, end exclusive. */
interface Segment {
  readonly start: number;
  readonly end: number;
  readonly text: string;
  /** Lower-case words and identifiers in it. */
  readonly terms: ReadonlySet<string>;
  /** The text without whitespace, for matching code fragments. */
  readonly compact: string;
  /** Line numbers it mentions ("line 12", "lines 10-14", "L7"). */
  readonly lineRefs: readonly number[];
  readonly retracts: boolean;
  readonly affirms: boolean;
}

export type TraceStance = 'consistent' | 'contradicted' | 'retracted' | 'unknown';

export interface Provenance {
  readonly evidence: readonly EvidencePassage[];
  readonly stance: TraceStance;
}

/** The trace read once and shared by every finding of a run. */
export interface IndexedTrace {
  readonly reasoning: string;
  readonly segments: readonly Segment[];
  /** In how many segments each term occurs. */
  readonly documentFrequency: ReadonlyMap<string, number>;
}

// ---- reading the trace ----

/**
 * Sentences the trace itself calls fine, a false alarm, or handled. Checked only on sentences about
 * the finding (and the one right after them), so "fine" elsewhere does not count.
 */
const RETRACTION =
  /\b(?:that(?:'s| is| was)|it(?:'s| is| was)|this(?:'s| is| was)|so(?: it's| it is| that's)?|which is|looks|seems|is actually|are actually)\s+(?:actually\s+|perfectly\s+|totally\s+|completely\s+|still\s+|probably\s+)?(?:fine|ok|okay|correct|safe|right|handled|guarded|covered|intended|harmless|not (?:a|an) (?:bug|problem|issue)|not a real (?:bug|problem|issue)|no (?:bug|problem|issue))\b|\bnot (?:actually )?(?:a|an) (?:real )?(?:bug|problem|issue|concern)\b|\b(?:never ?mind|scratch that|false alarm|i was wrong|my mistake|no issue there|no problem there|nothing wrong (?:there|here)|can(?:'t|not) (?:actually )?happen|is never (?:null|undefined|empty|negative|zero)|already (?:checks?|checked|handles?|handled|guards?|guarded|validated?)|(?:is|are) (?:already )?(?:checked|validated|guarded|handled) (?:by|in|earlier|above|before)|(?:does ?n[o']t|doesn't|won't|cannot|can't|will not|does not) (?:actually )?(?:happen|matter|overflow|crash|throw|fail|leak|race)\b)/i;

/** Sentences that (re)assert a problem; after a retraction they make the trace contradict itself. */
const AFFIRMATION =
  /\b(?:so (?:yes|it is|it's|this is|that is|that's)(?:,)? (?:a |definitely |indeed |really |still )*(?:a |an )?(?:real |genuine )?(?:bug|problem|issue|wrong|broken)|(?:is|it's|that's|this is) (?:indeed|definitely|really|still|actually) (?:a |an )?(?:real |genuine )?(?:bug|problem|issue|wrong|broken|unsafe|vulnerable)|still (?:a|an) (?:real )?(?:bug|problem|issue)|(?:wait|actually|no|hmm)\b[^.?!]{0,40}\b(?:it |this |that )?(?:does|will|can|would) (?:still )?(?:crash|throw|fail|overflow|break|leak|read past|go out of bounds|divide by zero)|i was right|so the bug is|the (?:real )?(?:bug|problem|issue) is|confirmed)\b/i;

const WORD = /[\p{L}_$][\p{L}\p{N}_$]*(?:\.[\p{L}_$][\p{L}\p{N}_$]*)*/gu;
const LINE_REF = /\b(?:lines?|L|ln\.?)\s*(\d{1,6})(?:\s*(?:-|–|to|through|and)\s*(\d{1,6}))?/gi;

const STOP_WORDS = new Set(
  (
    'the a an and or but if then else when while for of to in on at by with from as is are was were be been being it its this that these those ' +
    'there here what which who whom whose how why where can could would should will shall may might must do does did done not no yes so ' +
    'than too very just also only even more most less least some any each every all both either neither one two first second new old ' +
    'into onto over under out up down off again further once about above below after before between through during without within ' +
    'i me my we our you your he she they them their let lets okay ok hmm wait actually maybe perhaps probably think see look check need ' +
    'code function line lines value values call calls called return returns use uses used using case cases get gets set sets make makes ' +
    'thing things way like well now still because since though although whether however therefore thus fine right wrong bug issue problem'
  ).split(' '),
);

/** Words that name language syntax, not the code's own things. */
const KEYWORDS = new Set(
  (
    'const let var function return if else for while do switch case break continue new this class extends import export from def self ' +
    'fn func pub mut impl struct enum int str bool true false null undefined none nil void public private protected static async await try catch finally throw throws raise'
  ).split(' '),
);

const stem = (word: string): string => word.replace(/(?:ing|ed|es|s)$/, '') || word;

function termsOf(text: string): Set<string> {
  const terms = new Set<string>();
  for (const match of text.matchAll(WORD)) {
    const word = match[0].toLowerCase();
    terms.add(word);
    // `items.length` also counts as `items` and `length`.
    if (word.includes('.')) for (const part of word.split('.')) terms.add(part);
  }
  const stemmed = new Set<string>();
  for (const term of terms) if (!term.includes('.')) stemmed.add(stem(term));
  return new Set([...terms, ...stemmed]);
}

function lineRefsOf(text: string): number[] {
  const refs: number[] = [];
  for (const match of text.matchAll(LINE_REF)) {
    const from = Number(match[1]);
    const to = match[2] ? Number(match[2]) : from;
    for (let line = from; line <= Math.min(to, from + 50); line++) refs.push(line);
  }
  return refs;
}

/** Splits the trace into sentences and lines, with their offsets. */
export function indexTrace(reasoning: string): IndexedTrace {
  const offset = Math.max(0, reasoning.length - MAX_TRACE_CHARS);
  const text = reasoning.slice(offset);
  const segments: Segment[] = [];
  // A sentence ends at . ! ? followed by space (not inside `a.b` or `1.5`), or at a line break.
  const boundary = /[.!?]+["')\]`]*(?=\s)|\n/g;
  let from = 0;
  const push = (start: number, end: number) => {
    while (start < end && /\s/.test(text[start]!)) start++;
    while (end > start && /\s/.test(text[end - 1]!)) end--;
    if (end - start < 2) return;
    const body = text.slice(start, end);
    segments.push({
      start: start + offset,
      end: end + offset,
      text: body,
      terms: termsOf(body),
      compact: body.replace(/\s+/g, ''),
      lineRefs: lineRefsOf(body),
      retracts: RETRACTION.test(body),
      affirms: AFFIRMATION.test(body),
    });
  };
  for (const match of text.matchAll(boundary)) {
    const end = match.index + match[0].length;
    push(from, end);
    from = end;
  }
  push(from, text.length);
  const documentFrequency = new Map<string, number>();
  for (const segment of segments) for (const term of segment.terms) documentFrequency.set(term, (documentFrequency.get(term) ?? 0) + 1);
  return { reasoning, segments, documentFrequency };
}

// ---- matching one finding ----

interface Clues {
  /** Identifiers from the quote and the backticked parts of the title and explanation. */
  readonly identifiers: ReadonlySet<string>;
  /** Other words of the title and explanation. */
  readonly words: ReadonlySet<string>;
  /** Code fragments (whitespace removed) worth finding verbatim: the quote, its lines, backticked code. */
  readonly fragments: readonly string[];
  readonly lines: ReadonlySet<number>;
}

function cluesOf(finding: Pick<Finding, 'title' | 'explanation' | 'quote' | 'startLine' | 'endLine'>): Clues {
  const identifiers = new Set<string>();
  const fragments: string[] = [];
  const addCode = (code: string) => {
    for (const term of termsOf(code)) if (!KEYWORDS.has(term) && term.length >= 2) identifiers.add(term);
    const compact = code.replace(/\s+/g, '');
    if (compact.length >= 3) fragments.push(compact);
  };
  if (finding.quote) {
    addCode(finding.quote);
    for (const line of finding.quote.split('\n')) if (line.trim().length >= 3) fragments.push(line.replace(/\s+/g, ''));
    // Operator-level pieces of the quote ("i <= items.length") are what a trace writes out.
    for (const piece of finding.quote.split(/[;{}(),]/)) if (piece.trim().length >= 4) fragments.push(piece.replace(/\s+/g, ''));
  }
  const prose = `${finding.title}\n${finding.explanation}`;
  for (const match of prose.matchAll(/`([^`\n]+)`/g)) addCode(match[1]!);
  const words = new Set<string>();
  for (const term of termsOf(prose.replace(/`[^`\n]+`/g, ' '))) {
    if (term.length < 3 || STOP_WORDS.has(term) || identifiers.has(term)) continue;
    // camelCase, snake_case and dotted words in prose are identifiers too.
    if (/[a-z][A-Z]|_|\./.test(term)) identifiers.add(term);
    else words.add(term);
  }
  for (const match of prose.matchAll(/\b[a-z]+[A-Z][\w$]*|\b[\w$]+_[\w$]+/g)) identifiers.add(match[0].toLowerCase());
  const lines = new Set<number>();
  for (let line = finding.startLine; line <= finding.endLine && line < finding.startLine + 30; line++) lines.add(line);
  return { identifiers, words, fragments: [...new Set(fragments)].sort((a, b) => b.length - a.length).slice(0, 12), lines };
}

function scoreSegment(segment: Segment, clues: Clues, trace: IndexedTrace): number {
  const total = trace.segments.length;
  const idf = (term: string) => Math.log(1 + total / (1 + (trace.documentFrequency.get(term) ?? 0)));
  let score = 0;
  for (const id of clues.identifiers) if (segment.terms.has(id)) score += 2 * idf(id);
  for (const word of clues.words) if (segment.terms.has(word) || segment.terms.has(stem(word))) score += idf(word);
  // The longest fragment of code written out verbatim counts once, by its length.
  const fragment = clues.fragments.find((f) => segment.compact.includes(f));
  if (fragment) score += Math.min(8, 2 + fragment.length / 6);
  if (segment.lineRefs.some((line) => clues.lines.has(line))) score += 3;
  // A long sentence matches many words by chance.
  return score / Math.max(1, Math.sqrt(segment.terms.size / 25));
}

/** The passages that led to `finding`, and what the trace says about it in the end. */
export function provenanceOf(
  finding: Pick<Finding, 'title' | 'explanation' | 'quote' | 'startLine' | 'endLine'>,
  trace: IndexedTrace,
): Provenance {
  const { segments } = trace;
  if (segments.length === 0) return { evidence: [], stance: 'unknown' };
  const clues = cluesOf(finding);
  const scores = segments.map((segment) => scoreSegment(segment, clues, trace));
  let best = 0;
  for (const score of scores) best = Math.max(best, score);
  if (best < MIN_EVIDENCE_SCORE) return { evidence: [], stance: 'unknown' };

  const stance = stanceOf(scores, best, segments, trace);
  // The evidence is what raised or confirmed the finding, not the sentences that dropped it; a
  // retracted finding keeps its retraction as evidence so that a person sees why it is doubted.
  const chosen = scores
    .map((score, index) => ({ score, index }))
    .filter(({ score, index }) => score >= best * JOIN_SHARE && (stance === 'retracted' || !segments[index]!.retracts))
    .sort((a, b) => b.score - a.score || b.index - a.index)
    .slice(0, MAX_PASSAGES)
    .map(({ index }) => index);
  if (stance === 'retracted') {
    const retraction = lastRetraction(scores, best, segments, trace);
    if (retraction !== undefined && !chosen.includes(retraction)) chosen.splice(MAX_PASSAGES - 1, 1, retraction);
  }
  // A passage is a thought, not one sentence: the sentences around a chosen one that are about the
  // finding too join it ("First, the loop: <code>. It reads past the end.").
  for (const index of [...chosen]) {
    for (const step of [-1, 1]) {
      for (let next = index + step, added = 0; added < NEIGHBOURS && next >= 0 && next < segments.length; next += step, added++) {
        const segment = segments[next]!;
        if (chosen.includes(next) || scores[next]! < best * NEIGHBOUR_SHARE || (segment.retracts && stance !== 'retracted')) break;
        if (paragraphBreakBetween(trace, Math.min(next, next - step))) break;
        chosen.push(next);
      }
    }
  }
  chosen.sort((a, b) => a - b);
  const evidence: EvidencePassage[] = [];
  for (const index of chosen) {
    const segment = segments[index]!;
    const previous = evidence[evidence.length - 1];
    // Neighbouring sentences become one passage.
    if (previous && chosen.includes(index - 1) && !paragraphBreakBetween(trace, index - 1)) {
      evidence[evidence.length - 1] = passage(trace.reasoning, previous.start, segment.end);
    } else evidence.push(passage(trace.reasoning, segment.start, segment.end));
  }
  return { evidence, stance };
}

/** A blank line between segment `index` and the next: a new thought starts. */
function paragraphBreakBetween(trace: IndexedTrace, index: number): boolean {
  const here = trace.segments[index];
  const next = trace.segments[index + 1];
  return !here || !next || /\n[ \t]*\n/.test(trace.reasoning.slice(here.end, next.start));
}

const passage = (reasoning: string, start: number, end: number): EvidencePassage => ({ start, end, text: reasoning.slice(start, end) });

/** How many sentences back (in the same paragraph) a dismissal that names nothing may refer to. */
const RETRACTION_REACH = 4;

/** A relevant sentence that retracts, or a retraction shortly after a relevant sentence of the same paragraph. */
function retractsAt(index: number, scores: readonly number[], best: number, segments: readonly Segment[], trace: IndexedTrace): boolean {
  const segment = segments[index]!;
  if (!segment.retracts) return false;
  if (scores[index]! >= best * RELEVANT_SHARE) return true;
  // "Hmm, let me check the caller. It checks first. So that's fine." names nothing: it is about
  // what the paragraph was weighing just before.
  for (let back = index - 1; back >= 0 && index - back <= RETRACTION_REACH && !paragraphBreakBetween(trace, back); back--) {
    if (scores[back]! >= best * JOIN_SHARE) return true;
  }
  return false;
}

function lastRetraction(scores: readonly number[], best: number, segments: readonly Segment[], trace: IndexedTrace): number | undefined {
  for (let index = segments.length - 1; index >= 0; index--) if (retractsAt(index, scores, best, segments, trace)) return index;
  return undefined;
}

function stanceOf(scores: readonly number[], best: number, segments: readonly Segment[], trace: IndexedTrace): TraceStance {
  const retraction = lastRetraction(scores, best, segments, trace);
  if (retraction === undefined) return 'consistent';
  // After the last retraction, a sentence about the finding that asserts it again, or names it
  // strongly without doubting it, means the trace changed its mind back.
  for (let index = retraction + 1; index < segments.length; index++) {
    const segment = segments[index]!;
    const relevant = scores[index]! >= best * RELEVANT_SHARE;
    // "So yes, it is a bug." names nothing: it is about the sentence before.
    const followsRelevant = index > 0 && scores[index - 1]! >= best * RELEVANT_SHARE && !segments[index - 1]!.retracts;
    if (segment.affirms && (relevant || followsRelevant)) return 'contradicted';
    if (scores[index]! >= best * 0.9 && !segment.retracts) return 'contradicted';
  }
  return 'retracted';
}

// ---- confidence ----

const CONFIDENCE_POINTS: Record<Confidence, number> = { high: 3, medium: 2, low: 1 };
/** A model that does not say how sure it is sits between medium and high. */
const UNSTATED_POINTS = 2.5;

export interface ConfidenceJudgement {
  readonly confidence: Confidence;
  /** Why it is lower than the model said, for the hover and the JSON. */
  readonly reasons: readonly string[];
}

/** Combines the model's own statement with what we can check. */
export function judgeConfidence(input: {
  readonly stated?: Confidence;
  readonly locationUncertain: boolean;
  readonly hasReasoning: boolean;
  readonly evidenceFound: boolean;
  readonly stance: TraceStance;
}): ConfidenceJudgement {
  let points = input.stated ? CONFIDENCE_POINTS[input.stated] : UNSTATED_POINTS;
  const reasons: string[] = [];
  if (input.stated && input.stated !== 'high') reasons.push(`the model rated it ${input.stated}`);
  if (input.locationUncertain) {
    points -= 1;
    reasons.push('the quoted code was not found');
  }
  if (input.hasReasoning && !input.evidenceFound) {
    points -= 1;
    reasons.push('no passage of the reasoning leads to it');
  }
  if (input.stance === 'retracted') {
    points -= 2;
    reasons.push('the reasoning dismissed it ("that is fine") and did not come back to it');
  } else if (input.stance === 'contradicted') {
    points -= 0.5;
    reasons.push('the reasoning went back and forth on it');
  }
  const confidence: Confidence = points >= 2.5 ? 'high' : points >= 1.5 ? 'medium' : 'low';
  return { confidence, reasons };
}

/** Evidence, stance and confidence for every finding of one run (the reasoning is read once). */
export function withProvenance(
  findings: readonly Omit<Finding, 'evidence' | 'confidence' | 'confidenceReasons'>[],
  reasoning: string,
): Finding[] {
  const trace = indexTrace(reasoning);
  const hasReasoning = reasoning.trim() !== '';
  return findings.map((finding) => {
    const { evidence, stance } = provenanceOf(finding, trace);
    const judged = judgeConfidence({
      stated: finding.statedConfidence,
      locationUncertain: finding.locationUncertain,
      hasReasoning,
      evidenceFound: evidence.length > 0,
      stance,
    });
    return { ...finding, evidence, confidence: judged.confidence, confidenceReasons: judged.reasons };
  });
}

export const atLeastConfidence = (value: Confidence, minimum: Confidence): boolean =>
  CONFIDENCES_ASCENDING.indexOf(value) >= CONFIDENCES_ASCENDING.indexOf(minimum);
