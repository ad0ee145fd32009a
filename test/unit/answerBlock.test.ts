import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { AnswerBlockScanner, closesFence, openingFence } from '../../src/core/answerBlock';
import { parseAnswer } from '../../src/core/answerParser';

/** The block's start found by feeding `answer` in pieces of `step` characters, as a stream arrives. */
function streamed(answer: string, step: number): number | undefined {
  const scanner = new AnswerBlockScanner();
  let found: number | undefined;
  for (let end = step; found === undefined && end < answer.length + step; end += step) found = scanner.blockStart(answer.slice(0, end));
  return found;
}

const prose = 'The total skips the last item.\n\n';
const block = '```json\n{"summary": "S", "findings": []}\n```\n';

test('a fence labelled json starts the block, found at the same place however the text arrives', () => {
  const answer = prose + block;
  for (const step of [1, 3, 7, answer.length]) assert.equal(streamed(answer, step), prose.length, `step ${step}`);
});

test('an unlabelled fence is the block only when its first line opens an object or array', () => {
  assert.equal(streamed(prose + '```\n\n{"findings": []}\n```\n', 1), prose.length);
  assert.equal(streamed(prose + '```\nconst x = 1;\n```\nMore prose.\n', 1), undefined);
});

test('a code example is not mistaken for the block, even when a line after its closing fence opens an object', () => {
  // The panel once matched any fence line followed by `{`, so a closing fence did too.
  const example = '```ts\nfunction f() {\n  return 1;\n}\n```\n{ this brace is prose }\n\n';
  assert.equal(streamed(prose + example, 1), undefined);
  assert.equal(streamed(prose + example + block, 2), prose.length + example.length);
  // A json label inside another language's block is code, not the answer's block.
  const nested = '````md\n```json\n{"findings": []}\n```\n````\n';
  assert.equal(streamed(prose + nested, 1), undefined);
});

test('a constrained answer (one JSON object from its first character) is all block', () => {
  assert.equal(streamed('  {"summary": "S", "explanation": "E", "findings": []}', 1), 0);
});

test('a bare object opening with a contract key starts the block', () => {
  assert.equal(streamed(prose + '{ "summary": "S",\n  "findings": [] }\n', 1), prose.length);
  assert.equal(streamed(prose + '{\n  "summary": "S" }\n', 1), undefined, 'a lone brace is not yet known to be the block');
});

test('fences close only with the same character, as many or more', () => {
  const open = openingFence('````json')!;
  assert.deepEqual(open, { fence: '````', label: 'json' });
  assert.equal(closesFence('```', open), false);
  assert.equal(closesFence('~~~~', open), false);
  assert.equal(closesFence('`````\r', open), true);
  assert.equal(openingFence('    ```json'), undefined, 'four spaces make an indented code line');
});

test('on every recorded answer the streamed prose keeps nothing of the block the parser reads', () => {
  const dir = join(import.meta.dirname, '..', 'fixtures', 'answers');
  const code = { kind: 'review' as const, path: 'a.ts', languageId: 'typescript', fileText: 'x\n', ranges: [{ startLine: 1, endLine: 1 }] };
  let checked = 0;
  for (const name of readdirSync(dir).filter((f) => f.endsWith('.md') || f.endsWith('.txt'))) {
    const answer = readFileSync(join(dir, name), 'utf8');
    const parsed = parseAnswer(answer, code);
    if (parsed.jsonMissing) continue;
    const at = streamed(answer, 5);
    if (at === undefined) continue;
    checked++;
    const shown = answer.slice(0, at);
    assert.doesNotMatch(shown, /"findings"\s*:/, `${name}: the streamed prose shows the findings JSON`);
  }
  assert.ok(checked >= 3, `only ${checked} recorded answers had a block`);
});
