// Provenance inside real VS Code: the hover on a ThinkLens squiggle shows the explanation, the fix
// as a diff, the passage of the reasoning behind it and "Open in panel"; the Problems message
// carries the explanation's first sentence.

import * as assert from 'node:assert/strict';
import { copyFileSync, mkdtempSync } from 'node:fs';
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
const REASONING = [
  'Okay, the user wants the bug in this selection. Let me read the loop first.',
  '',
  'The loop header is for (let i = 0; i <= items.length; i++). With <= the index reaches items.length, so on the last pass items[i] is undefined and reading .price throws.',
  '',
  'What about an empty cart? Then the loop does not run and total is 0, so that is fine.',
].join('\n');
const ANSWER = `The loop reads past the end.\n\n\`\`\`json\n${JSON.stringify({
  summary: 'Off-by-one.',
  findings: [
    {
      title: 'Off-by-one in loop bound',
      severity: 'error',
      category: 'bug',
      confidence: 'high',
      startLine: 11,
      endLine: 11,
      quote: LOOP,
      explanation:
        'On the last pass `items[i]` is undefined and reading `.price` throws. See [docs](command:workbench.action.openSettings).',
      fix: { startLine: 11, endLine: 11, replacement: FIXED_LOOP },
    },
  ],
})}\n\`\`\`\n`;

let server: ReplayServer;
let api: ThinkLensTestApi;

