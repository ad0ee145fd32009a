// `node scripts/agentsDoc.mjs`: writes the MCP tools' schemas into docs/agents.md, as the built
// server's `tools/list` gives them (run `node esbuild.mjs cli` first). Each schema goes in the JSON
// block after its `<!-- schema: NAME -->` marker; test/cli/mcp.test.ts fails when they differ.
import { spawn } from 'node:child_process';
import { readFileSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';

const root = resolve(import.meta.dirname, '..');
const docPath = join(root, 'docs', 'agents.md');

const child = spawn(process.execPath, [join(root, 'dist', 'cli.js'), 'mcp', '--backend', 'ollama'], { stdio: ['pipe', 'pipe', 'inherit'] });
let out = '';
const tools = await new Promise((done, fail) => {
  child.stdout.on('data', (chunk) => {
    out += chunk;
    const line = out.split('\n').find((l) => l.includes('"id":2'));
    if (line) done(JSON.parse(line).result.tools);
  });
  child.on('error', fail);
  const send = (message) => child.stdin.write(`${JSON.stringify(message)}\n`);
  send({
    jsonrpc: '2.0',
    id: 1,
    method: 'initialize',
    params: { protocolVersion: '2025-06-18', capabilities: {}, clientInfo: { name: 'docs', version: '1' } },
  });
  send({ jsonrpc: '2.0', method: 'notifications/initialized' });
  send({ jsonrpc: '2.0', id: 2, method: 'tools/list' });
});
child.stdin.end();

let doc = readFileSync(docPath, 'utf8');
const put = (name, schema) => {
  const marker = new RegExp(`(<!-- schema: ${name} -->\\s*\`\`\`json\\n)[\\s\\S]*?(\\n\`\`\`)`);
  if (!marker.test(doc)) throw new Error(`docs/agents.md has no "<!-- schema: ${name} -->" block`);
  doc = doc.replace(marker, (_, open, close) => `${open}${JSON.stringify(schema, null, 2)}${close}`);
};
for (const tool of tools) put(`${tool.name} input`, tool.inputSchema);
put('output', tools[0].outputSchema);
writeFileSync(docPath, doc);
console.log(`docs/agents.md: ${tools.length} input schemas and the output schema written`);
