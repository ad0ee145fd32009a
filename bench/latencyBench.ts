// Latency before the first reasoning token: what ThinkLens adds between a command and its request
// leaving (loading the engine, discovery, planning with token counting, building the request)
// against a plain `openai` SDK request to the same replay server, cold (a new session: nothing
// loaded, nothing discovered) and warm (the next runs of that session). Each session is a child
// process holding its own replay server, so client and server share one clock; sessions alternate
// (plain, ThinkLens, ThinkLens, plain, ...) so that other work on the machine falls on both alike.
//
//   node --import tsx bench/latencyBench.ts [--sessions 8] [--runs 3]
//
// Writes bench/results/latency.md. The engine is bundled as esbuild bundles the extension (the
// SDK external and imported on the first request); VS Code's own part of activation (loading the
// extension host's module, `activate()` wiring commands) is not in it (see the notes it writes).
import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { cpus, loadavg } from 'node:os';
import { join, resolve } from 'node:path';
import { parseArgs } from 'node:util';
import * as esbuild from 'esbuild';
import type { ChildRun } from './latency/child';

const { values } = parseArgs({ options: { sessions: { type: 'string', default: '8' }, runs: { type: 'string', default: '3' } } });
const SESSIONS = Number(values.sessions);
const RUNS = Number(values.runs);
const root = resolve(__dirname, '..');

type Arm = 'plain' | 'thinklens';
interface Session {
  readonly arm: Arm;
  readonly runs: ChildRun[];
}

async function bundle(dir: string, entry: string, name: string): Promise<string> {
  const outfile = join(dir, name);
  await esbuild.build({
    entryPoints: [join(root, entry)],
    outfile,
    bundle: true,
    platform: 'node',
    format: 'cjs',
    target: 'node20',
    // As in esbuild.mjs: the SDK loads at run time, on the first request.
    external: ['openai', 'node-llama-cpp', '@node-llama-cpp/*', 'vscode'],
    logLevel: 'error',
  });
  return outfile;
}

function session(child: string, engine: string, arm: Arm): Session {
  const out = execFileSync(process.execPath, [child, arm, engine, String(RUNS)], { cwd: root, encoding: 'utf8', timeout: 120_000 });
  return JSON.parse(out.trim().split('\n').pop()!) as Session;
}

const median = (xs: readonly number[]): number => {
  const s = [...xs].sort((a, b) => a - b);
  const m = s.length >> 1;
  return s.length % 2 ? s[m]! : (s[m - 1]! + s[m]!) / 2;
};
const ms = (x: number) => x.toFixed(x < 10 ? 2 : 1);
const spread = (xs: readonly number[]) => `${ms(median(xs))} (${ms(Math.min(...xs))}–${ms(Math.max(...xs))})`;

function phaseRows(sessions: readonly Session[], run: number): string[] {
  const names = [...new Set(sessions.flatMap((s) => Object.keys(s.runs[run]!.phases)))];
  return names.map((name) => `| ${name} | ${spread(sessions.map((s) => s.runs[run]!.phases[name] ?? 0))} |`);
}

