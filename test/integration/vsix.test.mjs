// The VSIX a person installs, not the development folder: `npm run package` builds it for this
// machine, `code-server --install-extension` installs it into a fresh extensions folder, and a
// workbench with no ThinkLens development extension runs Explain This Bug on samples/src/cart.ts
// against the replay server: the reasoning streams into the panel and the finding reaches the
// Problems panel. A second extension (test/integration/probe, the only development extension)
// then checks that the installed ThinkLens exports nothing and that no command argument skips a
// dialog a person answers.
//
// Run by test/integration/runTests.mjs (last: packaging leaves production bundles in dist/, which
// this file rebuilds for development when it ends), or alone: node --test test/integration/vsix.test.mjs
// (THINKLENS_VSIX=<file.vsix> installs that file instead of packaging one).
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { cpSync, existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, afterEach, before, test } from 'node:test';
import { installSignalHandlers } from '../../scripts/vscode/cleanup.mjs';
import { ensureCodeServer } from '../../scripts/vscode/installCodeServer.mjs';
import { startReplay, writeMachineSettings } from './replay.mjs';
import {
  extensionId,
  openProblems,
  openWorkbench,
  panelFrame,
  problemRows,
  projectRoot,
  runCommandFromPalette,
  screenshot,
  thinkLensActivityItem,
} from './workbench.mjs';

const MODEL = 'deepseek-flash';
const RESULTS = join(projectRoot, 'test-results', 'vsix');
const BUGGY_LOOP = 'for (let i = 0; i <= items.length; i++) {';
const REASONING = [
  'The loop in cartTotal runs while i <= items.length, so its last pass reads items[items.length].',
  'That element is undefined, and reading unitPrice from it throws a TypeError for every cart.',
  'The bound should be i < items.length; the rest of the function is fine.',
].join('\n\n');
const ANSWER = [
  'The loop bound is off by one: the last pass reads past the end of `items`.',
  '',
  '```json',
  JSON.stringify({
    summary: 'cartTotal reads one element past the end of items.',
    findings: [
      {
        title: 'Off-by-one in loop bound',
        severity: 'error',
        category: 'bug',
        startLine: 11,
        endLine: 11,
        quote: BUGGY_LOOP,
        explanation: 'With i <= items.length the last iteration reads items[items.length], which is undefined.',
        fix: { startLine: 11, endLine: 11, replacement: '  for (let i = 0; i < items.length; i++) {' },
      },
    ],
  }),
  '```',
  '',
].join('\n');

let scratch;
let replay;
/** @type {import('./workbench.mjs').Workbench | undefined} */
let workbench;
let vsix;
let installed;

/** Runs a command to completion and returns its output; throws `what` with the output's last lines when it fails. */
function runOrExplain(what, command, args, options = {}) {
  const result = spawnSync(command, args, { cwd: projectRoot, encoding: 'utf8', maxBuffer: 64 * 1024 * 1024, ...options });
  const output = `${result.stdout ?? ''}${result.stderr ?? ''}`;
  if (result.status !== 0) {
    const tail = output.trim().split('\n').slice(-25).join('\n');
    throw new Error(`${what} failed (${result.error?.message ?? `exit ${result.status}`}); its last lines:\n${tail}`);
  }
  return output;
}

/** Builds the VSIX for this machine with `npm run package` and returns its path. */
function packageVsix() {
  const outDir = join(projectRoot, 'dist', 'vsix');
  rmSync(outDir, { recursive: true, force: true });
  const started = Date.now();
  runOrExplain('packaging the VSIX (npm run package)', process.execPath, ['scripts/package.mjs']);
  const built = existsSync(outDir) ? readdirSync(outDir).filter((f) => f.endsWith('.vsix')) : [];
  if (built.length !== 1)
    throw new Error(`packaging the VSIX (npm run package) left ${built.length} .vsix files in ${outDir}, not one: ${built.join(', ')}`);
  console.log(`# packaged ${built[0]} in ${((Date.now() - started) / 1000).toFixed(1)} s`);
  return join(outDir, built[0]);
}

