// The built CLI as a separate process against the replay server: JSON and SARIF output, streamed
// reasoning, every fault as one line on stderr with exit 1, bad arguments with exit 2.

import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import addFormats from 'ajv-formats';
import Ajv from 'ajv-draft-04';
import sarifSchema from '@microsoft/jest-sarif/lib/schemas/sarif-2.1.0-rtm.5.json';
import {
  deepseekStream,
  errorResponse,
  htmlPage,
  inlineThinkStream,
  openrouterStream,
  rateLimited,
  startReplayServer,
  type ReplayServer,
} from '../support/replayServer';
import { runCli } from '../support/cliProcess';

const CART = [
  'export function cartTotal(items: { price: number; qty: number }[]): number {',
  '  let total = 0;',
  '  for (let i = 0; i <= items.length; i++) {',
  '    total += items[i].price * items[i].qty;',
  '  }',
  '  return total;',
  '}',
  '',
].join('\n');

const ANSWER = [
  'The loop reads one element past the end of `items`.',
  '',
  '```json',
  JSON.stringify(
    {
      summary: 'Off-by-one: the loop runs while i <= items.length.',
      findings: [
        {
          title: 'Off-by-one in loop bound',
          severity: 'error',
          category: 'bug',
          startLine: 5, // wrong on purpose: the quote is on line 3
          endLine: 5,
          quote: 'for (let i = 0; i <= items.length; i++) {',
          explanation: 'On the last pass `items[i]` is undefined and `.price` throws.',
          fix: { startLine: 5, endLine: 5, replacement: '  for (let i = 0; i < items.length; i++) {' },
        },
      ],
    },
    null,
    1,
  ),
  '```',
].join('\n');
const REASONING = 'Okay, the loop bound uses <= so i reaches items.length. Let me check the </thin edge: yes.';

let server: ReplayServer;
let dir: string;
let file: string;

before(async () => {
  server = await startReplayServer();
  dir = mkdtempSync(join(tmpdir(), 'thinklens-cli-'));
  file = join(dir, 'cart.ts');
  writeFileSync(file, CART);
});
after(async () => {
  await server.close();
  rmSync(dir, { recursive: true, force: true });
});

// The result cache goes to this test's folder, never the user's.
const cli = (args: string[], env: NodeJS.ProcessEnv = {}) => runCli(args, { env: { THINKLENS_CACHE_DIR: join(dir, 'cache'), ...env } });

const review = (model: string, ...extra: string[]) =>
  cli(['review', `${file}:1-7`, '--backend', 'openai-compatible', '--base-url', server.baseUrl, '--model', model, ...extra]);

test('json: reasoning and answer split exactly, the finding lands on the quoted line with its fix', async () => {
  server.script('json-ok', [deepseekStream({ reasoning: REASONING, answer: ANSWER, model: 'json-ok', chunking: { bytes: 5 }, pieces: 9 })]);
  const result = await review('json-ok', '--format', 'json');
  assert.equal(result.code, 0, result.stderr);
  const output = JSON.parse(result.stdout);
  assert.equal(output.runs.length, 1);
  const run = output.runs[0];
  assert.equal(run.file, `${file}`);
  assert.equal(run.reasoning, REASONING);
  assert.equal(run.answer, ANSWER);
  assert.equal(run.findings.length, 1);
  const [finding] = run.findings;
  assert.equal(finding.startLine, 3);
  assert.equal(finding.endLine, 3);
  assert.equal(finding.locationUncertain, false);
  assert.deepEqual(finding.fix, { startLine: 3, endLine: 3, replacement: '  for (let i = 0; i < items.length; i++) {' });
  assert.equal(run.usage.promptTokens, 812);
  assert.equal(run.usage.reasoningTokens, 1984);
});

test('inline <think> without the opening tag, cut at odd places, splits the same', async () => {
  server.script('inline', [
    inlineThinkStream({ reasoning: REASONING, answer: ANSWER, openTag: false, model: 'inline', chunking: { bytes: 3 }, pieces: 11 }),
  ]);
  const result = await review('inline', '--format', 'json');
  assert.equal(result.code, 0, result.stderr);
  const run = JSON.parse(result.stdout).runs[0];
  assert.equal(run.reasoning, REASONING);
  assert.equal(run.answer, ANSWER);
  assert.equal(run.findings[0].startLine, 3);
});

