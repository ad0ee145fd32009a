// Editor scopes in real VS Code through the git extension's API, in a real repository made here:
// Review Staged Changes (the staged text, not the working tree's), Review Unstaged Changes, Review
// Branch (against its merge-base with main) and Review Commit; and, with nothing selected, Review
// Selection and Explain take the enclosing function and say so.

import * as assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { copyFileSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import * as vscode from 'vscode';
import type { ThinkLensTestApi } from '../../../src/extension/extension';
import type { RunOutcome } from '../../../src/extension/runs';
import { deepseekStream, startReplayServer, type ReplayServer } from '../../support/replayServer';
import { clearAllFindings } from './thinkLens';

const EXTENSION_ID = 'thinklens.thinklens';
const MODEL = 'git-scopes';

describe('Git scopes and the enclosing function', function () {
  this.timeout(90_000);
  let server: ReplayServer;
  let repo: string;
  let commitHash: string;
  let cart: string;

  const git = (...args: string[]) =>
    execFileSync('git', ['-C', repo, '-c', 'user.name=Test', '-c', 'user.email=test@example.com', '-c', 'commit.gpgsign=false', ...args], {
      encoding: 'utf8',
    });

  /** Prompts this suite's runs sent about files of the test repository, by file name. */
  const promptsSince = (start: number) => {
    const out: Record<string, string> = {};
    for (const request of server.requests.slice(start)) {
      const prompt = (request.body as { messages: { content: string }[] }).messages[0]!.content;
      // Other suites' repositories may be open too: only this repository's files count.
      const file = new RegExp(`${repo.split('/').pop()}/(cart|util)\\.ts`).exec(prompt)?.[1];
      if (request.model === MODEL && file) out[`${file}.ts`] = prompt;
    }
    return out;
  };

  before(async () => {
    server = await startReplayServer();
    const settings = vscode.workspace.getConfiguration('thinklens');
    await settings.update('backend', 'openai-compatible', vscode.ConfigurationTarget.Global);
    await settings.update('baseUrl', server.baseUrl, vscode.ConfigurationTarget.Global);
    await settings.update('model', MODEL, vscode.ConfigurationTarget.Global);
    await vscode.extensions.getExtension(EXTENSION_ID)!.activate();

    repo = mkdtempSync(join(tmpdir(), 'thinklens-scopes-'));
    git('init', '-q', '-b', 'main');
    cart = readFileSync(join(vscode.extensions.getExtension(EXTENSION_ID)!.extensionPath, 'samples', 'src', 'cart.ts'), 'utf8');
    writeFileSync(join(repo, 'cart.ts'), cart);
    const util = Array.from({ length: 20 }, (_, i) => `export const u${i + 1} = ${i + 1};`);
    writeFileSync(join(repo, 'util.ts'), `${util.join('\n')}\n`);
    git('add', '.');
    git('commit', '-qm', 'base');
    git('checkout', '-qb', 'feature');
    util[4] = 'export const u5 = committedOnBranch();';
    writeFileSync(join(repo, 'util.ts'), `${util.join('\n')}\n`);
    git('commit', '-qam', 'branch change');
    commitHash = git('rev-parse', 'HEAD').trim();
    // Staged: line 19 of cart.ts; then edited again in the working tree.
    const lines = cart.split('\n');
    lines[18] = '  return total - total * stagedPercent;';
    writeFileSync(join(repo, 'cart.ts'), lines.join('\n'));
    git('add', 'cart.ts');
    lines[18] = '  return total - total * workingTreePercent;';
    writeFileSync(join(repo, 'cart.ts'), lines.join('\n'));
    // Unstaged only: line 15 of util.ts.
    util[14] = 'export const u15 = unstagedEdit();';
    writeFileSync(join(repo, 'util.ts'), `${util.join('\n')}\n`);

    await vscode.commands.executeCommand('git.openRepository', repo);
  });

  after(async () => {
    await clearAllFindings();
    await server?.close();
    // Leave the repository clean: it stays open in the git extension, and a later Review
    // Uncommitted Changes (another suite) reviews every open repository's changes.
    git('add', '-A');
    git('commit', '-qm', 'leave clean', '--allow-empty');
    await waitForCleanRepository(repo);
  });

  it('Review Staged Changes reviews the staged text of the staged hunk, not the working tree', async () => {
    const start = server.requests.length;
    const outcomes = await vscode.commands.executeCommand<RunOutcome[]>('thinklens.reviewStaged');
    assert.ok(Array.isArray(outcomes) && outcomes.length >= 1, 'no run');
    const prompts = promptsSince(start);
    assert.deepEqual(Object.keys(prompts), ['cart.ts'], 'only cart.ts is staged');
    assert.match(prompts['cart.ts']!, /19\s*\|\s*return total - total \* stagedPercent;/);
    assert.doesNotMatch(prompts['cart.ts']!, /workingTreePercent/);
    assert.doesNotMatch(prompts['cart.ts']!, /\b4\s*\|\s*sku: string;/, 'unchanged code far from the hunk was sent as code under review');
    // The run's title says what kind of review it was.
    const thinklens = vscode.extensions.getExtension<ThinkLensTestApi>(EXTENSION_ID)!.exports!;
    assert.match(thinklens.panel.runView(outcomes[0]!.runId!)?.header.title ?? '', /^Review staged changes: .*cart\.ts/);
  });

  it('Review Staged Changes shows its findings on the working file: one Problems group, the fix applies there, and a finding whose code changed since staging stays in the panel without a fix', async () => {
    const model = 'git-scopes-working';
    const signature = 'export function applyDiscount(total: number, percent: number): number {';
    const renamed = 'export function applyDiscount(total: number, percentOff: number): number {';
    const answer = {
      summary: 'Two problems.',
      findings: [
        {
          title: 'Ambiguous parameter name',
          severity: 'warning',
          category: 'bug',
          startLine: 17,
          endLine: 17,
          quote: signature,
          explanation: 'Percent of what.',
          fix: { startLine: 17, endLine: 17, replacement: renamed },
        },
        {
          title: 'Percent used as a fraction',
          severity: 'error',
          category: 'bug',
          startLine: 19,
          endLine: 19,
          quote: 'return total - total * stagedPercent;',
          explanation: 'Divide by 100.',
          fix: { startLine: 19, endLine: 19, replacement: '  return total - (total * stagedPercent) / 100;' },
        },
      ],
    };
    server.script(model, [
      deepseekStream({ model, reasoning: 'Looking at the staged hunk.', answer: `\`\`\`json\n${JSON.stringify(answer)}\n\`\`\`` }),
    ]);
    const settings = vscode.workspace.getConfiguration('thinklens');
    await settings.update('model', model, vscode.ConfigurationTarget.Global);
    const working = vscode.Uri.file(join(repo, 'cart.ts'));
    try {
      const outcomes = await vscode.commands.executeCommand<RunOutcome[]>('thinklens.reviewStaged');
      const outcome = outcomes.find((o) => o.findings.length > 0);
      assert.ok(outcome, 'the staged review published no findings');
      // One group in Problems: the working file's; none on the staged copy.
      const groups = vscode.languages
        .getDiagnostics()
        .filter(([, diagnostics]) => diagnostics.some((d) => d.source === 'ThinkLens'))
        .map(([uri]) => uri);
      assert.ok(!groups.some((uri) => uri.scheme === 'git'), `Problems has a group for the staged copy: ${groups.map(String).join(', ')}`);
      const rows = vscode.languages
        .getDiagnostics(working)
        .filter((d) => d.source === 'ThinkLens' && d.severity !== vscode.DiagnosticSeverity.Hint);
      assert.deepEqual(
        rows.map((d) => d.range.start.line + 1),
        [17],
      );
      // The title names the file as a person knows it, not the git copy.
      const thinklens = vscode.extensions.getExtension<ThinkLensTestApi>(EXTENSION_ID)!.exports!;
      const view = thinklens.panel.runView(outcome.runId!);
      assert.match(
        view?.header.title ?? '',
        new RegExp(`^Review staged changes: ${vscode.workspace.asRelativePath(working).replace(/[.]/g, '\\.')}:`),
      );
      // The code changed since staging: in the panel, with the reason, and no fix.
      const gone = view?.result?.findings.find((f) => f.title === 'Percent used as a fraction');
      assert.ok(gone, 'the finding on code that changed since staging is not in the panel');
      assert.equal(gone.hasFix, false);
      assert.equal(gone.stale, true);
      assert.match(gone.fixRefused ?? '', /not in the working file/);
      // Apply fix changes the working file, not the read-only copy.
      const kept = outcome.findings.find((f) => f.finding.title === 'Ambiguous parameter name')!;
      assert.equal(kept.uri.toString(), working.toString());
      const applied = await vscode.commands.executeCommand<{ applied: boolean; reason?: string }>('thinklens.applyFix', kept.id);
      assert.deepEqual(applied, { applied: true });
      const document = await vscode.workspace.openTextDocument(working);
      assert.equal(document.lineAt(16).text, renamed);
      // Leave the working file as it is on disk for the next tests.
      const restore = new vscode.WorkspaceEdit();
      restore.replace(working, document.lineAt(16).range, signature);
      await vscode.workspace.applyEdit(restore);
      await document.save();
    } finally {
      await settings.update('model', MODEL, vscode.ConfigurationTarget.Global);
    }
  });

  it('Review Unstaged Changes reviews the working tree against the index', async () => {
    const start = server.requests.length;
    await vscode.commands.executeCommand<RunOutcome[]>('thinklens.reviewUnstaged');
    const prompts = promptsSince(start);
    assert.deepEqual(Object.keys(prompts).sort(), ['cart.ts', 'util.ts']);
    assert.match(prompts['cart.ts']!, /19\s*\|\s*return total - total \* workingTreePercent;/);
    assert.match(prompts['util.ts']!, /15\s*\|\s*export const u15 = unstagedEdit\(\);/);
    assert.doesNotMatch(prompts['util.ts']!, /\b5\s*\|\s*export const u5/, 'the committed line is not an unstaged change');
  });

  it('Review Branch reviews everything since the merge-base with main', async () => {
    const start = server.requests.length;
    await vscode.commands.executeCommand<RunOutcome[]>('thinklens.reviewBranch');
    const prompts = promptsSince(start);
    assert.deepEqual(Object.keys(prompts).sort(), ['cart.ts', 'util.ts']);
    assert.match(prompts['util.ts']!, /5\s*\|\s*export const u5 = committedOnBranch\(\);/);
    assert.match(prompts['util.ts']!, /15\s*\|\s*export const u15 = unstagedEdit\(\);/);
    assert.doesNotMatch(prompts['util.ts']!, /\b10\s*\|\s*export const u10/, 'a line far from both hunks was sent');
  });

  it("Review Commit (as from the timeline: an item with ref) reviews that commit's text and hunks", async () => {
    const start = server.requests.length;
    const outcomes = await vscode.commands.executeCommand<RunOutcome[]>('thinklens.reviewCommit', {
      ref: commitHash,
      previousRef: `${commitHash}~1`,
    });
    const prompts = promptsSince(start);
    const thinklens = vscode.extensions.getExtension<ThinkLensTestApi>(EXTENSION_ID)!.exports!;
    assert.match(
      thinklens.panel.runView(outcomes[0]!.runId!)?.header.title ?? '',
      new RegExp(`^Review commit ${commitHash.slice(0, 7)}: .*util\\.ts`),
    );
    assert.deepEqual(Object.keys(prompts), ['util.ts']);
    assert.match(prompts['util.ts']!, /5\s*\|\s*export const u5 = committedOnBranch\(\);/);
    assert.doesNotMatch(prompts['util.ts']!, /unstagedEdit/, "the commit's own text was not the one reviewed");
  });

  it('with no selection, Review Selection and Explain take the enclosing function and say so', async () => {
    const file = join(mkdtempSync(join(tmpdir(), 'thinklens-enclosing-')), 'cart.ts');
    copyFileSync(join(vscode.extensions.getExtension(EXTENSION_ID)!.extensionPath, 'samples', 'src', 'cart.ts'), file);
    const editor = await vscode.window.showTextDocument(await vscode.workspace.openTextDocument(file));
    // The cursor inside applyDiscount (lines 17-20), nothing selected.
    editor.selection = new vscode.Selection(18, 4, 18, 4);
    // The TypeScript symbol provider starts with the TypeScript server; wait until it answers.
    const end = Date.now() + 45_000;
    while (!((await vscode.commands.executeCommand<unknown[]>('vscode.executeDocumentSymbolProvider', editor.document.uri)) ?? []).length) {
      if (Date.now() > end) throw new Error('no document symbols for a TypeScript file after 45 s');
      await new Promise((r) => setTimeout(r, 250));
    }
    for (const [command, verb] of [
      ['thinklens.reviewSelection', 'reviewing'],
      ['thinklens.explainBug', 'explaining'],
    ] as const) {
      const start = server.requests.length;
      const outcome = await vscode.commands.executeCommand<RunOutcome & { scopeNote?: string }>(command);
      assert.equal(outcome.scopeNote, `No selection: ${verb} the enclosing function applyDiscount (lines 17-20).`);
      const prompt = (server.requests.slice(start).find((r) => r.model === MODEL)!.body as { messages: { content: string }[] }).messages[0]!
        .content;
      assert.match(prompt, /17\s*\|\s*export function applyDiscount/);
      assert.match(prompt, /20\s*\|\s*}/);
      assert.doesNotMatch(prompt, /\b11\s*\|\s*for \(let i = 0;/, 'code outside the function was sent as code under review');
    }
  });
});

/** Waits until the git extension sees no changes in `root` (it refreshes on file events). */
async function waitForCleanRepository(root: string): Promise<void> {
  type GitApi = {
    repositories: { rootUri: vscode.Uri; state: { workingTreeChanges: unknown[]; indexChanges: unknown[] }; status(): Promise<void> }[];
  };
  const api = vscode.extensions.getExtension<{ getAPI(version: 1): GitApi }>('vscode.git')?.exports.getAPI(1);
  const repository = api?.repositories.find((r) => r.rootUri.fsPath === root);
  if (!repository) return;
  for (let tries = 0; tries < 50; tries++) {
    await repository.status();
    if (repository.state.workingTreeChanges.length === 0 && repository.state.indexChanges.length === 0) return;
    await new Promise((resolve) => setTimeout(resolve, 200));
  }
}
