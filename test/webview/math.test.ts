// TeX math in the panel: rendered by KaTeX in the trace and the answer while they stream, with the
// unfinished formula shown as its source and rendered once when it closes; nothing executable or
// loadable gets through (an XSS corpus inside math delimiters, KaTeX's \href, \url and \html…
// extensions, and mXSS markup inside MathML); the CSP holds; copying a formula gives its TeX; a long
// trace draws only the formulas near view and shows the others as their TeX until scrolled to.
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { resolve } from 'node:path';
import * as esbuild from 'esbuild';
import { mathDefines, mathRendering } from '../../esbuild.mjs';
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
  // MathML mXSS markup as TeX: KaTeX must write it as text inside <mtext>, never as elements.
  '$\\text{<math><mtext><table><mglyph><style><img src=x onerror="window.__pwned=11">}$',
  '\\(\\text{</mtext></math><img src=x onerror=window.__pwned=12>}\\)',
  '$$\\text{<math><annotation-xml encoding="text/html"><img src=x onerror=window.__pwned=13>}$$',
  '$\\mathrm{<svg></p><style><a id="</style><img src=1 onerror=window.__pwned=14>">}$',
  '\\[\\text{<form><math><mtext></form><form><mglyph><style></math><img src onerror=window.__pwned=15>}\\]',
];

/**
 * Markup as if KaTeX's output itself were hostile, straight into the math sanitizer: the mXSS
 * family around MathML (HTML integration points, `mglyph`/`malignmark` inside tables and `mtext`,
 * `annotation-xml`, namespace confusion between HTML, SVG and MathML that a serialize-and-parse
 * round trip turns into live markup). Each would run script, load from pwn.test or keep a handler
 * if it got through.
 */
