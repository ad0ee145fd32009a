// Property-style tests for the reasoning splitter: every stream shape a server sends (docs/wire.md),
// cut at every boundary and at random multi-cuts, must split into exactly the expected reasoning
// and answer, the same as the uncut stream.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createReasoningSplitter } from '../../src/core/reasoningSplitter';
import type { InlineStart, SplitPiece } from '../../src/core/reasoningSplitter';
import { parseAnswer } from '../../src/core/answerParser';
import type { CodeUnderReview } from '../../src/core/types';

// Reasoning that looks like tags without being them, multi-byte text, and an emoji (a surrogate
// pair, which the cuts below may split in half).
const R =
  'Okay, the loop runs while i <= n — one past the end. a < b, <b>bold</b>, </thin> and </thinking are not tags. 日本語で考える 🤔 café.';
const A = 'The bug is an off-by-one in the loop bound (é, 🐛).\n\n```json\n{"summary": "x < y", "findings": []}\n```\n';

/**
 * An answer about a parser of think tags: its prose names <think> (no code span), and its JSON
 * block quotes code with '</think>' in it. Once the reasoning has ended that is all answer text.
 */
const ANSWER_ABOUT_TAGS = [
  'The parser drops everything after <think> when the model repeats it, so the answer is lost.',
  '',
  '```json',
  JSON.stringify({
    summary: 'The closing tag is searched from the wrong place.',
    findings: [
      {
        title: 'Closing tag searched from the start',
        severity: 'error',
        category: 'bug',
        startLine: 2,
        endLine: 2,
        quote: "const end = text.indexOf('</think>');",
        explanation: 'A second <think> makes the search find the first block again.',
      },
    ],
  }),
  '```',
  '',
].join('\n');

type Field =
  'reasoning_content' | 'reasoning' | 'openrouter' | 'details_text' | 'details_summary' | 'details_over_plain' | 'vllm_both' | 'content';

interface Shape {
  readonly name: string;
  readonly segments: ReadonlyArray<readonly [Field, string]>;
  readonly expected: { readonly reasoning: string; readonly answer: string };
  readonly inlineStart?: InlineStart;
  /** Put empty/odd deltas between the pieces. */
  readonly noise?: boolean;
  /** The server's finish reason, given to `end()`. */
  readonly finishReason?: string;
}

