import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { parseAnswer } from '../../src/core/answerParser';
import type { CodeUnderReview, Finding, LineRange } from '../../src/core/types';

const fixtures = join(import.meta.dirname, '..', 'fixtures', 'answers');
const fixture = (name: string): string => readFileSync(join(fixtures, name), 'utf8');
const cart = fixture('cart.ts.txt');

function review(ranges: LineRange[], fileText = cart, extra: Partial<CodeUnderReview> = {}): CodeUnderReview {
  return { kind: 'review', path: 'src/cart.ts', languageId: 'typescript', fileText, ranges, ...extra };
}
const wholeCart = review([{ startLine: 1, endLine: 22 }]);
const totalOnly = review([{ startLine: 4, endLine: 10 }]);

/** A finding wrapped the way models usually send one. */
function answerWith(findings: unknown[], before = 'Here is what I found.', after = ''): string {
  return `${before}\n\n\`\`\`json\n${JSON.stringify({ summary: 'S', findings }, null, 2)}\n\`\`\`\n${after}`;
}
function only(findings: readonly Finding[]): Finding {
  assert.equal(findings.length, 1, `expected one finding, got ${JSON.stringify(findings)}`);
  return findings[0]!;
}

test('a realistic R1 answer: off-by-two lines land on the quote, the fix moves along and gets its indentation back', () => {
  const parsed = parseAnswer(fixture('r1-offby-fenced.md'), wholeCart);
  assert.equal(parsed.problem, undefined);
  assert.match(parsed.summary, /reads one element past the end/);
  assert.match(parsed.prose, /^The bug is in `total`/);
  assert.match(parsed.prose, /guard against `qty` being negative\.$/);
  assert.doesNotMatch(parsed.prose, /```|"findings"/);
  assert.equal(parsed.findings.length, 2);

  const [loop, average] = parsed.findings as [Finding, Finding];
  assert.equal(loop.startLine, 6);
  assert.equal(loop.endLine, 6);
  assert.equal(loop.locationUncertain, false);
  assert.equal(loop.severity, 'error');
  assert.deepEqual(loop.range, { startLine: 6, startColumn: 2, endLine: 6, endColumn: 43 });
  assert.deepEqual(loop.fix, { startLine: 6, endLine: 6, replacement: '  for (let i = 0; i < items.length; i++) {' });

  assert.equal(average.startLine, 15);
  assert.equal(average.endLine, 15, 'a missing endLine equals startLine');
  assert.equal(average.severity, 'warning');
  assert.equal(average.category, 'edge-case');
  assert.deepEqual(average.fix, { startLine: 15, endLine: 15, replacement: '  return items.length === 0 ? 0 : sum / items.length;' });
});

test('a fix outside the selection is refused and the finding stays', () => {
  const parsed = parseAnswer(fixture('r1-offby-fenced.md'), totalOnly);
  const average = parsed.findings[1]!;
  assert.equal(average.startLine, 15);
  assert.equal(average.locationUncertain, false);
  assert.equal(average.fix, undefined);
  assert.match(average.fixRefused ?? '', /line 15, outside the code under review \(4–10\)/);
  assert.ok(parsed.findings[0]!.fix, 'the fix inside the selection is still offered');
});

test('a fix that lands outside the selection only after moving to its quote is refused', () => {
  const answer = answerWith([
    {
      title: 'NaN on empty input',
      severity: 'warning',
      category: 'edge-case',
      startLine: 9,
      endLine: 9,
      quote: 'return sum / items.length;',
      explanation: 'Divides by zero.',
      fix: { startLine: 9, endLine: 9, replacement: '  return items.length ? sum / items.length : 0;' },
    },
  ]);
  const finding = only(parseAnswer(answer, totalOnly).findings);
  assert.equal(finding.startLine, 15, 'moved to where the quote is');
  assert.equal(finding.fix, undefined, 'line 9 was inside the selection, line 15 is not');
  assert.match(finding.fixRefused ?? '', /once moved to where the quoted code is.*line 15/);
});

test('no JSON at all leaves the prose, no findings, and says so', () => {
  const text = fixture('r1-no-json.md');
  const parsed = parseAnswer(text, wholeCart);
  assert.deepEqual(parsed.findings, []);
  assert.equal(parsed.prose, text.trim());
  assert.match(parsed.problem ?? '', /no JSON block/);
});

test('a stream cut inside the JSON keeps only the findings written in full', () => {
  const parsed = parseAnswer(fixture('r1-truncated.md'), wholeCart);
  const finding = only(parsed.findings);
  assert.equal(finding.title, 'Off-by-one in loop bound');
  assert.equal(finding.fix?.replacement, '  for (let i = 0; i < items.length; i++) {');
  assert.equal(parsed.summary, 'Off-by-one in `total`; NaN from `average` on an empty cart.');
  assert.match(parsed.problem ?? '', /stopped before its JSON block was finished; only the 1 finding written in full is shown/);
  assert.equal(parsed.prose, 'Two problems: the loop bound and the empty-cart average.');
});

test('a stream cut before any finding was complete yields no findings, never a half-written fix', () => {
  const text =
    '```json\n{"summary": "Loop bound", "findings": [{"title": "Off-by-one", "startLine": 6, "quote": "for (let i = 0;", "fix": {"startLine": 6, "endLine": 6, "replacement": "  for (let i = 0; i <';
  const parsed = parseAnswer(text, wholeCart);
  assert.deepEqual(parsed.findings, []);
  assert.equal(parsed.summary, 'Loop bound');
  assert.match(parsed.problem ?? '', /no findings could be read/);
});

test('several blocks: the last suitable one wins; leaked reasoning, string numbers, synonyms, fenced and numbered replacement', () => {
  const parsed = parseAnswer(fixture('r1-several-blocks.md'), review([{ startLine: 18, endLine: 21 }]));
  assert.equal(parsed.problem, undefined);
  assert.equal(parsed.summary, 'A negative discount increases the price.');
  assert.doesNotMatch(parsed.prose, /Okay, so the user/, 'leaked <think> is removed');
  assert.match(parsed.prose, /^The clamp only handles the upper end/);
  assert.match(parsed.prose, /```typescript\nexport function applyDiscount/, 'other code blocks stay in the prose');
  assert.match(parsed.prose, /And here is the actual result:$/);
  const finding = only(parsed.findings);
  assert.equal(finding.severity, 'warning');
  assert.equal(finding.category, 'edge-case');
  assert.equal(finding.startLine, 19);
  assert.equal(finding.endLine, 19);
  assert.deepEqual(finding.fix, { startLine: 19, endLine: 19, replacement: '  percent = Math.min(Math.max(percent, 0), 100);' });
});

test('fences: unlabelled, JSON, tilde; a bare object at the end; prose after', () => {
  const body = '{"summary": "x", "findings": [{"title": "T", "startLine": 15, "quote": "return sum / items.length;", "explanation": "e"}]}';
  for (const text of [
    `Intro.\n\n\`\`\`\n${body}\n\`\`\`\nAfter.`,
    `Intro.\n\n\`\`\`JSON\n${body}\n\`\`\`\nAfter.`,
    `Intro.\n\n~~~json\n${body}\n~~~\nAfter.`,
    `Intro.\n\n${body}\n`,
    `Intro.\n\nFinal answer: ${body}`,
    `Intro.\n\n\`\`\`json ${body} \`\`\``,
    `Intro.\n\n\`\`\`json\n${body}\nAfter, with the closing fence forgotten.`,
  ]) {
    const parsed = parseAnswer(text, wholeCart);
    assert.equal(parsed.problem, undefined, text);
    assert.equal(only(parsed.findings).startLine, 15, text);
    assert.match(parsed.prose, /^Intro\./, text);
    assert.doesNotMatch(parsed.prose, /"findings"/, text);
    if (text.includes('After')) assert.match(parsed.prose, /After/, text);
  }
});

test('JSON that needs repair: comments, trailing commas, single quotes, unquoted keys, a missing endLine', () => {
  const text = [
    "I'd flag one thing.",
    '',
    '~~~',
    '{',
    "  summary: 'Clamp misses negatives',",
    '  /* one finding */',
    '  findings: [',
    "    { title: 'Negative percent', severity: 'HIGH', category: 'Security', line: 'L19', quote: 'if (percent > 100) percent = 100;', explanation: 'Raises the price.', },",
    '  ],',
    '}',
    '~~~',
  ].join('\n');
  const parsed = parseAnswer(text, wholeCart);
  assert.equal(parsed.problem, undefined);
  assert.equal(parsed.summary, 'Clamp misses negatives');
  const finding = only(parsed.findings);
  assert.equal(finding.severity, 'error');
  assert.equal(finding.category, 'security');
  assert.equal(finding.startLine, 19);
  assert.equal(finding.endLine, 19);
});

test('a top-level array of findings, extra keys, and findings missing altogether', () => {
  const array =
    '```json\n[{"title": "A", "severity": "low", "category": "typo", "startLine": "15", "endLine": "15", "quote": "return sum / items.length;", "cwe": "CWE-369", "confidence": "high"}]\n```';
  const parsed = parseAnswer(array, wholeCart);
  const finding = only(parsed.findings);
  assert.equal(finding.severity, 'info');
  assert.equal(finding.category, 'bug', 'an unknown category becomes bug');
  assert.equal(finding.startLine, 15);
  assert.equal((finding as unknown as Record<string, unknown>).cwe, undefined, 'extra keys are not passed on');

  const summaryOnly = parseAnswer('Looks fine.\n```json\n{"summary": "No problems found."}\n```', wholeCart);
  assert.deepEqual(summaryOnly.findings, []);
  assert.equal(summaryOnly.summary, 'No problems found.');
  assert.equal(summaryOnly.problem, undefined);
  assert.equal(summaryOnly.prose, 'Looks fine.');
});

test('severity and category synonyms', () => {
  const cases: [string, string, string, string][] = [
    ['Critical', 'edge case', 'error', 'edge-case'],
    ['medium', 'Edge_Case', 'warning', 'edge-case'],
    ['note', 'perf', 'info', 'performance'],
    ['hint', 'readability', 'info', 'maintainability'],
    ['warn', 'vulnerability', 'warning', 'security'],
    ['banana', 'banana', 'warning', 'bug'],
  ];
  const answer = answerWith(
    cases.map(([severity, category], i) => ({ title: `F${i}`, severity, category, startLine: 15, quote: 'sum / items.length' })),
  );
  const findings = parseAnswer(answer, wholeCart).findings;
  assert.deepEqual(
    findings.map((f) => [f.severity, f.category]),
    cases.map(([, , severity, category]) => [severity, category]),
  );
});

test('a fix as a string, or without a replacement, gives no fix; the string is kept for the reader', () => {
  const answer = answerWith([
    {
      title: 'A',
      startLine: 15,
      quote: 'return sum / items.length;',
      explanation: 'Divides by zero.',
      fix: 'Return 0 when the cart is empty.',
    },
    { title: 'B', startLine: 6, quote: 'i <= items.length', fix: { startLine: 6, endLine: 6 } },
  ]);
  const [a, b] = parseAnswer(answer, wholeCart).findings as [Finding, Finding];
  assert.equal(a.fix, undefined);
  assert.equal(a.fixRefused, undefined);
  assert.equal(a.explanation, 'Divides by zero.\n\nSuggested fix: Return 0 when the cart is empty.');
  assert.equal(b.fix, undefined);
});

test('a quote that appears twice: the occurrence nearest the claimed line wins', () => {
  const answer = answerWith([
    { title: 'Shadowed sum', startLine: 11, quote: 'let sum = 0;', fix: { startLine: 11, endLine: 11, replacement: '  let sum = 0.0;' } },
  ]);
  const finding = only(parseAnswer(answer, wholeCart).findings);
  assert.equal(finding.startLine, 13);
  assert.equal(finding.fix?.startLine, 13);
});

test('a quote not found keeps the finding at the claimed lines, clamped, uncertain, and withholds its fix', () => {
  const answer = answerWith([
    {
      title: 'Ghost',
      startLine: 40,
      endLine: 44,
      quote: 'items.reduce((a, b) => a + b.price, 0)',
      fix: { startLine: 40, endLine: 40, replacement: 'x' },
    },
  ]);
  const finding = only(parseAnswer(answer, wholeCart).findings);
  assert.equal(finding.locationUncertain, true);
  assert.equal(finding.range, undefined);
  assert.equal(finding.startLine, 22);
  assert.equal(finding.endLine, 22);
  assert.equal(finding.fix, undefined);
  assert.match(finding.fixRefused ?? '', /quoted code was not found/);
});

test('without a quote the lines are the model’s claim: a fix that resembles them is kept, one that does not is refused', () => {
  const answer = answerWith([
    { title: 'Bound', startLine: 6, endLine: 6, fix: { replacement: '  for (let i = 0; i < items.length; i++) {' } },
    { title: 'Unrelated', startLine: 9, endLine: 9, fix: { startLine: 9, endLine: 9, replacement: 'throw new Error("nope");' } },
  ]);
  const [kept, refused] = parseAnswer(answer, wholeCart).findings as [Finding, Finding];
  assert.equal(kept.locationUncertain, true);
  assert.deepEqual(kept.fix, { startLine: 6, endLine: 6, replacement: '  for (let i = 0; i < items.length; i++) {' });
  assert.equal(refused.fix, undefined);
  assert.match(refused.fixRefused ?? '', /no quote.*does not resemble line 9/);
});

test('a fix whose lines are out of the file is rejected', () => {
  const answer = answerWith([
    {
      title: 'A',
      startLine: 20,
      quote: 'return price - price * percent / 100;',
      fix: { startLine: 20, endLine: 25, replacement: '  return 0;' },
    },
  ]);
  const finding = only(parseAnswer(answer, wholeCart).findings);
  assert.equal(finding.startLine, 20);
  assert.equal(finding.fix, undefined);
  assert.match(finding.fixRefused ?? '', /lines 20–25, but the file has 22 lines/);
});

test('a multi-line fix: fenced, numbered, off by two; it moves, is unwrapped and keeps relative indentation', () => {
  const replacement = [
    '```ts',
    ' 8 |   let sum = 0;',
    ' 9 |   for (const item of items) {',
    '10 |     sum += item.price * item.qty;',
    '11 |   }',
    '```',
  ].join('\n');
  const answer = answerWith([
    { title: 'Loop', startLine: 7, endLine: 10, quote: 'let sum = 0;', fix: { startLine: 7, endLine: 10, replacement } },
  ]);
  const finding = only(parseAnswer(answer, totalOnly).findings);
  assert.equal(finding.startLine, 5);
  assert.equal(finding.endLine, 8);
  assert.deepEqual(finding.fix, {
    startLine: 5,
    endLine: 8,
    replacement: '  let sum = 0;\n  for (const item of items) {\n    sum += item.price * item.qty;\n  }',
  });
});

test('a replacement written from column 0 is re-indented as a block; one with only its first line flush keeps the rest', () => {
  const flush = 'for (const item of items) {\n  sum += item.price * item.qty;\n}';
  const firstOnly = 'for (const item of items) {\n    sum += item.price * item.qty;\n  }';
  for (const replacement of [flush, firstOnly]) {
    const answer = answerWith([
      { title: 'L', startLine: 6, endLine: 8, quote: 'i <= items.length', fix: { startLine: 6, endLine: 8, replacement } },
    ]);
    assert.equal(
      only(parseAnswer(answer, wholeCart).findings).fix?.replacement,
      '  for (const item of items) {\n    sum += item.price * item.qty;\n  }',
    );
  }
});

test('moving a multi-line finding picks the offset at which its fix matches the code it replaces', () => {
  // The model quotes the last line of its three-line claim; the fix is a near-copy of lines 5–7.
  const answer = answerWith([
    {
      title: 'Unsafe read',
      startLine: 9,
      endLine: 11,
      quote: 'sum += items[i].price * items[i].qty;',
      fix: {
        startLine: 9,
        endLine: 11,
        replacement: '  let sum = 0;\n  for (let i = 0; i < items.length; i++) {\n    sum += items[i].price * items[i].qty;',
      },
    },
  ]);
  const finding = only(parseAnswer(answer, totalOnly).findings);
  assert.equal(finding.fix?.startLine, 5);
  assert.equal(finding.fix?.endLine, 7);
  assert.equal(finding.range?.startLine, 7);
});

test('CRLF files: lines found, the replacement uses CRLF, columns do not count the carriage return', () => {
  const crlf = cart.replace(/\n/g, '\r\n');
  const answer = answerWith([
    {
      title: 'Bound',
      startLine: 5,
      quote: 'for (let i = 0; i <= items.length; i++) {',
      fix: { startLine: 5, endLine: 7, replacement: '  for (const item of items) {\n    sum += item.price * item.qty;\n  }\n' },
    },
  ]);
  const finding = only(parseAnswer(answer, review([{ startLine: 4, endLine: 10 }], crlf)).findings);
  assert.equal(finding.startLine, 6);
  assert.deepEqual(finding.range, { startLine: 6, startColumn: 2, endLine: 6, endColumn: 43 });
  assert.deepEqual(finding.fix, {
    startLine: 6,
    endLine: 8,
    replacement: '  for (const item of items) {\r\n    sum += item.price * item.qty;\r\n  }',
  });
});

test('tabs and non-ASCII: the range is in UTF-16 columns and the fix keeps tab indentation', () => {
  const file = ['function greet(名前) {', '\tconst msg = "👋 " + 名前;', '\tif (名前 = "") return msg;', '\treturn msg;', '}'].join('\n');
  const answer = answerWith([
    {
      title: 'Assignment in condition',
      startLine: 2,
      quote: 'if (名前 = "") return msg;',
      fix: { startLine: 2, endLine: 2, replacement: 'if (名前 === "") return msg;' },
    },
  ]);
  const finding = only(parseAnswer(answer, review([{ startLine: 1, endLine: 5 }], file, { languageId: 'javascript' })).findings);
  assert.equal(finding.startLine, 3);
  assert.deepEqual(finding.range, { startLine: 3, startColumn: 1, endLine: 3, endColumn: 25 });
  assert.deepEqual(finding.fix, { startLine: 3, endLine: 3, replacement: '\tif (名前 === "") return msg;' });
});

test('changed hunks: a fix spanning two hunks reaches unchanged code between them and is refused', () => {
  const code = review([
    { startLine: 5, endLine: 7 },
    { startLine: 13, endLine: 15 },
  ]);
  const answer = answerWith([
    {
      title: 'Span',
      startLine: 6,
      endLine: 13,
      quote: 'i <= items.length',
      fix: { startLine: 6, endLine: 13, replacement: '  // rewritten' },
    },
    {
      title: 'In hunk',
      startLine: 15,
      quote: 'sum / items.length',
      fix: { startLine: 15, endLine: 15, replacement: '  return sum / Math.max(items.length, 1);' },
    },
  ]);
  const [span, inHunk] = parseAnswer(answer, code).findings as [Finding, Finding];
  assert.equal(span.fix, undefined);
  assert.match(span.fixRefused ?? '', /outside the code under review \(5–7, 13–15\)/);
  assert.equal(inHunk.fix?.startLine, 15);
});

test('a fix identical to the current code is not offered', () => {
  const answer = answerWith([
    {
      title: 'Same',
      startLine: 15,
      quote: 'sum / items.length',
      fix: { startLine: 15, endLine: 15, replacement: 'return sum / items.length;' },
    },
  ]);
  const finding = only(parseAnswer(answer, wholeCart).findings);
  assert.equal(finding.fix, undefined);
  assert.match(finding.fixRefused ?? '', /same as the current code/);
});

test('a finding with no lines is placed by its quote; its fix takes the quoted lines', () => {
  const answer = answerWith([
    { title: 'Nowhere', quote: 'return sum / items.length;', fix: { replacement: '  return items.length ? sum / items.length : 0;' } },
  ]);
  const finding = only(parseAnswer(answer, wholeCart).findings);
  assert.equal(finding.startLine, 15);
  assert.equal(finding.locationUncertain, false);
  assert.deepEqual(finding.fix, { startLine: 15, endLine: 15, replacement: '  return items.length ? sum / items.length : 0;' });
});

test('a JSON-only answer (response_format json_object) has empty prose', () => {
  const parsed = parseAnswer(
    JSON.stringify({ summary: 'The loop reads past the end.', findings: [{ title: 'A', startLine: 6, quote: 'i <= items.length' }] }),
    wholeCart,
  );
  assert.equal(parsed.prose, '');
  assert.equal(parsed.summary, 'The loop reads past the end.');
  assert.equal(only(parsed.findings).startLine, 6);
});

test('an object literal in a TypeScript block does not pass for the answer', () => {
  const text =
    'Use this instead:\n\n```ts\n{ title: "x", line: 3 }\n```\n\n```json\n{"summary": "s", "findings": []}\n```\n\nAnd in the test:\n\n```ts\nconst f = { title: "t", line: 1 };\n```';
  const parsed = parseAnswer(text, wholeCart);
  assert.deepEqual(parsed.findings, []);
  assert.equal(parsed.summary, 's');
  assert.equal(parsed.problem, undefined);
});

test('a JSON block that cannot be read says so and keeps the whole text', () => {
  const text = 'Explanation.\n\n```json\n{{{ "summary": ]]] nope\n```';
  const parsed = parseAnswer(text, wholeCart);
  assert.deepEqual(parsed.findings, []);
  assert.match(parsed.problem ?? '', /JSON block could not be read/);
  assert.match(parsed.prose, /^Explanation\./);
});

test('an empty answer says so', () => {
  assert.match(parseAnswer('', wholeCart).problem ?? '', /empty answer/);
  assert.match(parseAnswer('<think>only thinking</think>\n', wholeCart).problem ?? '', /empty answer/);
});

// Speed lives in the benchmarks; the timeout only stops a quadratic regression from hanging the suite.
test('nonsense never throws', { timeout: 120_000 }, () => {
  let seed = 42;
  const random = (): number => {
    seed = (seed * 1103515245 + 12345) % 2 ** 31;
    return seed / 2 ** 31;
  };
  const alphabet = '{}[]"\':,\n `~\\/*<>think0123456789summaryfindings\u0000\uD83D\uDE00\uFFFF';
  const inputs: unknown[] = [
    Array.from({ length: 20000 }, () => alphabet[Math.floor(random() * alphabet.length)]).join(''),
    String.fromCharCode(...Array.from({ length: 5000 }, () => Math.floor(random() * 65536))),
    '['.repeat(100000),
    '{"findings": ['.repeat(20000),
    '```json\n' + '{'.repeat(50000),
    '{\n'.repeat(50000),
    'x'.repeat(2_000_000) + '\n```json\n{"summary":"s","findings":[]}\n```',
    '<think>'.repeat(50000),
    '```\n{\n```\n'.repeat(30000),
    '```json\n{"a": "'.repeat(20000),
    '```json\n{"findings": [1, "two", null, {"title": 3, "startLine": -4, "endLine": "abc"}, {"startLine": 1e308}]}\n```',
    '```json\n{"findings": [{"title": "far", "startLine": 5e307, "endLine": 1e308, "quote": "return sum / items.length;", "fix": {"startLine": 5e307, "endLine": 1e308, "replacement": "x"}}]}\n```',
    '```json\n{"findings": [{"title": "far", "startLine": 9000, "endLine": 9100, "quote": "return sum / items.length;", "fix": {"startLine": 9000, "endLine": 9100, "replacement": "x"}}]}\n```',
    '```json\n{"findings": {"title": "single object", "startLine": 6, "quote": "i <= items.length"}}\n```',
    null,
    undefined,
    12345,
  ];
  for (const input of inputs) {
    const parsed = parseAnswer(input as string, wholeCart);
    assert.equal(typeof parsed.prose, 'string');
    assert.ok(Array.isArray(parsed.findings));
    for (const f of parsed.findings) {
      assert.ok(f.startLine >= 1 && f.endLine <= 22 && f.startLine <= f.endLine, JSON.stringify(f));
    }
  }
});

test('code that really starts with `1 | ` is not mistaken for a copied line number', () => {
  const file = 'const mask =\n  1 | 2 |\n  4;\n';
  const answer = answerWith([
    { title: 'Missing flag', startLine: 2, quote: '1 | 2 |', fix: { startLine: 2, endLine: 2, replacement: '  1 | 2 | 8 |' } },
  ]);
  const finding = only(parseAnswer(answer, review([{ startLine: 1, endLine: 3 }], file)).findings);
  assert.deepEqual(finding.fix, { startLine: 2, endLine: 2, replacement: '  1 | 2 | 8 |' });
  // Prefixes whose numbers do not increase are not line numbers either.
  const flags = 'let a = 0;\nlet b = 0;\n';
  const odd = answerWith([
    { title: 'x', startLine: 1, quote: 'let a = 0;', fix: { startLine: 1, endLine: 2, replacement: '3 | a\n1 | b' } },
  ]);
  assert.equal(only(parseAnswer(odd, review([{ startLine: 1, endLine: 2 }], flags)).findings).fix?.replacement, '3 | a\n1 | b');
});

test('a hundred findings on a 10,000-line file are all placed', { timeout: 120_000 }, () => {
  const lines = Array.from({ length: 10000 }, (_, i) => `    const value${i} = compute(input${i}, options);`);
  const findings = Array.from({ length: 100 }, (_, i) => ({
    title: `F${i}`,
    startLine: i * 90 + 3,
    quote: i % 2 ? `const value${i * 90} = compute(input${i * 90}, options);` : 'a quote that is nowhere in the file',
  }));
  const parsed = parseAnswer(answerWith(findings), review([{ startLine: 1, endLine: 10000 }], lines.join('\n')));
  assert.equal(parsed.findings.filter((f) => !f.locationUncertain).length, 50);
  assert.equal(parsed.findings[1]!.startLine, 91, 'moved two lines up to its quote');
});