const MATHML_MXSS = [
  '<math><mtext><table><mglyph><style><img src=x onerror="window.__pwned=101">',
  '<math><mtext><table><mglyph><style><!--</style><img title="--&gt;&lt;/mglyph&gt;&lt;img src=1 onerror=window.__pwned=102&gt;">',
  '<form><math><mtext></form><form><mglyph><style></math><img src onerror=window.__pwned=103>',
  '<math><mtext><h1><a><h6></a></h6><mglyph><svg><mtext><style><a title="</style><img src onerror=window.__pwned=104>"></style></h1>',
  '<math><mtext><option><FAKEFAKE><option></option><mglyph><svg><mtext><style><a title="</style><img src=x onerror=window.__pwned=105>">',
  '<math><mtext><table><mglyph><svg><mtext><style><path id="</style><img onerror=window.__pwned=106 src>">',
  '<math><mi><table><mi><style><img src=x onerror=window.__pwned=107>',
  '<math><malignmark><table><mglyph><style><img src=x onerror=window.__pwned=108>',
  '<svg></p><style><a id="</style><img src=1 onerror=window.__pwned=109>">',
  '<svg><annotation-xml><foreignobject><style><!--</style><p id="--><img src=x onerror=window.__pwned=110>">',
  '<math><annotation-xml encoding="text/html"><style><img src=x onerror=window.__pwned=111></style></annotation-xml></math>',
  '<math><semantics><mi>x</mi><annotation-xml encoding="application/xhtml+xml"><img src=x onerror=window.__pwned=112></annotation-xml></semantics></math>',
  '<math><semantics><mi>x</mi><annotation encoding="text/html"><img src=x onerror=window.__pwned=113></annotation></semantics></math>',
  '<math><mtext><img src=x onerror=window.__pwned=114></mtext></math>',
  '<math><mi><svg><foreignObject><img src=x onerror=window.__pwned=115></foreignObject></svg></mi></math>',
  '<svg><math><mi><style><img src=x onerror=window.__pwned=116></style></mi></math></svg>',
  '<math><style><img src=x onerror=window.__pwned=117></style></math>',
  '<math><maction actiontype="statusline#http://pwn.test/" xlink:href="javascript:window.__pwned=118">x</maction></math>',
  '<math href="javascript:window.__pwned=119"><mi xlink:href="javascript:window.__pwned=120">x</mi></math>',
  '<math><mglyph src="http://pwn.test/mglyph.png" alt="x"></mglyph></math>',
  '<math><mi mathcolor="url(http://pwn.test/c)" mathbackground="javascript:alert(1)" mathvariant="bold" style="background:url(http://pwn.test/s)">x</mi></math>',
  '<math><mtable columnalign="expression(alert(1))"><mtr><mtd id="app" class="finding">x</mtd></mtr></mtable></math>',
  '<span class="katex"><math><mtext><table><mglyph><style><img src=x onerror="window.__pwned=121">',
  '<math><mtext><noscript><p title="</noscript><img src=x onerror=window.__pwned=122>"></mtext></math>',
  '<math><mtext><textarea><img title="</textarea><img src=x onerror=window.__pwned=123>"></mtext></math>',
  '<math><mtext><xmp><img title="</xmp><img src=x onerror=window.__pwned=124>"></mtext></math>',
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
    // KaTeX writes MathML and Chromium lays it out: the display fraction's numerator sits above its denominator.
    const fraction = await trace
      .locator('.math-display mfrac')
      .first()
      .evaluate((el) => ({
        namespace: el.namespaceURI,
        numeratorBottom: el.children[0]!.getBoundingClientRect().bottom,
        denominatorTop: el.children[1]!.getBoundingClientRect().top,
      }));
    assert.equal(fraction.namespace, 'http://www.w3.org/1998/Math/MathML');
    assert.ok(fraction.numeratorBottom <= fraction.denominatorTop + 1, `a fraction laid out as one: ${JSON.stringify(fraction)}`);
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
    assert.equal(await shown.locator('.math-display math[display="block"]').count(), 1);
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
          else range.selectNodeContents(target.querySelector('math mi')!);
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

  it('the math sanitizer keeps only MathML inside a formula: mXSS markup stays inert, also after a serialize-and-parse round trip', async () => {
    // The real sanitizer (src/webview/math.ts) built on its own for this page, as the panel is built.
    const probe = await esbuild.build({
      stdin: {
        contents: `import { sanitizeMath } from './src/webview/math';
          const sanitized = [];
          window.__sanitizeAll = (list) => { for (const html of list) sanitized.push(sanitizeMath(html)); };
          window.__placeAll = () => {
            for (const fragment of sanitized) {
              const box = document.createElement('div');
              box.className = 'math-probe';
              box.append(fragment);
              document.body.append(box);
              // Where mXSS bites: the sanitized markup serialized and parsed again.
              const again = document.createElement('div');
              again.className = 'math-probe';
              again.innerHTML = box.innerHTML;
              document.body.append(again);
            }
          };`,
        resolveDir: resolve(__dirname, '../..'),
        loader: 'ts',
      },
      bundle: true,
      write: false,
      format: 'iife',
      platform: 'browser',
      define: mathDefines(mathRendering),
      logLevel: 'error',
    });
    await panel.page.evaluate(probe.outputFiles[0]!.text);
    // A formula KaTeX wrote still comes through whole: the sanitizer is not simply dropping MathML.
    const katexWrote =
      '<span class="katex"><math display="block"><semantics><mrow><mfrac><mi>a</mi><mn>2</mn></mfrac><mstyle mathcolor="#cc0000"><mtext>x</mtext></mstyle></mrow><annotation encoding="application/x-tex">\\frac{a}{2}</annotation></semantics></math></span>';
    await panel.page.evaluate(`window.__csp.length = 0; window.__sanitizeAll(${JSON.stringify([...MATHML_MXSS, katexWrote])})`);
    // The sanitizer parses in an inert document that shares the panel's CSP, so the CSP reports the
    // inline styles and handlers it saw there (nothing ran: that document has no window). From here
    // on, in the panel's own document, nothing may try anything.
    await panel.frames();
    const seenWhileParsing = (await panel.cspViolations()).length;
    await panel.page.evaluate('window.__placeAll()');
    await panel.frames();
    assert.equal(await panel.page.locator('.math-probe').count(), 2 * (MATHML_MXSS.length + 1));
    assert.equal(await panel.page.locator('.math-probe mfrac > mi').last().innerHTML(), 'a');
    assert.equal(await panel.page.locator('.math-probe mstyle').last().getAttribute('mathcolor'), '#cc0000');
    assert.equal(await panel.page.evaluate(() => (window as unknown as { __pwned: number }).__pwned), 0, 'no script ran');
    assert.deepEqual(panel.dialogs, [], 'no dialog opened');
    assert.deepEqual(
      panel.requests.filter((url) => !isOwnResource(url, panel.origin)),
      [],
      'nothing was loaded',
    );
    assert.deepEqual((await panel.cspViolations()).slice(seenWhileParsing), [], 'nothing in the page tried what the CSP forbids');
    const bad = await panel.page.evaluate(() => {
      const found: string[] = [];
      const mathml = 'http://www.w3.org/1998/Math/MathML';
      const forbidden =
        'script,iframe,object,embed,img,style,link,meta,base,form,input,textarea,noscript,xmp,a,svg,foreignObject,mglyph,malignmark,maction,annotation-xml';
      for (const node of document.querySelectorAll(`.math-probe :is(${forbidden})`)) found.push(`<${node.tagName}>`);
      for (const node of document.querySelectorAll('.math-probe *')) {
        if (node.parentElement?.closest('math') && node.namespaceURI !== mathml) found.push(`HTML <${node.tagName}> inside a formula`);
        for (const attr of node.getAttributeNames()) {
          const value = node.getAttribute(attr) ?? '';
          if (/^on|^(href|src|xlink:href|style|id|action|srcdoc)$/i.test(attr)) found.push(`${node.tagName}[${attr}]`);
          if (/url|javascript|expression|:/i.test(value)) found.push(`${node.tagName}[${attr}=${value}]`);
        }
      }
      return found;
    });
    assert.deepEqual(bad, [], 'dangerous markup in the DOM');
    await panel.page.evaluate(() => {
      document.querySelectorAll('.math-probe').forEach((box) => box.remove());
      (window as unknown as { __csp: string[] }).__csp.length = 0;
    });
  });

  it('a long trace draws only the formulas near view; the rest show their TeX until their stretch is scrolled to, and copy as TeX', async () => {
    const STEPS = 60;
    const step = (i: number) => `Step ${i}: $a_{${i}} = ${i}^2$ and \\(b_{${i}} \\le ${i}\\), so \\[\\sum_{j=1}^{${i}} j\\] holds.`;
    await panel.send(started(running('long-math')));
    const trace = Array.from({ length: STEPS }, (_, i) => step(i)).join('\n\n') + '\n\n';
    for (let i = 0; i < trace.length; i += 400) await panel.send(reasoningDelta('long-math', trace.slice(i, i + 400)));
    await panel.frames();
    const body = panel.page.locator('.trace-body').last();
    // The trace follows its end: the last step's formulas are drawn, the first step's wait as TeX.
    await panel.page.waitForFunction(() => {
      const last = [...document.querySelectorAll('.trace-body')].pop()!;
      return last.querySelectorAll('.math').length > 0 && last.querySelectorAll('.math-pending').length === 0;
    });
    const firstStep = body.locator('p').first();
    assert.equal(await firstStep.locator('.math').count(), 0, 'the first step, far above the view, is not drawn');
    assert.deepEqual(await firstStep.locator('.math-deferred').allTextContents(), [
      '$a_{0} = 0^2$',
      '\\(b_{0} \\le 0\\)',
      '\\[\\sum_{j=1}^{0} j\\]',
    ]);
    assert.equal(await body.locator('p').last().locator('.math').count(), 3, 'the last step, in view, is drawn');
    assert.equal(
      (await body.locator('.math').count()) + (await body.locator('.math-deferred').count()),
      3 * STEPS,
      'every formula is either drawn or shown as TeX',
    );
    // A selection over formulas still shown as TeX copies that TeX.
    assert.equal(
      await firstStep.evaluate((p) => {
        const range = document.createRange();
        range.selectNodeContents(p);
        const selection = window.getSelection()!;
        selection.removeAllRanges();
        selection.addRange(range);
        return selection.toString();
      }),
      step(0),
    );

    await body.evaluate((box) => (box.scrollTop = 0));
    await panel.page.waitForFunction(() => {
      const first = [...document.querySelectorAll('.trace-body')].pop()!.querySelector('p')!;
      return first.querySelectorAll('.math').length === 3;
    });
    assert.equal(await firstStep.locator('.math-inline').first().getAttribute('data-tex'), 'a_{0} = 0^2');
    assert.ok((await body.locator('.math-deferred').count()) > 0, 'the middle of the trace, never near view, still waits');
    // Copying the whole trace: drawn formulas give their TeX, waiting ones are their TeX.
    const copied = await body.evaluate((box) => {
      const range = document.createRange();
      range.selectNodeContents(box);
      const selection = window.getSelection()!;
      selection.removeAllRanges();
      selection.addRange(range);
      const event = new ClipboardEvent('copy', { clipboardData: new DataTransfer(), bubbles: true, cancelable: true });
      box.dispatchEvent(event);
      return event.clipboardData!.getData('text/plain');
    });
    for (const i of [0, STEPS >> 1, STEPS - 1]) {
      assert.match(copied, new RegExp(`Step ${i}: \\$a_\\{${i}\\} = ${i}\\^2\\$ and `), `step ${i} copies with its TeX`);
    }
    assert.ok(!/[∑≤]/.test(copied), 'no glyphs of a drawn formula in the copy');
    await assertInert('long trace');
  });
});
