// `npm test`: every layer in order — lint (ESLint, eslint.config.mjs, then Prettier's check), type-check, unit (src/core +
// CLI), llamaserver (the CLI against llama.cpp's own server, built once from the source node-llama-cpp
// ships), webview (real Chromium), integration (real VS Code). `node scripts/test.mjs unit webview` runs some. Ends with one line
// `N passed, N failed`. A layer that cannot run fails with what to install; none is skipped.
import { spawn, spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, readdirSync, existsSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

const testFiles = (dir) =>
  existsSync(dir)
    ? readdirSync(dir)
        .filter((f) => f.endsWith('.test.ts'))
        .map((f) => join(dir, f))
    : [];

/** Runs node's test runner with a spec reporter for people and a TAP file for the counts. */
function nodeTests(files) {
  if (files.length === 0) return { passed: 0, failed: 1, note: 'no test files found' };
  const dir = mkdtempSync(join(tmpdir(), 'thinklens-tap-'));
  const tap = join(dir, 'report.tap');
  const result = spawnSync(
    process.execPath,
    [
      '--import',
      'tsx',
      '--test',
      '--test-concurrency=1',
      '--test-reporter=spec',
      '--test-reporter-destination=stdout',
      '--test-reporter=tap',
      `--test-reporter-destination=${tap}`,
      ...files,
    ],
    { stdio: 'inherit' },
  );
  const text = existsSync(tap) ? readFileSync(tap, 'utf8') : '';
  rmSync(dir, { recursive: true, force: true });
  const count = (name) => Number(text.match(new RegExp(`^# ${name} (\\d+)$`, 'm'))?.[1] ?? 0);
  const passed = count('pass');
  const failed = count('fail') + count('cancelled');
  return { passed, failed: failed || (result.status !== 0 ? 1 : 0) };
}

function run(command, args) {
  const result = spawnSync(command, args, { stdio: 'inherit' });
  return result.status === 0;
}

const layers = {
  lint: () => {
    if (!run(process.execPath, ['node_modules/eslint/bin/eslint.js', '.']))
      return { passed: 0, failed: 1, note: 'npm run lint lists the problems' };
    if (!run(process.execPath, ['node_modules/prettier/bin/prettier.cjs', '--check', '.'])) {
      return { passed: 0, failed: 1, note: 'the files above are not formatted: npm run format' };
    }
    return { passed: 1, failed: 0 };
  },
  typecheck: () =>
    run(process.execPath, ['node_modules/typescript/bin/tsc', '--noEmit', '-p', '.']) ? { passed: 1, failed: 0 } : { passed: 0, failed: 1 },
  unit: () => {
    if (!run(process.execPath, ['esbuild.mjs', 'cli'])) return { passed: 0, failed: 1, note: 'CLI build failed' };
    return nodeTests([...testFiles('test/unit'), ...testFiles('test/cli')]);
  },
  llamaserver: async () => {
    // The first run on a machine builds llama-server (10–20 minutes on two cores) into the per-user
    // test cache (scripts/testCache.mjs); later runs, from any clone, reuse it. Missing build tools fail the layer with the command that installs them.
    const { ensureLlamaServer } = await import('./llamaServer.mjs');
    const { installSignalHandlers } = await import('./vscode/cleanup.mjs');
    installSignalHandlers(); // an interrupted build stops its compilers and removes its staging folder
    const started = Date.now();
    try {
      const build = await ensureLlamaServer({ log: (line) => console.log(line) });
      console.log(`llama-server: ${build.server} (ready in ${Math.round((Date.now() - started) / 1000)} s)`);
    } catch (error) {
      console.error(error instanceof Error ? error.message : String(error));
      return { passed: 0, failed: 1, note: 'llama-server could not be built; see above' };
    }
    if (!run(process.execPath, ['esbuild.mjs', 'cli'])) return { passed: 0, failed: 1, note: 'CLI build failed' };
    return nodeTests(testFiles('test/llamaserver'));
  },
  webview: () => {
    if (!run(process.execPath, ['esbuild.mjs', 'webview'])) return { passed: 0, failed: 1, note: 'webview build failed' };
    return nodeTests(testFiles('test/webview'));
  },
  integration: async () => {
    // Streamed as it runs (a run takes a minute or more), and kept to read the counts line.
    const child = spawn(process.execPath, ['test/integration/runTests.mjs'], { stdio: ['inherit', 'pipe', 'inherit'] });
    let output = '';
    child.stdout.on('data', (chunk) => {
      process.stdout.write(chunk);
      output += chunk;
    });
    const status = await new Promise((resolve) => child.on('close', resolve));
    const line = /integration: (\d+) passed, (\d+) failed/.exec(output);
    if (!line) return { passed: 0, failed: 1, note: 'the integration runner did not report its counts' };
    const failed = Number(line[2]) || (status !== 0 ? 1 : 0);
    return { passed: Number(line[1]), failed };
  },
};

const requested = process.argv.slice(2);
const selected = requested.length ? requested : Object.keys(layers);
let passed = 0;
let failed = 0;
const summary = [];
const suiteStarted = Date.now();
const minutes = (ms) => `${Math.floor(ms / 60_000)} min ${Math.round((ms % 60_000) / 1000)} s`;
for (const name of selected) {
  const layer = layers[name];
  if (!layer) {
    console.error(`unknown test layer "${name}"; known: ${Object.keys(layers).join(', ')}`);
    process.exit(2);
  }
  console.log(`\n=== ${name} ===`);
  const layerStarted = Date.now();
  const result = await layer();
  const took = minutes(Date.now() - layerStarted);
  passed += result.passed;
  failed += result.failed;
  summary.push(`${name}: ${result.passed} passed, ${result.failed} failed in ${took}${result.note ? ` (${result.note})` : ''}`);
}
console.log(`\n${summary.join('\n')}`);
console.log(`all layers in ${minutes(Date.now() - suiteStarted)}`);
console.log(`${passed} passed, ${failed} failed`);
process.exit(failed === 0 ? 0 : 1);
