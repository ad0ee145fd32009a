// Applies a fix the way the extension does (src/extension/findings.ts): the whole lines
// startLine..endLine, from column 0 to the end of the last line without its line break, are replaced
// by the replacement with its line breaks converted to the file's. Written independently of the
// engine so that tests can check the engine's fixes against it, and stricter than the editor: a fix
// outside the file or outside the editable ranges throws instead of being applied.

import type { LineRange } from '../../src/core/types';

export interface WholeLineFix extends LineRange {
  readonly replacement: string;
}

/** Thrown for a fix that the extension must never apply. */
export class FixRejectedError extends Error {
  constructor(
    message: string,
    readonly reason: 'outside-file' | 'outside-editable',
  ) {
    super(message);
    this.name = 'FixRejectedError';
  }
}

/**
 * The file text after `fix`. `editable`, when given, are the ranges a fix may touch (the selection,
 * the file, or the changed hunks); a fix must lie within one of them.
 */
export function applyFix(fileText: string, fix: WholeLineFix, editable?: readonly LineRange[]): string {
  const starts = lineStarts(fileText);
  const lineCount = starts.length;
  const { startLine, endLine } = fix;
  if (!Number.isInteger(startLine) || !Number.isInteger(endLine) || startLine < 1 || endLine < startLine || endLine > lineCount) {
    throw new FixRejectedError(`lines ${startLine}-${endLine} are not lines of a ${lineCount}-line file`, 'outside-file');
  }
  if (editable && !editable.some((r) => startLine >= r.startLine && endLine <= r.endLine)) {
    const ranges = editable.map((r) => `${r.startLine}-${r.endLine}`).join(', ');
    throw new FixRejectedError(`lines ${startLine}-${endLine} are outside the editable ranges (${ranges})`, 'outside-editable');
  }
  const from = starts[startLine - 1]!;
  const to = lineEnd(fileText, starts, endLine);
  const eol = /\r\n|\n|\r/.exec(fileText)?.[0] === '\r\n' ? '\r\n' : '\n';
  return fileText.slice(0, from) + fix.replacement.replace(/\r\n|\r|\n/g, eol) + fileText.slice(to);
}

/** Offsets where each line starts; line breaks are \r\n, \n or a lone \r, as in VS Code. */
function lineStarts(text: string): number[] {
  const starts = [0];
  for (let i = 0; i < text.length; i++) {
    const ch = text[i];
    if (ch === '\r' && text[i + 1] === '\n') {
      starts.push(i + 2);
      i++;
    } else if (ch === '\n' || ch === '\r') {
      starts.push(i + 1);
    }
  }
  return starts;
}

/** The offset just before the line break that ends line `line` (1-based), or the end of the text. */
function lineEnd(text: string, starts: readonly number[], line: number): number {
  const next = starts[line];
  if (next === undefined) return text.length;
  return text[next - 1] === '\n' && text[next - 2] === '\r' ? next - 2 : next - 1;
}
