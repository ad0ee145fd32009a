// First run and setup in real VS Code: Select Backend step by step with the model picked from the
// server's own list and a connection test that says what it found; a run asked for before setup
// starts by itself once the backend works, and the status bar follows; a refused key names the
// backend that failed and shows the server's words without the key.

import * as assert from 'node:assert/strict';
import { copyFileSync, mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import * as vscode from 'vscode';
import type { ThinkLensTestApi } from '../../../src/extension/extension';
import type { RunOutcome } from '../../../src/extension/runs';
import type { SetupOutcome } from '../../../src/extension/setup';
import { DETECTABLE_SERVERS } from '../../../src/core/backends/detect';
import { deepseekStream, startReplayServer, type ReplayServer } from '../../support/replayServer';
import { errorResponse } from '../../support/wireStreams';
import { clearAllFindings, thinkLens } from './thinkLens';

const EXTENSION_ID = 'thinklens.thinklens';
const LOOP = 'for (let i = 0; i <= items.length; i++) {';
const ANSWER = `The bound is off by one.\n\n\`\`\`json\n${JSON.stringify({
  summary: 'Off by one.',
  findings: [
    {
      title: 'Off-by-one in loop bound',
      severity: 'error',
      category: 'bug',
      startLine: 11,
      endLine: 11,
      quote: LOOP,
      explanation: 'Reads past the end.',
    },
  ],
})}\n\`\`\`\n`;

let api: ThinkLensTestApi;
let workDir: string;
const servers: ReplayServer[] = [];
const settings = () => vscode.workspace.getConfiguration('thinklens');
const set = (key: string, value: unknown) => settings().update(key, value, vscode.ConfigurationTarget.Global);
const ours = (uri: vscode.Uri) => vscode.languages.getDiagnostics(uri).filter((d) => d.source === 'ThinkLens');

async function until(condition: () => boolean, what: string, ms = 20_000): Promise<void> {
  const end = Date.now() + ms;
  while (!condition()) {
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

async function openCartSelected(): Promise<vscode.TextEditor> {
  const file = join(workDir, `cart-${Date.now()}.ts`);
  copyFileSync(join(vscode.extensions.getExtension(EXTENSION_ID)!.extensionPath, 'samples', 'src', 'cart.ts'), file);
  const editor = await vscode.window.showTextDocument(await vscode.workspace.openTextDocument(file));
  editor.selection = new vscode.Selection(8, 0, 14, editor.document.lineAt(14).text.length);
  return editor;
}

async function server(): Promise<ReplayServer> {
  const s = await startReplayServer();
  servers.push(s);
  return s;
}

describe('First run and setup', function () {
  this.timeout(90_000);

  before(async () => {
    workDir = mkdtempSync(join(tmpdir(), 'thinklens-setup-'));
    await set('requestTimeoutSeconds', 10);
    api = await thinkLens();
  });

  after(async () => {
    await clearAllFindings();
    await Promise.all(servers.map((s) => s.close()));
  });

  it('a run asked for before setup starts by itself once the backend works, and the status bar follows', async () => {
    const replay = await server();
    replay.script('setup-waiting', [deepseekStream({ model: 'setup-waiting', reasoning: 'Looking at the loop.', answer: ANSWER })]);
    await set('backend', 'openai-compatible');
    await set('baseUrl', '');
    await set('model', 'setup-waiting');
    const editor = await openCartSelected();
    const outcome = await vscode.commands.executeCommand<RunOutcome>('thinklens.explainBug');
    assert.equal(outcome.runId, undefined, 'a run started without a backend');
    await until(() => /not set up/.test(api.status.text), 'the status bar to say "not set up"');

    await set('baseUrl', replay.baseUrl);
    await until(() => ours(editor.document.uri).length === 1, 'the waiting run to start and publish its finding');
    assert.equal(replay.requests.filter((r) => r.model === 'setup-waiting').length, 1, 'the waiting run ran more than once');
    await until(
      () => /openai-compatible: setup-waiting/.test(api.status.text),
      `the status bar to name the backend (it says "${api.status.text}")`,
    );
  });

  it("Select Backend: backend, URL, the optional key, the model picked from the server's own list, then a connection test that says what it found", async () => {
    const replay = await server();
    // The server lists these two; the reasoning model comes first in the picker.
    replay.script('plain-coder', []);
    replay.script('zeta-r1-distill', []);
    await set('backend', 'openai-compatible');
    await set('baseUrl', replay.baseUrl);
    await set('model', '');

    let outcome: SetupOutcome | undefined;
    let done = false;
    const flow = Promise.resolve(vscode.commands.executeCommand<SetupOutcome | undefined>('thinklens.selectBackend')).then((o) => {
      outcome = o;
      done = true;
    });
    // A person presses Enter on each step: the current backend, the URL as filled in, no key, the first model.
    const end = Date.now() + 40_000;
    while (!done && Date.now() < end) {
      await new Promise((r) => setTimeout(r, 400));
      if (!done) await vscode.commands.executeCommand('workbench.action.acceptSelectedQuickOpenItem');
    }
    await flow;
    assert.ok(outcome, 'the flow ended without a setup');
    assert.equal(outcome.backend, 'openai-compatible');
    assert.equal(outcome.model, 'zeta-r1-distill', "the model was not the one picked from the server's list");
    assert.equal(settings().get('model'), 'zeta-r1-distill');
    assert.equal(outcome.ok, true);
    assert.match(
      outcome.found ?? '',
      /^Connected to OpenAI-compatible server at http:\/\/127\.0\.0\.1:\d+\/v1: 2 models; using zeta-r1-distill, a reasoning model\.$/,
    );
    assert.ok(
      replay.requests.length === 0 || replay.requests.every((r) => r.path !== '/v1/chat/completions'),
      'the connection test sent code',
    );
  });

  it('Select Backend on a server that wants a key: an optional key step, the 401 as an item that sets the key and asks again; a working test clears "· error"', async () => {
    // A run that fails leaves "· error" in the status bar.
    const keyed = await startReplayServer({ apiKey: 'sk-setup-key-0123456789' });
    servers.push(keyed);
    keyed.script('setup-keyed', []);
    await set('backend', 'openai-compatible');
    await set('baseUrl', keyed.baseUrl);
    await set('model', 'setup-keyed');
    await openCartSelected();
    const failed = await vscode.commands.executeCommand<RunOutcome>('thinklens.explainBug');
    assert.equal(failed.error?.kind, 'auth');
    await until(() => /error/.test(api.status.text), `the status bar to say "error" (it says "${api.status.text}")`);

    // The flow: Enter on the backend, the URL and the (optional, empty) key; the model step's first item is Set API Key.
    let done = false;
    const flow = Promise.resolve(vscode.commands.executeCommand<SetupOutcome | undefined>('thinklens.selectBackend')).then(
      () => (done = true),
    );
    const end = Date.now() + 40_000;
    while (!done && Date.now() < end && keyed.modelListRequests < 2) {
      await new Promise((r) => setTimeout(r, 400));
      if (!done) await vscode.commands.executeCommand('workbench.action.acceptSelectedQuickOpenItem');
    }
    assert.ok(keyed.modelListRequests >= 2, 'the model step did not offer Set API Key on a 401 and list the models again after it');
    // Escape ends the flow (it may be at the key's input or the model step again).
    const closing = Date.now() + 20_000;
    while (!done && Date.now() < closing) {
      await vscode.commands.executeCommand('workbench.action.closeQuickOpen');
      await new Promise((r) => setTimeout(r, 300));
    }
    await flow;

    // A server that answers: the connection test succeeds and the earlier run's "· error" goes.
    const good = await server();
    good.script('setup-good-r1', []);
    await set('baseUrl', good.baseUrl);
    await set('model', 'setup-good-r1');
    let outcome: SetupOutcome | undefined;
    done = false;
    const second = Promise.resolve(vscode.commands.executeCommand<SetupOutcome | undefined>('thinklens.selectBackend')).then((o) => {
      outcome = o;
      done = true;
    });
    const until2 = Date.now() + 40_000;
    while (!done && Date.now() < until2) {
      await new Promise((r) => setTimeout(r, 400));
      if (!done) await vscode.commands.executeCommand('workbench.action.acceptSelectedQuickOpenItem');
    }
    await second;
    assert.equal(outcome?.ok, true, outcome?.found);
    assert.doesNotMatch(api.status.text, /error/, `the status bar still says "${api.status.text}" after a working connection test`);
  });

  it('the Getting Started walkthrough is listed with its five steps, each wired to a registered command, and opens', async () => {
    const extension = vscode.extensions.getExtension(EXTENSION_ID)!;
    const [walkthrough] = extension.packageJSON.contributes.walkthroughs as {
      id: string;
      steps: { id: string; description: string; media: { markdown: string }; completionEvents: string[] }[];
    }[];
    assert.ok(walkthrough);
    assert.deepEqual(
      walkthrough.steps.map((s) => s.id),
      ['backend', 'key', 'explain', 'review', 'cli'],
    );
    const registered = new Set(await vscode.commands.getCommands(true));
    for (const step of walkthrough.steps) {
      const commands = [
        ...[...step.description.matchAll(/\(command:([\w.]+)\)/g)].map((m) => m[1]!),
        ...step.completionEvents.filter((e) => e.startsWith('onCommand:')).map((e) => e.slice('onCommand:'.length)),
      ];
      for (const command of commands) assert.ok(registered.has(command), `step ${step.id} names ${command}, which is not registered`);
      await vscode.workspace.fs.stat(vscode.Uri.joinPath(extension.extensionUri, step.media.markdown));
      // A step is ticked when it succeeded (a context the extension sets then), never because a picker opened or a run failed.
      if (step.id !== 'cli') {
        assert.deepEqual(
          step.completionEvents.filter((e) => !e.startsWith('onContext:')),
          [],
          `step ${step.id} completes on ${step.completionEvents.join(', ')}`,
        );
      }
    }
    assert.deepEqual(walkthrough.steps.find((s) => s.id === 'explain')?.completionEvents, ['onContext:thinklens.explainSucceeded']);
    // The sample step opens the workspace's own sample (this suite's workspace is samples/), the buggy function selected.
    const editor = await vscode.commands.executeCommand<vscode.TextEditor>('thinklens.openSample');
    const folder = vscode.workspace.workspaceFolders?.[0]?.uri;
    assert.ok(folder && editor.document.uri.path.startsWith(`${folder.path}/`), `the sample opened was ${editor.document.uri.toString()}`);
    assert.equal(editor.selection.start.line, 8);
    assert.equal(editor.selection.end.line, 14);
    assert.match(editor.document.lineAt(10).text, /i <= items\.length/);
    // Explain from the walkthrough (no text editor active there) explains the selection of the editor beside it.
    const replay = await server();
    replay.script('setup-walkthrough', [deepseekStream({ model: 'setup-walkthrough', reasoning: 'Looking at the loop.', answer: ANSWER })]);
    await set('backend', 'openai-compatible');
    await set('baseUrl', replay.baseUrl);
    await set('model', 'setup-walkthrough');
    await vscode.commands.executeCommand('workbench.action.openWalkthrough', `${EXTENSION_ID}#${walkthrough.id}`, false);
    await until(() => vscode.window.activeTextEditor === undefined, 'the walkthrough to be the active editor');
    const outcome = await vscode.commands.executeCommand<RunOutcome | undefined>('thinklens.explainBug');
    assert.ok(outcome?.runId, 'Explain from the walkthrough did not run');
    assert.equal(outcome.error, undefined, outcome.error?.message);
    const prompt = (replay.requests[0]!.body as { messages: { content: string }[] }).messages[0]!.content;
    assert.match(prompt, /11\s*\|\s*for \(let i = 0; i <= items\.length; i\+\+\)/);
    await vscode.commands.executeCommand('thinklens.clearFindings', 'file');
    // Detect Local Servers probes vLLM and SGLang on their default ports too.
    assert.deepEqual(
      DETECTABLE_SERVERS.map((c) => c.backend),
      ['ollama', 'lmstudio', 'llamacpp', 'vllm', 'sglang'],
    );
    const found = await vscode.commands.executeCommand<unknown[]>('thinklens.detectLocalServers');
    assert.ok(Array.isArray(found));
  });

  it('settings a repository cannot set say where a person sets them, Remote settings included, and a value set there is the one read', async () => {
    const extension = vscode.extensions.getExtension(EXTENSION_ID)!;
    const properties = extension.packageJSON.contributes.configuration.properties as Record<
      string,
      { scope?: string; description?: string; markdownDescription?: string }
    >;
    // In code-server (a remote window) machine-scoped settings live under Remote, not User; on the desktop, under User.
    const where = vscode.env.remoteName ? `remote window (${vscode.env.remoteName})` : 'local window';
    for (const [key, entry] of Object.entries(properties)) {
      if (entry.scope !== 'machine') continue;
      const said = entry.markdownDescription ?? entry.description ?? '';
      assert.match(said, /User settings, or in Remote settings in a remote window .*; never by a workspace/, `${where}: ${key}: ${said}`);
      assert.doesNotMatch(said, /User settings only/, `${key} says "User settings only", which is not where a remote window shows it`);
    }
    // What the extension host writes for the person (Select Backend) is what it reads back as theirs.
    await set('review.samples', 2);
    assert.equal(settings().inspect<number>('review.samples')?.globalValue, 2);
    await set('review.samples', undefined);
  });

  it("a refused key: the error names the backend that failed for Set API key and shows the server's words without the key", async () => {
    const replay = await server();
    const leaked = 'sk-proj-abcdef0123456789';
    replay.script('setup-auth', [errorResponse(401, `Incorrect API key provided: ${leaked}. You can find your key in the dashboard.`)]);
    await set('backend', 'openai-compatible');
    await set('baseUrl', replay.baseUrl);
    await set('model', 'setup-auth');
    await openCartSelected();
    const outcome = await vscode.commands.executeCommand<RunOutcome>('thinklens.explainBug');
    assert.equal(outcome.error?.kind, 'auth');
    const error = api.panel.runView(outcome.runId!)?.result?.error;
    assert.ok(error);
    assert.deepEqual(error.actions[0], { label: 'Set API key', command: 'thinklens.setApiKey', backend: 'openai-compatible' });
    assert.match(error.detail ?? '', /Incorrect API key provided: \*\*\*/, "the server's own words are missing");
    assert.ok(!JSON.stringify(error).includes(leaked), 'the key reached the panel');
  });
});
