// Review File through the Ollama backend inside real VS Code, against the Ollama-shaped replay
// server with Ollama's defaults (a 4096-token window unless num_ctx is sent, a 131072-token model
// maximum, silent truncation of the prompt's start): a 700-line file gets its findings because the
// extension's request set the window, with thinklens.baseUrl written with /v1 as most guides do.

import * as assert from 'node:assert/strict';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import * as vscode from 'vscode';
import type { ThinkLensTestApi } from '../../../src/extension/extension';
import type { RunOutcome } from '../../../src/extension/runs';
import type { SetupOutcome } from '../../../src/extension/setup';
import { sourceWithLoops } from '../../support/longSource';
import { R1_MODEL, startOllamaServer, type OllamaServer } from '../../support/ollamaServer';

const EXTENSION_ID = 'thinklens.thinklens';

describe('Ollama through its native API', function () {
  this.timeout(60_000);
  let server: OllamaServer;
  let file: vscode.Uri;

  before(async () => {
    server = await startOllamaServer();
    const settings = vscode.workspace.getConfiguration('thinklens');
    await settings.update('backend', 'ollama', vscode.ConfigurationTarget.Global);
    await settings.update('baseUrl', `${server.root}/v1`, vscode.ConfigurationTarget.Global);
    await settings.update('model', R1_MODEL, vscode.ConfigurationTarget.Global);
    await vscode.extensions.getExtension(EXTENSION_ID)!.activate();
    const dir = mkdtempSync(join(tmpdir(), 'thinklens-ollama-'));
    const path = join(dir, 'totals.ts');
    writeFileSync(path, sourceWithLoops(700, [11, 691]));
    file = vscode.Uri.file(path);
  });

  after(async () => {
    // Not thinklens.clearFindings: clearing every file asks for confirmation in a dialog.
    const settings = vscode.workspace.getConfiguration('thinklens');
    for (const key of ['backend', 'baseUrl', 'model']) await settings.update(key, undefined, vscode.ConfigurationTarget.Global);
    await server?.close();
  });

  it('a 700-line file gets its findings because the window was set, and the server never truncated', async () => {
    const outcome = await vscode.commands.executeCommand<RunOutcome>('thinklens.reviewFile', file);
    assert.equal(outcome?.error, undefined, outcome?.error?.message);
    assert.deepEqual(
      outcome.findings.map((f) => f.finding.startLine).sort((a, b) => a - b),
      [11, 691],
    );
    assert.equal(server.chats.length, 1);
    const [chat] = server.chats;
    assert.equal(chat!.truncated, false, 'Ollama cut the prompt');
    assert.equal(chat!.instructionsSeen, true);
    assert.ok(
      chat!.requestedNumCtx !== undefined && chat!.requestedNumCtx > 4096 && chat!.requestedNumCtx <= 131_072,
      `num_ctx ${chat!.requestedNumCtx}`,
    );
    assert.ok(chat!.think === true || chat!.think === 'high', `thinking on (the default effort is high): ${String(chat!.think)}`);
    const diagnostics = vscode.languages.getDiagnostics(file).filter((d) => d.source === 'ThinkLens');
    assert.deepEqual(
      diagnostics.map((d) => d.range.start.line + 1).sort((a, b) => a - b),
      [11, 691],
    );
  });

  it('a base URL without /v1 on the OpenAI-compatible backend: the card says where the server answers and "Use …/v1" sets it', async () => {
    const settings = vscode.workspace.getConfiguration('thinklens');
    await settings.update('backend', 'openai-compatible', vscode.ConfigurationTarget.Global);
    await settings.update('baseUrl', server.root, vscode.ConfigurationTarget.Global);
    const api = vscode.extensions.getExtension<ThinkLensTestApi>(EXTENSION_ID)!.exports!;
    const outcome = await vscode.commands.executeCommand<RunOutcome>('thinklens.reviewFile', file);
    assert.equal(outcome.error?.kind, 'setup', outcome.error?.message);
    const card = api.panel.runView(outcome.runId!)?.result?.error;
    assert.ok(card, 'no error card');
    assert.match(card.message, new RegExp(`answers at ${server.root.replace(/[.]/g, '\\.')}/v1`));
    assert.doesNotMatch(card.message, /has no model/);
    assert.deepEqual(card.actions[0], { label: `Use ${server.root}/v1`, command: 'use-base-url' });
    // The button's route: the host takes the address from the run's own error and runs it again there.
    const before = server.requests.length;
    await api.runs.useSuggestedBaseUrl(outcome.runId!);
    assert.equal(settings.get('baseUrl'), `${server.root}/v1`);
    assert.ok(
      server.requests.slice(before).some((r) => r.method === 'POST' && r.path === '/v1/chat/completions'),
      'the rerun did not go to /v1',
    );
  });

  it("Select Backend's connection test with a base URL without /v1 says where the server answers and offers to use it", async () => {
    const settings = vscode.workspace.getConfiguration('thinklens');
    await settings.update('backend', 'openai-compatible', vscode.ConfigurationTarget.Global);
    await settings.update('baseUrl', server.root, vscode.ConfigurationTarget.Global);
    await settings.update('model', R1_MODEL, vscode.ConfigurationTarget.Global);
    let outcome: SetupOutcome | undefined;
    let done = false;
    const flow = Promise.resolve(vscode.commands.executeCommand<SetupOutcome | undefined>('thinklens.selectBackend')).then((o) => {
      outcome = o;
      done = true;
    });
    // A person presses Enter on each step: the current backend, the URL as filled in, no key, the first model.
    const end = Date.now() + 40_000;
    while (!done && Date.now() < end) {
      await new Promise((r) => setTimeout(r, 400));
      if (!done) await vscode.commands.executeCommand('workbench.action.acceptSelectedQuickOpenItem');
    }
    await flow;
    assert.ok(outcome, 'the flow ended without a setup');
    assert.equal(outcome.ok, false);
    assert.equal(outcome.apiRoot, `${server.root}/v1`);
    assert.equal(outcome.model, R1_MODEL, 'the model was not picked from the list the server gives at /v1');
    assert.match(outcome.found ?? '', new RegExp(`answers at ${server.root.replace(/[.]/g, '\\.')}/v1: the base URL lacks`));
  });
});
