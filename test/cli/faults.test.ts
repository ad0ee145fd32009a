// The fault and hostile-input corpus, CLI half: the built CLI as a separate process against the
// replay server over loopback. A slow pipe, terminal escapes in model and server text, model text
// used as a table key, impossible and destructive fixes, binary and huge files, numeric flags, and
// SARIF paths. Every test names its failure class from docs/RELIABILITY.md.

import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, test as nodeTest } from 'node:test';
import { sourceWithLoops } from '../support/longSource';
import { deepseekStream, errorResponse, startReplayServer, type ReplayServer } from '../support/replayServer';

const test = (name: string, fn: () => void | Promise<void>) => nodeTest(name, { timeout: 30_000 }, fn);

const CLI = join(__dirname, '..', '..', 'dist', 'cli.js');
const CART = [
  'function cartTotal(items) {',
  '  let total = 0;',
  '  for (let i = 0; i <= items.length; i++) {',
  '    total += items[i].price;',
  '  }',
  '  return total;',
  '}',
  '',
].join('\n');

let server: ReplayServer;
let dir: string;
let file: string;

before(async () => {
  server = await startReplayServer();
  dir = mkdtempSync(join(tmpdir(), 'thinklens-faults-'));
  file = join(dir, 'cart.js');
  writeFileSync(file, CART);
});
after(async () => {
  await server.close();
  rmSync(dir, { recursive: true, force: true });
});

interface Result {
  code: number | null;
  stdout: string;
  stderr: string;
}

/** Runs the CLI; with `readAfterMs`, nobody reads its stdout for that long (a slow pipe reader). */
function cli(args: string[], options: { readAfterMs?: number; cwd?: string } = {}): Promise<Result> {
  return new Promise((resolve, reject) => {
    // With a slow reader: a real shell pipe, as in `thinklens review … | tee` in CI (Node makes its
    // end non-blocking, so writes to it are asynchronous), read only after `readAfterMs`; the CLI's
    // exit code comes back on stderr as "exit=N".
    // The result cache in this test's folder, never the user's.
    const env = { PATH: process.env.PATH, THINKLENS_CACHE_DIR: join(dir, 'cache') };
    const child = options.readAfterMs
      ? spawn(
          'sh',
          ['-c', `{ "$0" "$@"; echo "exit=$?" >&2; } | { sleep ${options.readAfterMs / 1000}; cat; }`, process.execPath, CLI, ...args],
          { env, stdio: ['ignore', 'pipe', 'pipe'], cwd: options.cwd },
        )
      : spawn(process.execPath, [CLI, ...args], { env, stdio: ['ignore', 'pipe', 'pipe'], cwd: options.cwd });
    const out: Buffer[] = [];
    let stderr = '';
    child.stdout.on('data', (d: Buffer) => out.push(d));
    child.stderr.on('data', (d) => (stderr += d));
    const killer = setTimeout(() => child.kill('SIGKILL'), 25_000);
    child.on('error', reject);
    child.on('close', (code) => {
      clearTimeout(killer);
      const reported = /exit=(\d+)\n$/.exec(stderr);
      resolve({ code: reported ? Number(reported[1]) : code, stdout: Buffer.concat(out).toString('utf8'), stderr });
    });
  });
}

let modelCounter = 0;
function scripted(reasoning: string, answer: string, times = 1): string {
  const model = `cli-fault-${++modelCounter}`;
  server.script(
    model,
    Array.from({ length: times }, () => deepseekStream({ reasoning, answer, model })),
  );
  return model;
}

const review = (model: string, target: string, ...extra: string[]) =>
  cli(['review', target, '--backend', 'openai-compatible', '--base-url', server.baseUrl, '--model', model, ...extra]);

function answerWith(findings: unknown[], summary = 'Checked.'): string {
  return `Done.\n\n\`\`\`json\n${JSON.stringify({ summary, findings })}\n\`\`\``;
}

