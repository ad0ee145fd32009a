// TeX math in the panel: rendered by KaTeX in the trace and the answer while they stream, with the
// unfinished formula shown as its source and rendered once when it closes; nothing executable or
// loadable gets through (an XSS corpus inside math delimiters, KaTeX's \href, \url and \html…
// extensions); the CSP holds; copying a formula gives its TeX.
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { isOwnResource, openPanel } from './panelHarness';
import { answerDelta, finished, reasoningDelta, result, running, snapshot, started } from './fixtures';
import type { PanelPage } from './panelHarness';

/** Each would set window.__pwned, open a dialog, load from pwn.test or style with a URL if it got through. */
const MATH_PAYLOADS = [
  '$\\href{javascript:window.__pwned=1}{click}$',
  '$\\href{http://pwn.test/href}{x}$',
  '$\\url{javascript:window.__pwned=2}$',
  '$$\\url{http://pwn.test/url}$$',
  '\\(\\htmlClass{finding}{x}\\)',
  '\\(\\htmlId{app}{x}\\)',
  '\\(\\htmlStyle{background:url(http://pwn.test/style.png)}{x}\\)',
  '\\(\\htmlData{foo=bar}{x}\\)',
  '\\[\\includegraphics{http://pwn.test/img.png}\\]',
  '$<img src=x onerror="window.__pwned=3">$',
  '$</span><script>window.__pwned=4</script>$',
  '$$</span></p><svg onload="window.__pwned=5">$$',
  '\\(\\text{<img src=x onerror=window.__pwned=6>}\\)',
  '$\\textcolor{url(http://pwn.test/c)}{x}$',
  '$\\color{expression(window.__pwned=7)}{x}$',
  '$\\colorbox{red; background:url(http://pwn.test/bg)}{x}$',
  '$\\operatorname{<svg/onload=window.__pwned=8>}$',
  '$\\mathrm{"><img src=x onerror=window.__pwned=9>}$',
  '$\\def\\x{\\x}\\x$',
  '$\\rule{99999em}{99999em}$',
  '$\\verb|<script>window.__pwned=10</script>|$',
  '$\\char"3C script\\char"3E$',
  '\\[\\begin{array}{c}\\href{javascript:alert(1)}{a}\\end{array}\\]',
  '$x\\raisebox{1em}{\\href{javascript:alert(1)}{y}}$',
];
const MATH_ALL = MATH_PAYLOADS.map((p, i) => `Payload ${i}: ${p} ends.`).join('\n\n');

/** Reasoning the way R1 writes about a proof: inline and display math in every delimiter style. */
const TRACE =
  'The claim is \\(1 + 3 + \\dots + (2n-1) = n^2\\) for $n \\ge 1$. It costs $5 and $10 to check.\n\n' +
  'Expand:\n\\[\n(k+2)^2 - 3 = k^2 + 4k + 1\n\\]\nwhich is not $k^2 + 2k + 1$.\n\n' +
  'Also $$\\sum_{i=1}^{n} i = \\frac{n(n+1)}{2}$$ holds, and `$not math$` is code.\n\n' +
  'An unfinished $x + ';

let panel: PanelPage;

before(async () => {
  panel = await openPanel();
});

after(async () => {
  await panel?.close();
});

