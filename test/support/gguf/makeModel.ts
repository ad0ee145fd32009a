// Writes a test or benchmark model:
//   node --import tsx test/support/gguf/makeModel.ts scripted <out.gguf> [--script <json or file>]
//   node --import tsx test/support/gguf/makeModel.ts random-1.5b|random-0.5b <out.gguf> [--f16]
// The script JSON is `{ "reasoning", "prose", "answer": { "summary", "findings": [...] }, "name" }`,
// every key optional (see scriptedModel.ts for the defaults).
import { readFileSync } from 'node:fs';
import { GgmlType } from './ggufWriter';
import { writeScriptedModel } from './scriptedModel';
import type { ScriptOptions } from './scriptedModel';
import { randomModelFile, RANDOM_SHAPES } from './randomModel';

const usage = 'usage: makeModel.ts scripted|random-1.5b|random-0.5b <out.gguf> [--script <json or file>] [--f16]';

function readScript(arg: string): ScriptOptions {
  const text = arg.trimStart().startsWith('{') ? arg : readFileSync(arg, 'utf8');
  return JSON.parse(text) as ScriptOptions;
}

async function main(argv: string[]): Promise<number> {
  const [kind, out, ...rest] = argv;
  if (!kind || !out) {
    process.stderr.write(`${usage}\n`);
    return 2;
  }
  const scriptAt = rest.indexOf('--script');
  if (kind === 'scripted') {
    const script = scriptAt >= 0 && rest[scriptAt + 1] ? readScript(rest[scriptAt + 1]) : {};
    const info = await writeScriptedModel(out, script);
    process.stdout.write(`wrote ${out}: ${info.scriptTokenCount} script tokens, vocabulary ${info.vocabularySize}\n`);
    return 0;
  }
  const shapes = { 'random-1.5b': RANDOM_SHAPES['qwen2-1.5b'], 'random-0.5b': RANDOM_SHAPES['qwen2-0.5b'] } as const;
  if (kind === 'random-1.5b' || kind === 'random-0.5b') {
    const started = Date.now();
    const bytes = await randomModelFile(out, shapes[kind], { type: rest.includes('--f16') ? GgmlType.F16 : GgmlType.Q8_0 });
    process.stdout.write(`wrote ${out}: ${(bytes / 2 ** 30).toFixed(2)} GiB in ${((Date.now() - started) / 1000).toFixed(1)} s\n`);
    return 0;
  }
  process.stderr.write(`unknown model kind "${kind}"\n${usage}\n`);
  return 2;
}

main(process.argv.slice(2)).then(
  (code) => {
    process.exitCode = code;
  },
  (error: unknown) => {
    process.stderr.write(`${error instanceof Error ? error.message : String(error)}\n`);
    process.exitCode = 1;
  },
);
