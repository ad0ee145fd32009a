// `npm run package [-- --target linux-x64 ... | --all]`: one VSIX per platform (default: this
// machine's), each carrying only its own node-llama-cpp binaries. The extension, webview and CLI are
// bundled; the only node_modules in a VSIX are the packages the bundles load at run time (the
// externals in esbuild.mjs: openai and node-llama-cpp, with what they depend on) plus that
// platform's binaries. Which of the project's own files ship is .vscodeignore's one decision.
// The README's pictures and links point into the repository (package.json `repository`), as
// absolute URLs set here, so they resolve on the Marketplace and in the Extensions view.
import { execFileSync } from 'node:child_process';
import { cpSync, existsSync, mkdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';

const root = resolve(import.meta.dirname, '..');
const pkg = JSON.parse(readFileSync(join(root, 'package.json'), 'utf8'));
const llamaVersion = JSON.parse(readFileSync(join(root, 'node_modules/node-llama-cpp/package.json'), 'utf8')).version;
const vsce = join(root, 'node_modules/@vscode/vsce/vsce');

/** The packages the bundles import at run time (esbuild.mjs keeps them external). */
const RUNTIME_PACKAGES = ['openai', 'node-llama-cpp'];

/** VS Code target -> node-llama-cpp binary packages. CUDA builds (180-360 MB) are left out: GPU `auto` uses Vulkan or the CPU. */
const TARGETS = {
  'linux-x64': ['linux-x64', 'linux-x64-vulkan'],
  'linux-arm64': ['linux-arm64'],
  'linux-armhf': ['linux-armv7l'],
  'darwin-arm64': ['mac-arm64-metal'],
  'darwin-x64': ['mac-x64'],
  'win32-x64': ['win-x64', 'win-x64-vulkan'],
  'win32-arm64': ['win-arm64'],
};

const args = process.argv.slice(2);
const chosen = args.flatMap((a, i) => (a === '--target' ? [args[i + 1]] : [])).filter(Boolean);
const host = `${process.platform}-${process.arch === 'arm' ? 'armhf' : process.arch}`;
const targets = args.includes('--all') ? Object.keys(TARGETS) : chosen.length ? chosen : [host];
for (const t of targets) if (!TARGETS[t]) throw new Error(`unknown target ${t}; known: ${Object.keys(TARGETS).join(', ')}`);

const run = (cmd, cmdArgs, options = {}) => execFileSync(cmd, cmdArgs, { stdio: 'inherit', ...options });
const npmCli = process.env.npm_execpath && existsSync(process.env.npm_execpath) ? [process.execPath, process.env.npm_execpath] : ['npm'];

/** https://github.com/owner/name from package.json's repository field. */
function repositoryUrl() {
  const url = typeof pkg.repository === 'string' ? pkg.repository : pkg.repository?.url;
  const match = /github\.com[/:]([^/]+\/[^/#]+?)(?:\.git)?\/?$/.exec(url ?? '');
  if (!match)
    throw new Error(
      `package.json "repository" must name a GitHub repository (the README's pictures resolve there), not ${JSON.stringify(url)}`,
    );
  return `https://github.com/${match[1]}`;
}
const repository = repositoryUrl();

run(process.execPath, ['esbuild.mjs', 'extension', 'webview', 'cli', 'mcp'], {
  cwd: root,
  env: { ...process.env, NODE_ENV: 'production' },
});

/** The project's own files that ship: what .vscodeignore leaves (vsce's own reading of it). */
function ownFiles() {
  const out = execFileSync(process.execPath, [vsce, 'ls', '--no-dependencies'], { cwd: root, encoding: 'utf8' });
  return out
    .split('\n')
    .map((line) => line.trim())
    .filter(Boolean);
}

/** RUNTIME_PACKAGES and everything they depend on, as folders under node_modules (npm's hoisted layout). */
function runtimeModules() {
  const found = new Set();
  const visit = (name, from) => {
    let dir = from;
    let folder;
    for (;;) {
      const candidate = join(dir, 'node_modules', name);
      if (existsSync(join(candidate, 'package.json'))) {
        folder = candidate;
        break;
      }
      if (dir === root) throw new Error(`${name} (needed by ${relative(root, from) || 'ThinkLens'}) is not installed; run npm ci`);
      dir = dirname(dir);
      if (dir.endsWith('node_modules')) dir = dirname(dir);
    }
    const path = relative(root, folder);
    if (found.has(path)) return;
    found.add(path);
    // Optional dependencies are platform binaries (node-llama-cpp's come per target below).
    for (const dep of Object.keys(JSON.parse(readFileSync(join(folder, 'package.json'), 'utf8')).dependencies ?? {})) visit(dep, folder);
  };
  for (const name of RUNTIME_PACKAGES) visit(name, root);
  return [...found];
}

const cache = join(root, '.cache', 'package');
const outDir = join(root, 'dist', 'vsix');
mkdirSync(outDir, { recursive: true });
const modules = runtimeModules();
const sizes = [];
const failed = [];

for (const target of targets) {
  try {
    packageTarget(target);
  } catch (error) {
    failed.push(target);
    console.error(`\nthinklens: no VSIX for ${target}: ${error.message.split('\n')[0]}`);
  }
}

console.log('\n| target | node-llama-cpp binaries | VSIX MB |\n|---|---|---|');
for (const [t, b, mb] of sizes) console.log(`| ${t} | ${b} | ${mb} |`);
if (failed.length) {
  console.error(`\nnot built: ${failed.join(', ')} (see the reasons above)`);
  process.exitCode = 1;
}

function packageTarget(target) {
  const stage = join(cache, target);
  rmSync(stage, { recursive: true, force: true });
  mkdirSync(stage, { recursive: true });
  for (const file of ownFiles()) cpSync(join(root, file), join(stage, file), { dereference: true });
  cpSync(join(root, '.vscodeignore'), join(stage, '.vscodeignore'));
  // The VSIX's own dependencies are the runtime packages alone (the rest is bundled), so vsce's
  // `npm list` in the stage sees a complete tree.
  const dependencies = Object.fromEntries(
    RUNTIME_PACKAGES.map((name) => [name, pkg.dependencies?.[name] ?? pkg.optionalDependencies?.[name]]),
  );
  const manifest = {
    ...pkg,
    dependencies,
    optionalDependencies: undefined,
    devDependencies: undefined,
    scripts: undefined,
    allowScripts: undefined,
  };
  writeFileSync(join(stage, 'package.json'), `${JSON.stringify(manifest, null, 2)}\n`);
  for (const mod of modules) cpSync(join(root, mod), join(stage, mod), { recursive: true, dereference: true });
  // This platform's binaries: from node_modules when installed here, else fetched from the registry.
  for (const binary of TARGETS[target]) {
    const name = `@node-llama-cpp/${binary}`;
    const dest = join(stage, 'node_modules', name);
    const local = join(root, 'node_modules', name);
    if (existsSync(local)) cpSync(local, dest, { recursive: true, dereference: true });
    else {
      const tmp = join(cache, 'tarballs');
      mkdirSync(tmp, { recursive: true });
      let file;
      try {
        file = execFileSync(npmCli[0], [...npmCli.slice(1), 'pack', `${name}@${llamaVersion}`, '--silent', '--pack-destination', tmp], {
          encoding: 'utf8',
          stdio: ['ignore', 'pipe', 'ignore'],
        })
          .trim()
          .split('\n')
          .pop();
      } catch {
        // The binaries must match node-llama-cpp's own version exactly, or it refuses to load them.
        throw new Error(`${name}@${llamaVersion} could not be fetched from the npm registry`);
      }
      mkdirSync(dest, { recursive: true });
      run('tar', ['xzf', join(tmp, file), '-C', dest, '--strip-components=1']);
    }
  }
  const vsix = join(outDir, `thinklens-${target}-${pkg.version}.vsix`);
  run(
    process.execPath,
    [
      vsce,
      'package',
      '--target',
      target,
      '--baseContentUrl',
      `${repository}/blob/HEAD`,
      '--baseImagesUrl',
      `${repository}/raw/HEAD`,
      '--out',
      vsix,
    ],
    { cwd: stage },
  );
  sizes.push([target, TARGETS[target].join(', '), (statSync(vsix).size / 1024 ** 2).toFixed(1)]);
}