const shapes: Shape[] = [
  {
    name: 'DeepSeek reasoning_content',
    segments: [
      ['reasoning_content', R],
      ['content', A],
    ],
    expected: { reasoning: R, answer: A },
  },
  {
    name: 'DeepSeek, answer after blank lines',
    segments: [
      ['reasoning_content', `${R}\n\n`],
      ['content', `\n\n${A}`],
    ],
    expected: { reasoning: R, answer: A },
  },
  {
    name: 'OpenRouter reasoning + reasoning_details (counted once)',
    segments: [
      ['openrouter', R],
      ['content', A],
    ],
    expected: { reasoning: R, answer: A },
  },
  {
    name: 'reasoning_details text only',
    segments: [
      ['details_text', R],
      ['content', A],
    ],
    expected: { reasoning: R, answer: A },
  },
  {
    name: 'reasoning_details summary only',
    segments: [
      ['details_summary', R],
      ['content', A],
    ],
    expected: { reasoning: R, answer: A },
  },
  {
    name: 'vLLM reasoning',
    segments: [
      ['reasoning', R],
      ['content', A],
    ],
    expected: { reasoning: R, answer: A },
  },
  {
    name: 'vLLM reasoning + reasoning_content duplicated',
    segments: [
      ['vllm_both', R],
      ['content', A],
    ],
    expected: { reasoning: R, answer: A },
  },
  {
    name: 'reasoning field then content with literal tags',
    segments: [
      ['reasoning', R],
      ['content', 'Use <think> and </think> literally.'],
    ],
    expected: { reasoning: R, answer: 'Use <think> and </think> literally.' },
  },
  { name: 'inline with opening tag', segments: [['content', `<think>\n${R}\n</think>\n\n${A}`]], expected: { reasoning: R, answer: A } },
  {
    name: 'inline with whitespace around tags',
    segments: [['content', `\n \n<think>\n\n  ${R}  \n\n</think>\n\n\n  ${A}`]],
    expected: { reasoning: R, answer: A },
  },
  { name: 'inline without opening tag', segments: [['content', `${R}\n</think>\n\n${A}`]], expected: { reasoning: R, answer: A } },
  {
    name: 'inline without opening tag, leading newline',
    segments: [['content', `\n${R}</think>${A}`]],
    expected: { reasoning: R, answer: A },
  },
  { name: '</think> immediately', segments: [['content', `</think>\n\n${A}`]], expected: { reasoning: '', answer: A } },
  { name: '<think></think> immediately', segments: [['content', `<think></think>${A}`]], expected: { reasoning: '', answer: A } },
  {
    name: 'empty think block with newlines',
    segments: [['content', `<think>\n\n</think>\n\n${A}`]],
    expected: { reasoning: '', answer: A },
  },
  { name: 'no reasoning at all', segments: [['content', A]], expected: { reasoning: '', answer: A } },
  {
    name: 'no reasoning, answer starts like a tag',
    segments: [['content', '<thin ice> is <b>bold</b>']],
    expected: { reasoning: '', answer: '<thin ice> is <b>bold</b>' },
  },
  { name: 'inline reasoning cut short (no </think>)', segments: [['content', `<think>\n${R}`]], expected: { reasoning: R, answer: '' } },
  {
    name: 'DeepSeek with empty deltas',
    segments: [
      ['reasoning_content', R],
      ['content', A],
    ],
    expected: { reasoning: R, answer: A },
    noise: true,
  },
  {
    name: 'inline without opening tag, empty deltas',
    segments: [['content', `${R}</think>\n${A}`]],
    expected: { reasoning: R, answer: A },
    noise: true,
  },
  {
    name: 'OpenRouter with empty deltas',
    segments: [
      ['openrouter', R],
      ['content', A],
    ],
    expected: { reasoning: R, answer: A },
    noise: true,
  },
  // inlineStart modes
  {
    name: "'reasoning': untagged reasoning",
    inlineStart: 'reasoning',
    segments: [['content', `${R}\n</think>\n\n${A}`]],
    expected: { reasoning: R, answer: A },
  },
  {
    name: "'reasoning': tagged reasoning",
    inlineStart: 'reasoning',
    segments: [['content', `<think>${R}</think>${A}`]],
    expected: { reasoning: R, answer: A },
  },
  {
    name: "'reasoning': no close tag means all reasoning",
    inlineStart: 'reasoning',
    segments: [['content', A]],
    expected: { reasoning: A.trim(), answer: '' },
  },
  {
    name: "'reasoning': reasoning field wins",
    inlineStart: 'reasoning',
    segments: [
      ['reasoning_content', R],
      ['content', A],
    ],
    expected: { reasoning: R, answer: A },
  },
  {
    name: "'answer': untagged is answer",
    inlineStart: 'answer',
    segments: [['content', `${R}</think>${A}`]],
    expected: { reasoning: '', answer: `${R}</think>${A}` },
  },
  {
    name: "'answer': tagged reasoning still split",
    inlineStart: 'answer',
    segments: [['content', `<think>${R}</think>${A}`]],
    expected: { reasoning: R, answer: A },
  },
  // A server that splits reasoning itself but first sends a bare `<think>` as content.
  {
    name: 'stray <think> content before a reasoning field',
    segments: [
      ['content', '<think>'],
      ['content', '\n'],
      ['reasoning', R],
      ['content', A],
    ],
    expected: { reasoning: R, answer: A },
  },
  {
    name: 'stray tags around the answer of a reasoning field',
    segments: [
      ['content', ' <think>'],
      ['reasoning', R],
      ['content', `</think>\n${A}`],
    ],
    expected: { reasoning: R, answer: A },
  },
  // Text before a block, and several blocks (interleaved thinking).
  {
    name: 'answer text before a think block',
    segments: [['content', `Short version: off by one.\n<think>${R}</think>\n${A}`]],
    expected: { reasoning: R, answer: `Short version: off by one.\n\n${A}` },
  },
  {
    name: 'several think blocks between answer text',
    segments: [['content', `<think>Check the bound.</think>The bound is wrong.<think>\nAnd the sum? Fine.\n</think>The sum is fine.`]],
    expected: { reasoning: 'Check the bound.\nAnd the sum? Fine.', answer: 'The bound is wrong.\nThe sum is fine.' },
  },
  {
    name: 'a later empty block leaves the answer text joined',
    segments: [['content', 'Line one. <think></think> Line two.']],
    expected: { reasoning: '', answer: 'Line one.  Line two.' },
  },
  // An answer about think tags keeps all of its text.
  {
    name: 'answer prose mentioning <think> without closing it',
    segments: [['content', `<think>${R}</think>The parser stops at <think> when it appears twice; see line 3.\n${A}`]],
    expected: { reasoning: R, answer: `The parser stops at <think> when it appears twice; see line 3.\n${A}` },
  },
  {
    name: 'answer prose about <think> whose JSON block quotes </think>',
    segments: [['content', `<think>${R}</think>${ANSWER_ABOUT_TAGS}`]],
    expected: { reasoning: R, answer: ANSWER_ABOUT_TAGS },
  },
  {
    name: 'tags inside a code span of the answer',
    segments: [['content', `<think>${R}</think>Wrap it as \`<think>x</think>\` first. Then ${A}`]],
    expected: { reasoning: R, answer: `Wrap it as \`<think>x</think>\` first. Then ${A}` },
  },
  {
    name: 'tags inside a fenced block of the answer',
    segments: [['content', `<think>${R}</think>Example:\n\`\`\`xml\n<think>a</think>b\n\`\`\`\nDone.`]],
    expected: { reasoning: R, answer: 'Example:\n```xml\n<think>a</think>b\n```\nDone.' },
  },
  {
    name: 'tags inside a bare JSON answer',
    segments: [['content', `<think>${R}</think>{"summary": "strip <think>...</think> first", "findings": []}`]],
    expected: { reasoning: R, answer: '{"summary": "strip <think>...</think> first", "findings": []}' },
  },
  {
    name: 'a literal </think> in the answer stays',
    segments: [['content', `<think>${R}</think>Close with </think> once.`]],
    expected: { reasoning: R, answer: 'Close with </think> once.' },
  },
  {
    name: 'nested <think> inside reasoning: the first </think> closes',
    segments: [['content', '<think>Outer <think> inner</think>Answer</think>.']],
    expected: { reasoning: 'Outer <think> inner', answer: 'Answer</think>.' },
  },
  {
    name: 'untagged reasoning quoting `<think>` in a code span',
    segments: [['content', 'The template adds `<think>` itself.</think>Answer.']],
    expected: { reasoning: 'The template adds `<think>` itself.', answer: 'Answer.' },
  },
  // The output hit its token limit before `</think>`.
  {
    name: 'untagged reasoning cut at the token limit',
    finishReason: 'length',
    segments: [['content', R]],
    expected: { reasoning: R, answer: '' },
  },
  {
    name: 'a later block cut at the token limit',
    finishReason: 'length',
    segments: [['content', `<think>${R}</think>Part one.<think>Still thinking`]],
    expected: { reasoning: `${R}\nStill thinking`, answer: 'Part one.' },
  },
  {
    name: 'untagged content ending normally is the answer',
    finishReason: 'stop',
    segments: [['content', A]],
    expected: { reasoning: '', answer: A },
  },
  // Reasoning fields.
  {
    name: 'reasoning_details text preferred over a different reasoning text',
    segments: [
      ['details_over_plain', R],
      ['content', A],
    ],
    expected: { reasoning: R, answer: A },
  },
];

