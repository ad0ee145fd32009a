// Review File through the Ollama backend inside real VS Code, against the Ollama-shaped replay
// server with Ollama's defaults (a 4096-token window unless num_ctx is sent, a 131072-token model
// maximum, silent truncation of the prompt's start): a 700-line file gets its findings because the
// extension's request set the window, with thinklens.baseUrl written with /v1 as most guides do.

import * as assert from 'node:assert/strict';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import * as vscode from 'vscode';
import type { RunOutcome } from '../../../src/extension/runs';
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
});
