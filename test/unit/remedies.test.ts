// Remedies as data (core/remedies.ts), worded by each front end. Walks every remedy kind, every
// option, every backend and the remedies the error builders really produce, and checks that the
// editor names only commands and settings package.json has, and the CLI only flags it parses and
// variables it reads.
import { test } from 'node:test';
import * as assert from 'node:assert/strict';
import { readFileSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { COMMAND } from '../../src/bridge/commandIds';
import { PANEL_COMMANDS } from '../../src/bridge/protocol';
import { CLI_FLAGS } from '../../src/cli/args';
import { terminalHint } from '../../src/cli/remedies';
import { apiKeyEnvNames, PRESETS } from '../../src/core/backends/presets';
import type { BackendProfile } from '../../src/core/backends/profile';
import {
  cancelledError,
  httpError,
  htmlPage,
  idleTimeoutError,
  malformedStreamError,
  networkError,
  requestTimeoutError,
  streamCutError,
  streamTooLargeError,
  wrongBaseUrlError,
  type BackendError,
} from '../../src/core/errors';
import { MAX_TOKENS_REMEDIES, windowRemedies } from '../../src/core/plan';
import { OPTIONS, type OptionName, type Remedy, type RemedyKind } from '../../src/core/remedies';
import { BACKEND_IDS } from '../../src/core/types';
import { COMMAND_TITLES, editorAdvice } from '../../src/extension/remedies';

interface Manifest {
  contributes: {
    commands: Array<{ command: string; title: string; category?: string }>;
    configuration: { properties: Record<string, unknown> } | Array<{ properties: Record<string, unknown> }>;
  };
}
const root = join(__dirname, '..', '..');
const manifest = JSON.parse(readFileSync(join(root, 'package.json'), 'utf8')) as Manifest;
const paletteTitles = new Map(manifest.contributes.commands.map((c) => [c.command, `${c.category ? `${c.category}: ` : ''}${c.title}`]));
const configuration = manifest.contributes.configuration;
const settings = new Set(
  Object.keys(Array.isArray(configuration) ? Object.assign({}, ...configuration.map((c) => c.properties)) : configuration.properties),
);
const keyVariables = new Set(Object.values(PRESETS).flatMap((preset) => apiKeyEnvNames(preset)));

const options = Object.keys(OPTIONS) as OptionName[];
/** Every kind with every parameter that changes its wording; a new kind fails to compile until it is here. */
const EXAMPLES: { readonly [K in RemedyKind]: readonly Extract<Remedy, { kind: K }>[] } = {
  'set-key': BACKEND_IDS.map((backend) => ({ kind: 'set-key', backend })),
  'use-base-url': [{ kind: 'use-base-url', url: 'http://127.0.0.1:11434/v1' }],
  'choose-backend': [{ kind: 'choose-backend' }],
  'set-option': options.map((option) => ({ kind: 'set-option', option, to: 'something that works' })),
  'raise-option': options.flatMap(
    (option) =>
      [
        { kind: 'raise-option', option },
        { kind: 'raise-option', option, value: 60 },
      ] as const,
  ),
  'lower-option': options.map((option) => ({ kind: 'lower-option', option })),
  'start-server': [
    { kind: 'start-server', server: 'LM Studio', url: 'http://127.0.0.1:1234/v1' },
    { kind: 'start-server', server: 'Ollama' },
  ],
  'pull-model': [{ kind: 'pull-model', model: 'deepseek-r1:8b' }],
  'get-local-model': [{ kind: 'get-local-model' }],
  retry: [{ kind: 'retry' }],
  'smaller-input': [{ kind: 'smaller-input' }],
  'top-up': [{ kind: 'top-up', provider: 'DeepSeek' }],
  'server-log': [{ kind: 'server-log', server: 'vLLM' }],
  'show-log': [{ kind: 'show-log' }],
  advice: [{ kind: 'advice', text: 'Free some space.' }],
};

/** The errors the builders in core/errors.ts give, for every backend and every status they tell apart. */
function builtErrors(): BackendError[] {
  const out: BackendError[] = [cancelledError()];
  for (const backend of BACKEND_IDS) {
    for (const baseUrl of ['http://127.0.0.1:8080/v1', 'https://api.example.com/v1']) {
      const ctx = { backend, baseUrl, model: 'm', idleTimeoutSeconds: 30, requestTimeoutSeconds: 90 };
      for (const status of [400, 401, 402, 403, 404, 413, 429, 500, 503]) {
        out.push(httpError({ status, serverMessage: 'context length exceeded' }, ctx), httpError({ status, retryAfterSeconds: 3 }, ctx));
      }
      out.push(
        httpError({ status: 404, html: true }, ctx),
        htmlPage(ctx),
        networkError(ctx, 'connection refused'),
        streamCutError(ctx),
        malformedStreamError(ctx),
        idleTimeoutError(ctx),
        requestTimeoutError(ctx),
        streamTooLargeError(ctx, 'event', 10, 5, 'bytes'),
        wrongBaseUrlError(ctx, `${baseUrl}/v1`),
        wrongBaseUrlError(ctx, undefined),
      );
    }
  }
  return out;
}

const profileFor = (backendId: (typeof BACKEND_IDS)[number]) =>
  ({ backendId, raiseWindow: PRESETS[backendId].limits.raiseWindow }) as unknown as BackendProfile;

function allRemedies(): Remedy[] {
  return [
    ...Object.values(EXAMPLES).flat(),
    ...builtErrors().flatMap((e) => e.remedies),
    ...MAX_TOKENS_REMEDIES,
    ...BACKEND_IDS.flatMap((id) => windowRemedies(profileFor(id))),
  ];
}

test('the editor names only palette commands and settings package.json has, and offers only allowed buttons', () => {
  for (const [command, title] of Object.entries(COMMAND_TITLES)) assert.equal(paletteTitles.get(command), title, command);
  const titles = new Set(paletteTitles.values());
  for (const remedy of allRemedies()) {
    const { text, actions } = editorAdvice([remedy]);
    const where = JSON.stringify(remedy);
    for (const [, named] of text.matchAll(/'(ThinkLens: [^']+)'/g))
      assert.ok(titles.has(named!), `${where} names a command that does not exist: ${named}`);
    for (const [named] of text.matchAll(/thinklens\.[A-Za-z.]*[A-Za-z]/g))
      assert.ok(settings.has(named), `${where} names a setting that does not exist: ${named}`);
    for (const action of actions) {
      const special = action.command === 'rerun' || action.command === 'use-base-url';
      assert.ok(special || (PANEL_COMMANDS as readonly string[]).includes(action.command), `${where}: ${action.command}`);
      if (!special) assert.ok(paletteTitles.has(action.command), `${where}: ${action.command} is not in package.json`);
    }
    assert.ok(text || actions.length, `${where} renders to nothing in the editor`);
    // Advice may name a server's own flags (llama-server --ctx-size); ours it may not (checked below).
    if (remedy.kind !== 'advice') assert.doesNotMatch(text, /(?<![\w-])--[a-z]/, `${where} names a CLI flag in the editor: ${text}`);
  }
});

test('the CLI names only flags it parses and variables it reads, never an editor command or setting', () => {
  for (const remedy of allRemedies()) {
    const text = terminalHint([remedy]);
    const where = JSON.stringify(remedy);
    assert.doesNotMatch(text, /ThinkLens:|thinklens\.[a-z]/, `${where} names the editor at a terminal: ${text}`);
    for (const [flag] of text.matchAll(/(?<![\w-])--[a-z][a-z-]*/g)) {
      // The servers' own flags (llama-server --ctx-size, vLLM --max-model-len) are advice about the server.
      if (remedy.kind === 'advice') continue;
      assert.ok(CLI_FLAGS.includes(flag), `${where} names a flag the CLI does not have: ${flag}`);
    }
    for (const [variable] of text.matchAll(/\b[A-Z][A-Z0-9]*_[A-Z0-9_]+\b/g))
      assert.ok(keyVariables.has(variable), `${where}: ${variable}`);
    if (remedy.kind !== 'show-log') assert.ok(text, `${where} renders to nothing at a terminal`);
  }
});

test('advice in core names no command, setting or flag of ours (those are remedies with their own kinds)', () => {
  const texts = new Set<string>();
  for (const remedy of allRemedies()) if (remedy.kind === 'advice') texts.add(remedy.text);
  // Every literal advice in the engine's source, including errors the walk above cannot build.
  const files = readdirSync(join(root, 'src', 'core'), { recursive: true })
    .map(String)
    .filter((f) => f.endsWith('.ts'));
  let literals = 0;
  for (const file of files) {
    const source = readFileSync(join(root, 'src', 'core', file), 'utf8');
    for (const [, text] of source.matchAll(/kind: 'advice', text: (?:'((?:[^'\\]|\\.)*)'|"([^"]*)"|`([^`]*)`)/g)) {
      literals++;
      if (text !== undefined) texts.add(text);
    }
    for (const [, raise] of source.matchAll(/raiseWindow: '([^']*)'/g)) texts.add(raise!);
  }
  assert.ok(literals >= 15, `found ${literals} advice literals: the scan still reads the source`);
  for (const text of texts) {
    assert.doesNotMatch(text, /ThinkLens:|thinklens\.[a-z]/, text);
    for (const flag of CLI_FLAGS) assert.ok(!new RegExp(`(?<![\\w-])${flag}\\b(?!-)`).test(text), `${text} names ${flag}`);
  }
});

