// Provenance inside real VS Code: the hover on a ThinkLens squiggle shows the explanation, the fix
// as a diff, the passage of the reasoning behind it and "Open in panel"; the Problems message
// carries the explanation's first sentence.

import * as assert from 'node:assert/strict';
import { copyFileSync, mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import * as vscode from 'vscode';
import type { RunOutcome } from '../../../src/extension/runs';
import { deepseekStream, startReplayServer, type ReplayServer } from '../../support/replayServer';

const EXTENSION_ID = 'thinklens.thinklens';
const LOOP = 'for (let i = 0; i <= items.length; i++) {';
const FIXED_LOOP = '  for (let i = 0; i < items.length; i++) {';
const REASONING = [
  'Okay, the user wants the bug in this selection. Let me read the loop first.',
  '',
  'The loop header is for (let i = 0; i <= items.length; i++). With <= the index reaches items.length, so on the last pass items[i] is undefined and reading .price throws.',
  '',
  'What about an empty cart? Then the loop does not run and total is 0, so that is fine.',
].join('\n');
const ANSWER = `The loop reads past the end.\n\n\`\`\`json\n${JSON.stringify({
  summary: 'Off-by-one.',
  findings: [{
    title: 'Off-by-one in loop bound', severity: 'error', category: 'bug', confidence: 'high', startLine: 11, endLine: 11, quote: LOOP,
    explanation: 'On the last pass `items[i]` is undefined and reading `.price` throws. See [docs](command:workbench.action.openSettings).',
    fix: { startLine: 11, endLine: 11, replacement: FIXED_LOOP },
  }],
})}\n\`\`\`\n`;

let server: ReplayServer;

describe('Provenance', function () {
  // The whole run happens in the extension host, which a busy machine slows down.
  this.timeout(150_000);

  before(async () => {
    server = await startReplayServer();
    const settings = vscode.workspace.getConfiguration('thinklens');
    await settings.update('backend', 'openai-compatible', vscode.ConfigurationTarget.Global);
    await settings.update('baseUrl', server.baseUrl, vscode.ConfigurationTarget.Global);
    await settings.update('model', 'provenance', vscode.ConfigurationTarget.Global);
    await vscode.extensions.getExtension(EXTENSION_ID)!.activate();
  });

  after(async () => {
    await vscode.commands.executeCommand('thinklens.clearFindings', 'all', { confirmed: true });
    await server?.close();
  });

  it('the hover on the squiggle shows the explanation, the fix as a diff, the reasoning excerpt and Open in panel', async () => {
    server.script('provenance', [deepseekStream({ model: 'provenance', reasoning: REASONING, answer: ANSWER, pieces: 5 })]);
    const extension = vscode.extensions.getExtension(EXTENSION_ID)!;
    const file = join(mkdtempSync(join(tmpdir(), 'thinklens-prov-')), 'cart.ts');
    copyFileSync(join(extension.extensionPath, 'samples', 'src', 'cart.ts'), file);
    const editor = await vscode.window.showTextDocument(await vscode.workspace.openTextDocument(file));
    editor.selection = new vscode.Selection(8, 0, 14, editor.document.lineAt(14).text.length);
    const outcome = await vscode.commands.executeCommand<RunOutcome>('thinklens.explainBug');
    assert.equal(outcome.error, undefined, outcome.error?.message);

    const [diagnostic] = vscode.languages.getDiagnostics(editor.document.uri).filter((d) => d.source === 'ThinkLens');
    assert.ok(diagnostic, 'no ThinkLens diagnostic');
    assert.equal(diagnostic.message, 'Off-by-one in loop bound: On the last pass items[i] is undefined and reading .price throws.');

    const hovers = await vscode.commands.executeCommand<vscode.Hover[]>('vscode.executeHoverProvider', editor.document.uri, diagnostic.range.start.translate(0, 2));
    const text = hovers.flatMap((h) => h.contents.map((c) => (typeof c === 'string' ? c : c.value))).join('\n');
    assert.match(text, /\*\*Off-by-one in loop bound\*\*/);
    assert.match(text, /On the last pass `items\[i\]` is undefined/, 'the explanation');
    assert.match(text, /```diff\n- {3}for \(let i = 0; i <= items\.length; i\+\+\) \{\n\+ {3}for \(let i = 0; i < items\.length; i\+\+\) \{\n```/, 'the fix as a diff');
    assert.match(text, /From the reasoning[\s\S]*> The loop header is for/, 'the reasoning excerpt');
    assert.match(text, /Confidence high/);
    assert.match(text, /\[Open in panel\]\(command:thinklens\.showFinding\?/);
    assert.doesNotMatch(text, /command:workbench/, "the model's own command link is neutralized");
    const ours = hovers.flatMap((h) => h.contents).find((c): c is vscode.MarkdownString => typeof c !== 'string' && /Open in panel/.test(c.value));
    assert.ok(ours);
    assert.equal(ours.supportHtml, false);
    assert.deepEqual(ours.isTrusted, { enabledCommands: ['thinklens.showFinding'] });
  });
});
