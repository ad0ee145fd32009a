// The findings of one run, grouped by file, most severe first. Titles, paths and notes are text;
// explanations are sanitized markdown.
import { button, el, icon } from '../dom';
import { renderMarkdown } from '../markdown';
import {
  categoryLabel,
  severityRank,
  type FeedbackMark,
  type FindingView,
  type FixPreview,
  type Severity,
  type WebviewToHost,
} from '../../bridge/protocol';

const SEVERITY_ICON: Readonly<Record<Severity, string>> = { error: 'error', warning: 'warning', info: 'info' };

function lines(f: FindingView): string {
  const { startLine, endLine } = f.range;
  return startLine === endLine ? `line ${startLine}` : `lines ${startLine}–${endLine}`;
}

/** What a finding card asks of its run card beyond host messages. */
export interface FindingsHost {
  /** "Why": show the passages of the reasoning behind the finding. */
  why(findingId: string): void;
  /** Whether the "N more, lower confidence" group is unfolded (kept across re-renders). */
  lowerOpen(): boolean;
  setLowerOpen(open: boolean): void;
  /** The person asked to see the findings dismissed in this workspace. */
  showDismissed(): boolean;
}

/** "3 of 3 samples", for a finding of a run with several samples. */
export function agreementText(f: FindingView): string | undefined {
  return f.agreement && f.agreement.of > 1 ? `${f.agreement.count} of ${f.agreement.of} samples` : undefined;
}

/** Low-confidence findings do not squiggle the code; the run lists them apart, folded. */
export const isLowerConfidence = (f: FindingView): boolean => f.confidence === 'low';

/**
 * `actionable` is false for runs restored from history: the editor no longer holds their findings.
 * Dismissed findings (now, or dismissed before in this workspace) are listed only while the host
 * says the person asked to see them.
 */
export function renderFindings(
  runId: string,
  findings: readonly FindingView[],
  post: (message: WebviewToHost) => void,
  actionable = true,
  host?: FindingsHost,
): HTMLElement | null {
  const showDismissed = host?.showDismissed() ?? false;
  const dismissedAll = findings.filter((f) => f.dismissed && !f.withdrawn);
  const hiddenBefore = dismissedAll.filter((f) => f.dismissedBefore).length;
  const dismissed = dismissedAll.length - hiddenBefore;
  const shown = findings.filter((f) => !f.withdrawn && (!f.dismissed || showDismissed));
  const open = shown.filter((f) => !isLowerConfidence(f));
  const lower = shown.filter(isLowerConfidence);
  const openCount = open.filter((f) => !f.dismissed).length;
  const replaced = findings.filter((f) => f.withdrawn === 'replaced').length;
  const cleared = findings.filter((f) => f.withdrawn === 'cleared').length;
  if (!findings.length) return null;

  const byFile = new Map<string, FindingView[]>();
  for (const finding of open) {
    const list = byFile.get(finding.file.uri) ?? [];
    list.push(finding);
    byFile.set(finding.file.uri, list);
  }
  const groups = [...byFile.values()].map((list) =>
    list.sort((a, b) => severityRank(a.severity) - severityRank(b.severity) || a.range.startLine - b.range.startLine),
  );
  // Files with errors first, then by path.
  groups.sort((a, b) => severityRank(a[0].severity) - severityRank(b[0].severity) || a[0].file.path.localeCompare(b[0].file.path));

  const section = el(
    'section',
    { className: 'findings', attrs: { 'aria-label': 'Findings' } },
    el('h3', { className: 'section-title' }, 'Findings ', el('vscode-badge', { attrs: { variant: 'counter' } }, String(openCount))),
  );
  if (!actionable) {
    section.append(
      el(
        'p',
        { className: 'muted restored-note' },
        icon('history'),
        ' From an earlier session: fixes are no longer available here. Run the review again to get them.',
      ),
    );
  }
  for (const group of groups) {
    const file = group[0].file;
    section.append(
      el(
        'div',
        { className: 'file-group' },
        el('h4', { className: 'file-path', attrs: { title: file.path } }, icon('file'), el('span', {}, file.path)),
        el(
          'ul',
          { className: 'finding-list', attrs: { role: 'list' } },
          ...group.map((f) => renderFinding(runId, f, post, actionable, host)),
        ),
      ),
    );
  }
  if (lower.length) section.append(renderLowerGroup(runId, lower, post, actionable, host));
  const gone = [
    dismissed && !showDismissed ? `${dismissed} dismissed` : '',
    hiddenBefore && !showDismissed ? `${hiddenBefore} hidden because you dismissed ${hiddenBefore === 1 ? 'it' : 'them'} before` : '',
    replaced ? `${replaced} replaced by a newer run over the same code` : '',
    cleared ? `${cleared} cleared from the editor` : '',
  ].filter(Boolean);
  if (gone.length) section.append(el('p', { className: 'muted findings-gone' }, gone.join(' · ')));
  if (dismissedAll.length && host) {
    // One toggle for the whole workspace: the host shows or hides dismissed findings in the editor too.
    const label = showDismissed ? 'Hide dismissed' : `Show ${dismissedAll.length} dismissed`;
    const toggle = el(
      'button',
      { className: 'link-button dismissed-toggle', attrs: { type: 'button', 'aria-pressed': String(showDismissed) } },
      icon(showDismissed ? 'eye-closed' : 'eye'),
      ` ${label}`,
    );
    toggle.addEventListener('click', () => post({ type: 'showDismissed', show: !showDismissed }));
    section.append(el('p', { className: 'dismissed-control' }, toggle));
  }
  return section;
}

