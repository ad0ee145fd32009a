// Review of uncommitted changes in a real git repository made by the test: the prompt holds the
// changed hunks, and findings stay on changed (or adjacent) lines unless they are errors.

import * as assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import * as vscode from 'vscode';
import type { RunOutcome } from '../../../src/extension/runs';
import { deepseekStream, startReplayServer, type ReplayServer } from '../../support/replayServer';
import { clearAllFindings } from './thinkLens';

const EXTENSION_ID = 'thinklens.thinklens';

function finding(title: string, line: number, quote: string, severity: 'error' | 'warning') {
  return { title, severity, category: 'bug', startLine: line, endLine: line, quote, explanation: title };
}

describe('Review uncommitted changes', function () {
  this.timeout(60_000);
  let server: ReplayServer;
  let repo: string;

  before(async () => {
    server = await startReplayServer();
    const settings = vscode.workspace.getConfiguration('thinklens');
    await settings.update('backend', 'openai-compatible', vscode.ConfigurationTarget.Global);
    await settings.update('baseUrl', server.baseUrl, vscode.ConfigurationTarget.Global);
    await settings.update('model', 'review-changes', vscode.ConfigurationTarget.Global);
    await vscode.extensions.getExtension(EXTENSION_ID)!.activate();

    repo = mkdtempSync(join(tmpdir(), 'thinklens-repo-'));
    const git = (...args: string[]) =>
      execFileSync('git', ['-C', repo, '-c', 'user.name=Test', '-c', 'user.email=test@example.com', ...args]);
    git('init', '-q');
    const cart = readFileSync(join(vscode.extensions.getExtension(EXTENSION_ID)!.extensionPath, 'samples', 'src', 'cart.ts'), 'utf8');
    writeFileSync(join(repo, 'cart.ts'), cart);
    git('add', '.');
    git('commit', '-qm', 'base');
    // One change: applyDiscount gets a new (still wrong) body on line 19.
    const lines = cart.split('\n');
    lines[18] = '  return total - total * percent * 1.0;';
    writeFileSync(join(repo, 'cart.ts'), lines.join('\n'));

    await vscode.commands.executeCommand('git.openRepository', repo);
  });

  after(async () => {
    await clearAllFindings();
    await server?.close();
  });

  it('sends the changed hunk and keeps findings on changed lines, or errors anywhere', async () => {
    server.script('review-changes', [
      deepseekStream({
        model: 'review-changes',
        reasoning: 'The discount line changed; percent is 0..100 but used as a fraction.',
        answer: `Review:\n\n\`\`\`json\n${JSON.stringify({
          summary: 'The changed discount is still wrong.',
          findings: [
            finding('Percent used as a fraction', 19, 'return total - total * percent * 1.0;', 'warning'),
            finding('Unrelated style nit', 3, 'export interface LineItem {', 'warning'),
            finding('Crash on empty cart', 24, 'return cartTotal(items) / count;', 'error'),
          ],
        })}\n\`\`\`\n`,
      }),
    ]);
    const outcomes = await vscode.commands.executeCommand<RunOutcome[]>('thinklens.reviewChanges');
    assert.ok(Array.isArray(outcomes), 'reviewChanges returned no outcomes');
    assert.equal(outcomes.length, 1, 'one changed file, one run');
    const titles = outcomes[0]!.findings.map((f) => f.finding.title).sort();
    assert.deepEqual(titles, ['Crash on empty cart', 'Percent used as a fraction']);

    const prompt = (server.requests[server.requests.length - 1]!.body as { messages: { content: string }[] }).messages[0]!.content;
    assert.match(prompt, /19\s*\|\s*return total - total \* percent \* 1\.0;/, 'the changed line is not in the prompt');
    assert.doesNotMatch(prompt, /\b4\s*\|\s*sku: string;/, 'unchanged code far from the hunk was sent as code under review');
  });
});
