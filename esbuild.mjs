// Bundles every entry point. `node esbuild.mjs` builds all; `node esbuild.mjs cli webview` builds some;
// `--watch` rebuilds on change. Type-checking is tsc's job (`npm run typecheck`).
import * as esbuild from 'esbuild';
import { createHash } from 'node:crypto';
import { readdirSync, existsSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { pathToFileURL } from 'node:url';

const production = process.env.NODE_ENV === 'production';
const common = { bundle: true, sourcemap: !production, minify: production, logLevel: 'warning', legalComments: 'none' };
// Native or heavy modules stay outside the bundle and load at run time, lazily (docs/ARCHITECTURE.md): the
// openai SDK and node-llama-cpp are required only by the first run, which tests can verify.
const nodeExternals = ['vscode', 'openai', 'node-llama-cpp', '@node-llama-cpp/*'];

// KaTeX's stylesheet names each font in three formats; the panel runs in Chromium, which takes
// woff2, so only those are bundled (a third of the size).
const katexWoff2Only = {
  name: 'katex-woff2-only',
  setup(build) {
    build.onLoad({ filter: /katex[\\/]dist[\\/]katex\.css$/ }, (args) => ({
      contents: readFileSync(args.path, 'utf8').replace(
        /,\s*url\([^)]*\.woff\) format\("woff"\)\s*,\s*url\([^)]*\.ttf\) format\("truetype"\)/g,
        '',
      ),
      loader: 'css',
      resolveDir: dirname(args.path),
    }));
  },
};

const integrationTests = () =>
  existsSync('test/integration/suite')
    ? readdirSync('test/integration/suite')
        .filter((f) => f.endsWith('.ts'))
        .map((f) => join('test/integration/suite', f))
    : [];

/**
 * How the panel draws TeX: KaTeX's MathML (laid out natively, a fraction of the nodes of its HTML),
 * and only for the stretches of a trace near view. bench/webviewBench.ts --math builds the other
 * choices to compare them (bench/results/webview-math.md).
 */
export const mathRendering = { output: 'mathml', defer: true };

export const targets = {
  extension: {
    ...common,
    entryPoints: ['src/extension/extension.ts'],
    outfile: 'dist/extension.js',
    platform: 'node',
    format: 'cjs',
    target: 'node20',
    external: nodeExternals,
    // jsonc-parser's `main` is a UMD build whose requires esbuild cannot follow; its ES build bundles.
    alias: { 'jsonc-parser': './node_modules/jsonc-parser/lib/esm/main.js' },
  },
  cli: {
    ...common,
    entryPoints: ['src/cli/main.ts'],
    outfile: 'dist/cli.js',
    platform: 'node',
    format: 'cjs',
    target: 'node20',
    // `thinklens mcp` loads the MCP server (the SDK and zod) from its own bundle, so review and explain start as fast as before.
    external: [...nodeExternals, './mcp.js'],
    banner: { js: '#!/usr/bin/env node' },
    define: {
      THINKLENS_VERSION: JSON.stringify(JSON.parse(readFileSync('package.json', 'utf8')).version),
      THINKLENS_ENGINE_BUILD: JSON.stringify(engineBuildId()),
    },
  },
  mcp: {
    ...common,
    entryPoints: ['src/mcp/server.ts'],
    outfile: 'dist/mcp.js',
    platform: 'node',
    format: 'cjs',
    target: 'node20',
    external: nodeExternals,
    define: { THINKLENS_ENGINE_BUILD: JSON.stringify(engineBuildId()) },
  },
  webview: {
    ...common,
    entryPoints: { webview: 'src/webview/main.ts' },
    outdir: 'media/dist',
    platform: 'browser',
    format: 'iife',
    target: 'chrome120',
    loader: { '.ttf': 'file', '.woff2': 'file', '.css': 'css' },
    plugins: [katexWoff2Only],
    define: mathDefines(mathRendering),
  },
  tests: {
    ...common,
    entryPoints: integrationTests(),
    outdir: 'dist/test/integration',
    outbase: 'test/integration',
    platform: 'node',
    format: 'cjs',
    target: 'node20',
    external: [...nodeExternals, 'mocha'],
  },
};

/** The build constants src/webview/math.ts and traceWriter.ts read. */
export function mathDefines({ output, defer }) {
  return { THINKLENS_MATH_OUTPUT: JSON.stringify(output), THINKLENS_MATH_DEFER: JSON.stringify(defer) };
}

async function buildSelected() {
  const args = process.argv.slice(2);
  const watch = args.includes('--watch');
  const names = args.filter((a) => !a.startsWith('--'));
  const selected = names.length ? names : Object.keys(targets);
  for (const name of selected) {
    const options = targets[name];
    if (!options) throw new Error(`unknown build target "${name}"; known: ${Object.keys(targets).join(', ')}`);
    if (options.entryPoints.length === 0 || (Array.isArray(options.entryPoints) && !options.entryPoints.every(existsSync))) {
      if (name === 'tests') continue;
    }
    if (watch) await (await esbuild.context(options)).watch();
    else await esbuild.build(options);
  }
}

// Imported (by the math benchmark) it only lends its options; run, it builds.
if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) {
  buildSelected().catch((err) => {
    console.error(err instanceof Error ? err.message : err);
    process.exitCode = 1;
  });
}

/**
 * A hash of the engine's and the CLI's sources: the CLI's result cache keys on it, so a build that
 * splits or parses differently never serves an older build's stored results.
 */
function engineBuildId() {
  const hash = createHash('sha256');
  for (const dir of ['src/core', 'src/cli']) {
    for (const file of readdirSync(dir, { recursive: true }).map(String).sort()) {
      const path = join(dir, file);
      if (path.endsWith('.ts')) hash.update(path).update(readFileSync(path));
    }
  }
  return hash.digest('hex').slice(0, 16);
}
