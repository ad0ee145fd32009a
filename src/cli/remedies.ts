// Remedies (core/remedies.ts) for people at a terminal: flags and environment variables, never the
// editor's commands. test/unit/remedies.test.ts checks every flag named here is one the CLI parses.
import { apiKeyEnvNames, PRESETS } from '../core/backends/presets';
import { OPTIONS, renderRemedy, type OptionName, type Remedy, type RemedyRenderers } from '../core/remedies';

const flagOr = (option: OptionName, withFlag: (flag: string) => string, without: string): string => {
  const entry = OPTIONS[option];
  return 'flag' in entry ? withFlag(entry.flag) : without;
};

const TERMINAL: RemedyRenderers<string | undefined> = {
  'set-key': (r) => {
    const [generic, own] = apiKeyEnvNames(PRESETS[r.backend]);
    return own ? `Set ${own} (or ${generic}) in the environment.` : `Set ${generic} in the environment.`;
  },
  'use-base-url': (r) => `Pass --base-url ${r.url}.`,
  'choose-backend': () => 'Or choose another backend with --backend, or another model with --model.',
  'set-option': (r) => flagOr(r.option, (flag) => `Pass ${flag} with ${r.to}.`, `Set ${OPTIONS[r.option].what} to ${r.to}.`),
  'raise-option': (r) =>
    flagOr(
      r.option,
      (flag) => `Raise ${flag}${r.value !== undefined ? ` (now ${r.value})` : ''}.`,
      `A larger value for ${OPTIONS[r.option].what} would help; the CLI uses the default.`,
    ),
  'lower-option': (r) => flagOr(r.option, (flag) => `Lower ${flag}.`, `Lower ${OPTIONS[r.option].what}.`),
  'start-server': (r) => `Is the ${r.server} server running? Start it, or pass --base-url with where it listens.`,
  'pull-model': (r) => `Pull it with 'ollama pull ${r.model}'.`,
  'get-local-model': () => 'Pass --model-path with a .gguf model file.',
  retry: () => 'Run again.',
  'smaller-input': () => 'Review fewer or smaller files at once.',
  'top-up': (r) => `Top up the account with ${r.provider}.`,
  'server-log': (r) => `If it keeps failing, look at the ${r.server} server's log.`,
  // The CLI prints the server's own words after the hint; there is no other log.
  'show-log': () => undefined,
  advice: (r) => r.text,
};

/** The sentences a terminal user reads after the error's message. */
export function terminalHint(remedies: readonly Remedy[], note?: string): string {
  return [...remedies.map((remedy) => renderRemedy(TERMINAL, remedy)), note].filter((t): t is string => Boolean(t)).join(' ');
}
