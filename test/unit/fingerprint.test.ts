import { test } from 'node:test';
import assert from 'node:assert/strict';
import { parseAnswer } from '../../src/core/answerParser';
import { enclosingSymbol, fingerprintOf, fingerprintParts, normalizeCode } from '../../src/core/fingerprint';
import { splitLines } from '../../src/core/text';
import type { CodeUnderReview, Finding } from '../../src/core/types';

const CART = `import { Item } from './item';

export class Cart {
  private items: Item[] = [];

  total(): number {
    let sum = 0;
    for (let i = 0; i <= this.items.length; i++) {
      sum += this.items[i].price;
    }
    return sum;
  }

  average(): number {
    let sum = 0;
    for (let i = 0; i <= this.items.length; i++) {
      sum += this.items[i].price;
    }
    return sum / this.items.length;
  }
}
`;

const LOOP = 'for (let i = 0; i <= this.items.length; i++) {';

function review(fileText: string): CodeUnderReview {
  const lineCount = splitLines(fileText).length;
  return { kind: 'review', path: 'src/cart.ts', languageId: 'typescript', fileText, ranges: [{ startLine: 1, endLine: lineCount }] };
}

function findingsOf(fileText: string, findings: unknown[]): readonly Finding[] {
  const answer = `Done.\n\n\`\`\`json\n${JSON.stringify({ summary: 's', findings })}\n\`\`\``;
  const parsed = parseAnswer(answer, review(fileText));
  assert.equal(parsed.problem, undefined);
  return parsed.findings;
}

const offByOne = (line: number, quote = LOOP) => ({
  title: 'Loop reads past the end',
  severity: 'error',
  category: 'bug',
  line,
  quote,
  explanation: 'i <= length reads one past the end.',
});

test('every parsed finding carries a 32-hex fingerprint', () => {
  const [finding] = findingsOf(CART, [offByOne(8)]);
  assert.match(finding!.fingerprint, /^[0-9a-f]{32}$/);
});

test('the fingerprint stays the same when lines are inserted above the finding', () => {
  const before = findingsOf(CART, [offByOne(8)])[0]!;
  const shifted = `// header\n// more header\n\nimport { log } from './log';\n${CART}`;
  const after = findingsOf(shifted, [offByOne(12)])[0]!;
  assert.equal(after.startLine, 12, 'the finding did move');
  assert.equal(after.fingerprint, before.fingerprint);
});

test('the fingerprint stays the same when the model states the wrong line but the same quote', () => {
  const right = findingsOf(CART, [offByOne(8)])[0]!;
  const off = findingsOf(CART, [offByOne(9)])[0]!;
  assert.equal(off.startLine, 8);
  assert.equal(off.fingerprint, right.fingerprint);
});

test('the fingerprint stays the same when whitespace changes (re-indent, spaces around operators)', () => {
  const before = findingsOf(CART, [offByOne(8)])[0]!;
  const reformatted = CART.replace('    for (let i = 0; i <= this.items.length; i++) {', '\tfor (let i=0;  i<=this.items.length;  i++){');
  assert.notEqual(reformatted, CART);
  const after = findingsOf(reformatted, [offByOne(8, 'for (let i=0;  i<=this.items.length;  i++){')])[0]!;
  assert.equal(after.locationUncertain, false);
  assert.equal(after.fingerprint, before.fingerprint);
});

test('the same code in two methods gives two fingerprints (the enclosing symbol differs)', () => {
  const [inTotal, inAverage] = findingsOf(CART, [offByOne(8), offByOne(16)]);
  assert.equal(inTotal!.startLine, 8);
  assert.equal(inAverage!.startLine, 16);
  assert.notEqual(inTotal!.fingerprint, inAverage!.fingerprint);
});

test('different categories or different code give different fingerprints', () => {
  const [bug, perf, other] = findingsOf(CART, [
    offByOne(8),
    { ...offByOne(8), category: 'performance' },
    { ...offByOne(9, 'sum += this.items[i].price;') },
  ]);
  assert.notEqual(bug!.fingerprint, perf!.fingerprint);
  assert.notEqual(bug!.fingerprint, other!.fingerprint);
});

