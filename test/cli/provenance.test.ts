// The built CLI against the replay server: what ties a finding to its reasoning and keeps its
// identity between runs (fingerprint, evidence, confidence, agreement across samples).

import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import addFormats from 'ajv-formats';
import Ajv from 'ajv-draft-04';
import sarifSchema from '@microsoft/jest-sarif/lib/schemas/sarif-2.1.0-rtm.5.json';
import { deepseekStream, startReplayServer, type ReplayServer } from '../support/replayServer';
import { runCli } from '../support/cliProcess';

const CART = [
  'export function cartTotal(items: { price: number; qty: number }[]): number {',
  '  let total = 0;',
  '  for (let i = 0; i <= items.length; i++) {',
  '    total += items[i].price * items[i].qty;',
  '  }',
  '  return total;',
  '}',
  '',
].join('\n');

const LOOP = 'for (let i = 0; i <= items.length; i++) {';

function answerAt(line: number): string {
  return [
    'The loop reads one element past the end of `items`.',
    '',
    '```json',
    JSON.stringify({
      summary: 'Off-by-one.',
      findings: [
        {
          title: 'Off-by-one in loop bound',
          severity: 'error',
          category: 'bug',
          startLine: line,
          endLine: line,
          quote: LOOP,
          explanation: 'On the last pass `items[i]` is undefined and `.price` throws.',
        },
      ],
    }),
    '```',
  ].join('\n');
}

let server: ReplayServer;
let dir: string;

before(async () => {
  server = await startReplayServer();
  dir = mkdtempSync(join(tmpdir(), 'thinklens-provenance-'));
});
after(async () => {
  await server.close();
  rmSync(dir, { recursive: true, force: true });
});

// A fresh result cache per run: every run here must reach the server.
const cli = (args: string[]) => runCli(args);

async function reviewJson(file: string, model: string, ...extra: string[]) {
  const result = await cli([
    'review',
    file,
    '--backend',
    'openai-compatible',
    '--base-url',
    server.baseUrl,
    '--model',
    model,
    '--format',
    'json',
    ...extra,
  ]);
  assert.equal(result.code, 0, result.stderr);
  return JSON.parse(result.stdout);
}

test('fingerprints stay identical when lines are inserted above the code between two runs', async () => {
  const file = join(dir, 'cart.ts');
  const reasoning = 'The loop uses <= so i reaches items.length and items[i] is undefined.';
  writeFileSync(file, CART);
  server.script('fp-1', [deepseekStream({ reasoning, answer: answerAt(3), model: 'fp-1' })]);
  const first = (await reviewJson(file, 'fp-1')).runs[0].findings[0];

  writeFileSync(file, `// Cart helpers.\n// Prices are in cents.\nimport { log } from './log';\n\n${CART}`);
  server.script('fp-2', [deepseekStream({ reasoning, answer: answerAt(7), model: 'fp-2' })]);
  const second = (await reviewJson(file, 'fp-2')).runs[0].findings[0];

  assert.equal(first.startLine, 3);
  assert.equal(second.startLine, 7, 'the finding moved down four lines');
  assert.match(first.fingerprint, /^[0-9a-f]{32}$/);
  assert.equal(second.fingerprint, first.fingerprint);
});

const TRACE = [
  'Okay, let me read cartTotal. It sums price times qty over the items.',
  '',
  'The loop header is for (let i = 0; i <= items.length; i++). With <= the index reaches items.length, so on the last pass items[i] is undefined and reading .price throws a TypeError.',
  '',
  'What about a negative qty? A negative qty would lower the total. Wait, actually the caller validates qty before adding to the cart, so that is fine.',
  '',
  'So the real bug is the loop bound.',
].join('\n');

function twoFindings(): string {
  return [
    'The loop reads past the end.',
    '```json',
    JSON.stringify({
      summary: 'Off-by-one.',
      findings: [
        {
          title: 'Off-by-one in loop bound',
          severity: 'error',
          category: 'bug',
          confidence: 'high',
          startLine: 3,
          endLine: 3,
          quote: LOOP,
          explanation: 'On the last pass `items[i]` is undefined and `.price` throws.',
        },
        {
          title: 'Negative qty lowers the total',
          severity: 'warning',
          category: 'edge-case',
          confidence: 'medium',
          startLine: 4,
          endLine: 4,
          quote: 'total += items[i].price * items[i].qty;',
          explanation: 'A negative `qty` makes the total smaller.',
        },
      ],
    }),
    '```',
  ].join('\n');
}

test("evidence offsets point into the run's reasoning; confidence follows the trace's retraction", async () => {
  const file = join(dir, 'evidence.ts');
  writeFileSync(file, CART);
  server.script('ev', [deepseekStream({ reasoning: TRACE, answer: twoFindings(), model: 'ev', chunking: { bytes: 7 } })]);
  const run = (await reviewJson(file, 'ev')).runs[0];
  assert.equal(run.reasoning, TRACE);
  assert.equal(run.samples, 1);
  const [loop, qty] = run.findings;
  for (const finding of run.findings) {
    assert.ok(finding.evidence.length > 0, `${finding.title} has evidence`);
    for (const { start, end, text } of finding.evidence) {
      assert.ok(Number.isInteger(start) && Number.isInteger(end) && start >= 0 && end > start && end <= run.reasoning.length);
      assert.equal(run.reasoning.slice(start, end), text);
    }
    assert.deepEqual(finding.agreement, { count: 1, of: 1 });
  }
  assert.match(loop.evidence.map((e: { text: string }) => e.text).join(' '), /items\[i\] is undefined/);
  assert.equal(loop.confidence, 'high');
  assert.match(qty.evidence.map((e: { text: string }) => e.text).join(' '), /negative qty/);
  assert.equal(qty.confidence, 'low', 'the trace called it fine and never came back to it');
  assert.ok(qty.confidenceReasons.some((r: string) => /dismissed/.test(r)));
});

