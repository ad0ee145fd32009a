// The panel's host-side logic without VS Code: message checks, coalescing, the ready handshake,
// history bounds, export and the HTML's CSP. (What the page shows is in the Chromium tests.)
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { DeltaCoalescer } from '../../src/extension/panel/deltaCoalescer';
import { panelCsp, renderPanelHtml } from '../../src/extension/panel/panelHtml';
import { PanelModel, shorten } from '../../src/extension/panel/panelModel';
import { PanelSession } from '../../src/extension/panel/panelSession';
import { runToJson, runToMarkdown } from '../../src/extension/panel/traceExport';
import { isHostMessage, isWebLink, isWebviewMessage } from '../../src/bridge/protocol';
import { usageViewFromUsage } from '../../src/extension/panel/viewModels';
import { finding, header, result } from './fixtures';
import type { CoalescerTimers } from '../../src/extension/panel/deltaCoalescer';
import type { PanelSessionEvents } from '../../src/extension/panel/panelSession';
import type { HostToWebview, RunDelta } from '../../src/bridge/protocol';

/** A clock the test moves by hand. */
function manualTimers(): CoalescerTimers & { advance(ms: number): void } {
  let now = 0;
  let queue: { at: number; fn: () => void; id: number }[] = [];
  let next = 1;
  return {
    now: () => now,
    setTimeout: (fn, ms) => {
      const id = next++;
      queue.push({ at: now + ms, fn, id });
      return id;
    },
    clearTimeout: (id) => {
      queue = queue.filter((t) => t.id !== id);
    },
    advance(ms) {
      const until = now + ms;
      for (;;) {
        queue.sort((a, b) => a.at - b.at);
        const due = queue[0];
        if (!due || due.at > until) break;
        queue.shift();
        now = due.at;
        due.fn();
      }
      now = until;
    },
  };
}

function recordingEvents(): PanelSessionEvents & { calls: string[] } {
  const calls: string[] = [];
  const record =
    (name: string) =>
    (...args: unknown[]) =>
      calls.push([name, ...args].join(' '));
  return {
    calls,
    revealFinding: record('revealFinding'),
    applyFix: record('applyFix'),
    previewFix: record('previewFix'),
    dismissFinding: record('dismissFinding'),
    undismissFinding: record('undismissFinding'),
    markFinding: (runId, findingId, mark) => calls.push(`markFinding ${runId} ${findingId} ${mark ?? 'none'}`),
    showDismissed: record('showDismissed'),
    cancelRun: record('cancelRun'),
    answerNow: record('answerNow'),
    rerun: record('rerun'),
    useBaseUrl: record('useBaseUrl'),
    followUp: record('followUp'),
    runCommand: (command, backend) => calls.push(['runCommand', command, backend].filter(Boolean).join(' ')),
    exportRun: record('exportRun'),
    openLink: record('openLink'),
    openLocation: (uri, range) => calls.push(`openLocation ${uri} ${range.startLine}`),
    rejected: () => calls.push('rejected'),
    unsendable: (message) => calls.push(`unsendable ${message.type}`),
    historyChanged: () => undefined,
  };
}

describe('DeltaCoalescer', () => {
  it('sends a burst of tokens as one post, then at most one post per interval', () => {
    const timers = manualTimers();
    const posts: RunDelta[][] = [];
    const c = new DeltaCoalescer(
      (items) => posts.push(items),
      () => ({ reasoningPieces: 7, answerPieces: 0 }),
      16,
      timers,
    );
    for (let i = 0; i < 1000; i++) c.push('r', 'reasoning', 'x');
    assert.equal(posts.length, 0, 'nothing synchronously');
    timers.advance(0);
    assert.equal(posts.length, 1);
    assert.equal(posts[0][0].reasoning.length, 1000);
    assert.equal(posts[0][0].reasoningPieces, 7);
    // One token every 2 ms for 160 ms: about ten posts, never two within 16 ms.
    const times: number[] = [];
    const c2 = new DeltaCoalescer(
      () => times.push(timers.now()),
      () => ({ reasoningPieces: 0, answerPieces: 0 }),
      16,
      timers,
    );
    for (let t = 0; t < 160; t += 2) {
      c2.push('r', 'answer', 'y');
      timers.advance(2);
    }
    timers.advance(50);
    assert.ok(times.length >= 9 && times.length <= 11, `posts: ${times.length}`);
    for (let i = 1; i < times.length; i++) assert.ok(times[i] - times[i - 1] >= 16);
  });

  it('flushes on demand and drops text a snapshot already carries', () => {
    const timers = manualTimers();
    const posts: RunDelta[][] = [];
    const c = new DeltaCoalescer(
      (items) => posts.push(items),
      () => ({ reasoningPieces: 0, answerPieces: 0 }),
      16,
      timers,
    );
    c.push('a', 'reasoning', 'one');
    c.push('b', 'answer', 'two');
    c.flush();
    assert.deepEqual(
      posts[0].map((d) => [d.runId, d.reasoning, d.answer]),
      [
        ['a', 'one', ''],
        ['b', '', 'two'],
      ],
    );
    c.push('a', 'reasoning', 'dropped');
    c.clear();
    timers.advance(100);
    assert.equal(posts.length, 1);
  });
});

