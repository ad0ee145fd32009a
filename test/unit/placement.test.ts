// Runs the placement corpus (test/fixtures/placement) through parseAnswer and the whole-line fix
// applier, and asserts every expected outcome: each finding on its exact range (or uncertain where
// nothing can be sure), each fix producing exactly the intended file (or refused). A case marked
// `knownMiss` must still fail safely (uncertain, or no fix), and must be unmarked once it passes.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { applyFix, FixRejectedError } from '../support/applyFix';
import {
  CORPUS_DIR,
  evaluateCase,
  figuresOf,
  formatRange,
  loadCorpus,
  percent,
  textAt,
  type CaseResult,
} from '../support/placementCorpus';

const corpus = loadCorpus();
const results: CaseResult[] = corpus.map(evaluateCase);

test('the applier replaces whole lines, keeps the file’s line endings and refuses what the editor must not do', () => {
  const lf = 'a\n  b\n  c\nd';
  assert.equal(applyFix(lf, { startLine: 2, endLine: 3, replacement: '  x\r\n  y\n  z' }), 'a\n  x\n  y\n  z\nd');
  assert.equal(applyFix(lf, { startLine: 4, endLine: 4, replacement: 'e' }), 'a\n  b\n  c\ne', 'the last line has no break');
  const crlf = 'a\r\nb\r\nc\r\n';
  assert.equal(applyFix(crlf, { startLine: 2, endLine: 2, replacement: 'x\ny' }), 'a\r\nx\r\ny\r\nc\r\n');
  assert.equal(applyFix(crlf, { startLine: 4, endLine: 4, replacement: 'z' }), 'a\r\nb\r\nc\r\nz', 'the empty last line');
  assert.equal(applyFix('a\rb\rc', { startLine: 2, endLine: 2, replacement: 'x' }), 'a\rx\rc', 'lone CR breaks count as lines');
  assert.throws(() => applyFix(lf, { startLine: 4, endLine: 5, replacement: '' }), FixRejectedError);
  assert.throws(() => applyFix(lf, { startLine: 0, endLine: 1, replacement: '' }), FixRejectedError);
  assert.throws(() => applyFix(lf, { startLine: 2, endLine: 3, replacement: '' }, [{ startLine: 1, endLine: 2 }]), /outside the editable ranges/);
  assert.equal(applyFix(lf, { startLine: 2, endLine: 3, replacement: '' }, [{ startLine: 1, endLine: 1 }, { startLine: 2, endLine: 4 }]), 'a\n\nd');
});

test('the corpus is well formed: 40+ cases in seven languages, ranges cover the text they name, fixed files differ', () => {
  assert.ok(corpus.length >= 40, `${corpus.length} cases`);
  const languages = new Set(corpus.map((c) => c.languageId));
  for (const language of ['typescript', 'javascript', 'python', 'go', 'rust', 'java', 'c']) {
    assert.ok(languages.has(language), `no ${language} case`);
  }
  assert.ok(corpus.some((c) => c.fileText.includes('\r\n')), 'a CRLF case');
  assert.ok(corpus.some((c) => /^\t/m.test(c.fileText)), 'a tab-indented case');
  assert.ok(corpus.some((c) => /[^\x00-\x7f]/.test(c.fileText)), 'a non-ASCII case');
  for (const c of corpus) {
    const lineCount = c.fileText.split(/\r\n|\n|\r/).length;
    assert.ok(lineCount >= 15, `${c.id}: ${lineCount} lines`);
    assert.ok(c.findings.length > 0, `${c.id}: no findings`);
    const eol = c.fileText.includes('\r\n') ? '\r\n' : '\n';
    c.findings.forEach((f, i) => {
      const label = `${c.id} #${i + 1}`;
      if (f.range !== 'uncertain') {
        assert.equal(textAt(c.fileText, f.range), f.covers?.replace(/\n/g, eol), `${label}: ${formatRange(f.range)} does not cover its text`);
      }
      if (f.fix !== 'none' && f.fix !== 'refused') {
        assert.ok(existsSync(join(CORPUS_DIR, c.id, f.fix)), `${label}: ${f.fix} is missing`);
        const after = c.after.get(i)!;
        assert.notEqual(after, c.fileText, `${label}: ${f.fix} is the unchanged file`);
        assert.equal(after.includes('\r\n'), eol === '\r\n', `${label}: ${f.fix} changes the line endings`);
      }
    });
  }
});

for (const result of results) {
  const c = result.case;
  test(`${c.id}: ${c.description}`, () => {
    assert.equal(
      result.parsed.findings.length,
      c.findings.length,
      `expected ${c.findings.length} findings, got ${result.parsed.findings.map((f) => f.title).join(' | ')}` +
        (result.parsed.problem ? ` (${result.parsed.problem})` : ''),
    );
    for (const f of result.findings) {
      const label = `#${f.index + 1} ${f.expected.title}`;
      assert.equal(f.actual?.title, f.expected.title, `${label}: findings out of order`);
      // The rules that must never break, known miss or not.
      assert.notEqual(f.placement, 'wrong', `${label}: ${f.detail}`);
      assert.ok(f.fix !== 'wrong-edit' && f.fix !== 'outside', `${label}: ${f.detail}`);
      const hit = f.placement === 'exact' && (f.fix === 'intended' || f.fix === 'refused' || f.fix === 'none');
      if (f.expected.knownMiss) {
        assert.ok(!hit, `${label} now passes; remove its knownMiss (${f.expected.knownMiss})`);
      } else {
        assert.ok(hit, `${label}: placement ${f.placement}, fix ${f.fix}: ${f.detail}`);
      }
    }
  });
}

test('no finding is placed with confidence on a wrong line, and no fix edits outside the code under review', () => {
  const figures = figuresOf(results);
  assert.equal(figures.wrongPlacements, 0);
  assert.equal(figures.outsideEdits, 0);
  assert.equal(figures.wrongEdits, 0);
  const placed = percent(figures.exactRange, figures.placeable);
  const fixed = percent(figures.fixesIntended, figures.intendedFixes);
  // The two shares the project is judged on, printed with the run.
  console.log(
    `placement corpus: ${figures.cases} cases, ${figures.findings} findings; ` +
      `on the exact expected range ${figures.exactRange}/${figures.placeable} (${placed}); ` +
      `fixes producing the intended code ${figures.fixesIntended}/${figures.intendedFixes} (${fixed}); ` +
      `refusals right ${figures.refusalsRight}/${figures.refusalsExpected}; wrong placements ${figures.wrongPlacements}`,
  );
});