const NOISE: unknown[] = [
  {},
  { content: '' },
  { content: null, reasoning_content: null },
  { role: 'assistant' },
  null,
  'junk',
  { reasoning: '' },
  [],
];

/** Cuts the shape's text at `cuts` (sorted UTF-16 offsets) and builds one delta per piece. */
function deltasFor(shape: Shape, cuts: readonly number[]): unknown[] {
  const total = shape.segments.reduce((n, [, text]) => n + text.length, 0);
  const bounds = [0, ...cuts, total];
  const deltas: unknown[] = [];
  for (let p = 0; p + 1 < bounds.length; p++) {
    const [from, to] = [bounds[p]!, bounds[p + 1]!];
    const delta: Record<string, unknown> = {};
    let offset = 0;
    for (const [field, text] of shape.segments) {
      const slice = text.slice(Math.max(0, from - offset), Math.max(0, to - offset));
      offset += text.length;
      if (!slice) continue;
      addField(delta, field, slice);
    }
    deltas.push(delta);
    if (shape.noise) deltas.push(NOISE[p % NOISE.length]);
  }
  return deltas;
}

function addField(delta: Record<string, unknown>, field: Field, text: string): void {
  const append = (key: string) => {
    delta[key] = ((delta[key] as string | undefined) ?? '') + text;
  };
  switch (field) {
    case 'openrouter':
      append('reasoning');
      delta.reasoning_details = [{ type: 'reasoning.text', text: delta.reasoning, format: 'unknown', index: 0 }];
      break;
    case 'details_text':
      delta.reasoning_details = [
        { type: 'reasoning.encrypted', data: 'opaque' },
        { type: 'reasoning.text', text },
      ];
      break;
    case 'details_summary':
      delta.reasoning_details = [{ type: 'reasoning.summary', summary: text }];
      break;
    case 'details_over_plain':
      // A provider whose plain field says something else: the structured details are the source.
      delta.reasoning = `[plain ${text.length}]`;
      delta.reasoning_details = [{ type: 'reasoning.text', text }];
      break;
    case 'vllm_both':
      append('reasoning');
      append('reasoning_content');
      break;
    default:
      append(field);
  }
}

