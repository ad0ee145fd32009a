// The editor's memory of findings in real VS Code: a finding the person dismissed stays out of the
// editor and the open list of the card on a rerun and a follow-up with the same fingerprint, even
// after lines were inserted above it; "Show dismissed" brings it back (and hides it again); Undismiss
// forgets the dismissal; a helpful / not helpful mark survives a rerun and is in the export.

import * as assert from 'node:assert/strict';
import { copyFileSync, mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import * as vscode from 'vscode';
import type { ThinkLensTestApi } from '../../../src/extension/extension';
import type { RunOutcome } from '../../../src/extension/runs';
import { runToJson, runToMarkdown } from '../../../src/extension/panel/traceExport';
import { deepseekStream, startReplayServer, type ReplayServer } from '../../support/replayServer';
import { thinkLens } from './thinkLens';

const EXTENSION_ID = 'thinklens.thinklens';
const LOOP = 'for (let i = 0; i <= items.length; i++) {';
const REASONING = `Let me look at the loop bound. The loop \`${LOOP}\` runs one step too far: an off-by-one in the loop bound.`;

/** An answer naming the off-by-one at `line` (where the loop is in the file the model saw). */
function offByOneAt(line: number): string {
  const finding = {
    title: 'Off-by-one in loop bound',
    severity: 'error',
    category: 'bug',
    confidence: 'high',
    startLine: line,
    endLine: line,
    quote: LOOP,
    explanation: 'Because the loop reads one element past the end.',
  };
  return `Here is what is wrong.\n\n\`\`\`json\n${JSON.stringify({ summary: 'Found it.', findings: [finding] }, null, 2)}\n\`\`\`\n`;
}

/** Where a slow run got to, in the run log (the runner prints the extension host's console). */
const step = (what: string) => console.log(`finding memory: ${what}`);

let server: ReplayServer;
let api: ThinkLensTestApi;
let workDir: string;

const ours = (uri: vscode.Uri) => vscode.languages.getDiagnostics(uri).filter((d) => d.source === 'ThinkLens');

async function openCart(): Promise<vscode.TextEditor> {
  const extension = vscode.extensions.getExtension(EXTENSION_ID)!;
  const file = join(workDir, `cart-${Date.now()}-${Math.random().toString(36).slice(2, 6)}.ts`);
  copyFileSync(join(extension.extensionPath, 'samples', 'src', 'cart.ts'), file);
  return vscode.window.showTextDocument(await vscode.workspace.openTextDocument(file));
}

async function script(model: string, answers: string[]): Promise<void> {
  server.script(
    model,
    answers.map((a) => deepseekStream({ model, reasoning: REASONING, answer: a })),
  );
  await vscode.workspace.getConfiguration('thinklens').update('model', model, vscode.ConfigurationTarget.Global);
}

async function explain(editor: vscode.TextEditor, start: number, end: number): Promise<RunOutcome> {
  await vscode.window.showTextDocument(editor.document);
  editor.selection = new vscode.Selection(start - 1, 0, end - 1, editor.document.lineAt(end - 1).text.length);
  const outcome = await vscode.commands.executeCommand<RunOutcome>('thinklens.explainBug');
  assert.equal(outcome.error, undefined, outcome.error?.message);
  return outcome;
}

async function until(condition: () => boolean, what: string, ms = 5_000): Promise<void> {
  const end = Date.now() + ms;
  while (!condition()) {
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 25));
  }
}