describe('PanelSession', () => {
  it('the title-bar History button opens the list once the view is ready, after its snapshot', () => {
    const timers = manualTimers();
    const sent: HostToWebview[] = [];
    const session = new PanelSession(recordingEvents(), { timers });
    session.attach((m) => sent.push(m));
    session.showHistory(); // the view is being created: nothing can be sent yet
    assert.equal(sent.length, 0);
    session.receive({ type: 'ready' });
    assert.deepEqual(
      sent.map((m) => m.type),
      ['snapshot', 'showHistory'],
    );
    session.showHistory();
    assert.deepEqual(
      sent.map((m) => m.type),
      ['snapshot', 'showHistory', 'showHistory'],
    );
    assert.ok(isHostMessage(JSON.parse(JSON.stringify(sent[2]))), 'passes the webview-side check');
  });

  it('sends nothing before ready, then a snapshot with everything so far', () => {
    const timers = manualTimers();
    const sent: HostToWebview[] = [];
    const session = new PanelSession(recordingEvents(), { timers });
    session.startRun(header('r1'));
    session.appendReasoning('r1', 'Thinking ');
    session.attach((m) => sent.push(m));
    session.appendReasoning('r1', 'more.');
    timers.advance(100);
    assert.equal(sent.length, 0, 'silent until ready');
    session.receive({ type: 'ready' });
    assert.equal(sent.length, 1);
    const first = sent[0];
    assert.ok(isHostMessage(JSON.parse(JSON.stringify(first))), 'passes the webview-side check');
    assert.ok(first.type === 'snapshot');
    assert.equal(first.snapshot.thread[0].reasoning, 'Thinking more.');
    assert.equal(first.snapshot.thread[0].reasoningPieces, 2);
  });

  it('coalesces deltas, keeps order with later messages, and resends a snapshot (not deltas) after a reload', () => {
    const timers = manualTimers();
    const sent: HostToWebview[] = [];
    const session = new PanelSession(recordingEvents(), { timers });
    session.attach((m) => sent.push(m));
    session.receive({ type: 'ready' });
    session.startRun(header('r1'));
    for (let i = 0; i < 500; i++) session.appendReasoning('r1', `${i} `);
    session.appendAnswer('r1', 'Answer.');
    session.finishRun('r1', result());
    assert.deepEqual(
      sent.map((m) => m.type),
      ['snapshot', 'runStarted', 'deltas', 'runFinished'],
      'pending text goes before runFinished',
    );
    const deltas = sent[2] as Extract<HostToWebview, { type: 'deltas' }>;
    assert.equal(deltas.items[0].answer, 'Answer.');
    assert.equal(deltas.items[0].reasoningPieces, 500);

    // Hidden: the document is gone; nothing is posted until the new one says ready.
    sent.length = 0;
    session.detach();
    session.startRun(header('r2'));
    session.appendReasoning('r2', 'while hidden');
    timers.advance(100);
    assert.equal(sent.length, 0);
    session.receive({ type: 'ready' });
    timers.advance(100);
    assert.equal(sent.length, 1);
    assert.ok(sent[0].type === 'snapshot');
    assert.equal(sent[0].snapshot.thread.find((r) => r.header.id === 'r2')?.reasoning, 'while hidden');
  });

  it('acts only on checked messages about known runs and findings', () => {
    const events = recordingEvents();
    const session = new PanelSession(events, { timers: manualTimers() });
    session.attach(() => undefined);
    session.receive({ type: 'ready' });
    session.startRun(header('r1'));
    session.receive({ type: 'cancelRun', runId: 'r1' });
    session.receive({ type: 'answerNow', runId: 'r1' });
    session.receive({ type: 'followUp', runId: 'r1', question: 'while running?' }); // refused: still running
    session.finishRun('r1', result({ findings: [finding('f1')] }));
    session.receive({ type: 'applyFix', runId: 'r1', findingId: 'f1' });
    session.receive({ type: 'applyFix', runId: 'r1', findingId: 'nope' });
    session.receive({ type: 'applyFix', runId: 'other', findingId: 'f1' });
    session.receive({ type: 'followUp', runId: 'r1', question: '  Why NaN?  ' });
    session.receive({ type: 'followUp', runId: 'r1', question: '   ' });
    session.receive({ type: 'followUp', runId: 'r1', question: 'x'.repeat(9000) });
    session.receive({ type: 'runCommand', command: 'thinklens.setApiKey' });
    session.receive({ type: 'runCommand', command: 'thinklens.setApiKey', backend: 'openrouter' });
    session.receive({ type: 'runCommand', command: 'thinklens.setApiKey', backend: 'evil; rm -rf' });
    session.receive({ type: 'runCommand', command: 'workbench.action.terminal.new' });
    session.receive({ type: 'openLink', href: 'https://example.com/a' });
    session.receive({ type: 'openLink', href: 'command:workbench.action.quit' });
    session.receive({ type: 'openLink', href: 'javascript:alert(1)' });
    session.receive({ type: 'cancelRun', runId: 'r1' }); // finished: nothing to cancel
    session.receive({ type: 'answerNow', runId: 'r1' }); // finished: the thinking is over
    session.receive({ type: 'eval', code: '1' });
    session.receive(null);
    assert.deepEqual(events.calls, [
      'cancelRun r1',
      'answerNow r1',
      'applyFix r1 f1',
      'followUp r1 Why NaN?',
      'rejected',
      'rejected',
      'runCommand thinklens.setApiKey',
      'runCommand thinklens.setApiKey openrouter',
      'rejected',
      'rejected',
      'openLink https://example.com/a',
      'rejected',
      'rejected',
      'rejected',
      'rejected',
    ]);
  });
});

