// The CLI, as a real process, against llama.cpp's own llama-server serving the scripted test model
// (test/support/gguf): the server applies the model's DeepSeek-R1 chat template, which prefills
// `<think>\n`, so the model writes its reasoning without an opening tag, then `</think>`, then the
// answer. With `--reasoning-format deepseek` the server splits that into `reasoning_content`; with
// `none` it leaves the tags in `content` and ThinkLens's own splitter must find them.
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import type { ScriptedModelInfo } from '../support/gguf/scriptedModel';
import { startScriptedLlamaServers, type RunningLlamaServer, type ScriptedLlamaServers } from '../support/llamaServer';
import { runCli, type CliResult } from '../support/cliProcess';

let file: string;
let model: ScriptedModelInfo;
let splitting: RunningLlamaServer;
let inline: RunningLlamaServer;
let fixture: ScriptedLlamaServers<'splitting' | 'inline'> | undefined;

before(async () => {
  // The scripted model's vocabulary has no ordinary words, so prompts cost about a token per byte.
  fixture = await startScriptedLlamaServers('thinklens-llamaserver-', {
    splitting: { reasoningFormat: 'deepseek', contextSize: 16384 },
    inline: { reasoningFormat: 'none', contextSize: 16384 },
  });
  ({
    file,
    model,
    servers: { splitting, inline },
  } = fixture);
});

after(async () => {
  await fixture?.stop();
});

const cli = (args: readonly string[]) => runCli(args, { killAfterMs: 120_000 });

function firstRun(result: CliResult) {
  assert.equal(result.code, 0, `the CLI failed:\n${result.stderr}\n${result.stdout}`);
  return JSON.parse(result.stdout).runs[0];
}

test('--reasoning-format deepseek: the server splits, the CLI shows its reasoning and the whole answer', async () => {
  const run = firstRun(
    await cli(['review', file, '--backend', 'llamacpp', '--base-url', splitting.baseUrl, '--format', 'json', '--timeout', '120']),
  );
  assert.equal(run.error, undefined, JSON.stringify(run.error));
  assert.equal(run.reasoning, model.reasoning);
  // The llama.cpp preset constrains the answer to the contract's schema: the JSON alone.
  assert.equal(run.answer, model.answerJson);
  assert.equal(run.findings.length, 1);
  assert.equal(run.findings[0].title, 'Off-by-one in loop bound');
  assert.equal(run.findings[0].startLine, 3, 'located by its quote, not by the line the model named');
});

test('--reasoning-format none: the tags stay in the content and ThinkLens splits them itself', async () => {
  // First prove the server really leaves the split to us: the raw answer carries `</think>`.
  const raw = await fetch(`${inline.baseUrl}/chat/completions`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ messages: [{ role: 'user', content: 'Review.' }], max_tokens: 400 }),
  });
  const message = (await raw.json()).choices[0].message;
  assert.match(message.content, /<\/think>/, 'inline tags in content');
  assert.ok(!message.reasoning_content, 'no reasoning field');

  // The generic preset sends no `reasoning_format`, so the server's own setting applies.
  const run = firstRun(
    await cli([
      'review',
      file,
      '--backend',
      'openai-compatible',
      '--base-url',
      inline.baseUrl,
      '--model',
      'scripted',
      '--format',
      'json',
      '--timeout',
      '120',
    ]),
  );
  assert.equal(run.error, undefined, JSON.stringify(run.error));
  assert.equal(run.reasoning, model.reasoning);
  assert.equal(run.answer, model.freeAnswer);
  assert.equal(run.findings.length, 1);
  assert.equal(run.findings[0].startLine, 3);
});