/** The panel's newest run card, as a person reads it. */
async function newestRun(frame) {
  return frame.locator('body').evaluate(() => {
    const cards = document.querySelectorAll('article.run');
    const card = cards[cards.length - 1];
    if (!card) return undefined;
    return {
      running: card.classList.contains('is-running'),
      busy: card.getAttribute('aria-busy') === 'true',
      trace: card.querySelector('.trace-body')?.textContent ?? '',
      findings: [...card.querySelectorAll('.finding .finding-title')].map((f) => f.textContent ?? ''),
    };
  });
}

async function waitForRun(frame, predicate, what, timeoutMs = 30_000) {
  const deadline = Date.now() + timeoutMs;
  let last;
  for (;;) {
    last = await newestRun(frame).catch(() => undefined);
    if (last && predicate(last)) return last;
    if (Date.now() > deadline)
      throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}; the newest run: ${JSON.stringify(last)?.slice(0, 600)}`);
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}

/** Opens a workspace file with the cursor on a 1-based line, through Quick Open (`path:line`). */
async function openAtLine(page, relativePath, line) {
  const widget = page.locator('.quick-input-widget');
  await page.keyboard.press('Escape');
  await page.keyboard.press('Control+P');
  const input = widget.locator('.quick-input-box input');
  await input.waitFor({ state: 'visible', timeout: 10_000 });
  await input.fill(`${relativePath}:${line}`);
  const name = relativePath.split('/').pop();
  await widget.locator('.quick-input-list .monaco-list-row', { hasText: name }).first().waitFor({ state: 'visible', timeout: 15_000 });
  await page.keyboard.press('Enter');
  await page
    .locator('.statusbar-item[id="status.editor.selection"]', { hasText: new RegExp(`Ln ${line},`) })
    .first()
    .waitFor({ state: 'visible', timeout: 15_000 });
}

before(
  async () => {
    installSignalHandlers();
    scratch = mkdtempSync(join(tmpdir(), 'thinklens-vsix-'));
    vsix = process.env.THINKLENS_VSIX || packageVsix();

    const install = await ensureCodeServer();
    const extensionsDir = join(scratch, 'extensions');
    const home = join(scratch, 'install-home');
    for (const dir of [extensionsDir, home]) mkdirSync(dir, { recursive: true });
    const said = runOrExplain(
      `installing ${vsix} into code-server (--install-extension)`,
      install.node,
      [
        install.entry,
        '--extensions-dir',
        extensionsDir,
        '--user-data-dir',
        join(scratch, 'install-user-data'),
        '--install-extension',
        vsix,
      ],
      { env: { ...process.env, XDG_CONFIG_HOME: home, XDG_DATA_HOME: home, XDG_CACHE_HOME: home, VSCODE_IPC_HOOK_CLI: '' } },
    );
    assert.match(said, /was successfully installed/, `code-server did not report the install: ${said}`);
    installed = readdirSync(extensionsDir).find((name) => name.startsWith(`${extensionId}-`));
    assert.ok(installed, `no ${extensionId} folder in the extensions folder after the install: ${readdirSync(extensionsDir).join(', ')}`);

    // A copy of the samples: the workspace is the person's, not the repository.
    const folder = join(scratch, 'samples');
    cpSync(join(projectRoot, 'samples'), folder, { recursive: true });
    replay = await startReplay();
    workbench = await openWorkbench({
      folder,
      extensionDevelopmentPath: join(projectRoot, 'test', 'integration', 'probe'),
      extensionsDir,
      settings: { 'thinklens.requestTimeoutSeconds': 20, 'editor.minimap.enabled': false },
    });
    writeMachineSettings(workbench.server.userDataDir, {
      'thinklens.backend': 'openai-compatible',
      'thinklens.baseUrl': replay.baseUrl,
      'thinklens.model': MODEL,
    });
    const page = workbench.page;
    await page.reload({ waitUntil: 'domcontentloaded', timeout: 60_000 });
    await page.locator('.monaco-workbench').waitFor({ timeout: 60_000 });
    await thinkLensActivityItem(page).waitFor({ timeout: 60_000 });
  },
  { timeout: 900_000 },
); // packaging, and a first run may install code-server

after(async () => {
  await workbench?.close();
  replay?.stop();
  if (scratch) rmSync(scratch, { recursive: true, force: true });
  // npm run package built production bundles; the other layers expect the development build.
  spawnSync(process.execPath, ['esbuild.mjs', 'extension', 'webview', 'cli'], { cwd: projectRoot, stdio: 'inherit' });
});

afterEach(async (context) => {
  if (workbench)
    await screenshot(workbench.page, join(RESULTS, `${context.name.replace(/[^\w-]+/g, '_').slice(0, 80)}.png`)).catch(() => undefined);
});

test('the VSIX carries the bundles and the runtime packages, and code-server installed it', () => {
  const listing = JSON.parse(readFileSync(join(workbench.server.extensionsDir, 'extensions.json'), 'utf8'));
  assert.ok(
    listing.some((entry) => entry.identifier?.id === extensionId),
    `extensions.json does not list ${extensionId}`,
  );
  const root = join(workbench.server.extensionsDir, installed);
  for (const file of [
    'dist/extension.js',
    'dist/cli.js',
    'media/dist/webview.js',
    'media/icon.png',
    'samples/src/cart.ts',
    'changelog.md',
    'node_modules/openai/package.json',
    'node_modules/node-llama-cpp/package.json',
  ]) {
    assert.ok(existsSync(join(root, file)), `the installed extension has no ${file}`);
  }
  for (const absent of ['src', 'test', 'bench', 'docs', 'scripts', 'dist/extension.js.map']) {
    assert.ok(!existsSync(join(root, absent)), `the installed extension ships ${absent}`);
  }
});

test(
  'Explain This Bug with the installed VSIX: the reasoning streams into the panel and the finding reaches the Problems panel',
  { timeout: 180_000 },
  async () => {
    const page = workbench.page;
    // Quick Open with `file:line` opens cart.ts with the cursor in cartTotal's loop. It finds files only
    // once the workspace is indexed, which a loaded machine may take a while to do: a person tries again.
    for (let attempt = 1; ; attempt++) {
      try {
        await openAtLine(page, 'src/cart.ts', 11);
        break;
      } catch (error) {
        if (attempt === 3) throw error;
      }
    }

    const scripted = await fetch(`${replay.baseUrl}/__replay/script`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({
        model: MODEL,
        responses: [{ stream: 'deepseek', model: MODEL, reasoning: REASONING, answer: ANSWER, pieces: 300, delayMs: 50 }],
      }),
    });
    assert.equal(scripted.status, 200, `the replay server refused the script: ${await scripted.text()}`);
    await runCommandFromPalette(page, 'ThinkLens: Explain This Bug');

    const frame = panelFrame(page);
    const early = await waitForRun(frame, (r) => r.running && r.trace.length > 0, 'the first reasoning text', 60_000);
    assert.ok(
      REASONING.replace(/\s+/g, '').startsWith(early.trace.replace(/\s+/g, '')),
      `the panel shows other text than the reasoning: ${early.trace.slice(0, 80)}`,
    );
    const done = await waitForRun(frame, (r) => !r.running && !r.busy, 'the run to finish', 60_000);
    // The run went to the backend set in the machine's settings (the status bar names it).
    await page
      .locator('.statusbar-item', { hasText: `openai-compatible: ${MODEL}` })
      .first()
      .waitFor({ state: 'visible', timeout: 30_000 });
    // Paragraphs render as separate blocks, so the text is compared without its whitespace.
    assert.equal(done.trace.replace(/\s+/g, ''), REASONING.replace(/\s+/g, ''), 'the finished trace is not the whole reasoning');
    assert.deepEqual(done.findings, ['Off-by-one in loop bound']);

    const requests = await (await fetch(`${replay.baseUrl}/__replay/requests`)).json();
    assert.match(requests.at(-1)?.body?.messages?.[0]?.content ?? '', /i <= items\.length/, 'the model was not sent the buggy loop');

    await openProblems(page);
    const row = problemRows(page).filter({ hasText: 'Off-by-one in loop bound' }).first();
    await row.waitFor({ state: 'visible', timeout: 15_000 });
    const label = `${(await row.getAttribute('aria-label')) ?? ''} ${await row.innerText()}`;
    assert.match(label, /ThinkLens/, `the problem row does not name ThinkLens: ${label}`);
  },
);

/** The workbench's modal dialog (a warning with `modal: true`), as a person sees it. */
const modalDialog = (page, text) => page.locator('.monaco-dialog-box', { hasText: text }).first();

test(
  'class 14: another extension gets nothing from the installed ThinkLens: no exports, and no argument skips the save dialog or the Clear All question',
  { timeout: 180_000 },
  async () => {
    const page = workbench.page;
    const folder = workbench.folder;
    await runCommandFromPalette(page, 'ThinkLens Probe: Try Test Hooks');
    const reportFile = join(folder, 'probe-report.json');
    const deadline = Date.now() + 30_000;
    while (!existsSync(reportFile)) {
      if (Date.now() > deadline) throw new Error('the probe extension wrote no probe-report.json within 30 s');
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
    const report = JSON.parse(readFileSync(reportFile, 'utf8'));
    assert.equal(report.exports, null, `the installed ThinkLens exports ${JSON.stringify(report.exports)} to other extensions`);

    // thinklens.exportTrace with a target inside the workspace: the save dialog still asks, and nothing is written.
    const saveDialog = page.locator('.quick-input-widget', { hasText: 'Export the' }).first();
    await saveDialog.waitFor({ state: 'visible', timeout: 30_000 });
    assert.ok(!existsSync(report.exportTarget), 'an extension wrote a trace into the workspace without the save dialog');
    await page.keyboard.press('Escape');
    await saveDialog.waitFor({ state: 'hidden', timeout: 10_000 });
    assert.ok(!existsSync(report.exportTarget), 'the trace was written after the dialog was dismissed');

    // Findings in two files, then thinklens.clearFindings('all', { confirmed: true }): the question still comes.
    await openAtLine(page, 'src/retry.ts', 7);
    const line = 'return operation();';
    const scripted = await fetch(`${replay.baseUrl}/__replay/script`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({
        model: MODEL,
        responses: [
          {
            stream: 'deepseek',
            model: MODEL,
            reasoning: 'The operation is returned without await, so its rejection escapes the try.',
            answer: `Missing await.\n\n\`\`\`json\n${JSON.stringify({
              summary: 'A rejection escapes the retry.',
              findings: [
                {
                  title: 'Missing await in retry',
                  severity: 'error',
                  category: 'bug',
                  startLine: 7,
                  endLine: 7,
                  quote: line,
                  explanation: 'return operation() hands back the promise; the catch never sees its rejection.',
                },
              ],
            })}\n\`\`\`\n`,
          },
        ],
      }),
    });
    assert.equal(scripted.status, 200, `the replay server refused the script: ${await scripted.text()}`);
    await runCommandFromPalette(page, 'ThinkLens: Explain This Bug');
    await openProblems(page);
    await problemRows(page).filter({ hasText: 'Missing await in retry' }).first().waitFor({ state: 'visible', timeout: 60_000 });
    await runCommandFromPalette(page, 'ThinkLens Probe: Clear All Without Asking');
    const question = modalDialog(page, 'Clear all');
    await question.waitFor({ state: 'visible', timeout: 30_000 });
    await question.getByRole('button', { name: 'Cancel' }).click();
    await question.waitFor({ state: 'hidden', timeout: 10_000 });
    await problemRows(page).filter({ hasText: 'Off-by-one in loop bound' }).first().waitFor({ state: 'visible', timeout: 10_000 });
  },
);