test('a missing key: the editor says the palette command and the variable, with a button for this backend; the CLI the variables', () => {
  const remedies: Remedy[] = [{ kind: 'set-key', backend: 'deepseek' }, { kind: 'choose-backend' }];
  assert.deepEqual(editorAdvice(remedies), {
    text: "Set a key with 'ThinkLens: Set API Key' or the DEEPSEEK_API_KEY environment variable.",
    actions: [
      { label: 'Set API key', command: COMMAND.setApiKey, backend: 'deepseek' },
      { label: 'Switch backend', command: COMMAND.selectBackend },
    ],
  });
  assert.equal(
    terminalHint(remedies),
    'Set DEEPSEEK_API_KEY (or THINKLENS_API_KEY) in the environment. Or choose another backend with --backend, or another model with --model.',
  );
  assert.equal(terminalHint([{ kind: 'set-key', backend: 'openai-compatible' }]), 'Set THINKLENS_API_KEY in the environment.');
});

test('a timeout: the setting with its value in the editor, the flag at a terminal', () => {
  const error = requestTimeoutError({ backend: 'ollama', baseUrl: 'http://127.0.0.1:11434', requestTimeoutSeconds: 90 });
  assert.deepEqual(error.remedies, [
    { kind: 'advice', text: 'A local server may still be loading the model.' },
    { kind: 'retry' },
    { kind: 'raise-option', option: 'requestTimeoutSeconds', value: 90 },
  ]);
  const editor = editorAdvice(error.remedies);
  assert.equal(editor.text, 'A local server may still be loading the model. Raise thinklens.requestTimeoutSeconds (now 90).');
  assert.deepEqual(editor.actions, [{ label: 'Try again', command: 'rerun' }]);
  assert.equal(terminalHint(error.remedies), 'A local server may still be loading the model. Run again. Raise --timeout (now 90).');
});

