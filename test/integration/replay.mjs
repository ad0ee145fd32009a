// The model stand-in for the workbench checks: the replay server (test/support/replayServerMain.ts)
// in its own process on loopback, and the machine settings that point ThinkLens at it.
import { spawn } from 'node:child_process';
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { onCleanup } from '../../scripts/vscode/cleanup.mjs';
import { projectRoot } from './workbench.mjs';

/**
 * Starts the replay server (it is TypeScript; tsx runs it) on a free port.
 * @returns {Promise<{ baseUrl: string, stop: () => void }>}
 */
export async function startReplay() {
  const child = spawn(process.execPath, ['--import', 'tsx', join(projectRoot, 'test', 'support', 'replayServerMain.ts'), '--port', '0'], {
    cwd: projectRoot,
    // In this process's group: a runner that stops the group (runTests.mjs, Ctrl+C) stops it too.
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const unregister = onCleanup(() => child.kill('SIGKILL'));
  const stop = () => {
    child.kill('SIGTERM');
    unregister();
  };
  let errors = '';
  child.stderr.on('data', (chunk) => (errors += chunk));
  const baseUrl = await new Promise((resolve, reject) => {
    let out = '';
    const timer = setTimeout(() => reject(new Error(`the replay server did not start within 20 s: ${errors}`)), 20_000);
    child.stdout.on('data', (chunk) => {
      out += chunk;
      const match = /listening (\S+)/.exec(out);
      if (match) {
        clearTimeout(timer);
        resolve(match[1]);
      }
    });
    child.on('exit', (code) => {
      clearTimeout(timer);
      reject(new Error(`the replay server exited (${code}): ${errors}`));
    });
  }).catch((error) => {
    stop();
    throw error;
  });
  return { baseUrl, stop };
}

/**
 * Writes `<user-data-dir>/Machine/settings.json`: the settings of the machine code-server runs on.
 * Where code goes is machine-scoped, so in code-server (a remote window) ThinkLens reads the backend
 * from here, not from the browser's user settings.
 */
export function writeMachineSettings(userDataDir, settings) {
  mkdirSync(join(userDataDir, 'Machine'), { recursive: true });
  writeFileSync(join(userDataDir, 'Machine', 'settings.json'), `${JSON.stringify(settings, null, 2)}\n`);
}
