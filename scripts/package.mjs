// `npm run package [-- --target linux-x64 ... | --all]`: one VSIX per platform (default: this
// machine's), each carrying only its own
// node-llama-cpp binaries. The extension, webview and CLI are bundled; the only node_modules in a
// VSIX are the runtime ones (openai, node-llama-cpp and theirs) plus that platform's binaries.
import { execFileSync } from 'node:child_process';
import { cpSync, existsSync, mkdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { join, relative, resolve } from 'node:path';

const root = resolve(import.meta.dirname, '..');
const pkg = JSON.parse(readFileSync(join(root, 'package.json'), 'utf8'));
const llamaVersion = JSON.parse(readFileSync(join(root, 'node_modules/node-llama-cpp/package.json'), 'utf8')).version;

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

run(process.execPath, ['esbuild.mjs', 'extension', 'webview', 'cli'], { cwd: root, env: { ...process.env, NODE_ENV: 'production' } });

/** Runtime packages (not dev, not the binary packages) as folders under node_modules. */
function runtimeModules() {
  const out = execFileSync(npmCli[0], [...npmCli.slice(1), 'ls', '--omit=dev', '--omit=optional', '--all', '--parseable'], { cwd: root, encoding: 'utf8' });
  return out.split('\n').filter((p) => p.includes('node_modules')).map((p) => relative(root, p)).filter((p) => !p.includes('@node-llama-cpp'));
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
  const manifest = { ...pkg, devDependencies: undefined, scripts: undefined, allowScripts: undefined };
  writeFileSync(join(stage, 'package.json'), JSON.stringify(manifest, null, 2));
  // The pictures live in the repository (relative links vsce cannot resolve without a repository URL).
  const readme = readFileSync(join(root, 'README.md'), 'utf8').replace(/## What it looks like[\s\S]*?(?=\n## )/, '');
  writeFileSync(join(stage, 'README.md'), readme);
  for (const file of ['LICENSE', 'dist/extension.js', 'dist/cli.js', 'media', 'samples/src/cart.ts']) {
    if (existsSync(join(root, file))) cpSync(join(root, file), join(stage, file), { recursive: true });
  }
  for (const mod of modules) cpSync(join(root, mod), join(stage, mod), { recursive: true, dereference: true });
  // This platform's binaries: from node_modules when installed here, else fetched from the registry.
  for (const binary of TARGETS[target]) {
    const name = `@node-llama-cpp/${binary}`;
    const dest = join(stage, 'node_modules', name);
    const local = join(root, 'node_modules', name);
    if (existsSync(local)) cpSync(local, dest, { recursive: true });
    else {
      const tmp = join(cache, 'tarballs');
      mkdirSync(tmp, { recursive: true });
      let file;
      try {
        file = execFileSync(npmCli[0], [...npmCli.slice(1), 'pack', `${name}@${llamaVersion}`, '--silent', '--pack-destination', tmp], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] }).trim().split('\n').pop();
      } catch {
        // The binaries must match node-llama-cpp's own version exactly, or it refuses to load them.
        throw new Error(`${name}@${llamaVersion} could not be fetched from the npm registry`);
      }
      mkdirSync(dest, { recursive: true });
      run('tar', ['xzf', join(tmp, file), '-C', dest, '--strip-components=1']);
    }
  }
  writeFileSync(join(stage, '.vscodeignore'), [
    '**/*.map', '**/*.d.ts', '**/*.md', '!README.md', '!media/walkthrough/*.md', '**/test/**', '**/tests/**',
    'node_modules/node-llama-cpp/llama/gitRelease.bundle', 'node_modules/node-llama-cpp/templates/**',
    'node_modules/openai/src/**', '**/*.mts', '**/*.cts',
  ].join('\n'));
  const vsix = join(outDir, `thinklens-${target}-${pkg.version}.vsix`);
  run(process.execPath, [join(root, 'node_modules/@vscode/vsce/vsce'), 'package', '--target', target, '--allow-missing-repository', '--out', vsix], { cwd: stage });
  sizes.push([target, TARGETS[target].join(', '), (statSync(vsix).size / 1024 ** 2).toFixed(1)]);
}
