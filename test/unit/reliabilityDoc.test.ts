// docs/RELIABILITY.md names, for each fault class, the tests that prove it. This keeps the page
// honest: every class is there in order, every test it names exists in the file it names (and is
// about that class), every class test in the fault files is listed, and the two settings lists
// match settingsPolicy.ts.
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import { USER_ONLY_SETTINGS, WORKSPACE_SETTINGS } from '../../src/extension/settingsPolicy';

const ROOT = join(__dirname, '..', '..');
const doc = readFileSync(join(ROOT, 'docs', 'RELIABILITY.md'), 'utf8');
const sections = doc.split(/^## /m).slice(1);

/** Test titles declared in a test file: `test('…'` or `test("…"`. */
function titlesIn(file: string): string[] {
  const text = readFileSync(join(ROOT, file), 'utf8');
  return [...text.matchAll(/\btest\(\s*(['"])(.*?)\1\s*,/g)].map((m) => m[2]!);
}

test('every fault class has a numbered section, in order, with what the person sees and the tests that prove it', () => {
  assert.ok(sections.length >= 13, `${sections.length} sections`);
  assert.deepEqual(
    sections.map((s) => Number(/^(\d+)\./.exec(s)?.[1])),
    Array.from({ length: sections.length }, (_, i) => i + 1),
  );
  for (const section of sections) {
    assert.match(section, /What the person sees: \S/, section.split('\n')[0]);
    assert.match(section, /Proved by:\n- /, section.split('\n')[0]);
  }
});

test('every test the page names exists in the file it names and belongs to that class', () => {
  for (const section of sections) {
    const n = /^(\d+)\./.exec(section)![1];
    for (const [, file, title] of section.matchAll(/^- `([^`]+)`: (.+)$/gm)) {
      assert.ok(titlesIn(file!).includes(title!), `${file} has no test "${title}"`);
      assert.ok(title!.startsWith(`class ${n}: `), `"${title}" is listed under class ${n}`);
    }
  }
});

test('every class test in the fault corpus is on the page', () => {
  for (const file of [
    'test/unit/faults.test.ts',
    'test/cli/faults.test.ts',
    'test/unit/settingsPolicy.test.ts',
    'test/cli/cache.test.ts',
  ]) {
    for (const title of titlesIn(file).filter((t) => /^class \d+: /.test(t)))
      assert.ok(doc.includes(`\`${file}\`: ${title}\n`), `${file}: "${title}" is not listed`);
  }
});

test('the settings a repository may or may not set are the ones settingsPolicy.ts enforces', () => {
  const list = (label: string) =>
    [...(new RegExp(`^${label}[^:]*: (.+)$`, 'm').exec(doc)?.[1] ?? '').matchAll(/`([^`]+)`/g)].map((m) => m[1]);
  assert.deepEqual(list('User only'), [...USER_ONLY_SETTINGS]);
  assert.deepEqual(list('A workspace may set'), [...WORKSPACE_SETTINGS]);
});