/** "N more, lower confidence": folded by default, a disclosure button with the list it controls. */
function renderLowerGroup(
  runId: string,
  lower: FindingView[],
  post: (message: WebviewToHost) => void,
  actionable: boolean,
  host?: FindingsHost,
): HTMLElement {
  const listId = `lower-${runId.replace(/[^A-Za-z0-9_-]/g, '_')}`;
  const open = host?.lowerOpen() ?? false;
  const sorted = [...lower].sort(
    (a, b) =>
      severityRank(a.severity) - severityRank(b.severity) ||
      a.file.path.localeCompare(b.file.path) ||
      a.range.startLine - b.range.startLine,
  );
  const list = el(
    'ul',
    { className: 'finding-list', id: listId, attrs: { role: 'list' } },
    ...sorted.map((f) => renderFinding(runId, f, post, actionable, host)),
  );
  list.hidden = !open;
  const toggle = el(
    'button',
    { className: 'lower-toggle link-button', attrs: { type: 'button', 'aria-expanded': String(open), 'aria-controls': listId } },
    icon(open ? 'chevron-down' : 'chevron-right'),
    ` ${lower.length} more, lower confidence`,
  );
  toggle.title =
    'Findings ThinkLens doubts (the trace retracted them, no reasoning leads to them, or the code was not found). They do not squiggle the editor.';
  toggle.addEventListener('click', () => {
    const next = toggle.getAttribute('aria-expanded') !== 'true';
    toggle.setAttribute('aria-expanded', String(next));
    toggle.firstElementChild?.classList.toggle('codicon-chevron-down', next);
    toggle.firstElementChild?.classList.toggle('codicon-chevron-right', !next);
    list.hidden = !next;
    host?.setLowerOpen(next);
  });
  return el('div', { className: 'lower-confidence' }, toggle, list);
}

function renderFinding(
  runId: string,
  f: FindingView,
  post: (message: WebviewToHost) => void,
  actionable: boolean,
  host?: FindingsHost,
): HTMLElement {
  const reveal = () => post({ type: 'revealFinding', runId, findingId: f.id });
  const title = el(
    'button',
    { className: 'finding-title link-button', attrs: { type: 'button', title: `Go to ${f.file.path}, ${lines(f)}` } },
    f.title,
  );
  title.addEventListener('click', reveal);

  const meta = el(
    'div',
    { className: 'finding-meta' },
    el('span', { className: 'finding-lines' }, lines(f)),
    el('vscode-badge', { className: 'finding-category' }, categoryLabel(f.category)),
    f.locationUncertain &&
      el(
        'span',
        {
          className: 'finding-uncertain',
          attrs: { title: 'The quoted code was not found near these lines; the line numbers are the model’s own claim.' },
        },
        icon('question'),
        ' location uncertain',
      ),
    f.stale && el('span', { className: 'finding-stale' }, icon('history'), ' code changed since the review'),
    agreementText(f) &&
      el(
        'span',
        {
          className: 'finding-agreement',
          attrs: { title: 'In how many independent samples of this review the same finding (by fingerprint) came up' },
        },
        icon('organization'),
        ` ${agreementText(f)}`,
      ),
    f.confidence &&
      f.confidence !== 'high' &&
      el(
        'span',
        { className: `finding-confidence confidence-${f.confidence}`, attrs: { title: f.confidenceReasons?.join('; ') ?? '' } },
        `${f.confidence} confidence`,
      ),
    f.dismissed &&
      el('span', { className: 'finding-dismissed' }, icon('eye-closed'), f.dismissedBefore ? ' dismissed before' : ' dismissed'),
  );
  let why: HTMLElement | null = null;
  if (host) {
    why = el(
      'button',
      {
        className: 'finding-why link-button',
        attrs: { type: 'button', title: 'Show the passages of the reasoning that led to this finding' },
      },
      icon('lightbulb'),
      ' Why',
    );
    why.addEventListener('click', () => host.why(f.id));
  }

  const notes = el('div', { className: 'finding-notes' });
  if (f.fixRefused) notes.append(el('p', { className: 'finding-refused' }, icon('shield'), ` Fix withheld: ${f.fixRefused}`));
  if (f.applied) notes.append(el('p', { className: 'finding-applied' }, icon('check'), ' Fix applied'));

  const actions = el('div', { className: 'finding-actions' });
  const diff = actionable && f.fix && !f.applied && !f.withdrawn ? renderFixDiff(f.fix) : null;
  if (actionable && f.hasFix && !f.fixRefused && !f.applied) {
    const apply = button('Apply fix', 'lightbulb-autofix', () => post({ type: 'applyFix', runId, findingId: f.id }), {
      title: f.stale ? 'The code changed since the review; review again before applying' : 'Apply the suggested change',
    });
    if (f.stale) apply.setAttribute('disabled', '');
    apply.classList.add('apply-fix');
    actions.append(apply);
    const preview = button('Preview…', 'diff', () => post({ type: 'previewFix', runId, findingId: f.id }), {
      secondary: true,
      title: 'Open the change in VS Code’s refactor preview and confirm it there',
    });
    if (f.stale) preview.setAttribute('disabled', '');
    preview.classList.add('preview-fix');
    actions.append(preview);
  }
  if (actionable && !f.applied && !f.dismissed) {
    const dismiss = button('Dismiss', 'close', () => post({ type: 'dismissFinding', runId, findingId: f.id }), { secondary: true });
    dismiss.classList.add('dismiss');
    actions.append(dismiss);
  }
  if (actionable && f.dismissed) {
    const undismiss = button('Undismiss', 'eye', () => post({ type: 'undismissFinding', runId, findingId: f.id }), { secondary: true });
    undismiss.classList.add('undismiss');
    actions.append(undismiss);
  }

  const explanation = el('div', { className: 'finding-explanation markdown' });
  explanation.append(renderMarkdown(f.explanation));

  return el(
    'li',
    {
      className: `finding severity-${f.severity}${f.stale ? ' stale' : ''}${f.dismissed ? ' dismissed-shown' : ''}`,
      attrs: { 'data-finding-id': f.id },
    },
    el('div', { className: 'finding-head' }, icon(SEVERITY_ICON[f.severity], f.severity), title, why),
    meta,
    explanation,
    diff,
    notes.childElementCount ? notes : null,
    actions.childElementCount ? actions : null,
    renderFeedback(runId, f, post, actionable),
  );
}