// Everything a terminal obeys: ESC (CSI, OSC), BEL, CR, backspace, C1 CSI, DEL, bidi overrides.
const HOSTILE =
  '\u001b[2J\u001b]0;pwned\u0007\u001b]52;c;ZWNobyBoaQ==\u0007\u001b]8;;https://evil.example\u001b\\link\u001b]8;;\u001b\\ \rall checks passed\b\b\u009b31m\u007f\u202eevil\u202c\u2066';
const TERMINAL_CONTROLS = /[\u0000-\u0008\u000b-\u001f\u007f-\u009f\u061c\u200e\u200f\u202a-\u202e\u2066-\u2069]/;

test('class 1: a big JSON result to a slow pipe is written whole before the exit code', async () => {
  const reasoning = 'r'.repeat(400 * 1024);
  const model = scripted(reasoning, answerWith([]));
  const result = await cli(
    ['review', `${file}:1-7`, '--backend', 'openai-compatible', '--base-url', server.baseUrl, '--model', model, '--format', 'json'],
    { readAfterMs: 2500 },
  );
  assert.equal(result.code, 0, result.stderr);
  const parsed = JSON.parse(result.stdout);
  assert.equal(parsed.runs[0].reasoning.length, reasoning.length, 'every byte arrived');
});

test('class 4: --deadline bounds the whole run of a file reviewed in many parts, keeping what the finished parts found', async () => {
  const model = `cli-fault-${++modelCounter}`;
  const long = join(dir, 'long.ts');
  writeFileSync(long, sourceWithLoops(4000, [3]));
  const finding = {
    title: 'Loop reads past the end',
    severity: 'error',
    category: 'bug',
    startLine: 3,
    endLine: 3,
    quote: 'for (let i = 0; i <= xs.length; i++) {',
    explanation: 'i reaches xs.length, one past the last element.',
  };
  // Every answer streams for over half a second (nine events 60 ms apart): all 17 parts would take twice the deadline.
  const slowAnswer = () =>
    deepseekStream({ reasoning: 'Reading this part slowly.', answer: answerWith([finding]), model, pieces: 3, delayMs: 60 });
  server.script(model, Array.from({ length: 60 }, slowAnswer));
  const result = await review(model, long, '--deadline', '4', '--format', 'json');
  const sent = server.requests.filter((r) => r.model === model).length;

  assert.equal(result.code, 1, result.stderr);
  const [, done, count] = (/deadline of 4 s after (\d+) of (\d+) parts/.exec(result.stderr) ?? []).map(Number);
  assert.ok(count !== undefined && done !== undefined, `the message says how far the run got: ${result.stderr}`);
  assert.ok(count >= 12, `the file was split into many parts (${count})`);
  assert.ok(done >= 1 && done < count, `${done} of ${count} parts`);
  // No part started after the deadline: the parts that finished, and at most the one in flight when it fired.
  assert.ok(sent === done || sent === done + 1, `${sent} requests for ${done} finished parts`);
  const run = JSON.parse(result.stdout).runs[0];
  assert.match(run.reasoning, /Reading this part slowly/, 'the reasoning so far is kept');
  assert.deepEqual(
    run.findings.map((f: { startLine: number }) => f.startLine),
    [3],
    'the finding of the first part is kept',
  );
});

test('class 4: --deadline covers every sample and the wait for a concurrency slot', async () => {
  const model = `cli-fault-${++modelCounter}`;
  // Each sample's answer streams for over a second; one slot, so the samples queue for it.
  const slow = () => deepseekStream({ reasoning: 'Sampling slowly.', answer: answerWith([]), model, delayMs: 150 });
  server.script(model, Array.from({ length: 6 }, slow));
  const result = await review(model, `${file}:1-7`, '--samples', '6', '--concurrency', '1', '--deadline', '3', '--format', 'json');
  const sent = server.requests.filter((r) => r.model === model).length;

  assert.equal(result.code, 1, result.stderr);
  const [, done] = (/deadline of 3 s after (\d+) of 6 samples/.exec(result.stderr) ?? []).map(Number);
  assert.ok(done !== undefined && done < 6, `the message says how many samples finished: ${result.stderr}`);
  assert.ok(sent === done || sent === done + 1, `${sent} requests for ${done} finished samples: none started after the deadline`);
  const run = JSON.parse(result.stdout).runs[0];
  const waited = run.sampleErrors.filter((e: { message: string }) => /waiting for a concurrency slot/.test(e.message));
  assert.equal(waited.length, 6 - sent, 'every sample that never got a slot says so');
});