test('a local server that is down is said once: one sentence, and Try again as a button, not also as text', () => {
  const error = networkError({ backend: 'lmstudio', baseUrl: 'http://127.0.0.1:1234/v1' }, 'connection refused');
  assert.deepEqual(error.remedies, [{ kind: 'start-server', server: 'LM Studio', url: 'http://127.0.0.1:1234/v1' }, { kind: 'retry' }]);
  const editor = editorAdvice(error.remedies);
  assert.equal(editor.text, 'Is the LM Studio server running? Start it, or set thinklens.baseUrl to where it listens.');
  assert.deepEqual(
    editor.actions.map((a) => a.label),
    ['Try again'],
  );
  assert.equal(
    terminalHint(error.remedies),
    'Is the LM Studio server running? Start it, or pass --base-url with where it listens. Run again.',
  );
});

test('the local model remedies name the real download command, not one that does not exist', () => {
  const { text, actions } = editorAdvice([{ kind: 'get-local-model' }]);
  assert.equal(text, "Run 'ThinkLens: Download a Local Model', or set thinklens.local.modelPath to a .gguf file.");
  assert.deepEqual(actions, [{ label: 'Download model', command: COMMAND.downloadModel }]);
  assert.equal(terminalHint([{ kind: 'get-local-model' }]), 'Pass --model-path with a .gguf model file.');
  // Options the CLI cannot set are not dressed up as flags.
  assert.equal(
    terminalHint(MAX_TOKENS_REMEDIES),
    'A larger value for the maximum tokens per answer would help; the CLI uses the default. Or lower the reasoning effort.',
  );
  assert.equal(editorAdvice(MAX_TOKENS_REMEDIES).text, 'Raise thinklens.maxTokens. Or lower the reasoning effort.');
});

test('every error card has at least one button, whatever the error', () => {
  for (const error of builtErrors()) {
    if (error.kind === 'cancelled') continue;
    const { actions } = editorAdvice(error.remedies, error.note);
    assert.ok(actions.length > 0, `${error.kind} "${error.message}" has no button`);
  }
  // A 404 with /v1 is about the model: Select Backend picks another; never a card without a way out.
  const modelMissing = httpError({ status: 404 }, { backend: 'vllm', baseUrl: 'http://127.0.0.1:8000/v1', model: 'm' });
  assert.deepEqual(
    editorAdvice(modelMissing.remedies).actions.map((a) => a.label),
    ['Select Backend'],
  );
});

test('a base URL without /v1: "Use …/v1" as the button in the editor, the flag with the address at a terminal', () => {
  const error = wrongBaseUrlError(
    { backend: 'openai-compatible', baseUrl: 'http://127.0.0.1:11434', model: 'deepseek-r1:8b' },
    'http://127.0.0.1:11434/v1',
  );
  assert.equal(
    error.message,
    "OpenAI-compatible server answered 404 at http://127.0.0.1:11434, but answers at http://127.0.0.1:11434/v1: the base URL lacks the API's /v1.",
  );
  const editor = editorAdvice(error.remedies);
  assert.deepEqual(editor.actions, [{ label: 'Use http://127.0.0.1:11434/v1', command: 'use-base-url' }]);
  assert.equal(editor.text, 'Set thinklens.baseUrl to http://127.0.0.1:11434/v1.');
  assert.equal(terminalHint(error.remedies), 'Pass --base-url http://127.0.0.1:11434/v1.');
});
