// Explain this bug with `backend: local`: node-llama-cpp inside the VS Code extension host, on a
// GGUF model the test writes itself, end to end to a diagnostic and a quick fix.

import * as assert from 'node:assert/strict';
import { copyFileSync, mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import * as vscode from 'vscode';
import type { RunOutcome } from '../../../src/extension/runs';
import { writeScriptedModel } from '../../support/gguf/scriptedModel';
import { clearAllFindings, thinkLens } from './thinkLens';

const EXTENSION_ID = 'thinklens.thinklens';
const LOOP = 'for (let i = 0; i <= items.length; i++) {';
const FIXED_LOOP = '  for (let i = 0; i < items.length; i++) {';
const REASONING = 'The loop runs while i <= items.length, one step too far.';

describe('Explain this bug with a local model', function () {
  this.timeout(120_000);
  let dir: string;

  before(async () => {
    dir = mkdtempSync(join(tmpdir(), 'thinklens-local-'));
    const model = join(dir, 'scripted-r1.gguf');
    await writeScriptedModel(model, {
      reasoning: REASONING,
      answer: {
        summary: 'Off-by-one in the loop bound.',
        findings: [
          {
            title: 'Off-by-one in loop bound',
            severity: 'error',
            category: 'bug',
            startLine: 12, // one off: the quote is on line 11
            endLine: 12,
            quote: LOOP,
            explanation: 'The last pass reads past the end.',
            fix: { startLine: 12, endLine: 12, replacement: FIXED_LOOP },
          },
        ],
      },
    });
    const settings = vscode.workspace.getConfiguration('thinklens');
    await settings.update('backend', 'local', vscode.ConfigurationTarget.Global);
    await settings.update('local.modelPath', model, vscode.ConfigurationTarget.Global);
    await settings.update('local.contextSize', 8192, vscode.ConfigurationTarget.Global);
    await settings.update('local.gpu', 'cpu', vscode.ConfigurationTarget.Global);
    // The tiny model is faster on one thread than on two busy cores.
    await settings.update('local.threads', 1, vscode.ConfigurationTarget.Global);
  });

  after(async () => {
    const settings = vscode.workspace.getConfiguration('thinklens');
    for (const key of ['backend', 'local.modelPath', 'local.contextSize', 'local.gpu', 'local.threads'])
      await settings.update(key, undefined, vscode.ConfigurationTarget.Global);
    await clearAllFindings();
  });

  it('streams the reasoning, places the finding and applies its fix', async () => {
    const api = await thinkLens();
    const file = join(dir, 'cart.ts');
    copyFileSync(join(vscode.extensions.getExtension(EXTENSION_ID)!.extensionPath, 'samples', 'src', 'cart.ts'), file);
    const editor = await vscode.window.showTextDocument(await vscode.workspace.openTextDocument(file));
    editor.selection = new vscode.Selection(8, 0, 14, 1);

    const outcome = await vscode.commands.executeCommand<RunOutcome>('thinklens.explainBug');
    assert.equal(outcome.error, undefined, outcome.error && `${outcome.error.kind}: ${outcome.error.message}`);
    assert.equal(api.panel.runView(outcome.runId!)?.reasoning, REASONING);

    const diagnostics = vscode.languages.getDiagnostics(editor.document.uri).filter((d) => d.source === 'ThinkLens');
    assert.equal(diagnostics.length, 1);
    assert.equal(editor.document.getText(diagnostics[0]!.range), LOOP);

    const actions =
      (await vscode.commands.executeCommand<vscode.CodeAction[]>(
        'vscode.executeCodeActionProvider',
        editor.document.uri,
        diagnostics[0]!.range,
      )) ?? [];
    const apply = actions.find((a) => a.title.startsWith('Apply fix'));
    assert.ok(apply?.command, `no Apply fix; got ${actions.map((a) => a.title).join(', ')}`);
    await vscode.commands.executeCommand(apply.command.command, ...(apply.command.arguments ?? []));
    assert.equal(editor.document.lineAt(10).text, FIXED_LOOP);
  });
});
