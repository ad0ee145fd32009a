// Reads a unified diff (git's patch format) into the changed line ranges of the new file, so a
// review of uncommitted changes looks at the changed hunks and a little around them.

import type { LineRange } from './types';

/** Changed lines of the new file per hunk (1-based, inclusive); pure deletions give the line after. */
export function changedLineRanges(patch: string): LineRange[] {
  const ranges: LineRange[] = [];
  let newLine = 0;
  let inHunk = false;
  let start: number | undefined;
  let end = 0;
  const close = () => {
    if (start !== undefined) ranges.push({ startLine: start, endLine: Math.max(start, end) });
    start = undefined;
  };
  for (const line of patch.split(/\r?\n/)) {
    const header = /^@@ -\d+(?:,\d+)? \+(\d+)(?:,\d+)? @@/.exec(line);
    if (header) {
      close();
      newLine = Number(header[1]);
      inHunk = true;
      continue;
    }
    if (!inHunk || line.startsWith('\\')) continue;
    if (line.startsWith('+')) {
      start ??= newLine;
      end = newLine;
      newLine++;
    } else if (line.startsWith('-')) {
      // A deletion marks the line that now sits where the removed text was.
      start ??= Math.max(1, newLine);
      end = Math.max(end, Math.max(1, newLine));
    } else if (line.startsWith(' ') || line === '') {
      close();
      newLine++;
    } else {
      close();
      inHunk = false; // the next file's header
    }
  }
  close();
  return ranges;
}

/** Widens ranges by `context` lines within `[1, lineCount]` and merges those that touch. */
export function withContext(ranges: readonly LineRange[], context: number, lineCount: number): LineRange[] {
  const widened = ranges
    .map((r) => ({ startLine: Math.max(1, r.startLine - context), endLine: Math.min(lineCount, r.endLine + context) }))
    .sort((a, b) => a.startLine - b.startLine);
  const merged: LineRange[] = [];
  for (const range of widened) {
    const last = merged[merged.length - 1];
    if (last && range.startLine <= last.endLine + 1)
      merged[merged.length - 1] = { startLine: last.startLine, endLine: Math.max(last.endLine, range.endLine) };
    else merged.push(range);
  }
  return merged;
}

/** Lines of context kept around each changed hunk in a review of changes (editor and CLI). */
export const HUNK_CONTEXT = 3;

/** What a review of changes asks, beside the changed hunks. */
export const CHANGES_QUESTION = 'Review only the changed code; report problems elsewhere only when they are severe.';

/** In a review of changes, findings away from the changed lines are noise unless they are errors. */
export function keepNearChanges<T extends LineRange & { readonly severity: string }>(
  findings: readonly T[],
  ranges: readonly LineRange[],
): T[] {
  const near = (f: T) => ranges.some((r) => f.startLine <= r.endLine + 1 && f.endLine >= r.startLine - 1);
  return findings.filter((f) => f.severity === 'error' || near(f));
}
