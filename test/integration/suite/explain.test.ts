// Explain this bug end to end inside real VS Code, against the replay server on loopback: the
// finding lands on the quoted code, the quick fix applies in one undo step, stale fixes are
// refused, other tools' diagnostics offer "Explain with ThinkLens", cancel keeps the trace.

import * as assert from 'node:assert/strict';
import { copyFileSync, mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import * as vscode from 'vscode';
import type { ThinkLensTestApi } from '../../../src/extension/extension';
import type { RunOutcome } from '../../../src/extension/runs';
import { deepseekStream, inlineThinkStream, startReplayServer, type ReplayServer } from '../../support/replayServer';
import { clearAllFindings, thinkLens } from './thinkLens';

const EXTENSION_ID = 'thinklens.thinklens';
const LOOP = 'for (let i = 0; i <= items.length; i++) {';
const FIXED_LOOP = '  for (let i = 0; i < items.length; i++) {';

interface ScriptedFinding {
  title: string;
  startLine: number;
  quote: string;
  fix?: { startLine: number; endLine: number; replacement: string };
  severity?: string;
}

function answerWith(findings: ScriptedFinding[]): string {
  const body = findings.map((f) => ({
    title: f.title,
    severity: f.severity ?? 'error',
    category: 'bug',
    startLine: f.startLine,
    endLine: f.startLine,
    quote: f.quote,
    explanation: `Because ${f.title.toLowerCase()}.`,
    ...(f.fix ? { fix: f.fix } : {}),
  }));
  return `Here is what is wrong.\n\n\`\`\`json\n${JSON.stringify({ summary: 'Found it.', findings: body }, null, 2)}\n\`\`\`\n`;
}

const REASONING =
  'Okay, let me look at the loop. The bound is i <= items.length, so the last pass reads items[items.length], which is undefined.';

let server: ReplayServer;
let api: ThinkLensTestApi;
let workDir: string;

async function openCart(): Promise<vscode.TextEditor> {
  const extension = vscode.extensions.getExtension(EXTENSION_ID)!;
  const file = join(workDir, `cart-${Date.now()}.ts`);
  copyFileSync(join(extension.extensionPath, 'samples', 'src', 'cart.ts'), file);
  const document = await vscode.workspace.openTextDocument(file);
  return vscode.window.showTextDocument(document);
}

/** Selects 1-based lines `start..end` of the editor. */
function selectLines(editor: vscode.TextEditor, start: number, end: number): void {
  editor.selection = new vscode.Selection(start - 1, 0, end - 1, editor.document.lineAt(end - 1).text.length);
}

const ours = (uri: vscode.Uri) => vscode.languages.getDiagnostics(uri).filter((d) => d.source === 'ThinkLens');

async function codeActions(uri: vscode.Uri, range: vscode.Range): Promise<vscode.CodeAction[]> {
  return (await vscode.commands.executeCommand<vscode.CodeAction[]>('vscode.executeCodeActionProvider', uri, range)) ?? [];
}

async function run(action: vscode.CodeAction): Promise<unknown> {
  assert.ok(action.command, `code action "${action.title}" has no command`);
  return vscode.commands.executeCommand(action.command.command, ...(action.command.arguments ?? []));
}

async function until(condition: () => boolean, what: string, ms = 10_000): Promise<void> {
  const end = Date.now() + ms;
  while (!condition()) {
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 25));
  }
}

