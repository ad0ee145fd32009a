// A finding tied to its reasoning, in real Chromium: "Why" unfolds the trace, highlights the
// finding's passages (CSS Custom Highlight API) at the right characters even after code spans,
// fences and rendered math, steps through them and goes back, by mouse and keyboard, announced;
// "N more, lower confidence" folds doubtful findings; agreement and each sample's trace.
import { after, before, beforeEach, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { openPanel } from './panelHarness';
import { finding, finished, reasoningDelta, result, running, started } from './fixtures';
import type { PanelPage } from './panelHarness';
import type { EvidenceSpan, FindingView, SampleView } from '../../src/bridge/protocol';

let panel: PanelPage;

before(async () => {
  panel = await openPanel();
});

after(async () => {
  await panel?.close();
});

beforeEach(async () => {
  await panel.reset();
  await panel.page.evaluate(() => {
    const log: string[] = [];
    (window as unknown as { __said: string[] }).__said = log;
    const region = document.querySelector('[role=status]');
    if (region)
      new MutationObserver(() => log.push(region.textContent ?? '')).observe(region, {
        childList: true,
        characterData: true,
        subtree: true,
      });
  });
});

// Everything the trace writer drops or replaces comes before the passages: a code span's backticks,
// a fenced block with its info string, blank lines, and math that is rendered.
const FIRST = 'The loop runs while i <= items.length, so the last pass reads items[items.length], which is undefined.';
const SECOND = 'Adding undefined to a number gives NaN, and sum() returns NaN for every non-empty cart.';
const REASONING = [
  'Okay, the user asks about `sum()` in this file. Let me read it.',
  '',
  '```ts',
  'for (let i = 0; i <= items.length; i++) total += items[i];',
  '```',
  '',
  'The total is $\\sum_{i=0}^{n} x_i$ over the items, fine so far.',
  '',
  ...Array.from({ length: 30 }, (_, i) => `Filler thought ${i}: checking the caller at line ${i}, nothing there.\n`),
  `Now the loop, in \`sum()\`, with a formula $n - 1$ on the way. ${FIRST} Noted.`,
  '',
  'What about an empty cart? Then the loop body runs once with i = 0, still reading past the end.',
  '',
  `Hmm, \`total\` again: ${SECOND}`,
  '',
  ...Array.from({ length: 30 }, (_, i) => `Later thought ${i}: the rest of the file looks fine.\n`),
  'The math $a + b$ here was the passage.',
].join('\n');

function span(text: string, reasoning = REASONING): EvidenceSpan {
  const start = reasoning.indexOf(text);
  assert.ok(start >= 0, `"${text.slice(0, 30)}" is in the reasoning`);
  return { start, end: start + text.length };
}

async function showRun(findings: FindingView[], options: { samples?: SampleView[]; fold?: boolean } = {}): Promise<void> {
  await panel.send(started(running('r1')));
  // Small pieces: a passage's text node is written in many appends.
  for (let i = 0; i < REASONING.length; i += 37) await panel.send(reasoningDelta('r1', REASONING.slice(i, i + 37)));
  await panel.send(finished('r1', result({ findings, ...(options.samples ? { samples: options.samples } : {}) })));
  await panel.frames();
  if (options.fold && (await panel.page.locator('.trace-toggle').getAttribute('aria-expanded')) === 'true') {
    await panel.page.locator('.trace-toggle').click();
  }
}

/** The text of each range of a named highlight, and whether the browser has the registry at all. */
async function highlighted(name: string): Promise<string[]> {
  return panel.page.evaluate((highlight) => {
    const entry = CSS.highlights.get(highlight);
    return entry ? [...entry].map((r) => (r as Range).toString()) : [];
  }, name);
}

const said = () => panel.page.evaluate(() => (window as unknown as { __said: string[] }).__said);
const focusedClass = () => panel.page.evaluate(() => (document.activeElement as HTMLElement | null)?.className ?? '');

describe('Why', () => {
  it('unfolds the trace, highlights exactly the passages, steps to the next and goes back to the finding', async () => {
    await showRun([finding('f1', { evidence: [span(FIRST), span(SECOND)], confidence: 'high' })], { fold: true });
    assert.equal(await panel.page.locator('.trace-toggle').getAttribute('aria-expanded'), 'false', 'the trace starts folded');

    await panel.page.locator('.finding-why').click();
    assert.equal(await panel.page.locator('.trace-toggle').getAttribute('aria-expanded'), 'true', 'Why unfolds the trace');
    assert.deepEqual(
      await highlighted('thinklens-evidence'),
      [FIRST, SECOND],
      'the highlighted characters are the passages, after code, a fence and math',
    );
    assert.deepEqual(await highlighted('thinklens-evidence-current'), [FIRST]);
    assert.match(await panel.page.locator('.evidence-where').innerText(), /passage 1 of 2/);
    assert.match(await focusedClass(), /evidence-back/, 'focus moves to Back to finding');
    const inView = () =>
      panel.page.evaluate(() => {
        const range = [...CSS.highlights.get('thinklens-evidence-current')!][0] as Range;
        const box = document.querySelector('.trace-body')!.getBoundingClientRect();
        const rect = range.getBoundingClientRect();
        return rect.top >= box.top && rect.bottom <= box.bottom;
      });
    assert.equal(await inView(), true, 'the trace is scrolled to the first passage');
    assert.ok(
      (await said()).some((s) => s.includes('passage 1 of 2') && s.includes('The loop runs while')),
      'the passage is announced in words',
    );

    await panel.page.locator('.evidence-next').click();
    assert.deepEqual(await highlighted('thinklens-evidence-current'), [SECOND]);
    assert.equal(await inView(), true, 'scrolled to the second passage');

    await panel.page.locator('.evidence-back').click();
    assert.deepEqual(await highlighted('thinklens-evidence'), [], 'back clears the highlight');
    assert.equal(await panel.page.locator('.evidence-bar').isVisible(), false);
    assert.match(await focusedClass(), /finding-why/, 'focus returns to the finding');
    assert.match((await said()).at(-1) ?? '', /Back to “Loop reads one element past the end”/);
  });

  it('works from the keyboard: Enter on Why, Escape in the bar goes back', async () => {
    await showRun([finding('f1', { evidence: [span(SECOND)] })]);
    await panel.page.locator('.finding-why').focus();
    await panel.page.keyboard.press('Enter');
    assert.deepEqual(await highlighted('thinklens-evidence'), [SECOND]);
    assert.match(await focusedClass(), /evidence-back/);
    await panel.page.keyboard.press('Escape');
    assert.deepEqual(await highlighted('thinklens-evidence'), []);
    assert.match(await focusedClass(), /finding-why/);
    assert.equal(await panel.page.locator('article.run.is-running').count(), 0);
  });

  it('takes rendered math inside a passage whole', async () => {
    const passage = 'The math $a + b$ here was the passage.';
    await showRun([finding('f1', { evidence: [span(passage)] })]);
    await panel.page.locator('.finding-why').click();
    const covers = await panel.page.evaluate(() => {
      const range = [...CSS.highlights.get('thinklens-evidence')!][0] as Range;
      const math = [...document.querySelectorAll('.trace-body .math')].at(-1)!;
      return { math: range.intersectsNode(math), text: range.toString() };
    });
    assert.equal(covers.math, true, 'the rendered formula is inside the highlighted range');
    assert.match(covers.text, /^The math .*here was the passage\.$/s);
  });

  it('says so when no passage was found, instead of doing nothing', async () => {
    await showRun([finding('f1', { evidence: [] })]);
    await panel.page.locator('.finding-why').click();
    assert.match(await panel.page.locator('.evidence-bar').innerText(), /No passage of the reasoning was found/);
    assert.deepEqual(await highlighted('thinklens-evidence'), []);
    assert.ok(
      (await said()).some((s) => /No passage of the reasoning was found/.test(s)),
      'announced',
    );
    assert.match(await focusedClass(), /evidence-back/);
  });

  it("the hover's Open in panel (focusRun with the finding) lands on the same view", async () => {
    await showRun([finding('f1', { evidence: [span(FIRST)] })], { fold: true });
    await panel.send({ type: 'focusRun', runId: 'r1', showTrace: true, findingId: 'f1' });
    await panel.frames();
    assert.equal(await panel.page.locator('.trace-toggle').getAttribute('aria-expanded'), 'true');
    assert.deepEqual(await highlighted('thinklens-evidence'), [FIRST]);
    assert.equal(await panel.page.locator('.evidence-bar').isVisible(), true);
  });
});

describe('lower confidence', () => {
  it('lists low-confidence findings under a folded "N more, lower confidence", still fixable and explainable', async () => {
    const findings = [
      finding('f1', { confidence: 'high' }),
      finding('f2', {
        title: 'Maybe a race on total',
        confidence: 'low',
        confidenceReasons: ['the trace dismissed it'],
        evidence: [span(SECOND)],
      }),
      finding('f3', { title: 'Possibly slow for big carts', confidence: 'low', severity: 'info' }),
    ];
    await showRun(findings);
    const toggle = panel.page.locator('.lower-toggle');
    assert.equal((await toggle.innerText()).trim(), '2 more, lower confidence');
    assert.equal(await toggle.getAttribute('aria-expanded'), 'false');
    assert.equal(
      await panel.page.locator('.findings .section-title vscode-badge').innerText(),
      '1',
      'the count is of the confident findings',
    );
    assert.equal(await panel.page.locator('[data-finding-id="f2"]').isVisible(), false, 'folded');

    await toggle.click();
    assert.equal(await toggle.getAttribute('aria-expanded'), 'true');
    assert.equal(await panel.page.locator('[data-finding-id="f2"]').isVisible(), true);
    assert.match(await panel.page.locator('[data-finding-id="f2"] .finding-confidence').innerText(), /low confidence/);
    await panel.clearPosted();
    await panel.page.locator('[data-finding-id="f2"] .apply-fix').click();
    assert.deepEqual(await panel.posted(), [{ type: 'applyFix', runId: 'r1', findingId: 'f2' }]);

    // A findings update re-renders the list: the group stays as the person left it.
    await panel.send({ type: 'findings', runId: 'r1', findings: findings.map((f) => (f.id === 'f3' ? { ...f, dismissed: true } : f)) });
    await panel.frames();
    assert.equal((await toggle.innerText()).trim(), '1 more, lower confidence');
    assert.equal(await toggle.getAttribute('aria-expanded'), 'true');
  });

  it('Back to finding unfolds the group when the finding sits in it', async () => {
    await showRun([finding('f1'), finding('f2', { title: 'Maybe a race', confidence: 'low', evidence: [span(SECOND)] })]);
    await panel.send({ type: 'focusRun', runId: 'r1', showTrace: true, findingId: 'f2' });
    await panel.frames();
    assert.deepEqual(await highlighted('thinklens-evidence'), [SECOND]);
    await panel.page.locator('.evidence-back').click();
    assert.equal(await panel.page.locator('.lower-toggle').getAttribute('aria-expanded'), 'true');
    assert.equal(
      await panel.page.evaluate(() => document.activeElement?.closest('[data-finding-id]')?.getAttribute('data-finding-id')),
      'f2',
    );
  });
});

describe('samples', () => {
  const SAMPLE_2 = 'Sample two thinks differently. The bound i <= items.length reads one past the end, for sure.';
  const SAMPLE_3 = 'Sample three: an empty cart is fine. The bound reads past the end though.';

  it('shows the agreement, a switcher for each sample trace, and Why opens the sample the finding came from', async () => {
    const samples: SampleView[] = [{ reasoning: REASONING }, { reasoning: SAMPLE_2 }, { reasoning: SAMPLE_3 }];
    const passage = 'The bound i <= items.length reads one past the end';
    await showRun(
      [
        finding('f1', { agreement: { count: 3, of: 3 }, sample: 1, evidence: [span(passage, SAMPLE_2)] }),
        finding('f2', { title: 'Empty cart', agreement: { count: 1, of: 3 }, sample: 0, confidence: 'medium', evidence: [span(FIRST)] }),
      ],
      { samples },
    );
    assert.match(await panel.page.locator('[data-finding-id="f1"] .finding-agreement').innerText(), /3 of 3 samples/);
    assert.match(await panel.page.locator('[data-finding-id="f2"] .finding-agreement').innerText(), /1 of 3 samples/);
    const pressed = () => panel.page.locator('.sample-button[aria-pressed=true]').innerText();
    assert.equal(await panel.page.locator('.sample-button').count(), 3);
    assert.equal(await pressed(), '1');

    await panel.page.locator('[data-finding-id="f1"] .finding-why').click();
    await panel.frames();
    assert.equal(await pressed(), '2', 'Why switched to the sample the finding came from');
    assert.deepEqual(await highlighted('thinklens-evidence'), [passage]);
    assert.match(await panel.page.locator('.evidence-where').innerText(), /of sample 2/);
    assert.match((await panel.page.locator('.trace-body').textContent()) ?? '', /Sample two thinks differently/);

    await panel.page.locator('.sample-button', { hasText: '3' }).click();
    await panel.frames(); // the other trace is written over the next frames
    assert.match((await panel.page.locator('.trace-body').textContent())?.trim() ?? '', /^Sample three/);
    assert.deepEqual(await highlighted('thinklens-evidence'), [], 'another trace: the old passages are gone');

    await panel.page.locator('[data-finding-id="f2"] .finding-why').click();
    await panel.frames();
    assert.equal(await pressed(), '1');
    assert.deepEqual(await highlighted('thinklens-evidence'), [FIRST]);
  });

  it('shows no agreement and no switcher for a single sample', async () => {
    await showRun([finding('f1', { agreement: { count: 1, of: 1 }, sample: 0 })]);
    assert.equal(await panel.page.locator('.finding-agreement').count(), 0);
    assert.equal(await panel.page.locator('.sample-switcher').isVisible(), false);
  });
});
