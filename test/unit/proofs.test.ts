// Proofs with known flaws (a wrong algebra step, a missing n = 0 case, a circular lemma) and a
// correct one, each with an R1-style answer: the findings land on the flawed line with the right
// category and severity, and the fixes produce the intended text on the paragraph's own lines.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { parseAnswer } from '../../src/core/answerParser';
import { documentKindOf } from '../../src/core/documentKind';
import { splitLines } from '../../src/core/text';
import type { CodeUnderReview } from '../../src/core/types';
import { applyFix } from '../support/applyFix';

const dir = join(import.meta.dirname, '../fixtures/proofs');

interface Expected {
  readonly file: string;
  readonly languageId: string;
  readonly range: [number, number];
  readonly findings: readonly { line: number; category: string; severity: string; fixed?: Record<string, string> }[];
}
const cases = JSON.parse(readFileSync(join(dir, 'cases.json'), 'utf8')) as Record<string, Expected>;

function codeOf(
  expected: Expected,
  document = documentKindOf(expected.languageId, readFileSync(join(dir, expected.file), 'utf8')),
): CodeUnderReview {
  return {
    kind: 'review',
    document,
    path: expected.file,
    languageId: expected.languageId,
    fileText: readFileSync(join(dir, expected.file), 'utf8'),
    ranges: [{ startLine: expected.range[0], endLine: expected.range[1] }],
  };
}

for (const [name, expected] of Object.entries(cases)) {
  test(`proof corpus: ${name} gets ${expected.findings.length} finding(s) on the flawed lines, and its fixes give the intended text`, () => {
    const code = codeOf(expected);
    assert.equal(code.document, 'proof', `${expected.file} reads as a proof`);
    const parsed = parseAnswer(readFileSync(join(dir, `${name}.r1.txt`), 'utf8'), code);
    assert.equal(parsed.problem, undefined);
    assert.equal(parsed.findings.length, expected.findings.length, JSON.stringify(parsed.findings, null, 2));
    expected.findings.forEach((want, i) => {
      const got = parsed.findings[i]!;
      assert.equal(got.locationUncertain, false, `${name}: the quote is found`);
      assert.equal(got.range?.startLine, want.line, `${name}: the quote sits on line ${want.line}`);
      assert.equal(got.startLine, want.line, `${name}: the finding starts on the flawed line`);
      assert.equal(got.category, want.category);
      assert.equal(got.severity, want.severity);
      if (!want.fixed) return;
      assert.ok(got.fix, `${name}: a fix is offered (${got.fixRefused ?? ''})`);
      const before = splitLines(code.fileText);
      const after = splitLines(applyFix(code.fileText, got.fix, code.ranges));
      assert.equal(after.length, before.length, `${name}: the fix keeps the paragraph's line count`);
      after.forEach((line, index) => {
        const expectedLine = want.fixed![String(index + 1)] ?? before[index];
        assert.equal(line, expectedLine, `${name}: line ${index + 1}`);
      });
    });
  });
}

test('read as code, a quote written with a plain space for a LaTeX tie is not found, so the prose reading is what finds it', () => {
  const code = codeOf(cases['circular']!, 'code');
  const parsed = parseAnswer(readFileSync(join(dir, 'circular.r1.txt'), 'utf8'), code);
  assert.equal(parsed.findings[0]!.locationUncertain, true);
  assert.equal(parsed.findings[0]!.fix, undefined);
});

test('read as code, a one-line fix of a wrapped paragraph replaces its three lines with one; read as a proof it keeps them', () => {
  const answer = readFileSync(join(dir, 'powers.r1.txt'), 'utf8');
  const asCode = parseAnswer(answer, codeOf(cases['powers']!, 'code')).findings[0]!.fix!;
  assert.equal(splitLines(asCode.replacement).length, 1);
  const asProof = parseAnswer(answer, codeOf(cases['powers']!, 'proof')).findings[0]!.fix!;
  assert.equal(splitLines(asProof.replacement).length, 3);
});