describe('Provenance', function () {
  // The whole run happens in the extension host, which a busy machine slows down.
  this.timeout(150_000);

  before(async () => {
    server = await startReplayServer();
    const settings = vscode.workspace.getConfiguration('thinklens');
    await settings.update('backend', 'openai-compatible', vscode.ConfigurationTarget.Global);
    await settings.update('baseUrl', server.baseUrl, vscode.ConfigurationTarget.Global);
    await settings.update('model', 'provenance', vscode.ConfigurationTarget.Global);
    api = await thinkLens();
  });

  after(async () => {
    await clearAllFindings();
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

    const hovers = await vscode.commands.executeCommand<vscode.Hover[]>(
      'vscode.executeHoverProvider',
      editor.document.uri,
      diagnostic.range.start.translate(0, 2),
    );
    const text = hovers.flatMap((h) => h.contents.map((c) => (typeof c === 'string' ? c : c.value))).join('\n');
    assert.match(text, /\*\*Off-by-one in loop bound\*\*/);
    assert.match(text, /On the last pass `items\[i\]` is undefined/, 'the explanation');
    assert.match(
      text,
      /```diff\n- {3}for \(let i = 0; i <= items\.length; i\+\+\) \{\n\+ {3}for \(let i = 0; i < items\.length; i\+\+\) \{\n```/,
      'the fix as a diff',
    );
    assert.match(text, /From the reasoning[\s\S]*> The loop header is for/, 'the reasoning excerpt');
    assert.match(text, /Confidence high/);
    assert.match(text, /\[Open in panel\]\(command:thinklens\.showFinding\?/);
    assert.doesNotMatch(text, /command:workbench/, "the model's own command link is neutralized");
    const ours = hovers
      .flatMap((h) => h.contents)
      .find((c): c is vscode.MarkdownString => typeof c !== 'string' && /Open in panel/.test(c.value));
    assert.ok(ours);
    assert.equal(ours.supportHtml, false);
    assert.deepEqual(ours.isTrusted, { enabledCommands: ['thinklens.showFinding'] });
  });

  it('a low-confidence finding makes no diagnostic (no squiggle, no Problems row, no hover) but stays in the panel, fixable', async () => {
    server.script('provenance', [
      deepseekStream({ model: 'provenance', reasoning: REASONING, answer: answerWith([LOOP_FINDING, DOUBTFUL_FINDING]), pieces: 5 }),
    ]);
    const { editor, outcome } = await explainCart();
    assert.equal(outcome.error, undefined, outcome.error?.message);
    assert.equal(outcome.findings.length, 2, 'both findings were published');

    const ours = vscode.languages.getDiagnostics(editor.document.uri).filter((d) => d.source === 'ThinkLens');
    assert.deepEqual(
      ours.map((d) => d.message.split(':')[0]),
      ['Off-by-one in loop bound'],
      'only the confident finding squiggles',
    );
    const doubtful = outcome.findings.find((f) => f.finding.title === DOUBTFUL_FINDING.title)!;
    assert.equal(doubtful.finding.confidence, 'low');
    const hovers = await vscode.commands.executeCommand<vscode.Hover[]>(
      'vscode.executeHoverProvider',
      editor.document.uri,
      doubtful.range.start.translate(0, 1),
    );
    const hoverText = hovers.flatMap((h) => h.contents.map((c) => (typeof c === 'string' ? c : c.value))).join('\n');
    assert.doesNotMatch(hoverText, /Total is multiplied/, 'no hover for it either');

    const listed = api.panel.runView(outcome.runId!)?.result?.findings ?? [];
    assert.deepEqual(
      listed.map((f) => [f.title, f.confidence]),
      [
        ['Off-by-one in loop bound', 'high'],
        [DOUBTFUL_FINDING.title, 'low'],
      ],
    );
    const applied = await vscode.commands.executeCommand<{ applied: boolean; reason?: string }>('thinklens.applyFix', doubtful.id);
    assert.equal(applied.applied, true, applied.reason);
    assert.equal(editor.document.lineAt(18).text, DOUBTFUL_FIX, 'the panel can still apply its fix');
  });

  it('thinklens.review.samples 3: three requests with their own seeds, each finding with its agreement in the panel and the hover', async () => {
    const settings = vscode.workspace.getConfiguration('thinklens');
    await settings.update('review.samples', 3, vscode.ConfigurationTarget.Global);
    try {
      const before = server.requests.length;
      // Three answers: all three find the loop; only the second finds the doubtful discount.
      server.script('provenance', [
        deepseekStream({ model: 'provenance', reasoning: REASONING, answer: answerWith([LOOP_FINDING]), pieces: 3 }),
        deepseekStream({
          model: 'provenance',
          reasoning: `Sample two. ${REASONING}`,
          answer: answerWith([LOOP_FINDING, { ...DOUBTFUL_FINDING, confidence: 'high' }]),
          pieces: 3,
        }),
        deepseekStream({ model: 'provenance', reasoning: `Sample three. ${REASONING}`, answer: answerWith([LOOP_FINDING]), pieces: 3 }),
      ]);
      const { editor, outcome } = await explainCart();
      assert.equal(outcome.error, undefined, outcome.error?.message);
      const sent = server.requests.slice(before).map((r) => (r.body as { seed?: number }).seed);
      assert.deepEqual(sent.sort(), [1, 2, 3], 'one request per sample, each with its own seed');

      const view = api.panel.runView(outcome.runId!)!;
      assert.equal(view.result?.samples?.length, 3, 'each sample trace is kept for the switcher');
      assert.match(view.result!.samples![1]!.reasoning, /^Sample two\./);
      const loop = view.result!.findings.find((f) => f.title === 'Off-by-one in loop bound')!;
      assert.deepEqual(loop.agreement, { count: 3, of: 3 });
      const discount = view.result!.findings.find((f) => f.title === DOUBTFUL_FINDING.title)!;
      assert.deepEqual(discount.agreement, { count: 1, of: 3 });
      assert.equal(discount.sample, 1, 'its evidence points into the second sample');
      assert.notEqual(discount.confidence, 'high', 'one sample of three lowers it');

      const [diagnostic] = vscode.languages
        .getDiagnostics(editor.document.uri)
        .filter((d) => d.source === 'ThinkLens' && d.message.startsWith('Off-by-one'));
      assert.ok(diagnostic);
      const hovers = await vscode.commands.executeCommand<vscode.Hover[]>(
        'vscode.executeHoverProvider',
        editor.document.uri,
        diagnostic.range.start.translate(0, 2),
      );
      const text = hovers.flatMap((h) => h.contents.map((c) => (typeof c === 'string' ? c : c.value))).join('\n');
      assert.match(text, /3 of 3 samples/);
    } finally {
      await settings.update('review.samples', undefined, vscode.ConfigurationTarget.Global);
    }
  });
});

const LOOP_FINDING = {
  title: 'Off-by-one in loop bound',
  severity: 'error',
  category: 'bug',
  confidence: 'high',
  startLine: 11,
  endLine: 11,
  quote: LOOP,
  explanation: 'On the last pass `items[i]` is undefined and reading `.price` throws.',
  fix: { startLine: 11, endLine: 11, replacement: FIXED_LOOP },
};
const DOUBTFUL_FIX = '  return total - (total * percent) / 100;';
const DOUBTFUL_FINDING = {
  title: 'Total is multiplied by a percent',
  severity: 'warning',
  category: 'bug',
  confidence: 'low',
  startLine: 19,
  endLine: 19,
  quote: 'return total - total * percent;',
  explanation: 'Maybe percent is a fraction already; if it is 0..100 the discount is a hundred times too big.',
  fix: { startLine: 19, endLine: 19, replacement: DOUBTFUL_FIX },
};

function answerWith(findings: readonly object[]): string {
  return `The loop reads past the end.\n\n\`\`\`json\n${JSON.stringify({ summary: 'Off-by-one.', findings })}\n\`\`\`\n`;
}

/** A fresh copy of samples/src/cart.ts with cartTotal through applyDiscount selected, explained. */
async function explainCart(): Promise<{ editor: vscode.TextEditor; outcome: RunOutcome }> {
  const extension = vscode.extensions.getExtension(EXTENSION_ID)!;
  const file = join(mkdtempSync(join(tmpdir(), 'thinklens-prov-')), 'cart.ts');
  copyFileSync(join(extension.extensionPath, 'samples', 'src', 'cart.ts'), file);
  const editor = await vscode.window.showTextDocument(await vscode.workspace.openTextDocument(file));
  editor.selection = new vscode.Selection(8, 0, 19, editor.document.lineAt(19).text.length);
  const outcome = await vscode.commands.executeCommand<RunOutcome>('thinklens.explainBug');
  return { editor, outcome };
}
