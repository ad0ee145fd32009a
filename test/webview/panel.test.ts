// What a person sees in the panel, in real Chromium: the handshake, the live trace, collapsing it
// mid-stream, the answer, findings and their buttons, links, and state across a reload.
import { after, before, beforeEach, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { isOwnResource, openPanel } from './panelHarness';
import { answerDelta, finding, finished, paragraph, reasoningDelta, result, running, snapshot, started } from './fixtures';
import type { PanelPage } from './panelHarness';

let panel: PanelPage;

before(async () => {
  panel = await openPanel();
});

after(async () => {
  await panel?.close();
});

beforeEach(async () => {
  await panel.reset();
});

const traceText = () => panel.page.locator('.trace-body').first().innerText();
const traceScroll = () =>
  panel.page
    .locator('.trace-body')
    .first()
    .evaluate((el) => ({ top: el.scrollTop, height: el.scrollHeight, client: el.clientHeight }));

async function streamParagraphs(runId: string, from: number, to: number): Promise<void> {
  for (let i = from; i < to; i++) await panel.send(reasoningDelta(runId, paragraph(i)));
  await panel.frames();
}

describe('handshake and loading', () => {
  it('says ready first, loads only its own files under the CSP, and shows the empty state', async () => {
    assert.deepEqual(await panel.posted(), [{ type: 'ready' }]);
    await panel.send({ type: 'snapshot', snapshot: snapshot() });
    await panel.frames();
    assert.match(await panel.page.locator('.empty-state').innerText(), /ThinkLens: Explain This Bug/);
    assert.equal(await panel.page.locator('.follow-up').isVisible(), false, 'no follow-up box without a run');
    assert.deepEqual(await panel.cspViolations(), []);
    assert.deepEqual(panel.pageErrors, []);
    const foreign = panel.requests.filter((url) => !isOwnResource(url, panel.origin));
    assert.deepEqual(foreign, []);
    // The codicon font loaded under font-src.
    assert.equal(await panel.page.evaluate(() => document.fonts.check('16px codicon')), true);
    assert.ok(
      panel.requests.some((url) => url.includes('/media/dist/codicon-')),
      'codicon font requested',
    );
  });

  it('ignores messages that fail the protocol check', async () => {
    await panel.send({ type: 'snapshot', snapshot: snapshot({ thread: [running('r1')] }) });
    await panel.page.evaluate(() => {
      window.postMessage({ type: 'deltas', items: [{ runId: 'r1', reasoning: 42 }] }, '*');
      window.postMessage({ type: 'runStarted', run: { header: null } }, '*');
      window.postMessage({ type: 'evil', html: '<img src=x>' }, '*');
    });
    await panel.frames();
    assert.equal(await panel.page.locator('.run').count(), 1);
    assert.equal(await traceText(), '');
  });

  it('drops a whole message when one field has the wrong type', async () => {
    await panel.send({ type: 'snapshot', snapshot: snapshot({ thread: [running('r1')] }) });
    const well = { runId: 'r1', reasoning: 'kept', answer: '', reasoningPieces: 1, answerPieces: 0 };
    await panel.page.evaluate((item) => {
      window.postMessage({ type: 'deltas', items: [{ ...item, reasoning: 'wrong count type', reasoningPieces: '1' }] }, '*');
      window.postMessage({ type: 'deltas', items: [{ ...item, reasoning: 'wrong run id type', runId: 1 }] }, '*');
      window.postMessage({ type: 'focusRun', runId: 'r1', showTrace: 'yes' }, '*');
      window.postMessage({ type: 'deltas', items: [item] }, '*');
    }, well);
    // The last, well-formed message is painted; the ones before it left nothing behind.
    await panel.page.waitForFunction(() => document.querySelector('.trace-body')?.textContent?.includes('kept'));
    await panel.frames();
    assert.equal(await traceText(), 'kept');
    assert.deepEqual(panel.pageErrors, []);
  });
});

describe('live reasoning trace', () => {
  it('grows as deltas arrive, in paragraphs with inline code, with elapsed time and token count', async () => {
    await panel.send(started(running('r1', { startedAt: Date.now() - 5000 })));
    await panel.send(reasoningDelta('r1', 'Okay, the loop '));
    await panel.send(reasoningDelta('r1', 'in `sum'));
    await panel.send(reasoningDelta('r1', '()` looks wrong.\n'));
    await panel.frames();
    const first = await traceText();
    assert.match(first, /Okay, the loop in sum\(\) looks wrong\./);
    assert.equal(await panel.page.locator('.trace-body p code').first().innerText(), 'sum()');
    await panel.send(reasoningDelta('r1', '\nSecond paragraph.'));
    await panel.frames();
    assert.equal(await panel.page.locator('.trace-body p').count(), 2, 'a blank line starts a new paragraph');
    assert.ok((await traceText()).length > first.length);
    const stats = await panel.page.locator('.trace-stats').innerText();
    assert.match(stats, /^[5-9]s · ≈4 tokens/);
    assert.match(await panel.page.locator('.status-text').innerText(), /Thinking… \d+s/);
    assert.equal(await panel.page.locator('.trace-toggle').getAttribute('aria-expanded'), 'true');
    assert.match(await panel.page.locator('[role=status]').innerText(), /Reasoning/);
    assert.equal(await panel.page.locator('vscode-button.cancel').count(), 1);
  });

  it('renders a fenced block split across deltas as code, not as backticks', async () => {
    await panel.send(started(running('r1')));
    for (const piece of ['Try this:\n', '`', '``ts\nconst x', ' = 1;\n`', '``\nDone.']) await panel.send(reasoningDelta('r1', piece));
    await panel.frames();
    assert.equal(await panel.page.locator('.trace-body pre.trace-block code').innerText(), 'const x = 1;\n');
    assert.doesNotMatch(await traceText(), /`/);
  });

  it('follows the bottom, stops when the person scrolls up, and resumes at the bottom', async () => {
    await panel.send(started(running('r1')));
    await streamParagraphs('r1', 0, 40);
    let s = await traceScroll();
    assert.ok(s.height > s.client * 2, 'the trace overflows its box');
    assert.ok(s.height - s.top - s.client < 4, 'at the bottom while streaming');

    await panel.page.locator('.trace-body').evaluate((el) => el.scrollTo({ top: 100 }));
    await panel.frames();
    await streamParagraphs('r1', 40, 60);
    s = await traceScroll();
    assert.equal(s.top, 100, 'stays where the person scrolled');

    await panel.page.locator('.trace-body').evaluate((el) => el.scrollTo({ top: el.scrollHeight }));
    await panel.frames();
    await streamParagraphs('r1', 60, 70);
    s = await traceScroll();
    assert.ok(s.height - s.top - s.client < 4, 'follows again after scrolling back down');
  });

  it('keeps streaming and keeps its scroll position while the person collapses it', async () => {
    await panel.send(started(running('r1')));
    await streamParagraphs('r1', 0, 40);
    await panel.page.locator('.trace-body').evaluate((el) => el.scrollTo({ top: 150 }));
    await panel.frames();
    const before = await traceScroll();

    await panel.page.locator('.trace-toggle').click();
    assert.equal(await panel.page.locator('.trace-toggle').getAttribute('aria-expanded'), 'false');
    assert.equal(await panel.page.locator('.trace-body').isVisible(), false);
    await streamParagraphs('r1', 40, 60);
    assert.match((await panel.page.locator('.trace-body').textContent()) ?? '', /Step 59:/, 'text kept arriving while collapsed');
    assert.match(await panel.page.locator('.trace-stats').innerText(), /≈60 tokens/);

    await panel.page.locator('.trace-toggle').click();
    await panel.frames();
    const after = await traceScroll();
    assert.equal(after.top, before.top, 'scroll position restored');
    // Keyboard: the toggle is a button.
    await panel.page.locator('.trace-toggle').focus();
    await panel.page.keyboard.press('Enter');
    assert.equal(await panel.page.locator('.trace-toggle').getAttribute('aria-expanded'), 'false');
  });

  it('starts collapsed or hidden according to reasoning.display', async () => {
    await panel.send({ type: 'snapshot', snapshot: snapshot({ display: 'collapsed' }) });
    await panel.send(started(running('r1')));
    await streamParagraphs('r1', 0, 3);
    assert.equal(await panel.page.locator('.trace-toggle').getAttribute('aria-expanded'), 'false');
    assert.equal(await panel.page.locator('.trace-body').isVisible(), false);
    assert.match(await panel.page.locator('.trace-stats').innerText(), /≈3 tokens/, 'counts stay visible while collapsed');

    await panel.send({ type: 'display', mode: 'hidden' });
    await panel.frames();
    assert.equal(await panel.page.locator('.trace').isVisible(), false);
    assert.match(await panel.page.locator('.status-text').innerText(), /Thinking…/);

    // "Show reasoning" opens it whatever the setting.
    await panel.send({ type: 'focusRun', runId: 'r1', showTrace: true });
    await panel.frames();
    assert.equal(await panel.page.locator('.trace-body').isVisible(), true);
  });
});

describe('answer and findings', () => {
  it('renders the streamed answer as highlighted markdown and hides the JSON block', async () => {
    await panel.send(started(running('r1')));
    await streamParagraphs('r1', 0, 2);
    await panel.send(answerDelta('r1', '## The bug\n\nThe bound is wrong:\n\n```ts\nfor (let i = 0; i <= items.length; i++) {}\n```\n\n'));
    await panel.send(answerDelta('r1', 'Use `<` instead.\n\n```json\n{"summary": "x", "findings": ['));
    await panel.page.waitForTimeout(150);
    await panel.frames();
    const answer = panel.page.locator('.answer');
    assert.equal(await answer.locator('h2').innerText(), 'The bug');
    assert.ok((await answer.locator('pre code .hljs-keyword').count()) >= 2, 'code is highlighted');
    assert.doesNotMatch(await answer.innerText(), /"summary"/, 'the JSON block is not shown as prose');
    assert.equal(await panel.page.locator('.preparing').isVisible(), true, 'says findings are coming');
    assert.match(await panel.page.locator('.status-text').innerText(), /Answering…/);

    await panel.send(finished('r1'));
    await panel.frames();
    assert.match(await answer.innerText(), /so the last step reads past the end/);
    assert.equal(await panel.page.locator('.preparing').isVisible(), false);
    assert.match(await panel.page.locator('.summary').innerText(), /off by one/);
    assert.match(await panel.page.locator('.status-text').innerText(), /Done in/);
    assert.match(await panel.page.locator('[role=status]').innerText(), /Done: 1 finding/);
    assert.equal(await panel.page.locator('vscode-button.cancel').count(), 0);
  });

  it('renders an answer streamed in small pieces exactly like the same answer sent at once', async () => {
    const answer = [
      '# Title\n\nIntro with `code` and **bold**.\n\n',
      '1. First item\n\n   continued inside the item\n\n2. Second item\n\n',
      '```ts\nconst a = 1;\n\nconst b = 2; // a blank line inside the fence\n```\n\n',
      '~~~\nplain fence\n~~~\n\n| a | b |\n|---|---|\n| 1 | 2 |\n\n> quoted\n> text\n\nThe end.',
    ].join('');
    await panel.send(started(running('a1')));
    // Each line is painted before the next arrives: every blank line gets its chance to split the text.
    for (let i = 0; i < answer.length; i += 3) {
      const piece = answer.slice(i, i + 3);
      await panel.send(answerDelta('a1', piece));
      if (piece.includes('\n')) await panel.frames();
    }
    await panel.page.waitForTimeout(150);
    await panel.frames();
    const streamed = await panel.page.locator('.answer').innerHTML();
    await panel.send(started(running('a2'), 'a1'));
    await panel.send(answerDelta('a2', answer));
    await panel.page.waitForTimeout(150);
    await panel.frames();
    assert.equal(await panel.page.locator('article[data-run-id="a2"] .answer').innerHTML(), streamed);
    const first = panel.page.locator('article[data-run-id="a1"] .answer');
    assert.equal(await first.locator('pre code.language-ts').count(), 1, 'a blank line inside a fence does not split it');
    assert.match(await first.locator('pre code.language-ts').innerText(), /const a = 1;\n\nconst b = 2;/);
    assert.match(
      await first.locator('ol li').first().innerText(),
      /continued inside the item/,
      'an indented continuation stays in its list item',
    );
    assert.equal(await first.locator('ol').count(), 1, 'a blank line between two items does not split the list');
    assert.equal(await first.locator('ol > li').count(), 2);
    assert.equal(await first.locator('table td').count(), 2);
  });

  it("shows a run's note as it is written: a note about the window is not called unreadable findings", async () => {
    const note = "The server did not report deepseek-flash's context window; ThinkLens assumed 8,192 tokens.";
    await panel.send(started(running('r1')));
    await panel.send(finished('r1', result({ problem: note })));
    await panel.frames();
    const shown = await panel.page.locator('.problem').innerText();
    assert.match(shown, /assumed 8,192 tokens/);
    assert.doesNotMatch(shown, /No findings could be read/, 'the run has its finding: nothing went unread');
    assert.equal(await panel.page.locator('.finding').count(), 1);
  });

  it('groups findings by file and severity, marks uncertain locations and explains refused fixes', async () => {
    const findings = [
      finding('info1', { severity: 'info', title: 'Name could be clearer', hasFix: false, range: { startLine: 3, endLine: 3 } }),
      finding('err1', { severity: 'error', title: 'Reads past the end', range: { startLine: 12, endLine: 14 } }),
      finding('warn1', {
        severity: 'warning',
        title: 'Empty input returns NaN',
        file: { uri: 'file:///work/samples/avg.ts', path: 'samples/avg.ts' },
        locationUncertain: true,
        fixRefused: 'the fix reaches outside the selected lines',
      }),
      finding('gone', { dismissed: true }),
    ];
    await panel.send(started(running('r1')));
    await panel.send(finished('r1', result({ findings })));
    await panel.frames();
    const groups = panel.page.locator('.file-group');
    assert.equal(await groups.count(), 2);
    assert.equal(await groups.nth(0).locator('.file-path').innerText(), 'samples/sum.ts');
    assert.deepEqual(await groups.nth(0).locator('.finding-title').allInnerTexts(), ['Reads past the end', 'Name could be clearer']);
    assert.match(await groups.nth(0).locator('.finding-lines').first().innerText(), /lines 12–14/);
    const uncertain = groups.nth(1).locator('.finding');
    assert.match(await uncertain.locator('.finding-uncertain').innerText(), /location uncertain/);
    assert.match(await uncertain.locator('.finding-refused').innerText(), /Fix withheld: the fix reaches outside/);
    assert.equal(await uncertain.locator('vscode-button.apply-fix').count(), 0, 'no Apply for a refused fix');
    assert.match(await panel.page.locator('.findings').innerText(), /1 dismissed/);
    assert.equal(await panel.page.locator('.findings .section-title vscode-badge').innerText(), '3');
  });

  it('posts reveal, apply and dismiss for the right finding, by mouse and keyboard', async () => {
    await panel.send(started(running('r1')));
    await panel.send(
      finished('r1', result({ findings: [finding('a'), finding('b', { title: 'Second', range: { startLine: 20, endLine: 20 } })] })),
    );
    await panel.frames();
    await panel.clearPosted();
    const second = panel.page.locator('[data-finding-id="b"]');
    await second.locator('.finding-title').click();
    await second.locator('vscode-button.apply-fix').click();
    await second.locator('vscode-button.dismiss').click();
    await panel.page.locator('[data-finding-id="a"] vscode-button.apply-fix').focus();
    await panel.page.keyboard.press('Enter');
    assert.deepEqual(await panel.posted(), [
      { type: 'revealFinding', runId: 'r1', findingId: 'b' },
      { type: 'applyFix', runId: 'r1', findingId: 'b' },
      { type: 'dismissFinding', runId: 'r1', findingId: 'b' },
      { type: 'applyFix', runId: 'r1', findingId: 'a' },
    ]);

    await panel.send({ type: 'findings', runId: 'r1', findings: [finding('a', { applied: true }), finding('b', { dismissed: true })] });
    await panel.frames();
    assert.equal(await panel.page.locator('[data-finding-id="b"]').count(), 0, 'dismissed finding leaves the list');
    assert.match(await panel.page.locator('[data-finding-id="a"] .finding-applied').innerText(), /Fix applied/);
    assert.equal(await panel.page.locator('[data-finding-id="a"] vscode-button.apply-fix').count(), 0);
  });

  it('opens web links only through the host, without navigating', async () => {
    await panel.send(started(running('r1')));
    await panel.send(
      finished('r1', result({ prose: 'See [the docs](https://example.com/docs?a=1) and [this](command:workbench.action.quit).' })),
    );
    await panel.frames();
    await panel.clearPosted();
    await panel.page.locator('.answer-toggle').click(); // with findings, the prose is folded behind "Full answer"
    const link = panel.page.locator('.answer .external-link');
    assert.equal(await link.count(), 1, 'only the https link is a link');
    assert.equal(await link.getAttribute('href'), null);
    await link.click();
    await link.focus();
    await panel.page.keyboard.press('Enter');
    assert.deepEqual(await panel.posted(), [
      { type: 'openLink', href: 'https://example.com/docs?a=1' },
      { type: 'openLink', href: 'https://example.com/docs?a=1' },
    ]);
    assert.equal(panel.page.url(), `${panel.origin}/panel.html`);
    assert.match(
      await panel.page.locator('.answer').innerText(),
      /\[this\]\(command:workbench\.action\.quit\)/,
      'the command link stays text',
    );
  });
});

describe('state across reloads', () => {
  it('shows the same run, trace state and draft after a reload, before the host answers', async () => {
    await panel.send(started(running('r1')));
    await streamParagraphs('r1', 0, 30);
    await panel.send(answerDelta('r1', 'Partial answer.'));
    await panel.send(finished('r1'));
    await panel.frames();
    // The answer started, so the reasoning folded to its one-line header; the person opens it again.
    assert.equal(
      await panel.page.locator('.trace-toggle').getAttribute('aria-expanded'),
      'false',
      'the reasoning did not fold when the answer started',
    );
    assert.match(await panel.page.locator('.trace-stats').innerText(), /^thought for \S+ · /);
    await panel.page.locator('.trace-toggle').click();
    await panel.page.locator('.follow-up-input').locator('textarea').fill('What about empty arrays?');
    await panel.page.waitForTimeout(400); // state is saved on a short trailing timer

    await panel.reload();
    await panel.frames();
    assert.deepEqual(await panel.posted(), [{ type: 'ready' }]);
    assert.match(await panel.page.locator('.answer').innerText(), /last step reads past the end/);
    assert.equal(await panel.page.locator('.trace-toggle').getAttribute('aria-expanded'), 'true', "the person's choice was lost");
    assert.match((await panel.page.locator('.trace-body').textContent()) ?? '', /Step 29:/);
    assert.equal(
      await panel.page.locator('.follow-up-input').evaluate((el) => (el as HTMLElement & { value: string }).value),
      'What about empty arrays?',
    );
    assert.equal(await panel.page.locator('.finding').count(), 1);
  });
});
