import { test } from 'node:test';
import assert from 'node:assert/strict';
import { locateQuote } from '../../src/core/locate';

const cart = [
  'export function total(items: Item[]): number {', // 1
  '  let sum = 0;', // 2
  '  for (let i = 0; i <= items.length; i++) {', // 3
  '    sum += items[i].price * items[i].qty;', // 4
  '  }', // 5
  '  return sum;', // 6
  '}', // 7
  '', // 8
  'export function average(items: Item[]): number {', // 9
  '  let sum = 0;', // 10
  '  for (const item of items) sum += item.price;', // 11
  '  return sum / items.length;', // 12
  '}', // 13
].join('\n');

const at = (line: number) => ({ startLine: line, endLine: line });

test('finds the quote on the claimed line with the exact columns of the part quoted', () => {
  assert.deepEqual(locateQuote(cart, 'i <= items.length', at(3)), {
    startLine: 3,
    startColumn: 18,
    endLine: 3,
    endColumn: 35,
  });
});

test('a whole-line quote ignores leading and trailing whitespace and covers the code only', () => {
  assert.deepEqual(locateQuote(cart, '   for (let i = 0; i <= items.length; i++) {  \n', at(3)), {
    startLine: 3,
    startColumn: 2,
    endLine: 3,
    endColumn: 43,
  });
});

test('line numbers off by a few still land on the quoted line', () => {
  for (const claimed of [1, 2, 4, 6, 8]) {
    const range = locateQuote(cart, 'sum / items.length', at(claimed));
    assert.equal(range?.startLine, 12, `claimed ${claimed}`);
    assert.equal(range?.startColumn, 9);
  }
});

test('a quote that appears twice resolves to the occurrence nearest the claim', () => {
  assert.equal(locateQuote(cart, 'let sum = 0;', at(1))?.startLine, 2);
  assert.equal(locateQuote(cart, 'let sum = 0;', at(9))?.startLine, 10);
  assert.equal(locateQuote(cart, 'let sum = 0;', at(13))?.startLine, 10);
  // On the claimed lines wins even when another copy is equally good.
  assert.equal(locateQuote(cart, 'let sum = 0;', { startLine: 9, endLine: 12 })?.startLine, 10);
});

test('equally near above and below is ambiguous, so nothing is claimed', () => {
  const file = ['a();', 'retry(job);', 'b();', 'c();', 'd();', 'retry(job);', 'e();'].join('\n');
  assert.equal(locateQuote(file, 'retry(job);', at(4)), undefined);
  assert.equal(locateQuote(file, 'retry(job);', at(5))?.startLine, 6);
});

test('whitespace differences do not matter, including all-spaces-removed for longer quotes', () => {
  assert.equal(locateQuote(cart, 'for (let i = 0;   i <= items.length;\ti++) {', at(5))?.startLine, 3);
  assert.equal(locateQuote(cart, 'for(let i=0;i<=items.length;i++){', at(5))?.startLine, 3);
  // The exact-spacing match wins over a spaceless one at the same distance.
  const file = ['x = a+b;', 'y = a + b;'].join('\n');
  assert.equal(locateQuote(file, 'a + b', { startLine: 1, endLine: 2 })?.startLine, 2);
});

test('a quote spanning several lines gets a multi-line range', () => {
  const range = locateQuote(cart, 'sum += items[i].price * items[i].qty;\n  }\n  return sum;', at(2));
  assert.deepEqual(range, { startLine: 4, startColumn: 4, endLine: 6, endColumn: 13 });
  // The same quote written on one line (a model flattening it) still matches.
  assert.equal(locateQuote(cart, 'items[i].qty; } return sum;', at(4))?.endLine, 6);
});

test('CRLF files: columns ignore the carriage return and multi-line quotes work', () => {
  const crlf = cart.replace(/\n/g, '\r\n');
  assert.deepEqual(locateQuote(crlf, 'return sum;', at(5)), { startLine: 6, startColumn: 2, endLine: 6, endColumn: 13 });
  assert.deepEqual(locateQuote(crlf, '  }\r\n  return sum;\r\n}', at(5)), {
    startLine: 5,
    startColumn: 2,
    endLine: 7,
    endColumn: 1,
  });
});

test('tabs count as one column and match spaces in the quote', () => {
  const file = 'function f(xs) {\n\tif (xs.length = 0) {\n\t\treturn null;\n\t}\n}';
  assert.deepEqual(locateQuote(file, '    if (xs.length = 0) {', at(1)), {
    startLine: 2,
    startColumn: 1,
    endLine: 2,
    endColumn: 21,
  });
  assert.deepEqual(locateQuote(file, 'return null;', at(3)), { startLine: 3, startColumn: 2, endLine: 3, endColumn: 14 });
});

