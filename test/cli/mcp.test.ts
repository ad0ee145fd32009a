// `thinklens mcp` driven by the MCP SDK's own client over stdio (the built dist/cli.js as a real
// process), against the replay server on loopback: the tool list, a review whose structured result
// validates against the tool's output schema, the reasoning as progress, cancel, the workspace
// boundary, server errors as tool errors, and nothing but protocol on stdout.

import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { after, before, test } from 'node:test';
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { StdioClientTransport } from '@modelcontextprotocol/sdk/client/stdio.js';
import { ListRootsRequestSchema, type CallToolResult } from '@modelcontextprotocol/sdk/types.js';
import Ajv from 'ajv';
import { deepseekStream, errorResponse, startReplayServer, type ReplayServer } from '../support/replayServer';
import { CLI_ENTRY } from '../support/cliProcess';

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
  'The loop reads one element past the end.',
  '',
  '```json',
  JSON.stringify({
    summary: 'Off-by-one: the loop runs while i <= items.length.',
    findings: [
      {
        title: 'Off-by-one in loop bound',
        severity: 'error',
        category: 'bug',
        startLine: 3,
        endLine: 3,
        quote: 'for (let i = 0; i <= items.length; i++) {',
        explanation: 'On the last pass `items[i]` is undefined and `.price` throws.',
        confidence: 'high',
        fix: { startLine: 3, endLine: 3, replacement: '  for (let i = 0; i < items.length; i++) {' },
      },
    ],
  }),
  '```',
].join('\n');

const SENTENCES = [
  'The function sums price times quantity over the items.',
  'The loop bound uses <= so i reaches items.length.',
  'At that index items[i] is undefined, so reading .price throws a TypeError.',
  'The bound should be i < items.length.',
];
const REASONING = SENTENCES.join(' ');

let replay: ReplayServer;
let root: string;
let workspace: string;

before(async () => {
  replay = await startReplayServer();
  root = mkdtempSync(join(tmpdir(), 'thinklens-mcp-'));
  workspace = join(root, 'workspace');
  mkdirSync(join(workspace, 'src'), { recursive: true });
  writeFileSync(join(workspace, 'src', 'cart.ts'), CART);
  writeFileSync(join(workspace, 'proof.md'), 'Claim: $n^2 \\geq n$ for every integer $n$.\n\nProof: $n^2 - n = n(n-1) \\geq 0$.\n');
  writeFileSync(join(root, 'outside.ts'), CART);
  symlinkSync(join(root, 'outside.ts'), join(workspace, 'src', 'link.ts'));
});
after(async () => {
  await replay.close();
  rmSync(root, { recursive: true, force: true });
});

interface Connection {
  readonly client: Client;
  readonly stderr: () => string;
  close(): Promise<void>;
}

/** The server as an agent starts it: `thinklens mcp <flags>` in the workspace, the SDK's client on its stdio. */
async function connect(model: string, options: { extraArgs?: string[]; roots?: string[] } = {}): Promise<Connection> {
  const transport = new StdioClientTransport({
    command: process.execPath,
    args: [
      CLI_ENTRY,
      'mcp',
      '--backend',
      'openai-compatible',
      '--base-url',
      replay.baseUrl,
      '--model',
      model,
      ...(options.extraArgs ?? []),
    ],
    cwd: workspace,
    env: { PATH: process.env.PATH ?? '', THINKLENS_CACHE_DIR: mkdtempSync(join(root, 'cache-')) },
    stderr: 'pipe',
  });
  let stderr = '';
  transport.stderr?.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
  const client = new Client({ name: 'thinklens-test', version: '1.0.0' }, { capabilities: options.roots ? { roots: {} } : {} });
  if (options.roots) {
    const roots = options.roots;
    client.setRequestHandler(ListRootsRequestSchema, () => ({ roots: roots.map((folder) => ({ uri: pathToFileURL(folder).href })) }));
  }
  await client.connect(transport);
  return { client, stderr: () => stderr, close: () => client.close() };
}

const text = (result: CallToolResult) =>
  result.content
    .filter((c) => c.type === 'text')
    .map((c) => c.text)
    .join('\n');

