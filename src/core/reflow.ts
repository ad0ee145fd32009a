// Fixes to prose keep the author's line breaks. A model asked to correct a sentence in a wrapped
// paragraph usually writes the corrected paragraph as one long line (or wraps it at its own
// width); applied as is, that would rewrap every line of the paragraph and bury the one change in
// a diff of the whole paragraph. Words the fix keeps stay on the lines they were on.

/** Paragraphs longer than this many words are left as the model wrote them (the alignment is quadratic). */
const MAX_WORDS = 600;

/**
 * `replacement` laid out on `original`'s line breaks, when the two are one paragraph each (no blank
 * lines) and the model changed the breaks. A replacement with as many lines as the original, or
 * any blank line, is returned unchanged: its breaks are the model's deliberate choice.
 */
export function reflowLikeOriginal(replacement: readonly string[], original: readonly string[]): readonly string[] {
  if (original.length < 2 || replacement.length === original.length) return replacement;
  if (original.some((line) => line.trim() === '') || replacement.some((line) => line.trim() === '')) return replacement;
  const before = original.flatMap((line, index) => wordsOf(line).map((text) => ({ text, line: index })));
  const after = replacement.flatMap((line, index) => wordsOf(line).map((text, at) => ({ text, line: index, first: at === 0 })));
  if (before.length === 0 || after.length === 0 || before.length > MAX_WORDS || after.length > MAX_WORDS) return replacement;

  // Kept words stay on their lines. Between two kept words, new words take the lines of the words
  // they replace, spread evenly; where nothing was replaced (an insertion) they join the line of
  // the kept word before them, and a whole line of the fix that is new stays a line of its own.
  const pairs = commonWords(
    before.map((w) => w.text),
    after.map((w) => w.text),
  );
  const anchors: [number, number][] = [[-1, -1], ...pairs, [before.length, after.length]];
  const lineOf: number[] = new Array(after.length);
  const ownLine: boolean[] = new Array(after.length).fill(false);
  const keptLines = new Set(pairs.map(([, j]) => after[j]!.line));
  for (let k = 0; k + 1 < anchors.length; k++) {
    const [i0, j0] = anchors[k]!;
    const [i1, j1] = anchors[k + 1]!;
    if (j1 < after.length) lineOf[j1] = before[i1]!.line;
    const added = j1 - j0 - 1;
    const replaced = before.slice(i0 + 1, i1);
    const previousLine = i0 >= 0 ? before[i0]!.line : i1 < before.length ? before[i1]!.line : 0;
    for (let n = 0; n < added; n++) {
      const j = j0 + 1 + n;
      if (replaced.length > 0) lineOf[j] = replaced[Math.floor((n * replaced.length) / added)]!.line;
      else {
        lineOf[j] = previousLine;
        ownLine[j] = after[j]!.first && !keptLines.has(after[j]!.line);
      }
    }
  }

  const out: string[] = [];
  let line = '';
  let current = -1;
  after.forEach((word, j) => {
    if (lineOf[j] !== current || ownLine[j]) {
      if (line) out.push(line);
      current = lineOf[j]!;
      line = indentationOf(original[current] ?? '') + word.text;
    } else line += ` ${word.text}`;
  });
  if (line) out.push(line);
  return out;
}

function wordsOf(line: string): string[] {
  return line
    .trim()
    .split(/\s+/)
    .filter((w) => w !== '');
}

function indentationOf(line: string): string {
  return /^[ \t]*/.exec(line)![0];
}

/** The longest common subsequence of two word lists, as index pairs `[inA, inB]` in order. */
function commonWords(a: readonly string[], b: readonly string[]): [number, number][] {
  const rows = a.length + 1;
  const cols = b.length + 1;
  const table = new Uint16Array(rows * cols);
  for (let i = a.length - 1; i >= 0; i--) {
    for (let j = b.length - 1; j >= 0; j--) {
      table[i * cols + j] =
        a[i] === b[j] ? table[(i + 1) * cols + j + 1]! + 1 : Math.max(table[(i + 1) * cols + j]!, table[i * cols + j + 1]!);
    }
  }
  const pairs: [number, number][] = [];
  let i = 0;
  let j = 0;
  while (i < a.length && j < b.length) {
    if (a[i] === b[j]) {
      pairs.push([i, j]);
      i++;
      j++;
    } else if (table[(i + 1) * cols + j]! >= table[i * cols + j + 1]!) i++;
    else j++;
  }
  return pairs;
}
