// Findings follow the code while a person types (core/rangeShift.ts, applied by extension/findings.ts
// to every change VS Code reports): 0-based lines and columns, as VS Code gives them.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { shiftRange, type Range } from '../../src/core/rangeShift';

const range = (startLine: number, startCharacter: number, endLine: number, endCharacter: number): Range => ({
  start: { line: startLine, character: startCharacter },
  end: { line: endLine, character: endCharacter },
});
/** The finding on `for (let i = 0; i <= items.length; i++)`, line 3 columns 2..43. */
const finding = range(3, 2, 3, 43);
const insert = (line: number, character: number, text: string) => ({ range: range(line, character, line, character), text });

test('lines typed above a finding move it down by as many lines, columns kept', () => {
  assert.deepEqual(shiftRange(finding, insert(0, 0, '// a\n// b\n')), { range: range(5, 2, 5, 43), touched: false });
});

test('lines deleted above a finding move it up', () => {
  assert.deepEqual(shiftRange(finding, { range: range(0, 0, 2, 0), text: '' }), { range: range(1, 2, 1, 43), touched: false });
});

test('a line break typed as CRLF or CR counts as one line', () => {
  assert.deepEqual(shiftRange(finding, insert(1, 0, 'a\r\nb\rc')).range, range(5, 2, 5, 43));
});

test("typing on the finding's line before it moves its columns, not its line", () => {
  assert.deepEqual(shiftRange(finding, insert(3, 0, '  ')), { range: range(3, 4, 3, 45), touched: false });
});

test('typing right where a finding starts moves it without touching it', () => {
  assert.deepEqual(shiftRange(finding, insert(3, 2, 'x')), { range: range(3, 3, 3, 44), touched: false });
});

test('a line break typed before a finding on its own line carries its columns to the new line', () => {
  // "  for…" with a break typed at column 1: the finding now starts at column 1 of line 4.
  assert.deepEqual(shiftRange(finding, insert(3, 1, '\n')), { range: range(4, 1, 4, 42), touched: false });
});

test('a change after a finding, even right at its end, leaves the same range untouched', () => {
  for (const change of [insert(3, 43, ';'), insert(9, 0, 'more\n'), { range: range(4, 0, 6, 0), text: '' }]) {
    const moved = shiftRange(finding, change);
    assert.equal(moved.range, finding);
    assert.equal(moved.touched, false);
  }
});

test('an edit inside a finding touches it and stretches its end by what was typed', () => {
  assert.deepEqual(shiftRange(finding, { range: range(3, 20, 3, 22), text: '<' }), { range: range(3, 2, 3, 42), touched: true });
  assert.deepEqual(shiftRange(finding, insert(3, 10, 'a\nb')), { range: range(3, 2, 4, 34), touched: true });
});

test("a replacement over a finding's start or past its end covers what replaced it", () => {
  // From line 2 into the finding: it now starts where the replacement does.
  assert.deepEqual(shiftRange(finding, { range: range(2, 5, 3, 10), text: 'X' }), { range: range(2, 5, 2, 39), touched: true });
  // From inside the finding to past its end: it ends where the replacement does.
  assert.deepEqual(shiftRange(finding, { range: range(3, 30, 5, 0), text: 'end\n' }), { range: range(3, 2, 4, 0), touched: true });
  // The whole finding replaced.
  assert.deepEqual(shiftRange(finding, { range: range(3, 0, 4, 0), text: 'gone' }), { range: range(3, 0, 3, 4), touched: true });
});
