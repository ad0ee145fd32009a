// Starts the Ollama-shaped replay server from the command line, for another process (VS Code
// integration tests, a person trying the extension against Ollama's limits without a GPU):
//
//   node --import tsx test/support/ollamaServerMain.ts [--port N] [--line-delay-ms N]
//
// Prints `listening <root>` on stdout once it accepts requests and runs until SIGINT/SIGTERM.
// `GET <root>/__replay/chats` returns what each chat ran with (window, prompt tokens, truncated).

import { parseArgs } from 'node:util';
import { startOllamaServer } from './ollamaServer';

async function main(): Promise<void> {
  const { values } = parseArgs({ options: { port: { type: 'string', default: '0' }, 'line-delay-ms': { type: 'string', default: '0' } } });
  const port = Number(values.port);
  if (!Number.isInteger(port) || port < 0 || port > 65535) throw new Error(`--port must be 0-65535, got "${values.port}"`);
  const lineDelayMs = Number(values['line-delay-ms']);
  if (!Number.isFinite(lineDelayMs) || lineDelayMs < 0)
    throw new Error(`--line-delay-ms must be a number of milliseconds, got "${values['line-delay-ms']}"`);
  const server = await startOllamaServer({ port, lineDelayMs });
  process.stdout.write(`listening ${server.root}\n`);
  const stop = () => void server.close().then(() => process.exit(0));
  process.once('SIGINT', stop);
  process.once('SIGTERM', stop);
}

main().catch((err: unknown) => {
  process.stderr.write(`ollama replay server: ${err instanceof Error ? err.message : String(err)}\n`);
  process.exit(2);
});
