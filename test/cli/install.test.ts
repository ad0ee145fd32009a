// The `thinklens` command as a person installs it: `npm run pack:cli` (scripts/packCli.mjs), then
// `npm install -g` of the tarball into a fresh prefix, which brings no local-model runtime; the
// installed command answers --version and completes an MCP handshake with the SDK's own client.

import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { StdioClientTransport } from '@modelcontextprotocol/sdk/client/stdio.js';

const ROOT = join(__dirname, '..', '..');
const pkg = JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8')) as { version: string };
const windows = process.platform === 'win32';
const npm = (args: string[], cwd: string) =>
  execFileSync(windows ? 'npm.cmd' : 'npm', args, { cwd, encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'], shell: windows });

test(
  'npm pack, npm install -g --omit=optional into a fresh prefix: thinklens --version and an MCP handshake through the installed command',
  { timeout: 300_000 },
  async () => {
    assert.ok(existsSync(join(ROOT, 'dist', 'cli.js')), 'dist/cli.js is not built: run npm run build');
    const dir = mkdtempSync(join(tmpdir(), 'thinklens-install-'));
    try {
      // The bundle as built; packing does not rebuild it under the other tests' feet.
      const packed = JSON.parse(
        execFileSync(process.execPath, [join(ROOT, 'scripts', 'packCli.mjs'), '--pack-destination', dir], { encoding: 'utf8' }),
      ) as { file: string; files: string[] };
      assert.deepEqual(packed.files.sort(), ['CHANGELOG.md', 'LICENSE', 'README.md', 'dist/cli.js', 'dist/mcp.js', 'package.json']);
      const prefix = join(dir, 'prefix');
      npm(['install', '-g', '--prefix', prefix, '--no-audit', '--no-fund', '--prefer-offline', packed.file], dir);
      const installed = windows ? join(prefix, 'node_modules', 'thinklens') : join(prefix, 'lib', 'node_modules', 'thinklens');
      assert.ok(existsSync(join(installed, 'dist', 'cli.js')), `not installed at ${installed}`);
      assert.ok(!existsSync(join(installed, 'node_modules', 'node-llama-cpp')), 'the local-model runtime was installed');
      const command = windows ? join(prefix, 'thinklens.cmd') : join(prefix, 'bin', 'thinklens');
      assert.equal(execFileSync(command, ['--version'], { encoding: 'utf8', shell: windows }).trim(), pkg.version);

      const transport = new StdioClientTransport({ command, args: ['mcp', '--backend', 'ollama'], cwd: dir, stderr: 'pipe' });
      const client = new Client({ name: 'install-test', version: '1.0.0' });
      await client.connect(transport);
      try {
        assert.equal(client.getServerVersion()?.name, 'thinklens');
        assert.equal(client.getServerVersion()?.version, pkg.version);
        const { tools } = await client.listTools();
        assert.deepEqual(tools.map((t) => t.name).sort(), ['check_proof', 'explain', 'review']);
      } finally {
        await client.close();
      }
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  },
);
