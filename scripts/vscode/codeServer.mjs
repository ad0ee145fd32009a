// Starts and stops code-server (real VS Code served to a browser) for tests and `npm start`.
// Every server gets a free loopback port, no auth, its own user-data and extensions folders and
// its own XDG/TMPDIR folders (otherwise it writes into the home folder), and runs in its own
// process group, because it leaves helper processes (extension host, pty host, watchers) that
// only a group kill reliably ends.
import { spawn } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync, existsSync, readFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { killProcessGroup, onCleanup, processGroupAlive } from './cleanup.mjs';

/** Settings that keep a test workbench free of welcome pages, tips, update checks and telemetry. */
export const quietSettings = {
  'workbench.startupEditor': 'none',
  'workbench.tips.enabled': false,
  'workbench.welcomePage.walkthroughs.openOnInstall': false,
  'workbench.secondarySideBar.defaultVisibility': 'hidden',
  'workbench.enableExperiments': false,
  'security.workspace.trust.enabled': false,
  'telemetry.telemetryLevel': 'off',
  'update.mode': 'none',
  'extensions.autoCheckUpdates': false,
  'extensions.autoUpdate': false,
  'extensions.ignoreRecommendations': true,
  'chat.disableAIFeatures': true,
  'git.openRepositoryInParentFolders': 'never',
};

/**
 * Environment that turns off code-server's extension marketplace: tests never install extensions,
 * and its queries only fill the log with lookup failures on machines without internet.
 */
export const noGalleryEnv = { EXTENSIONS_GALLERY: '{}' };

/** A port that was free a moment ago on 127.0.0.1. */
export function freePort() {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.unref();
    server.on('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      server.close(() => (typeof address === 'object' && address ? resolve(address.port) : reject(new Error('no port'))));
    });
  });
}

/**
 * Writes (merging into) `User/settings.json` of a user-data folder.
 * @param {string} userDataDir
 * @param {Record<string, unknown>} settings
 */
export function seedUserSettings(userDataDir, settings) {
  const file = join(userDataDir, 'User', 'settings.json');
  mkdirSync(join(userDataDir, 'User'), { recursive: true });
  let existing = {};
  if (existsSync(file)) {
    try {
      existing = JSON.parse(readFileSync(file, 'utf8'));
    } catch {
      // a hand-edited file with comments: leave its keys, ours win
    }
  }
  writeFileSync(file, `${JSON.stringify({ ...existing, ...settings }, null, 2)}\n`);
}

/**
 * @typedef {object} CodeServer
 * @property {number} port
 * @property {string} origin              http://127.0.0.1:PORT
 * @property {number} pid                 leader of its process group
 * @property {string} userDataDir
 * @property {string} extensionsDir
 * @property {string} tempDir             XDG folders and TMPDIR live here
 * @property {(absPath: string) => string} remoteUri    vscode-remote:// URI of a path on this machine
 * @property {(options?: { folder?: string, payload?: [string, string][] }) => string} workbenchUrl
 * @property {() => string} output        what code-server printed (last 64 KB)
 * @property {() => Promise<void>} stop   ends the whole process group and removes temp folders
 */

/**
 * @param {object} options
 * @param {import('./installCodeServer.mjs').CodeServerInstall} options.install
 * @param {string} [options.userDataDir]      default: fresh, removed on stop
 * @param {string} [options.extensionsDir]    default: fresh, removed on stop
 * @param {Record<string, unknown>} [options.settings]  merged over quietSettings into User/settings.json
 * @param {boolean} [options.smokeTestDriver] needed for the test payload (extensionTestsPath)
 * @param {string[]} [options.extraArgs]
 * @param {Record<string, string>} [options.env]  added to the server's (and so the extension host's) environment
 * @param {(line: string) => void} [options.log]  each line code-server prints
 * @param {number} [options.startTimeoutMs]
 * @returns {Promise<CodeServer>}
 */
export async function startCodeServer(options) {
  const tempDir = mkdtempSync(join(tmpdir(), 'thinklens-code-server-'));
  const removeTemp = onCleanup(() => rmSync(tempDir, { recursive: true, force: true }));
  const userDataDir = options.userDataDir ?? join(tempDir, 'user-data');
  const extensionsDir = options.extensionsDir ?? join(tempDir, 'extensions');
  for (const dir of [
    userDataDir,
    extensionsDir,
    join(tempDir, 'tmp'),
    join(tempDir, 'config'),
    join(tempDir, 'data'),
    join(tempDir, 'cache'),
  ]) {
    mkdirSync(dir, { recursive: true });
  }
  seedUserSettings(userDataDir, { ...quietSettings, ...(options.settings ?? {}) });

  let lastError;
  for (let attempt = 0; attempt < 3; attempt++) {
    const port = await freePort();
    try {
      const server = await launch({ ...options, port, tempDir, userDataDir, extensionsDir });
      const unregister = onCleanup(() => killProcessGroup(server.pid));
      return {
        ...server,
        async stop() {
          await server.stop();
          unregister();
          rmSync(tempDir, { recursive: true, force: true });
          removeTemp();
        },
      };
    } catch (error) {
      lastError = error;
      // Another process may have taken the port between freePort() and the bind: try another.
      if (!/EADDRINUSE|address already in use/i.test(String(error))) break;
    }
  }
  rmSync(tempDir, { recursive: true, force: true });
  removeTemp();
  throw lastError;
}

