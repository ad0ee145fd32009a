// One registry of "undo" steps for everything the VS Code helpers start (code-server process
// groups, staging folders, temp dirs), so that an interrupted run, a crash or Ctrl+C never leaves
// a server or browser behind. Steps are synchronous on purpose: they must also work inside
// process.on('exit'), where nothing asynchronous runs.

/** @type {Set<() => void>} */
const steps = new Set();
let handlersInstalled = false;

/**
 * Registers a synchronous cleanup step; returns a function that unregisters it (call that once
 * the resource has been released the normal way).
 * @param {() => void} step
 * @returns {() => void}
 */
export function onCleanup(step) {
  steps.add(step);
  return () => {
    steps.delete(step);
  };
}

/** Runs every registered step, newest first, ignoring failures (things may already be gone). */
export function runCleanup() {
  for (const step of [...steps].reverse()) {
    steps.delete(step);
    try {
      step();
    } catch {
      // best effort
    }
  }
}

/**
 * Cleans up on normal exit and on SIGINT/SIGTERM/SIGHUP, then exits with 128 + signal number.
 * @param {{ onSignal?: (signal: NodeJS.Signals) => void }} [options] called first, e.g. to print why
 */
export function installSignalHandlers(options = {}) {
  if (handlersInstalled) return;
  handlersInstalled = true;
  process.on('exit', runCleanup);
  const numbers = { SIGHUP: 1, SIGINT: 2, SIGTERM: 15 };
  for (const [signal, number] of Object.entries(numbers)) {
    process.on(signal, () => {
      options.onSignal?.(/** @type {NodeJS.Signals} */ (signal));
      runCleanup();
      process.exit(128 + number);
    });
  }
}

/**
 * Kills a whole process group (a child spawned with `detached: true` leads its own group).
 * @param {number | undefined} pid
 * @param {NodeJS.Signals} [signal]
 * @returns {boolean} whether a signal was delivered
 */
export function killProcessGroup(pid, signal = 'SIGKILL') {
  if (!pid) return false;
  try {
    process.kill(process.platform === 'win32' ? pid : -pid, signal);
    return true;
  } catch {
    return false;
  }
}

/** Whether any process of the group is still alive. */
export function processGroupAlive(pid) {
  if (!pid) return false;
  try {
    process.kill(process.platform === 'win32' ? pid : -pid, 0);
    return true;
  } catch {
    return false;
  }
}
