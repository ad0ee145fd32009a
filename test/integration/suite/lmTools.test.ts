// The language model tools as an agent in VS Code calls them (vscode.lm.invokeTool), against the
// replay server on loopback: the result names the finding with its fix and a quote of the reasoning,
// the panel shows the run with its reasoning, the diagnostic appears; the token cancels the run;
// a path outside the workspace is refused before any request.

import * as assert from 'node:assert/strict';
import * as vscode from 'vscode';
import type { ThinkLensTestApi } from '../../../src/extension/extension';
import { deepseekStream, startReplayServer, type ReplayServer } from '../../support/replayServer';
import { clearAllFindings, thinkLens } from './thinkLens';

const LOOP = 'for (let i = 0; i <= items.length; i++) {';
const REASONING =
  'The loop bound is i <= items.length. So the last pass reads items[items.length]. That element is undefined and .price throws.';
const ANSWER = `The loop overruns.\n\n\`\`\`json\n${JSON.stringify({
  summary: 'Off-by-one in the loop.',
  findings: [
    {
      title: 'Off-by-one in loop bound',
      severity: 'error',
      category: 'bug',
      startLine: 11,
      endLine: 11,
      quote: LOOP,
      explanation: 'The last pass reads past the end of items.',
      confidence: 'high',
      fix: { startLine: 11, endLine: 11, replacement: '  for (let i = 0; i < items.length; i++) {' },
    },
  ],
})}\n\`\`\`\n`;

let server: ReplayServer;
let api: ThinkLensTestApi;

const textOf = (result: vscode.LanguageModelToolResult) =>
  result.content.map((part) => (part instanceof vscode.LanguageModelTextPart ? part.value : '')).join('');
const cartUri = () => vscode.Uri.joinPath(vscode.workspace.workspaceFolders![0]!.uri, 'src', 'cart.ts');
const ours = () => vscode.languages.getDiagnostics(cartUri()).filter((d) => d.source === 'ThinkLens');

async function until(condition: () => boolean, what: string, ms = 20_000): Promise<void> {
  const end = Date.now() + ms;
  while (!condition()) {
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 25));
  }
}

describe('Language model tools', function () {
  this.timeout(60_000);

  before(async () => {
    server = await startReplayServer();
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

  const useModel = (model: string) =>
    vscode.workspace.getConfiguration('thinklens').update('model', model, vscode.ConfigurationTarget.Global);

  it('are registered with their input schemas', () => {
    const tools = vscode.lm.tools.filter((t) => t.name.startsWith('thinklens_'));
    assert.deepEqual(tools.map((t) => t.name).sort(), ['thinklens_explain', 'thinklens_review']);
    for (const tool of tools) assert.deepEqual((tool.inputSchema as { required?: string[] }).required?.[0], 'path');
  });

  it('thinklens_review: the result names the finding, fix and reasoning; the panel shows the run; the diagnostic appears', async () => {
    await useModel('lm-review');
    server.script('lm-review', [deepseekStream({ model: 'lm-review', reasoning: REASONING, answer: ANSWER, pieces: 6 })]);
    const result = await vscode.lm.invokeTool(
      'thinklens_review',
      { input: { path: 'src/cart.ts' }, toolInvocationToken: undefined },
      new vscode.CancellationTokenSource().token,
    );
    const text = textOf(result);
    assert.match(text, /src\/cart\.ts:11 error \[bug\] Off-by-one in loop bound/);
    assert.match(text, /Fix: replace line 11 with:\n {4} {2}for \(let i = 0; i < items\.length; i\+\+\) \{/);
    assert.match(text, /Reasoning: "[^"]*items\.length/);
    const runId = api.panel.latestRunId()!;
    assert.equal(api.panel.runView(runId)?.reasoning, REASONING, 'the panel does not show the run with its reasoning');
    assert.deepEqual(
      ours().map((d) => d.range.start.line + 1),
      [11],
    );
  });

  it('thinklens_review: cancelling the token ends the run; the panel keeps the reasoning so far', async () => {
    await useModel('lm-cancel');
    server.script('lm-cancel', [
      deepseekStream({ model: 'lm-cancel', reasoning: REASONING.repeat(8), answer: ANSWER, pieces: 80, delayMs: 100 }),
    ]);
    const cancel = new vscode.CancellationTokenSource();
    const before = server.requests.length;
    const pending = vscode.lm.invokeTool(
      'thinklens_review',
      { input: { path: 'src/cart.ts', startLine: 9, endLine: 15 }, toolInvocationToken: undefined },
      cancel.token,
    );
    await until(() => api.runs.running, 'the run to start');
    const runId = api.panel.latestRunId()!;
    await until(() => (api.panel.runView(runId)?.reasoning.length ?? 0) > 40, 'some reasoning to arrive');
    cancel.cancel();
    // VS Code ends a cancelled invocation with its own CancellationError; the reasoning stays in the panel.
    await assert.rejects(Promise.resolve(pending), /Canceled/);
    await until(() => !api.runs.running, 'the run to end');
    const kept = api.panel.runView(runId)?.reasoning ?? '';
    assert.ok(kept.length > 40 && kept.length < REASONING.repeat(8).length, `kept ${kept.length} characters`);
    await server.waitForClientClose(before);
    assert.equal(api.runs.running, false);
  });

  it('a path outside the workspace is refused before any request', async () => {
    const before = server.requests.length;
    await assert.rejects(
      Promise.resolve(
        vscode.lm.invokeTool('thinklens_explain', {
          input: { path: '../package.json', startLine: 1, endLine: 3 },
          toolInvocationToken: undefined,
        }),
      ),
      /outside the workspace/,
    );
    assert.equal(server.requests.length, before);
  });
});