test('class 2: --format text and --show-reasoning print no terminal control from the model', async () => {
  const model = scripted(
    `Thinking ${HOSTILE} more`,
    answerWith(
      [
        {
          title: `Bug ${HOSTILE}`,
          severity: 'error',
          category: 'bug',
          startLine: 3,
          endLine: 3,
          quote: 'for (let i = 0; i <= items.length; i++) {',
          explanation: `Because ${HOSTILE}`,
        },
      ],
      `Summary ${HOSTILE}`,
    ),
  );
  const result = await review(model, `${file}:1-7`, '--format', 'text', '--show-reasoning');
  assert.equal(result.code, 0, result.stderr);
  assert.ok(!TERMINAL_CONTROLS.test(result.stdout), `stdout carries a control: ${JSON.stringify(result.stdout.match(TERMINAL_CONTROLS))}`);
  assert.ok(!TERMINAL_CONTROLS.test(result.stderr), `stderr carries a control: ${JSON.stringify(result.stderr.match(TERMINAL_CONTROLS))}`);
  assert.match(result.stdout, /␛\[2J/, 'the attempt stays visible, inert');
  assert.match(result.stderr, /Thinking ␛/);
});

test('class 2: a server error message with escapes reaches stderr neutralized', async () => {
  const model = `cli-fault-${++modelCounter}`;
  server.script(model, [errorResponse(400, `bad request ${HOSTILE}`)]);
  const result = await review(model, `${file}:1-7`, '--format', 'text');
  assert.equal(result.code, 1);
  assert.ok(!TERMINAL_CONTROLS.test(result.stderr), JSON.stringify(result.stderr));
  assert.ok(!TERMINAL_CONTROLS.test(result.stdout), JSON.stringify(result.stdout));
});

test('class 6: "__proto__", "constructor" and "toString" as severity or category stay plain values in JSON, text and SARIF', async () => {
  const findings = [
    {
      title: 'A',
      severity: '__proto__',
      category: 'constructor',
      startLine: 3,
      endLine: 3,
      quote: 'for (let i = 0; i <= items.length; i++) {',
      explanation: 'x',
    },
    {
      title: 'B',
      severity: 'toString',
      category: '__proto__',
      startLine: 4,
      endLine: 4,
      quote: 'total += items[i].price;',
      explanation: 'y',
    },
    { title: 'C', severity: 'constructor', category: 'hasOwnProperty', startLine: 6, endLine: 6, quote: 'return total;', explanation: 'z' },
  ];
  const severities = new Set(['error', 'warning', 'info']);
  const categories = new Set(['bug', 'edge-case', 'performance', 'security', 'maintainability']);

  const json = await review(scripted('r', answerWith(findings)), `${file}:1-7`, '--format', 'json');
  assert.equal(json.code, 0, json.stderr);
  for (const f of JSON.parse(json.stdout).runs[0].findings) {
    assert.ok(severities.has(f.severity), `severity ${JSON.stringify(f.severity)}`);
    assert.ok(categories.has(f.category), `category ${JSON.stringify(f.category)}`);
  }
  const text = await review(scripted('r', answerWith(findings)), `${file}:1-7`, '--format', 'text');
  assert.doesNotMatch(text.stdout, /function|\[object|native code/);
  const sarif = await review(scripted('r', answerWith(findings)), `${file}:1-7`, '--format', 'sarif');
  for (const r of JSON.parse(sarif.stdout).runs[0].results)
    assert.ok(['error', 'warning', 'note'].includes(r.level), `level ${JSON.stringify(r.level)}`);
});

test('class 6: a file extension named like an Object method is plain text, not a crash', async () => {
  const odd = join(dir, 'weird.constructor');
  writeFileSync(odd, CART);
  const result = await review(scripted('r', answerWith([])), `${odd}:1-7`, '--format', 'json');
  assert.equal(result.code, 0, result.stderr);
  const prompt = JSON.stringify(server.requests.at(-1)!.body);
  assert.doesNotMatch(prompt, /native code|function Object/);
});

test('class 7: negative, non-numeric and past-the-end fix lines are refused, not moved onto other lines', async () => {
  const quote = 'for (let i = 0; i <= items.length; i++) {';
  const fixed = '  for (let i = 0; i < items.length; i++) {';
  const findings = [
    {
      title: 'neg',
      severity: 'error',
      category: 'bug',
      startLine: 3,
      endLine: 3,
      quote,
      explanation: 'x',
      fix: { startLine: -2, endLine: -2, replacement: fixed },
    },
    {
      title: 'nan',
      severity: 'error',
      category: 'bug',
      startLine: 3,
      endLine: 3,
      quote,
      explanation: 'x',
      fix: { startLine: 'three', endLine: 'three', replacement: fixed },
    },
    {
      title: 'eof',
      severity: 'error',
      category: 'bug',
      startLine: 3,
      endLine: 3,
      quote,
      explanation: 'x',
      fix: { startLine: 900, endLine: 901, replacement: fixed },
    },
  ];
  const result = await review(scripted('r', answerWith(findings)), `${file}:1-7`, '--format', 'json');
  assert.equal(result.code, 0, result.stderr);
  for (const f of JSON.parse(result.stdout).runs[0].findings) {
    assert.equal(f.fix, undefined, `${f.title}: a fix was offered at ${JSON.stringify(f.fix)}`);
    assert.ok(f.fixRefused, `${f.title}: refused with a reason`);
  }
});

test('class 7: a fix whose own lines run past the end of the file is refused, whatever its quote matches', async () => {
  // The file has 8 lines (the last one empty). The finding claims 8-100 and quotes the loop on line
  // 3; its fix names 7-12. Moved by the quote's offset those lines would land on 2-7, real lines
  // that the model never named: an edit of other code.
  const findings = [
    {
      title: 'past the end',
      severity: 'error',
      category: 'bug',
      startLine: 8,
      endLine: 100,
      quote: 'for (let i = 0; i <= items.length; i++) {',
      explanation: 'x',
      fix: { startLine: 7, endLine: 12, replacement: '  for (let i = 0; i < items.length; i++) {' },
    },
  ];
  const result = await review(scripted('r', answerWith(findings)), file, '--format', 'json');
  assert.equal(result.code, 0, result.stderr);
  const [finding] = JSON.parse(result.stdout).runs[0].findings;
  assert.equal(finding.startLine, 3, 'the finding itself still lands on its quote');
  assert.equal(finding.fix, undefined, `the fix was offered at ${JSON.stringify(finding.fix)}`);
  assert.match(finding.fixRefused ?? '', /names lines 7.12, but the file has 8 lines/);
});

test('class 7: a fix that deletes every reviewed line is marked destructive', async () => {
  const findings = [
    {
      title: 'wipe',
      severity: 'error',
      category: 'bug',
      startLine: 1,
      endLine: 7,
      quote: 'function cartTotal(items) {',
      explanation: 'x',
      fix: { startLine: 1, endLine: 7, replacement: '' },
    },
  ];
  const result = await review(scripted('r', answerWith(findings)), `${file}:1-7`, '--format', 'json');
  assert.equal(result.code, 0, result.stderr);
  const [finding] = JSON.parse(result.stdout).runs[0].findings;
  assert.match(finding.fix?.destructive ?? '', /deletes 7 of the 7 non-blank lines/);
});

test('class 9: a binary file and a file over the size limit are refused with the numbers, nothing is sent', async () => {
  const binary = join(dir, 'image.js');
  writeFileSync(binary, Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x00, 0x00, 0x1a, 0x0a, 0x00]));
  const huge = join(dir, 'huge.js');
  writeFileSync(huge, 'x = 1;\n'.repeat(3 * 1024 * 1024));
  const before = server.requests.length;
  const bin = await review('unused', binary);
  assert.equal(bin.code, 2);
  assert.match(bin.stderr, /binary file/);
  const big = await review('unused', huge);
  assert.equal(big.code, 2);
  assert.match(big.stderr, /21\.0 MiB, over the 1\.0 MiB/);
  assert.equal(server.requests.length, before, 'nothing reached the server');
});