describe('what the host sends', () => {
  it('cleans usage numbers and refuses to send a message the webview would drop', () => {
    const events = recordingEvents();
    const sent: HostToWebview[] = [];
    const session = new PanelSession(events, { timers: manualTimers() });
    session.attach((m) => sent.push(m));
    session.receive({ type: 'ready' });
    session.startRun(header('r1'));
    session.setUsage('r1', { promptTokens: 10, reasoningTokens: 5, answerTokens: 2, tokensPerSecond: Number.NaN, costUsd: -1 });
    const usage = sent.find((m) => m.type === 'usage');
    assert.ok(usage && usage.type === 'usage');
    assert.deepEqual(usage.usage, { promptTokens: 10, reasoningTokens: 5, answerTokens: 2 });
    session.finishRun('r1', result({ findings: [finding('bad', { range: { startLine: 0, endLine: 0 } })] }));
    assert.equal(
      sent.some((m) => m.type === 'runFinished'),
      false,
    );
    assert.deepEqual(events.calls, ['unsendable runFinished']);
  });
});

describe('runs restored from history', () => {
  it('opens the file for a finding the extension no longer tracks, and refuses fix and dismiss', () => {
    const old = new PanelModel();
    old.startRun(header('old'), 1);
    old.finishRun('old', result({ findings: [finding('f1', { range: { startLine: 7, endLine: 8 } })] }), 2);
    const events = recordingEvents();
    const session = new PanelSession(events, { timers: manualTimers() });
    session.model.load(JSON.parse(JSON.stringify(old.toStored())));
    assert.equal(session.model.run('old')?.restored, true);
    session.receive({ type: 'revealFinding', runId: 'old', findingId: 'f1' });
    session.receive({ type: 'applyFix', runId: 'old', findingId: 'f1' });
    session.receive({ type: 'dismissFinding', runId: 'old', findingId: 'f1' });
    assert.deepEqual(events.calls, ['openLocation file:///work/samples/sum.ts 7']);
    assert.equal(session.model.toStored().runs[0].restored, undefined, 'the flag is not stored');
  });
});

