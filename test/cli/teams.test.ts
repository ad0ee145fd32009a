// The CLI where teams use it, as a separate process against the replay server, counting requests:
// git scopes in a real repository made here (--diff, --staged), folders and globs with .gitignore
// and skipped files, the result cache, baselines, --fail-on exit codes, shards, the budget stop,
// pushback from a server at capacity, SARIF (schema-checked) and Code Quality output.

import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import addFormats from 'ajv-formats';
import Ajv from 'ajv-draft-04';
import sarifSchema from '@microsoft/jest-sarif/lib/schemas/sarif-2.1.0-rtm.5.json';
import { deepseekStream, startReplayServer, type ReplayServer } from '../support/replayServer';
import { CLI_ENTRY as CLI, runCli } from '../support/cliProcess';

const LOOP = 'for (let i = 0; i <= items.length; i++) {';

/** A TypeScript file of `lines` lines whose line `loopAt` holds LOOP. */
function source(name: string, lines = 30, loopAt = 3): string {
  const out = Array.from({ length: lines }, (_, i) => `export const ${name}_${i + 1} = ${i + 1};`);
  out[loopAt - 1] = `  ${LOOP}`;
  return `${out.join('\n')}\n`;
}

interface ScriptedFinding {
  title: string;
  severity: 'error' | 'warning' | 'info';
  line: number;
  quote: string;
}

function answer(findings: ScriptedFinding[]): string {
  const body = findings.map((f) => ({
    title: f.title,
    severity: f.severity,
    category: 'bug',
    startLine: f.line,
    endLine: f.line,
    quote: f.quote,
    explanation: `${f.title}.`,
  }));
  return `Review.\n\n\`\`\`json\n${JSON.stringify({ summary: 'Reviewed.', findings: body })}\n\`\`\`\n`;
}

const OFF_BY_ONE: ScriptedFinding = { title: 'Off-by-one in loop bound', severity: 'error', line: 3, quote: LOOP };
const respond = (model: string, findings: ScriptedFinding[] = [], delayMs = 0) =>
  deepseekStream({ model, reasoning: 'Looking at the loop.', answer: answer(findings), delayMs });

let server: ReplayServer;
let dir: string;

before(async () => {
  server = await startReplayServer();
  dir = mkdtempSync(join(tmpdir(), 'thinklens-teams-'));
});
after(async () => {
  await server.close();
  rmSync(dir, { recursive: true, force: true });
});

const cli = (cwd: string, args: string[], env: NodeJS.ProcessEnv = {}, entry?: string) =>
  runCli(args, { cwd, entry, killAfterMs: 60_000, env: { THINKLENS_CACHE_DIR: join(dir, 'cache'), ...env } });

/** Runs the CLI against the replay server with `model`; returns the result and the requests it made. */
async function review(cwd: string, model: string, args: string[], env: NodeJS.ProcessEnv = {}) {
  const before = server.requests.length;
  const result = await cli(cwd, ['review', ...args, '--base-url', server.baseUrl, '--model', model], env);
  return { ...result, requests: server.requests.slice(before).filter((r) => r.model === model) };
}

const promptOf = (request: { body: unknown }) => (request.body as { messages: { content: string }[] }).messages[0]!.content;
const filesOf = (stdout: string) => (JSON.parse(stdout).runs as { file: string }[]).map((r) => r.file).sort();

function makeRepo(name: string): { root: string; git: (...args: string[]) => string } {
  const root = join(dir, name);
  mkdirSync(root, { recursive: true });
  const git = (...args: string[]) =>
    execFileSync(
      'git',
      ['-c', 'user.name=Test', '-c', 'user.email=test@example.com', '-c', 'init.defaultBranch=main', '-c', 'commit.gpgsign=false', ...args],
      {
        cwd: root,
        encoding: 'utf8',
      },
    );
  git('init', '-q');
  return { root, git };
}

const write = (root: string, path: string, text: string | Buffer) => {
  mkdirSync(join(root, path, '..'), { recursive: true });
  writeFileSync(join(root, path), text);
};