test('sarif: valid SARIF 2.1.0 with a physical location and a fix', async () => {
  server.script('sarif', [openrouterStream({ reasoning: REASONING, answer: ANSWER, model: 'sarif' })]);
  const result = await review('sarif', '--format', 'sarif');
  assert.equal(result.code, 0, result.stderr);
  const sarif = JSON.parse(result.stdout);
  const ajv = new Ajv({ strict: false, unicodeRegExp: false });
  addFormats(ajv);
  const validate = ajv.compile(sarifSchema);
  const valid: boolean = validate(sarif); // a plain boolean: the type guard would narrow `sarif` to {}
  assert.ok(valid, JSON.stringify(validate.errors, null, 1));
  const [res] = sarif.runs[0].results;
  assert.equal(res.level, 'error');
  assert.equal(res.ruleId, 'thinklens/bug');
  const location = res.locations[0].physicalLocation;
  assert.equal(location.region.startLine, 3);
  assert.match(location.artifactLocation.uri, /^file:\/\/.*cart\.ts$/);
  const replacement = res.fixes[0].artifactChanges[0].replacements[0];
  assert.deepEqual(replacement.deletedRegion, { startLine: 3, startColumn: 1, endLine: 3, endColumn: CART.split('\n')[2]!.length + 1 });
  assert.equal(replacement.insertedContent.text, '  for (let i = 0; i < items.length; i++) {');
});

test('--show-reasoning streams the reasoning to stderr; text output lists the finding', async () => {
  server.script('text', [deepseekStream({ reasoning: REASONING, answer: ANSWER, model: 'text' })]);
  const result = await review('text', '--show-reasoning');
  assert.equal(result.code, 0, result.stderr);
  assert.ok(result.stderr.includes(REASONING), result.stderr);
  assert.match(result.stdout, /cart\.ts:3: error \[bug\] Off-by-one in loop bound/);
  assert.ok(!result.stdout.includes(REASONING), 'reasoning went to stderr, not stdout');
});

test('several files with --concurrency: one run each, in argument order', async () => {
  const second = join(dir, 'second.ts');
  writeFileSync(second, CART);
  server.script('many', [
    deepseekStream({ reasoning: 'first', answer: ANSWER, model: 'many', delayMs: 20 }),
    deepseekStream({ reasoning: 'second', answer: ANSWER, model: 'many' }),
  ]);
  const result = await cli([
    'review',
    file,
    second,
    '--base-url',
    server.baseUrl,
    '--model',
    'many',
    '--concurrency',
    '2',
    '--format',
    'json',
  ]);
  assert.equal(result.code, 0, result.stderr);
  const runs = JSON.parse(result.stdout).runs;
  assert.deepEqual(
    runs.map((r: { file: string }) => r.file),
    [file, second],
  );
  assert.ok(runs.every((r: { findings: unknown[] }) => r.findings.length === 1));
});

const faults: [string, () => unknown, RegExp][] = [
  ['401 bad key', () => errorResponse(401, 'Authentication Fails, Your api key is invalid'), /key/i],
  ['402 balance', () => errorResponse(402, 'Insufficient Balance'), /balance/i],
  ['404 model', () => errorResponse(404, 'Model Not Exist'), /model/i],
  ['429 with an hours-long Retry-After (a quota)', () => rateLimited(3600), /rate|limit/i],
  ['503 server', () => errorResponse(503, 'Service Unavailable'), /server|unavailable|503/i],
  ['HTML page', () => htmlPage(200), /HTML/i],
];
for (const [name, response, message] of faults) {
  test(`fault: ${name} -> one line on stderr, exit 1`, async () => {
    const model = `fault-${name}`;
    // Enough of the same fault to outlast the retries.
    server.script(model, [response(), response(), response(), response()] as never);
    const result = await review(model, '--format', 'json');
    assert.equal(result.code, 1);
    const lines = result.stderr.trim().split('\n');
    assert.equal(lines.length, 1, result.stderr);
    assert.match(lines[0]!, /^thinklens: /);
    assert.match(lines[0]!, message);
    assert.equal(JSON.parse(result.stdout).runs[0].error.message.length > 0, true);
  });
}

for (const fault of ['cut', 'malformed', 'stall'] as const) {
  test(`fault: stream ${fault} mid-reasoning keeps the reasoning so far, exit 1, no hang`, async () => {
    const model = `mid-${fault}`;
    server.script(model, [deepseekStream({ reasoning: REASONING, answer: ANSWER, model, pieces: 6, fault, faultAfter: 3 })]);
    const result = await review(model, '--format', 'json', '--timeout', '1');
    assert.equal(result.code, 1, result.stdout);
    assert.equal(result.stderr.trim().split('\n').length, 1, result.stderr);
    const run = JSON.parse(result.stdout).runs[0];
    assert.ok(run.reasoning.length > 0 && REASONING.startsWith(run.reasoning), run.reasoning);
    assert.ok(result.ms < 15_000, `took ${result.ms} ms`);
  });
}

