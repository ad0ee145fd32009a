// What a finished run found: an error with the actions that fix it, or the summary, the engine's
// notes (an unreadable answer, an assumed window), and the findings (or "No findings.").
import { button, el, icon } from '../dom';
import { renderMarkdownInto } from '../markdown';
import { renderFindings, type FindingsHost } from './findingsView';
import type { ErrorView, RunView, WebviewToHost } from '../../bridge/protocol';

export function renderResult(run: RunView, post: (message: WebviewToHost) => void, findingsHost?: FindingsHost): Node[] {
  const parts: Node[] = [];
  const result = run.result;
  if (result?.error) {
    parts.push(renderError(run.header.id, result.error, post));
    // A run its deadline stopped keeps what its finished parts found, under the error that says so.
    const kept = result.findings.length ? renderFindings(run.header.id, result.findings, post, !run.restored, findingsHost) : undefined;
    if (kept) parts.push(kept);
  }
  if (result && !result.error) {
    if (result.summary) {
      const summary = el('div', { className: 'summary markdown', attrs: { 'aria-label': 'Summary' } });
      renderMarkdownInto(summary, result.summary);
      parts.push(el('section', { className: 'summary-section' }, el('h3', { className: 'section-title' }, 'Summary'), summary));
    }
    // The engine's notes are whole sentences (an unreadable answer, a window it had to assume, a repair
    // turn): shown as written, never under a label that may not fit them.
    if (result.problem) parts.push(el('p', { className: 'problem' }, icon('info'), ` ${result.problem}`));
    const findings = renderFindings(run.header.id, result.findings, post, !run.restored, findingsHost);
    if (findings) parts.push(findings);
    else if (!result.problem && !result.cancelled && run.status === 'done')
      parts.push(el('p', { className: 'no-findings' }, icon('pass'), ' No findings.'));
  }
  if (run.trimmed) parts.push(el('p', { className: 'muted' }, 'The saved copy of this run was shortened.'));
  return parts;
}

function renderError(runId: string, error: ErrorView, post: (message: WebviewToHost) => void): HTMLElement {
  const actions = el('div', { className: 'error-actions' });
  for (const action of error.actions) {
    actions.append(
      button(
        action.label,
        action.command === 'rerun' ? 'refresh' : undefined,
        () => {
          if (action.command === 'rerun') post({ type: 'rerun', runId });
          else if (action.command === 'use-base-url') post({ type: 'useBaseUrl', runId });
          else post({ type: 'runCommand', command: action.command, ...(action.backend ? { backend: action.backend } : {}) });
        },
        { secondary: actions.childElementCount > 0 },
      ),
    );
  }
  return el(
    'div',
    { className: 'error-box', attrs: { role: 'group', 'aria-label': 'Error' } },
    el('p', { className: 'error-message' }, icon('error'), ' ', error.message),
    error.hint ? el('p', { className: 'error-hint' }, error.hint) : null,
    error.detail
      ? el('p', { className: 'error-detail' }, el('span', { className: 'muted' }, 'The server said: '), el('code', {}, error.detail))
      : null,
    actions.childElementCount ? actions : null,
  );
}
