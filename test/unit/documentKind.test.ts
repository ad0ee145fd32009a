// Document kinds choose the prompt; prose locating and reflowing serve proofs.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { documentKindOf, hasMath } from '../../src/core/documentKind';
import { locateQuote } from '../../src/core/locate';
import { buildPrompt } from '../../src/core/prompt';
import { reflowLikeOriginal } from '../../src/core/reflow';
import type { CodeUnderReview } from '../../src/core/types';

test('LaTeX, TeX and plain text are proofs; Markdown only with math; Lean, Coq and code are code', () => {
  assert.equal(documentKindOf('latex'), 'proof');
  assert.equal(documentKindOf('tex'), 'proof');
  assert.equal(documentKindOf('plaintext'), 'proof');
  assert.equal(documentKindOf('markdown', 'Suppose $n \\ge 1$. Then'), 'proof');
  assert.equal(documentKindOf('markdown', 'We have\n\\[ a^2 + b^2 = c^2 \\]\n'), 'proof');
  assert.equal(documentKindOf('markdown', '# Notes\n\nIt costs $5 and $10 a month.'), 'code', 'prices are not math');
  assert.equal(documentKindOf('markdown', '# README\n\nRun `npm test`.'), 'code');
  assert.equal(documentKindOf('lean', 'theorem foo : 1 + 1 = 2 := rfl'), 'code');
  assert.equal(documentKindOf('coq'), 'code');
  assert.equal(documentKindOf('typescript', 'const s = `$x$`;'), 'code');
  assert.ok(hasMath('$$x$$') && hasMath('\\begin{proof}') && !hasMath('US$ 5'));
});

const proof = (extra: Partial<CodeUnderReview> = {}): CodeUnderReview => ({
  kind: 'review',
  document: 'proof',
  path: 'notes/odd.tex',
  languageId: 'latex',
  fileText: 'Claim.\nProof. Trivially $n^2 \\ge n$.\n',
  ranges: [{ startLine: 1, endLine: 2 }],
  ...extra,
});

test('a proof gets a referee prompt: every question of the issue, severity as false vs unproven, logic among the categories', () => {
  const text = buildPrompt(proof())[0]!.content;
  assert.match(text, /Check the proof in this LaTeX document `notes\/odd\.tex`/);
  for (const asked of [
    /wrong steps/,
    /without justification/,
    /missing cases and boundary conditions/,
    /circular arguments/,
    /do not follow/,
    /notation used before\s+it is defined/,
  ]) {
    assert.match(text, asked);
  }
  assert.match(text, /"error" = the result as stated is false/);
  assert.match(text, /"warning" = the result may be true but is not proved here/);
  assert.match(text, /"category": "bug \| edge-case \| logic"/);
  assert.match(text, /Text under review, lines 1–2/);
  assert.match(text, /```latex\n1 \| Claim\.\n2 \| Proof\. Trivially \$n\^2 \\ge n\$\.\n```/);
  assert.doesNotMatch(text, /overflow|concurrency|crash/, 'no code-review questions');
  const explain = buildPrompt(proof({ kind: 'explain' }))[0]!.content;
  assert.match(explain, /Find the flaw in the proof in this LaTeX document/);
});

test('code keeps the code-review prompt', () => {
  const text = buildPrompt(proof({ document: 'code', languageId: 'typescript', path: 'a.ts' }))[0]!.content;
  assert.match(text, /Review this TypeScript code from `a\.ts` for bugs and edge cases/);
  assert.doesNotMatch(text, /referee/);
});

test('prose locating: a quote across a line wrap, and one with LaTeX spacing written as plain spaces', () => {
  const file = ['By Lemma~\\ref{lem:a} we get', '$a \\le b$, so\\, in particular $a\\quad< c$.'].join('\n');
  assert.deepEqual(locateQuote(file, 'we get $a \\le b$', { startLine: 1, endLine: 1 }, { prose: true }), {
    startLine: 1,
    startColumn: 21,
    endLine: 2,
    endColumn: 9,
  });
  assert.equal(locateQuote(file, 'By Lemma \\ref{lem:a}', { startLine: 1, endLine: 1 }, { prose: true })?.startColumn, 0);
  assert.equal(locateQuote(file, 'so in particular $a < c$', { startLine: 2, endLine: 2 }, { prose: true })?.startLine, 2);
  assert.equal(locateQuote(file, 'By Lemma \\ref{lem:a}', { startLine: 1, endLine: 1 }), undefined, 'code keeps ~ significant');
  assert.equal(
    locateQuote(file, 'so in general $a < c$', { startLine: 2, endLine: 2 }, { prose: true }),
    undefined,
    'other words are not a match',
  );
});

test('reflow: kept words stay on their lines, a changed word takes the line of the word it replaces, a new line stays a line', () => {
  const original = ['We have $a + b = c$ by the lemma and', 'therefore $c > 0$, as claimed.'];
  assert.deepEqual(reflowLikeOriginal(['We have $a + b = c$ by the lemma and therefore $c \\ge 0$, as claimed.'], original), [
    'We have $a + b = c$ by the lemma and',
    'therefore $c \\ge 0$, as claimed.',
  ]);
  assert.deepEqual(
    reflowLikeOriginal(
      ['We have $a + b = c$ by the lemma and', 'If $c = 0$ there is nothing to show.', 'therefore $c > 0$, as claimed.', 'x'],
      original,
    ).slice(0, 3),
    ['We have $a + b = c$ by the lemma and', 'If $c = 0$ there is nothing to show.', 'therefore $c > 0$, as claimed.'],
  );
  const same = ['one line', 'two lines'];
  assert.equal(reflowLikeOriginal(same, original), same, 'as many lines as the original: the model chose them');
  const blank = ['a', '', 'b c'];
  assert.equal(reflowLikeOriginal(blank, original), blank, "paragraph breaks are the model's");
  const indented = ['  We have $x$', '  and $y$.'];
  assert.deepEqual(reflowLikeOriginal(['We have $x$ and $z$.'], indented), ['  We have $x$', '  and $z$.']);
});