describe('PanelModel', () => {
  it('threads follow-ups under their first run and keeps at most 20 runs', () => {
    const model = new PanelModel();
    model.startRun(header('a', { startedAt: 1 }), 1);
    model.finishRun('a', result(), 1);
    model.startRun(header('a2', { kind: 'follow-up', parentRunId: 'a', title: 'Why?', startedAt: 2 }), 2);
    model.finishRun('a2', result(), 2);
    assert.equal(model.threadOf('a2'), 'a');
    assert.deepEqual(
      model.thread().map((r) => r.header.id),
      ['a', 'a2'],
    );
    assert.equal(model.history()[0].runs, 2);
    for (let i = 0; i < 30; i++) {
      model.startRun(header(`r${i}`, { startedAt: 10 + i }), 10 + i);
      model.finishRun(`r${i}`, result(), 11 + i);
    }
    const history = model.history();
    assert.equal(
      history.reduce((n, h) => n + h.runs, 0),
      20,
    );
    assert.equal(history[0].threadId, 'r29', 'newest first');
    assert.equal(model.has('a'), false, 'oldest conversation dropped whole');
  });

  it('keeps the session totals as a running sum: they never go down when old runs leave memory', () => {
    const model = new PanelModel({ maxRuns: 3, maxStoredChars: 50_000, maxStoredTraceChars: 10_000, maxStoredAnswerChars: 5_000 });
    let previous = 0;
    for (let i = 0; i < 8; i++) {
      model.startRun(header(`r${i}`, { startedAt: i + 1 }), i + 1);
      model.setUsage(`r${i}`, { promptTokens: 50, reasoningTokens: 20, answerTokens: 5 });
      // A server that reports usage twice for a run (a final count) replaces, not adds.
      model.setUsage(`r${i}`, { promptTokens: 100, reasoningTokens: 40, answerTokens: 10, costUsd: 0.001 });
      model.finishRun(`r${i}`, result(), i + 2);
      const total = model.session().promptTokens;
      assert.ok(total >= previous, `session tokens went down from ${previous} to ${total}`);
      previous = total;
    }
    const session = model.session();
    assert.equal(session.runs, 8);
    assert.equal(session.promptTokens, 800);
    assert.equal(session.reasoningTokens, 320);
    assert.equal(session.answerTokens, 80);
    assert.ok(Math.abs((session.costUsd ?? 0) - 0.008) < 1e-9);
  });

  it('stores long traces shortened, within a size limit, and restores them as finished', () => {
    const model = new PanelModel({ maxRuns: 20, maxStoredChars: 50_000, maxStoredTraceChars: 10_000, maxStoredAnswerChars: 5_000 });
    for (let i = 0; i < 10; i++) {
      model.startRun(header(`r${i}`, { startedAt: i + 1 }), i + 1);
      model.appendReasoning(`r${i}`, `start-${i} ` + 'x'.repeat(50_000) + ` end-${i}`);
      if (i < 9) model.finishRun(`r${i}`, result(), i + 2);
    }
    const stored = model.toStored();
    const json = JSON.stringify(stored);
    assert.ok(json.length <= 50_000, `stored ${json.length} chars`);
    const last = stored.runs[stored.runs.length - 1];
    assert.equal(last.header.id, 'r9');
    assert.ok(last.reasoning.startsWith('start-9') && last.reasoning.endsWith('end-9'), 'keeps the start and the conclusion');
    assert.equal(last.trimmed, true);
    assert.ok(stored.runs.length < 10, 'oldest runs dropped to fit');

    const restored = new PanelModel();
    restored.load(JSON.parse(json));
    restored.load({ version: 1, runs: [{ header: { id: 'bad' } }, 42] });
    const view = restored.run('r9');
    assert.equal(view?.status, 'interrupted', 'a run that never finished is marked interrupted');
    assert.equal(restored.has('bad'), false);
    assert.equal(restored.session().runs, 0, 'history does not count toward this session');
  });

  it('sums usage and cost over this session', () => {
    const model = new PanelModel();
    model.startRun(header('a'), 1);
    model.setUsage('a', { promptTokens: 100, reasoningTokens: 50, answerTokens: 10, cachedPromptTokens: 80, costUsd: 0.001 });
    model.startRun(header('b'), 2);
    model.setUsage('b', { promptTokens: 1, reasoningTokens: 2, answerTokens: 3, tokensPerSecond: 30 });
    assert.deepEqual(model.session(), {
      runs: 2,
      promptTokens: 101,
      reasoningTokens: 52,
      answerTokens: 13,
      cachedPromptTokens: 80,
      costUsd: 0.001,
    });
  });

  it('shortens with a marker that says how much was left out', () => {
    const text = 'a'.repeat(100) + 'b'.repeat(100);
    const short = shorten(text, 50);
    assert.match(short, /^a{10}\n\n\[… 150 characters of reasoning were left out of the saved copy …\]\n\nb{40}$/);
  });
});

