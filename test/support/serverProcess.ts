// A test server (replayServerMain.ts, ollamaServerMain.ts) in a child process, so that the CPU time
// and the handles of this process are the client's alone: the benchmarks and the CLI's tests.
import { spawn } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';

export interface ServerProcess {
  /** What the server printed after `listening `: its base URL or root. */
  readonly url: string;
  stop(): void;
}

/** Starts `main` (a file in test/support) under tsx with `args`, once it prints `listening <url>`. */
export function startServerProcess(main: string, args: readonly string[] = []): Promise<ServerProcess> {
  const child = spawn(process.execPath, ['--import', 'tsx', join(__dirname, main), ...args], { stdio: ['ignore', 'pipe', 'inherit'] });
  const stop = () => void child.kill('SIGTERM');
  return new Promise<ServerProcess>((resolve, reject) => {
    let out = '';
    child.stdout.on('data', (d) => {
      out += d;
      const match = /listening (\S+)/.exec(out);
      if (match) resolve({ url: match[1]!, stop });
    });
    child.once('exit', (code) => reject(new Error(`${main} exited with ${code} before it listened`)));
  });
}

/** The replay server in a child process, playing `script` (the format at the top of replayServer.ts), written into `dir`. */
export function startReplayServerProcess(dir: string, script: object): Promise<ServerProcess> {
  const file = join(dir, 'script.json');
  writeFileSync(file, JSON.stringify(script));
  return startServerProcess('replayServerMain.ts', ['--script', file]);
}
