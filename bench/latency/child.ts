// One cold session of the latency benchmark (bench/latencyBench.ts), in its own process: the
// llama.cpp replay server in this process (so the client's clock and the server's are one: a
// request has left when the server's handler saw it), then RUNS requests
// either through ThinkLens's engine (loaded after the clock starts) or through a plain `openai` SDK
// call. Prints one JSON line: each run's phases in ms and when its request arrived.
//
//   node child.js thinklens|plain <engine bundle> <runs>
import { startLlamaCppReplay, type LlamaCppReplay } from '../../test/support/llamacppServer';
import { createRequire } from 'node:module';
import type { CodeUnderReview } from '../../src/core/types';
import type * as Engine from './engine';

const MODEL = 'bench-model';
const now = () => performance.timeOrigin + performance.now();

/** A 300-line TypeScript file; the run explains lines 120-150 of it. */
function sourceFile(): string {
  const lines: string[] = [];
  for (let i = 0; i < 100; i++) {
    lines.push(`export function step${i}(items: number[], limit = ${i}): number {`);
    lines.push(`  return items.filter((x) => x > limit).reduce((sum, x) => sum + x * ${i % 7}, 0);`);
    lines.push('}');
  }
  return lines.join('\n') + '\n';
}

export interface ChildRun {
  /** Phases in order, ms each; their sum is the run's time from command to request. */
  readonly phases: Record<string, number>;
  readonly total: number;
  /** Requests the run sent before its chat request (discovery). */
  readonly before: string[];
}

async function main(): Promise<void> {
  const [arm, enginePath, runsArg] = process.argv.slice(2);
  const runs = Number(runsArg ?? 3);
  const answerJson = '{"summary": "No problems found.", "findings": []}';
  const server = await startLlamaCppReplay({
    models: [{ id: MODEL, contextWindow: 32_768, trainedWindow: 32_768 }],
    reasoningFormat: 'deepseek',
    script: {
      reasoning: 'Checking the filter bound and the reduce seed.',
      freeAnswer: `No problems found.\n\n\`\`\`json\n${answerJson}\n\`\`\`\n`,
      answerJson,
    },
  });
  try {
    process.stdout.write(
      JSON.stringify({ arm, runs: await measure(server, arm === 'plain' ? 'plain' : 'thinklens', enginePath!, runs) }) + '\n',
    );
  } finally {
    await server.close();
  }
}

async function measure(server: LlamaCppReplay, arm: 'plain' | 'thinklens', enginePath: string, runs: number): Promise<ChildRun[]> {
  const fileText = sourceFile();
  const code: CodeUnderReview = {
    kind: 'explain',
    path: 'src/steps.ts',
    languageId: 'typescript',
    fileText,
    ranges: [{ startLine: 120, endLine: 150 }],
    question: 'Why does step40 return 0 for [1, 2, 3]?',
  };
  const results: ChildRun[] = [];
  let engine: typeof Engine | undefined;
  let profiles: InstanceType<typeof Engine.ProfileCache> | undefined;
  let backend: ReturnType<typeof Engine.createBackend> | undefined;
  let client: import('openai').OpenAI | undefined;
  for (let run = 0; run < runs; run++) {
    const seen = server.paths.length;
    const phases: Record<string, number> = {};
    const started = now();
    let mark = started;
    const lap = (name: string) => {
      const t = now();
      phases[name] = t - mark;
      mark = t;
    };
    let done: Promise<unknown>;
    if (arm === 'plain') {
      if (!client) {
        const { default: OpenAI } = await import('openai');
        client = new OpenAI({ baseURL: server.baseUrl, apiKey: 'none' });
        lap('load the SDK');
      }
      const messages = [
        { role: 'system' as const, content: 'You review code.' },
        { role: 'user' as const, content: `${code.question}\n\n\`\`\`ts\n${fileText}\`\`\`` },
      ];
      done = client.chat.completions.create({ model: MODEL, messages, stream: true, max_tokens: 4096 }).then(async (stream) => {
        for await (const chunk of stream) void chunk;
      });
    } else {
      if (!engine) {
        // Required, not imported: loading the bundle is what this phase times, as the extension host loads its bundle.
        engine = createRequire(__filename)(enginePath) as typeof Engine;
        profiles = new engine.ProfileCache();
        // One backend for the session, as the extension keeps one while its settings stay (backends.ts).
        backend = engine.createBackend({ backend: 'llamacpp', baseUrl: server.baseUrl, model: MODEL }, {});
        lap('load the engine');
      }
      const signal = new AbortController().signal;
      await profiles!.resolve(backend!, signal);
      lap('discovery');
      const plan = await engine.prepareRun(backend!, { code }, signal, profiles);
      lap('planning and token counting');
      done = engine.runPlanned({ backend: backend!, code, plan, signal, profiles });
    }
    // The request has left once the server's handler has it (it notes the path first).
    const isChat = (path: string) => path.endsWith('/chat/completions');
    while (!server.paths.slice(seen).some(isChat)) await new Promise((ok) => setImmediate(ok));
    const arrived = now();
    phases[arm === 'plain' ? 'send' : 'send (SDK call, request built)'] = arrived - mark;
    await done;
    const sent = server.paths.slice(seen);
    results.push({ phases, total: arrived - started, before: sent.slice(0, sent.findIndex(isChat)) });
  }
  return results;
}

main().catch((err: unknown) => {
  process.stderr.write(`${err instanceof Error ? (err.stack ?? err.message) : String(err)}\n`);
  process.exitCode = 1;
});