describe('git scopes', () => {
  let repo: ReturnType<typeof makeRepo>;
  before(() => {
    repo = makeRepo('scopes');
    write(repo.root, 'src/a.ts', source('a'));
    write(repo.root, 'src/b.ts', source('b'));
    write(repo.root, 'src/same.ts', source('same'));
    repo.git('add', '.');
    repo.git('commit', '-qm', 'base');
    repo.git('checkout', '-qb', 'feature');
    // Committed on the branch: line 20 of a.ts.
    const a = source('a').split('\n');
    a[19] = 'export const a_20 = compute(20);';
    write(repo.root, 'src/a.ts', a.join('\n'));
    write(repo.root, 'dist/bundle.min.js', `${'var x=1;'.repeat(400)}\n`);
    repo.git('add', '.');
    repo.git('commit', '-qm', 'feature');
    // In the working tree only: line 25 of b.ts; and a new, untracked file.
    const b = source('b').split('\n');
    b[24] = 'export const b_25 = unstaged(25);';
    write(repo.root, 'src/b.ts', b.join('\n'));
    write(repo.root, 'src/new.ts', source('fresh', 5));
  });

  test('--diff main: committed, working-tree and untracked changes; the hunks are the editable lines; generated files skipped and said', async () => {
    const result = await review(repo.root, 'diff-scope', ['--diff', 'main', '--format', 'json']);
    assert.equal(result.code, 0, result.stderr);
    assert.deepEqual(filesOf(result.stdout), ['src/a.ts', 'src/b.ts', 'src/new.ts']);
    assert.equal(result.requests.length, 3);
    const prompts = Object.fromEntries(result.requests.map((r) => [/src\/\w+\.ts/.exec(promptOf(r))![0], promptOf(r)]));
    assert.match(prompts['src/a.ts']!, /20\s*\|\s*export const a_20 = compute\(20\);/);
    assert.doesNotMatch(prompts['src/a.ts']!, /\b10\s*\|\s*export const a_10/, 'a line far from the hunk was sent as code under review');
    assert.match(prompts['src/a.ts']!, /Review only the changed code/);
    assert.match(prompts['src/b.ts']!, /25\s*\|\s*export const b_25 = unstaged\(25\);/);
    assert.match(prompts['src/new.ts']!, /1\s*\|\s*export const fresh_1 = 1;/);
    assert.match(result.stderr, /skipped 1 file: dist\/bundle\.min\.js \(generated: file name\)/);
    assert.deepEqual(JSON.parse(result.stdout).skipped, [{ path: 'dist/bundle.min.js', reason: 'generated', detail: 'file name' }]);
  });

  test('--diff keeps findings on the changed lines (or errors anywhere)', async () => {
    server.script('diff-near', [
      respond('diff-near', [
        { title: 'Near the change', severity: 'warning', line: 20, quote: 'export const a_20 = compute(20);' },
        { title: 'Far warning', severity: 'warning', line: 8, quote: 'export const a_8 = 8;' },
        { title: 'Far error', severity: 'error', line: 3, quote: LOOP },
      ]),
    ]);
    const result = await review(repo.root, 'diff-near', ['--diff', 'main', 'src/a.ts', '--format', 'json']);
    assert.equal(result.code, 0, result.stderr);
    const [run] = JSON.parse(result.stdout).runs;
    assert.deepEqual(run.findings.map((f: { title: string }) => f.title).sort(), ['Far error', 'Near the change']);
  });

  test('--staged reviews the staged text and its hunks, not the working tree', async () => {
    const staged = makeRepo('staged');
    write(staged.root, 'm.ts', source('m'));
    write(staged.root, 'other.ts', source('o'));
    staged.git('add', '.');
    staged.git('commit', '-qm', 'base');
    const lines = source('m').split('\n');
    lines[9] = 'export const m_10 = staged(10);';
    write(staged.root, 'm.ts', lines.join('\n'));
    staged.git('add', 'm.ts');
    lines[9] = 'export const m_10 = workingTree(10);';
    write(staged.root, 'm.ts', lines.join('\n'));
    write(staged.root, 'other.ts', source('o').replace('o_20 = 20', 'o_20 = unstaged'));
    const result = await review(staged.root, 'staged-scope', ['--staged', '--format', 'json']);
    assert.equal(result.code, 0, result.stderr);
    assert.deepEqual(filesOf(result.stdout), ['m.ts']);
    assert.equal(result.requests.length, 1);
    const prompt = promptOf(result.requests[0]!);
    assert.match(prompt, /10\s*\|\s*export const m_10 = staged\(10\);/);
    assert.doesNotMatch(prompt, /workingTree/);
    assert.doesNotMatch(prompt, /\b25\s*\|/, 'a line far from the staged hunk was sent');
  });

  test('--diff with a ref git does not have: exit 2 saying to fetch it', async () => {
    const result = await review(repo.root, 'no-ref', ['--diff', 'origin/nowhere']);
    assert.equal(result.code, 2);
    assert.match(result.stderr, /git does not know "origin\/nowhere".*fetch/);
    assert.equal(result.requests.length, 0);
  });
});