describe('export', () => {
  it('writes Markdown a model cannot break out of, and JSON with every part of the run', () => {
    const model = new PanelModel();
    model.startRun(header('r1', { prompt: 'Review lines 10-14', startedAt: 1_000 }), 1_000);
    model.appendReasoning('r1', 'Look:\n````\n# not a heading\n````');
    model.appendAnswer('r1', 'Answer', 2_000);
    model.setUsage('r1', { promptTokens: 10, reasoningTokens: 20, answerTokens: 5, costUsd: 0.0012 });
    model.finishRun('r1', result({ findings: [finding('f1', { locationUncertain: true })] }), 3_000);
    const run = model.run('r1');
    assert.ok(run);
    const md = runToMarkdown(run);
    assert.match(md, /^# ThinkLens explain: /);
    assert.match(md, /## Prompt\n\n```text\nReview lines 10-14\n```/);
    assert.match(md, /`````text\nLook:\n````\n# not a heading\n````\n`````/, 'a longer fence than any inside');
    assert.match(md, /### error \(bug\): Loop reads one element past the end/);
    assert.match(md, /line 12 — location uncertain/);
    assert.match(md, /\$0\.0012/);
    const json = runToJson(run);
    assert.equal(json.prompt, 'Review lines 10-14');
    assert.equal(json.backend, 'deepseek');
    assert.equal(json.model, 'deepseek-flash');
    assert.equal(json.findings.length, 1);
    assert.equal(json.usage?.reasoningTokens, 20);
    assert.equal(json.startedAt, new Date(1_000).toISOString());
  });
});

describe('panel HTML and protocol checks', () => {
  it('has a nonce CSP with nothing inline and only the panel files', () => {
    const html = renderPanelHtml({
      cspSource: 'https://x.vscode-cdn.net',
      nonce: 'abc123',
      scriptUri: 'https://x.vscode-cdn.net/w.js',
      styleUri: 'https://x.vscode-cdn.net/w.css',
    });
    assert.equal(
      panelCsp({ cspSource: 'https://x.vscode-cdn.net', nonce: 'abc123' }),
      "default-src 'none'; script-src 'nonce-abc123'; style-src https://x.vscode-cdn.net 'nonce-abc123'; font-src https://x.vscode-cdn.net; img-src https://x.vscode-cdn.net data:",
    );
    assert.match(html, /<script nonce="abc123" src="https:\/\/x\.vscode-cdn\.net\/w\.js"><\/script>/);
    assert.equal((html.match(/<script/g) ?? []).length, 1, 'one script, no inline code');
    assert.doesNotMatch(html, /style=/);
  });

  it('accepts only absolute http(s) links', () => {
    for (const ok of ['https://example.com', 'http://localhost:8080/x?y=1#z']) assert.equal(isWebLink(ok), true, ok);
    for (const bad of [
      'javascript:alert(1)',
      'command:x',
      'data:text/html,x',
      'file:///etc/passwd',
      'vscode://x',
      '/relative',
      'https://',
      'jav\tascript:x',
    ])
      assert.equal(isWebLink(bad), false, bad);
  });

  it('checks both directions', () => {
    assert.equal(isWebviewMessage({ type: 'ready' }), true);
    assert.equal(isWebviewMessage({ type: 'runCommand', command: 'thinklens.showLog' }), true);
    assert.equal(isWebviewMessage({ type: 'runCommand', command: 'thinklens.explainBug' }), false);
    assert.equal(isWebviewMessage({ type: 'toString' }), false);
    assert.equal(isHostMessage({ type: 'display', mode: 'expanded' }), true);
    assert.equal(isHostMessage({ type: 'display', mode: 'loud' }), false);
    assert.equal(
      isHostMessage({ type: 'findings', runId: 'r', findings: [{ ...finding('f'), range: { startLine: 0, endLine: 1 } }] }),
      false,
      'lines are 1-based',
    );
  });

  it('rejects a message whose field has the wrong type, in each direction', () => {
    // Panel to host: the host drops the message whole and reports it.
    const events = recordingEvents();
    const session = new PanelSession(events, { timers: manualTimers() });
    session.attach(() => undefined);
    session.receive({ type: 'ready' });
    session.startRun(header('r1'));
    session.finishRun('r1', result({ findings: [finding('f1')] }));
    const wrong: unknown[] = [
      { type: 'applyFix', runId: 'r1', findingId: 1 },
      { type: 'cancelRun', runId: ['r1'] },
      { type: 'followUp', runId: 'r1', question: { text: 'why?' } },
      { type: 'runCommand', command: 'thinklens.setApiKey', backend: 42 },
      { type: 'openLink', href: new String('https://example.com') },
    ];
    for (const message of wrong) {
      assert.equal(isWebviewMessage(message), false, JSON.stringify(message));
      session.receive(message);
    }
    assert.deepEqual(
      events.calls,
      wrong.map(() => 'rejected'),
    );
    session.receive({ type: 'applyFix', runId: 'r1', findingId: 'f1' });
    assert.deepEqual(events.calls.at(-1), 'applyFix r1 f1', 'the same message with the right types goes through');

    // Host to panel: the panel would drop these, so the host refuses to send them.
    const good = { type: 'focusRun', runId: 'r1', showTrace: true };
    assert.equal(isHostMessage(good), true);
    assert.equal(isHostMessage({ ...good, showTrace: 'yes' }), false);
    assert.equal(
      isHostMessage({
        type: 'usage',
        runId: 'r1',
        usage: { promptTokens: '10', reasoningTokens: 0, answerTokens: 0 },
        session: { promptTokens: 0, reasoningTokens: 0, answerTokens: 0, runs: 1 },
      }),
      false,
    );
    assert.equal(isHostMessage({ type: 'findings', runId: 'r1', findings: [{ ...finding('f'), hasFix: 'true' }] }), false);
    assert.equal(
      isHostMessage({ type: 'findings', runId: 'r1', findings: [{ ...finding('f'), range: { startLine: 1.5, endLine: 2 } }] }),
      false,
      'lines are whole',
    );
    assert.equal(isHostMessage({ type: 'setup', setup: undefined }), false, 'setup is cleared with null, not left out');
    assert.equal(isHostMessage([{ type: 'display', mode: 'expanded' }]), false);
    const sent: HostToWebview[] = [];
    session.attach((m) => sent.push(m));
    session.receive({ type: 'ready' });
    sent.length = 0;
    session.updateFindings('r1', [finding('f1', { explanation: 7 as unknown as string })]);
    assert.equal(
      sent.some((m) => m.type === 'findings'),
      false,
    );
    assert.ok(events.calls.includes('unsendable findings'));
  });

  it('turns engine usage into panel usage', () => {
    assert.deepEqual(
      usageViewFromUsage({ promptTokens: 10, completionTokens: 100, reasoningTokens: 80, cachedPromptTokens: 4, costUsd: 0.5 }),
      {
        promptTokens: 10,
        reasoningTokens: 80,
        answerTokens: 20,
        cachedPromptTokens: 4,
        costUsd: 0.5,
      },
    );
  });
});
