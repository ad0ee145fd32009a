// docs/RELIABILITY.md names, for each fault class, the tests that prove it. This keeps the page
// honest: every class 1-16 is there, every test it names exists in the file it names (and is
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
const CLASSES = 16;
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
function testsIn(file: string): { tests: TestCase[]; drivers: Set<string>; asserters: Set<string> } {
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
  const declarations = declarationsIn(source);
  return {
    tests,
    drivers: closure(declarations, driverImports(source), (n) => ts.isStringLiteralLike(n) && n.text === 'cli.js'),
    asserters: closure(declarations, new Set(), (n) => ts.isCallExpression(n) && rootName(n.expression) === 'assert'),
  };
}

/** Modules whose exports drive ThinkLens: its code, the built CLI's entry, the workbench and the suite's API. */
const DRIVER_MODULES = [/\/src\//, /\/support\/cliProcess$/, /\/workbench\.mjs$/, /\/thinkLens$/];

/** Values a test file imports from DRIVER_MODULES. */
function driverImports(source: ts.SourceFile): Set<string> {
  const drivers = new Set<string>();
  for (const statement of source.statements) {
    if (!ts.isImportDeclaration(statement) || statement.importClause?.isTypeOnly) continue;
    const from = (statement.moduleSpecifier as ts.StringLiteral).text;
    const bindings = statement.importClause?.namedBindings;
    if (!DRIVER_MODULES.some((pattern) => pattern.test(from))) continue;
    if (bindings && ts.isNamedImports(bindings))
      for (const element of bindings.elements) if (!element.isTypeOnly) drivers.add(element.name.text);
  }
  return drivers;
}

/** The file's own functions and constants, each with the code that defines it. */
function declarationsIn(source: ts.SourceFile): { name: string; node: ts.Node }[] {
  const declarations: { name: string; node: ts.Node }[] = [];
  const collect = (node: ts.Node): void => {
    if (ts.isFunctionDeclaration(node) && node.name) declarations.push({ name: node.name.text, node });
    if (ts.isVariableDeclaration(node) && ts.isIdentifier(node.name) && node.initializer)
      declarations.push({ name: node.name.text, node: node.initializer });
    ts.forEachChild(node, collect);
  };
  collect(source);
  return declarations;
}

/**
 * `start` grown by every declaration of the file whose code matches `base` or names one already in
 * the set, to a fixed point: the helpers that (through other helpers) drive ThinkLens, or assert.
 */
function closure(declarations: { name: string; node: ts.Node }[], start: Set<string>, base: (node: ts.Node) => boolean): Set<string> {
  const names = new Set(start);
  for (let grew = true; grew;) {
    grew = false;
    for (const { name, node } of declarations) {
      if (names.has(name) || !mentions(node, (n) => base(n) || (ts.isIdentifier(n) && names.has(n.text)))) continue;
      names.add(name);
      grew = true;
    }
  }
  return names;
}

/** The identifier a call chain starts from: `assert` in `assert.equal(…)`, `api` in `api.panel.runView()`. */
function rootName(expression: ts.Expression): string | undefined {
  let e = expression;
  while (ts.isPropertyAccessExpression(e) || ts.isCallExpression(e) || ts.isNonNullExpression(e) || ts.isParenthesizedExpression(e))
    e = e.expression;
  return ts.isIdentifier(e) ? e.text : undefined;
}

function mentions(node: ts.Node, match: (node: ts.Node) => boolean): boolean {
  return match(node) || (ts.forEachChild(node, (child) => (mentions(child, match) ? true : undefined)) ?? false);
}

/** What a test body must hold to prove a behaviour: an assertion, and a call that drives ThinkLens (its own or a helper's). */
function exercises(
  body: ts.Node,
  { drivers, asserters }: { drivers: Set<string>; asserters: Set<string> },
): { asserts: boolean; drives: boolean } {
  const calls = (names: Set<string>) => (n: ts.Node) =>
    ts.isCallExpression(n) && ts.isIdentifier(n.expression) && names.has(n.expression.text);
  const asserts = mentions(body, (n) => (ts.isCallExpression(n) && rootName(n.expression) === 'assert') || calls(asserters)(n));
  // vscode.commands.executeCommand('thinklens.…') drives the extension as a person's command does.
  const drives = mentions(
    body,
    (n) =>
      calls(drivers)(n) ||
      (ts.isCallExpression(n) && ts.isPropertyAccessExpression(n.expression) && n.expression.name.text === 'executeCommand'),
  );
  return { asserts, drives };
}

const parsed = new Map<string, ReturnType<typeof testsIn>>();
const testsOf = (file: string) => parsed.get(file) ?? parsed.set(file, testsIn(file)).get(file)!;

test('every fault class 1-14 has a section with what the person sees and the tests that prove it', () => {
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
      const names = testsOf(file);
      const found = names.tests.find((t) => t.title === title);
      if (!found) continue; // reported by the test above
      const { asserts, drives } = exercises(found.body, names);
      assert.ok(asserts, `${file}: "${title}" asserts nothing`);
      assert.ok(
        drives,
        `${file}: "${title}" calls none of ThinkLens's code (${[...names.drivers].join(', ') || 'nothing imported from src/'}), runs no VS Code command and no CLI: list it under "Kept in step by" or make it drive the behaviour`,
      );
    }
  }
});

test('the check above tells a test that drives ThinkLens from one that compares lists', () => {
  const file = 'test/unit/settingsPolicy.test.ts';
  const names = testsOf(file);
  const verdict = (prefix: string) => exercises(names.tests.find((t) => t.title.startsWith(prefix))!.body, names);
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
    'test/cli/cache.test.ts',
    'test/cli/teams.test.ts',
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