async function assertInert(where: string): Promise<void> {
  const page = panel.page;
  assert.equal(await page.evaluate(() => (window as unknown as { __pwned: number }).__pwned), 0, `${where}: script ran`);
  assert.deepEqual(panel.dialogs, [], `${where}: dialog opened`);
  assert.deepEqual(panel.pageErrors, [], `${where}: page error`);
  assert.deepEqual(
    panel.requests.filter((url) => !isOwnResource(url, panel.origin)),
    [],
    `${where}: foreign request`,
  );
  assert.deepEqual(await panel.cspViolations(), [], `${where}: something tried what the CSP forbids`);
  const bad = await page.evaluate(() => {
    const found: string[] = [];
    const forbidden = 'script,iframe,object,embed,img,style,link,meta,base,input,video,audio,template,a';
    for (const node of document.querySelectorAll(`.trace-body :is(${forbidden}), .answer :is(${forbidden})`)) {
      if (!node.matches('.external-link')) found.push(`<${node.tagName.toLowerCase()}>`);
    }
    for (const node of document.querySelectorAll('.trace-body *, .answer *')) {
      const inMath = node.closest('.math') !== null;
      if (!inMath && ['svg', 'math'].includes(node.tagName.toLowerCase())) found.push(`<${node.tagName.toLowerCase()}> outside a formula`);
      for (const attr of node.getAttributeNames()) {
        if (attr.startsWith('on') || ['href', 'src', 'srcdoc', 'xlink:href', 'action', 'id'].includes(attr))
          found.push(`${node.tagName}[${attr}]`);
        if (attr === 'style') {
          const value = node.getAttribute('style') ?? '';
          if (!inMath || /url|expression|javascript|position|@import/i.test(value)) found.push(`${node.tagName}[style=${value}]`);
        }
      }
    }
    return found;
  });
  assert.deepEqual(bad, [], `${where}: dangerous markup in the DOM`);
}

