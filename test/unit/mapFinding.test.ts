// A finding made on the staged or a commit's copy of a file, moved to the working file by its quote.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { mapFindingToWorkingText } from '../../src/core/mapFinding';
import type { Finding } from '../../src/core/types';

const staged = ['a', 'b', 'for (let i = 0; i <= n; i++) {', 'x = total * pct;', 'c'].join('\n');
const finding = (over: Partial<Finding>): Finding => ({
  title: 't',
  severity: 'error',
  category: 'bug',
  explanation: 'e',
  locationUncertain: false,
  fingerprint: 'f',
  evidence: [],
  confidence: 'high',
  confidenceReasons: [],
  startLine: 3,
  endLine: 3,
  quote: 'for (let i = 0; i <= n; i++) {',
  fix: { startLine: 3, endLine: 3, replacement: 'for (let i = 0; i < n; i++) {' },
  ...over,
});

test('the quoted code moved down two lines in the working file: the finding and its fix move with it', () => {
  const working = ['new 1', 'new 2', ...staged.split('\n')].join('\n');
  const mapped = mapFindingToWorkingText(finding({}), staged, working);
  assert.equal(mapped.kind, 'moved');
  assert.equal(mapped.finding.startLine, 5);
  assert.deepEqual(mapped.finding.range, { startLine: 5, startColumn: 0, endLine: 5, endColumn: 30 });
  assert.deepEqual(mapped.finding.fix, { startLine: 5, endLine: 5, replacement: 'for (let i = 0; i < n; i++) {' });
});

test('the quoted code is gone from the working file: gone, never placed elsewhere', () => {
  const working = staged.replace('x = total * pct;', 'x = (total * pct) / 100;');
  const mapped = mapFindingToWorkingText(finding({ startLine: 4, endLine: 4, quote: 'x = total * pct;', fix: undefined }), staged, working);
  assert.equal(mapped.kind, 'gone');
});

test('the quote is there but the lines its fix replaces differ: the finding moves, its fix is dropped with the reason', () => {
  const fix = { startLine: 3, endLine: 4, replacement: 'for (let i = 0; i < n; i++) {\nx = total * pct / 100;' };
  const working = staged.replace('x = total * pct;', 'x = total * pct * 2;');
  const mapped = mapFindingToWorkingText(finding({ fix }), staged, working);
  assert.equal(mapped.kind, 'moved');
  assert.equal(mapped.finding.fix, undefined);
  assert.match(mapped.kind === 'moved' ? (mapped.fixDropped ?? '') : '', /read differently in the working file/);
});