test('class 9: a range of a file over the size limit is reviewed, since the limit is on what is sent', async () => {
  // 20 MiB of code; the person asks for lines 100-110 of it.
  const big = join(dir, 'big.ts');
  const line = (n: number) => `export const value${n} = ${n} * 2; // ${'padding '.repeat(4)}`;
  const count = Math.ceil((20 * 1024 * 1024) / line(500_000).length);
  writeFileSync(big, Array.from({ length: count }, (_, i) => line(i + 1)).join('\n'));
  const before = server.requests.length;
  const model = scripted('Looking at lines 100-110.', answerWith([]));
  const result = await review(model, `${big}:100-110`, '--format', 'json');
  assert.equal(result.code, 0, result.stderr);
  const sent = server.requests.slice(before);
  assert.equal(sent.length, 1);
  const prompt = (sent[0]!.body as { messages: { content: string }[] }).messages.map((m) => m.content).join('\n');
  assert.match(prompt, /100 \| export const value100 = 100 \* 2;/);
  assert.match(prompt, /110 \| export const value110 = 110 \* 2;/);
  assert.doesNotMatch(prompt, /value111 =/, 'lines outside the range were sent');
  assert.ok(prompt.length < 20_000, `the prompt is ${prompt.length} characters`);
  // A range that is itself over the limit is refused with its numbers, before anything is sent.
  const whole = await review('unused', `${big}:1-${count}`);
  assert.equal(whole.code, 2);
  assert.match(
    whole.stderr,
    new RegExp(`big\\.ts:1-${count} is 2\\d\\.\\d MiB, over the 1\\.0 MiB ThinkLens sends for review; review a smaller range`),
  );
  assert.equal(server.requests.length, before + 1, 'nothing more reached the server');
});

