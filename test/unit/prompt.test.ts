import { test } from 'node:test';
import assert from 'node:assert/strict';
import { buildFollowUp, buildPrompt, numberLines } from '../../src/core/prompt';
import { parseAnswer } from '../../src/core/answerParser';
import type { ChatMessage, CodeUnderReview } from '../../src/core/types';

// A 120-line file so numbers have three digits and the padding shows.
const fileLines = Array.from({ length: 120 }, (_, i) => `  statement${i + 1}();`);
fileLines[97] = 'function retry(job, attempts) {';
fileLines[98] = '  for (let i = 0; i <= attempts; i++) {';
fileLines[99] = '    if (job()) return true;';
fileLines[100] = '  }';
const fileText = fileLines.join('\n');

function code(extra: Partial<CodeUnderReview> = {}): CodeUnderReview {
  return {
    kind: 'review',
    path: 'src/retry.js',
    languageId: 'javascript',
    fileText,
    ranges: [{ startLine: 99, endLine: 101 }],
    ...extra,
  };
}
const content = (messages: ChatMessage[]): string => {
  assert.equal(messages.length, 1);
  assert.equal(messages[0]!.role, 'user', 'instructions go in the user turn, no system prompt');
  return messages[0]!.content;
};

test('numberLines uses absolute numbers, pads them, and ignores carriage returns', () => {
  assert.equal(numberLines('a\r\nb\r\nc\r\n', { startLine: 2, endLine: 3 }), '2 | b\n3 | c');
  assert.equal(
    numberLines(fileText, { startLine: 99, endLine: 100 }, { width: 4 }),
    '  99 |   for (let i = 0; i <= attempts; i++) {\n' + ' 100 |     if (job()) return true;',
  );
  assert.equal(numberLines('x\ny', { startLine: 5, endLine: 9 }), '2 | y', 'a range past the end is clamped');
});

test('the code under review goes in with absolute, padded line numbers and nothing else of the file', () => {
  const text = content(buildPrompt(code()));
  assert.match(text, /Review this JavaScript code from `src\/retry\.js` for bugs and edge cases/);
  assert.match(text, /Code under review, lines 99–101 \(the only lines you may change\)/);
  assert.ok(
    text.includes('```javascript\n 99 |   for (let i = 0; i <= attempts; i++) {\n100 |     if (job()) return true;\n101 |   }\n```'),
    text,
  );
  assert.doesNotMatch(text, /98 \| function retry/, 'lines outside the ranges are not shown as code under review');
  assert.doesNotMatch(text, /statement1\(\)/);
});

