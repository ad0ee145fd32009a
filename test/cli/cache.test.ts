// The CLI's result cache keyed on what decides the answer, as a separate process against a vLLM
// replay server that reports its window: a cached rerun sends nothing (no probe either), and still
// answers with the server stopped.

import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import { runCli } from '../support/cliProcess';
import { startLimitServer } from '../support/limitServers';

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
const FINDING = {
  title: 'Loop reads past the end',
  severity: 'error',
  category: 'bug',
  startLine: 3,
  endLine: 3,
  quote: 'for (let i = 0; i <= items.length; i++) {',
  explanation: 'i reaches items.length.',
};

let dir: string;
before(() => {
  dir = mkdtempSync(join(tmpdir(), 'thinklens-cache-'));
  writeFileSync(join(dir, 'cart.js'), CART);
});
after(() => rmSync(dir, { recursive: true, force: true }));

test('class 15: a cached rerun makes no request at all, probes included, and answers with the server stopped', async () => {
  const server = await startLimitServer({
    kind: 'vllm',
    model: 'cached-model',
    contextWindow: 32_768,
    turn: {
      reasoning: 'The loop bound includes items.length.',
      answer: `Off by one.\n\n\`\`\`json\n${JSON.stringify({ summary: 'Off by one.', findings: [FINDING] })}\n\`\`\``,
    },
  });
  const env = { THINKLENS_CACHE_DIR: join(dir, 'cache') };
  const review = () =>
    runCli(['review', 'cart.js', '--backend', 'vllm', '--base-url', server.baseUrl, '--model', 'cached-model', '--format', 'json'], {
      cwd: dir,
      env,
    });
  try {
    const first = await review();
    assert.equal(first.code, 0, first.stderr);
    assert.equal(server.chats.length, 1);
    assert.ok(server.paths.includes('GET /v1/models'), 'the first run asked the window');
    const asked = server.paths.length;

    const rerun = await review();
    assert.equal(rerun.code, 0, rerun.stderr);
    assert.deepEqual(server.paths.slice(asked), [], 'the cached rerun asked the server something');
    assert.equal(JSON.parse(rerun.stdout).runs[0].cached, true);

    await server.close();
    const offline = await review();
    assert.equal(offline.code, 0, offline.stderr);
    const [run] = JSON.parse(offline.stdout).runs;
    const [original] = JSON.parse(first.stdout).runs;
    assert.equal(run.cached, true);
    assert.equal(run.reasoning, original.reasoning);
    assert.deepEqual(
      run.findings.map((f: { title: string; startLine: number }) => [f.title, f.startLine]),
      [['Loop reads past the end', 3]],
    );
  } finally {
    await server.close();
  }
});
