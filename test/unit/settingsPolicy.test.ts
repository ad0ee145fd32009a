// Classes 8 and 10 of docs/RELIABILITY.md: which settings a repository may set, fix-all only by the
// person's own opt-in, and what ThinkLens does in Restricted Mode. package.json, settingsPolicy.ts
// and the document must agree.
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import {
  fixAllEnabled,
  USER_ONLY_SETTINGS,
  userOnlyKeysSetIn,
  userValue,
  WORKSPACE_SETTINGS,
  type Inspected,
} from '../../src/extension/settingsPolicy';
import { readSettings, type SettingsSource } from '../../src/extension/settingsReader';

const pkg = JSON.parse(readFileSync(join(__dirname, '..', '..', 'package.json'), 'utf8'));
const properties: Record<string, { scope?: string; default?: unknown }> = pkg.contributes.configuration.properties;
const settingIds = Object.keys(properties).map((k) => k.replace(/^thinklens\./, ''));

test('class 10: thinklens.model and thinklens.pricing cannot be set by a repository', () => {
  for (const key of ['model', 'pricing', 'backend', 'baseUrl', 'maxTokens', 'reasoningEffort']) {
    assert.ok((USER_ONLY_SETTINGS as readonly string[]).includes(key), `${key} is read from user settings only`);
    assert.ok(
      ['machine', 'application'].includes(properties[`thinklens.${key}`]?.scope ?? ''),
      `${key} has a user-only scope in package.json`,
    );
  }
});

test('class 10: every setting is either user-only (machine/application scope) or one a workspace may set', () => {
  const userOnly = new Set<string>(USER_ONLY_SETTINGS);
  const workspace = new Set<string>(WORKSPACE_SETTINGS);
  for (const id of settingIds) {
    const scope = properties[`thinklens.${id}`]!.scope ?? 'window';
    assert.ok(userOnly.has(id) !== workspace.has(id), `${id} is in exactly one list`);
    if (userOnly.has(id)) assert.ok(['machine', 'application'].includes(scope), `${id}: scope ${scope}`);
    else assert.ok(!['machine', 'application'].includes(scope), `${id}: a workspace setting with scope ${scope}`);
  }
  for (const id of [...userOnly, ...workspace]) assert.ok(settingIds.includes(id), `${id} is declared in package.json`);
});

test('class 10: every machine-scoped setting says where a person sets it, User or Remote, and never "User settings only"', () => {
  for (const [key, entry] of Object.entries(properties) as [
    string,
    { scope?: string; description?: string; markdownDescription?: string },
  ][]) {
    if (entry.scope !== 'machine') continue;
    const said = entry.markdownDescription ?? entry.description ?? '';
    assert.match(
      said,
      /Set in User settings, or in Remote settings in a remote window \(SSH, WSL, Codespaces, code-server\); never by a workspace/,
      key,
    );
    assert.doesNotMatch(said, /User settings only|Machine-scoped/, key);
  }
});

test('class 10: Restricted Mode is supported in part, and ignores the workspace values of every setting a workspace may set', () => {
  const trust = pkg.capabilities?.untrustedWorkspaces;
  assert.equal(trust?.supported, 'limited');
  assert.match(trust.description, /Restricted Mode/);
  assert.deepEqual(
    [...trust.restrictedConfigurations].sort(),
    WORKSPACE_SETTINGS.map((k) => `thinklens.${k}`)
      .filter((k) => k !== 'thinklens.reasoning.display')
      .sort(),
  );
  const scm = pkg.contributes.menus['scm/title'].find((m: { command: string }) => m.command === 'thinklens.reviewChanges');
  assert.match(scm.when, /isWorkspaceTrusted/, 'git is never run for an untrusted workspace');
});

test('class 8: source.fixAll applies model fixes only when the person opted in in user settings', () => {
  assert.equal(properties['thinklens.fixAll.enabled']?.default, false);
  assert.equal(fixAllEnabled(undefined), false);
  assert.equal(fixAllEnabled({ defaultValue: false }), false);
  assert.equal(fixAllEnabled({ defaultValue: false, workspaceValue: true }), false, "a repository's settings.json cannot turn it on");
  assert.equal(fixAllEnabled({ defaultValue: false, workspaceFolderValue: true }), false);
  assert.equal(fixAllEnabled({ defaultValue: false, globalValue: true, workspaceValue: false }), true);
  assert.equal(userValue({ defaultValue: '', workspaceValue: 'expensive-model' }), '');
});

