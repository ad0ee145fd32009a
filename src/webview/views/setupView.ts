// Shown when no backend is configured: one primary action (Select Backend walks through backend,
// address, model and a connection test), then the three kinds of backend, each with the one
// shortcut that is its own. No command appears twice.
import { button, el, icon } from '../dom';
import type { PanelCommand, SetupView, WebviewToHost } from '../../bridge/protocol';
import { COMMAND } from '../../bridge/commandIds';

export function renderSetup(setup: SetupView, post: (message: WebviewToHost) => void): HTMLElement {
  const run = (command: PanelCommand) => () => post({ type: 'runCommand', command });
  return el(
    'section',
    { className: 'setup', attrs: { 'aria-labelledby': 'setup-title' } },
    el('h2', { id: 'setup-title' }, icon('gear'), ' Set up a reasoning model'),
    el('p', { className: 'setup-reason' }, setup.reason),
    el('div', { className: 'setup-actions setup-primary' }, button('Select backend', 'plug', run(COMMAND.selectBackend))),
    el(
      'div',
      { className: 'setup-option' },
      el('h3', {}, icon('cloud'), ' A hosted API'),
      el('p', {}, 'DeepSeek or OpenRouter: paste an API key. Your code is sent to the provider; ThinkLens asks first.'),
      el('div', { className: 'setup-actions' }, button('Set API key', 'key', run(COMMAND.setApiKey), { secondary: true })),
    ),
    el(
      'div',
      { className: 'setup-option' },
      el('h3', {}, icon('server'), ' A server on your machine or network'),
      el(
        'p',
        {},
        'Ollama, LM Studio, llama.cpp, vLLM or SGLang: start the server with a reasoning model, then choose it with Select backend.',
      ),
    ),
    el(
      'div',
      { className: 'setup-option' },
      el('h3', {}, icon('vm'), ' A model inside VS Code'),
      el('p', {}, 'Download a GGUF reasoning model and run it in process; nothing leaves your machine.'),
      el(
        'div',
        { className: 'setup-actions' },
        button('Download model', 'cloud-download', run(COMMAND.downloadModel), { secondary: true }),
      ),
    ),
  );
}
