// scripts/llamaServer.mjs without compiling anything: missing build tools fail at once with the
// command that installs them, a finished build in the cache is reused without any tool, and a
// second run waits for a build another process is doing instead of starting its own.
import assert from 'node:assert/strict';
import { spawn, spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, test } from 'node:test';
import { pathToFileURL } from 'node:url';

const SCRIPT = pathToFileURL(join(__dirname, '..', '..', 'scripts', 'llamaServer.mjs')).href;
const dirs: string[] = [];
after(() => {
  for (const dir of dirs) rmSync(dir, { recursive: true, force: true });
});

function tempDir(): string {
  const dir = mkdtempSync(join(tmpdir(), 'thinklens-llama-build-'));
  dirs.push(dir);
  return dir;
}

/** Runs `ensureLlamaServer({ cacheDir })` in a fresh Node with the given PATH. */
function ensureIn(cacheDir: string, path: string): { status: number | null; stdout: string; stderr: string } {
  const code =
    `import(${JSON.stringify(SCRIPT)}).then((m) => m.ensureLlamaServer({ cacheDir: ${JSON.stringify(cacheDir)}, log: () => {} }))` +
    `.then((b) => console.log(JSON.stringify({ server: b.server, libraryPath: b.env.LD_LIBRARY_PATH })), (e) => { console.error(e.message); process.exit(1); })`;
  const result = spawnSync(process.execPath, ['-e', code], { env: { PATH: path }, encoding: 'utf8' });
  return { status: result.status, stdout: result.stdout, stderr: result.stderr };
}

async function release(): Promise<string> {
  const { llamaCppRelease } = await import('../../scripts/llamaServer.mjs');
  return llamaCppRelease();
}

/** A cache folder that looks like a finished build. */
async function fakeFinishedBuild(cacheDir: string): Promise<string> {
  const bin = join(cacheDir, `llama-server-${await release()}`, 'build', 'bin');
  mkdirSync(bin, { recursive: true });
  writeFileSync(join(bin, 'llama-server'), '');
  writeFileSync(join(cacheDir, `llama-server-${await release()}`, '.complete'), '{}\n');
  return bin;
}

test('missing cmake, compiler and git fail at once with the apt command that installs them', () => {
  const cacheDir = tempDir();
  const emptyPath = tempDir();
  const result = ensureIn(cacheDir, emptyPath);
  assert.equal(result.status, 1);
  assert.match(result.stderr, /llama-server cannot be built: cmake, g\+\+, make, git are missing/);
  assert.match(result.stderr, /run: apt-get install -y cmake build-essential git/);
});

test('a finished build in the cache is reused without any build tool', async () => {
  const cacheDir = tempDir();
  const bin = await fakeFinishedBuild(cacheDir);
  const result = ensureIn(cacheDir, tempDir());
  assert.equal(result.status, 0, result.stderr);
  const found = JSON.parse(result.stdout);
  assert.equal(found.server, join(bin, 'llama-server'));
  assert.equal(found.libraryPath.split(':')[0], bin, 'the shared libraries are found through LD_LIBRARY_PATH');
});

test('a second run waits for the build another process holds the lock for', async () => {
  const cacheDir = tempDir();
  const builder = spawn(process.execPath, ['-e', 'setTimeout(() => {}, 60000)'], { stdio: 'ignore' });
  try {
    writeFileSync(join(cacheDir, `llama-server-${await release()}.lock`), String(builder.pid));
    const { ensureLlamaServer } = await import('../../scripts/llamaServer.mjs');
    const logged: string[] = [];
    let settled = false;
    const waiting = ensureLlamaServer({ cacheDir, log: (line: string) => logged.push(line) }).finally(() => (settled = true));
    await new Promise((resolve) => setTimeout(resolve, 1000));
    assert.equal(settled, false, 'still waiting while the other build runs');
    assert.match(logged.join('\n'), new RegExp(`being built by process ${builder.pid}; waiting`));
    const bin = await fakeFinishedBuild(cacheDir);
    const build = await waiting;
    assert.equal(build.server, join(bin, 'llama-server'));
  } finally {
    builder.kill('SIGKILL');
  }
});
