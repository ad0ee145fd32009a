// Remedies (core/remedies.ts) for people in VS Code: sentences that name palette commands and
// settings, and the panel's buttons. Pure (no `vscode`), so the unit tests walk every remedy and check
// each command and setting it names against package.json.
import { COMMAND } from '../bridge/commandIds';
import type { ErrorAction, PanelCommand } from '../bridge/protocol';
import { GENERIC_API_KEY_ENV, PRESETS } from '../core/backends/presets';
import { OPTIONS, renderRemedy, type OptionName, type Remedy, type RemedyRenderers } from '../core/remedies';
import type { BackendId } from '../core/types';

/** The palette titles of the commands a remedy names (package.json's category and title). */
export const COMMAND_TITLES: { readonly [K in PanelCommand]: string } = {
  [COMMAND.selectBackend]: 'ThinkLens: Select Backend',
  [COMMAND.setApiKey]: 'ThinkLens: Set API Key',
  [COMMAND.downloadModel]: 'ThinkLens: Download a Local Model',
  [COMMAND.showLog]: 'ThinkLens: Show Log',
  [COMMAND.exportTrace]: 'ThinkLens: Export Reasoning Trace',
};

const setting = (option: OptionName) => `thinklens.${OPTIONS[option].setting}`;
const keyEnv = (backend: BackendId) => PRESETS[backend]?.apiKeyEnv ?? GENERIC_API_KEY_ENV;

/** What one remedy adds to the error: a sentence, and a button when a command does it. */
interface EditorRemedy {
  /** Left out where the button says it all ("Try again"), so the card says nothing twice. */
  readonly text?: string;
  readonly action?: ErrorAction;
}

const EDITOR: RemedyRenderers<EditorRemedy> = {
  'set-key': (r) => ({
    text: `Set a key with '${COMMAND_TITLES[COMMAND.setApiKey]}' or the ${keyEnv(r.backend)} environment variable.`,
    action: { label: 'Set API key', command: COMMAND.setApiKey, backend: r.backend },
  }),
  'use-base-url': (r) => ({
    text: `Set ${setting('baseUrl')} to ${r.url}.`,
    // The host takes the address from the run's own error, never from the button (see RunController.useSuggestedBaseUrl).
    action: { label: `Use ${r.url}`, command: 'use-base-url' },
  }),
  'choose-backend': () => ({ action: { label: 'Switch backend', command: COMMAND.selectBackend } }),
  'set-option': (r) => ({ text: `Set ${setting(r.option)} to ${r.to}.` }),
  'raise-option': (r) => ({ text: `Raise ${setting(r.option)}${r.value !== undefined ? ` (now ${r.value})` : ''}.` }),
  'lower-option': (r) => ({ text: `Lower ${setting(r.option)}.` }),
  'start-server': (r) => ({ text: `Is the ${r.server} server running? Start it, or set ${setting('baseUrl')} to where it listens.` }),
  'pull-model': (r) => ({ text: `Pull it with 'ollama pull ${r.model}'.` }),
  'get-local-model': () => ({
    text: `Run '${COMMAND_TITLES[COMMAND.downloadModel]}', or set ${setting('localModelPath')} to a .gguf file.`,
    action: { label: 'Download model', command: COMMAND.downloadModel },
  }),
  retry: () => ({ action: { label: 'Try again', command: 'rerun' } }),
  'smaller-input': () => ({ text: 'Review a smaller selection or fewer files at once.' }),
  'top-up': (r) => ({ text: `Top up the account with ${r.provider}.` }),
  'server-log': (r) => ({ text: `If it keeps failing, look at the ${r.server} server's log.` }),
  'show-log': () => ({ action: { label: 'Show log', command: COMMAND.showLog } }),
  advice: (r) => ({ text: r.text }),
};

export interface EditorAdvice {
  /** The sentences, in the remedies' order, and the error's note. */
  readonly text: string;
  /** One button per command, in the remedies' order. */
  readonly actions: readonly ErrorAction[];
}

export function editorAdvice(remedies: readonly Remedy[], note?: string): EditorAdvice {
  const rendered = remedies.map((remedy) => renderRemedy(EDITOR, remedy));
  const actions: ErrorAction[] = [];
  for (const { action } of rendered) if (action && !actions.some((a) => a.command === action.command)) actions.push(action);
  if (actions.length === 0 && remedies.length > 0) actions.push(fallbackAction(remedies));
  const text = [...rendered.map((r) => r.text), note].filter((t): t is string => Boolean(t)).join(' ');
  return { text, actions };
}

/** Every error card has a way out: Select Backend when the advice is about the backend, its URL or model, else the log. */
function fallbackAction(remedies: readonly Remedy[]): ErrorAction {
  const aboutSetup = remedies.some(
    (r) => r.kind === 'set-option' && (r.option === 'backend' || r.option === 'baseUrl' || r.option === 'model'),
  );
  return aboutSetup ? { label: 'Select Backend', command: COMMAND.selectBackend } : { label: 'Show log', command: COMMAND.showLog };
}