describe('Explain this bug', function () {
  this.timeout(60_000);

  before(async () => {
    server = await startReplayServer();
    workDir = mkdtempSync(join(tmpdir(), 'thinklens-it-'));
    const settings = vscode.workspace.getConfiguration('thinklens');
    await settings.update('backend', 'openai-compatible', vscode.ConfigurationTarget.Global);
    await settings.update('baseUrl', server.baseUrl, vscode.ConfigurationTarget.Global);
    await settings.update('requestTimeoutSeconds', 10, vscode.ConfigurationTarget.Global);
    api = await thinkLens();
  });

  after(async () => {
    await clearAllFindings();
    await server?.close();
  });

  async function useModel(model: string): Promise<void> {
    await vscode.workspace.getConfiguration('thinklens').update('model', model, vscode.ConfigurationTarget.Global);
  }

  it('puts the finding on the quoted code even when the line number is off, and the fix applies in one undo step', async () => {
    await useModel('explain-basic');
    // The model claims line 14; the quote is on line 11.
    server.script('explain-basic', [
      deepseekStream({
        model: 'explain-basic',
        reasoning: REASONING,
        answer: answerWith([
          { title: 'Off-by-one in loop bound', startLine: 14, quote: LOOP, fix: { startLine: 14, endLine: 14, replacement: FIXED_LOOP } },
        ]),
        pieces: 7,
      }),
    ]);
    const editor = await openCart();
    const { document } = editor;
    const original = document.getText();
    selectLines(editor, 9, 15);

    const outcome = await vscode.commands.executeCommand<RunOutcome>('thinklens.explainBug');
    assert.equal(outcome.error, undefined, outcome.error?.message);
    assert.equal(outcome.findings.length, 1);

    const [diagnostic] = ours(document.uri);
    assert.ok(diagnostic, 'no ThinkLens diagnostic');
    assert.equal(diagnostic.range.start.line, 10, 'the squiggle is not on line 11');
    assert.equal(document.getText(diagnostic.range), LOOP, 'the squiggle does not cover exactly the quoted code');
    assert.equal(diagnostic.severity, vscode.DiagnosticSeverity.Error);
    assert.match(diagnostic.message, /Off-by-one/);

    // What went over the wire: one user turn, absolute line numbers, the selected code.
    const body = server.requests[server.requests.length - 1]!.body as { messages: { role: string; content: string }[] };
    assert.deepEqual(
      body.messages.map((m) => m.role),
      ['user'],
    );
    assert.match(body.messages[0]!.content, /11\s*\|\s*for \(let i = 0; i <= items\.length; i\+\+\) \{/);

    // The panel got the reasoning.
    const view = api.panel.runView(outcome.runId!);
    assert.equal(view?.reasoning, REASONING);

    const actions = await codeActions(document.uri, diagnostic.range);
    const apply = actions.find((a) => a.title.startsWith('Apply fix'));
    assert.ok(apply, `no Apply fix action; got ${actions.map((a) => a.title).join(', ')}`);
    assert.equal(apply.isPreferred, true);
    assert.ok(actions.some((a) => a.title === 'Show reasoning'));
    assert.ok(actions.some((a) => a.title === 'Dismiss'));
    await run(apply);

    assert.equal(document.lineAt(10).text, FIXED_LOOP);
    assert.equal(ours(document.uri).length, 0, 'the applied finding still shows');
    const listed = api.panel.runView(outcome.runId!)?.result?.findings ?? [];
    assert.deepEqual(
      listed.map((f) => [f.title, f.applied === true, f.hasFix]),
      [['Off-by-one in loop bound', true, false]],
      'the panel lost the applied finding',
    );
    assert.equal(document.getText().split('\n').length, original.split('\n').length, 'the fix changed other lines');

    await vscode.window.showTextDocument(document);
    await vscode.commands.executeCommand('undo');
    assert.equal(document.getText(), original, 'one undo did not restore the code');
  });

  it('moves a finding when lines are typed above it, and refuses its fix once the code inside changed', async () => {
    await useModel('explain-stale');
    server.script('explain-stale', [
      deepseekStream({
        model: 'explain-stale',
        reasoning: REASONING,
        answer: answerWith([
          { title: 'Off-by-one in loop bound', startLine: 11, quote: LOOP, fix: { startLine: 11, endLine: 11, replacement: FIXED_LOOP } },
        ]),
      }),
    ]);
    const editor = await openCart();
    selectLines(editor, 9, 15);
    const outcome = await vscode.commands.executeCommand<RunOutcome>('thinklens.explainBug');
    const [finding] = outcome.findings;
    assert.ok(finding);

    await editor.edit((b) => b.insert(new vscode.Position(0, 0), '// one\n// two\n'));
    const [moved] = ours(editor.document.uri);
    assert.equal(moved?.range.start.line, 12, 'the finding did not move down two lines');

    await editor.edit((b) => b.replace(new vscode.Range(12, 2, 12, 5), 'for '));
    const result = await vscode.commands.executeCommand<{ applied: boolean; reason?: string }>('thinklens.applyFix', finding.id);
    assert.equal(result.applied, false);
    assert.match(result.reason ?? '', /edited|changed/);
    assert.ok(!editor.document.getText().includes(FIXED_LOOP), 'a stale fix was applied');
    const actions = await codeActions(editor.document.uri, ours(editor.document.uri)[0]!.range);
    // VS Code leaves disabled actions out of this command's result; either way none may apply.
    const stale = actions.find((a) => a.title.startsWith('Apply fix'));
    assert.ok(!stale || (stale.disabled && !stale.command), 'a stale fix is still offered');
  });

  it('refuses a fix that reaches outside the selected code', async () => {
    await useModel('explain-outside');
    // Selected: cartTotal (lines 9-15). The fix tries to rewrite line 2, outside it.
    server.script('explain-outside', [
      deepseekStream({
        model: 'explain-outside',
        reasoning: REASONING,
        answer: answerWith([
          { title: 'Rewrite the header', startLine: 11, quote: LOOP, fix: { startLine: 1, endLine: 3, replacement: 'pwned();' } },
        ]),
      }),
    ]);
    const editor = await openCart();
    const before = editor.document.getText();
    selectLines(editor, 9, 15);
    const outcome = await vscode.commands.executeCommand<RunOutcome>('thinklens.explainBug');
    assert.equal(outcome.findings.length, 1, 'the finding itself should stay');
    const result = await vscode.commands.executeCommand<{ applied: boolean; reason?: string }>(
      'thinklens.applyFix',
      outcome.findings[0]!.id,
    );
    assert.equal(result.applied, false);
    const all = await vscode.commands.executeCommand<{ applied: string[] }>('thinklens.applyAllFixes', editor.document.uri);
    assert.deepEqual(all.applied, []);
    assert.equal(editor.document.getText(), before, 'an edit outside the analysed code was applied');
  });

  it('applies several fixes in one file at once, in one undo step', async () => {
    await useModel('explain-many');
    server.script('explain-many', [
      inlineThinkStream({
        model: 'explain-many',
        openTag: false,
        reasoning: REASONING,
        answer: answerWith([
          { title: 'Off-by-one in loop bound', startLine: 11, quote: LOOP, fix: { startLine: 11, endLine: 11, replacement: FIXED_LOOP } },
          {
            title: 'Percent used as a fraction',
            startLine: 19,
            quote: 'return total - total * percent;',
            fix: { startLine: 19, endLine: 19, replacement: '  return total - (total * percent) / 100;' },
          },
        ]),
      }),
    ]);
    const editor = await openCart();
    const original = editor.document.getText();
    selectLines(editor, 9, 20);
    const outcome = await vscode.commands.executeCommand<RunOutcome>('thinklens.reviewSelection');
    assert.equal(outcome.findings.length, 2);
    const fixAllActions = async () =>
      (
        (await vscode.commands.executeCommand<vscode.CodeAction[]>(
          'vscode.executeCodeActionProvider',
          editor.document.uri,
          new vscode.Range(0, 0, 0, 0),
          vscode.CodeActionKind.SourceFixAll.value,
        )) ?? []
      ).filter((a) => a.kind?.value === 'source.fixAll.thinklens');
    // Model edits never apply without a look unless the person opted in in user settings.
    assert.equal((await fixAllActions()).length, 0, 'source.fixAll.thinklens offered without the opt-in');
    const settings = vscode.workspace.getConfiguration('thinklens');
    await settings.update('fixAll.enabled', true, vscode.ConfigurationTarget.Global);
    let action: vscode.CodeAction | undefined;
    try {
      action = (await fixAllActions())[0];
    } finally {
      await settings.update('fixAll.enabled', undefined, vscode.ConfigurationTarget.Global);
    }
    assert.ok(action, 'no source.fixAll.thinklens action after opting in');
    await run(action);
    assert.equal(editor.document.lineAt(10).text, FIXED_LOOP);
    assert.equal(editor.document.lineAt(18).text, '  return total - (total * percent) / 100;');
    await vscode.window.showTextDocument(editor.document);
    await vscode.commands.executeCommand('undo');
    assert.equal(editor.document.getText(), original, 'one undo did not undo both fixes');
  });

  it('offers "Explain with ThinkLens" on another tool\'s diagnostic and sends its message', async () => {
    await useModel('explain-foreign');
    server.script('explain-foreign', [deepseekStream({ model: 'explain-foreign', reasoning: REASONING, answer: answerWith([]) })]);
    const editor = await openCart();
    const foreign = vscode.languages.createDiagnosticCollection('other-linter');
    try {
      const range = new vscode.Range(27, 2, 27, 50);
      const diagnostic = new vscode.Diagnostic(
        range,
        'Expected a conditional expression and instead saw an assignment.',
        vscode.DiagnosticSeverity.Warning,
      );
      diagnostic.source = 'eslint';
      foreign.set(editor.document.uri, [diagnostic]);
      const actions = await codeActions(editor.document.uri, range);
      const explain = actions.find((a) => a.title === 'Explain with ThinkLens');
      assert.ok(explain, `got ${actions.map((a) => a.title).join(', ')}`);
      const outcome = (await run(explain)) as RunOutcome;
      assert.equal(outcome.error, undefined);
      const body = server.requests[server.requests.length - 1]!.body as { messages: { content: string }[] };
      assert.match(body.messages[0]!.content, /instead saw an assignment/);
      assert.match(body.messages[0]!.content, /28\s*\|.*item\.sku = sku/);
    } finally {
      foreign.dispose();
    }
  });

  it('sends the enclosing code and the signatures of called workspace functions as reference', async () => {
    await useModel('explain-context');
    server.script('explain-context', [deepseekStream({ model: 'explain-context', reasoning: REASONING, answer: answerWith([]) })]);
    const editor = await openCart();
    selectLines(editor, 24, 24); // `return cartTotal(items) / count;` inside averageItemPrice
    const outcome = await vscode.commands.executeCommand<RunOutcome>('thinklens.explainBug');
    assert.equal(outcome.error, undefined);
    const prompt = (server.requests[server.requests.length - 1]!.body as { messages: { content: string }[] }).messages[0]!.content;
    assert.match(prompt, /signature of cartTotal/, "the called function's signature is missing");
    assert.match(prompt, /export function cartTotal\(items: LineItem\[\]\): number \{/);
    assert.match(prompt, /averageItemPrice/, 'the enclosing function is missing');
  });

  it('a follow-up sends the earlier answer but never its reasoning, and its findings replace the earlier ones', async () => {
    await useModel('explain-followup');
    const firstAnswer = answerWith([{ title: 'Off-by-one in loop bound', startLine: 11, quote: LOOP }]);
    server.script('explain-followup', [
      deepseekStream({ model: 'explain-followup', reasoning: REASONING, answer: firstAnswer }),
      deepseekStream({
        model: 'explain-followup',
        reasoning: 'They ask about empty carts. averageItemPrice divides by zero.',
        answer: answerWith([
          { title: 'Division by zero on an empty cart', startLine: 24, quote: 'return cartTotal(items) / count;', severity: 'warning' },
        ]),
      }),
    ]);
    const editor = await openCart();
    selectLines(editor, 9, 25);
    const first = await vscode.commands.executeCommand<RunOutcome>('thinklens.explainBug');
    assert.equal(first.findings.length, 1);
    const second = await vscode.commands.executeCommand<RunOutcome>('thinklens.followUp', first.runId, 'What happens with an empty cart?');
    assert.equal(second.error, undefined);

    const body = server.requests[server.requests.length - 1]!.body as { messages: { role: string; content: string }[] };
    assert.deepEqual(
      body.messages.map((m) => m.role),
      ['user', 'assistant', 'user'],
    );
    assert.equal(body.messages[1]!.content, firstAnswer.trim(), 'the earlier answer was not sent back as it was');
    assert.ok(!JSON.stringify(body).includes('Okay, let me look at the loop'), 'earlier reasoning was sent back');
    assert.match(body.messages[2]!.content, /empty cart/);

    // A Problems row reads "title: the explanation's first sentence".
    const messages = ours(editor.document.uri).map((d) => d.message);
    assert.deepEqual(messages, ['Division by zero on an empty cart: Because division by zero on an empty cart.']);
  });

  it('cancel stops the run and keeps the reasoning that arrived', async () => {
    await useModel('explain-cancel');
    server.script('explain-cancel', [
      deepseekStream({ model: 'explain-cancel', reasoning: REASONING.repeat(6), answer: answerWith([]), pieces: 60, delayMs: 100 }),
    ]);
    const editor = await openCart();
    selectLines(editor, 9, 15);
    const pending = vscode.commands.executeCommand<RunOutcome>('thinklens.explainBug');
    await until(() => api.runs.running, 'the run to start');
    const runId = api.runs.latestRunId()!;
    await until(() => (api.panel.runView(runId)?.reasoning.length ?? 0) > 20, 'some reasoning to arrive');
    await vscode.commands.executeCommand('thinklens.cancel');
    const outcome = await pending;
    assert.equal(outcome.cancelled, true);
    const kept = api.panel.runView(runId)?.reasoning ?? '';
    assert.ok(kept.length > 20 && kept.length < REASONING.repeat(6).length, `kept ${kept.length} characters`);
    assert.equal(ours(editor.document.uri).length, 0, 'a cancelled run published findings');
    assert.equal(api.runs.running, false);
  });
});
