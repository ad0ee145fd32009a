// docs/RELIABILITY.md names, for each fault class, the tests that prove it. This keeps the page
// honest: every class 1-13 is there, every test it names exists in the file it names (and is
// about that class), every class test in the fault files is listed, the two settings lists match
// settingsPolicy.ts, and every test named under "Proved by" exercises the behaviour: it asserts,
// and it drives ThinkLens (calls its code, runs the built CLI, runs a VS Code command or drives the
// workbench), not only compares texts. Checks that keep lists and the manifest in step are named
// under "Kept in step by" instead.
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import ts from 'typescript';
import { USER_ONLY_SETTINGS, WORKSPACE_SETTINGS } from '../../src/extension/settingsPolicy';

const ROOT = join(__dirname, '..', '..');
const CLASSES = 13;
const doc = readFileSync(join(ROOT, 'docs', 'RELIABILITY.md'), 'utf8');
const sections = doc.split(/^## /m).slice(1);

/** The `- \`file\`: title` lines under a heading ("Proved by" or "Kept in step by") of one section. */
function listed(section: string, heading: 'Proved by' | 'Kept in step by'): { file: string; title: string }[] {
  const block = new RegExp(`^${heading}:\\n((?:- .+\\n?)+)`, 'm').exec(section)?.[1] ?? '';
  return [...block.matchAll(/^- `([^`]+)`: (.+)$/gm)].map((m) => ({ file: m[1]!, title: m[2]! }));
}

interface TestCase {
  readonly title: string;
  readonly body: ts.Node;
}

/** Every `test('…', …)` / `it('…', …)` call in a test file (node:test, its wrappers, or mocha). */
function testsIn(file: string): { tests: TestCase[]; drivers: Set<string> } {
  const source = ts.createSourceFile(file, readFileSync(join(ROOT, file), 'utf8'), ts.ScriptTarget.Latest, true);
  const tests: TestCase[] = [];
  const visit = (node: ts.Node): void => {
    if (
      ts.isCallExpression(node) &&
      ts.isIdentifier(node.expression) &&
      ['test', 'it', 'nodeTest'].includes(node.expression.text) &&
      node.arguments[0] &&
      ts.isStringLiteralLike(node.arguments[0])
    ) {
      tests.push({ title: node.arguments[0].text, body: node.arguments[node.arguments.length - 1]! });
    }
    ts.forEachChild(node, visit);
  };
  visit(source);
  return { tests, drivers: driversIn(source) };
}

/**
 * The names in a test file that drive ThinkLens: values imported from src/, and the file's own
 * helpers that reach one of them or the built CLI (dist/cli.js), found to a fixed point.
 */
function driversIn(source: ts.SourceFile): Set<string> {
  const drivers = new Set<string>();
  for (const statement of source.statements) {
    if (!ts.isImportDeclaration(statement) || statement.importClause?.isTypeOnly) continue;
    const from = (statement.moduleSpecifier as ts.StringLiteral).text;
    const bindings = statement.importClause?.namedBindings;
    if (!/\/src\//.test(from) && !/\/workbench\.mjs$/.test(from) && !/\/thinkLens$/.test(from)) continue;
    if (bindings && ts.isNamedImports(bindings))
      for (const element of bindings.elements) if (!element.isTypeOnly) drivers.add(element.name.text);
  }
  const declarations: { name: string; node: ts.Node }[] = [];
  const collect = (node: ts.Node): void => {
    if (ts.isFunctionDeclaration(node) && node.name) declarations.push({ name: node.name.text, node });
    if (ts.isVariableDeclaration(node) && ts.isIdentifier(node.name) && node.initializer)
      declarations.push({ name: node.name.text, node: node.initializer });
    ts.forEachChild(node, collect);
  };
  collect(source);
  for (let grew = true; grew;) {
    grew = false;
    for (const { name, node } of declarations) {
      if (drivers.has(name)) continue;
      if (mentions(node, (n) => (ts.isIdentifier(n) && drivers.has(n.text)) || (ts.isStringLiteralLike(n) && n.text === 'cli.js'))) {
        drivers.add(name);
        grew = true;
      }
    }
  }
  return drivers;
}

function mentions(node: ts.Node, match: (node: ts.Node) => boolean): boolean {
  return match(node) || (ts.forEachChild(node, (child) => (mentions(child, match) ? true : undefined)) ?? false);
}

/** What a test body must hold to prove a behaviour: an assertion, and a call that drives ThinkLens. */
function exercises(body: ts.Node, drivers: Set<string>): { asserts: boolean; drives: boolean } {
  const rootName = (expression: ts.Expression): string | undefined => {
    let e = expression;
    while (ts.isPropertyAccessExpression(e) || ts.isCallExpression(e) || ts.isNonNullExpression(e) || ts.isParenthesizedExpression(e))
      e = e.expression;
    return ts.isIdentifier(e) ? e.text : undefined;
  };
  const asserts = mentions(body, (n) => ts.isCallExpression(n) && rootName(n.expression) === 'assert');
  const drives = mentions(body, (n) => {
    if (!ts.isCallExpression(n)) return false;
    const callee = n.expression;
    if (ts.isIdentifier(callee)) return drivers.has(callee.text);
    // vscode.commands.executeCommand('thinklens.…'), or a method of something a driver returned (api.panel.runView()).
    if (ts.isPropertyAccessExpression(callee) && callee.name.text === 'executeCommand') return true;
    return false;
  });
  return { asserts, drives };
}

const parsed = new Map<string, ReturnType<typeof testsIn>>();
const testsOf = (file: string) => parsed.get(file) ?? parsed.set(file, testsIn(file)).get(file)!;

test('every fault class 1-13 has a section with what the person sees and the tests that prove it', () => {
  assert.deepEqual(
    sections.map((s) => Number(/^(\d+)\./.exec(s)?.[1])),
    Array.from({ length: CLASSES }, (_, i) => i + 1),
  );
  for (const section of sections) {
    assert.match(section, /What the person sees: \S/, section.split('\n')[0]);
    assert.ok(listed(section, 'Proved by').length > 0, `${section.split('\n')[0]}: no test under "Proved by:"`);
  }
});

test('every test the page names exists in the file it names and belongs to that class', () => {
  for (const section of sections) {
    const n = /^(\d+)\./.exec(section)![1];
    for (const { file, title } of [...listed(section, 'Proved by'), ...listed(section, 'Kept in step by')]) {
      assert.ok(
        testsOf(file).tests.some((t) => t.title === title),
        `${file} has no test "${title}"`,
      );
      assert.ok(title.startsWith(`class ${n}: `), `"${title}" is listed under class ${n}`);
    }
  }
});

test('every test named as a proof asserts, and drives ThinkLens rather than only comparing texts', () => {
  for (const section of sections) {
    for (const { file, title } of listed(section, 'Proved by')) {
      const { tests, drivers } = testsOf(file);
      const found = tests.find((t) => t.title === title);
      if (!found) continue; // reported by the test above
      const { asserts, drives } = exercises(found.body, drivers);
      assert.ok(asserts, `${file}: "${title}" asserts nothing`);
      assert.ok(
        drives,
        `${file}: "${title}" calls none of ThinkLens's code (${[...drivers].join(', ') || 'nothing imported from src/'}), runs no VS Code command and no CLI: list it under "Kept in step by" or make it drive the behaviour`,
      );
    }
  }
});