describe('math in the panel', () => {
  it("renders the trace's math while it streams; an unfinished formula shows as its source and is rendered once", async () => {
    await panel.send({ type: 'snapshot', snapshot: snapshot({ history: [] }) });
    await panel.send(started(running('math')));
    // Count rendered formulas that ever leave the page: none may (no flicker, no re-render).
    await panel.page.evaluate(() => {
      const w = window as unknown as { __removedFormulas: number };
      w.__removedFormulas = 0;
      new MutationObserver((records) => {
        for (const r of records)
          for (const n of r.removedNodes)
            if (n instanceof Element && (n.matches('.math') || n.querySelector('.math'))) w.__removedFormulas++;
      }).observe(document.body, { childList: true, subtree: true });
    });
    for (let i = 0; i < TRACE.length; i += 3) {
      await panel.send(reasoningDelta('math', TRACE.slice(i, i + 3)));
      if (i % 30 === 0) await panel.frames(1);
    }
    await panel.frames();
    // Closed formulas are rendered within a per-frame budget: wait for the five to be done.
    await panel.page.waitForFunction(() => document.querySelectorAll('.trace-body .math').length === 5, undefined, { timeout: 5000 });
    const trace = panel.page.locator('.trace-body');
    assert.equal(await trace.locator('.math-inline').count(), 3, 'three inline formulas');
    assert.equal(await trace.locator('.math-display').count(), 2, 'two display formulas');
    assert.equal(await trace.locator('.math .katex').count(), 5);
    assert.equal(await trace.locator('.math-inline').first().getAttribute('data-tex'), '1 + 3 + \\dots + (2n-1) = n^2');
    const pending = trace.locator('.math-pending');
    assert.equal(await pending.count(), 1, 'the unfinished formula shows as its source');
    assert.equal(await pending.innerText(), '$x + ');
    const text = await trace.innerText();
    assert.match(text, /It costs \$5 and \$10 to check\./, 'prices stay text');
    assert.equal(await trace.locator('code', { hasText: '$not math$' }).count(), 1, 'no math inside code');

    await panel.send(reasoningDelta('math', 'y$ done.'));
    await panel.page.waitForFunction(() => document.querySelectorAll('.trace-body .math').length === 6, undefined, { timeout: 5000 });
    assert.equal(await trace.locator('.math-pending').count(), 0);
    assert.equal(await trace.locator('.math-inline').last().getAttribute('data-tex'), 'x + y');
    assert.equal(
      await panel.page.evaluate(() => (window as unknown as { __removedFormulas: number }).__removedFormulas),
      0,
      'no rendered formula was replaced',
    );
    // KaTeX's fonts come from the panel's own files.
    assert.ok(
      panel.requests.some((url) => /\/media\/dist\/KaTeX_Main-Regular-[A-Z0-9]+\.woff2$/.test(url)),
      'KaTeX_Main is loaded from media/dist',
    );
    // The sizes KaTeX sets inline survive the CSP (set through the CSSOM): a fraction has height.
    const struts = await trace
      .locator('.math .strut')
      .first()
      .evaluate((el) => (el as HTMLElement).style.height);
    assert.match(struts, /em$/);
    await assertInert('trace');
  });

  it('renders math in the streamed and finished answer', async () => {
    const answer = 'The step is wrong: $(k+2)^2 - 3 = k^2 + 4k + 1$.\n\n$$\nk^2 + 2k + 1 = (k+1)^2\n$$\n\nSo the fix is \\((k+1)^2\\).\n';
    for (let i = 0; i < answer.length; i += 5) await panel.send(answerDelta('math', answer.slice(i, i + 5)));
    await panel.frames();
    // While a run streams, its answer is rendered at most every 120 ms: wait for that render.
    await panel.page
      .waitForFunction(() => document.querySelectorAll('.answer .math-inline .katex').length === 2, undefined, { timeout: 5000 })
      .catch(() => undefined);
    const shown = panel.page.locator('.answer');
    assert.equal(await shown.locator('.math-inline .katex').count(), 2);
    assert.equal(await shown.locator('.math-display .katex-display').count(), 1);
    await panel.send(finished('math', result({ prose: answer, summary: 'Wrong algebra: $(k+2)^2 - 3 \\ne (k+1)^2$.' })));
    await panel.frames();
    assert.equal(await shown.locator('.math-display').first().getAttribute('data-tex'), '\nk^2 + 2k + 1 = (k+1)^2\n');
    await assertInert('answer');
  });

  it('copying a formula gives its TeX; copying a sentence with formulas gives the sentence with its TeX', async () => {
    const copy = (selector: string, whole: boolean) =>
      panel.page.evaluate(
        ({ selector, whole }) => {
          const target = document.querySelector(selector)!;
          const range = document.createRange();
          if (whole) range.selectNodeContents(target);
          else range.selectNodeContents(target.querySelector('.katex-html .mord') ?? target);
          const selection = window.getSelection()!;
          selection.removeAllRanges();
          selection.addRange(range);
          const event = new ClipboardEvent('copy', { clipboardData: new DataTransfer(), bubbles: true, cancelable: true });
          target.dispatchEvent(event);
          return { text: event.clipboardData!.getData('text/plain'), handled: event.defaultPrevented };
        },
        { selector, whole },
      );
    const inside = await copy('.answer .math-inline', false);
    assert.deepEqual(inside, { text: '$(k+2)^2 - 3 = k^2 + 4k + 1$', handled: true }, 'part of a formula copies the formula');
    const sentence = await copy('.answer p', true);
    assert.equal(sentence.text, 'The step is wrong: $(k+2)^2 - 3 = k^2 + 4k + 1$.');
  });

  it('an XSS corpus inside math delimiters renders inertly, in the trace and the answer', async () => {
    await panel.send(started(running('math-xss')));
    for (let i = 0; i < MATH_ALL.length; i += 7) await panel.send(reasoningDelta('math-xss', MATH_ALL.slice(i, i + 7)));
    for (let i = 0; i < MATH_ALL.length; i += 11) await panel.send(answerDelta('math-xss', MATH_ALL.slice(i, i + 11)));
    await panel.page.waitForTimeout(200);
    await panel.frames();
    await assertInert('streamed payloads');
    await panel.send(finished('math-xss', result({ prose: MATH_ALL, summary: MATH_ALL })));
    await panel.frames();
    await assertInert('finished payloads');
    const rendered = await panel.page.locator('.answer .math').count();
    assert.ok(rendered >= MATH_PAYLOADS.length - 2, `the payloads were read as math (${rendered} formulas)`);
    // \href and \url are not links: KaTeX shows the command in its error colour.
    const hrefs = await panel.page.locator('.answer .math', { hasText: '\\href' }).count();
    assert.ok(hrefs >= 2, 'the \\href commands show as unsupported');
    await panel.reload();
    await panel.frames();
    await assertInert('after reload');
  });
});
