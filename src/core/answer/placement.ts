// Placing findings in the file (answerParser.ts): the quote is the anchor, the claimed lines a hint;
// a fix is offered only when it certainly replaces lines inside the code under review.

import type { CodeUnderReview, Finding, Fix, LineRange, TextRange } from '../types';
import { fingerprintOf } from '../fingerprint';
import { locateQuoteInLines } from '../locate';
import { editableRanges } from '../prompt';
import { reflowLikeOriginal } from '../reflow';
import { clamp, detectEol, formatLines, mergeRanges, splitLines } from '../text';
import { type Alignment, chooseDelta, ontoQuote } from './fixAlignment';
import { type RawFinding, type RawFix, readFinding } from './readFinding';
import { cleanReplacement, elisionIn, similarity, withoutRepeatedNeighbours } from './replacement';
import { clampRange, spanOf, where } from './helpers';

/** More than this many findings in one answer is noise (or a model stuck in a loop). */
const MAX_FINDINGS = 100;

/** A finding placed in the file, before the reasoning is read for its evidence and confidence. */
export type PlacedFinding = Omit<Finding, 'evidence' | 'confidence' | 'confidenceReasons'>;

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

export function placeFindings(rawFindings: readonly unknown[], code: CodeUnderReview): { findings: PlacedFinding[]; unreadable: number } {
  const lines = splitLines(code.fileText);
  const editable = editableRanges(code, lines.length);
  const scene: Scene = {
    lines,
    editable,
    visible: visibleRanges(code, editable, lines.length),
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
  return anywhere && !visible.some((r) => anywhere.startLine >= r.startLine && anywhere.endLine <= r.endLine) ? anywhere : undefined;
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

interface Placement extends Alignment {
  readonly claim: LineRange | undefined;
  readonly range: TextRange | undefined;
  readonly place: LineRange;
}

function placeFix(raw: RawFinding, fix: RawFix, placement: Placement, scene: Scene): { fix: Fix } | { refused: string } {
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
  const named = own && {
    startLine: Math.min(own.startLine!, own.endLine ?? own.startLine!),
    endLine: Math.max(own.startLine!, own.endLine ?? own.startLine!),
  };
  if (named && named.endLine > lineCount) {
    // Lines are absolute in the file: in no numbering does this file have them. Moving them by the
    // quote's offset would turn a claim about nothing into an edit of lines the model never named.
    return { refused: `The fix names ${where(named)}, but the file has ${lineCount} lines.` };
  }
  let target: LineRange = named ? { startLine: named.startLine + delta, endLine: named.endLine + delta } : place;
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
  return {
    fix: {
      startLine: target.startLine,
      endLine: target.endLine,
      replacement: replacementLines.join(eol),
      ...(destructive ? { destructive } : {}),
    },
  };
}

/**
 * Why a fix needs an explicit look: it deletes at least half of the reviewed code (counting
 * non-blank lines, at least two). A real fix edits a few lines; one that empties the selection is
 * a model that lost the thread, or one that was told to by the code it read.
 */
function destructiveReason(
  original: readonly string[],
  replacement: readonly string[],
  editable: readonly LineRange[],
  lines: readonly string[],
): string | undefined {
  const nonBlank = (l: string) => l.trim() !== '';
  const reviewed = editable.reduce((n, r) => n + lines.slice(r.startLine - 1, r.endLine).filter(nonBlank).length, 0);
  const removed = original.filter(nonBlank).length - replacement.filter(nonBlank).length;
  if (removed < 2 || removed * 2 < reviewed) return undefined;
  return `The fix deletes ${removed} of the ${reviewed} non-blank lines under review; look at it before applying.`;
}
