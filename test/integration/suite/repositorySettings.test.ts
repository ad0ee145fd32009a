// A repository's .vscode/settings.json comes with the code under review: it must not choose where
// the code goes (backend, endpoint), what the person's key is billed for (model, samples, max
// tokens), the cost shown (pricing), whether model edits apply themselves (fix-all) or which model
// file is loaded (local.modelPath). This drives the real path in real VS Code: the workspace's
// settings file says one thing, the person's user settings another, and the run must follow the
// person, and the log must say what it ignored. VS Code drops these values from a workspace
// (machine/application scope), so a read that goes back to get() cannot show here; the unit test
// 'class 10: every user-only setting is read from user settings, …' hands readSettings a source
// whose get() answers with the repository's values, and fails on any such read.

import * as assert from 'node:assert/strict';
import { copyFileSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync, existsSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import * as vscode from 'vscode';
import type { ThinkLensTestApi } from '../../../src/extension/extension';
import type { RunOutcome } from '../../../src/extension/runs';
import { deepseekStream, startReplayServer, type ReplayServer } from '../../support/replayServer';
import { clearAllFindings, EXTENSION_ID, thinkLens } from './thinkLens';

const USER_MODEL = 'user-model';
const USER_SAMPLES = 2;
const USER_MAX_TOKENS = 3000;
/** Dollars per 1M tokens the person set; the repository's prices are a thousand times more. */
const USER_PRICE = { inputCacheHit: 0, inputCacheMiss: 1, output: 2 };
const LOOP = 'for (let i = 0; i <= items.length; i++) {';
const FIXED_LOOP = '  for (let i = 0; i < items.length; i++) {';

const ANSWER = `The loop reads past the end.\n\n\`\`\`json\n${JSON.stringify({
  summary: 'Off by one.',
  findings: [
    {
      title: 'Off-by-one in loop bound',
      severity: 'error',
      category: 'bug',
      startLine: 11,
      endLine: 11,
      quote: LOOP,
      explanation: 'The last pass reads items[items.length].',
      fix: { startLine: 11, endLine: 11, replacement: FIXED_LOOP },
    },
  ],
})}\n\`\`\`\n`;

/** The endpoint a hostile repository names: it must see no request of any kind. */
async function startRepositoryEndpoint(): Promise<{ baseUrl: string; hits: string[]; server: Server }> {
  const hits: string[] = [];
  const server = createServer((req, res) => {
    hits.push(`${req.method} ${req.url}`);
    res.writeHead(500).end();
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return { baseUrl: `http://127.0.0.1:${(server.address() as AddressInfo).port}/v1`, hits, server };
}

async function until(condition: () => boolean, what: () => string, ms = 20_000): Promise<void> {
  const end = Date.now() + ms;
  while (!condition()) {
    if (Date.now() > end) throw new Error(`timed out waiting for ${what()}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

describe('Repository settings that must not apply', function () {
  this.timeout(120_000);
  let user: ReplayServer;
  let repository: Awaited<ReturnType<typeof startRepositoryEndpoint>>;
  let api: ThinkLensTestApi;
  let settingsFile = '';
  let previousSettingsFile: string | undefined;
  let scratch: string;
  const settings = () => vscode.workspace.getConfiguration('thinklens');
  const userSet = (key: string, value: unknown) => settings().update(key, value, vscode.ConfigurationTarget.Global);

  /** What the repository carries in .vscode/settings.json: every user-only choice, pointed elsewhere. */
  const repositorySettings = () => ({
    'thinklens.temperature': 0.25,
    'thinklens.backend': 'ollama',
    'thinklens.baseUrl': repository.baseUrl,
    'thinklens.model': 'repository-model',
    'thinklens.pricing': { [`openai-compatible/${USER_MODEL}`]: { inputCacheHit: 1000, inputCacheMiss: 1000, output: 2000 } },
    'thinklens.maxTokens': 100_000,
    'thinklens.review.samples': 5,
    'thinklens.fixAll.enabled': true,
    'thinklens.local.modelPath': join(scratch, 'repository-model.gguf'),
    'editor.codeActionsOnSave': { 'source.fixAll.thinklens': 'explicit' },
  });

  before(async () => {
    user = await startReplayServer();
    repository = await startRepositoryEndpoint();
    scratch = mkdtempSync(join(tmpdir(), 'thinklens-repo-settings-'));
    api = await thinkLens();
    // The person's own choices, in user settings.
    await userSet('backend', 'openai-compatible');
    await userSet('baseUrl', user.baseUrl);
    await userSet('model', USER_MODEL);
    await userSet('review.samples', USER_SAMPLES);
    await userSet('maxTokens', USER_MAX_TOKENS);
    await userSet('pricing', { [`openai-compatible/${USER_MODEL}`]: USER_PRICE });
    await userSet('fixAll.enabled', undefined);
    await userSet('local.modelPath', undefined);

    // The repository's settings file, as a clone brings it: written on disk, picked up by VS Code.
    const folder = vscode.workspace.workspaceFolders?.[0]?.uri.fsPath;
    assert.ok(folder, 'the suite runs without a workspace folder');
    settingsFile = join(folder, '.vscode', 'settings.json');
    previousSettingsFile = existsSync(settingsFile) ? readFileSync(settingsFile, 'utf8') : undefined;
    mkdirSync(join(folder, '.vscode'), { recursive: true });
    writeFileSync(settingsFile, JSON.stringify(repositorySettings(), null, 2));
    // VS Code reads the file (the window-scoped key in it shows up)...
    await until(
      () => settings().inspect('temperature')?.workspaceValue === 0.25,
      () => `VS Code to read the workspace's ${settingsFile}`,
    );
  });

  after(async () => {
    if (!settingsFile) return;
    if (previousSettingsFile === undefined) rmSync(settingsFile, { force: true });
    else writeFileSync(settingsFile, previousSettingsFile);
    await until(
      () => settings().inspect('temperature')?.workspaceValue === undefined,
      () => 'VS Code to drop the workspace settings',
    ).catch(() => undefined);
    for (const key of ['review.samples', 'maxTokens', 'pricing', 'fixAll.enabled', 'local.modelPath'] as const)
      await userSet(key, undefined);
    await userSet('backend', 'openai-compatible');
    await userSet('baseUrl', user.baseUrl);
    await clearAllFindings();
    await user?.close();
    await new Promise((resolve) => repository?.server.close(resolve));
    rmSync(scratch, { recursive: true, force: true });
  });

  it("class 10: a repository's settings file does not choose the endpoint, model, samples, prices or fix-all, and the log names what was ignored", async () => {
    // ...and drops the user-only ones before any API sees them (their machine or application scope in
    // package.json): get() answers with the person's value. ThinkLens's own rule (user values only,
    // test/unit/settingsPolicy.test.ts) is the second lock; this test proves the two together.
    assert.equal(settings().get('model'), USER_MODEL);
    assert.equal(settings().inspect('model')?.workspaceValue, undefined);

    // The log names every user-only setting the repository tried to set.
    const ignored = () => api.log.lines.filter((l) => l.includes('ignored workspace values for')).at(-1) ?? '';
    const expected = ['backend', 'baseUrl', 'model', 'pricing', 'maxTokens', 'review.samples', 'fixAll.enabled', 'local.modelPath'];
    await until(
      () => expected.every((key) => ignored().includes(`thinklens.${key}`)),
      () => `the log to say it ignored ${expected.join(', ')} (its last such line: "${ignored()}")`,
    );

    user.script(
      USER_MODEL,
      Array.from({ length: USER_SAMPLES }, () =>
        deepseekStream({ model: USER_MODEL, reasoning: 'The bound is i <= items.length.', answer: ANSWER }),
      ),
    );
    const file = join(scratch, 'cart.ts');
    copyFileSync(join(vscode.extensions.getExtension(EXTENSION_ID)!.extensionPath, 'samples', 'src', 'cart.ts'), file);
    const editor = await vscode.window.showTextDocument(await vscode.workspace.openTextDocument(file));
    editor.selection = new vscode.Selection(8, 0, 14, editor.document.lineAt(14).text.length);
    const before = user.requests.length;
    const outcome = await vscode.commands.executeCommand<RunOutcome>('thinklens.explainBug');
    assert.equal(outcome.error, undefined, outcome.error?.message);

    // Endpoint and backend: nothing reached the repository's endpoint; the person's server got OpenAI chat requests.
    assert.deepEqual(repository.hits, [], "the repository's endpoint was contacted");
    const sent = user.requests.slice(before);
    // Samples: the person's count, not the repository's 5.
    assert.equal(sent.length, USER_SAMPLES, `expected ${USER_SAMPLES} sample requests, got ${sent.length}`);
    for (const request of sent) {
      assert.match(request.path, /\/chat\/completions$/);
      const body = request.body as { model: string; max_tokens?: number };
      // Model: the person's.
      assert.equal(body.model, USER_MODEL);
      // Max tokens: never more than the person allowed.
      assert.ok(
        typeof body.max_tokens === 'number' && body.max_tokens <= USER_MAX_TOKENS,
        `max_tokens ${body.max_tokens} is over ${USER_MAX_TOKENS}`,
      );
    }

    // Prices: the cost shown is the person's price table applied to the reported usage.
    const usage = api.panel.runView(outcome.runId!)?.usage;
    assert.ok(usage?.costUsd !== undefined, 'the run shows no cost');
    const hit = usage.cachedPromptTokens ?? 0;
    const expectedCost =
      ((usage.promptTokens - hit) * USER_PRICE.inputCacheMiss +
        hit * USER_PRICE.inputCacheHit +
        (usage.reasoningTokens + usage.answerTokens) * USER_PRICE.output) /
      1_000_000;
    assert.ok(Math.abs(usage.costUsd - expectedCost) < 1e-9, `cost ${usage.costUsd}, the person's prices give ${expectedCost}`);

    // Fix-all: the repository's fixAll.enabled (and its codeActionsOnSave) offers nothing...
    const [diagnostic] = vscode.languages.getDiagnostics(editor.document.uri).filter((d) => d.source === 'ThinkLens');
    assert.ok(diagnostic, 'no ThinkLens diagnostic');
    const fixAll = () =>
      vscode.commands.executeCommand<vscode.CodeAction[]>(
        'vscode.executeCodeActionProvider',
        editor.document.uri,
        diagnostic.range,
        'source.fixAll.thinklens',
      );
    const offered = (actions: vscode.CodeAction[] | undefined) =>
      (actions ?? []).filter((a) => a.title.startsWith('Apply all ThinkLens fixes'));
    assert.deepEqual(offered(await fixAll()), [], 'a repository turned on fix-all');
    // ...while the same setting in the person's user settings does (so the check above can fail).
    await userSet('fixAll.enabled', true);
    assert.equal(offered(await fixAll()).length, 1, "the person's own fixAll.enabled offers no fix-all");
    await userSet('fixAll.enabled', undefined);
    assert.ok(editor.document.getText().includes(LOOP), 'a fix was applied');
  });

  it("class 10: a repository's settings file does not choose the local model file", async () => {
    await userSet('local.modelPath', join(scratch, 'user-model.gguf'));
    await userSet('backend', 'local');
    // The status bar names the backend a run would use: the model file chosen in user settings.
    await until(
      () => /local: user-model\.gguf/.test(api.status.text),
      () => `the status bar to name user-model.gguf (it says "${api.status.text}")`,
    );
    assert.doesNotMatch(api.status.text, /repository-model/);
    // A run loads that file: there is none, so the run says which file it looked for.
    const editor = await vscode.window.showTextDocument(await vscode.workspace.openTextDocument(join(scratch, 'cart.ts')));
    editor.selection = new vscode.Selection(8, 0, 14, editor.document.lineAt(14).text.length);
    const outcome = await vscode.commands.executeCommand<RunOutcome>('thinklens.explainBug');
    const said = `${outcome.error?.message ?? ''} ${outcome.error?.detail ?? ''}`;
    assert.match(said, /user-model\.gguf/, `the run did not try the person's model file: ${said}`);
    assert.doesNotMatch(said, /repository-model/);
    assert.deepEqual(repository.hits, []);
  });
});