describe('Finding memory', function () {
  // Five runs in a fresh window on a loaded machine; each waits for a condition, never a duration.
  this.timeout(300_000);

  before(async () => {
    server = await startReplayServer();
    workDir = mkdtempSync(join(tmpdir(), 'thinklens-memory-'));
    const settings = vscode.workspace.getConfiguration('thinklens');
    await settings.update('backend', 'openai-compatible', vscode.ConfigurationTarget.Global);
    await settings.update('baseUrl', server.baseUrl, vscode.ConfigurationTarget.Global);
    await settings.update('requestTimeoutSeconds', 10, vscode.ConfigurationTarget.Global);
    api = await thinkLens();
  });

  afterEach(async () => {
    await vscode.commands.executeCommand('thinklens.hideDismissedFindings');
  });

  after(async () => {
    api.findings.clear();
    await server?.close();
  });

  it('a dismissed finding stays dismissed on a rerun and a follow-up with the same fingerprint, even after lines were inserted above it; Show dismissed brings it back', async () => {
    await script('memory-dismiss', [offByOneAt(11), offByOneAt(14), offByOneAt(14), offByOneAt(14)]);
    const editor = await openCart();
    step('first run');
    const first = await explain(editor, 9, 15);
    const [found] = first.findings;
    assert.ok(found, 'the first run found nothing');
    assert.equal(ours(editor.document.uri).length, 1);
    await vscode.commands.executeCommand('thinklens.dismissFinding', found.id);
    assert.equal(ours(editor.document.uri).length, 0, 'Dismiss left the diagnostic');

    // Three lines above the loop: its line number changes, its fingerprint must not.
    await editor.edit((edit) => edit.insert(new vscode.Position(0, 0), '// one\n// two\n// three\n'));
    step('rerun after lines were inserted');
    const rerun = await explain(editor, 12, 18);
    const [again] = rerun.findings;
    assert.ok(again, 'the rerun found nothing');
    assert.equal(again.finding.fingerprint, found.finding.fingerprint, 'the fingerprint changed when lines were inserted above');
    assert.equal(editor.document.getText(again.range), LOOP, 'the rerun placed its finding elsewhere');
    assert.deepEqual(
      ours(editor.document.uri).map((d) => d.message),
      [],
      'the dismissed finding came back as a diagnostic',
    );
    const card = api.panel.runView(rerun.runId!)?.result?.findings ?? [];
    assert.deepEqual(
      card.map((f) => [f.dismissed, f.dismissedBefore]),
      [[true, true]],
      'the card does not say the finding was dismissed before',
    );

    // A follow-up that names it again keeps it hidden too.
    step('follow-up');
    const followUp = await api.runs.followUp(rerun.runId!, 'Is there anything else?');
    assert.equal(followUp.error, undefined, followUp.error?.message);
    assert.equal(ours(editor.document.uri).length, 0, 'the follow-up brought the dismissed finding back');
    assert.equal(api.panel.runView(followUp.runId!)?.result?.findings[0]?.dismissedBefore, true);

    step('show dismissed');
    await vscode.commands.executeCommand('thinklens.showDismissedFindings');
    await until(() => ours(editor.document.uri).length === 1, 'Show dismissed to bring the diagnostic back');
    const [shown] = ours(editor.document.uri);
    assert.equal(editor.document.getText(shown!.range), LOOP, 'the shown finding is not on the loop');
    assert.match(shown!.message, /dismissed/);
    const actions =
      (await vscode.commands.executeCommand<vscode.CodeAction[]>('vscode.executeCodeActionProvider', editor.document.uri, shown!.range)) ??
      [];
    assert.ok(
      actions.some((a) => a.title === 'Undismiss'),
      `no Undismiss quick fix; got ${actions.map((a) => a.title).join(', ')}`,
    );

    step('hide dismissed');
    await vscode.commands.executeCommand('thinklens.hideDismissedFindings');
    await until(() => ours(editor.document.uri).length === 0, 'Hide dismissed to hide it again');

    // Undismiss forgets it: the finding is open again, and a later run shows it as new.
    const followUpFinding = api.findings.tracked(editor.document.uri).find((f) => f.runId === followUp.runId)!;
    await vscode.commands.executeCommand('thinklens.undismissFinding', followUpFinding.id);
    await until(() => ours(editor.document.uri).length === 1, 'Undismiss to bring the diagnostic back');
    step('run after Undismiss');
    const last = await explain(editor, 12, 18);
    assert.equal(ours(editor.document.uri).length, 1);
    assert.equal(api.panel.runView(last.runId!)?.result?.findings[0]?.dismissed, undefined);
  });

  it('a helpful mark survives a rerun and is in the export, with the evidence text and the fingerprint', async () => {
    await script('memory-feedback', [offByOneAt(11), offByOneAt(11)]);
    const editor = await openCart();
    const first = await explain(editor, 9, 15);
    const id = first.findings[0]!.id;
    await vscode.commands.executeCommand('thinklens.markFinding', id, 'helpful');
    await until(() => api.panel.runView(first.runId!)?.result?.findings[0]?.feedback === 'helpful', 'the card to show the mark');

    const rerun = await explain(editor, 9, 15);
    const view = api.panel.runView(rerun.runId!)!;
    assert.equal(view.result?.findings[0]?.feedback, 'helpful', 'the mark did not survive the rerun');
    const exported = runToJson(view).findings[0]!;
    assert.equal(exported.feedback, 'helpful');
    assert.equal(exported.fingerprint, first.findings[0]!.finding.fingerprint);
    assert.equal(exported.confidence, 'high');
    assert.ok(exported.evidence.length > 0, 'the export has no evidence passages');
    for (const passage of exported.evidence) assert.equal(passage.text, view.reasoning.slice(passage.start, passage.end));
    assert.match(runToMarkdown(view), /Your mark: helpful/);

    // Clearing the mark is stored too.
    await vscode.commands.executeCommand('thinklens.markFinding', rerun.findings[0]!.id, 'none');
    await until(() => api.panel.runView(rerun.runId!)?.result?.findings[0]?.feedback === undefined, 'the mark to clear');
  });
});
