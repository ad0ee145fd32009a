// The answer contract is defined once (src/core/contract.ts); every place that restates it must
// follow the tables: the prompt, the servers' JSON schema, the local grammar, the parser, the
// protocol checks and the panel's labels.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import {
  ANSWER_FIELDS,
  answerGrammarSchema,
  answerJsonSchema,
  CATEGORIES,
  CATEGORY_DEFS,
  categoryLabel,
  FINDING_FIELDS,
  offeredCategories,
  SEVERITIES,
  SEVERITY_DEFS,
} from '../../src/core/contract';
import { buildPrompt } from '../../src/core/prompt';
import { parseAnswer } from '../../src/core/answerParser';
import { isHostMessage } from '../../src/bridge/protocol';
import type { CodeUnderReview } from '../../src/core/types';

const cart = readFileSync(join(import.meta.dirname, '..', 'fixtures', 'answers', 'cart.ts.txt'), 'utf8');
const code: CodeUnderReview = {
  kind: 'review',
  path: 'src/cart.ts',
  languageId: 'typescript',
  fileText: cart,
  ranges: [{ startLine: 1, endLine: 22 }],
};
const finding = (extra: Record<string, unknown> = {}) => ({
  title: 'Off by one',
  severity: 'error',
  category: 'bug',
  startLine: 5,
  endLine: 5,
  quote: 'i <= items.length',
  explanation: 'Reads past the end.',
  ...extra,
});

type Schema = Record<string, any>;

test('every severity and category reaches the prompt, the JSON schema and the grammar', () => {
  for (const jsonOnlyAnswer of [false, true]) {
    const prompt = buildPrompt(code, { jsonOnlyAnswer })[0]!.content;
    assert.ok(prompt.includes(`"${SEVERITIES.join(' | ')}"`));
    assert.ok(prompt.includes(`"${offeredCategories(false).join(' | ')}"`));
    for (const d of SEVERITY_DEFS) assert.ok(prompt.includes(`"${d.id}" = ${d.meaning}`), d.id);
    // A proof gets the categories that mean something in a proof, and says what each means there.
    const proof = buildPrompt({ ...code, document: 'proof' }, { jsonOnlyAnswer })[0]!.content;
    assert.ok(proof.includes(`"${offeredCategories(true).join(' | ')}"`));
    for (const d of SEVERITY_DEFS) assert.ok(proof.includes(`"${d.id}" = ${d.proofMeaning}`), d.id);
  }
  // Every category is offered to code reviews, proofs, or both.
  assert.deepEqual(
    CATEGORIES.filter((c) => !offeredCategories(false).includes(c) && !offeredCategories(true).includes(c)),
    [],
  );
  const schema = answerJsonSchema() as Schema;
  const item = schema.properties.findings.items;
  assert.deepEqual(item.properties.severity.enum, SEVERITIES);
  assert.deepEqual(item.properties.category.enum, CATEGORIES);
  assert.deepEqual(Object.keys(schema.properties), Object.keys(ANSWER_FIELDS));
  assert.deepEqual(Object.keys(item.properties), Object.keys(FINDING_FIELDS));
  assert.deepEqual(schema.required, ['summary', 'findings'], 'the explanation field may be left out');
  assert.ok(!item.required.includes('fix') && item.required.includes('quote'));
  assert.ok(!item.required.includes('confidence'), 'answers without a confidence still parse');
  assert.deepEqual(item.properties.confidence.enum, ['high', 'medium', 'low']);
  assert.equal(item.additionalProperties, false);

  // The grammar spells out optional fields as alternative shapes, in the same key order.
  const grammar = answerGrammarSchema() as Schema;
  const text = JSON.stringify(grammar);
  assert.doesNotMatch(text, /"required"|"additionalProperties"|"minimum"/, 'only what node-llama-cpp reads');
  assert.deepEqual(
    grammar.oneOf.map((v: Schema) => Object.keys(v.properties)),
    [
      ['summary', 'explanation', 'findings'],
      ['summary', 'findings'],
    ],
  );
  const shapes = grammar.oneOf[0].properties.findings.items.oneOf.map((v: Schema) => Object.keys(v.properties));
  const without = (...left: string[]) => Object.keys(FINDING_FIELDS).filter((k) => !left.includes(k));
  assert.deepEqual(shapes, [without(), without('fix'), without('confidence'), without('confidence', 'fix')]);
  assert.deepEqual(grammar.oneOf[0].properties.findings.items.oneOf[0].properties.category.enum, CATEGORIES);
});

test('the parser reads every severity, category and alias from the tables', () => {
  for (const d of SEVERITY_DEFS) {
    for (const word of [d.id, ...d.aliases]) {
      const parsed = parseAnswer(JSON.stringify({ summary: '', findings: [finding({ severity: word.toUpperCase() })] }), code);
      assert.equal(parsed.findings[0]?.severity, d.id, word);
    }
  }
  for (const d of CATEGORY_DEFS) {
    for (const word of [d.id, ...d.aliases]) {
      const parsed = parseAnswer(JSON.stringify({ summary: '', findings: [finding({ category: word.replace(/ /g, '_') })] }), code);
      assert.equal(parsed.findings[0]?.category, d.id, word);
    }
  }
});

test('the protocol accepts every category and severity and rejects others; the panel has a label for each', () => {
  const view = (severity: string, category: string) => ({
    type: 'findings',
    runId: 'r1',
    findings: [
      {
        id: 'f1',
        title: 't',
        severity,
        category,
        file: { uri: 'file:///a.ts', path: 'a.ts' },
        range: { startLine: 1, endLine: 1 },
        explanation: '',
        hasFix: false,
        locationUncertain: false,
      },
    ],
  });
  for (const severity of SEVERITIES) for (const category of CATEGORIES) assert.ok(isHostMessage(view(severity, category)));
  assert.ok(!isHostMessage(view('fatal', 'bug')));
  assert.ok(!isHostMessage(view('error', 'style')));
  for (const d of CATEGORY_DEFS) assert.equal(categoryLabel(d.id), d.label);
});

test('an answer that is JSON alone carries its prose in "explanation"; answers without it keep working', () => {
  const jsonOnly = parseAnswer(
    JSON.stringify({ summary: 'One bug.', explanation: '## Why\n\nThe loop runs **once too often**.', findings: [finding()] }),
    code,
  );
  assert.equal(jsonOnly.prose, '## Why\n\nThe loop runs **once too often**.');
  assert.equal(jsonOnly.summary, 'One bug.');
  assert.equal(jsonOnly.findings.length, 1);
  assert.equal(jsonOnly.problem, undefined);

  const withProse = parseAnswer(
    `The loop is off by one.\n\n\`\`\`json\n${JSON.stringify({ summary: 'S', findings: [finding()] })}\n\`\`\``,
    code,
  );
  assert.equal(withProse.prose, 'The loop is off by one.', 'the text around the block stays the prose');

  const older = parseAnswer(JSON.stringify({ summary: 'S', findings: [finding()] }), code);
  assert.equal(older.prose, '');
  assert.equal(older.findings.length, 1);

  const lone = parseAnswer(JSON.stringify(finding()), code);
  assert.equal(lone.prose, '', "a lone finding's explanation is not the answer's prose");
  assert.equal(lone.findings[0]?.explanation, 'Reads past the end.');
});
