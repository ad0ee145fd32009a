import { test } from 'node:test';
import assert from 'node:assert/strict';
import { indexTrace, judgeConfidence, provenanceOf } from '../../src/core/provenance';
import { filterFindings, voteAcrossSamples } from '../../src/core/triage';
import type { Finding } from '../../src/core/types';

const TRACE = `Okay, let me look at cartTotal. It loops over items and sums price times qty.

First, the loop: for (let i = 0; i <= items.length; i++). Hmm, i goes up to items.length inclusive, so on the last pass items[i] is undefined and reading .price throws a TypeError.

Next, what about negative qty? If qty is negative the total goes down. Wait, actually the caller validates qty in addToCart, so that's fine.

Then average divides by items.length. If the list is empty that is 0/0 which gives NaN. Hmm, is that fine? Actually no, wait, the UI shows NaN, so it is still a bug.

So the loop bound is the main bug.`;

const trace = indexTrace(TRACE);
const loop = {
  title: 'Off-by-one in loop bound',
  explanation: 'On the last pass `items[i]` is undefined and `.price` throws.',
  quote: 'for (let i = 0; i <= items.length; i++) {',
  startLine: 3,
  endLine: 3,
};
const qty = {
  title: 'Negative quantity lowers the total',
  explanation: 'A negative `qty` reduces the total.',
  quote: 'total += items[i].price * items[i].qty;',
  startLine: 4,
  endLine: 4,
};

test('evidence is the passage that raised the finding, with offsets into the reasoning', () => {
  const { evidence, stance } = provenanceOf(loop, trace);
  assert.equal(stance, 'consistent');
  assert.equal(evidence.length, 1);
  const [passage] = evidence;
  assert.equal(TRACE.slice(passage!.start, passage!.end), passage!.text);
  assert.match(passage!.text, /^First, the loop: .*throws a TypeError\.$/);
});

