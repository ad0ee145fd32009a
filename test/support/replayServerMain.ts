// Starts a replay server from the command line, for another process (the CLI's tests, VS Code
// integration tests, a person trying the extension without a model):
//
//   node --import tsx test/support/replayServerMain.ts [--port N] [--script file.json]
//
// Prints `listening <baseUrl>` on stdout once it accepts requests and runs until SIGINT/SIGTERM.
// The script format is described at the top of replayServer.ts.

import { readFileSync } from 'node:fs';
import { parseArgs } from 'node:util';
import { responseFromSpec, startReplayServer } from './replayServer';

interface ScriptFile {
  readonly default?: unknown;
  readonly models?: Readonly<Record<string, readonly unknown[]>>;
}

async function main(): Promise<void> {
  const { values } = parseArgs({ options: { port: { type: 'string', default: '0' }, script: { type: 'string' } } });
  const port = Number(values.port);
  if (!Number.isInteger(port) || port < 0 || port > 65535) throw new Error(`--port must be 0-65535, got "${values.port}"`);
  const script: ScriptFile = values.script ? (JSON.parse(readFileSync(values.script, 'utf8')) as ScriptFile) : {};
  const server = await startReplayServer({
    port,
    ...(script.default === undefined ? {} : { defaultResponse: responseFromSpec(script.default) }),
  });
  for (const [model, responses] of Object.entries(script.models ?? {})) server.script(model, responses.map(responseFromSpec));
  process.stdout.write(`listening ${server.baseUrl}\n`);
  const stop = () => void server.close().then(() => process.exit(0));
  process.once('SIGINT', stop);
  process.once('SIGTERM', stop);
}

main().catch((err: unknown) => {
  process.stderr.write(`replay server: ${err instanceof Error ? err.message : String(err)}\n`);
  process.exit(2);
});