test('tools/list: review, explain and check_proof, each with input and output schemas and a description for a model', async () => {
  const { client, close } = await connect('list');
  try {
    const { tools } = await client.listTools();
    assert.deepEqual(tools.map((t) => t.name).sort(), ['check_proof', 'explain', 'review']);
    for (const tool of tools) {
      assert.equal(tool.inputSchema.type, 'object');
      assert.equal(tool.outputSchema?.type, 'object', `${tool.name} has no output schema`);
      assert.match(tool.description ?? '', /slow/);
      assert.match(tool.description ?? '', /never edits files/);
      assert.match(tool.description ?? '', new RegExp(`sent to openai-compatible at ${replay.baseUrl.replace(/[.]/g, '\\.')}`));
      assert.equal(tool.annotations?.readOnlyHint, true);
    }
    const review = tools.find((t) => t.name === 'review')!;
    assert.deepEqual(Object.keys(review.inputSchema.properties ?? {}).sort(), [
      'diff',
      'focus',
      'minConfidence',
      'minSeverity',
      'paths',
      'samples',
      'staged',
    ]);
    // docs/agents.md shows these schemas: the page and the server agree.
    const doc = readFileSync(join(__dirname, '..', '..', 'docs', 'agents.md'), 'utf8');
    for (const tool of tools) {
      assert.deepEqual(
        schemaInDoc(doc, `${tool.name} input`),
        tool.inputSchema,
        `docs/agents.md: the ${tool.name} input schema is out of date`,
      );
    }
    assert.deepEqual(schemaInDoc(doc, 'output'), review.outputSchema, 'docs/agents.md: the output schema is out of date');
  } finally {
    await close();
  }
});

/** The JSON block after the `<!-- schema: NAME -->` marker in docs/agents.md. */
function schemaInDoc(doc: string, name: string): unknown {
  const match = new RegExp(`<!-- schema: ${name} -->\\s*\`\`\`json\\n([\\s\\S]*?)\\n\`\`\``).exec(doc);
  assert.ok(match, `docs/agents.md has no "<!-- schema: ${name} -->" block`);
  return JSON.parse(match[1]!);
}

test('review: findings with fix and quoted evidence in structuredContent, valid against the output schema; reasoning arrives as progress in sentences', async () => {
  replay.script('review-ok', [deepseekStream({ reasoning: REASONING, answer: ANSWER, model: 'review-ok', pieces: 40 })]);
  const { client, close } = await connect('review-ok');
  try {
    const { tools } = await client.listTools();
    const outputSchema = tools.find((t) => t.name === 'review')!.outputSchema!;
    const messages: string[] = [];
    const result = (await client.callTool({ name: 'review', arguments: { paths: ['src/cart.ts'] } }, undefined, {
      onprogress: (p) => p.message && messages.push(p.message),
    })) as CallToolResult;
    assert.equal(result.isError, undefined, text(result));
    const validate = new Ajv({ strict: false }).compile(outputSchema);
    assert.ok(validate(result.structuredContent), JSON.stringify(validate.errors));
    const run = (result.structuredContent as { runs: Record<string, unknown>[] }).runs[0]! as {
      file: string;
      reasoning: string;
      findings: {
        title: string;
        startLine: number;
        fix: { replacement: string };
        evidence: { start: number; end: number; text: string }[];
      }[];
    };
    assert.equal(run.file, 'src/cart.ts');
    assert.equal(run.reasoning, REASONING);
    const [finding] = run.findings;
    assert.equal(finding!.title, 'Off-by-one in loop bound');
    assert.equal(finding!.startLine, 3);
    assert.equal(finding!.fix.replacement, '  for (let i = 0; i < items.length; i++) {');
    assert.ok(finding!.evidence.length > 0, 'no evidence');
    for (const passage of finding!.evidence) assert.equal(passage.text, REASONING.slice(passage.start, passage.end));
    // The short text names the finding, its fix and a quote of the reasoning.
    assert.match(text(result), /src\/cart\.ts:3 error \[bug\] Off-by-one in loop bound/);
    assert.match(text(result), /Fix: replace line 3 with:\n {4} {2}for \(let i = 0; i < items\.length; i\+\+\) \{/);
    assert.match(text(result), /Reasoning: "[^"]*items\.length/);
    // Progress: the reasoning whole, in readable pieces rather than the 40 wire pieces (how text is
    // cut into sentences is test/unit/mcpProgress.test.ts's, without a clock).
    assert.ok(messages.length > 0, 'no progress notifications');
    const pieces = messages.flatMap((m) => m.split('\n'));
    assert.equal(pieces.join(' '), REASONING, `progress pieces: ${JSON.stringify(messages)}`);
    assert.ok(pieces.length < 40, `${pieces.length} progress pieces for 40 wire pieces`);
  } finally {
    await close();
  }
});