function report(sessions: readonly Session[]): string {
  const plain = sessions.filter((s) => s.arm === 'plain');
  const lens = sessions.filter((s) => s.arm === 'thinklens');
  const loads = loadavg();
  const row = (label: string, run: (s: Session) => number) => {
    const p = plain.map(run);
    const t = lens.map(run);
    return `| ${label} | ${spread(p)} | ${spread(t)} | ${ms(median(t) - median(p))} | ${(median(t) / median(p)).toFixed(2)}× |`;
  };
  const warmRuns = (s: Session) => s.runs.slice(1).map((r) => r.total);
  const warmBefore = lens.flatMap((s) => s.runs.slice(1).flatMap((r) => r.before));
  return `# Latency before the first reasoning token

\`node --import tsx bench/latencyBench.ts --sessions ${SESSIONS} --runs ${RUNS}\` on ${new Date().toISOString().slice(0, 10)}: ${cpus().length} cores (${cpus()[0]?.model.trim()}), shared with other work (load average 1/5/15 min at the end: ${loads.map((l) => l.toFixed(1)).join(' / ')}); Node ${process.version}.

From the command to the request arriving at the server: an explanation of lines 120–150 of a 300-line
TypeScript file through ThinkLens's engine (the llama.cpp preset: discovery asks \`GET /props\`,
then \`prepareRun\` plans, has the server count the prompt with \`POST /apply-template\` and
\`POST /tokenize\`, and fits it; then \`runPlanned\` sends), against a plain \`openai\` SDK
\`chat.completions.create({ stream: true })\` with the same file, to the same llama.cpp replay server
(test/support/llamacppServer.ts, in the measuring process so that both ends share one clock;
"arrived" is when the server's handler saw the chat request). ${SESSIONS} sessions of each, alternating; each session
is a new process (cold: nothing loaded, nothing discovered), then ${RUNS - 1} more runs in it (warm).
Medians, with the range over the sessions in brackets, in ms.

| command → request arrived | plain SDK | ThinkLens | ThinkLens adds (ms) | ratio |
|---|---|---|---|---|
${row('first run of a session (cold)', (s) => s.runs[0]!.total)}
${row('later runs (warm), each', (s) => median(warmRuns(s)))}

Where ThinkLens's time goes, first run:

| phase | ms |
|---|---|
${phaseRows(lens, 0).join('\n')}

Later runs (run 2 of each session):

| phase | ms |
|---|---|
${phaseRows(lens, Math.min(1, RUNS - 1)).join('\n')}

The plain SDK, first run:

| phase | ms |
|---|---|
${phaseRows(plain, 0).join('\n')}

Requests before the chat request: first run ${[...new Set(lens.flatMap((s) => s.runs[0]!.before))].join(', ') || 'none'}; later runs ${warmBefore.length === 0 ? 'none (the session kept the profile and the counts)' : `${warmBefore.length} in all (${[...new Set(warmBefore)].join(', ')})`}.

Notes:
- "load the engine" is requiring the bundled engine (core: backends, planner, prompt, parser) as the
  extension bundle loads it; VS Code's part of activation (the extension host loading
  dist/extension.js and \`activate()\` registering commands and views) is not here: the integration
  layer's activation test prints that time in real VS Code.
- Gathering the code in VS Code (the selection, the enclosing symbol and called signatures through
  VS Code's symbol providers) happens before this and is not measured here either.
- Both arms import the \`openai\` SDK with their first run: the plain one before its request, ThinkLens
  while its discovery asks the server.
- Later runs here review the same code, so the server's counts are the ones kept from the first
  run; a run on other code has its prompt counted again (\`POST /apply-template\` and \`/tokenize\`).
`;
}

async function main(): Promise<void> {
  // Inside the repository, so that the bundles find the SDK in node_modules.
  const dir = mkdtempSync(join(root, 'node_modules', '.thinklens-latency-'));
  try {
    const engine = await bundle(dir, 'bench/latency/engine.ts', 'engine.js');
    const child = await bundle(dir, 'bench/latency/child.ts', 'child.js');
    // One throwaway session of each first: the disk cache warm for both.
    session(child, engine, 'plain');
    session(child, engine, 'thinklens');
    const sessions: Session[] = [];
    for (let i = 0; i < SESSIONS; i++) {
      const order: Arm[] = i % 2 ? ['thinklens', 'plain'] : ['plain', 'thinklens'];
      for (const arm of order) sessions.push(session(child, engine, arm));
      process.stderr.write(`session ${i + 1}/${SESSIONS}\n`);
    }
    const markdown = report(sessions);
    const out = join(__dirname, 'results', 'latency.md');
    writeFileSync(out, markdown);
    process.stdout.write(markdown + `\nwritten to ${out}\n`);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

main().catch((err: unknown) => {
  process.stderr.write(`${err instanceof Error ? (err.stack ?? err.message) : String(err)}\n`);
  process.exitCode = 1;
});
