// Benchmark (not a test): a 25,000-token reasoning trace through the host-side PanelSession
// (coalescing included) into the built panel in real Chromium, at 200 tokens/s and at full speed.
// Records long tasks (PerformanceObserver 'longtask', >= 50 ms), frame gaps, messages posted per
// frame, and the JS heap; writes bench/results/webview.md.
//
//   node --import tsx bench/webviewBench.ts          # 200 tokens/s over a sampled window (see below)
//   node --import tsx bench/webviewBench.ts --full   # also 200 tokens/s for all 25,000 tokens (~2 more minutes)
//   node --import tsx bench/webviewBench.ts --math   # a math-heavy trace and answer (TeX rendered by KaTeX); writes webview-math.md
//
// --math compares the ways of drawing TeX side by side in one run (KaTeX's HTML or MathML output,
// every formula or only those near view): it builds the panel once per way, then runs the
// scenarios for each way in turn, --rounds=N times (3 by default), and reports medians and spread.
import { ignoredPanelEvents } from '../test/support/panelEvents';
import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { cpus, loadavg, tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import * as esbuild from 'esbuild';
import { mathDefines, mathRendering, targets } from '../esbuild.mjs';
import { PanelSession } from '../src/extension/panel/panelSession';
import { openPanel } from '../test/webview/panelHarness';
import type { PanelPage } from '../test/webview/panelHarness';
import type { HostToWebview } from '../src/bridge/protocol';

const TOTAL_TOKENS = 25_000;
const RATE = 200;
/** The sampled 200 tokens/s run streams its first tokens at full speed (unmeasured) and measures this many at the end, where the page holds the most. */
const WINDOW_TOKENS = 3_000;
const ANSWER_TOKENS = 1_200;
const full = process.argv.includes('--full');
/** --profile: print the page's functions by self time for each measured window. */
const profile = process.argv.includes('--profile');
/** --math: the reasoning and answer of a proof check, with inline and display TeX throughout. */
const math = process.argv.includes('--math');
const roundsArg = process.argv.find((a) => a.startsWith('--rounds='));
const ROUNDS = roundsArg ? Number(roundsArg.slice('--rounds='.length)) : math ? 3 : 1;

/** A way of drawing TeX: KaTeX's output, and whether a chunk's formulas wait until it comes near view. */
interface MathWay {
  readonly name: string;
  readonly output: 'html' | 'mathml';
  readonly defer: boolean;
}
const MATH_WAYS: readonly MathWay[] = [
  { name: 'KaTeX HTML, every formula (before)', output: 'html', defer: false },
  { name: 'KaTeX MathML, every formula', output: 'mathml', defer: false },
  { name: 'KaTeX HTML, near view only', output: 'html', defer: true },
  { name: 'KaTeX MathML, near view only', output: 'mathml', defer: true },
];
/** --ways=1,4: only these ways (1-based, in the order above). */
const waysArg = process.argv.find((a) => a.startsWith('--ways='));
const WAYS = waysArg
  ? waysArg
      .slice('--ways='.length)
      .split(',')
      .map((i) => MATH_WAYS[Number(i) - 1]!)
  : MATH_WAYS;
const isShipped = (way: MathWay) => way.output === mathRendering.output && way.defer === mathRendering.defer;

/** The panel bundle built for one way of drawing TeX, in a temporary folder. */
async function buildWay(way: MathWay): Promise<string> {
  const outdir = mkdtempSync(join(tmpdir(), 'thinklens-math-bundle-'));
  await esbuild.build({
    ...(targets.webview as esbuild.BuildOptions),
    absWorkingDir: resolve(__dirname, '..'),
    outdir,
    define: mathDefines(way),
    logLevel: 'error',
  });
  return outdir;
}

interface CpuProfile {
  nodes: { id: number; callFrame: { functionName: string; url: string; lineNumber: number; columnNumber: number } }[];
  samples: number[];
  timeDeltas: number[];
}

interface TraceEvent {
  name: string;
  ph: string;
  ts: number;
  dur?: number;
  /** Thread (CPU) time of a complete event, µs. */
  tdur?: number;
  tid: number;
  pid?: number;
  args?: { name?: string };
}

/**
 * Tasks of the page's main thread that used 50 ms of CPU or more. A long task in the page's own
 * count (wall time) can also be a task that waited for one of two busy cores; its thread time is
 * what the panel and Chromium's rendering actually cost.
 */
function mainThreadCpuLongTasks(events: readonly TraceEvent[]): number[] {
  const main = new Set(
    events.filter((e) => e.ph === 'M' && e.name === 'thread_name' && e.args?.name === 'CrRendererMain').map((e) => `${e.pid}:${e.tid}`),
  );
  const tasks = events.filter((e) => e.name === 'RunTask' && e.ph === 'X' && main.has(`${e.pid}:${e.tid}`));
  if (!tasks.length || tasks.every((e) => e.tdur === undefined)) throw new Error('the trace holds no main-thread tasks with thread time');
  return tasks.filter((e) => (e.tdur ?? 0) >= 50_000).map((e) => e.tdur! / 1000);
}

/** Waits until the page has drawn what it was sent; a machine under heavy load may take several tries. */
async function settle(panel: PanelPage): Promise<void> {
  for (let attempt = 1; ; attempt++) {
    try {
      await panel.frames(3);
      return;
    } catch (err) {
      if (attempt >= 12) throw err;
    }
  }
}

/** For each task of 50 ms or more, the kinds of work inside it. */
function printLongTasks(events: TraceEvent[]): void {
  const tasks = events.filter((e) => e.name === 'RunTask' && e.ph === 'X' && (e.dur ?? 0) >= 50_000);
  for (const task of tasks.slice(0, 12)) {
    const inner = new Map<string, number>();
    for (const e of events) {
      if (e === task || e.tid !== task.tid || e.ph !== 'X' || e.ts < task.ts || e.ts >= task.ts + (task.dur ?? 0)) continue;
      inner.set(e.name, (inner.get(e.name) ?? 0) + (e.dur ?? 0) / 1000);
    }
    const top = [...inner.entries()]
      .sort((a, b) => b[1] - a[1])
      .slice(0, 6)
      .map(([n, ms]) => `${n} ${ms.toFixed(0)}`);
    process.stderr.write(`long task ${((task.dur ?? 0) / 1000).toFixed(0)} ms: ${top.join(', ')}\n`);
  }
}

function printProfile(p: CpuProfile): void {
  const byId = new Map(p.nodes.map((n) => [n.id, n]));
  const self = new Map<string, number>();
  p.samples.forEach((id, i) => {
    const frame = byId.get(id)?.callFrame;
    const key = frame
      ? `${frame.functionName || '(anonymous)'} ${frame.url.split('/').pop()}:${frame.lineNumber + 1}:${frame.columnNumber + 1}`
      : '?';
    self.set(key, (self.get(key) ?? 0) + (p.timeDeltas[i] ?? 0) / 1000);
  });
  const top = [...self.entries()].sort((a, b) => b[1] - a[1]).slice(0, 25);
  process.stderr.write(top.map(([k, ms]) => `${ms.toFixed(1).padStart(9)} ms  ${k}`).join('\n') + '\n');
}

/** Realistic reasoning pieces: words of a few characters, inline code, paragraph breaks, a code block now and then. */
function reasoningTokens(count: number): string[] {
  const words = [
    'the',
    'loop',
    'runs',
    'while',
    'i',
    '<=',
    'items',
    '.length',
    ',',
    'so',
    'on',
    'last',
    'pass',
    'it',
    'reads',
    'undefined',
    'and',
    'adds',
    'NaN',
    'wait',
    'let',
    'me',
    'check',
    'caller',
    'again',
  ];
  const tokens: string[] = [];
  for (let i = 0; i < count; i++) {
    if (i % 97 === 96) tokens.push('.\n\n');
    else if (i % 41 === 40) tokens.push(' `sum(items)`');
    else if (i % 1500 === 1499) tokens.push('\n\n```ts\nfor (let i = 0; i < items.length; i++) total += items[i];\n```\n\n');
    else tokens.push(' ' + words[(i * 7) % words.length]);
  }
  return tokens;
}

/**
 * Reasoning about a proof, the way R1 writes it: about one formula every ten tokens in all four
 * delimiter styles, a display formula every 150 tokens, numbers varying so that formulas repeat
 * only as often as they do in a real trace. Formulas arrive split across tokens like real ones.
 */
function mathReasoningTokens(count: number): string[] {
  const tokens: string[] = [];
  const words = ['so', 'the', 'sum', 'is', 'then', 'wait', 'check', 'the', 'step', 'for', 'and', 'which', 'gives'];
  for (let i = 0; tokens.length < count; i++) {
    const k = i % 37;
    if (i % 15 === 14) tokens.push('.\n\n');
    else if (i % 15 === 7) tokens.push(' \\[', `\\sum_{i=1}^{${k}} i`, ` = \\frac{${k}(${k}+1)}`, '{2}', '\\]', '\n');
    else if (i % 3 === 0) tokens.push(' $', `(k+${k})^2`, ` = k^2 + ${2 * k}k`, ` + ${k * k}`, '$');
    else if (i % 3 === 1) tokens.push(' \\(', `a_{${k}} \\le`, ` \\sqrt{${k}}`, '\\)');
    else tokens.push(...[0, 1, 2].map((w) => ' ' + words[(i * 7 + w) % words.length]));
  }
  return tokens.slice(0, count);
}

function mathAnswerTokens(count: number): string[] {
  const text =
    '## The flaw\n\nThe step writes $k^2 + 2k + 1 = (k+2)^2 - 3$, but $(k+2)^2 - 3 = k^2 + 4k + 1$.\n\n' +
    '$$\n\\sum_{i=1}^{k+1} (2i-1) = k^2 + 2k + 1 = (k+1)^2\n$$\n\n' +
    '- For $k = 1$ the two sides are $6$ and $4$.\n- The base case \\(n = 1\\) is fine.\n\n';
  const pieces = text.match(/\S+\s*|\s+/g) ?? [];
  const tokens: string[] = [];
  while (tokens.length < count) tokens.push(...pieces);
  return tokens.slice(0, count);
}

function answerTokens(count: number): string[] {
  const text =
    '## What goes wrong\n\nThe loop bound `i <= items.length` reads one element past the end, so `total` becomes `NaN`.\n\n' +
    '```ts\nfunction sum(items: number[]): number {\n  let total = 0;\n  for (let i = 0; i < items.length; i++) total += items[i];\n  return total;\n}\n```\n\n' +
    '- Empty arrays return 0.\n- Sparse arrays still add `undefined`.\n\n';
  const pieces = text.match(/\S+\s*|\s+/g) ?? [];
  const tokens: string[] = [];
  while (tokens.length < count) tokens.push(...pieces);
  return tokens.slice(0, count);
}

const sleep = (ms: number) => new Promise((ok) => setTimeout(ok, ms));

interface PageStats {
  longTasks: number[];
  frames: number;
  frameGaps: number[];
  maxDeltaMessagesPerFrame: number;
  framesWithTwoOrMore: number;
  panelFrameMs: number[];
  panelMessageMs: number[];
}

const INSTRUMENT = `(() => {
  const s = { longTasks: [], frames: 0, frameGaps: [], maxDeltaMessagesPerFrame: 0, framesWithTwoOrMore: 0, panelFrameMs: [], panelMessageMs: [] };
  window.__bench = s;
  // The panel's own work: its animation-frame callbacks (DOM writes, forced layout for auto-scroll)
  // and its message handling, timed in the page.
  const raf = window.requestAnimationFrame.bind(window);
  s.slowFrames = [];
  window.requestAnimationFrame = (cb) => raf((ts) => {
    const t0 = performance.now();
    cb(ts);
    const d = performance.now() - t0;
    s.panelFrameMs.push(d);
    // Only the time: reading the trace's text here would itself be a long task on a large page.
    if (d > 20) s.slowFrames.push(d.toFixed(0) + 'ms at=' + (t0 / 1000).toFixed(1));
  });
  let m0 = 0;
  window.addEventListener('message', () => { m0 = performance.now(); }, true);
  window.addEventListener('message', () => { s.panelMessageMs.push(performance.now() - m0); });
  new PerformanceObserver((list) => { for (const e of list.getEntries()) s.longTasks.push(e.duration); }).observe({ type: 'longtask' });
  let inFrame = 0;
  window.addEventListener('message', (e) => { if (e.data && e.data.type === 'deltas') inFrame++; }, true);
  let last = performance.now();
  const tick = (now) => {
    s.frames++;
    s.frameGaps.push(now - last);
    last = now;
    if (inFrame > s.maxDeltaMessagesPerFrame) s.maxDeltaMessagesPerFrame = inFrame;
    if (inFrame >= 2) s.framesWithTwoOrMore++;
    inFrame = 0;
    raf(tick);
  };
  raf(tick);
})()`;

interface Scenario {
  name: string;
  how: string;
  measuredTokens: number;
  seconds: number;
  posts: number;
  deltaPosts: number;
  minDeltaGapMs: number;
  forcedFlushes: number;
  postsPerSecond: number;
  page: PageStats;
  heapMb: number;
  domNodes: number;
  traceChars: number;
  formulas: number;
  /** Closed formulas still shown as their TeX at the end (their stretch of the trace never came near view). */
  formulasAsTex: number;
  /** The renderer main thread's tasks with 50 ms or more of thread (CPU) time, in ms of CPU. */
  cpuLongTasks: number[];
  /** 1-minute load average when the scenario started and ended. */
  load: [number, number];
}

async function heapUsedMb(panel: PanelPage): Promise<number> {
  const cdp = await panel.page.context().newCDPSession(panel.page);
  await cdp.send('HeapProfiler.collectGarbage');
  const { usedSize } = await cdp.send('Runtime.getHeapUsage');
  await cdp.detach();
  return usedSize / 1024 / 1024;
}

async function runScenario(name: string, mode: 'window' | 'paced' | 'full-speed', bundleDir?: string): Promise<Scenario> {
  const loadAtStart = loadavg()[0]!;
  const posts: { at: number; message: HostToWebview }[] = [];
  let delivery = Promise.resolve();
  let opening: Promise<PanelPage> | undefined;
  const events = ignoredPanelEvents();
  const session = new PanelSession(events);
  session.attach((message) => {
    posts.push({ at: performance.now(), message });
    delivery = delivery.then(async () => (await opening!).send(message));
  });
  opening = openPanel({ onPost: (m) => session.receive(m), width: 420, height: 900, ...(bundleDir ? { bundleDir } : {}) });
  const panel = await opening;
  try {
    await delivery;
    const runId = `bench-${mode}`;
    session.startRun({
      id: runId,
      kind: 'review',
      title: 'Review: samples/sum.ts',
      backend: 'local',
      model: 'bench',
      startedAt: Date.now(),
    });
    const reasoning = math ? mathReasoningTokens(TOTAL_TOKENS) : reasoningTokens(TOTAL_TOKENS);
    const answer = math ? mathAnswerTokens(ANSWER_TOKENS) : answerTokens(ANSWER_TOKENS);

    let measuredFrom = 0;
    if (mode === 'window') {
      // Unmeasured lead-in: the page fills with 22,000 tokens as fast as the host can send them.
      measuredFrom = TOTAL_TOKENS - WINDOW_TOKENS;
      for (let i = 0; i < measuredFrom; i++) {
        session.appendReasoning(runId, reasoning[i]);
        if (i % 200 === 199) await sleep(1);
      }
      await sleep(100);
      await delivery;
    }
    await panel.page.evaluate(INSTRUMENT);
    await panel.frames();
    // Always traced: each task's thread time (CPU) beside its wall time (module notes).
    const cdp = await panel.page.context().newCDPSession(panel.page);
    const traceEvents: TraceEvent[] = [];
    if (profile) {
      await cdp.send('Profiler.enable');
      await cdp.send('Profiler.start');
    }
    cdp.on('Tracing.dataCollected', (e) => traceEvents.push(...(e.value as unknown as TraceEvent[])));
    await cdp.send('Tracing.start', {
      categories: 'devtools.timeline,disabled-by-default-devtools.timeline',
      transferMode: 'ReportEvents',
    });
    const postsBefore = posts.length;
    const started = performance.now();

    const stream = async (tokens: string[], from: number, append: (t: string) => void) => {
      if (mode === 'full-speed') {
        for (let i = from; i < tokens.length; i++) {
          append(tokens[i]);
          if (i % 25 === 24) await new Promise((ok) => setImmediate(ok));
        }
        return;
      }
      const t0 = performance.now();
      let sent = from;
      while (sent < tokens.length) {
        await sleep(10);
        const due = Math.min(tokens.length, from + Math.floor(((performance.now() - t0) / 1000) * RATE));
        for (; sent < due; sent++) append(tokens[sent]);
      }
    };
    await stream(reasoning, measuredFrom, (t) => session.appendReasoning(runId, t));
    await stream(answer, 0, (t) => session.appendAnswer(runId, t));
    session.finishRun(runId, {
      summary: 'The loop bound is off by one.',
      prose: answer.join(''),
      findings: Array.from({ length: 8 }, (_, i) => ({
        id: `f${i}`,
        title: `Finding ${i}`,
        severity: (['error', 'warning', 'info'] as const)[i % 3],
        category: 'bug' as const,
        file: { uri: 'file:///samples/sum.ts', path: 'samples/sum.ts' },
        range: { startLine: 10 + i, endLine: 10 + i },
        explanation: 'Reads `items[items.length]`, which is `undefined`.',
        hasFix: true,
        locationUncertain: false,
      })),
    });
    await sleep(50);
    await delivery;
    await settle(panel);
    const seconds = (performance.now() - started) / 1000;
    if (profile) process.stderr.write(`slow frames: ${JSON.stringify(await panel.page.evaluate('window.__bench.slowFrames'))}\n`);
    if (profile) printProfile((await cdp.send('Profiler.stop')).profile as unknown as CpuProfile);
    const traced = new Promise((ok) => cdp.once('Tracing.tracingComplete', ok));
    await cdp.send('Tracing.end');
    await traced;
    await cdp.detach();
    if (profile) printLongTasks(traceEvents);
    const cpuLongTasks = mainThreadCpuLongTasks(traceEvents);
    const page = (await panel.page.evaluate('window.__bench')) as PageStats;
    const measured = posts.slice(postsBefore);
    // A flush right before usage/finish keeps their order; it is counted apart from the timed posts.
    const forced = measured.filter(
      (p, i) =>
        p.message.type === 'deltas' && measured[i + 1] && measured[i + 1].message.type !== 'deltas' && measured[i + 1].at - p.at < 2,
    );
    const deltaTimes = measured.filter((p) => p.message.type === 'deltas' && !forced.includes(p)).map((p) => p.at);
    let minGap = Infinity;
    for (let i = 1; i < deltaTimes.length; i++) minGap = Math.min(minGap, deltaTimes[i] - deltaTimes[i - 1]);
    const traceChars = await panel.page.locator('.trace-body').evaluate((el) => (el.textContent ?? '').length);
    const domNodes = await panel.page.evaluate(() => document.querySelectorAll('*').length);
    // Closed formulas render within a budget per frame; the run is over when the last one is drawn.
    if (math)
      await panel.page.waitForFunction(() => !document.querySelector('.trace-body .math-pending'), undefined, {
        timeout: 600_000,
        polling: 250,
      });
    const formulas = await panel.page.evaluate(() => document.querySelectorAll('.trace-body .math .katex, .answer .math .katex').length);
    const formulasAsTex = await panel.page.evaluate(() => document.querySelectorAll('.trace-body .math-deferred').length);
    if (math && formulas + formulasAsTex < TOTAL_TOKENS / 20)
      throw new Error(`only ${formulas} formulas were rendered and ${formulasAsTex} wait as TeX`);
    const findingsShown = await panel.page.locator('.finding').count();
    const status = await panel.page.locator('.status-text').innerText();
    if (findingsShown !== 8 || !status.startsWith('Done'))
      throw new Error(`the run did not finish on screen: ${findingsShown} findings, status "${status}"`);
    const heapMb = await heapUsedMb(panel);
    const measuredTokens = TOTAL_TOKENS - measuredFrom + ANSWER_TOKENS;
    return {
      name,
      how:
        mode === 'full-speed'
          ? `all ${TOTAL_TOKENS.toLocaleString('en-US')} reasoning + ${ANSWER_TOKENS.toLocaleString('en-US')} answer tokens, 25 tokens per event-loop turn`
          : mode === 'paced'
            ? `all ${TOTAL_TOKENS.toLocaleString('en-US')} reasoning + ${ANSWER_TOKENS.toLocaleString('en-US')} answer tokens at ${RATE}/s`
            : `first ${measuredFrom.toLocaleString('en-US')} tokens at full speed (not measured), then the last ${WINDOW_TOKENS.toLocaleString('en-US')} reasoning + ${ANSWER_TOKENS.toLocaleString('en-US')} answer tokens at ${RATE}/s (measured)`,
      measuredTokens,
      seconds,
      posts: measured.length,
      deltaPosts: deltaTimes.length,
      forcedFlushes: forced.length,
      minDeltaGapMs: minGap,
      postsPerSecond: measured.length / seconds,
      page,
      heapMb,
      domNodes,
      traceChars,
      formulas,
      formulasAsTex,
      cpuLongTasks,
      load: [loadAtStart, loadavg()[0]!],
    };
  } finally {
    session.dispose();
    await panel.close();
  }
}

function percentile(values: number[], p: number): number {
  if (!values.length) return 0;
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))];
}