test('a different title or explanation for the same code and category keeps the fingerprint (samples agree)', () => {
  const [a, b] = findingsOf(CART, [offByOne(8), { ...offByOne(8), title: 'Off by one', explanation: 'Use < instead.' }]);
  assert.equal(a!.fingerprint, b!.fingerprint);
});

test('two occurrences of the same code in one symbol are told apart, and stay apart under inserted lines', () => {
  const twice = `function f(a) {\n  a.x++;\n  g(a);\n  a.x++;\n}\n`;
  const [first, second] = findingsOf(twice, [
    { title: 't', severity: 'warning', category: 'bug', line: 2, quote: 'a.x++;', explanation: 'e' },
    { title: 't', severity: 'warning', category: 'bug', line: 4, quote: 'a.x++;', explanation: 'e' },
  ]);
  assert.equal(first!.startLine, 2);
  assert.equal(second!.startLine, 4);
  assert.notEqual(first!.fingerprint, second!.fingerprint);
  const shifted = findingsOf(`const z = 1;\n\n${twice}`, [
    { title: 't', severity: 'warning', category: 'bug', line: 6, quote: 'a.x++;', explanation: 'e' },
  ]);
  assert.equal(shifted[0]!.startLine, 6);
  assert.equal(shifted[0]!.fingerprint, second!.fingerprint);
});

test('a finding whose quote is not in the file is fingerprinted by the quote, not its lines', () => {
  const a = findingsOf(CART, [offByOne(8, 'while (true) { spin(); }')])[0]!;
  const b = findingsOf(`\n\n${CART}`, [offByOne(10, 'while (true) { spin(); }')])[0]!;
  assert.equal(a.locationUncertain, true);
  assert.equal(a.fingerprint, b.fingerprint);
});

test('normalizeCode drops layout but keeps tokens apart', () => {
  assert.equal(normalizeCode('  return   a +\n\tb ;'), 'return a+b;');
  assert.equal(normalizeCode('return a+b;'), 'return a+b;');
  assert.notEqual(normalizeCode('return x'), normalizeCode('returnx'));
});

test('enclosingSymbol names the declaration chain in brace and indentation languages', () => {
  const ts = splitLines(CART);
  assert.equal(enclosingSymbol(ts, 9).name, 'Cart.total');
  assert.equal(enclosingSymbol(ts, 16).name, 'Cart.average');
  assert.equal(enclosingSymbol(ts, 4).name, 'Cart');
  assert.equal(enclosingSymbol(ts, 1).name, '');
  const py = splitLines(
    'class Store:\n    def get(self, key):\n        if key in self.d:\n            return self.d[key]\n\ndef helper():\n    pass\n',
  );
  assert.equal(enclosingSymbol(py, 4).name, 'Store.get');
  assert.equal(enclosingSymbol(py, 7).name, 'helper');
  const go = splitLines('package main\n\nfunc (s *Server) Handle(w http.ResponseWriter) {\n\tif s.x {\n\t\treturn\n\t}\n}\n');
  assert.equal(enclosingSymbol(go, 5).name, 'Handle');
  const arrow = splitLines('export const load = async (id: string) => {\n  return fetch(id);\n};\n');
  assert.equal(enclosingSymbol(arrow, 2).name, 'load');
  const java = splitLines(
    'public class A {\n  public static int parse(String s) throws IOException {\n    return Integer.parseInt(s);\n  }\n}\n',
  );
  assert.equal(enclosingSymbol(java, 3).name, 'A.parse');
});

test('fingerprintParts shows what went into the hash', () => {
  const lines = splitLines(CART);
  const parts = fingerprintParts({
    category: 'bug',
    lines,
    range: { startLine: 8, startColumn: 4, endLine: 8, endColumn: 4 + LOOP.length },
    place: { startLine: 8, endLine: 8 },
  });
  assert.deepEqual(parts, { category: 'bug', symbol: 'Cart.total', code: 'q:for(let i=0;i<=this.items.length;i++){', occurrence: 0 });
  assert.equal(
    fingerprintOf({
      category: 'bug',
      lines,
      range: { startLine: 8, startColumn: 4, endLine: 8, endColumn: 4 + LOOP.length },
      place: { startLine: 8, endLine: 8 },
    }),
    findingsOf(CART, [offByOne(8)])[0]!.fingerprint,
  );
});