test('several hunks are numbered blocks', () => {
  const text = content(
    buildPrompt(
      code({
        ranges: [
          { startLine: 10, endLine: 11 },
          { startLine: 99, endLine: 99 },
          { startLine: 12, endLine: 12 },
        ],
      }),
    ),
  );
  assert.match(text, /Code under review: 2 separate blocks/);
  assert.match(
    text,
    /Block 1 of 2, lines 10–12:\n```javascript\n 10 \| {3}statement10\(\);\n 11 \| {3}statement11\(\);\n 12 \| {3}statement12\(\);\n```/,
  );
  assert.match(text, /Block 2 of 2, line 99:\n```javascript\n 99 \| {3}for \(let i = 0;/);
  assert.match(text, /only within the lines under review \(10–12, 99\)/);
});

test('reference context is labelled read-only, numbered, and folds the lines already under review', () => {
  const text = content(
    buildPrompt(
      code({
        context: [
          { label: 'Enclosing function `retry`', startLine: 98, text: fileLines.slice(97, 102).join('\n') + '\n' },
          { label: 'Signature of `job`', startLine: 5, text: 'function job(): boolean' },
        ],
      }),
    ),
  );
  assert.match(text, /Reference context \(read-only: for understanding only; do not edit it or put fixes in it\):/);
  assert.match(
    text,
    /Enclosing function `retry`, lines 98–102:\n```javascript\n 98 \| function retry\(job, attempts\) \{\n {4}\| … lines 99–101: the code under review above …\n102 \| {3}statement102\(\);\n```/,
  );
  assert.match(text, /Signature of `job`, line 5:\n```javascript\n {2}5 \| function job\(\): boolean\n```/);
  assert.ok(text.indexOf('Code under review') < text.indexOf('Reference context'));
});

test("other tools' diagnostics and the person's question are included", () => {
  const text = content(
    buildPrompt(
      code({
        diagnostics: [
          { line: 100, message: 'Unexpected constant\ncondition', source: 'eslint', severity: 'warning' },
          { line: 99, message: "'i' is never reassigned", source: 'ts' },
          { line: 999, message: 'out of the file' },
        ],
        question: 'Why does it retry one time too many?',
      }),
    ),
  );
  assert.match(
    text,
    /Diagnostics from other tools on this code:\n- line 99 \(ts\): 'i' is never reassigned\n- line 100 \(eslint, warning\): Unexpected constant condition/,
  );
  assert.doesNotMatch(text, /out of the file/);
  assert.match(text, /The person asks: Why does it retry one time too many\?/);
});

test('the answer contract: one fenced json block, exact field names and enums, absolute inclusive lines', () => {
  const text = content(buildPrompt(code()));
  assert.match(text, /end your answer with exactly one fenced ```json block/);
  for (const field of [
    '"summary"',
    '"findings"',
    '"title"',
    '"severity"',
    '"category"',
    '"startLine"',
    '"endLine"',
    '"quote"',
    '"explanation"',
    '"fix"',
    '"replacement"',
  ]) {
    assert.ok(text.includes(field), `missing ${field}`);
  }
  assert.ok(text.includes('"error | warning | info"'));
  assert.ok(text.includes('"bug | edge-case | performance | security | maintainability"'));
  assert.match(text, /absolute file line numbers .*1-based, inclusive/);
  assert.match(text, /quote: the problem code copied exactly from line startLine \(all or part of it\), without the number prefix/);
  assert.match(text, /fix is optional, and only within the lines under review \(99–101\)/);
  assert.match(text, /original indentation/);
  assert.ok(text.trimEnd().endsWith('"findings": [] when you find no real problem.'), 'the contract comes last');
});

test('explain runs ask for the bug, its input and why', () => {
  const text = content(buildPrompt(code({ kind: 'explain' })));
  assert.match(text, /^Explain the bug in this JavaScript code from `src\/retry\.js`: what goes wrong, for which input, and why\./);
});

test('the JSON-only variant asks for the bare object and puts the explanation in its own field', () => {
  const text = content(buildPrompt(code(), { jsonOnlyAnswer: true }));
  assert.match(
    text,
    /answer with one JSON object and nothing else \(no prose, no code fences\); put your explanation for the person in "explanation"/,
  );
  assert.ok(text.includes('"explanation": "<your explanation for the person, markdown>"'));
  assert.doesNotMatch(
    content(buildPrompt(code())),
    /your explanation for the person, markdown/,
    'with prose allowed it is written above the block',
  );
  assert.doesNotMatch(text, /```json/);
  assert.ok(text.includes('"findings": ['));
});

test('a budget drops reference context, least important first, and says what was cut', () => {
  const enclosing = { label: 'Enclosing function `retry`', startLine: 98, text: fileLines.slice(97, 102).join('\n') };
  const helper = { label: 'Called function `backoff`', startLine: 1, text: fileLines.slice(0, 60).join('\n') };
  const full = content(buildPrompt(code({ context: [helper, enclosing] })));
  assert.doesNotMatch(full, /left out/);

  const tokens = Math.ceil(full.length / 3);
  const cut = content(buildPrompt(code({ context: [helper, enclosing] }), { contextTokenBudget: tokens - 100 }));
  assert.match(cut, /Reference context left out to fit the context window: Called function `backoff` \(lines 1–60\)\./);
  assert.match(cut, /Enclosing function `retry`, lines 98–102:/, 'the enclosing function outranks a called one');
  assert.doesNotMatch(cut, / 60 \| {3}statement60/);

  const tiny = content(buildPrompt(code({ context: [helper, enclosing] }), { contextTokenBudget: 10 }));
  assert.match(
    tiny,
    /left out to fit the context window: Called function `backoff` \(lines 1–60\); Enclosing function `retry` \(lines 98–102\)/,
  );
  assert.ok(tiny.includes('100 |     if (job()) return true;'), 'the code under review is never cut');
  assert.ok(tiny.includes('```json'), 'the contract is never cut');
});

test('code containing a fence gets a longer fence', () => {
  const md = 'Intro\n```js\nlet a = 1;\n```\nEnd';
  const text = content(
    buildPrompt({ kind: 'review', path: 'README.md', languageId: 'markdown', fileText: md, ranges: [{ startLine: 1, endLine: 5 }] }),
  );
  assert.ok(text.includes('````markdown\n1 | Intro\n2 | ```js\n3 | let a = 1;\n4 | ```\n5 | End\n````'), text);
});

test('a quote copied from the prompt with its number prefix parses back to the right line', () => {
  const prompt = content(buildPrompt(code()));
  const copied = prompt.split('\n').find((line) => line.includes('i <= attempts'))!;
  assert.equal(copied, ' 99 |   for (let i = 0; i <= attempts; i++) {');
  const answer = `Off by one.\n\n\`\`\`json\n${JSON.stringify({ summary: 's', findings: [{ title: 't', startLine: 97, quote: copied, fix: { startLine: 97, endLine: 97, replacement: copied.replace('<=', '<') } }] })}\n\`\`\``;
  const finding = parseAnswer(answer, code()).findings[0]!;
  assert.equal(finding.startLine, 99);
  assert.deepEqual(finding.fix, { startLine: 99, endLine: 99, replacement: '  for (let i = 0; i < attempts; i++) {' });
});

test('a follow-up keeps answers only, appends the question and restates the contract', () => {
  const history: ChatMessage[] = [
    { role: 'user', content: 'first prompt' },
    {
      role: 'assistant',
      content: '<think>private reasoning</think>The loop runs once too often.\n```json\n{"summary":"s","findings":[]}\n```',
    },
  ];
  const messages = buildFollowUp(history, '  What if attempts is 0?  ');
  assert.equal(messages.length, 3);
  assert.deepEqual(messages[0], history[0]);
  assert.equal(messages[1]!.role, 'assistant');
  assert.doesNotMatch(messages[1]!.content, /private reasoning|<think>/);
  assert.match(messages[1]!.content, /^The loop runs once too often\./);
  assert.equal(messages[2]!.role, 'user');
  assert.match(messages[2]!.content, /^What if attempts is 0\?\n\n/);
  assert.match(messages[2]!.content, /one fenced ```json block with `summary` and `findings`/);
  assert.match(messages[2]!.content, /`fix` only within the lines under review/);
  assert.equal(history.length, 2, 'the history passed in is not changed');
  assert.match(buildFollowUp(history, 'q', { jsonOnlyAnswer: true })[2]!.content, /one JSON object and nothing else/);
});