const MARK_LABEL: Readonly<Record<FeedbackMark, string>> = { helpful: 'Helpful', 'not-helpful': 'Not helpful' };

/** Helpful / Not helpful: two toggles (a pressed one clears the mark); kept in workspace storage, never sent anywhere. */
function renderFeedback(runId: string, f: FindingView, post: (message: WebviewToHost) => void, actionable: boolean): HTMLElement | null {
  if (!actionable) {
    return f.feedback ? el('p', { className: 'feedback muted' }, `Marked ${MARK_LABEL[f.feedback].toLowerCase()}`) : null;
  }
  const toggle = (mark: FeedbackMark, codicon: string) => {
    const pressed = f.feedback === mark;
    const node = el(
      'button',
      {
        className: `link-button feedback-${mark}`,
        attrs: { type: 'button', 'aria-pressed': String(pressed), title: `${MARK_LABEL[mark]} (kept only in this workspace)` },
      },
      icon(codicon),
      ` ${MARK_LABEL[mark]}`,
    );
    node.addEventListener('click', () => post({ type: 'markFinding', runId, findingId: f.id, mark: pressed ? 'none' : mark }));
    return node;
  };
  return el(
    'div',
    { className: 'feedback', attrs: { role: 'group', 'aria-label': 'Was this finding helpful?' } },
    toggle('helpful', 'thumbsup'),
    toggle('not-helpful', 'thumbsdown'),
  );
}

/** The proposed change as a line diff (the lines it removes, then the lines it adds), shown before it is applied. */
function renderFixDiff(fix: FixPreview): HTMLElement {
  const split = (text: string) => (text === '' ? [] : text.split(/\r\n|\r|\n/));
  const removed = split(fix.removed);
  const added = split(fix.added);
  const lines = [
    ...removed.map((line, i) =>
      el(
        'span',
        { className: 'diff-line removed' },
        el('span', { className: 'diff-gutter', attrs: { 'aria-hidden': 'true' } }, `${fix.startLine + i} −`),
        line,
      ),
    ),
    ...added.map((line) =>
      el('span', { className: 'diff-line added' }, el('span', { className: 'diff-gutter', attrs: { 'aria-hidden': 'true' } }, '+'), line),
    ),
  ];
  const summary = `Proposed change: ${removed.length} line${removed.length === 1 ? '' : 's'} removed, ${added.length} added`;
  return el(
    'figure',
    { className: 'fix-diff', attrs: { 'aria-label': summary } },
    el('figcaption', { className: 'muted' }, summary),
    el('pre', {}, ...lines),
  );
}
