// The built CLI against the replay server: what ties a finding to its reasoning and keeps its
// identity between runs (fingerprint, evidence, confidence, agreement across samples).

import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import { deepseekStream, startReplayServer, type ReplayServer } from '../support/replayServer';

const CLI = join(__dirname, '..', '..', 'dist', 'cli.js');

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

const LOOP = 'for (let i = 0; i <= items.length; i++) {';

function answerAt(line: number): string {
  return [
    'The loop reads one element past the end of `items`.',
    '',
    '```json',
    JSON.stringify({
      summary: 'Off-by-one.',
      findings: [
        {
          title: 'Off-by-one in loop bound',
          severity: 'error',
          category: 'bug',
          startLine: line,
          endLine: line,
          quote: LOOP,
          explanation: 'On the last pass `items[i]` is undefined and `.price` throws.',
        },
      ],
    }),
    '```',
  ].join('\n');
}

let server: ReplayServer;
let dir: string;

before(async () => {
  server = await startReplayServer();
  dir = mkdtempSync(join(tmpdir(), 'thinklens-provenance-'));
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

function cli(args: string[]): Promise<Result> {
  return new Promise((resolve, reject) => {
    // A fresh result cache per run: every run here must reach the server.
    const env = { PATH: process.env.PATH, THINKLENS_CACHE_DIR: mkdtempSync(join(dir, 'cache-')) };
    const child = spawn(process.execPath, [CLI, ...args], { env, stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d) => (stdout += d));
    child.stderr.on('data', (d) => (stderr += d));
    const killer = setTimeout(() => child.kill('SIGKILL'), 30_000);
    child.on('error', reject);
    child.on('close', (code) => {
      clearTimeout(killer);
      resolve({ code, stdout, stderr });
    });
  });
}

async function reviewJson(file: string, model: string, ...extra: string[]) {
  const result = await cli(['review', file, '--backend', 'openai-compatible', '--base-url', server.baseUrl, '--model', model, '--format', 'json', ...extra]);
  assert.equal(result.code, 0, result.stderr);
  return JSON.parse(result.stdout);
}

test('fingerprints stay identical when lines are inserted above the code between two runs', async () => {
  const file = join(dir, 'cart.ts');
  const reasoning = 'The loop uses <= so i reaches items.length and items[i] is undefined.';
  writeFileSync(file, CART);
  server.script('fp-1', [deepseekStream({ reasoning, answer: answerAt(3), model: 'fp-1' })]);
  const first = (await reviewJson(file, 'fp-1')).runs[0].findings[0];

  writeFileSync(file, `// Cart helpers.\n// Prices are in cents.\nimport { log } from './log';\n\n${CART}`);
  server.script('fp-2', [deepseekStream({ reasoning, answer: answerAt(7), model: 'fp-2' })]);
  const second = (await reviewJson(file, 'fp-2')).runs[0].findings[0];

  assert.equal(first.startLine, 3);
  assert.equal(second.startLine, 7, 'the finding moved down four lines');
  assert.match(first.fingerprint, /^[0-9a-f]{32}$/);
  assert.equal(second.fingerprint, first.fingerprint);
});