describe('folders and globs', () => {
  let root: string;
  before(() => {
    ({ root } = makeRepo('walk'));
    write(root, '.gitignore', 'ignored/\n*.log\n');
    write(root, 'src/one.ts', source('one', 8));
    write(root, 'src/deep/two.ts', source('two', 8));
    write(root, 'src/deep/.gitignore', 'local-only.ts\n');
    write(root, 'src/deep/local-only.ts', source('local', 8));
    write(root, 'src/gen.ts', `// Code generated by protoc. DO NOT EDIT.\n${source('gen', 8)}`);
    write(root, 'src/logo.png', Buffer.from([0x89, 0x50, 0x4e, 0x47, 0, 0, 0, 0x0d]));
    write(root, 'src/notes.log', 'log\n');
    write(root, 'ignored/three.ts', source('three', 8));
    write(root, 'node_modules/dep/index.js', 'module.exports = 1;\n');
    write(root, 'vendor/lib.go', 'package lib\n');
    write(root, 'pkg/four.js', 'export const four = 4;\n');
  });

  test('a folder: .gitignore (nested too) honoured; binary, generated and vendored files skipped with reasons', async () => {
    const result = await review(root, 'walk-dir', ['.', '--format', 'json']);
    assert.equal(result.code, 0, result.stderr);
    assert.deepEqual(filesOf(result.stdout), ['pkg/four.js', 'src/deep/two.ts', 'src/one.ts']);
    const skipped = JSON.parse(result.stdout).skipped as { path: string; reason: string }[];
    assert.deepEqual(skipped.map((s) => `${s.path}:${s.reason}`).sort(), [
      'node_modules/dep/index.js:vendored',
      'src/gen.ts:generated',
      'src/logo.png:binary',
      'vendor/lib.go:vendored',
    ]);
    assert.match(result.stderr, /^thinklens: skipped 4 files: .*src\/logo\.png \(binary: NUL byte\)/m);
  });

  test('a quoted glob is expanded by the CLI', async () => {
    const result = await review(root, 'walk-glob', ['src/**/*.ts', '--format', 'json']);
    assert.equal(result.code, 0, result.stderr);
    assert.deepEqual(filesOf(result.stdout), ['src/deep/two.ts', 'src/one.ts']);
    assert.equal(result.requests.length, 2);
    const brace = await review(root, 'walk-brace', ['{src,pkg}/*.{ts,js}', '--format', 'json']);
    assert.deepEqual(filesOf(brace.stdout), ['pkg/four.js', 'src/one.ts']);
  });

  test('shards split the files deterministically: every file exactly once across 3 jobs', async () => {
    const seen: string[] = [];
    let requests = 0;
    for (const shard of ['1/3', '2/3', '3/3']) {
      const result = await review(root, 'shards', ['.', '--shard', shard, '--format', 'json', '--no-cache']);
      assert.equal(result.code, 0, result.stderr);
      seen.push(...filesOf(result.stdout));
      requests += result.requests.length;
      const again = await review(root, 'shards', ['.', '--shard', shard, '--format', 'json', '--no-cache']);
      assert.deepEqual(filesOf(again.stdout), filesOf(result.stdout), `shard ${shard} changed between runs`);
    }
    assert.deepEqual(seen.sort(), ['pkg/four.js', 'src/deep/two.ts', 'src/one.ts']);
    assert.equal(requests, 3);
  });
});