function report(results: Scenario[]): string {
  const chromium = execFileSync('/usr/bin/chromium', ['--version'], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] }).trim();
  const rows = results.map((r) => {
    const gaps = r.page.frameGaps.slice(1);
    const longest = r.page.longTasks.length ? Math.max(...r.page.longTasks).toFixed(0) : '–';
    const work = `${percentile(r.page.panelFrameMs, 99).toFixed(1)} / ${Math.max(0, ...r.page.panelFrameMs).toFixed(1)}`;
    const handling = `${percentile(r.page.panelMessageMs, 99).toFixed(1)} / ${Math.max(0, ...r.page.panelMessageMs).toFixed(1)}`;
    return `| ${r.name}${math ? ` | ${r.formulas.toLocaleString('en-US')}` : ''} | ${work} | ${handling} | ${r.measuredTokens.toLocaleString('en-US')} | ${r.seconds.toFixed(1)} | ${r.posts} (${r.deltaPosts} timed deltas, ${r.forcedFlushes} flushed before finish) | ${r.postsPerSecond.toFixed(1)} | ${r.minDeltaGapMs.toFixed(1)} | ${r.page.maxDeltaMessagesPerFrame} (${r.page.framesWithTwoOrMore} of ${r.page.frames}) | ${r.page.longTasks.length} / ${longest} | ${percentile(gaps, 95).toFixed(1)} / ${Math.max(...gaps).toFixed(1)} | ${r.heapMb.toFixed(1)} | ${r.domNodes.toLocaleString('en-US')} | ${r.traceChars.toLocaleString('en-US')} |`;
  });
  const load = loadavg()
    .map((l) => l.toFixed(1))
    .join(' / ');
  const onePostPerFrame = results.every((r) => r.minDeltaGapMs >= 16 || !Number.isFinite(r.minDeltaGapMs));
  const noLongTasks = results.every((r) => r.page.longTasks.length === 0);
  const panelWork = Math.max(...results.flatMap((r) => r.page.panelFrameMs));
  const panelMessages = Math.max(...results.flatMap((r) => r.page.panelMessageMs));
  const attribution =
    !noLongTasks && panelWork < 50 && panelMessages < 50
      ? `\nEvery long task in this run happened outside the panel's own code: its longest animation-frame callback took ${panelWork.toFixed(1)} ms and its longest message handler ${panelMessages.toFixed(1)} ms. The rest of a long task is Chromium's rendering (paint, commit, layerize, the content-visibility check) or the renderer waiting for a CPU; \`--profile\` prints the breakdown of each long task and the page's functions by self time.\n`
      : '';
  const flags = `${full ? ' --full' : ''}${math ? ' --math' : ''}`;
  const what = math
    ? `A 25,000-token math-heavy reasoning trace (a formula about every ten tokens in \`$…$\`, \`\\(…\\)\` and \`\\[…\\]\`,
split across tokens as models send them, a display formula every 150 tokens), then a 1,200-token markdown answer with
inline and display math, then 8 findings`
    : `A 25,000-token reasoning trace (words, inline code, paragraph breaks, a fenced block every 1,500 tokens), then a
1,200-token markdown answer with a highlighted code block, then 8 findings`;
  return `# Webview benchmark${math ? ': math-heavy trace' : ''}

\`node --import tsx bench/webviewBench.ts${flags}\` on ${new Date().toISOString().slice(0, 10)}: ${cpus().length} cores (${cpus()[0]?.model.trim()}), shared with other work (load average 1/5/15 min at the end: ${load}); Node ${process.version}; ${chromium}, headless.

${what}, streamed token by token into the real
\`PanelSession\` (the host side \`ReviewPanel\` runs, with its 16 ms coalescer) and from there into the built panel
(\`media/dist/webview.js\`) in Chromium, one \`postMessage\` per host post.

Scenarios:
${results.map((r) => `- **${r.name}**: ${r.how}.`).join('\n')}

| scenario${math ? ' | formulas rendered' : ''} | panel frame work p99 / max (ms) | message handling p99 / max (ms) | tokens measured | s | host posts | posts/s | min gap between delta posts (ms) | max delta messages in one frame (frames with ≥2) | long tasks ≥50 ms: count / longest (ms) | frame gap p95 / max (ms) | JS heap after GC (MB) | DOM nodes | trace chars |
|---|---|---|---|---|---|---|---|---|---|---|---|---|---|${math ? '---|' : ''}
${rows.join('\n')}

Targets on this run: at most one post per frame — **${onePostPerFrame ? 'met' : 'not met'}** (timed delta posts at least 16 ms apart on the host);
no long task over 50 ms — **${noLongTasks ? 'met' : 'not met'}**.
${attribution}
Notes:
- "min gap between delta posts" is measured on the host: the coalescer never posts deltas twice within 16 ms.
  "delta messages in one frame" is measured in the page; the test harness delivers posts through the DevTools
  protocol, whose own jitter can occasionally land two posts in one frame even when they left the host 16 ms apart.
- Long tasks come from \`PerformanceObserver({ type: 'longtask' })\` in the page, which reports tasks of 50 ms or more.
- The sampled 200 tokens/s run is shortened by sampling its last window (the full run takes over two minutes; \`--full\` adds it): the page first receives
  ${(TOTAL_TOKENS - WINDOW_TOKENS).toLocaleString('en-US')} tokens at full speed (unmeasured), so the measured window runs with the DOM at its largest,
  which is where per-frame cost would grow if rendering were not incremental.
`;
}

