// Model output is untrusted. A corpus of XSS and resource-loading payloads goes into every place
// model text reaches the panel (reasoning, answer, summary, finding titles, explanations, file
// names, errors, history); nothing may execute, open a dialog, load anything, or trip the CSP.
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { isOwnResource, openPanel } from './panelHarness';
import { finding, running, snapshot } from './fixtures';
import type { PanelPage } from './panelHarness';
import type { FindingView, RunResult } from '../../src/bridge/protocol';

/** Each payload would set window.__pwned, open a dialog, or fetch from pwn.test if it got through. */
const PAYLOADS = [
  '<script>window.__pwned=1</script>',
  '<img src=x onerror="window.__pwned=2">',
  '<img src="http://pwn.test/img.png">',
  '<IMG SRC=x ONERROR=alert(1)>',
  '[click](javascript:window.__pwned=3)',
  '[click](JaVaScRiPt:alert(1))',
  '[data](data:text/html;base64,PHNjcmlwdD53aW5kb3cuX19wd25lZD00PC9zY3JpcHQ+)',
  '[cmd](command:workbench.action.terminal.new)',
  '[cmd2](command:thinklens.setApiKey?%5B%22x%22%5D)',
  '<command:workbench.action.quit>',
  '<javascript:alert(1)>',
  '[vb](vbscript:msgbox(1))',
  '[file](file:///etc/passwd)',
  '<svg onload="window.__pwned=5"><circle r="1"/></svg>',
  '<svg><script>window.__pwned=6</script></svg>',
  '<svg><a xlink:href="javascript:alert(1)"><text>x</text></a></svg>',
  '<math><mtext><table><mglyph><style><img src=x onerror="window.__pwned=7">',
  '<math href="javascript:alert(1)">CLICK</math>',
  '<style>@import url(http://pwn.test/import.css); body { background: url(http://pwn.test/bg.png) }</style>',
  '<div style="background:url(http://pwn.test/style.png)">styled</div>',
  '<link rel="stylesheet" href="http://pwn.test/link.css">',
  '</textarea><script>window.__pwned=8</script>',
  '</title></style></noscript><img src=x onerror=window.__pwned=9>',
  '&lt;img src=x onerror=window.__pwned=10&gt;',
  '&#60;script&#62;window.__pwned=11&#60;/script&#62;',
  '<a href="jav&#x09;ascript:window.__pwned=12">entity href</a>',
  '[entity](jav&#x09;ascript:window.__pwned=13)',
  '[entity2](&#106;avascript:alert(1))',
  '![md image](http://pwn.test/md.png)',
  '![x](x" onerror="window.__pwned=14)',
  '<iframe src="http://pwn.test/frame"></iframe>',
  '<iframe srcdoc="<script>parent.__pwned=15</script>"></iframe>',
  '<object data="http://pwn.test/object"></object><embed src="http://pwn.test/embed">',
  '<meta http-equiv="refresh" content="0;url=http://pwn.test/refresh">',
  '<base href="http://pwn.test/">',
  '<form action="http://pwn.test/form"><button>submit</button></form>',
  '<details open ontoggle="window.__pwned=16">x</details>',
  '"><img src=x onerror=window.__pwned=17>',
  "'><svg/onload=window.__pwned=18>",
  '<select><noembed></select><img src=x onerror=window.__pwned=19></noembed>',
  '<a href="https://ok.test/" ping="http://pwn.test/ping">ping</a>',
  '[attr](https://ok.test/" onmouseover="window.__pwned=20)',
  '```html" onload="window.__pwned=21\n<script>window.__pwned=22</script>\n```',
  '```xml\n<img src=x onerror=window.__pwned=23>\n```',
  '`<img src=x onerror=window.__pwned=24>`',
  '<video><source onerror="window.__pwned=25"></video><audio src=x onerror=alert(1)>',
  '<input autofocus onfocus="window.__pwned=26">',
  '<body onload="window.__pwned=27">',
  '<template><script>window.__pwned=28</script></template>',
  '<noscript><p title="</noscript><img src=x onerror=window.__pwned=29>">',
  '{{constructor.constructor("window.__pwned=30")()}}',
  '<a href="data:text/html,<script>alert(1)</script>">data href</a>',
];
const ALL = PAYLOADS.join('\n\n');

