// What an exported run says about each finding: the reasoning passages behind it (the text at its
// offsets, from the trace of the sample it came from), its confidence and agreement, its fingerprint
// and the person's helpful / not helpful mark, in the JSON and in the Markdown.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { runToJson, runToMarkdown } from '../../src/extension/panel/traceExport';
import type { FindingView, RunView } from '../../src/bridge/protocol';

const REASONING = 'First, the setup. The loop runs while i <= items.length, one step too far. Actually the rest is fine.';
const passage = 'The loop runs while i <= items.length, one step too far.';
const at = REASONING.indexOf(passage);

function finding(overrides: Partial<FindingView> = {}): FindingView {
  return {
    id: 'F1',
    title: 'Off-by-one',
    severity: 'error',
    category: 'bug',
    file: { uri: 'file:///w/cart.ts', path: 'cart.ts' },
    range: { startLine: 11, endLine: 11 },
    explanation: 'Reads past the end.',
    hasFix: false,
    locationUncertain: false,
    fingerprint: 'c0ffee'.padEnd(32, '0'),
    evidence: [{ start: at, end: at + passage.length }],
    confidence: 'medium',
    confidenceReasons: ['the trace doubts it later'],
    ...overrides,
  };
}

function run(findings: FindingView[], overrides: Partial<RunView> = {}, samples?: { reasoning: string }[]): RunView {
  return {
    header: { id: 'run-1', kind: 'review', title: 'Review cart.ts', backend: 'deepseek', model: 'deepseek-flash', startedAt: 1_000 },
    status: 'done',
    reasoning: REASONING,
    answer: 'Answer.',
    reasoningPieces: 3,
    answerPieces: 1,
    finishedAt: 2_000,
    result: { summary: 'One bug.', prose: '', findings, ...(samples ? { samples } : {}) },
    ...overrides,
  };
}

test('the JSON gives each finding its evidence passages with their text, confidence, agreement, fingerprint and mark', () => {
  const json = runToJson(run([finding({ agreement: { count: 2, of: 3 }, feedback: 'helpful' })]));
  const [f] = json.findings;
  assert.ok(f);
  assert.deepEqual(f.evidence, [{ start: at, end: at + passage.length, text: passage }]);
  assert.equal(f.confidence, 'medium');
  assert.deepEqual(f.confidenceReasons, ['the trace doubts it later']);
  assert.deepEqual(f.agreement, { count: 2, of: 3 });
  assert.equal(f.fingerprint, 'c0ffee'.padEnd(32, '0'));
  assert.equal(f.feedback, 'helpful');
});

test('a finding with no mark says so in the JSON (null), so a reader can count marked and unmarked findings', () => {
  const [f] = runToJson(run([finding()])).findings;
  assert.equal(f?.feedback, null);
});

test("evidence of a finding from another sample is read from that sample's trace", () => {
  const other = 'Sample two thinks: items[items.length] is undefined.';
  const start = other.indexOf('items[');
  const samples = [{ reasoning: REASONING }, { reasoning: other }];
  const [f] = runToJson(run([finding({ sample: 1, evidence: [{ start, end: other.length - 1 }] })], {}, samples)).findings;
  assert.equal(f?.evidence[0]?.text, 'items[items.length] is undefined');
  assert.equal(f?.sample, 1);
});

test('a shortened saved trace or offsets outside the trace give no text, and say why, rather than the wrong passage', () => {
  const [shortened] = runToJson(run([finding()], { trimmed: true })).findings;
  assert.equal(shortened?.evidence[0]?.text, undefined);
  assert.match(shortened?.evidenceNote ?? '', /shortened/);
  const [outside] = runToJson(run([finding({ evidence: [{ start: 10, end: REASONING.length + 5 }] })])).findings;
  assert.equal(outside?.evidence[0]?.text, undefined);
  assert.match(outside?.evidenceNote ?? '', /outside/);
});

test('the Markdown shows the evidence as quoted reasoning, and the confidence, agreement, mark and fingerprint', () => {
  const md = runToMarkdown(run([finding({ agreement: { count: 2, of: 3 }, feedback: 'not-helpful' })]));
  assert.match(md, /Confidence: medium \(the trace doubts it later\)/);
  assert.match(md, /Agreement: 2 of 3 samples/);
  assert.match(md, /Your mark: not helpful/);
  assert.match(md, /Fingerprint: `c0ffee0+`/);
  assert.match(
    md,
    new RegExp(`Evidence \\(characters ${at}–${at + passage.length} of the reasoning\\):\\n\\n> The loop runs while i <= items\\.length`),
  );
});
