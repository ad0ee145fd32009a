// The built CLI as a separate process reviews a small buggy file against replay servers that apply a
// JSON schema where the real ones do (sources in test/support/limitServers.ts): LM Studio (a schema
// binds the whole output), vLLM and SGLang without --reasoning-parser (it binds from the first
// token), vLLM with its parser (reasoning only in `delta.reasoning`, as since 0.16). Each time the
// reasoning reaches the JSON output and the bug is found; where a constraint had to be dropped the
// run's note says so and what to change on the server, and one invocation remembers it.

import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import type { BackendId } from '../../src/core/types';
import { runCli } from '../support/cliProcess';
import { OFF_BY_ONE_JSON, OFF_BY_ONE_REASONING, OFF_BY_ONE_SOURCE } from '../support/offByOne';
import { startLimitServer, type LimitServer, type LimitServerKind, type ScriptedTurn } from '../support/limitServers';

const BUGGY = `${OFF_BY_ONE_SOURCE}\n`;
const REASONING = OFF_BY_ONE_REASONING;
const JSON_ANSWER = OFF_BY_ONE_JSON;

/** Thinks, then answers bare JSON under a schema, or prose and a fenced block without one. */
function reviewer(body: Record<string, unknown>): ScriptedTurn {
  return {
    reasoning: REASONING,
    answer: body.response_format ? JSON_ANSWER : `The loop bound is off by one.\n\n\`\`\`json\n${JSON_ANSWER}\n\`\`\``,
  };
}

let dir: string;
let file: string;
let other: string;
const servers: LimitServer[] = [];
before(() => {
  dir = mkdtempSync(join(tmpdir(), 'thinklens-constraints-cli-'));
  file = join(dir, 'total.ts');
  other = join(dir, 'sum.ts');
  writeFileSync(file, BUGGY);
  writeFileSync(other, BUGGY.replace('total', 'sum'));
});
after(async () => {
  await Promise.all(servers.map((s) => s.close()));
  rmSync(dir, { recursive: true, force: true });
});

async function serve(kind: LimitServerKind, reasoningParser: boolean): Promise<LimitServer> {
  const server = await startLimitServer({ kind, model: 'r1-distill', contextWindow: 32_768, turn: reviewer, reasoningParser });
  servers.push(server);
  return server;
}

interface JsonRun {
  readonly reasoning: string;
  readonly answer: string;
  readonly problem?: string;
  readonly findings: readonly { readonly startLine: number; readonly title: string }[];
}

async function review(server: LimitServer, backend: BackendId, files = [file]): Promise<JsonRun[]> {
  const args = ['review', ...files, '--backend', backend, '--base-url', server.baseUrl, '--model', 'r1-distill'];
  const result = await runCli([...args, '--concurrency', '1', '--format', 'json']);
  assert.equal(result.code, 0, result.stderr);
  return (JSON.parse(result.stdout) as { runs: JsonRun[] }).runs;
}

/** A server that binds the schema from the first token: the CLI sends it again without, and says why. */
async function reviewWithoutParser(kind: 'vllm' | 'sglang', flag: RegExp): Promise<void> {
  const server = await serve(kind, false);
  const [run] = await review(server, kind);
  assert.match(run!.reasoning, /reads one element past the end/);
  assert.deepEqual(
    run!.findings.map((f) => f.startLine),
    [3],
  );
  assert.match(run!.problem!, /sent no reasoning while the answer was constrained to JSON/);
  assert.match(run!.problem!, flag);
  assert.match(run!.answer, /^\[Set aside: this answer came with the constraint on and no thinking/, 'the first answer is kept');
  assert.equal(server.chats.length, 2);
  assert.equal((server.chats[0]!.response_format as { type: string }).type, 'json_schema');
  assert.equal(server.chats[1]!.response_format, undefined);
}

test('class 13: vllm without --reasoning-parser: the reasoning reaches the JSON, the bug is found, and the note says what to start it with', () =>
  reviewWithoutParser('vllm', /Start vLLM with --reasoning-parser/));

test('class 13: sglang without --reasoning-parser: the reasoning reaches the JSON, the bug is found, and the note says what to start it with', () =>
  reviewWithoutParser('sglang', /Start SGLang with --reasoning-parser/));

test('class 13: one CLI invocation remembers a constraint that silenced the thinking: the second file is sent without it at once', async () => {
  const server = await serve('vllm', false);
  const runs = await review(server, 'vllm', [file, other]);
  assert.equal(runs.length, 2);
  assert.equal(server.chats.length, 3, 'the first file twice (with, then without the schema), the second once');
  assert.equal(server.chats[2]!.response_format, undefined);
  for (const run of runs) {
    assert.match(run.reasoning, /reads one element past the end/);
    assert.deepEqual(
      run.findings.map((f) => f.startLine),
      [3],
    );
    assert.match(run.problem!, /Start vLLM with --reasoning-parser/);
  }
});

test('class 13: LM Studio is sent no schema (it would bind the thinking): the reasoning reaches the JSON and the bug is found', async () => {
  const server = await serve('lmstudio', true);
  const [run] = await review(server, 'lmstudio');
  assert.equal(server.chats.length, 1);
  assert.equal(server.chats[0]!.response_format, undefined);
  assert.equal(run!.reasoning, REASONING);
  assert.deepEqual(
    run!.findings.map((f) => f.startLine),
    [3],
  );
});

test('class 13: vLLM 0.16+ with its parser (delta.reasoning only) keeps the schema: reasoning, the bug, no note', async () => {
  const server = await serve('vllm', true);
  const [run] = await review(server, 'vllm');
  assert.equal(server.chats.length, 1);
  assert.equal((server.chats[0]!.response_format as { type: string }).type, 'json_schema');
  assert.equal(run!.reasoning, REASONING);
  assert.deepEqual(
    run!.findings.map((f) => f.startLine),
    [3],
  );
  assert.equal(run!.problem, undefined);
});
