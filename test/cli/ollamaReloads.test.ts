// No needless model reloads on Ollama (issue 22 item 2): the built CLI against the Ollama replay
// server, whose scheduler reloads a model whenever a chat's `num_ctx` differs from the loaded
// runner's (test/support/ollamaServer.ts `schedule`, after server/sched.go needsReload). Counts,
// not times: the replay records every load.

import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import { sourceWithLoops } from '../support/longSource';
import { startOllamaServer, type OllamaServer, type OllamaServerOptions } from '../support/ollamaServer';
import { runCli } from '../support/cliProcess';

/** A model with a small maximum, so a long file is reviewed in parts. */
const SMALL = 'r1-small:7b';
const SMALL_MAXIMUM = 16_384;
const LARGE = 'deepseek-r1:8b';

let dir: string;
let longFile: string;
let shortFile: string;
const servers: OllamaServer[] = [];

before(() => {
  dir = mkdtempSync(join(tmpdir(), 'thinklens-ollama-reloads-'));
  longFile = join(dir, 'long.ts');
  writeFileSync(longFile, sourceWithLoops(1500, [11, 1491]));
  shortFile = join(dir, 'short.ts');
  writeFileSync(shortFile, sourceWithLoops(120, [11]));
});
after(async () => {
  await Promise.all(servers.map((s) => s.close()));
  rmSync(dir, { recursive: true, force: true });
});

async function ollama(loaded: OllamaServerOptions['loaded']): Promise<OllamaServer> {
  const server = await startOllamaServer({
    models: { [SMALL]: { contextLength: SMALL_MAXIMUM }, [LARGE]: { contextLength: 131_072 } },
    loaded,
  });
  servers.push(server);
  return server;
}

async function review(server: OllamaServer, file: string, model: string, samples: number) {
  const result = await runCli(
    ['review', file, '--backend', 'ollama', '--base-url', server.root, '--model', model, '--samples', String(samples), '--format', 'json'],
    { killAfterMs: 120_000 },
  );
  assert.equal(result.code, 0, result.stderr);
  return JSON.parse(result.stdout).runs[0];
}

test("a review in three parts with three samples, the model loaded at Ollama's 4,096 default: one reload, then every request shares it", async () => {
  const server = await ollama({ [SMALL]: 4096 });
  const run = await review(server, longFile, SMALL, 3);
  const parts = new Set(server.chats.map((c) => JSON.stringify(c.body.messages)));
  assert.ok(parts.size >= 3, `reviewed in ${parts.size} parts`);
  assert.equal(server.chats.length, parts.size * 3, 'every part of every sample');
  assert.deepEqual(
    server.loads.map((l) => ({ reload: l.reload, numCtx: l.numCtx })),
    [{ reload: true, numCtx: SMALL_MAXIMUM }],
    'the window grew once, to what the whole run needs',
  );
  assert.deepEqual([...new Set(server.chats.map((c) => c.requestedNumCtx))], [SMALL_MAXIMUM]);
  assert.ok(
    run.findings.some((f: { startLine: number }) => f.startLine === 1491),
    'the last part was reviewed',
  );
});

test('Ollama loaded the model with a larger window on its own (32K by VRAM): the requests use it, no reload', async () => {
  const server = await ollama({ [LARGE]: 32_768 });
  await review(server, shortFile, LARGE, 3);
  assert.equal(server.chats.length, 3);
  assert.deepEqual(server.loads, [], 'the loaded window holds the request');
  assert.deepEqual([...new Set(server.chats.map((c) => c.requestedNumCtx))], [32_768]);
});

test('a second run after the first, in a new process: the model ThinkLens loaded is reused', async () => {
  const server = await ollama({});
  await review(server, longFile, SMALL, 1);
  assert.deepEqual(
    server.loads.map((l) => l.reload),
    [false],
    'the first run loads the model once',
  );
  await review(server, shortFile, SMALL, 1);
  assert.equal(server.loads.length, 1, 'the second run, a smaller file, reloads nothing');
});
