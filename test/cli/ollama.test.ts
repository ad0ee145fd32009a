// The built CLI as a separate process against the Ollama-shaped replay server (its defaults: a
// 4096-token window unless the request sets num_ctx, a 131072-token model maximum, silent
// truncation of the prompt's start): a 700-line review gets its findings because ThinkLens sized
// the window, with the base URL given with or without /v1; failures are one line with exit 1.

import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import { sourceWithLoops } from '../support/longSource';
import { R1_MODEL, startOllamaServer, type OllamaServer } from '../support/ollamaServer';
import { runCli, type CliOptions } from '../support/cliProcess';
import { startServerProcess } from '../support/serverProcess';

let server: OllamaServer;
let dir: string;
let file: string;

before(async () => {
  server = await startOllamaServer();
  dir = mkdtempSync(join(tmpdir(), 'thinklens-ollama-cli-'));
  file = join(dir, 'totals.ts');
  writeFileSync(file, sourceWithLoops(700, [11, 691]));
});
after(async () => {
  await server.close();
  rmSync(dir, { recursive: true, force: true });
});

// A fresh result cache per run (never the user's): every run here must reach the server.
const cli = (args: string[], onStderr?: CliOptions['onStderr']) => runCli(args, { onStderr });

for (const suffix of ['', '/v1']) {
  test(`done when: a 700-line file through Ollama's defaults gets its findings (base URL ${suffix ? 'with' : 'without'} /v1)`, async () => {
    const before = server.chats.length;
    const result = await cli([
      'review',
      file,
      '--backend',
      'ollama',
      '--base-url',
      `${server.root}${suffix}`,
      '--model',
      R1_MODEL,
      '--format',
      'json',
    ]);
    assert.equal(result.code, 0, result.stderr);
    const run = JSON.parse(result.stdout).runs[0];
    assert.deepEqual(
      run.findings.map((f: { startLine: number }) => f.startLine),
      [11, 691],
    );
    assert.match(run.reasoning, /^The task is to review the code/);
    assert.ok(run.usage.tokensPerSecond > 0);

    const chats = server.chats.slice(before);
    assert.equal(chats.length, 1);
    const [chat] = chats;
    assert.equal(chat!.truncated, false, 'the server never truncated');
    assert.equal(chat!.instructionsSeen, true);
    assert.ok(chat!.requestedNumCtx !== undefined && chat!.requestedNumCtx > 4096, `num_ctx ${chat!.requestedNumCtx}`);
    assert.ok(chat!.requestedNumCtx! <= 131_072);
    assert.equal(chat!.think, true);
  });
}

test('a model Ollama does not have: one line naming it and `ollama pull`, exit 1', async () => {
  const result = await cli(['review', file, '--backend', 'ollama', '--base-url', server.root, '--model', 'qwq:32b', '--format', 'json']);
  assert.equal(result.code, 1);
  assert.match(result.stderr, /qwq:32b/);
  assert.match(result.stderr, /ollama pull qwq:32b/);
});

test('Ollama through the OpenAI-compatible backend without /v1: names the address that answers and the flag to use, exit 1', async () => {
  const result = await cli(['review', file, '--backend', 'openai-compatible', '--base-url', server.root, '--model', R1_MODEL]);
  assert.equal(result.code, 1);
  assert.match(result.stderr, new RegExp(`answers at ${server.root.replace(/[.]/g, '\\.')}/v1`));
  assert.match(result.stderr, new RegExp(`Pass --base-url ${server.root.replace(/[.]/g, '\\.')}/v1\\.`));
  assert.doesNotMatch(result.stderr, /has no model/);
});

test('no server at the address: says to start Ollama, exit 1', async () => {
  const gone = await startOllamaServer();
  const root = gone.root;
  await gone.close();
  const result = await cli(['review', file, '--backend', 'ollama', '--base-url', `${root}/v1`, '--model', R1_MODEL]);
  assert.equal(result.code, 1);
  assert.match(result.stderr, new RegExp(`Could not reach Ollama at ${root.replace(/[.]/g, '\\.')} \\(connection refused\\)`));
  assert.match(result.stderr, /Is the Ollama server running\? Start it/);
});

test('Ctrl-C while the model thinks: the partial reasoning is kept, the run says it was cancelled', async () => {
  const slow = await startOllamaServer({ lineDelayMs: 60 });
  try {
    let sent = false;
    const result = await cli(
      ['review', file, '--backend', 'ollama', '--base-url', slow.root, '--model', R1_MODEL, '--format', 'json', '--show-reasoning'],
      (stderr, child) => {
        if (!sent && stderr.includes('The task is to review')) {
          sent = true;
          child.kill('SIGINT');
        }
      },
    );
    assert.ok(sent, 'reasoning streamed to stderr before the interrupt');
    assert.equal(result.code, 1);
    const run = JSON.parse(result.stdout).runs[0];
    assert.equal(run.error.kind, 'cancelled');
    assert.match(run.reasoning, /^The task is to review/);
    assert.deepEqual(run.findings, []);
  } finally {
    await slow.close();
  }
});

test('the replay server from the command line: the CLI reviews against it, and its records say no truncation', async () => {
  const server = await startServerProcess('ollamaServerMain.ts', ['--port', '0']);
  const root = server.url;
  try {
    const result = await cli(['review', file, '--backend', 'ollama', '--base-url', `${root}/v1`, '--model', R1_MODEL, '--format', 'json']);
    assert.equal(result.code, 0, result.stderr);
    assert.equal(JSON.parse(result.stdout).runs[0].findings.length, 2);
    const chats = (await (await fetch(`${root}/__replay/chats`)).json()) as { truncated: boolean; numCtx: number }[];
    assert.equal(chats.length, 1);
    assert.equal(chats[0]!.truncated, false);
    assert.ok(chats[0]!.numCtx > 4096);
  } finally {
    server.stop();
  }
});
