import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { changedLineRanges, withContext } from '../../src/core/diffHunks';

/** A real patch from real git, so the parser reads what the git extension hands over. */
function gitPatch(before: string, after: string): string {
  const dir = mkdtempSync(join(tmpdir(), 'thinklens-diff-'));
  try {
    const git = (...args: string[]) =>
      execFileSync('git', ['-C', dir, '-c', 'user.name=t', '-c', 'user.email=t@t', ...args], { encoding: 'utf8' });
    git('init', '-q');
    writeFileSync(join(dir, 'f.ts'), before);
    git('add', '.');
    git('commit', '-qm', 'base');
    writeFileSync(join(dir, 'f.ts'), after);
    return git('diff', 'HEAD', '--', 'f.ts');
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

const base = Array.from({ length: 40 }, (_, i) => `line ${i + 1}`);

test('changed lines of the new file from a real git patch: edits, insertions, deletions', () => {
  const after = [...base];
  after[4] = 'changed 5'; // edit line 5
  after.splice(20, 0, 'inserted A', 'inserted B'); // new lines 21-22
  after.splice(35, 1); // delete what was line 34 (now at 36 after the insertion)
  const patch = gitPatch(base.join('\n') + '\n', after.join('\n') + '\n');
  const ranges = changedLineRanges(patch);
  assert.deepEqual(ranges, [
    { startLine: 5, endLine: 5 },
    { startLine: 21, endLine: 22 },
    { startLine: 36, endLine: 36 },
  ]);
});

test('a file whose last line lost its newline still parses, and context merges touching hunks', () => {
  const after = [...base];
  after[38] = 'changed 39';
  const patch = gitPatch(base.join('\n') + '\n', after.join('\n'));
  const ranges = changedLineRanges(patch);
  assert.deepEqual(ranges, [{ startLine: 39, endLine: 40 }]);
  assert.deepEqual(
    withContext(
      [
        { startLine: 5, endLine: 5 },
        { startLine: 9, endLine: 10 },
        { startLine: 30, endLine: 30 },
      ],
      3,
      32,
    ),
    [
      { startLine: 2, endLine: 13 },
      { startLine: 27, endLine: 32 },
    ],
  );
});

test('no hunks, no ranges', () => {
  assert.deepEqual(changedLineRanges(''), []);
  assert.deepEqual(changedLineRanges('diff --git a/x b/x\nBinary files differ\n'), []);
});
