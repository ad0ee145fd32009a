// The token estimate is never low: checked against two real byte-level BPE vocabularies
// (cl100k_base, o200k_base) on every kind of text a review sends, where "three characters a
// token" was low by up to three times (CJK comments, minified code, base64). And the calibration
// keeps the worst ratio a server showed.
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import { encode as cl100k } from 'gpt-tokenizer/encoding/cl100k_base';
import { encode as o200k } from 'gpt-tokenizer/encoding/o200k_base';
import { calibrationKey, estimateTokens, promptTokensInRefusal, TokenCalibration } from '../../src/core/tokens';
import { COMMENTS, commentedSourceWithLoops, minifiedWithLoop } from '../support/longSource';

const root = join(import.meta.dirname, '..', '..');
const read = (path: string) => readFileSync(join(root, path), 'utf8');

/** Deterministic bytes (a linear congruential generator), so the base64 sample is the same every run. */
function pseudoRandomBytes(count: number, seed: number): Buffer {
  const bytes = Buffer.alloc(count);
  let state = seed;
  for (let i = 0; i < count; i++) {
    state = (state * 1_103_515_245 + 12_345) % 2 ** 31;
    bytes[i] = state >>> 16;
  }
  return bytes;
}

const SAMPLES: Readonly<Record<string, string>> = {
  'TypeScript (this repository)': read('src/core/plan.ts'),
  'English prose (README)': read('README.md'),
  JSON: read('package.json'),
  'TypeScript with Chinese comments': commentedSourceWithLoops(400, [5], COMMENTS.chinese),
  'TypeScript with Japanese comments': commentedSourceWithLoops(400, [5], COMMENTS.japanese),
  Korean: '이 함수는 배열의 모든 요소의 합을 계산합니다. 반복문의 경계 조건이 올바르지 않으면 배열의 끝을 넘어 읽게 됩니다.\n'.repeat(40),
  'minified JavaScript (generated)': minifiedWithLoop(40, 3),
  'minified JavaScript (KaTeX bundle)': read('node_modules/katex/dist/katex.min.js').slice(0, 100_000),
  base64: pseudoRandomBytes(12_000, 7).toString('base64'),
  hex: pseudoRandomBytes(4000, 11).toString('hex'),
  Russian: 'Эта функция вычисляет сумму элементов массива; граница цикла неверна.\n'.repeat(40),
  emoji: '✅ done 🎉 🚀 — fixed ⚠️ warning\n'.repeat(60),
  'numbered lines': Array.from({ length: 3000 }, (_, i) => `${String(i + 1).padStart(5)} | x();`).join('\n'),
};

test('the estimate is never below a real BPE count, on every kind of text', () => {
  for (const [name, text] of Object.entries(SAMPLES)) {
    const estimate = estimateTokens(text);
    for (const [vocabulary, encode] of [
      ['cl100k_base', cl100k],
      ['o200k_base', o200k],
    ] as const) {
      const counted = encode(text).length;
      assert.ok(estimate >= counted, `${name}: estimated ${estimate}, ${vocabulary} counts ${counted}`);
    }
  }
});

test('the old estimate, three characters a token, was low for CJK comments, minified code and base64', () => {
  const low = ['TypeScript with Chinese comments', 'minified JavaScript (KaTeX bundle)', 'base64', 'Korean'];
  for (const name of low) {
    const text = SAMPLES[name]!;
    assert.ok(Math.ceil(text.length / 3) < cl100k(text).length, `${name}: ${Math.ceil(text.length / 3)} < ${cl100k(text).length}`);
  }
});

test('the estimate stays near the count for Latin text, so windows are not wasted', () => {
  for (const name of ['TypeScript (this repository)', 'English prose (README)', 'JSON']) {
    const text = SAMPLES[name]!;
    const ratio = estimateTokens(text) / cl100k(text).length;
    assert.ok(ratio < 1.5, `${name}: ${ratio.toFixed(2)} times the count`);
  }
});

test('pieces are priced by kind: a CJK character or a digit is a token, a short word is one', () => {
  assert.equal(estimateTokens(''), 0);
  assert.equal(estimateTokens('return'), 1);
  assert.equal(estimateTokens('12345'), 5);
  assert.ok(estimateTokens('数组越界') >= 4);
  assert.ok(estimateTokens('getElementById') >= 4, 'camel case splits into words');
  const key = 'sk-AbCdEf0123456789GhIjKlMnOp';
  assert.ok(estimateTokens(key) >= key.length * 0.7, 'a key or base64 run is near a token a character');
});

test('calibration keeps the worst ratio a server showed, never below 1', () => {
  const calibration = new TokenCalibration();
  const key = calibrationKey({ id: 'ollama', endpoint: 'http://127.0.0.1:11434', model: 'deepseek-r1:7b' });
  assert.equal(calibration.factor(key), 1);
  assert.equal(calibration.observe(key, 1000, 800), false, 'an estimate that was high does not lower the factor');
  assert.equal(calibration.factor(key), 1);
  assert.equal(calibration.observe(key, 1000, 1300), true);
  assert.equal(calibration.factor(key), 1.3);
  assert.equal(calibration.observe(key, 1000, 1100), false, 'a better ratio later does not replace the worst');
  assert.equal(calibration.factor(key), 1.3);
  assert.equal(calibration.factor(calibrationKey({ id: 'ollama', endpoint: 'http://127.0.0.1:11434', model: 'qwen3:8b' })), 1);
  assert.equal(calibration.observe(key, 0, 100), false);
  assert.equal(calibration.observe(key, 100, Number.NaN), false);
});

test('a refusal that names the prompt count is read: llama.cpp (direct or relayed by Ollama) and vLLM', () => {
  assert.equal(promptTokensInRefusal('request (5120 tokens) exceeds the available context size (4096 tokens), try increasing it'), 5120);
  assert.equal(
    promptTokensInRefusal(
      '{"error":{"code":400,"message":"the request exceeds the available context size, try increasing it","type":"exceed_context_size_error","n_prompt_tokens":9001,"n_ctx":8192}}',
    ),
    9001,
  );
  assert.equal(
    promptTokensInRefusal(
      "This model's maximum context length is 4096 tokens. However, you requested 5000 tokens (4200 in the messages, 800 in the completion).",
    ),
    4200,
  );
  assert.equal(promptTokensInRefusal('the input length exceeds the context length'), undefined);
  assert.equal(promptTokensInRefusal(undefined), undefined);
});