test('class 9: --timeout and --deadline past what a timer holds, or not numbers, are usage errors', async () => {
  for (const [flag, value, pattern] of [
    ['--timeout', '2147484', /--timeout must be at most 2147483/],
    ['--timeout', '99999999999999999999', /--timeout is too large/],
    ['--deadline', '0', /--deadline must be at least 1/],
    ['--deadline', '1e3', /--deadline must be a whole number/],
  ] as const) {
    const result = await review('unused', `${file}:1-7`, flag, value);
    assert.equal(result.code, 2, `${flag} ${value}: ${result.stderr}`);
    assert.match(result.stderr, pattern);
  }
});

test('class 11: SARIF declares %SRCROOT% in originalUriBaseIds and never carries a ../ URI', async () => {
  const inner = join(dir, 'project');
  mkdirSync(inner, { recursive: true });
  const findings = [
    {
      title: 'A',
      severity: 'error',
      category: 'bug',
      startLine: 3,
      endLine: 3,
      quote: 'for (let i = 0; i <= items.length; i++) {',
      explanation: 'x',
    },
  ];
  const result = await cli(
    [
      'review',
      '../cart.js:1-7',
      './../project/../cart.js:1-7',
      '--backend',
      'openai-compatible',
      '--base-url',
      server.baseUrl,
      '--model',
      scripted('r', answerWith(findings), 2),
      '--format',
      'sarif',
    ],
    { cwd: inner },
  );
  assert.equal(result.code, 0, result.stderr);
  const run = JSON.parse(result.stdout).runs[0];
  assert.ok(run.originalUriBaseIds?.['%SRCROOT%']?.uri?.startsWith('file://'), JSON.stringify(run.originalUriBaseIds));
  assert.ok(run.originalUriBaseIds['%SRCROOT%'].uri.endsWith('/'));
  const uris = JSON.stringify(run.results);
  assert.doesNotMatch(uris, /"uri":"(\.\.\/|[^"]*\/\.\.\/)/, uris);
  for (const r of run.results) {
    const location = r.locations[0].physicalLocation.artifactLocation;
    assert.equal(location.uri, `file://${join(dir, 'cart.js')}`);
  }
});