test('non-ASCII text: columns are UTF-16 code units, like VS Code', () => {
  const file = ['const label = "🎉 done"; send(label);', 'const 名前 = "東京"; greet(名前);'].join('\n');
  // 🎉 is two UTF-16 units, so send( starts at 25, not 24.
  assert.deepEqual(locateQuote(file, 'send(label);', at(1)), { startLine: 1, startColumn: 25, endLine: 1, endColumn: 37 });
  assert.deepEqual(locateQuote(file, '"🎉 done"', at(1)), { startLine: 1, startColumn: 14, endLine: 1, endColumn: 23 });
  assert.deepEqual(locateQuote(file, 'greet(名前);', at(1)), { startLine: 2, startColumn: 17, endLine: 2, endColumn: 27 });
  const emojiEnd = locateQuote(file, 'const label = "🎉', at(1));
  assert.equal(emojiEnd?.endColumn, 17, 'a range ending in an emoji ends after its low surrogate');
});

test('a line-number prefix copied from the prompt is stripped', () => {
  assert.equal(locateQuote(cart, '12 |   return sum / items.length;', at(12))?.startLine, 12);
  assert.equal(locateQuote(cart, '  3 | for (let i = 0; i <= items.length; i++) {\n  4 |     sum += items[i].price', at(1))?.endLine, 4);
});

test('backtick-wrapped quotes are unwrapped', () => {
  assert.equal(locateQuote(cart, '`return sum / items.length;`', at(10))?.startLine, 12);
});

test('truncated quotes (... or …) match on their prefix, suffix, or both ends', () => {
  assert.deepEqual(locateQuote(cart, 'sum += items[i].price * ...', at(3)), { startLine: 4, startColumn: 4, endLine: 4, endColumn: 27 });
  assert.equal(locateQuote(cart, '…items[i].qty;', at(3))?.startLine, 4);
  const elided = locateQuote(cart, 'for (let i = 0; … return sum;', at(3));
  assert.deepEqual(elided, { startLine: 3, startColumn: 2, endLine: 6, endColumn: 13 });
});

test('real spread syntax is matched verbatim before being read as truncation', () => {
  const file = 'const a = 1;\nconst merged = [...left, ...right];\n';
  assert.deepEqual(locateQuote(file, '[...left, ...right]', at(2)), { startLine: 2, startColumn: 15, endLine: 2, endColumn: 34 });
});

test('a quote that is not in the file gives undefined', () => {
  assert.equal(locateQuote(cart, 'items.reduce((a, b) => a + b)', at(3)), undefined);
  assert.equal(locateQuote(cart, '   ', at(3)), undefined);
  assert.equal(locateQuote('', 'anything', at(1)), undefined);
});

test('the radius bounds the search; beyond it only a unique, distinctive quote is trusted', () => {
  const filler = Array.from({ length: 200 }, (_, i) => `  step${i}();`);
  filler[149] = '  if (retries = MAX_RETRIES) throw new Error("gave up");';
  filler[10] = '  done();';
  filler[180] = '  done();';
  const file = filler.join('\n');
  // A model that counted from the start of the hunk: claims line 3, the code is at 150.
  assert.equal(locateQuote(file, 'if (retries = MAX_RETRIES) throw', at(3))?.startLine, 150);
  assert.equal(locateQuote(file, 'if (retries = MAX_RETRIES) throw', at(3), { wholeFileIfUnique: false }), undefined);
  assert.equal(locateQuote(file, 'if (retries = MAX_RETRIES) throw', at(120), { radius: 10, wholeFileIfUnique: false }), undefined);
  assert.equal(locateQuote(file, 'if (retries = MAX_RETRIES) throw', at(120), { radius: 30 })?.startLine, 150);
  // Short or repeated quotes far away are not trusted.
  assert.equal(locateQuote(file, 'done();', at(100)), undefined);
});

test('a very short quote is only accepted on the claimed lines', () => {
  const file = 'let a = x;\nlet b = y;\nlet c = z;';
  assert.deepEqual(locateQuote(file, 'y', at(2)), { startLine: 2, startColumn: 8, endLine: 2, endColumn: 9 });
  assert.equal(locateQuote(file, 'z', at(1)), undefined);
});

test('claims that are reversed, past the end of the file, or not numbers do not throw', () => {
  assert.equal(locateQuote(cart, 'return sum;', { startLine: 7, endLine: 5 })?.startLine, 6);
  assert.equal(locateQuote(cart, 'sum / items.length', at(30))?.startLine, 12);
  assert.equal(locateQuote(cart, 'sum / items.length', { startLine: Number.NaN, endLine: Number.NaN })?.startLine, 12);
});