describe('the CI gate', () => {
  let root: string;
  before(() => {
    ({ root } = makeRepo('gate'));
    for (const name of ['a', 'b', 'c', 'd', 'e']) write(root, `${name}.ts`, source(name, 12));
  });

  test('the cache: a rerun makes no request and says cached; a changed file is asked again; --no-cache asks everything', async () => {
    const first = await review(root, 'cache', ['.', '--format', 'json']);
    assert.equal(first.code, 0, first.stderr);
    assert.equal(first.requests.length, 5);
    assert.ok(JSON.parse(first.stdout).runs.every((r: { cached: boolean }) => r.cached === false));
    const rerun = await review(root, 'cache', ['.', '--format', 'json']);
    assert.equal(rerun.requests.length, 0, 'the rerun reached the server');
    const runs = JSON.parse(rerun.stdout).runs;
    assert.ok(runs.every((r: { cached: boolean }) => r.cached === true));
    assert.deepEqual(
      runs.map((r: { reasoning: string; answer: string }) => [r.reasoning, r.answer]),
      JSON.parse(first.stdout).runs.map((r: { reasoning: string; answer: string }) => [r.reasoning, r.answer]),
    );
    write(root, 'c.ts', source('c', 12).replace('c_7 = 7', 'c_7 = 70'));
    const edited = await review(root, 'cache', ['.', '--format', 'json']);
    assert.equal(edited.requests.length, 1);
    assert.match(promptOf(edited.requests[0]!), /c_7 = 70/);
    const uncached = await review(root, 'cache', ['.', '--format', 'json', '--no-cache']);
    assert.equal(uncached.requests.length, 5);
    const elsewhere = await review(root, 'cache', ['.', '--format', 'json', '--cache-dir', join(dir, 'other-cache')]);
    assert.equal(elsewhere.requests.length, 5, '--cache-dir did not start from an empty cache');
  });

  test("the cache: another engine build never serves this build's stored results (it may split or parse differently)", async () => {
    const first = await review(root, 'cache-build', ['a.ts', '--format', 'json']);
    assert.equal(first.requests.length, 1, first.stderr);
    assert.equal((await review(root, 'cache-build', ['a.ts', '--format', 'json'])).requests.length, 0, 'the same build reuses its result');
    const bundle = readFileSync(CLI, 'utf8');
    const build = /ENGINE_BUILD = true \? "([0-9a-f]+)"/.exec(bundle)?.[1];
    assert.ok(build, 'the bundle carries its engine build id');
    const other = join(dirname(CLI), 'cli-other-build.js');
    writeFileSync(other, bundle.replaceAll(build, 'f'.repeat(build.length)));
    try {
      const before = server.requests.length;
      const result = await cli(
        root,
        ['review', 'a.ts', '--format', 'json', '--base-url', server.baseUrl, '--model', 'cache-build'],
        {},
        other,
      );
      assert.equal(result.code, 0, result.stderr);
      assert.equal(
        server.requests.slice(before).filter((r) => r.model === 'cache-build').length,
        1,
        'another build reused a stored result',
      );
    } finally {
      rmSync(other, { force: true });
    }
  });

  test('--fail-on: exit 3 at or above the threshold, 0 below it, 1 when a run failed', async () => {
    const warning: ScriptedFinding = { ...OFF_BY_ONE, severity: 'warning' };
    const cases: [string, ScriptedFinding[], number][] = [
      ['error', [warning], 0],
      ['warning', [warning], 3],
      ['info', [warning], 3],
      ['error', [OFF_BY_ONE], 3],
      ['error', [], 0],
    ];
    for (const [threshold, findings, code] of cases) {
      const model = `fail-on-${threshold}-${findings.map((f) => f.severity).join('')}`;
      server.script(model, [respond(model, findings)]);
      const result = await review(root, model, ['a.ts', '--fail-on', threshold, '--no-cache']);
      assert.equal(
        result.code,
        code,
        `--fail-on ${threshold} with ${findings.map((f) => f.severity).join(',') || 'no findings'}: ${result.stderr}`,
      );
      if (code === 3) assert.match(result.stderr, new RegExp(`at or above ${threshold}`));
    }
    server.script('fail-on-broken', [
      { status: 500, body: '{"error":{"message":"boom"}}' },
      { status: 500, body: '{"error":{"message":"boom"}}' },
      { status: 500, body: '{"error":{"message":"boom"}}' },
    ]);
    const broken = await review(root, 'fail-on-broken', ['a.ts', '--fail-on', 'error', '--no-cache']);
    assert.equal(broken.code, 1, broken.stderr);
    const bad = await review(root, 'fail-on-bad', ['a.ts', '--fail-on', 'fatal']);
    assert.equal(bad.code, 2);
  });

  test('class 16: --fail-on: a failed file gives exit 1 even when another file has a finding at or above the threshold', async () => {
    const boom = { status: 500, body: '{"error":{"message":"boom"}}' };
    // a.ts is reviewed first (one at a time) and has the finding; b.ts fails on every try.
    server.script('fail-on-mixed', [respond('fail-on-mixed', [OFF_BY_ONE]), boom, boom, boom, boom]);
    const mixed = await review(root, 'fail-on-mixed', ['a.ts', 'b.ts', '--fail-on', 'error', '--concurrency', '1', '--no-cache']);
    assert.match(mixed.stderr, /1 new finding\(s\) at or above error/, 'the gate still says what it found');
    assert.match(mixed.stderr, /b\.ts: /, 'the failed file is named');
    assert.equal(mixed.code, 1, 'exit 3 would tell CI that every file was reviewed');
  });

  test('--baseline: known findings are "unchanged" (even after lines moved), left out of the text and of --fail-on; others "new"', async () => {
    server.script('baseline', [respond('baseline', [OFF_BY_ONE])]);
    const first = await review(root, 'baseline', ['a.ts', '--format', 'sarif', '--no-cache']);
    assert.equal(first.code, 0, first.stderr);
    const baselineFile = join(dir, 'baseline.sarif');
    writeFileSync(baselineFile, first.stdout);

    // Two lines inserted above: the old finding moves to line 5; a new warning appears.
    write(root, 'a.ts', `// header\n// more\n${source('a', 12)}`);
    const findings = [
      { ...OFF_BY_ONE, line: 5 },
      { title: 'New problem', severity: 'warning' as const, line: 9, quote: 'export const a_7 = 7;' },
    ];
    server.script('baseline', [respond('baseline', findings), respond('baseline', findings), respond('baseline', findings)]);
    const sarifRun = await review(root, 'baseline', ['a.ts', '--format', 'sarif', '--baseline', baselineFile, '--no-cache']);
    assert.equal(sarifRun.code, 0, sarifRun.stderr);
    const results = JSON.parse(sarifRun.stdout).runs[0].results as {
      message: { text: string };
      baselineState: string;
      locations: { physicalLocation: { region: { startLine: number } } }[];
    }[];
    const states = Object.fromEntries(results.map((r) => [r.message.text.split(':')[0], r.baselineState]));
    assert.deepEqual(states, { 'Off-by-one in loop bound': 'unchanged', 'New problem': 'new' });
    assert.equal(results.find((r) => r.baselineState === 'unchanged')!.locations[0]!.physicalLocation.region.startLine, 5);

    const gated = await review(root, 'baseline', ['a.ts', '--baseline', baselineFile, '--fail-on', 'error', '--no-cache']);
    assert.equal(gated.code, 0, `the known error still failed the gate: ${gated.stderr}`);
    assert.doesNotMatch(gated.stdout, /Off-by-one/);
    assert.match(gated.stdout, /New problem/);
    assert.match(gated.stdout, /1 finding already in the baseline, not shown/);
    const warned = await review(root, 'baseline', ['a.ts', '--baseline', baselineFile, '--fail-on', 'warning', '--no-cache']);
    assert.equal(warned.code, 3);

    const missing = await review(root, 'baseline', ['a.ts', '--baseline', join(dir, 'nope.sarif')]);
    assert.equal(missing.code, 2);
    assert.match(missing.stderr, /no such baseline file/);
    write(root, 'a.ts', source('a', 12));
  });

  test('--max-cost: stops starting requests once the estimate would pass the budget, says so, exit 1', async () => {
    // 1 USD per 1M prompt tokens and 100 per 1M completion: each replayed run (812 + 2310 tokens) costs about $0.2318.
    const env = { THINKLENS_PRICING: JSON.stringify({ 'openai-compatible/budget': { inputCacheHit: 0, inputCacheMiss: 1, output: 100 } }) };
    const usage = { prompt: 812, completion: 2310, reasoning: 1984 };
    server.script(
      'budget',
      Array.from({ length: 5 }, () => deepseekStream({ model: 'budget', reasoning: 'r', answer: answer([]), usage })),
    );
    const result = await review(root, 'budget', ['.', '--max-cost', '0.95', '--concurrency', '1', '--format', 'json', '--no-cache'], env);
    assert.equal(result.code, 1, result.stderr);
    assert.equal(result.requests.length, 4, 'four runs fit in $0.95, the fifth would not');
    const output = JSON.parse(result.stdout);
    assert.equal(output.runs.length, 4);
    assert.deepEqual(output.notReviewed, ['e.ts']);
    assert.ok(Math.abs(output.budget.spentUsd - 4 * 0.231812) < 1e-6, String(output.budget.spentUsd));
    assert.match(result.stderr, /--max-cost \$0\.95: stopped before 1 of 5 files/);

    const unpriced = await review(root, 'no-price', ['.', '--max-cost', '1']);
    assert.equal(unpriced.code, 2);
    assert.match(unpriced.stderr, /THINKLENS_PRICING/);
    assert.equal(unpriced.requests.length, 0);
  });

  test('class 16: --max-cost counts every sample of a file at its own price: three samples at concurrency 2 never pass the budget', async () => {
    // Each sample costs about $0.2318 (see above); three samples of a file about $0.6954.
    const env = {
      THINKLENS_PRICING: JSON.stringify({ 'openai-compatible/budget-samples': { inputCacheHit: 0, inputCacheMiss: 1, output: 100 } }),
    };
    const usage = { prompt: 812, completion: 2310, reasoning: 1984 };
    server.script(
      'budget-samples',
      Array.from({ length: 10 }, () => deepseekStream({ model: 'budget-samples', reasoning: 'r', answer: answer([]), usage })),
    );
    const args = ['a.ts', 'b.ts', 'c.ts', '--samples', '3', '--concurrency', '2', '--max-cost', '0.5', '--format', 'json', '--no-cache'];
    const result = await review(root, 'budget-samples', args, env);
    assert.equal(result.code, 1, result.stderr);
    const output = JSON.parse(result.stdout);
    assert.ok(output.budget.spentUsd <= 0.5, `spent $${output.budget.spentUsd} of a $0.50 budget over ${result.requests.length} requests`);
    assert.ok(output.notReviewed.length > 0, 'the budget stopped the review');
  });

  test('a server at capacity: 429s lower the concurrency, Retry-After is honoured, every file is reviewed once', async () => {
    const busy = await startReplayServer({ maxInFlight: 2, busyRetryAfterSeconds: 1, defaultResponse: respond('busy', [], 40) });
    try {
      const started = Date.now();
      const result = await cli(root, [
        'review',
        '.',
        '--base-url',
        busy.baseUrl,
        '--model',
        'busy',
        '--concurrency',
        '5',
        '--format',
        'json',
        '--no-cache',
      ]);
      assert.equal(result.code, 0, result.stderr);
      assert.equal(JSON.parse(result.stdout).runs.length, 5);
      assert.ok(busy.load.turnedAway > 0, 'the server never pushed back; the test proves nothing');
      assert.equal(busy.requests.filter((r) => !r.busy).length, 5, 'a file was reviewed twice or not at all');
      assert.ok(busy.load.peakInFlight <= 2);
      assert.ok(Date.now() - started >= 1000, 'the Retry-After of 1 s was not waited for');
      const turnedAway = busy.requests.filter((r) => r.busy);
      const retryAfterFirstRefusal = busy.requests.filter((r) => !r.busy && r.receivedAt > turnedAway[0]!.receivedAt);
      assert.ok(
        retryAfterFirstRefusal.every((r) => r.receivedAt - turnedAway[0]!.receivedAt >= 950),
        'a request started before the Retry-After had passed',
      );
      assert.equal(result.stderr, '', 'stderr is not a terminal, so no progress should be written');
    } finally {
      await busy.close();
    }
  });
});

