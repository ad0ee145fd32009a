// Builds llama.cpp's own OpenAI-compatible `llama-server` for the test layer that talks to a real
// server. No binary of it can be downloaded on every machine, but node-llama-cpp ships the exact
// llama.cpp source it was built from as a git bundle, and that source builds the server with
// cmake and a C++ compiler. The build takes 10–20 minutes on two cores, so it is cached in the
// per-user test cache (scripts/testCache.mjs) as `llama-server-<llama.cpp release>/` and reused by
// every later run of every clone.
//
//   node scripts/llamaServer.mjs      builds (or finds) the server and prints its path
//
// The build runs in a staging folder that is renamed into place only when complete, so an
// interrupted build never looks finished; a lock file makes a second, concurrent run wait for the
// first instead of building the same thing twice.
import { spawn, spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, renameSync, rmSync, writeFileSync, readdirSync } from 'node:fs';
import { cpus } from 'node:os';
import { basename, delimiter, dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { killProcessGroup, onCleanup } from './vscode/cleanup.mjs';
import { testCacheDir, underLock } from './testCache.mjs';

export const projectRoot = resolve(dirname(fileURLToPath(import.meta.url)), '..');
export const defaultCacheDir = testCacheDir();
const llamaSourceDir = join(projectRoot, 'node_modules', 'node-llama-cpp', 'llama');

/**
 * Everything not needed for `llama-server` on a CPU is switched off to cut the build time:
 * no tests, examples, unified app, web UI (whose prebuilt copy would be downloaded), HTTPS or curl.
 * The build rpath is relative ($ORIGIN) so the binaries still find their shared libraries after
 * the staging folder is renamed.
 */
export const cmakeOptions = [
  '-DCMAKE_BUILD_TYPE=Release',
  '-DLLAMA_CURL=OFF',
  '-DLLAMA_OPENSSL=OFF',
  '-DLLAMA_BUILD_TESTS=OFF',
  '-DLLAMA_BUILD_EXAMPLES=OFF',
  '-DLLAMA_BUILD_APP=OFF',
  '-DLLAMA_BUILD_UI=OFF',
  '-DLLAMA_USE_PREBUILT_UI=OFF',
  '-DLLAMA_BUILD_SERVER=ON',
  '-DLLAMA_BUILD_TOOLS=ON',
  '-DGGML_NATIVE=ON',
  '-DCMAKE_BUILD_RPATH_USE_ORIGIN=ON',
];

/** The llama.cpp release node-llama-cpp was built from (names the cache folder). */
export function llamaCppRelease() {
  const info = JSON.parse(readFileSync(join(llamaSourceDir, 'llama.cpp.info.json'), 'utf8'));
  if (typeof info.tag !== 'string' || !/^[\w.-]+$/.test(info.tag)) {
    throw new Error(`unexpected llama.cpp release tag ${JSON.stringify(info.tag)} in ${llamaSourceDir}/llama.cpp.info.json`);
  }
  return info.tag;
}

function onPath(command) {
  return (process.env.PATH ?? '').split(delimiter).some((dir) => dir && existsSync(join(dir, command)));
}

/**
 * Fails at once, with the command to run, when a build tool is missing — before cloning anything.
 */
export function checkBuildPrerequisites() {
  const missing = [];
  if (!onPath('cmake')) missing.push('cmake');
  if (!onPath('g++') && !onPath('c++')) missing.push('g++');
  if (!onPath('make') && !onPath('ninja')) missing.push('make');
  if (!onPath('git')) missing.push('git');
  if (!missing.length) return;
  const debianPackages = [...new Set(missing.map((tool) => (tool === 'g++' || tool === 'make' ? 'build-essential' : tool)))];
  throw new Error(
    `llama-server cannot be built: ${missing.join(', ')} ${missing.length > 1 ? 'are' : 'is'} missing.\n` +
      `run: apt-get install -y ${debianPackages.join(' ')}   (or your system's packages for them)`,
  );
}

function paths(cacheDir) {
  const home = join(cacheDir, `llama-server-${llamaCppRelease()}`);
  const binDir = join(home, 'build', 'bin');
  return { home, binDir, server: join(binDir, process.platform === 'win32' ? 'llama-server.exe' : 'llama-server'), lock: `${home}.lock` };
}

/**
 * @typedef {object} LlamaServerBuild
 * @property {string} server   the llama-server executable
 * @property {string} binDir   its folder, which also holds the shared libraries
 * @property {NodeJS.ProcessEnv} env  an environment that finds those libraries
 * @property {string} release  the llama.cpp release it was built from
 */

/** The finished build, else undefined. Cheap: only looks at files. */
export function findLlamaServer(cacheDir = defaultCacheDir) {
  const p = paths(cacheDir);
  if (!existsSync(join(p.home, '.complete')) || !existsSync(p.server)) return undefined;
  const libraryPath = process.platform === 'darwin' ? 'DYLD_LIBRARY_PATH' : 'LD_LIBRARY_PATH';
  const env = { ...process.env, [libraryPath]: [p.binDir, process.env[libraryPath]].filter(Boolean).join(delimiter) };
  return { server: p.server, binDir: p.binDir, env, release: llamaCppRelease() };
}

/** Runs a command in its own process group, killed if this process is interrupted; rejects with its tail. */
function runStep(command, args, { cwd, log }) {
  return new Promise((resolvePromise, reject) => {
    const child = spawn(command, args, { cwd, stdio: ['ignore', 'pipe', 'pipe'], detached: process.platform !== 'win32' });
    const stop = onCleanup(() => killProcessGroup(child.pid));
    let tail = '';
    const keep = (chunk) => {
      tail = (tail + chunk.toString()).slice(-8000);
    };
    child.stdout.on('data', keep);
    child.stderr.on('data', keep);
    child.on('error', (error) => {
      stop();
      reject(new Error(`could not run ${command}: ${error.message}`));
    });
    child.on('close', (code, signal) => {
      stop();
      if (code === 0) return resolvePromise();
      log(tail.trim());
      reject(new Error(`${command} ${args.join(' ')} failed (${signal ?? `exit ${code}`}); its output is above`));
    });
  });
}

/**
 * Makes sure llama-server is built in the cache folder; fast when it already is. When another
 * process is building it, waits for that build.
 * @param {{ cacheDir?: string, log?: (line: string) => void, jobs?: number }} [options]
 * @returns {Promise<LlamaServerBuild>}
 */
export async function ensureLlamaServer(options = {}) {
  const cacheDir = options.cacheDir ?? defaultCacheDir;
  const log = options.log ?? ((line) => process.stderr.write(`${line}\n`));
  const found = findLlamaServer(cacheDir);
  if (found) return found;

  const p = paths(cacheDir);
  return underLock({
    lock: p.lock,
    what: 'llama-server',
    verb: 'built',
    find: () => findLlamaServer(cacheDir),
    work: () => build(cacheDir, p, options, log),
    log,
    onCleanup,
  });
}

/** Builds llama-server into the cache; the caller holds the lock. */
async function build(cacheDir, p, options, log) {
  const staging = `${p.home}.staging-${process.pid}`;
  const removeStaging = onCleanup(() => rmSync(staging, { recursive: true, force: true }));
  try {
    checkBuildPrerequisites();
    const started = Date.now();
    const jobs = options.jobs ?? Math.max(1, cpus().length);
    // We hold the lock: staging folders left by interrupted runs are nobody's.
    for (const entry of readdirSync(dirname(p.home))) {
      if (entry.startsWith(`${basename(p.home)}.staging-`)) rmSync(join(dirname(p.home), entry), { recursive: true, force: true });
    }
    mkdirSync(staging, { recursive: true });
    const source = join(staging, 'llama.cpp');
    const buildDir = join(staging, 'build');
    log(`Building llama-server ${llamaCppRelease()} into ${p.home} (10–20 minutes on two cores, once) ...`);
    await runStep('git', ['clone', '-q', join(llamaSourceDir, 'gitRelease.bundle'), source], { log });
    await runStep('cmake', ['-S', source, '-B', buildDir, ...cmakeOptions], { log });
    await runStep('cmake', ['--build', buildDir, '--target', 'llama-server', `-j${jobs}`], { log });
    if (!existsSync(join(buildDir, 'bin', 'llama-server')))
      throw new Error(`the build finished but ${buildDir}/bin/llama-server is missing`);
    // Only build/bin is needed to run the server: drop the source and object files (hundreds of MB).
    rmSync(source, { recursive: true, force: true });
    for (const entry of readdirSync(buildDir)) if (entry !== 'bin') rmSync(join(buildDir, entry), { recursive: true, force: true });
    const seconds = Math.round((Date.now() - started) / 1000);
    writeFileSync(
      join(staging, '.complete'),
      JSON.stringify({ release: llamaCppRelease(), cmakeOptions, jobs, buildSeconds: seconds }, null, 2) + '\n',
    );
    rmSync(p.home, { recursive: true, force: true });
    renameSync(staging, p.home);
    log(`Built llama-server in ${seconds} s.`);
  } finally {
    rmSync(staging, { recursive: true, force: true });
    removeStaging();
  }
  const built = findLlamaServer(cacheDir);
  if (!built) throw new Error(`llama-server was built into ${p.home} but ${p.server} is missing; delete ${p.home} and retry`);
  return built;
}

/** What `llama-server --version` prints, for logs. */
export function llamaServerVersion(build) {
  const result = spawnSync(build.server, ['--version'], { env: build.env, encoding: 'utf8' });
  return `${result.stdout ?? ''}${result.stderr ?? ''}`
    .trim()
    .split('\n')
    .filter((line) => /version|built/i.test(line))
    .join('; ');
}

if (process.argv[1] && resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  const { installSignalHandlers } = await import('./vscode/cleanup.mjs');
  installSignalHandlers();
  try {
    const build = await ensureLlamaServer();
    console.log(`llama-server: ${build.server}`);
    console.log(`libraries:    ${build.binDir} (LD_LIBRARY_PATH)`);
    console.log(`version:      ${llamaServerVersion(build)}`);
  } catch (error) {
    console.error(error instanceof Error ? error.message : String(error));
    process.exit(1);
  }
}