test('explain and check_proof run as the CLI would: a range and a question; a proof', async () => {
  replay.script('explain-ok', [deepseekStream({ reasoning: REASONING, answer: ANSWER, model: 'explain-ok' })]);
  const { client, close } = await connect('explain-ok');
  try {
    const result = (await client.callTool({
      name: 'explain',
      arguments: { path: 'src/cart.ts', startLine: 3, endLine: 4, question: 'Why does it throw?' },
    })) as CallToolResult;
    assert.equal(result.isError, undefined, text(result));
    const sent = JSON.stringify(replay.requests.at(-1)!.body);
    assert.match(sent, /Why does it throw\?/);
    const bad = (await client.callTool({
      name: 'explain',
      arguments: { path: 'src/cart.ts', startLine: 4, endLine: 2 },
    })) as CallToolResult;
    assert.equal(bad.isError, true);
    assert.match(text(bad), /endLine 2 is before startLine 4/);
    replay.script('explain-ok', [
      deepseekStream({ reasoning: REASONING, answer: '{"summary": "The step holds.", "findings": []}', model: 'explain-ok' }),
    ]);
    const proof = (await client.callTool({ name: 'check_proof', arguments: { path: 'proof.md' } })) as CallToolResult;
    assert.equal(proof.isError, undefined, text(proof));
    assert.match(text(proof), /proof\.md: no findings/);
    assert.match(JSON.stringify(replay.requests.at(-1)!.body), /a correct proof has no findings/);
    const half = (await client.callTool({ name: 'check_proof', arguments: { path: 'proof.md', startLine: 2 } })) as CallToolResult;
    assert.equal(half.isError, true);
    assert.match(text(half), /both startLine and endLine, or neither/);
  } finally {
    await close();
  }
});

test("class 10: an agent's tool call naming a path outside the workspace is refused before anything is read or sent", async () => {
  const { client, close } = await connect('outside');
  const before = replay.requests.length;
  try {
    for (const paths of [['../outside.ts'], [join(root, 'outside.ts')], ['src/link.ts'], ['../*.ts'], ['src/cart.ts', '../outside.ts']]) {
      const result = (await client.callTool({ name: 'review', arguments: { paths } })) as CallToolResult;
      assert.equal(result.isError, true, `${paths} was not refused`);
      assert.match(text(result), /is outside the workspace/);
    }
    const explain = (await client.callTool({
      name: 'explain',
      arguments: { path: '../outside.ts', startLine: 1, endLine: 2 },
    })) as CallToolResult;
    assert.equal(explain.isError, true);
  } finally {
    await close();
  }
  // Client roots narrower than the server's folder: the roots are the workspace.
  const narrow = await connect('outside', { roots: [join(workspace, 'src', 'nothing-here')] });
  try {
    const result = (await narrow.client.callTool({ name: 'review', arguments: { paths: ['../cart.ts'] } })) as CallToolResult;
    assert.equal(result.isError, true);
    assert.match(text(result), /outside the workspace .*from the client roots/);
  } finally {
    await narrow.close();
  }
  assert.equal(replay.requests.length, before, 'a refused call reached the model server');
});

test('a server error is a tool error worded as the CLI words it, and the process stays up', async () => {
  // 5xx is retried twice before the first token (openaiCompatible.ts): the third answer is the one the agent sees.
  replay.script(
    'broken',
    [1, 2, 3].map(() => errorResponse(500, 'upstream exploded')),
  );
  const { client, close, stderr } = await connect('broken', { extraArgs: ['--no-cache'] });
  try {
    const result = (await client.callTool({ name: 'review', arguments: { paths: ['src/cart.ts'] } })) as CallToolResult;
    assert.equal(result.isError, true);
    assert.match(text(result), /src\/cart\.ts: failed: .*upstream exploded/);
    const { tools } = await client.listTools();
    assert.equal(tools.length, 3);
    assert.match(stderr(), /upstream exploded/);
  } finally {
    await close();
  }
});

