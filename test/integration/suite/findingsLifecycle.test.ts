// Findings as a person lives with them in real VS Code: a rerun replaces the findings of the code
// it covered (one Problems row after three runs), an undo after Apply fix brings the finding back
// in the editor and the panel, the diagnostic's code is readable and still leads to its finding,
// and Clear Findings is scoped and keeps the panel honest.

import * as assert from 'node:assert/strict';
import { copyFileSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import * as vscode from 'vscode';
import type { ThinkLensTestApi } from '../../../src/extension/extension';
import type { RunOutcome } from '../../../src/extension/runs';
import { deepseekStream, startReplayServer, type ReplayServer } from '../../support/replayServer';
import { clearAllFindings, thinkLens } from './thinkLens';

const EXTENSION_ID = 'thinklens.thinklens';
const LOOP = 'for (let i = 0; i <= items.length; i++) {';
const FIXED_LOOP = '  for (let i = 0; i < items.length; i++) {';
const DISCOUNT = 'return total - total * percent;';

function answer(findings: { title: string; line: number; quote: string; fix?: string; category?: string }[]): string {
  const body = findings.map((f) => ({
    title: f.title,
    severity: 'error',
    category: f.category ?? 'bug',
    startLine: f.line,
    endLine: f.line,
    quote: f.quote,
    explanation: `Because ${f.title.toLowerCase()}.`,
    ...(f.fix ? { fix: { startLine: f.line, endLine: f.line, replacement: f.fix } } : {}),
  }));
  return `Here is what is wrong.\n\n\`\`\`json\n${JSON.stringify({ summary: 'Found it.', findings: body }, null, 2)}\n\`\`\`\n`;
}

const offByOne = { title: 'Off-by-one in loop bound', line: 11, quote: LOOP, fix: FIXED_LOOP };
const percent = { title: 'Percent used as a fraction', line: 19, quote: DISCOUNT, fix: '  return total - (total * percent) / 100;' };

let server: ReplayServer;
let api: ThinkLensTestApi;
let workDir: string;

async function openCart(): Promise<vscode.TextEditor> {
  const extension = vscode.extensions.getExtension(EXTENSION_ID)!;
  const file = join(workDir, `cart-${Date.now()}-${Math.random().toString(36).slice(2, 6)}.ts`);
  copyFileSync(join(extension.extensionPath, 'samples', 'src', 'cart.ts'), file);
  return vscode.window.showTextDocument(await vscode.workspace.openTextDocument(file));
}

function selectLines(editor: vscode.TextEditor, start: number, end: number): void {
  editor.selection = new vscode.Selection(start - 1, 0, end - 1, editor.document.lineAt(end - 1).text.length);
}

const ours = (uri: vscode.Uri) => vscode.languages.getDiagnostics(uri).filter((d) => d.source === 'ThinkLens');

async function script(model: string, answers: string[]): Promise<void> {
  server.script(
    model,
    answers.map((a) => deepseekStream({ model, reasoning: 'Let me look at the loop bound.', answer: a })),
  );
  await vscode.workspace.getConfiguration('thinklens').update('model', model, vscode.ConfigurationTarget.Global);
}

async function explain(editor: vscode.TextEditor, start: number, end: number, command = 'thinklens.explainBug'): Promise<RunOutcome> {
  await vscode.window.showTextDocument(editor.document);
  selectLines(editor, start, end);
  const outcome = await vscode.commands.executeCommand<RunOutcome>(command);
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

describe('Findings lifecycle', function () {
  // The first run in a fresh window pays for loading the extension host's modules.
  this.timeout(120_000);

  before(async () => {
    server = await startReplayServer();
    workDir = mkdtempSync(join(tmpdir(), 'thinklens-lifecycle-'));
    const settings = vscode.workspace.getConfiguration('thinklens');
    await settings.update('backend', 'openai-compatible', vscode.ConfigurationTarget.Global);
    await settings.update('baseUrl', server.baseUrl, vscode.ConfigurationTarget.Global);
    await settings.update('requestTimeoutSeconds', 10, vscode.ConfigurationTarget.Global);
    api = await thinkLens();
  });

  after(async () => {
    api.findings.clear();
    await server?.close();
  });

  it('three reruns over the same code leave one Problems row, and the earlier cards say their finding was replaced', async () => {
    await script('lifecycle-rerun', [answer([offByOne]), answer([offByOne]), answer([offByOne])]);
    const editor = await openCart();
    const first = await explain(editor, 9, 15);
    const second = await vscode.commands.executeCommand<RunOutcome>('thinklens.explainBug');
    // A rerun from the panel goes through the run controller, as the card's button does.
    const third = await api.runs.rerun(second.runId!);
    assert.equal(third.error, undefined);
    const rows = ours(editor.document.uri);
    assert.equal(rows.length, 1, `Problems has ${rows.length} rows: ${rows.map((d) => d.message).join(' | ')}`);
    const firstCard = api.panel.runView(first.runId!)?.result?.findings ?? [];
    assert.deepEqual(
      firstCard.map((f) => f.withdrawn),
      ['replaced'],
      "the first run's card does not say its finding was replaced",
    );
    assert.equal(api.panel.runView(third.runId!)?.result?.findings[0]?.withdrawn, undefined);
  });

  it('a run over other lines of the file keeps the findings outside its range', async () => {
    await script('lifecycle-range', [answer([offByOne]), answer([percent])]);
    const editor = await openCart();
    await explain(editor, 9, 15);
    await explain(editor, 17, 20);
    // A Problems row reads "title: the explanation's first sentence".
    assert.deepEqual(
      ours(editor.document.uri)
        .map((d) => d.message)
        .sort(),
      ['Off-by-one in loop bound: Because off-by-one in loop bound.', 'Percent used as a fraction: Because percent used as a fraction.'],
    );
  });

  it('a review of the whole file replaces the findings of the file', async () => {
    await script('lifecycle-file', [answer([offByOne]), answer([percent]), answer([offByOne, percent])]);
    const editor = await openCart();
    await explain(editor, 9, 15);
    await explain(editor, 17, 20);
    const review = await vscode.commands.executeCommand<RunOutcome>('thinklens.reviewFile', editor.document.uri);
    assert.equal(review.findings.length, 2);
    assert.equal(ours(editor.document.uri).length, 2, 'the file review did not replace the earlier findings');
    assert.match(
      api.panel.runView(review.runId!)?.header.title ?? '',
      /^Review file: .*cart-.*\.ts:1-\d+$/,
      'the run title does not say it reviewed the file',
    );
  });

  it('gives the diagnostic a readable code that still leads to its finding', async () => {
    await script('lifecycle-code', [answer([{ ...offByOne, category: 'edge-case' }])]);
    const editor = await openCart();
    const outcome = await explain(editor, 9, 15);
    const [diagnostic] = ours(editor.document.uri);
    assert.ok(diagnostic);
    const code = diagnostic.code as { value: string | number; target: vscode.Uri };
    assert.equal(code.value, 'edge-case', 'the code should read like a rule, not an internal key');
    assert.ok(!/^F\d+$/.test(String(code.value)));
    assert.equal(code.target.scheme, 'command');
    assert.equal(api.findings.forDiagnostic(editor.document.uri, diagnostic)?.id, outcome.findings[0]!.id);
    const actions =
      (await vscode.commands.executeCommand<vscode.CodeAction[]>(
        'vscode.executeCodeActionProvider',
        editor.document.uri,
        diagnostic.range,
      )) ?? [];
    assert.ok(
      actions.some((a) => a.title.startsWith('Apply fix')),
      `no Apply fix action; got ${actions.map((a) => a.title).join(', ')}`,
    );
  });

  it('undo after Apply fix brings the finding back with its fix, in the editor and the panel; redo applies it again', async () => {
    await script('lifecycle-undo', [answer([offByOne])]);
    const editor = await openCart();
    const outcome = await explain(editor, 9, 15);
    const id = outcome.findings[0]!.id;
    const original = editor.document.getText();
    const applied = await vscode.commands.executeCommand<{ applied: boolean }>('thinklens.applyFix', id);
    assert.equal(applied.applied, true);
    assert.equal(ours(editor.document.uri).length, 0);

    await vscode.window.showTextDocument(editor.document);
    await vscode.commands.executeCommand('undo');
    assert.equal(editor.document.getText(), original);
    await until(() => ours(editor.document.uri).length === 1, 'the finding to come back after undo');
    const [back] = ours(editor.document.uri);
    assert.equal(editor.document.getText(back!.range), LOOP, 'the restored squiggle is not on the loop');
    const view = api.panel.runView(outcome.runId!)?.result?.findings[0];
    assert.equal(view?.applied, undefined, 'the panel still says "Fix applied"');
    assert.equal(view?.hasFix, true, 'the panel has no Apply fix after undo');
    const actions =
      (await vscode.commands.executeCommand<vscode.CodeAction[]>('vscode.executeCodeActionProvider', editor.document.uri, back!.range)) ??
      [];
    const apply = actions.find((a) => a.title.startsWith('Apply fix'));
    assert.ok(apply?.command && !apply.disabled, 'the quick fix did not come back');

    await vscode.commands.executeCommand('redo');
    assert.equal(editor.document.lineAt(10).text, FIXED_LOOP);
    await until(() => ours(editor.document.uri).length === 0, 'the finding to settle again after redo');
    assert.equal(api.panel.runView(outcome.runId!)?.result?.findings[0]?.applied, true);

    // And applying it again from the restored state works.
    await vscode.commands.executeCommand('undo');
    await until(() => ours(editor.document.uri).length === 1, 'the finding to come back after a second undo');
    const again = await vscode.commands.executeCommand<{ applied: boolean }>('thinklens.applyFix', id);
    assert.equal(again.applied, true);
    assert.equal(editor.document.lineAt(10).text, FIXED_LOOP);
  });

  it('shows the fix before it is applied: the diff in the card, and "Apply fix…" through VS Code\'s refactor preview', async () => {
    await script('lifecycle-preview', [answer([offByOne])]);
    const editor = await openCart();
    const outcome = await explain(editor, 9, 15);
    const card = api.panel.runView(outcome.runId!)?.result?.findings[0];
    assert.deepEqual(card?.fix, { startLine: 11, removed: `  ${LOOP}`, added: FIXED_LOOP }, 'the card does not carry the proposed change');
    const [diagnostic] = ours(editor.document.uri);
    const actions =
      (await vscode.commands.executeCommand<vscode.CodeAction[]>(
        'vscode.executeCodeActionProvider',
        editor.document.uri,
        diagnostic!.range,
      )) ?? [];
    assert.ok(
      actions.some((a) => a.title === 'Apply fix…: Off-by-one in loop bound' && a.command?.command === 'thinklens.previewFix'),
      `no "Apply fix…"; got ${actions.map((a) => a.title).join(', ')}`,
    );
    const pending = vscode.commands.executeCommand<{ applied: boolean; reason?: string }>('thinklens.previewFix', outcome.findings[0]!.id);
    // Nothing changes until the person confirms the change in the refactor preview; discarding it keeps the code and the finding.
    await new Promise((r) => setTimeout(r, 1500));
    assert.equal(editor.document.lineAt(10).text, `  ${LOOP}`, 'the fix was applied without confirmation');
    const end = Date.now() + 15_000;
    let settled = false;
    void Promise.resolve(pending).then(() => (settled = true));
    while (!settled && Date.now() < end) {
      await vscode.commands.executeCommand('refactorPreview.discard').then(undefined, () => undefined);
      await new Promise((r) => setTimeout(r, 300));
    }
    const result = await pending;
    assert.equal(result.applied, false);
    assert.match(result.reason ?? '', /not confirmed/);
    assert.equal(editor.document.lineAt(10).text, `  ${LOOP}`);
    assert.equal(ours(editor.document.uri).length, 1, 'a discarded preview removed the finding');
  });

  it('"Apply fix…" then Apply in the refactor preview applies the fix: the preview opens with the fix checked', async () => {
    await script('lifecycle-preview-apply', [answer([offByOne])]);
    const editor = await openCart();
    const outcome = await explain(editor, 9, 15);
    const pending = vscode.commands.executeCommand<{ applied: boolean; reason?: string }>('thinklens.previewFix', outcome.findings[0]!.id);
    let settled = false;
    void Promise.resolve(pending).then(() => (settled = true));
    // Apply Refactoring, as the person presses it once the preview is there (it does nothing before).
    const end = Date.now() + 15_000;
    while (!settled && Date.now() < end) {
      await vscode.commands.executeCommand('refactorPreview.apply').then(undefined, () => undefined);
      await new Promise((r) => setTimeout(r, 300));
    }
    assert.ok(settled, 'Apply in the refactor preview did not finish the preview (its fix was not checked)');
    const result = await pending;
    assert.deepEqual(result, { applied: true });
    assert.equal(editor.document.lineAt(10).text, FIXED_LOOP, 'the previewed fix was not applied');
    assert.equal(editor.document.getText().includes(LOOP), false);
    await until(() => ours(editor.document.uri).length === 0, 'the applied finding to leave the editor');
    assert.equal(api.panel.runView(outcome.runId!)?.result?.findings[0]?.applied, true, 'the card does not say the fix was applied');
  });

  it('a change from outside the editor (git pull, a formatter) re-anchors each finding on its quote; a finding whose code is gone keeps its own line, greyed', async () => {
    await script('lifecycle-outside', [answer([offByOne, percent])]);
    const editor = await openCart();
    const outcome = await explain(editor, 9, 20);
    assert.equal(ours(editor.document.uri).length, 2);
    // As a shell would: a line inserted above, the discount line rewritten, the last function changed.
    const lines = editor.document.getText().split('\n');
    lines[2] = '// Line items as the checkout sends them.\nexport interface LineItem {';
    lines[18] = '  return total - (total * percent) / 100;';
    lines[27] = '  return items.find((item) => item.sku === sku);';
    const changed = lines.join('\n');
    writeFileSync(editor.document.uri.fsPath, changed);
    // VS Code reloads a clean document when its file changes; a revert asks it to read the file now.
    const end = Date.now() + 15_000;
    while (editor.document.getText() !== changed && Date.now() < end) {
      await vscode.window.showTextDocument(editor.document);
      await vscode.commands.executeCommand('workbench.action.files.revert');
      await new Promise((r) => setTimeout(r, 250));
    }
    assert.equal(editor.document.getText(), changed, 'VS Code did not reload the file');
    assert.equal(editor.document.isDirty, false);
    await until(() => ours(editor.document.uri).some((d) => d.range.start.line === 11), 'the off-by-one finding to follow its line');
    const [loop, discount] = [...ours(editor.document.uri)].sort((a, b) => a.range.start.line - b.range.start.line);
    // The untouched finding moved down one line with its code, whole and red, without a note.
    assert.equal(loop!.range.start.line, 11);
    assert.equal(loop!.range.end.line, 11, `the loop finding spans lines ${loop!.range.start.line + 1}-${loop!.range.end.line + 1}`);
    assert.equal(loop!.severity, vscode.DiagnosticSeverity.Error);
    assert.doesNotMatch(loop!.message, /changed|edited/);
    // The one whose quoted code is gone keeps its own line, greyed, and says why; never the whole file.
    assert.equal(discount!.range.start.line, 18);
    assert.equal(
      discount!.range.end.line,
      18,
      `the discount finding spans lines ${discount!.range.start.line + 1}-${discount!.range.end.line + 1}`,
    );
    assert.deepEqual(discount!.tags, [vscode.DiagnosticTag.Unnecessary]);
    assert.match(discount!.message, /changed since the review/);
    // The moved finding's fix still applies, on its new line.
    const applied = await vscode.commands.executeCommand<{ applied: boolean; reason?: string }>(
      'thinklens.applyFix',
      outcome.findings[0]!.id,
    );
    assert.deepEqual(applied, { applied: true });
    assert.equal(editor.document.lineAt(11).text, FIXED_LOOP);
  });

  it('Clear Findings in this file leaves other files alone and the card says the findings were cleared', async () => {
    await script('lifecycle-clear', [answer([offByOne]), answer([offByOne])]);
    const a = await openCart();
    const runA = await explain(a, 9, 15);
    const b = await openCart();
    await explain(b, 9, 15);
    await vscode.window.showTextDocument(a.document);
    await vscode.commands.executeCommand('thinklens.clearFindings', 'file');
    assert.equal(ours(a.document.uri).length, 0);
    assert.equal(ours(b.document.uri).length, 1, 'clearing one file cleared another');
    const card = api.panel.runView(runA.runId!)?.result?.findings ?? [];
    assert.deepEqual(
      card.map((f) => f.withdrawn),
      ['cleared'],
      'the card does not say the finding was cleared',
    );
    // Workspace-wide clear asks first; a test cannot click a modal, so the confirmed form is used.
    await clearAllFindings();
    assert.equal(ours(b.document.uri).length, 0);
  });
});
