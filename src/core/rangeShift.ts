// Where a finding goes when the document is edited around it (extension/findings.ts applies this to
// every change VS Code reports). Positions are VS Code's: 0-based lines and UTF-16 columns, a
// change's range in the document as it was before the change. No `vscode` here, so it is unit-tested.

export interface Position {
  readonly line: number;
  readonly character: number;
}

export interface Range {
  readonly start: Position;
  readonly end: Position;
}

/** One replacement: `range` (in the text before it) becomes `text`. */
export interface ContentChange {
  readonly range: Range;
  readonly text: string;
}

const before = (a: Position, b: Position) => a.line < b.line || (a.line === b.line && a.character < b.character);
const beforeOrEqual = (a: Position, b: Position) => !before(b, a);

/**
 * Where `range` is after `change`, and whether the change edited inside it. Typing right before or
 * after a range moves it or leaves it alone; only an overlapping change counts as touching it. A
 * range the change cannot move comes back as the same object.
 */
export function shiftRange<R extends Range>(range: R, change: ContentChange): { range: R | Range; touched: boolean } {
  const changed = change.range;
  if (beforeOrEqual(changed.end, range.start)) {
    return { range: { start: shiftPosition(range.start, change), end: shiftPosition(range.end, change) }, touched: false };
  }
  if (beforeOrEqual(range.end, changed.start)) return { range, touched: false };
  const start = before(changed.start, range.start) ? changed.start : range.start;
  const end = beforeOrEqual(changed.end, range.end) ? shiftPosition(range.end, change) : shiftPosition(changed.end, change);
  return { range: { start, end }, touched: true };
}

/** Where `position`, at or after the end of `change`, is once the change is made. */
function shiftPosition(position: Position, change: ContentChange): Position {
  const lines = change.text.split(/\r\n|\r|\n/);
  const addedLines = lines.length - 1;
  const removedLines = change.range.end.line - change.range.start.line;
  if (position.line > change.range.end.line) return { line: position.line + addedLines - removedLines, character: position.character };
  // Same line as the end of the change: the column moves too.
  const lastInserted = lines[lines.length - 1]!.length;
  const newColumnBase = addedLines === 0 ? change.range.start.character + lastInserted : lastInserted;
  return { line: change.range.start.line + addedLines, character: newColumnBase + (position.character - change.range.end.character) };
}