test('cancel mid-run: the request to the model is aborted after the reasoning so far arrived as progress; the server keeps serving', async () => {
  replay.script('stalls', [
    deepseekStream({ reasoning: REASONING, answer: ANSWER, model: 'stalls', pieces: 4, fault: 'stall', faultAfter: 4 }),
  ]);
  replay.script('stalls', [deepseekStream({ reasoning: REASONING, answer: ANSWER, model: 'stalls' })]);
  const { client, close } = await connect('stalls', { extraArgs: ['--no-cache'] });
  try {
    const controller = new AbortController();
    const messages: string[] = [];
    const call = client.callTool({ name: 'review', arguments: { paths: ['src/cart.ts'] } }, undefined, {
      signal: controller.signal,
      onprogress: (p) => {
        if (p.message) messages.push(p.message);
        // Cancel once three sentences have arrived: the stream stalls after the reasoning.
        if (messages.join(' ').includes(SENTENCES[2]!)) controller.abort('the agent moved on');
      },
    });
    await assert.rejects(call, /moved on|abort/i);
    const index = replay.requests.findIndex((r) => r.model === 'stalls');
    await replay.waitForClientClose(index);
    assert.deepEqual(messages.flatMap((m) => m.split('\n')).slice(0, 3), SENTENCES.slice(0, 3));
    const next = (await client.callTool({ name: 'review', arguments: { paths: ['src/cart.ts'] } })) as CallToolResult;
    assert.equal(next.isError, undefined, text(next));
  } finally {
    await close();
  }
});

test('a run that passes its deadline is a tool error that keeps the reasoning so far', async () => {
  replay.script('deadline', [deepseekStream({ reasoning: REASONING, answer: ANSWER, model: 'deadline', fault: 'stall', faultAfter: 4 })]);
  const { client, close } = await connect('deadline', { extraArgs: ['--no-cache', '--deadline', '2'] });
  try {
    const result = (await client.callTool({ name: 'review', arguments: { paths: ['src/cart.ts'] } })) as CallToolResult;
    assert.equal(result.isError, true);
    assert.match(text(result), /deadline of 2 s/);
    assert.match(text(result), /Reasoning so far/);
    const run = (result.structuredContent as { runs: { reasoning: string }[] }).runs[0]!;
    assert.ok(run.reasoning.length > 0 && REASONING.startsWith(run.reasoning), run.reasoning);
    assert.ok(text(result).includes(run.reasoning));
  } finally {
    await close();
  }
});

test('stdout carries only JSON-RPC messages, through a review with progress and a refused call', async () => {
  replay.script('stdout', [deepseekStream({ reasoning: REASONING, answer: ANSWER, model: 'stdout' })]);
  const child = spawn(
    process.execPath,
    [CLI_ENTRY, 'mcp', '--backend', 'openai-compatible', '--base-url', replay.baseUrl, '--model', 'stdout', '--no-cache'],
    { cwd: workspace, env: { PATH: process.env.PATH }, stdio: ['pipe', 'pipe', 'pipe'] },
  );
  let stdout = '';
  let stderr = '';
  child.stdout.on('data', (d) => (stdout += d));
  child.stderr.on('data', (d) => (stderr += d));
  const send = (message: object) => child.stdin.write(`${JSON.stringify(message)}\n`);
  const responded = (id: number) =>
    new Promise<void>((resolve) => {
      const check = () => {
        if (stdout.split('\n').some((line) => line.includes(`"id":${id}`) && line.includes('"result"'))) {
          child.stdout.off('data', check);
          resolve();
        }
      };
      child.stdout.on('data', check);
      check();
    });
  send({
    jsonrpc: '2.0',
    id: 1,
    method: 'initialize',
    params: { protocolVersion: '2025-06-18', capabilities: {}, clientInfo: { name: 'raw', version: '1' } },
  });
  await responded(1);
  send({ jsonrpc: '2.0', method: 'notifications/initialized' });
  send({
    jsonrpc: '2.0',
    id: 2,
    method: 'tools/call',
    params: { name: 'review', arguments: { paths: ['src/cart.ts'] }, _meta: { progressToken: 'p' } },
  });
  await responded(2);
  send({ jsonrpc: '2.0', id: 3, method: 'tools/call', params: { name: 'review', arguments: { paths: ['../outside.ts'] } } });
  await responded(3);
  const exited = new Promise((resolve) => child.on('close', resolve));
  child.stdin.end();
  assert.equal(await exited, 0, stderr);
  const lines = stdout.split('\n').filter(Boolean);
  assert.ok(
    lines.some((line) => line.includes('notifications/progress')),
    'no progress notification',
  );
  for (const line of lines) {
    const message = JSON.parse(line) as { jsonrpc?: string };
    assert.equal(message.jsonrpc, '2.0', line);
  }
  assert.match(stderr, /thinklens mcp: serving/);
});
