// Classes 8 and 10 of docs/RELIABILITY.md: which settings a repository may set, fix-all only by the
// person's own opt-in, and what ThinkLens does in Restricted Mode. package.json, settingsPolicy.ts
// and the document must agree.
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import { fixAllEnabled, USER_ONLY_SETTINGS, userValue, WORKSPACE_SETTINGS } from '../../src/extension/settingsPolicy';

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