test('a .tex file is checked as a proof (referee prompt, finding on the flawed line); --kind code overrides the extension', async () => {
  const fixtures = join(__dirname, '..', 'fixtures', 'proofs');
  const raw = readFileSync(join(fixtures, 'odd-sum.r1.txt'), 'utf8');
  const [, reasoning, answer] = /^<think>\n([\s\S]*?)\n<\/think>\n\n([\s\S]*)$/.exec(raw)!;
  const tex = join(dir, 'odd-sum.tex');
  writeFileSync(tex, readFileSync(join(__dirname, '..', '..', 'samples', 'proofs', 'odd-sum.tex'), 'utf8'));
  const promptOf = (model: string): string => {
    const body = server.requests.find((r) => r.model === model)?.body as { messages: { content: string }[] };
    return body.messages.map((m) => m.content).join('\n');
  };
  server.script('proof', [deepseekStream({ reasoning, answer, model: 'proof' })]);
  const proof = await cli(['review', `${tex}:12-19`, '--base-url', server.baseUrl, '--model', 'proof', '--format', 'json']);
  assert.equal(proof.code, 0, proof.stderr);
  assert.match(promptOf('proof'), /Check the proof in this LaTeX document/);
  const [finding] = JSON.parse(proof.stdout).runs[0].findings;
  assert.equal(finding.startLine, 16);
  assert.equal(finding.fix.replacement, '  1 + 3 + \\dots + (2k-1) + (2k+1) = k^2 + 2k + 1 = (k+1)^2,');

  server.script('as-code', [deepseekStream({ reasoning, answer, model: 'as-code' })]);
  const code = await cli([
    'review',
    `${tex}:12-19`,
    '--kind',
    'code',
    '--base-url',
    server.baseUrl,
    '--model',
    'as-code',
    '--format',
    'json',
  ]);
  assert.equal(code.code, 0, code.stderr);
  assert.match(promptOf('as-code'), /Review this LaTeX code from/);
  assert.doesNotMatch(promptOf('as-code'), /Check the proof/);
});

test('unreachable server: network error naming the URL and what to do at a terminal, exit 1', async () => {
  const result = await cli(['review', file, '--base-url', 'http://127.0.0.1:9/v1', '--model', 'm', '--format', 'json']);
  assert.equal(result.code, 1);
  assert.match(result.stderr, /127\.0\.0\.1:9/);
  // Remedies worded for the CLI: its flags, never the editor's commands or settings.
  assert.match(result.stderr, /Start it, or pass --base-url with where it listens\./);
  assert.doesNotMatch(result.stderr, /thinklens\.[a-z]|ThinkLens:/);
  const report = JSON.parse(result.stdout) as { runs: { error?: { hint: string; detail?: string } }[] };
  assert.match(report.runs[0]!.error!.hint, /--base-url/);
  assert.match(report.runs[0]!.error!.detail ?? '', /fetch failed/, "the JSON report keeps the runtime's own words");
});

test('bad arguments exit 2 with the reason', async () => {
  for (const args of [
    ['review'],
    ['frobnicate', file],
    ['review', file, '--format', 'xml'],
    ['review', `${file}:9-3`],
    ['review', `${file}:1-99`],
    ['review', join(dir, 'missing.ts')],
    ['explain', file],
    ['review', file, '--concurrency', '0'],
    ['review', file, '--no-such-flag'],
    ['review', file, '--kind', 'poem'],
  ]) {
    const result = await cli(args);
    assert.equal(result.code, 2, `${args.join(' ')}: ${result.stderr}`);
    assert.match(result.stderr, /^thinklens: .+/);
  }
});

test('the API key is read from the environment and never printed', async () => {
  const key = 'sk-test-SECRET-0123456789';
  server.script('keyed', [errorResponse(401, `Incorrect API key provided: ${key}`)]);
  const result = await cli(['review', file, '--base-url', server.baseUrl, '--model', 'keyed', '--format', 'json'], {
    THINKLENS_API_KEY: key,
  });
  assert.equal(result.code, 1);
  const sent = server.requests.find((r) => r.model === 'keyed');
  assert.equal(sent?.headers.authorization, `Bearer ${key}`);
  assert.ok(!result.stdout.includes(key) && !result.stderr.includes(key), 'the key leaked into the output');
});
