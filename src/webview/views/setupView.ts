// Shown when no backend is configured: the three ways to get one, each with its button.
import { button, el, icon } from '../dom';
import type { PanelCommand, SetupView, WebviewToHost } from '../../bridge/protocol';
import { COMMAND } from '../../bridge/commandIds';

export function renderSetup(setup: SetupView, post: (message: WebviewToHost) => void): HTMLElement {
  const run = (command: PanelCommand) => () =>
    post({ type: 'runCommand', command });
  return el(
    'section',
    { className: 'setup', attrs: { 'aria-labelledby': 'setup-title' } },
    el('h2', { id: 'setup-title' }, icon('gear'), ' Set up a reasoning model'),
    el('p', { className: 'setup-reason' }, setup.reason),
    el(
      'div',
      { className: 'setup-option' },
      el('h3', {}, icon('cloud'), ' A hosted API'),
      el('p', {}, 'DeepSeek or OpenRouter: paste an API key. Your code is sent to the provider; ThinkLens asks first.'),
      el('div', { className: 'setup-actions' }, button('Set API key', 'key', run(COMMAND.setApiKey)), button('Choose provider', undefined, run(COMMAND.selectBackend), { secondary: true })),
    ),
    el(
      'div',
      { className: 'setup-option' },
      el('h3', {}, icon('server'), ' A server on your machine or network'),
      el('p', {}, 'Ollama, LM Studio, llama.cpp, vLLM or SGLang: start the server with a reasoning model, then pick it.'),
      el('div', { className: 'setup-actions' }, button('Select backend', 'plug', run(COMMAND.selectBackend))),
    ),
    el(
      'div',
      { className: 'setup-option' },
      el('h3', {}, icon('vm'), ' A model inside VS Code'),
      el('p', {}, 'Download a GGUF reasoning model and run it in process; nothing leaves your machine.'),
      el('div', { className: 'setup-actions' }, button('Download model', 'cloud-download', run(COMMAND.downloadModel))),
    ),
  );
}
