// Check This Proof inside real VS Code on the LaTeX sample, against the replay server: the command
// is offered in the editor context menu of LaTeX and Markdown files, the model gets the referee's
// prompt, the flawed step is squiggled, and its fix writes the corrected line.

import * as assert from 'node:assert/strict';
import { copyFileSync, mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import * as vscode from 'vscode';
import type { ThinkLensTestApi } from '../../../src/extension/extension';
import type { RunOutcome } from '../../../src/extension/runs';
import { deepseekStream, startReplayServer, type ReplayServer } from '../../support/replayServer';
import { clearAllFindings } from './thinkLens';

const EXTENSION_ID = 'thinklens.thinklens';
const MODEL = 'proof-check';

describe('Check This Proof', function () {
  this.timeout(60_000);
  let server: ReplayServer;
  let api: ThinkLensTestApi;
  let extensionPath: string;

  before(async () => {
    server = await startReplayServer();
    const settings = vscode.workspace.getConfiguration('thinklens');
    await settings.update('backend', 'openai-compatible', vscode.ConfigurationTarget.Global);
    await settings.update('baseUrl', server.baseUrl, vscode.ConfigurationTarget.Global);
    await settings.update('model', MODEL, vscode.ConfigurationTarget.Global);
    const extension = vscode.extensions.getExtension<ThinkLensTestApi | undefined>(EXTENSION_ID)!;
    extensionPath = extension.extensionPath;
    api = (await extension.activate())!;
  });

  after(async () => {
    await clearAllFindings();
    await server?.close();
  });

  it('is in the editor context menu of LaTeX and Markdown files only', () => {
    const menu: { command: string; when?: string }[] =
      vscode.extensions.getExtension(EXTENSION_ID)!.packageJSON.contributes.menus['editor/context'];
    const entry = menu.find((m) => m.command === 'thinklens.checkProof');
    assert.ok(entry?.when, 'Check This Proof is not in the editor context menu');
    const offered = (languageId: string) => new RegExp(/=~ \/(.*)\/$/.exec(entry.when!)![1]!).test(languageId);
    assert.ok(offered('latex') && offered('markdown') && offered('tex'));
    assert.ok(!offered('typescript') && !offered('lean'));
  });

  it('checks the .tex sample: referee prompt, the wrong step squiggled, the fix writes the corrected line', async () => {
    const raw = readFileSync(join(extensionPath, 'test', 'fixtures', 'proofs', 'odd-sum.r1.txt'), 'utf8');
    const [, reasoning, answer] = /^<think>\n([\s\S]*?)\n<\/think>\n\n([\s\S]*)$/.exec(raw)!;
    server.script(MODEL, [deepseekStream({ model: MODEL, reasoning: reasoning!, answer: answer!, pieces: 9 })]);
    const file = join(mkdtempSync(join(tmpdir(), 'thinklens-proof-')), 'odd-sum.tex');
    copyFileSync(join(extensionPath, 'samples', 'proofs', 'odd-sum.tex'), file);
    const document = await vscode.workspace.openTextDocument(file);
    const editor = await vscode.window.showTextDocument(document);
    assert.equal(document.languageId, 'latex', 'VS Code reads .tex as LaTeX');
    editor.selection = new vscode.Selection(11, 0, 18, document.lineAt(18).text.length);

    const outcome = await vscode.commands.executeCommand<RunOutcome>('thinklens.checkProof');
    assert.equal(outcome.error, undefined, outcome.error?.message);
    assert.equal(outcome.findings.length, 1);

    const prompt = (server.requests[server.requests.length - 1]!.body as { messages: { content: string }[] }).messages[0]!.content;
    assert.match(prompt, /Check the proof in this LaTeX document/);
    assert.match(prompt, /circular arguments/);
    assert.match(prompt, /16 \|\s+1 \+ 3 \+ \\dots \+ \(2k-1\) \+ \(2k\+1\) = k\^2 \+ 2k \+ 1 = \(k\+2\)\^2 - 3,/);
    assert.equal(api.panel.runView(outcome.runId!)?.reasoning, reasoning);

    const diagnostics = vscode.languages.getDiagnostics(document.uri).filter((d) => d.source === 'ThinkLens');
    assert.equal(diagnostics.length, 1);
    const [diagnostic] = diagnostics;
    assert.equal(diagnostic!.range.start.line, 15, 'the squiggle is on the wrong step (line 16)');
    assert.equal(document.getText(diagnostic!.range), 'k^2 + 2k + 1 = (k+2)^2 - 3');
    assert.equal(diagnostic!.severity, vscode.DiagnosticSeverity.Error);

    const actions =
      (await vscode.commands.executeCommand<vscode.CodeAction[]>('vscode.executeCodeActionProvider', document.uri, diagnostic!.range)) ??
      [];
    const apply = actions.find((a) => a.title.startsWith('Apply fix'));
    assert.ok(apply?.command, `no Apply fix action; got ${actions.map((a) => a.title).join(', ')}`);
    await vscode.commands.executeCommand(apply.command.command, ...(apply.command.arguments ?? []));
    assert.equal(document.lineAt(15).text, '  1 + 3 + \\dots + (2k-1) + (2k+1) = k^2 + 2k + 1 = (k+1)^2,');
    assert.equal(document.lineAt(14).text, '\\[', 'the lines around the fix are unchanged');
    assert.equal(document.lineAt(16).text, '\\]');
  });
});
