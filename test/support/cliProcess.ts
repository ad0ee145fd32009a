// Runs the built CLI (dist/cli.js) as a real process, the way a terminal or a CI job does. The
// environment is only PATH plus what the test passes, and the result cache always goes to a fresh
// folder of its own unless the test names one: a test never reads or writes the user's cache.

import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

export const CLI_ENTRY = join(__dirname, '..', '..', 'dist', 'cli.js');

export interface CliResult {
  readonly code: number | null;
  readonly signal: NodeJS.Signals | null;
  readonly stdout: string;
  readonly stderr: string;
  /** Wall time of the process, for the tests that check something ended early. */
  readonly ms: number;
}

export interface CliOptions {
  readonly cwd?: string;
  /** Added to `PATH`; set THINKLENS_CACHE_DIR here to share a cache between runs. */
  readonly env?: NodeJS.ProcessEnv;
  /** Another bundle to run instead of dist/cli.js. */
  readonly entry?: string;
  /** The process is killed after this long (a hung CLI fails the test instead of the suite). */
  readonly killAfterMs?: number;
  /** Called with all of stderr so far on each chunk (e.g. to send a signal at the right moment). */
  readonly onStderr?: (stderr: string, child: ChildProcess) => void;
}

export function runCli(args: readonly string[], options: CliOptions = {}): Promise<CliResult> {
  const started = Date.now();
  const env = { PATH: process.env.PATH, THINKLENS_CACHE_DIR: mkdtempSync(join(tmpdir(), 'thinklens-cli-cache-')), ...options.env };
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [options.entry ?? CLI_ENTRY, ...args], {
      cwd: options.cwd,
      env,
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d) => (stdout += d));
    child.stderr.on('data', (d) => {
      stderr += d;
      options.onStderr?.(stderr, child);
    });
    const killer = setTimeout(() => child.kill('SIGKILL'), options.killAfterMs ?? 30_000);
    child.on('error', reject);
    child.on('close', (code, signal) => {
      clearTimeout(killer);
      resolve({ code, signal, stdout, stderr, ms: Date.now() - started });
    });
  });
}