function run(shape: Shape, deltas: readonly unknown[]): { reasoning: string; answer: string; pieces: SplitPiece[] } {
  const splitter = createReasoningSplitter(shape.inlineStart ? { inlineStart: shape.inlineStart } : undefined);
  const pieces: SplitPiece[] = [];
  for (const delta of deltas) pieces.push(...splitter.push(delta));
  pieces.push(...splitter.end(shape.finishReason));
  const joined = (kind: SplitPiece['kind']) =>
    pieces
      .filter((p) => p.kind === kind)
      .map((p) => p.text)
      .join('');
  return { reasoning: joined('reasoning'), answer: joined('answer'), pieces };
}

function mulberry32(seed: number): () => number {
  let a = seed;
  return () => {
    a = (a + 0x6d2b79f5) | 0;
    let t = Math.imul(a ^ (a >>> 15), 1 | a);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

for (const shape of shapes) {
  test(`splits "${shape.name}" identically at every cut`, () => {
    const total = shape.segments.reduce((n, [, text]) => n + text.length, 0);
    const uncut = run(shape, deltasFor(shape, []));
    assert.equal(uncut.reasoning, shape.expected.reasoning, 'uncut reasoning');
    assert.equal(uncut.answer, shape.expected.answer, 'uncut answer');
    for (const piece of uncut.pieces) assert.ok(piece.text.length > 0, 'no empty pieces');

    const check = (cuts: number[], label: string) => {
      const result = run(shape, deltasFor(shape, cuts));
      if (result.reasoning !== shape.expected.reasoning || result.answer !== shape.expected.answer) {
        assert.fail(
          `${label} cuts=${JSON.stringify(cuts)}\nreasoning=${JSON.stringify(result.reasoning)}\nanswer=${JSON.stringify(result.answer)}`,
        );
      }
    };
    // Every split point into two pieces.
    for (let i = 1; i < total; i++) check([i], 'two pieces');
    // One character per delta.
    check(
      Array.from({ length: total - 1 }, (_, i) => i + 1),
      'every character',
    );
    // Random multi-cuts with a fixed seed.
    const random = mulberry32(0x7153 + total);
    for (let round = 0; round < 300; round++) {
      const count = 1 + Math.floor(random() * 12);
      const cuts = new Set<number>();
      for (let c = 0; c < count; c++) cuts.add(1 + Math.floor(random() * (total - 1)));
      check(
        [...cuts].sort((x, y) => x - y),
        `random round ${round}`,
      );
    }
  });
}

test('inline reasoning streams live and holds back only a possible partial tag', () => {
  const splitter = createReasoningSplitter();
  assert.deepEqual(splitter.push({ content: '<thi' }), []);
  assert.deepEqual(splitter.push({ content: 'nk>\nLooking at it' }), [{ kind: 'reasoning', text: 'Looking at it' }]);
  assert.deepEqual(splitter.push({ content: ' now </thi' }), [{ kind: 'reasoning', text: ' now' }]);
  assert.deepEqual(splitter.push({ content: 'nk>\n\nFixed.' }), [{ kind: 'answer', text: 'Fixed.' }]);
  assert.deepEqual(splitter.end(), []);
});

test("'auto' holds untagged content until </think> classifies it", () => {
  const splitter = createReasoningSplitter();
  assert.deepEqual(splitter.push({ content: 'Hmm, the index' }), []);
  assert.deepEqual(splitter.push({ content: ' is wrong.' }), []);
  assert.deepEqual(splitter.push({ content: '\n</think>\n\nOff by one.' }), [
    { kind: 'reasoning', text: 'Hmm, the index is wrong.' },
    { kind: 'answer', text: 'Off by one.' },
  ]);
});

test("'auto' releases untagged content as the answer when no </think> comes", () => {
  const splitter = createReasoningSplitter();
  assert.deepEqual(splitter.push({ content: 'Just an answer' }), []);
  assert.deepEqual(splitter.end(), [{ kind: 'answer', text: 'Just an answer' }]);
});

test("'reasoning' streams untagged content live as reasoning", () => {
  const splitter = createReasoningSplitter({ inlineStart: 'reasoning' });
  assert.deepEqual(splitter.push({ content: 'Hmm, the index' }), [{ kind: 'reasoning', text: 'Hmm, the index' }]);
  assert.deepEqual(splitter.push({ content: '</think>Done' }), [{ kind: 'answer', text: 'Done' }]);
});

test('trailing whitespace of the reasoning is held until more reasoning follows', () => {
  const splitter = createReasoningSplitter();
  assert.deepEqual(splitter.push({ reasoning_content: 'first\n' }), [{ kind: 'reasoning', text: 'first' }]);
  assert.deepEqual(splitter.push({ reasoning_content: '\n' }), []);
  assert.deepEqual(splitter.push({ reasoning_content: 'second' }), [{ kind: 'reasoning', text: '\n\nsecond' }]);
  assert.deepEqual(splitter.push({ reasoning_content: '  ', content: '\n\nanswer' }), [{ kind: 'answer', text: 'answer' }]);
  assert.deepEqual(splitter.end(), []);
});

test('a chunk carrying the last reasoning and the first answer text emits both in order', () => {
  const splitter = createReasoningSplitter();
  assert.deepEqual(splitter.push({ reasoning_content: 'think', content: 'answer' }), [
    { kind: 'reasoning', text: 'think' },
    { kind: 'answer', text: 'answer' },
  ]);
});

test('encrypted-only reasoning_details still marks content as the answer', () => {
  const splitter = createReasoningSplitter();
  assert.deepEqual(splitter.push({ reasoning_details: [{ type: 'reasoning.encrypted', data: 'gAAAA' }] }), []);
  assert.deepEqual(splitter.push({ content: 'plain </think> answer' }), [{ kind: 'answer', text: 'plain </think> answer' }]);
});

test('untrusted deltas of the wrong shape are ignored, never thrown on', () => {
  const splitter = createReasoningSplitter();
  const odd: unknown[] = [
    null,
    undefined,
    42,
    'content',
    [],
    { content: 7 },
    { content: { text: 'x' } },
    { reasoning_content: 5 },
    { reasoning: ['x'] },
    { reasoning_details: 'x' },
    { reasoning_details: [null, 3, { type: 'reasoning.text', text: 9 }, { type: 'reasoning.summary' }] },
  ];
  for (const delta of odd) splitter.push(delta);
  assert.deepEqual(splitter.push({ content: 'ok' }), [{ kind: 'answer', text: 'ok' }]);
  assert.deepEqual(splitter.end(), []);
});

test('a reasoning field after the answer started is kept, as a block of its own', () => {
  const splitter = createReasoningSplitter();
  assert.deepEqual(splitter.push({ reasoning: 'First thought.' }), [{ kind: 'reasoning', text: 'First thought.' }]);
  assert.deepEqual(splitter.push({ content: 'First part.' }), [{ kind: 'answer', text: 'First part.' }]);
  assert.deepEqual(splitter.push({ reasoning_details: [{ type: 'reasoning.text', text: 'A second thought.', signature: 's' }] }), [
    { kind: 'reasoning', text: '\nA second thought.' },
  ]);
  assert.deepEqual(splitter.push({ content: 'Second part.' }), [{ kind: 'answer', text: '\nSecond part.' }]);
  assert.deepEqual(splitter.end('stop'), []);
});

test('a block opened after answer text is held until its </think>, then shown as reasoning', () => {
  const splitter = createReasoningSplitter();
  assert.deepEqual(splitter.push({ content: '<think>a</think>Part one. <th' }), [
    { kind: 'reasoning', text: 'a' },
    { kind: 'answer', text: 'Part one. ' },
  ]);
  assert.deepEqual(splitter.push({ content: 'ink>maybe' }), []);
  assert.deepEqual(splitter.push({ content: ' not</think> Part two.' }), [
    { kind: 'reasoning', text: '\nmaybe not' },
    { kind: 'answer', text: ' Part two.' },
  ]);
});

test('a block opened after answer text that never closes goes back into the answer, tag and all', () => {
  const splitter = createReasoningSplitter();
  assert.deepEqual(splitter.push({ content: '<think>r</think>Escape <think> as &lt;think&gt;' }), [
    { kind: 'reasoning', text: 'r' },
    { kind: 'answer', text: 'Escape ' },
  ]);
  assert.deepEqual(splitter.push({ content: ' in the panel.' }), []);
  assert.deepEqual(splitter.end('stop'), [{ kind: 'answer', text: '<think> as &lt;think&gt; in the panel.' }]);
});

test('without a finish reason, untagged content that never reached </think> is the answer', () => {
  const splitter = createReasoningSplitter();
  splitter.push({ content: 'Only an answer.' });
  assert.deepEqual(splitter.end(), [{ kind: 'answer', text: 'Only an answer.' }]);
});

test('an answer that talks about think tags after the reasoning ended keeps its findings', () => {
  const splitter = createReasoningSplitter();
  const pieces = [...splitter.push({ content: `<think>Looking at the parser.</think>${ANSWER_ABOUT_TAGS}` }), ...splitter.end('stop')];
  const answer = pieces
    .filter((p) => p.kind === 'answer')
    .map((p) => p.text)
    .join('');
  const code: CodeUnderReview = {
    kind: 'review',
    path: 'split.ts',
    languageId: 'typescript',
    fileText: "export function split(text: string) {\n  const end = text.indexOf('</think>');\n  return text.slice(end + 8);\n}\n",
    ranges: [{ startLine: 1, endLine: 4 }],
  };
  const parsed = parseAnswer(answer, code);
  assert.deepEqual(
    parsed.findings.map((f) => [f.title, f.startLine]),
    [['Closing tag searched from the start', 2]],
  );
});
