// Where TeX math starts and ends in model text, shared by the markdown renderer (answers) and the
// trace writer (reasoning), so both read the same text the same way. Delimiters: `$…$`, `$$…$$`,
// `\(…\)` and `\[…\]`. A `$` opens inline math only before a non-space and closes it only after
// one and not before a digit (Pandoc's rule), so "costs $5 and $10" stays text.

export interface MathDelimiter {
  readonly open: string;
  readonly close: string;
  readonly display: boolean;
}

const DELIMITERS: readonly MathDelimiter[] = [
  { open: '$$', close: '$$', display: true },
  { open: '\\[', close: '\\]', display: true },
  { open: '\\(', close: '\\)', display: false },
  { open: '$', close: '$', display: false },
];

/** The delimiter opening at `at` in `text`, if any (`$` also needs a non-space after it). */
export function openingAt(text: string, at: number): MathDelimiter | undefined {
  for (const delimiter of DELIMITERS) {
    if (!text.startsWith(delimiter.open, at)) continue;
    if (delimiter.open === '$') {
      const next = text[at + 1];
      if (next === undefined || /\s/.test(next)) return undefined;
    }
    return delimiter;
  }
  return undefined;
}

/**
 * Whether the closing delimiter at `at` ends math opened with `delimiter`, whose TeX ends with
 * `lastChar` (empty when there is no TeX yet); `after` is the character after the delimiter,
 * undefined when it has not arrived.
 */
export function closes(delimiter: MathDelimiter, lastChar: string, after: string | undefined): boolean {
  if (lastChar === '') return false;
  if (delimiter.open !== '$') return true;
  return !/\s/.test(lastChar) && (after === undefined || !/\d/.test(after));
}

/**
 * The end of the math opened at `at` (the offset just past its closing delimiter) and its TeX,
 * searching at most to `limit`; undefined when it does not close there.
 */
export function scanMath(text: string, at: number, limit = text.length): { end: number; tex: string; display: boolean } | undefined {
  const delimiter = openingAt(text, at);
  if (!delimiter) return undefined;
  let i = at + delimiter.open.length;
  const start = i;
  while (i < limit) {
    const ch = text[i];
    if (text.startsWith(delimiter.close, i) && i + delimiter.close.length <= limit) {
      if (closes(delimiter, i > start ? text[i - 1]! : '', text[i + delimiter.close.length])) {
        return { end: i + delimiter.close.length, tex: text.slice(start, i), display: delimiter.display };
      }
    }
    // An escaped character (`\$`, `\\`) never closes.
    i += ch === '\\' ? 2 : 1;
  }
  return undefined;
}
