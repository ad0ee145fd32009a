// The lint configuration (eslint.config.mjs) leaves formatting to Prettier, and keeps the bug rules on
// where they matter: a layout rule turned on would fight `npm run format`, and a type-aware rule
// silently dropped from src/ would let an unawaited promise through.

import assert from 'node:assert/strict';
import { test } from 'node:test';
import { ESLint } from 'eslint';
import { builtinRules } from 'eslint/use-at-your-own-risk';

type RuleMeta = { meta?: { type?: string } };
type ResolvedConfig = { rules?: Record<string, unknown>; plugins?: Record<string, { rules?: Record<string, RuleMeta> }> };

const eslint = new ESLint();
const severity = (entry: unknown) => (Array.isArray(entry) ? entry[0] : entry);
const enabled = (config: ResolvedConfig) =>
  Object.entries(config.rules ?? {})
    .filter(([, entry]) => ![0, 'off'].includes(severity(entry) as string | number))
    .map(([name]) => name);

function ruleMeta(config: ResolvedConfig, name: string): RuleMeta | undefined {
  const slash = name.lastIndexOf('/');
  if (slash < 0) return builtinRules.get(name) as RuleMeta | undefined;
  return config.plugins?.[name.slice(0, slash)]?.rules?.[name.slice(slash + 1)];
}

const samples = [
  'src/core/run.ts',
  'src/webview/app.ts',
  'test/unit/lint.test.ts',
  'test/integration/runTests.mjs',
  'bench/run.mjs',
  'eslint.config.mjs',
];

test('no formatting (layout) rule is on for any kind of file: formatting is Prettier’s', async () => {
  for (const file of samples) {
    const config = (await eslint.calculateConfigForFile(file)) as ResolvedConfig;
    const rules = enabled(config);
    assert.ok(rules.length > 20, `${file}: only ${rules.length} rules are on; did the recommended sets stop applying?`);
    const unknown = rules.filter((name) => !ruleMeta(config, name));
    assert.deepEqual(unknown, [], `${file}: rules with no definition`);
    const layout = rules.filter((name) => ruleMeta(config, name)?.meta?.type === 'layout');
    assert.deepEqual(layout, [], `${file}: layout rules conflict with Prettier`);
  }
});

test('the type-aware bug rules are on for the shipped code', async () => {
  for (const file of ['src/core/run.ts', 'src/extension/commands.ts', 'src/webview/app.ts']) {
    const rules = enabled((await eslint.calculateConfigForFile(file)) as ResolvedConfig);
    for (const rule of [
      '@typescript-eslint/no-floating-promises',
      '@typescript-eslint/no-misused-promises',
      '@typescript-eslint/await-thenable',
      'no-console',
    ]) {
      assert.ok(rules.includes(rule), `${file}: ${rule} is off`);
    }
  }
});

test('the lint reports a bug the type checker lets through', async () => {
  // `==` against a string compiles; the configuration asks for `===` everywhere but null checks.
  const [result] = await eslint.lintText('export const same = (a: unknown) => a == "x";\n', { filePath: 'test/unit/probe.ts' });
  assert.deepEqual(
    result?.messages.map((m) => m.ruleId),
    ['eqeqeq'],
  );
});