test('--min-confidence and --min-severity leave findings out; --focus narrows the prompt and the findings', async () => {
  const file = join(dir, 'filters.ts');
  writeFileSync(file, CART);
  server.script('filter', [
    deepseekStream({ reasoning: TRACE, answer: twoFindings(), model: 'filter' }),
    deepseekStream({ reasoning: TRACE, answer: twoFindings(), model: 'filter' }),
    deepseekStream({ reasoning: TRACE, answer: twoFindings(), model: 'filter' }),
  ]);
  const confident = (await reviewJson(file, 'filter', '--min-confidence', 'medium')).runs[0];
  assert.deepEqual(
    confident.findings.map((f: { title: string }) => f.title),
    ['Off-by-one in loop bound'],
  );
  const severe = (await reviewJson(file, 'filter', '--min-severity', 'error')).runs[0];
  assert.deepEqual(
    severe.findings.map((f: { severity: string }) => f.severity),
    ['error'],
  );
  const before = server.requests.length;
  const focused = (await reviewJson(file, 'filter', '--focus', 'edge-cases')).runs[0];
  assert.deepEqual(
    focused.findings.map((f: { category: string }) => f.category),
    ['edge-case'],
  );
  const prompt = JSON.stringify((server.requests[before]!.body as { messages: unknown[] }).messages);
  assert.match(prompt, /Focus only on edge cases/);

  const bad = await cli(['review', file, '--min-confidence', 'sure']);
  assert.equal(bad.code, 2);
  assert.match(bad.stderr, /--min-confidence must be one of low, medium, high, not "sure"/);
  const badFocus = await cli(['review', file, '--focus', 'bugs,style']);
  assert.equal(badFocus.code, 2);
  assert.match(badFocus.stderr, /"style" is not one/);
});

test('--samples 3: three requests with different seeds, findings matched by fingerprint with their agreement', async () => {
  const file = join(dir, 'samples.ts');
  writeFileSync(file, CART);
  const loopOnly = answerAt(3);
  server.script('vote', [
    deepseekStream({ reasoning: TRACE, answer: twoFindings(), model: 'vote' }),
    deepseekStream({ reasoning: `Second look. ${TRACE}`, answer: loopOnly, model: 'vote' }),
    deepseekStream({
      reasoning: 'Third look: the loop bound <= items.length is off by one; items[i] is undefined at the end.',
      answer: answerAt(2),
      model: 'vote',
    }),
  ]);
  const before = server.requests.length;
  const run = (await reviewJson(file, 'vote', '--samples', '3', '--concurrency', '2', '--seed', '10')).runs[0];
  const requests = server.requests.slice(before);
  assert.equal(requests.length, 3);
  assert.deepEqual(requests.map((r) => (r.body as { seed?: number }).seed).sort(), [11, 12, 13]);
  assert.equal(run.samples, 3);
  assert.equal(run.sampleTraces.length, 3);
  const loop = run.findings.find((f: { title: string }) => f.title === 'Off-by-one in loop bound');
  const qty = run.findings.find((f: { title: string }) => f.title === 'Negative qty lowers the total');
  assert.deepEqual(loop.agreement, { count: 3, of: 3 });
  assert.deepEqual(qty.agreement, { count: 1, of: 3 });
  assert.equal(run.findings.length, 2, 'the same finding from three samples is listed once');
  for (const finding of run.findings) {
    const reasoning = run.sampleTraces[finding.sample ?? 0].reasoning;
    for (const { start, end, text } of finding.evidence) assert.equal(reasoning.slice(start, end), text);
  }
});

test('sarif: evidence under properties.evidence, valid against SARIF 2.1.0', async () => {
  const file = join(dir, 'sarif.ts');
  writeFileSync(file, CART);
  server.script('sarif-ev', [deepseekStream({ reasoning: TRACE, answer: twoFindings(), model: 'sarif-ev' })]);
  const result = await cli([
    'review',
    file,
    '--backend',
    'openai-compatible',
    '--base-url',
    server.baseUrl,
    '--model',
    'sarif-ev',
    '--format',
    'sarif',
  ]);
  assert.equal(result.code, 0, result.stderr);
  const sarif = JSON.parse(result.stdout);
  const ajv = new Ajv({ strict: false, unicodeRegExp: false });
  addFormats(ajv);
  const validate = ajv.compile(sarifSchema);
  const valid: boolean = validate(sarif);
  assert.ok(valid, JSON.stringify(validate.errors, null, 1));
  const [loop] = sarif.runs[0].results;
  assert.equal(loop.properties.confidence, 'high');
  assert.ok(loop.properties.evidence.length > 0);
  for (const { start, end, text } of loop.properties.evidence) assert.equal(TRACE.slice(start, end), text);
});
