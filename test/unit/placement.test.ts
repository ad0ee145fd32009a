// Runs the placement corpus (test/fixtures/placement) through parseAnswer and the whole-line fix
// applier, and asserts every expected outcome: each finding on its exact range (or uncertain where
// nothing can be sure), each fix producing exactly the intended file (or refused). A case marked
// `knownMiss` must still fail safely (uncertain, or no fix), and must be unmarked once it passes.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { parseAnswer } from '../../src/core/answerParser';
import { locateQuote } from '../../src/core/locate';
import type { CodeUnderReview, ContextSnippet, Finding, LineRange } from '../../src/core/types';
import { applyFix, FixRejectedError } from '../support/applyFix';
import { CORPUS_DIR, evaluateCase, figuresOf, formatRange, loadCorpus, percent, textAt, type CaseResult } from '../support/placementCorpus';

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
  assert.throws(
    () => applyFix(lf, { startLine: 2, endLine: 3, replacement: '' }, [{ startLine: 1, endLine: 2 }]),
    /outside the editable ranges/,
  );
  assert.equal(
    applyFix(lf, { startLine: 2, endLine: 3, replacement: '' }, [
      { startLine: 1, endLine: 1 },
      { startLine: 2, endLine: 4 },
    ]),
    'a\n\nd',
  );
});