interface MathRun {
  readonly way: MathWay;
  readonly round: number;
  readonly result: Scenario;
}

const median = (xs: readonly number[]): number => {
  const sorted = [...xs].sort((a, b) => a - b);
  const middle = sorted.length >> 1;
  return sorted.length % 2 ? sorted[middle]! : (sorted[middle - 1]! + sorted[middle]!) / 2;
};
const fmt = (x: number, digits = 0) => x.toLocaleString('en-US', { maximumFractionDigits: digits, minimumFractionDigits: digits });
/** "median (min–max)" of the rounds, or the one value. */
function spread(xs: readonly number[], digits = 0): string {
  if (xs.length === 1) return fmt(xs[0]!, digits);
  return `${fmt(median(xs), digits)} (${fmt(Math.min(...xs), digits)}–${fmt(Math.max(...xs), digits)})`;
}

function mathReport(runs: readonly MathRun[], scenarios: readonly string[]): string {
  const chromium = execFileSync('/usr/bin/chromium', ['--version'], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] }).trim();
  const rows: string[] = [];
  const verdicts: string[] = [];
  const before = MATH_WAYS[0]!;
  for (const way of WAYS) {
    const mine = runs.filter((r) => r.way === way);
    for (const scenario of scenarios) {
      const xs = mine.filter((r) => r.result.name === scenario).map((r) => r.result);
      if (!xs.length) continue;
      const longest = xs.map((r) => (r.page.longTasks.length ? Math.max(...r.page.longTasks) : 0));
      const nodesBefore = median(runs.filter((r) => r.way === before && r.result.name === scenario).map((r) => r.result.domNodes));
      rows.push(
        `| ${way.name}${isShipped(way) ? ' **(shipped)**' : ''} | ${scenario} | ${xs.map((r) => r.page.longTasks.length).join(', ')} | ${xs.map((r) => r.cpuLongTasks.length).join(', ')} | ${spread(longest)} | ${spread(
          xs.map((r) => Math.max(0, ...r.page.panelFrameMs)),
          1,
        )} | ${spread(
          xs.map((r) => percentile(r.page.frameGaps.slice(1), 95)),
          1,
        )} | ${spread(xs.map((r) => r.domNodes))} (${(median(xs.map((r) => r.domNodes)) / nodesBefore).toFixed(2)}×) | ${spread(xs.map((r) => r.formulas))} / ${spread(xs.map((r) => r.formulasAsTex))} | ${spread(
          xs.map((r) => r.heapMb),
          1,
        )} | ${xs.map((r) => `${r.load[0].toFixed(1)}→${r.load[1].toFixed(1)}`).join(', ')} |`,
      );
    }
    const verdict = (count: (r: Scenario) => number) => {
      if (mine.every((r) => count(r.result) === 0)) return '**met** in every round';
      const inMedian = scenarios.every(
        (scenario) => median(mine.filter((r) => r.result.name === scenario).map((r) => count(r.result))) === 0,
      );
      return inMedian ? '**met** in the median round, not in every round' : '**not met**';
    };
    verdicts.push(
      `- ${way.name}: wall time (the page's long-task count) ${verdict((r) => r.page.longTasks.length)}; CPU time ${verdict((r) => r.cpuLongTasks.length)}`,
    );
  }
  const loads = runs.flatMap((r) => r.result.load);
  return `# Webview benchmark: math-heavy trace

\`node --import tsx bench/webviewBench.ts --math${full ? ' --full' : ''}${ROUNDS !== 3 ? ` --rounds=${ROUNDS}` : ''}\` on ${new Date().toISOString().slice(0, 10)}: ${cpus().length} cores (${cpus()[0]?.model.trim()}), shared with other work (1-minute load average over the run: ${Math.min(...loads).toFixed(1)} to ${Math.max(...loads).toFixed(1)}); Node ${process.version}; ${chromium}, headless, no CPU throttling.

A 25,000-token math-heavy reasoning trace (a formula about every ten tokens in \`$…$\`, \`\\(…\\)\` and \`\\[…\\]\`,
split across tokens as models send them, a display formula every 150 tokens), then a 1,200-token markdown answer with
inline and display math, then 8 findings, streamed token by token into the real
\`PanelSession\` (the host side \`ReviewPanel\` runs, with its 16 ms coalescer) and from there into the built panel
in Chromium, one \`postMessage\` per host post.

The panel is built once per way of drawing TeX (\`mathRendering\` in esbuild.mjs picks the shipped one):
- **KaTeX HTML** (\`output: 'html'\`): nested spans and SVG, sized by KaTeX's stylesheet and inline sizes.
- **KaTeX MathML** (\`output: 'mathml'\`): MathML elements that Chromium lays out natively, through a MathML allow-list in the sanitizer.
- **every formula**: each formula is drawn once its closing delimiter arrives (within a 6 ms budget per frame).
- **near view only**: a chunk of the trace draws its formulas when it comes within one box height of the trace's visible part
  (IntersectionObserver); until then they show as their TeX.

Scenarios:
- **${RATE} tokens/s, sampled window**: the first ${(TOTAL_TOKENS - WINDOW_TOKENS).toLocaleString('en-US')} tokens at full speed (not measured), then the last ${WINDOW_TOKENS.toLocaleString('en-US')} reasoning + ${ANSWER_TOKENS.toLocaleString('en-US')} answer tokens at ${RATE}/s (measured).${full ? `\n- **${RATE} tokens/s, whole trace**: all ${TOTAL_TOKENS.toLocaleString('en-US')} reasoning + ${ANSWER_TOKENS.toLocaleString('en-US')} answer tokens at ${RATE}/s.` : ''}
- **full speed**: all ${TOTAL_TOKENS.toLocaleString('en-US')} reasoning + ${ANSWER_TOKENS.toLocaleString('en-US')} answer tokens, 25 tokens per event-loop turn.

${ROUNDS} rounds; each round runs every way in turn, so a change in the machine's load falls on all of them. Medians with the range over the rounds in brackets.

| way | scenario | long tasks ≥50 ms (wall), each round | tasks with ≥50 ms of CPU, each round | longest long task (ms; 0 = none) | panel frame work max (ms) | frame gap p95 (ms) | DOM nodes at the end (vs before) | formulas drawn / shown as TeX at the end | JS heap after GC (MB) | load at start→end, each round |
|---|---|---|---|---|---|---|---|---|---|---|
${rows.join('\n')}

Target, no long task over 50 ms in both scenarios:
${verdicts.join('\n')}

Notes:
- Long tasks (wall) come from \`PerformanceObserver({ type: 'longtask' })\` in the page, which reports tasks of 50 ms or more;
  on 2 shared cores a long task can also be the renderer waiting for a CPU, so the count moves with the load (last column).
- Tasks with ≥50 ms of CPU come from a Chromium trace of the same run: the renderer main thread's tasks whose thread
  time reached 50 ms, the work itself whatever the wait for a core.
- "panel frame work" is the panel's own animation-frame callbacks (writing text, drawing formulas within their budget).
- "formulas drawn" counts the trace's and the answer's rendered formulas; with "near view only", the formulas of the
  stretches that were never near view stay TeX (scrolling there draws them), which is what keeps the DOM small.
- Copying a formula gives its TeX either way: a drawn formula keeps its TeX for the copy handler, one shown as TeX is its TeX.
`;
}

