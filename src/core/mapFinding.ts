// A review of another copy of a file (the staged text, a commit's) is shown on the working file, the
// one a person edits: each finding is found again there by its quote, as a rerun does, and keeps
// its fix only when the lines the fix replaces read the same in both copies.

import { locateQuote } from './locate';
import { splitLines } from './text';
import type { Finding } from './types';

export type MappedFinding =
  /** The quoted code is in the working file: the finding moved with it (`fixDropped` when its fix no longer fits). */
  | { readonly kind: 'moved'; readonly finding: Finding; readonly fixDropped?: string }
  /** The quoted code is not in the working file: it changed since the reviewed copy. */
  | { readonly kind: 'gone'; readonly finding: Finding };

/** Maps a finding made on `reviewedText` to `workingText` (lines are 1-based, inclusive). */
export function mapFindingToWorkingText(finding: Finding, reviewedText: string, workingText: string): MappedFinding {
  const claimed = { startLine: finding.range?.startLine ?? finding.startLine, endLine: finding.range?.endLine ?? finding.endLine };
  const found = finding.quote ? locateQuote(workingText, finding.quote, claimed, { wholeFileIfUnique: true }) : undefined;
  if (!found) return { kind: 'gone', finding };
  const delta = found.startLine - claimed.startLine;
  const { fix, ...rest } = finding;
  const moved: Finding = { ...rest, startLine: finding.startLine + delta, endLine: finding.endLine + delta, range: found };
  if (!fix) return { kind: 'moved', finding: moved };
  const reviewed = splitLines(reviewedText).slice(fix.startLine - 1, fix.endLine);
  const working = splitLines(workingText).slice(fix.startLine - 1 + delta, fix.endLine + delta);
  if (reviewed.length === fix.endLine - fix.startLine + 1 && reviewed.join('\n') === working.join('\n')) {
    return { kind: 'moved', finding: { ...moved, fix: { ...fix, startLine: fix.startLine + delta, endLine: fix.endLine + delta } } };
  }
  return {
    kind: 'moved',
    finding: moved,
    fixDropped: 'the lines it replaces read differently in the working file; run the review on it again',
  };
}
