// A review over several files gets an overview in the panel (each file, its state, its findings,
// its run); Export saves the whole conversation outside the workspace, in the folder used last,
// and offers to open what it saved.

import * as assert from 'node:assert/strict';
import { copyFileSync, existsSync, mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { homedir, tmpdir } from 'node:os';
import { join } from 'node:path';
import * as vscode from 'vscode';
import type { ThinkLensTestApi } from '../../../src/extension/extension';
import type { RunOutcome } from '../../../src/extension/runs';
import { deepseekStream, startReplayServer, type ReplayServer } from '../../support/replayServer';
import { clearAllFindings, thinkLens } from './thinkLens';

const EXTENSION_ID = 'thinklens.thinklens';
const MODEL = 'batch-export';
const LOOP = 'for (let i = 0; i <= items.length; i++) {';

const answer = (findings: object[]) =>
  `Checked it.\n\n\`\`\`json\n${JSON.stringify({ summary: findings.length ? 'One bug.' : 'Nothing wrong.', findings })}\n\`\`\`\n`;
const offByOne = {
  title: 'Loop reads past the end',
  severity: 'error',
  category: 'bug',
  startLine: 11,
  endLine: 11,
  quote: LOOP,
  explanation: 'The bound should be i < items.length.',
};

async function until(condition: () => boolean | Promise<boolean>, what: string, ms = 90_000, act?: () => Thenable<unknown>): Promise<void> {
  const end = Date.now() + ms;
  while (!(await condition())) {
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    if (act) await act();
    await new Promise((r) => setTimeout(r, 100));
  }
}

describe('Batch reviews and export', function () {
  this.timeout(300_000);
  let server: ReplayServer;
  let api: ThinkLensTestApi;
  let workDir: string;

  async function sampleCopy(name: string): Promise<vscode.Uri> {
    const file = join(workDir, `${name}-${Date.now()}.ts`);
    copyFileSync(join(vscode.extensions.getExtension(EXTENSION_ID)!.extensionPath, 'samples', 'src', 'cart.ts'), file);
    return vscode.Uri.file(file);
  }

  before(async () => {
    server = await startReplayServer();
    workDir = mkdtempSync(join(tmpdir(), 'thinklens-batch-'));
    const settings = vscode.workspace.getConfiguration('thinklens');
    await settings.update('backend', 'openai-compatible', vscode.ConfigurationTarget.Global);
    await settings.update('baseUrl', server.baseUrl, vscode.ConfigurationTarget.Global);
    await settings.update('model', MODEL, vscode.ConfigurationTarget.Global);
    api = await thinkLens();
  });

  after(async () => {
    await clearAllFindings();
    await server?.close();
  });

  it('a review over several files shows every file with its state, findings and run', async () => {
    server.script(MODEL, [
      deepseekStream({ model: MODEL, reasoning: 'First file.', answer: answer([offByOne]) }),
      deepseekStream({ model: MODEL, reasoning: 'Second file.', answer: answer([]) }),
    ]);
    const files = [await sampleCopy('one'), await sampleCopy('two')];
    const outcomes = await vscode.commands.executeCommand<RunOutcome[]>('thinklens.reviewFile', undefined, files);
    assert.equal(outcomes.length, 2);

    const batches = api.panel.session.model.snapshot('expanded', undefined).batches ?? [];
    const batch = batches[batches.length - 1];
    assert.ok(batch, 'the panel has no overview of the review');
    assert.equal(batch.title, 'Review files');
    assert.deepEqual(
      batch.files.map((f) => f.file.uri),
      files.map((f) => f.toString()),
      'the overview does not list each file',
    );
    assert.deepEqual(
      batch.files.map((f) => f.state),
      ['done', 'done'],
    );
    assert.equal(
      batch.files.reduce((n, f) => n + f.findings, 0),
      1,
      'the findings counts do not add up to what the runs found',
    );
    assert.deepEqual(
      batch.files.map((f) => f.runId).sort(),
      outcomes.map((o) => o.runId).sort(),
      'each row must lead to its own file’s run',
    );
    for (const f of batch.files) {
      assert.match(api.panel.runView(f.runId!)?.header.title ?? '', /^Review file: /, 'the run title does not say it reviewed a file');
      const outcome = outcomes.find((o) => o.runId === f.runId)!;
      assert.equal(f.findings, outcome.findings.length);
    }

    // Choosing a row (the panel posts openThread with the row's run) puts that run on screen, even when it is not the last one.
    const first = batch.files[0]!.runId!;
    api.panel.session.receive({ type: 'openThread', threadId: first });
    assert.equal(api.panel.session.model.shownThreadId, first);
  });

  it('exports the whole conversation, by default outside the workspace and then to the folder used last, and opens it', async () => {
    server.script(MODEL, [
      deepseekStream({ model: MODEL, reasoning: 'Looking at the loop bound.', answer: answer([offByOne]) }),
      deepseekStream({ model: MODEL, reasoning: 'An empty cart divides by zero.', answer: 'It returns NaN for an empty cart.' }),
    ]);
    const editor = await vscode.window.showTextDocument(await sampleCopy('export'));
    editor.selection = new vscode.Selection(8, 0, 14, 0);
    const first = await vscode.commands.executeCommand<RunOutcome>('thinklens.explainBug');
    const second = await vscode.commands.executeCommand<RunOutcome>('thinklens.followUp', first.runId, 'What about an empty cart?');
    assert.equal(second.error, undefined);

    // 1. Nothing remembered yet: the dialog offers the home folder, never the workspace folder.
    const workspace = vscode.workspace.workspaceFolders?.[0]?.uri.fsPath;
    const before = new Set(readdirSync(homedir()));
    const saving = vscode.commands.executeCommand<vscode.Uri | undefined>('thinklens.exportTrace', second.runId);
    const newInHome = () => readdirSync(homedir()).filter((n) => n.startsWith('thinklens-') && n.endsWith('.md') && !before.has(n));
    await until(
      () => newInHome().length > 0,
      'the save dialog to accept its default place',
      90_000,
      () => vscode.commands.executeCommand('workbench.action.acceptSelectedQuickOpenItem'),
    );
    const saved = await saving;
    assert.ok(saved, 'the export did not save');
    const markdownPath = join(homedir(), newInHome()[0]!);
    try {
      assert.equal(saved.fsPath, markdownPath);
      if (workspace) assert.ok(!markdownPath.startsWith(workspace), 'the export defaulted into the workspace folder');
      const markdown = readFileSync(markdownPath, 'utf8');
      // The whole conversation: both runs, the question, both reasonings, both answers, the finding.
      assert.match(markdown, /Looking at the loop bound\./);
      assert.match(markdown, /An empty cart divides by zero\./);
      assert.match(markdown, /What about an empty cart\?/);
      assert.match(markdown, /It returns NaN for an empty cart\./);
      assert.match(markdown, /Loop reads past the end/);
      const json = JSON.parse(readFileSync(markdownPath.replace(/\.md$/, '.json'), 'utf8'));
      assert.equal(json.format, 'thinklens-conversation');
      assert.deepEqual(
        json.runs.map((r: { id: string }) => r.id),
        [first.runId, second.runId],
      );
    } finally {
      rmSync(markdownPath, { force: true });
      rmSync(markdownPath.replace(/\.md$/, '.json'), { force: true });
    }

    // 2. Saved somewhere else once: the next dialog starts there.
    const elsewhere = mkdtempSync(join(tmpdir(), 'thinklens-exports-'));
    await api.panel.exportRun(first.runId, vscode.Uri.file(join(elsewhere, 'picked.md')));
    assert.ok(existsSync(join(elsewhere, 'picked.md')));
    await vscode.commands.executeCommand('notifications.clearAll');
    const again = vscode.commands.executeCommand<vscode.Uri | undefined>('thinklens.exportTrace');
    const newThere = () => readdirSync(elsewhere).filter((n) => n.startsWith('thinklens-') && n.endsWith('.md'));
    await until(
      () => newThere().length > 0,
      'the save dialog to accept the folder used last',
      90_000,
      () => vscode.commands.executeCommand('workbench.action.acceptSelectedQuickOpenItem'),
    );
    const sessionFile = await again;
    assert.equal(sessionFile?.fsPath, join(elsewhere, newThere()[0]!));
    const session = JSON.parse(readFileSync(sessionFile!.fsPath.replace(/\.md$/, '.json'), 'utf8'));
    assert.equal(session.scope, 'session', 'Export without a run saves every run of the session');
    assert.ok(session.runs.length >= 2);

    // 3. The saved message offers Open, which opens the Markdown file.
    await until(
      () => vscode.window.activeTextEditor?.document.uri.fsPath === sessionFile!.fsPath,
      'Open on the saved message to open the export',
      30_000,
      () => vscode.commands.executeCommand('notification.acceptPrimaryAction'),
    );
  });
});