async function mathMain(): Promise<void> {
  const scenarios: ['window' | 'paced' | 'full-speed', string][] = [
    ['window', `${RATE} tokens/s, sampled window`],
    ...(full ? [['paced', `${RATE} tokens/s, whole trace`] as ['paced', string]] : []),
    ['full-speed', 'full speed'],
  ];
  const bundles = new Map<MathWay, string>();
  for (const way of WAYS) bundles.set(way, await buildWay(way));
  const runs: MathRun[] = [];
  try {
    for (let round = 0; round < ROUNDS; round++)
      for (const way of WAYS)
        for (const [mode, name] of scenarios) {
          const result = await runScenario(name, mode, bundles.get(way));
          runs.push({ way, round, result });
          process.stderr.write(
            `round ${round + 1}/${ROUNDS} ${way.name}, ${name}: ${result.page.longTasks.length} long tasks (${result.page.longTasks.map((t) => t.toFixed(0)).join(', ')}), CPU ≥50 ms: ${result.cpuLongTasks.map((t) => t.toFixed(0)).join(', ') || 'none'}, ${result.domNodes} nodes, load ${result.load.map((l) => l.toFixed(1)).join('→')}\n`,
          );
        }
  } finally {
    for (const dir of bundles.values()) rmSync(dir, { recursive: true, force: true });
  }
  const markdown = mathReport(
    runs,
    scenarios.map(([, name]) => name),
  );
  const out = join(__dirname, 'results', 'webview-math.md');
  writeFileSync(out, markdown);
  process.stdout.write(markdown + `\nwritten to ${out}\n`);
}

async function main(): Promise<void> {
  if (math) return mathMain();
  const results: Scenario[] = [];
  results.push(await runScenario(`${RATE} tokens/s, sampled window`, 'window'));
  if (full) results.push(await runScenario(`${RATE} tokens/s, whole trace`, 'paced'));
  results.push(await runScenario('full speed', 'full-speed'));
  const markdown = report(results);
  const out = join(__dirname, 'results', math ? 'webview-math.md' : 'webview.md');
  writeFileSync(out, markdown);
  process.stdout.write(markdown + `\nwritten to ${out}\n`);
}

main().catch((err: unknown) => {
  process.stderr.write(`${err instanceof Error ? (err.stack ?? err.message) : String(err)}\n`);
  process.exitCode = 1;
});