async function launch({ install, port, tempDir, userDataDir, extensionsDir, smokeTestDriver, extraArgs, env, log, startTimeoutMs }) {
  const configFile = join(tempDir, 'config.yaml');
  writeFileSync(configFile, `bind-addr: 127.0.0.1:${port}\nauth: none\ncert: false\n`);
  const args = [
    install.entry,
    '--config',
    configFile,
    '--user-data-dir',
    userDataDir,
    '--extensions-dir',
    extensionsDir,
    '--disable-telemetry',
    '--disable-update-check',
    '--disable-workspace-trust',
    '--disable-getting-started-override',
    '--ignore-last-opened',
    ...(smokeTestDriver ? ['--vscode-option', 'enable-smoke-test-driver'] : []),
    ...(extraArgs ?? []),
  ];
  const child = spawn(install.node, args, {
    cwd: tempDir,
    detached: process.platform !== 'win32',
    stdio: ['ignore', 'pipe', 'pipe'],
    env: {
      ...process.env,
      XDG_CONFIG_HOME: join(tempDir, 'config'),
      XDG_DATA_HOME: join(tempDir, 'data'),
      XDG_CACHE_HOME: join(tempDir, 'cache'),
      TMPDIR: join(tempDir, 'tmp'),
      // The server must not think it runs inside a VS Code terminal or under npm's Node 20.
      VSCODE_IPC_HOOK_CLI: '',
      ...(env ?? {}),
    },
  });
  const killNow = onCleanup(() => killProcessGroup(child.pid));
  let output = '';
  let exited = null;
  let partial = '';
  const onData = (chunk) => {
    const text = chunk.toString();
    output = (output + text).slice(-65536);
    if (!log) return;
    partial += text;
    const lines = partial.split('\n');
    partial = lines.pop() ?? '';
    for (const line of lines) if (line.trim()) log(line);
  };
  child.stdout.on('data', onData);
  child.stderr.on('data', onData);
  const exitPromise = new Promise((resolve) => {
    child.on('exit', (code, signal) => {
      exited = { code, signal };
      resolve(exited);
    });
    child.on('error', (error) => {
      exited = { code: null, signal: null, error };
      resolve(exited);
    });
  });

  const origin = `http://127.0.0.1:${port}`;
  const deadline = Date.now() + (startTimeoutMs ?? 60_000);
  for (;;) {
    if (exited) {
      killProcessGroup(child.pid);
      killNow();
      throw new Error(
        `code-server exited while starting (${exited.error?.message ?? exited.signal ?? `exit ${exited.code}`}):\n${output.trim()}`,
      );
    }
    if (Date.now() > deadline) {
      killProcessGroup(child.pid);
      killNow();
      throw new Error(
        `code-server did not answer ${origin}/healthz within ${((startTimeoutMs ?? 60_000) / 1000).toFixed(0)} s:\n${output.trim()}`,
      );
    }
    try {
      const response = await fetch(`${origin}/healthz`, { signal: AbortSignal.timeout(2000) });
      if (response.ok) break;
    } catch {
      // not listening yet
    }
    await new Promise((resolve) => setTimeout(resolve, 200));
  }

  const remoteUri = (absPath) => `vscode-remote://127.0.0.1:${port}${absPath.split('\\').join('/')}`;
  return {
    port,
    origin,
    pid: child.pid,
    userDataDir,
    extensionsDir,
    tempDir,
    remoteUri,
    output: () => output,
    workbenchUrl({ folder, payload } = {}) {
      const query = new URLSearchParams();
      if (folder) query.set('folder', folder);
      if (payload?.length) query.set('payload', JSON.stringify(payload));
      const text = query.toString();
      return `${origin}/${text ? `?${text}` : ''}`;
    },
    async stop() {
      killProcessGroup(child.pid, 'SIGTERM');
      const until = Date.now() + 5000;
      await Promise.race([exitPromise, new Promise((resolve) => setTimeout(resolve, 5000))]);
      // The leader may be gone while helpers linger: wait for the group, then force it.
      while (processGroupAlive(child.pid) && Date.now() < until) await new Promise((resolve) => setTimeout(resolve, 100));
      killProcessGroup(child.pid, 'SIGKILL');
      killNow();
    },
  };
}
