// `npm run bench [-- local webview placement]`: runs the benchmarks (all by default), each writing
// its table to bench/results/. Benchmarks measure; they never decide whether tests pass.
import { spawnSync } from 'node:child_process';

const BENCHMARKS = {
  provenance: 'bench/provenance.ts', // evidence and confidence on hand-written R1-style traces (a second)
  placement: 'bench/placement.ts', // answer placement and fix quality on the corpus (about 30 s)
  webview: 'bench/webviewBench.ts', // 25,000-token trace into the real panel in Chromium (a few minutes)
  local: 'bench/localBench.ts', // node-llama-cpp on a random 1.5B-shape model (about 5 minutes, 2 GB on disk)
  stream: 'bench/streamBench.ts', // stream path CPU vs a plain openai SDK loop, 26K tokens over loopback (about 1 minute)
  eventloop: 'bench/eventLoopBench.ts', // event-loop stalls while the local runtime starts, against idle (about 30 s)
  load: 'bench/loadBench.ts', // 20 runs at once then cancel, 200 in a row: heap and handles (about 1 minute)
  latency: 'bench/latencyBench.ts', // command to request: ThinkLens's engine vs a plain openai SDK request, cold and warm (about a minute)
  scaleout: 'bench/scaleout.ts', // the CLI fanning out to a server with a concurrency limit: files/min at 1, 4, 16, 64 (about 1 minute)
  reloads: 'bench/ollamaReloads.ts', // Ollama model reloads of a split, sampled review against a replay that charges each one (about 1 minute)
};
/** Node flags a benchmark needs (the load benchmark reads the heap after a full GC). */
const NODE_FLAGS = { load: ['--expose-gc'] };

const requested = process.argv.slice(2).filter((a) => !a.startsWith('--'));
const passThrough = process.argv.slice(2).filter((a) => a.startsWith('--'));
const names = requested.length ? requested : Object.keys(BENCHMARKS);
let failed = false;
for (const name of names) {
  const file = BENCHMARKS[name];
  if (!file) {
    console.error(`unknown benchmark "${name}"; known: ${Object.keys(BENCHMARKS).join(', ')}`);
    process.exit(2);
  }
  console.log(`\n=== ${name} (${file}) ===`);
  const result = spawnSync(process.execPath, [...(NODE_FLAGS[name] ?? []), '--import', 'tsx', file, ...passThrough], { stdio: 'inherit' });
  failed ||= result.status !== 0;
}
process.exit(failed ? 1 : 0);