describe('formats', () => {
  let root: string;
  before(() => {
    ({ root } = makeRepo('formats'));
    write(root, 'src/cart.ts', source('cart', 10));
  });

  test('SARIF: schema-valid, SRCROOT-relative URIs, fingerprints, automation details, version, rules with help', async () => {
    server.script('sarif-full', [respond('sarif-full', [OFF_BY_ONE])]);
    const result = await review(join(root, 'src'), 'sarif-full', ['cart.ts', '--format', 'sarif', '--no-cache', '--shard', '1/1']);
    assert.equal(result.code, 0, result.stderr);
    const sarif = JSON.parse(result.stdout);
    const ajv = new Ajv({ strict: false, unicodeRegExp: false });
    addFormats(ajv);
    const validate = ajv.compile(sarifSchema);
    const valid: boolean = validate(sarif);
    assert.ok(valid, JSON.stringify(validate.errors, null, 1));
    const run = sarif.runs[0];
    assert.match(run.originalUriBaseIds['%SRCROOT%'].uri, /^file:\/\/.*\/formats\/$/);
    const location = run.results[0].locations[0].physicalLocation.artifactLocation;
    assert.deepEqual(location, { uri: 'src/cart.ts', uriBaseId: '%SRCROOT%' });
    assert.match(run.results[0].partialFingerprints['thinklens/v1'], /^[0-9a-f]{32}$/);
    assert.equal(run.automationDetails.id, 'thinklens/review/shard-1-of-1/');
    assert.match(run.tool.driver.version, /^\d+\.\d+\.\d+/);
    const rule = run.tool.driver.rules[run.results[0].ruleIndex];
    assert.equal(rule.id, 'thinklens/bug');
    assert.ok(rule.help.text.length > 40 && rule.help.markdown.length > 40);
    assert.equal(run.tool.driver.rules.length, 5);
  });

  test('--format codequality: GitLab Code Quality issues with path, lines, severity and a per-file fingerprint', async () => {
    server.script('cq', [respond('cq', [OFF_BY_ONE])]);
    const result = await review(root, 'cq', ['src', '--format', 'codequality', '--no-cache']);
    assert.equal(result.code, 0, result.stderr);
    const issues = JSON.parse(result.stdout);
    assert.equal(issues.length, 1);
    const [issue] = issues;
    assert.equal(issue.type, 'issue');
    assert.equal(issue.check_name, 'thinklens/bug');
    assert.equal(issue.severity, 'critical');
    assert.deepEqual(issue.location, { path: 'src/cart.ts', lines: { begin: 3, end: 3 } });
    assert.match(issue.fingerprint, /^[0-9a-f]{32}$/);
    assert.equal(typeof issue.description, 'string');
  });
});