test('the corpus is well formed: 40+ cases in seven languages, ranges cover the text they name, fixed files differ', () => {
  assert.ok(corpus.length >= 40, `${corpus.length} cases`);
  const languages = new Set(corpus.map((c) => c.languageId));
  for (const language of ['typescript', 'javascript', 'python', 'go', 'rust', 'java', 'c']) {
    assert.ok(languages.has(language), `no ${language} case`);
  }
  assert.ok(
    corpus.some((c) => c.fileText.includes('\r\n')),
    'a CRLF case',
  );
  assert.ok(
    corpus.some((c) => /^\t/m.test(c.fileText)),
    'a tab-indented case',
  );
  assert.ok(
    corpus.some((c) => /[^\x00-\x7f]/.test(c.fileText)),
    'a non-ASCII case',
  );
  for (const c of corpus) {
    const lineCount = c.fileText.split(/\r\n|\n|\r/).length;
    assert.ok(lineCount >= 15, `${c.id}: ${lineCount} lines`);
    assert.ok(c.findings.length > 0, `${c.id}: no findings`);
    const eol = c.fileText.includes('\r\n') ? '\r\n' : '\n';
    c.findings.forEach((f, i) => {
      const label = `${c.id} #${i + 1}`;
      if (f.range !== 'uncertain') {
        assert.equal(
          textAt(c.fileText, f.range),
          f.covers?.replace(/\n/g, eol),
          `${label}: ${formatRange(f.range)} does not cover its text`,
        );
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

// ---- the engine changes the corpus led to, one behaviour each ----

function codeOf(fileText: string, ranges: LineRange[], context?: ContextSnippet[]): CodeUnderReview {
  return { kind: 'review', path: 'src/x.ts', languageId: 'typescript', fileText, ranges, ...(context ? { context } : {}) };
}
function onlyFinding(answerFindings: unknown[], code: CodeUnderReview): Finding {
  const parsed = parseAnswer(`Text.\n\n\`\`\`json\n${JSON.stringify({ summary: 's', findings: answerFindings })}\n\`\`\``, code);
  assert.equal(parsed.findings.length, 1, JSON.stringify(parsed));
  return parsed.findings[0]!;
}
const numbered = (count: number, at: Record<number, string>): string =>
  Array.from({ length: count }, (_, i) => at[i + 1] ?? `  step${i + 1}();`).join('\n');

test('locate: `within` ignores copies of the quote on lines the model was not shown', () => {
  const file = numbered(40, { 10: '  if (!user) return null;', 20: '  if (!user) return null;' });
  assert.equal(locateQuote(file, 'if (!user) return null;', { startLine: 13, endLine: 13 })?.startLine, 10);
  assert.equal(
    locateQuote(file, 'if (!user) return null;', { startLine: 13, endLine: 13 }, { within: [{ startLine: 18, endLine: 30 }] })?.startLine,
    20,
  );
  assert.equal(
    locateQuote(file, 'if (!user) return null;', { startLine: 13, endLine: 13 }, { within: [{ startLine: 25, endLine: 30 }] }),
    undefined,
  );
});

test('locate: a quote with swapped string quotes is found, but only long ones and only when no exact copy is near', () => {
  const file = numbered(30, { 5: '  const cleaned = text.replace(/[^\\d.-]/g, "");', 9: "  log('x');", 20: '  const label = "ok";' });
  assert.equal(locateQuote(file, "const cleaned = text.replace(/[^\\d.-]/g, '');", { startLine: 5, endLine: 5 })?.startLine, 5);
  assert.equal(locateQuote(file, 'log("x");', { startLine: 9, endLine: 9 }), undefined, 'too short to trust with other quotes');
  const twice = numbered(30, { 10: "  const label = 'ok' + suffix;", 14: '  const label = "ok" + suffix;' });
  assert.equal(locateQuote(twice, 'const label = "ok" + suffix;', { startLine: 10, endLine: 10 })?.startLine, 14, 'the exact copy wins');
});

test('locate: a `\\n` that lost its JSON escaping (a real line break in the quote) still matches the escape in the file', () => {
  const line = '\tfprintf(stderr, "usage: %s input\\n", prog);';
  const file = numbered(20, { 7: line });
  assert.deepEqual(locateQuote(file, 'fprintf(stderr, "usage: %s input\n", prog);', { startLine: 7, endLine: 7 }), {
    startLine: 7,
    startColumn: 1,
    endLine: 7,
    endColumn: line.length,
  });
});

test('parser: lines counted from the start of the selection are read that way, and only when the claim is outside what was shown', () => {
  // `t := p.next()` is too short for a whole-file search and appears twice; the selection has one.
  const file = numbered(200, { 120: '\tt := p.next()', 180: '\tt := p.next()' });
  const code = codeOf(file, [{ startLine: 110, endLine: 130 }]);
  const finding = onlyFinding(
    [{ title: 'x', startLine: 11, quote: 't := p.next()', fix: { startLine: 11, endLine: 11, replacement: '\tt := p.peek()' } }],
    code,
  );
  assert.deepEqual(finding.range, { startLine: 120, startColumn: 1, endLine: 120, endColumn: 14 });
  assert.deepEqual(finding.fix, { startLine: 120, endLine: 120, replacement: '\tt := p.peek()' });
  // A claim inside the selection is an ordinary (wrong) claim: no reinterpretation, nearest copy.
  const inside = onlyFinding([{ title: 'x', startLine: 125, quote: 't := p.next()' }], code);
  assert.equal(inside.range?.startLine, 120);
});

test('parser: a fix indented with spaces in a tab-indented file gets tabs, and the reverse', () => {
  const tabs = 'func f() {\n\tif x {\n\t\ty()\n\t}\n}';
  const code = codeOf(tabs, [{ startLine: 1, endLine: 5 }]);
  const spaced = onlyFinding(
    [
      {
        title: 'x',
        startLine: 2,
        endLine: 4,
        quote: 'if x {',
        fix: { startLine: 2, endLine: 4, replacement: '    if x && z {\n        y()\n    }' },
      },
    ],
    code,
  );
  assert.equal(spaced.fix?.replacement, '\tif x && z {\n\t\ty()\n\t}');
  const spaces = 'def f():\n    if x:\n        y()\n';
  const py = onlyFinding(
    [{ title: 'x', startLine: 2, endLine: 3, quote: 'if x:', fix: { startLine: 2, endLine: 3, replacement: '\tif x and z:\n\t\ty()' } }],
    codeOf(spaces, [{ startLine: 1, endLine: 4 }]),
  );
  assert.equal(py.fix?.replacement, '    if x and z:\n        y()');
  // A replacement that mixes both is left as written.
  const mixed = onlyFinding(
    [
      {
        title: 'x',
        startLine: 2,
        endLine: 4,
        quote: 'if x {',
        fix: { startLine: 2, endLine: 4, replacement: '\tif x && z {\n        y()\n\t}' },
      },
    ],
    code,
  );
  assert.equal(mixed.fix?.replacement, '\tif x && z {\n        y()\n\t}');
});

test('parser: a block written one level too deep or too shallow is moved to the depth of the code it replaces', () => {
  const file = 'class A {\n  run() {\n    if (a) {\n      b();\n    }\n  }\n}';
  const code = codeOf(file, [{ startLine: 1, endLine: 7 }]);
  const deep = onlyFinding(
    [
      {
        title: 'x',
        startLine: 3,
        endLine: 5,
        quote: 'if (a) {',
        fix: { startLine: 3, endLine: 5, replacement: '        if (a && c) {\n          b();\n        }' },
      },
    ],
    code,
  );
  assert.equal(deep.fix?.replacement, '    if (a && c) {\n      b();\n    }');
  const shallow = onlyFinding(
    [
      {
        title: 'x',
        startLine: 3,
        endLine: 5,
        quote: 'if (a) {',
        fix: { startLine: 3, endLine: 5, replacement: '  if (a && c) {\n    b();\n  }' },
      },
    ],
    code,
  );
  assert.equal(shallow.fix?.replacement, '    if (a && c) {\n      b();\n    }');
  // Deeper, but a later line lacks the surplus: cutting would damage it, so it stays as written.
  const uneven = onlyFinding(
    [
      {
        title: 'x',
        startLine: 3,
        endLine: 5,
        quote: 'if (a) {',
        fix: { startLine: 3, endLine: 5, replacement: '        if (a && c) {\n b();\n        }' },
      },
    ],
    code,
  );
  assert.equal(uneven.fix?.replacement, '        if (a && c) {\n b();\n        }');
});

test('parser: a line break where the JSON lost a `\\n` escape inside a string literal is put back', () => {
  const file = 'int main(void)\n{\n\tprintf("done");\n\treturn 0;\n}';
  const code = codeOf(file, [{ startLine: 1, endLine: 5 }]);
  const broken = onlyFinding(
    [{ title: 'x', startLine: 3, quote: 'printf("done");', fix: { startLine: 3, endLine: 3, replacement: '\tprintf("done\n");' } }],
    code,
  );
  assert.equal(broken.fix?.replacement, '\tprintf("done\\n");');
  // Real line breaks between statements stay; so does a multi-line template literal.
  const two = onlyFinding(
    [
      {
        title: 'x',
        startLine: 3,
        quote: 'printf("done");',
        fix: { startLine: 3, endLine: 3, replacement: '\tprintf("a");\n\tprintf("b\n");' },
      },
    ],
    code,
  );
  assert.equal(two.fix?.replacement, '\tprintf("a");\n\tprintf("b\\n");');
  const js = 'const a = 1;\nconst s = "x";\n';
  const template = onlyFinding(
    [{ title: 'x', startLine: 2, quote: 'const s = "x";', fix: { startLine: 2, endLine: 2, replacement: 'const s = `"x\n"`;' } }],
    codeOf(js, [{ startLine: 1, endLine: 3 }]),
  );
  assert.equal(template.fix?.replacement, 'const s = `"x\n"`;');
});

test('parser: a fix that stands for code with `// ...` or `# rest unchanged` is refused; real spread syntax is not', () => {
  const file = 'function f(xs) {\n  for (const x of xs) {\n    use(x);\n    more(x);\n  }\n}';
  const code = codeOf(file, [{ startLine: 1, endLine: 6 }]);
  for (const marker of ['// ...', '// ... rest of the loop unchanged', '/* … */', '# existing code unchanged', '...']) {
    const finding = onlyFinding(
      [
        {
          title: 'x',
          startLine: 2,
          endLine: 5,
          quote: 'for (const x of xs) {',
          fix: { startLine: 2, endLine: 5, replacement: `  for (const x of [...xs]) {\n    ${marker}\n  }` },
        },
      ],
      code,
    );
    assert.equal(finding.fix, undefined, marker);
    assert.match(finding.fixRefused ?? '', /in place of code it leaves out/, marker);
  }
  const spread = onlyFinding(
    [{ title: 'x', startLine: 3, quote: 'use(x);', fix: { startLine: 3, endLine: 3, replacement: '    use(...[x]);' } }],
    code,
  );
  assert.equal(spread.fix?.replacement, '    use(...[x]);');
});

test('parser: a neighbouring line copied into the replacement is not duplicated', () => {
  const file = 'int push(void)\n{\n\tn->key = strdup(key);\n\tn->value = value;\n\treturn 0;\n}';
  const code = codeOf(file, [{ startLine: 1, endLine: 6 }]);
  const after = onlyFinding(
    [
      {
        title: 'x',
        startLine: 3,
        quote: 'n->key = strdup(key);',
        fix: { startLine: 3, endLine: 3, replacement: '\tn->key = strdup(key);\n\tif (!n->key)\n\t\treturn -1;\n\tn->value = value;' },
      },
    ],
    code,
  );
  assert.deepEqual(after.fix, { startLine: 3, endLine: 3, replacement: '\tn->key = strdup(key);\n\tif (!n->key)\n\t\treturn -1;' });
  const before = onlyFinding(
    [
      {
        title: 'x',
        startLine: 4,
        quote: 'n->value = value;',
        fix: { startLine: 4, endLine: 4, replacement: '\tn->key = strdup(key);\n\tn->value = value + 1;' },
      },
    ],
    code,
  );
  assert.deepEqual(before.fix, { startLine: 4, endLine: 4, replacement: '\tn->value = value + 1;' });
  // A copied closing brace that would leave one `}` too many is a copy too; what remains here is
  // the current code, so there is nothing to offer.
  const braces = 'if (a) {\n  b();\n}\n';
  const brace = onlyFinding(
    [{ title: 'x', startLine: 2, quote: 'b();', fix: { startLine: 2, endLine: 2, replacement: '  b();\n}' } }],
    codeOf(braces, [{ startLine: 1, endLine: 4 }]),
  );
  assert.equal(brace.fix, undefined);
  assert.match(brace.fixRefused ?? '', /same as the current code/);
});

test('parser: a rewrite fix cannot move a finding off its default lines; two equally good readings withhold the fix', () => {
  // The quote is the middle line of a correct three-line claim; the rewrite shares tokens with
  // the line above, which must not drag the fix there.
  const file = [
    'func f() {',
    '\tslug := strings.TrimSuffix(s, "-")',
    '\tif len(slug) > n {',
    '\t\tslug = slug[:n]',
    '\t}',
    '\treturn slug',
    '}',
  ].join('\n');
  const code = codeOf(file, [{ startLine: 1, endLine: 7 }]);
  const replacement = '\tif r := []rune(slug); len(r) > n {\n\t\tslug = strings.TrimSuffix(string(r[:n]), "-")\n\t}';
  const kept = onlyFinding(
    [{ title: 'x', startLine: 3, endLine: 5, quote: 'slug = slug[:n]', fix: { startLine: 3, endLine: 5, replacement } }],
    code,
  );
  assert.deepEqual(kept.fix, { startLine: 3, endLine: 5, replacement });
  // The quote is on the second of two claimed lines: lines 3-4 as claimed, or 4-5 if the numbers
  // are one off. A fix that fits both equally is withheld; one that fits the claim better is kept.
  const flat = ['a();', 'b();', 'w = 0;', 'v = 1;', 'w = 0;', 'c();'].join('\n');
  const flatCode = codeOf(flat, [{ startLine: 1, endLine: 6 }]);
  const unsure = onlyFinding(
    [{ title: 'x', startLine: 3, endLine: 4, quote: 'v = 1;', fix: { startLine: 3, endLine: 4, replacement: 'v = 2;' } }],
    flatCode,
  );
  assert.equal(unsure.range?.startLine, 4, 'the finding itself is placed');
  assert.equal(unsure.fix, undefined);
  assert.match(unsure.fixRefused ?? '', /inside the claimed lines 3–4 but not on the first of them/);
  const sure = onlyFinding(
    [{ title: 'x', startLine: 3, endLine: 4, quote: 'v = 1;', fix: { startLine: 3, endLine: 4, replacement: 'w = 0;\nv = 2;' } }],
    flatCode,
  );
  assert.deepEqual(sure.fix, { startLine: 3, endLine: 4, replacement: 'w = 0;\nv = 2;' });
});

test('parser: a fence followed by a line break is still taken off the replacement', () => {
  const file = 'func f() {\n\treturn a\n}';
  const finding = onlyFinding(
    [{ title: 'x', startLine: 2, quote: 'return a', fix: { startLine: 2, endLine: 2, replacement: '~~~go\n\treturn b\n~~~\n' } }],
    codeOf(file, [{ startLine: 1, endLine: 3 }]),
  );
  assert.equal(finding.fix?.replacement, '\treturn b');
});

test('parser: an endLine one short of the closing brace the replacement repeats does not duplicate the brace', () => {
  const file = ['void f() {', '    if (a) {', '        b();', '    }', '    c();', '}'].join('\n');
  const code = codeOf(file, [{ startLine: 1, endLine: 6 }]);
  const short = onlyFinding(
    [
      {
        title: 'x',
        startLine: 2,
        endLine: 3,
        quote: 'if (a) {',
        fix: { startLine: 2, endLine: 3, replacement: '    if (a && d) {\n        b();\n    }' },
      },
    ],
    code,
  );
  assert.deepEqual(short.fix, { startLine: 2, endLine: 3, replacement: '    if (a && d) {\n        b();' });
  assert.equal(applyFix(file, short.fix!), ['void f() {', '    if (a && d) {', '        b();', '    }', '    c();', '}'].join('\n'));
  // A brace that balances the replacement is kept, though the next line is the same brace.
  const wrap = onlyFinding(
    [{ title: 'x', startLine: 5, quote: 'c();', fix: { startLine: 5, endLine: 5, replacement: '    if (e) {\n        c();\n    }' } }],
    codeOf(['void f() {', '    if (a) {', '        b();', '    }', '    c();', '    }'].join('\n'), [{ startLine: 1, endLine: 6 }]),
  );
  assert.equal(wrap.fix?.replacement, '    if (e) {\n        c();\n    }');
});

test('parser: a fix numbered one line off its correctly placed finding moves onto the quote only when it is a near-copy of it', () => {
  const file = [
    'function chunk(items, size) {',
    '  const out = [];',
    '  for (let i = 0; i <= items.length; i += size) {',
    '    out.push(items.slice(i, i + size));',
    '  }',
    '  return out;',
    '}',
  ].join('\n');
  const code = codeOf(file, [{ startLine: 1, endLine: 7 }]);
  const slipped = onlyFinding(
    [
      {
        title: 'x',
        startLine: 3,
        quote: 'i <= items.length',
        fix: { startLine: 4, endLine: 4, replacement: '  for (let i = 0; i < items.length; i += size) {' },
      },
    ],
    code,
  );
  assert.deepEqual(slipped.fix, { startLine: 3, endLine: 3, replacement: '  for (let i = 0; i < items.length; i += size) {' });
  // A fix of other lines (not a copy of the quoted one) keeps its own lines.
  const elsewhere = onlyFinding(
    [
      {
        title: 'x',
        startLine: 3,
        quote: 'i <= items.length',
        fix: { startLine: 6, endLine: 6, replacement: '  return out.filter((c) => c.length > 0);' },
      },
    ],
    code,
  );
  assert.deepEqual(elsewhere.fix, { startLine: 6, endLine: 6, replacement: '  return out.filter((c) => c.length > 0);' });
});

test('parser: which lines a fix replaces is read from the lines it keeps and its ends, not from shared tokens', () => {
  const file = [
    'function total(items) {',
    '  let sum = 0;',
    '  for (const item of items) {',
    '    sum += item.price;',
    '  }',
    '  return sum;',
    '}',
  ].join('\n');
  const code = codeOf(file, [{ startLine: 1, endLine: 7 }]);
  const fixed = '  for (const item of items) {\n    sum += item.price * item.qty;\n  }';
  // Numbers one line early: the quote (the block's first line) falls on the claim's second line.
  const early = onlyFinding(
    [{ title: 'x', startLine: 2, endLine: 4, quote: 'for (const item of items) {', fix: { startLine: 2, endLine: 4, replacement: fixed } }],
    code,
  );
  assert.deepEqual(early.fix, { startLine: 3, endLine: 5, replacement: fixed });
  // Right numbers, the quote taken from the block's second line: the fix stays.
  const middle = onlyFinding(
    [{ title: 'x', startLine: 3, endLine: 5, quote: 'sum += item.price;', fix: { startLine: 3, endLine: 5, replacement: fixed } }],
    code,
  );
  assert.deepEqual(middle.fix, { startLine: 3, endLine: 5, replacement: fixed });
  // A rewrite that keeps no line and neither end cannot tell the two readings apart: withheld.
  const rewrite = onlyFinding(
    [
      {
        title: 'x',
        startLine: 2,
        endLine: 4,
        quote: 'for (const item of items) {',
        fix: { startLine: 2, endLine: 4, replacement: '  return items.reduce((s, i) => s + i.price * i.qty, 0);' },
      },
    ],
    code,
  );
  assert.equal(rewrite.fix, undefined);
  assert.match(rewrite.fixRefused ?? '', /which lines it replaces is uncertain/);
});