const RUN_ID = 'xss-run';

function evilFinding(i: number, payload: string): FindingView {
  return finding(`f${i}`, {
    title: payload,
    explanation: payload,
    file: { uri: `file:///work/${encodeURIComponent(payload)}`, path: payload },
    fixRefused: i % 3 === 0 ? payload : undefined,
    locationUncertain: i % 2 === 0,
    severity: (['error', 'warning', 'info'] as const)[i % 3],
  });
}

function evilResult(): RunResult {
  return {
    summary: ALL,
    prose: ALL,
    findings: PAYLOADS.map((p, i) => evilFinding(i, p)),
    problem: PAYLOADS[1],
  };
}

let panel: PanelPage;

before(async () => {
  panel = await openPanel();
});

after(async () => {
  await panel?.close();
});

/** No payload ran, asked for anything, or left dangerous markup in the page. */
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
  assert.deepEqual(
    panel.served.filter(
      (path) =>
        !/^\/(panel\.html|media\/dist\/(webview\.(js|css)|codicon-[A-Z0-9]+\.ttf|KaTeX_[A-Za-z0-9]+-[A-Za-z]+-[A-Z0-9]+\.woff2)|favicon\.ico)$/.test(
          path,
        ),
    ),
    [],
    `${where}: unexpected request to the panel's own origin`,
  );
  assert.deepEqual(await panel.cspViolations(), [], `${where}: something tried what the CSP forbids`);
  const bad = await page.evaluate(() => {
    const found: string[] = [];
    const forbidden =
      'script,iframe,object,embed,img,svg,math,style,link,meta,base,form:not(.follow-up),input,video,audio,source,template,noscript,select,details';
    for (const node of document.querySelectorAll(`#app :is(${forbidden})`)) found.push(`<${node.tagName.toLowerCase()}>`);
    for (const node of document.querySelectorAll('#app *')) {
      for (const attr of node.getAttributeNames()) {
        if (attr.startsWith('on') || attr === 'href' || attr === 'src' || attr === 'srcdoc' || attr === 'ping' || attr === 'action') {
          found.push(`${node.tagName.toLowerCase()}[${attr}=${node.getAttribute(attr)}]`);
        }
        if (attr === 'style' && !node.tagName.startsWith('VSCODE-')) found.push(`${node.tagName.toLowerCase()}[style]`);
        if (attr === 'data-href' && !/^https?:\/\//i.test(node.getAttribute(attr) ?? ''))
          found.push(`data-href=${node.getAttribute(attr)}`);
      }
    }
    return found;
  });
  // The error box uses a native <details> for its detail; it carries no model-controlled attributes.
  assert.deepEqual(
    bad.filter((b) => b !== '<details>'),
    [],
    `${where}: dangerous markup in the DOM`,
  );
}

