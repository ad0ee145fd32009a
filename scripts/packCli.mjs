// `npm run pack:cli [-- --pack-destination DIR]`: the tarball that installs the `thinklens` command
// (`npm install -g ./thinklens-<version>.tgz`). It carries the CLI bundles (dist/cli.js and the MCP
// server's dist/mcp.js, built by `npm run build`), the README, LICENSE and CHANGELOG, and a manifest of its own:
// - the one runtime dependency the bundle loads from outside it (openai; esbuild.mjs keeps it external);
// - node-llama-cpp, the local-model runtime, as an optional peer: never installed with the command
//   (npm installs a global package's optionalDependencies even with --omit=optional), loaded lazily
//   by --backend local when it is installed beside it;
// - no "private": the project's own package.json keeps it so the repository is never published by
//   accident, and it lists the editor extension's manifest, which the command does not need.
import { execFileSync } from 'node:child_process';
import { copyFileSync, existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';

const root = resolve(import.meta.dirname, '..');
const pkg = JSON.parse(readFileSync(join(root, 'package.json'), 'utf8'));
const args = process.argv.slice(2);
const destination = resolve(
  args[args.indexOf('--pack-destination') + 1] && args.includes('--pack-destination') ? args[args.indexOf('--pack-destination') + 1] : root,
);

/** Only what the bundle needs at run time (the externals in esbuild.mjs). */
const RUNTIME = ['openai'];
const LAZY = 'node-llama-cpp';

for (const bundle of ['cli.js', 'mcp.js'])
  if (!existsSync(join(root, 'dist', bundle))) throw new Error(`dist/${bundle} is not built: run npm run build first`);
const stage = mkdtempSync(join(tmpdir(), 'thinklens-pack-'));
try {
  mkdirSync(join(stage, 'dist'));
  for (const bundle of ['cli.js', 'mcp.js']) copyFileSync(join(root, 'dist', bundle), join(stage, 'dist', bundle));
  for (const file of ['README.md', 'LICENSE', 'CHANGELOG.md']) copyFileSync(join(root, file), join(stage, file));
  const manifest = {
    name: pkg.name,
    version: pkg.version,
    description: pkg.description,
    license: pkg.license,
    repository: pkg.repository,
    bugs: pkg.bugs,
    homepage: pkg.homepage,
    keywords: pkg.keywords,
    engines: { node: pkg.engines.node },
    bin: pkg.bin,
    files: ['dist/cli.js', 'dist/mcp.js', 'CHANGELOG.md'],
    dependencies: Object.fromEntries(RUNTIME.map((name) => [name, pkg.dependencies[name]])),
    peerDependencies: { [LAZY]: pkg.optionalDependencies[LAZY] },
    peerDependenciesMeta: { [LAZY]: { optional: true } },
  };
  writeFileSync(join(stage, 'package.json'), `${JSON.stringify(manifest, null, 2)}\n`);
  const npm = process.env.npm_execpath && existsSync(process.env.npm_execpath) ? [process.execPath, process.env.npm_execpath] : ['npm'];
  const out = execFileSync(npm[0], [...npm.slice(1), 'pack', '--json', '--pack-destination', destination], {
    cwd: stage,
    encoding: 'utf8',
    shell: process.platform === 'win32' && npm[0] === 'npm',
  });
  const [packed] = JSON.parse(out);
  console.log(JSON.stringify({ file: join(destination, packed.filename), files: packed.files.map((f) => f.path), size: packed.size }));
} finally {
  rmSync(stage, { recursive: true, force: true });
}