test('the check above tells a test that drives ThinkLens from one that compares lists', () => {
  const file = 'test/unit/settingsPolicy.test.ts';
  const { tests, drivers } = testsOf(file);
  const verdict = (prefix: string) => exercises(tests.find((t) => t.title.startsWith(prefix))!.body, drivers);
  assert.deepEqual(verdict('class 10: every user-only setting is read from user settings'), { asserts: true, drives: true });
  assert.deepEqual(verdict('class 10: every setting is either user-only'), { asserts: true, drives: false });
});

test('every class test in the fault corpus is on the page', () => {
  for (const file of [
    'test/unit/faults.test.ts',
    'test/cli/faults.test.ts',
    'test/unit/settingsPolicy.test.ts',
    'test/integration/suite/repositorySettings.test.ts',
    'test/integration/vsix.test.mjs',
  ]) {
    for (const { title } of testsOf(file).tests.filter((t) => /^class \d+: /.test(t.title)))
      assert.ok(doc.includes(`\`${file}\`: ${title}\n`), `${file}: "${title}" is not listed`);
  }
});

test('the settings a repository may or may not set are the ones settingsPolicy.ts enforces', () => {
  const list = (label: string) =>
    [...(new RegExp(`^${label}[^:]*: (.+)$`, 'm').exec(doc)?.[1] ?? '').matchAll(/`([^`]+)`/g)].map((m) => m[1]);
  assert.deepEqual(list('User only'), [...USER_ONLY_SETTINGS]);
  assert.deepEqual(list('A workspace may set'), [...WORKSPACE_SETTINGS]);
});