describe('untrusted model output', () => {
  it('streams payloads through the trace and answer without running or loading anything', async () => {
    await panel.send({ type: 'snapshot', snapshot: snapshot({ history: [] }) });
    const run = running(RUN_ID, { title: ALL.slice(0, 500), file: { uri: 'file:///x', path: PAYLOADS[17] } });
    await panel.send({ type: 'runStarted', run, threadId: RUN_ID, history: [] });
    // Odd-sized pieces split tags, entities and fences at every kind of boundary.
    let pieces = 0;
    for (let i = 0; i < ALL.length; i += 7) {
      pieces++;
      await panel.send({
        type: 'deltas',
        items: [{ runId: RUN_ID, reasoning: ALL.slice(i, i + 7), answer: '', reasoningPieces: pieces, answerPieces: 0 }],
      });
    }
    for (let i = 0; i < ALL.length; i += 11) {
      await panel.send({
        type: 'deltas',
        items: [
          {
            runId: RUN_ID,
            reasoning: '',
            answer: ALL.slice(i, i + 11),
            reasoningPieces: pieces,
            answerPieces: i / 11 + 1,
            answerStartedAt: Date.now(),
          },
        ],
      });
    }
    await panel.page.waitForTimeout(200);
    await panel.frames();
    await assertInert('while streaming');
    // The person sees the payloads as text.
    const trace = (await panel.page.locator('.trace-body').textContent()) ?? '';
    assert.ok(trace.includes('<script>window.__pwned=1</script>'), 'trace shows the markup as text');
    assert.ok((await panel.page.locator('.answer').innerText()).includes('<img src=x onerror="window.__pwned=2">'));
  });

  it('renders the finished answer, summary, findings, file names and errors inertly', async () => {
    await panel.send({ type: 'runFinished', runId: RUN_ID, status: 'done', result: evilResult(), finishedAt: Date.now(), history: [] });
    await panel.frames();
    await assertInert('finished run');
    assert.equal(await panel.page.locator('.finding').count(), PAYLOADS.length);
    const titles = await panel.page.locator('.finding-title').allInnerTexts();
    assert.ok(titles.includes('</textarea><script>window.__pwned=8</script>'), 'finding titles are shown as text');
    const paths = await panel.page.locator('.file-path').allInnerTexts();
    assert.ok(paths.includes('"><img src=x onerror=window.__pwned=17>'), 'file names are shown as text');

    const failed = running('xss-error', { title: PAYLOADS[0] });
    await panel.send({ type: 'runStarted', run: failed, threadId: 'xss-error', history: [] });
    await panel.send({
      type: 'runFinished',
      runId: 'xss-error',
      status: 'error',
      result: {
        summary: '',
        prose: '',
        findings: [],
        error: { kind: 'bad-response', message: ALL, detail: ALL, actions: [{ label: PAYLOADS[1], command: 'rerun' }] },
      },
      finishedAt: Date.now(),
      history: PAYLOADS.map((title, i) => ({
        threadId: `h${i}`,
        title,
        kind: 'review' as const,
        file: { uri: 'file:///y', path: title },
        startedAt: Date.now(),
        status: 'done' as const,
        findings: 1,
        runs: 1,
      })),
    });
    await panel.send({ type: 'setup', setup: { reason: ALL } });
    await panel.send({ type: 'showHistory' });
    await panel.frames();
    await assertInert('errors, setup and history');
  });

  it('links: only http(s) become links, and activating every link only asks the host', async () => {
    await panel.send({ type: 'runStarted', run: running('links'), threadId: 'links', history: [] });
    await panel.send({
      type: 'runFinished',
      runId: 'links',
      status: 'done',
      result: { summary: '', prose: ALL, findings: [] },
      finishedAt: Date.now(),
      history: [],
    });
    await panel.frames();
    await panel.clearPosted();
    const links = panel.page.locator('.external-link');
    const count = await links.count();
    assert.ok(count >= 2, 'the https links in the corpus are links');
    for (let i = 0; i < count; i++) await links.nth(i).click();
    const posted = await panel.posted();
    assert.equal(posted.length, count);
    for (const message of posted) {
      assert.equal(message.type, 'openLink');
      assert.match((message as { href: string }).href, /^https?:\/\//);
    }
    assert.equal(panel.page.url(), `${panel.origin}/panel.html`, 'the page never navigated');
    await assertInert('after clicking links');
  });

  it('stays inert when the saved state brings the payloads back after a reload', async () => {
    await panel.send({
      type: 'snapshot',
      snapshot: snapshot({ thread: [{ ...running(RUN_ID), status: 'done', reasoning: ALL, answer: ALL, result: evilResult() }] }),
    });
    await panel.page.waitForTimeout(400);
    await panel.reload();
    await panel.frames();
    assert.equal(await panel.page.locator('.finding').count(), PAYLOADS.length, 'restored from saved state');
    await assertInert('after reload');
  });
});
