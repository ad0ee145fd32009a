// Several runs at once: one ending or one review being cancelled must leave the others alone.
// Runs are held open by a stalled stream (the server sends some reasoning, then waits), so every
// check waits for a state, never for a duration.

import * as assert from 'node:assert/strict';
import { copyFileSync, mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import * as vscode from 'vscode';
import type { ThinkLensTestApi } from '../../../src/extension/extension';
import type { RunOutcome } from '../../../src/extension/runs';
import { deepseekStream, startReplayServer, type ReplayServer } from '../../support/replayServer';
import { thinkLens } from './thinkLens';

const EXTENSION_ID = 'thinklens.thinklens';
const MODEL = 'side-by-side';
const NO_FINDINGS = 'Nothing wrong.\n\n```json\n{"summary": "Nothing wrong.", "findings": []}\n```\n';

/** Some reasoning, then silence with the connection open, until the client cancels. */
const held = () =>
  deepseekStream({ model: MODEL, reasoning: 'Let me think about this for a while.', answer: 'never sent', fault: 'stall', faultAfter: 3 });
const quick = () => deepseekStream({ model: MODEL, reasoning: 'Short one.', answer: NO_FINDINGS });

async function until(condition: () => boolean, what: string, ms = 90_000): Promise<void> {
  const end = Date.now() + ms;
  while (!condition()) {
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 25));
  }
}

describe('Runs side by side', function () {
  this.timeout(300_000);
  let server: ReplayServer;
  let api: ThinkLensTestApi;
  let workDir: string;

  async function sampleCopy(name: string): Promise<vscode.Uri> {
    const file = join(workDir, `${name}-${Date.now()}.ts`);
    copyFileSync(join(vscode.extensions.getExtension(EXTENSION_ID)!.extensionPath, 'samples', 'src', 'cart.ts'), file);
    return vscode.Uri.file(file);
  }

  /** Starts an explain run that stays open; returns its id and its outcome to come. */
  async function heldExplain(): Promise<{ runId: string; outcome: Thenable<RunOutcome> }> {
    const before = server.requests.length;
    const editor = await vscode.window.showTextDocument(await sampleCopy('held'));
    editor.selection = new vscode.Selection(8, 0, 14, 0);
    const outcome = vscode.commands.executeCommand<RunOutcome>('thinklens.explainBug');
    await until(() => server.requests.length > before && api.runs.running, 'the held run to reach the server');
    const runId = api.runs.latestRunId()!;
    await until(() => (api.panel.runView(runId)?.reasoning.length ?? 0) > 0, 'the held run to stream some reasoning');
    return { runId, outcome };
  }

  before(async () => {
    server = await startReplayServer();
    workDir = mkdtempSync(join(tmpdir(), 'thinklens-side-'));
    const settings = vscode.workspace.getConfiguration('thinklens');
    await settings.update('backend', 'openai-compatible', vscode.ConfigurationTarget.Global);
    await settings.update('baseUrl', server.baseUrl, vscode.ConfigurationTarget.Global);
    await settings.update('model', MODEL, vscode.ConfigurationTarget.Global);
    await settings.update('review.maxConcurrency', 2, vscode.ConfigurationTarget.Global);
    // Other suites set a 10 s timeout; a held run must outlast the runs beside it on a loaded machine.
    await settings.update('requestTimeoutSeconds', 600, vscode.ConfigurationTarget.Global);
    api = await thinkLens();
  });

  after(async () => {
    await vscode.commands.executeCommand('thinklens.cancel');
    await vscode.workspace.getConfiguration('thinklens').update('review.maxConcurrency', undefined, vscode.ConfigurationTarget.Global);
    await vscode.workspace.getConfiguration('thinklens').update('requestTimeoutSeconds', undefined, vscode.ConfigurationTarget.Global);
    await server?.close();
  });

  it('the status bar keeps showing a run while another one finishes', async () => {
    server.script(MODEL, [held(), quick()]);
    const first = await heldExplain();
    assert.match(api.status.text, /loading~spin.*thinking/, `the status bar does not show the run (it says "${api.status.text}")`);

    const editor = await vscode.window.showTextDocument(await sampleCopy('quick'));
    editor.selection = new vscode.Selection(8, 0, 14, 0);
    const second = await vscode.commands.executeCommand<RunOutcome>('thinklens.explainBug');
    assert.equal(second.error, undefined, 'the second run failed');
    assert.equal(api.panel.runView(first.runId)?.status, 'running', 'the first run stopped');
    assert.match(
      api.status.text,
      /loading~spin.*thinking/,
      `the status bar went idle while a run still thinks (it says "${api.status.text}")`,
    );

    api.runs.cancel(first.runId);
    assert.equal((await first.outcome).cancelled, true);
    await until(() => !/loading~spin/.test(api.status.text), 'the status bar to go idle once no run is left');
  });

  it('cancelling a review over several files cancels only its own runs', async () => {
    server.script(MODEL, [held(), held(), held()]);
    const unrelated = await heldExplain();
    // The review's progress notification must be the newest one: its primary action is Cancel.
    await vscode.commands.executeCommand('notifications.clearAll');
    const before = server.requests.length;
    const review = vscode.commands.executeCommand<RunOutcome[]>('thinklens.reviewFile', undefined, [
      await sampleCopy('a'),
      await sampleCopy('b'),
    ]);
    await until(() => server.requests.length >= before + 2, 'both files of the review to reach the server');

    await vscode.commands.executeCommand('notification.acceptPrimaryAction');
    const outcomes = await review;
    assert.equal(outcomes.length, 2);
    assert.ok(
      outcomes.every((o) => o.cancelled),
      `the review's runs were not cancelled: ${JSON.stringify(outcomes.map((o) => o.cancelled))}`,
    );
    assert.equal(api.panel.runView(unrelated.runId)?.status, 'running', 'cancelling the review cancelled an unrelated run');

    api.runs.cancel(unrelated.runId);
    assert.equal((await unrelated.outcome).cancelled, true);
  });
});