test('a finding the trace dismissed is "retracted" and its evidence shows the dismissal', () => {
  const { evidence, stance } = provenanceOf(qty, trace);
  assert.equal(stance, 'retracted');
  assert.ok(evidence.some((p) => /that's fine/.test(p.text)));
});

test('a dismissal taken back later is "contradicted", not retracted', () => {
  const back = indexTrace(
    `${TRACE}\n\nHmm, negative qty again: the validation in addToCart only checks NaN, so a negative qty does still lower the total. So yes, it is a bug.`,
  );
  assert.equal(provenanceOf(qty, back).stance, 'contradicted');
});

test('no evidence in an unrelated trace; an empty trace says nothing', () => {
  assert.deepEqual(provenanceOf(loop, indexTrace('The weather is nice today. Nothing to see.')), { evidence: [], stance: 'unknown' });
  assert.deepEqual(provenanceOf(loop, indexTrace('')), { evidence: [], stance: 'unknown' });
});

test("confidence combines the model's statement with the checks", () => {
  const base = { locationUncertain: false, hasReasoning: true, evidenceFound: true, stance: 'consistent' as const };
  assert.equal(judgeConfidence({ ...base, stated: 'high' }).confidence, 'high');
  assert.equal(judgeConfidence({ ...base }).confidence, 'high');
  assert.equal(judgeConfidence({ ...base, stated: 'high', stance: 'retracted' }).confidence, 'low');
  assert.equal(judgeConfidence({ ...base, stance: 'retracted' }).confidence, 'low');
  assert.equal(judgeConfidence({ ...base, stated: 'high', evidenceFound: false }).confidence, 'medium');
  assert.equal(judgeConfidence({ ...base, evidenceFound: false, locationUncertain: true }).confidence, 'low');
  assert.equal(judgeConfidence({ ...base, stated: 'low' }).confidence, 'low');
  assert.equal(
    judgeConfidence({ ...base, hasReasoning: false, evidenceFound: false }).confidence,
    'high',
    'a model that does not think is not penalised',
  );
  assert.deepEqual(judgeConfidence({ ...base, stated: 'medium', locationUncertain: true }).reasons, [
    'the model rated it medium',
    'the quoted code was not found',
  ]);
});

function finding(fingerprint: string, extra: Partial<Finding> = {}): Finding {
  return {
    title: fingerprint,
    severity: 'warning',
    category: 'bug',
    startLine: 1,
    endLine: 1,
    explanation: '',
    locationUncertain: false,
    fingerprint,
    evidence: [],
    confidence: 'high',
    confidenceReasons: [],
    ...extra,
  };
}

test('voting across samples keeps each fingerprint once with its agreement; a minority finding loses a step', () => {
  const voted = voteAcrossSamples([
    [finding('a'), finding('b')],
    [finding('a', { title: 'a again' })],
    [finding('a'), finding('c', { confidence: 'medium' })],
  ]);
  assert.deepEqual(
    voted.map((f) => [f.fingerprint, f.title, f.agreement, f.sample, f.confidence]),
    [
      ['a', 'a', { count: 3, of: 3 }, 0, 'high'],
      ['b', 'b', { count: 1, of: 3 }, 0, 'medium'],
      ['c', 'c', { count: 1, of: 3 }, 2, 'low'],
    ],
  );
});

test('filters: minimum severity, minimum confidence, focus', () => {
  const all = [
    finding('e', { severity: 'error' }),
    finding('i', { severity: 'info', confidence: 'low' }),
    finding('s', { category: 'security', confidence: 'medium' }),
  ];
  assert.deepEqual(
    filterFindings(all, { minSeverity: 'warning' }).map((f) => f.fingerprint),
    ['e', 's'],
  );
  assert.deepEqual(
    filterFindings(all, { minConfidence: 'medium' }).map((f) => f.fingerprint),
    ['e', 's'],
  );
  assert.deepEqual(
    filterFindings(all, { focus: ['security'] }).map((f) => f.fingerprint),
    ['s'],
  );
  assert.deepEqual(filterFindings(all, {}).length, 3);
});

test("the parser reads the model's confidence (words, aliases, numbers) and the run reads the trace for evidence", async () => {
  const { parseAnswer } = await import('../../src/core/answerParser');
  const code = {
    kind: 'review' as const,
    path: 'a.ts',
    languageId: 'typescript',
    fileText: 'let a = 1;\nlet b = a / 0;\n',
    ranges: [{ startLine: 1, endLine: 2 }],
  };
  const answer = (confidence: unknown) =>
    JSON.stringify({
      summary: '',
      findings: [
        {
          title: 'Division by zero',
          severity: 'error',
          category: 'bug',
          startLine: 2,
          quote: 'a / 0',
          explanation: 'b is Infinity.',
          confidence,
        },
      ],
    });
  assert.equal(parseAnswer(answer('Certain'), code).findings[0]!.statedConfidence, 'high');
  assert.equal(parseAnswer(answer(0.3), code).findings[0]!.statedConfidence, 'low');
  assert.equal(parseAnswer(answer('maybe?'), code).findings[0]!.statedConfidence, undefined);
  const reasoning = 'Line 2 divides a by 0, so b becomes Infinity. That is a division by zero bug.';
  const [found] = parseAnswer(answer('high'), code, reasoning).findings;
  assert.equal(found!.confidence, 'high');
  assert.equal(found!.evidence.length, 1);
  assert.equal(reasoning.slice(found!.evidence[0]!.start, found!.evidence[0]!.end), found!.evidence[0]!.text);
});

test('firstSentenceOf: plain text of the first sentence, dotted names kept whole', async () => {
  const { firstSentenceOf } = await import('../../src/core/text');
  assert.equal(
    firstSentenceOf('On the last pass `items[i]` is undefined and `.price` throws. Use `<`.'),
    'On the last pass items[i] is undefined and .price throws.',
  );
  assert.equal(firstSentenceOf('**No** end'), 'No end');
  assert.equal(firstSentenceOf('x'.repeat(300)).length, 160);
});
