// Where a fix belongs when its numbering and its finding's disagree (placement.ts): which reading of
// the lines it replaces the fix fits clearly better, and moving it onto the quote.

import type { LineRange, TextRange } from '../types';
import { splitLines } from '../text';
import type { RawFix } from './readFinding';
import { comparableReplacement, isSubstantial, similarity } from './replacement';

export interface Alignment {
  /** How far the claimed lines (and a fix numbered like them) move. */
  readonly delta: number;
  /** False when the fix fits two readings of the lines equally well. */
  readonly certain: boolean;
}

/** Claims (and fixes) longer than this many lines are not lined up by similarity. */
const MAX_DELTA_SEARCH = 200;

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
export function chooseDelta(range: TextRange, claim: LineRange, fix: RawFix | undefined, lines: readonly string[]): Alignment {
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
export function ontoQuote(target: LineRange, range: TextRange, replacement: string, lines: readonly string[]): LineRange {
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