/** Every setting set twice: the person's value, and a repository's that get() hands back (it wins there). */
function hostileSource(user: Record<string, unknown>, repository: Record<string, unknown>): SettingsSource {
  const defaults = Object.fromEntries(Object.entries(properties).map(([k, v]) => [k.replace(/^thinklens\./, ''), v.default]));
  return {
    get: <T>(key: string) => (key in repository ? repository[key] : key in user ? user[key] : defaults[key]) as T | undefined,
    inspect: <T>(key: string) =>
      ({
        defaultValue: defaults[key],
        ...(key in user ? { globalValue: user[key] } : {}),
        ...(key in repository ? { workspaceValue: repository[key] } : {}),
      }) as Inspected<T>,
  };
}

test('class 10: every user-only setting is read from user settings, even where get() would answer with the workspace value', () => {
  const user = {
    backend: 'openai-compatible',
    baseUrl: 'http://127.0.0.1:8080/v1',
    model: 'user-model',
    pricing: { 'openai-compatible/user-model': { output: 1 } },
    maxTokens: 4096,
    reasoningEffort: 'low',
    thinkingBudget: 2000,
    'review.samples': 2,
    'fixAll.enabled': false,
    'local.modelPath': '/home/me/user.gguf',
    'local.modelUri': 'hf:me/user',
    'local.gpu': 'cpu',
    'local.threads': 2,
    'local.contextSize': 4096,
  };
  const repository = {
    backend: 'ollama',
    baseUrl: 'http://attacker.invalid/v1',
    model: 'repository-model',
    pricing: { 'openai-compatible/user-model': { output: 0 } },
    maxTokens: 100_000,
    reasoningEffort: 'max',
    thinkingBudget: 0,
    'review.samples': 5,
    'fixAll.enabled': true,
    'local.modelPath': '/repo/evil.gguf',
    'local.modelUri': 'https://attacker.invalid/evil.gguf',
    'local.gpu': 'cuda',
    'local.threads': 64,
    'local.contextSize': 131072,
    temperature: 0.1,
  };
  // The repository sets every user-only setting.
  assert.deepEqual(
    USER_ONLY_SETTINGS.filter((k) => !(k in repository)),
    [],
  );
  const config = readSettings(hostileSource(user, repository));
  assert.deepEqual(
    {
      backend: config.backend,
      baseUrl: config.baseUrl,
      model: config.model,
      pricing: config.pricing,
      maxTokens: config.maxTokens,
      reasoningEffort: config.reasoningEffort,
      thinkingBudget: config.thinkingBudget,
      samples: config.samples,
      local: config.local,
    },
    {
      backend: 'openai-compatible',
      baseUrl: 'http://127.0.0.1:8080/v1',
      model: 'user-model',
      pricing: user.pricing,
      maxTokens: 4096,
      reasoningEffort: 'low',
      thinkingBudget: 2000,
      samples: 2,
      local: { modelPath: '/home/me/user.gguf', modelUri: 'hf:me/user', gpu: 'cpu', threads: 2, contextSize: 4096 },
    },
  );
  // A setting a workspace may set is taken from it.
  assert.equal(config.temperature, 0.1);
  // Fix-all is read where it is used (codeActions.ts), through the same rule.
  assert.equal(fixAllEnabled(hostileSource(user, repository).inspect<boolean>('fixAll.enabled')), false);
});

test("class 10: the log can name what a repository's settings file tries, though VS Code drops it before any API sees it", () => {
  const file = `{
    // comments and trailing commas, as VS Code allows
    "thinklens.model": "repository-model",
    "thinklens.temperature": 0.2,
    "thinklens": { "baseUrl": "http://attacker.invalid/v1", "review": { "samples": 5 }, "local.modelPath": "/repo/evil.gguf" },
    "editor.codeActionsOnSave": { "source.fixAll.thinklens": "explicit" },
  }`;
  assert.deepEqual(userOnlyKeysSetIn(file), [
    'thinklens.baseUrl',
    'thinklens.model',
    'thinklens.review.samples',
    'thinklens.local.modelPath',
  ]);
  assert.deepEqual(userOnlyKeysSetIn(`{ "folders": [], "settings": { "thinklens.pricing": {} } }`, 'settings'), ['thinklens.pricing']);
  assert.deepEqual(userOnlyKeysSetIn('not json at all {'), []);
  assert.deepEqual(userOnlyKeysSetIn('{ "__proto__": { "model": "x" } }'), []);
});
