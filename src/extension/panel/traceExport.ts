// A run as a file a person can keep or attach to an issue: Markdown to read, JSON to process.
// No `vscode` import; ReviewPanel asks where to save.
import type { EvidenceSpan, FeedbackMark, FindingView, RunView, UsageView } from '../../bridge/protocol';

/** A passage of the reasoning behind a finding: offsets into the trace it came from, and the text there. */
export interface ExportedEvidence extends EvidenceSpan {
  /** Absent when the text at the offsets is not in this copy (see `evidenceNote`). */
  readonly text?: string;
}

/**
 * A finding as exported: the panel's view, with the text of each evidence passage and the person's
 * mark (`null` when unmarked, so marked and unmarked findings can be counted).
 */
export interface ExportedFinding extends Omit<FindingView, 'evidence' | 'feedback'> {
  readonly evidence: readonly ExportedEvidence[];
  /** Why some passages have no text. */
  readonly evidenceNote?: string;
  readonly feedback: FeedbackMark | null;
}

export interface ExportedRun {
  readonly format: 'thinklens-trace';
  readonly version: 1;
  readonly id: string;
  readonly kind: string;
  readonly title: string;
  readonly file?: { readonly uri: string; readonly path: string };
  readonly backend: string;
  readonly model: string;
  readonly startedAt: string;
  readonly finishedAt?: string;
  readonly status: string;
  readonly parentRunId?: string;
  readonly prompt?: string;
  readonly reasoning: string;
  readonly reasoningShortened: boolean;
  readonly answer: string;
  readonly summary?: string;
  readonly problem?: string;
  readonly error?: { readonly kind: string; readonly message: string; readonly detail?: string };
  readonly findings: readonly ExportedFinding[];
  readonly usage?: UsageView;
}

/** Each finding with the reasoning text at its evidence offsets, from the trace of the sample it came from. */
export function exportedFindings(run: RunView): ExportedFinding[] {
  const samples = run.result?.samples;
  return (run.result?.findings ?? []).map((finding) => {
    const { evidence = [], feedback, ...rest } = finding;
    // Offsets point into the trace of the sample the finding came from; the first sample's is the run's own.
    const trace = finding.sample !== undefined && finding.sample > 0 ? samples?.[finding.sample]?.reasoning : run.reasoning;
    const shortened = run.trimmed === true && (finding.sample ?? 0) === 0;
    let note: string | undefined;
    const passages = evidence.map(({ start, end }): ExportedEvidence => {
      if (shortened) note = 'the saved copy of the reasoning was shortened, so the passages are given by their offsets only';
      else if (trace === undefined || end > trace.length || start > end) note = 'some offsets fall outside the reasoning in this copy';
      else return { start, end, text: trace.slice(start, end) };
      return { start, end };
    });
    return { ...rest, evidence: passages, ...(note ? { evidenceNote: note } : {}), feedback: feedback ?? null };
  });
}

export function runToJson(run: RunView): ExportedRun {
  const { header, result } = run;
  return {
    format: 'thinklens-trace',
    version: 1,
    id: header.id,
    kind: header.kind,
    title: header.title,
    ...(header.file ? { file: header.file } : {}),
    backend: header.backend,
    model: header.model,
    startedAt: new Date(header.startedAt).toISOString(),
    ...(run.finishedAt !== undefined ? { finishedAt: new Date(run.finishedAt).toISOString() } : {}),
    status: run.status,
    ...(header.parentRunId ? { parentRunId: header.parentRunId } : {}),
    ...(header.prompt !== undefined ? { prompt: header.prompt } : {}),
    reasoning: run.reasoning,
    reasoningShortened: run.trimmed === true,
    answer: run.answer,
    ...(result?.summary ? { summary: result.summary } : {}),
    ...(result?.problem ? { problem: result.problem } : {}),
    ...(result?.error
      ? {
          error: {
            kind: result.error.kind,
            message: result.error.message,
            ...(result.error.detail ? { detail: result.error.detail } : {}),
          },
        }
      : {}),
    findings: exportedFindings(run),
    ...(run.usage ? { usage: run.usage } : {}),
  };
}

/** A fence longer than any backtick run inside, so model text cannot close it early. */
function fenced(text: string, info = ''): string {
  const longest = Math.max(0, ...[...text.matchAll(/`+/g)].map((m) => m[0].length));
  const fence = '`'.repeat(Math.max(3, longest + 1));
  return `${fence}${info}\n${text}${text.endsWith('\n') ? '' : '\n'}${fence}`;
}

/** Model text quoted so its own headings and HTML stay inert in the exported document. */
function quoted(text: string): string {
  return text
    .split('\n')
    .map((line) => `> ${line}`)
    .join('\n');
}

function lines(f: Pick<FindingView, 'range'>): string {
  const { startLine, endLine } = f.range;
  return startLine === endLine ? `line ${startLine}` : `lines ${startLine}–${endLine}`;
}

export function formatUsage(usage: UsageView): string {
  const parts = [
    `${usage.promptTokens.toLocaleString('en-US')} prompt tokens` +
      (usage.cachedPromptTokens ? ` (${usage.cachedPromptTokens.toLocaleString('en-US')} cached)` : ''),
    `${usage.reasoningTokens.toLocaleString('en-US')} reasoning`,
    `${usage.answerTokens.toLocaleString('en-US')} answer`,
  ];
  if (usage.costUsd !== undefined) parts.push(`$${usage.costUsd.toFixed(usage.costUsd < 0.01 ? 4 : 2)}`);
  if (usage.tokensPerSecond !== undefined) parts.push(`${usage.tokensPerSecond.toFixed(1)} tokens/s`);
  return parts.join(' · ');
}

const MARK_TEXT: Readonly<Record<FeedbackMark, string>> = { helpful: 'helpful', 'not-helpful': 'not helpful' };

/** Confidence, agreement, the person's mark, the fingerprint, and the reasoning passages quoted. */
function findingProvenance(f: ExportedFinding): string[] {
  const out: string[] = [];
  if (f.confidence) out.push(`- Confidence: ${f.confidence}${f.confidenceReasons?.length ? ` (${f.confidenceReasons.join('; ')})` : ''}`);
  if (f.agreement) out.push(`- Agreement: ${f.agreement.count} of ${f.agreement.of} samples`);
  if (f.feedback) out.push(`- Your mark: ${MARK_TEXT[f.feedback]}`);
  if (f.fingerprint) out.push(`- Fingerprint: \`${f.fingerprint}\``);
  for (const passage of f.evidence) {
    const where = `characters ${passage.start}–${passage.end} of the ${f.sample ? `reasoning of sample ${f.sample + 1}` : 'reasoning'}`;
    if (passage.text !== undefined) out.push('', `Evidence (${where}):`, '', quoted(passage.text));
  }
  if (f.evidenceNote) out.push('', `_Evidence: ${f.evidenceNote}._`);
  return out;
}

export function runToMarkdown(run: RunView): string {
  const { header, result } = run;
  const out: string[] = [];
  out.push(`# ThinkLens ${header.kind}: ${header.title.replace(/\s+/g, ' ')}`, '');
  if (header.file) out.push(`- File: \`${header.file.path.replace(/`/g, "'")}\``);
  out.push(`- Backend: ${header.backend}, model \`${header.model.replace(/`/g, "'")}\``);
  out.push(`- Started: ${new Date(header.startedAt).toISOString()}`);
  if (run.finishedAt !== undefined) out.push(`- Took: ${((run.finishedAt - header.startedAt) / 1000).toFixed(1)} s`);
  out.push(`- Status: ${run.status}`);
  if (run.usage) out.push(`- Usage: ${formatUsage(run.usage)}`);
  out.push('');
  if (header.prompt !== undefined) out.push('## Prompt', '', fenced(header.prompt, 'text'), '');
  out.push('## Reasoning', '');
  if (run.trimmed) out.push('_The saved copy of this trace was shortened; the middle is left out._', '');
  out.push(run.reasoning ? fenced(run.reasoning, 'text') : '_No reasoning was streamed._', '');
  out.push('## Answer', '', run.answer ? fenced(run.answer, 'markdown') : '_No answer._', '');
  if (result?.summary) out.push('## Summary', '', quoted(result.summary), '');
  if (result?.problem) out.push(`_Note: ${result.problem}_`, '');
  if (result?.error) out.push('## Error', '', quoted(result.error.message), '');
  const findings = exportedFindings(run);
  if (findings.length) {
    out.push('## Findings', '');
    for (const f of findings) {
      const flags = [
        f.locationUncertain ? 'location uncertain' : '',
        f.stale ? 'stale' : '',
        f.applied ? 'fix applied' : '',
        f.dismissed ? 'dismissed' : '',
        f.withdrawn ? f.withdrawn : '',
      ].filter(Boolean);
      out.push(
        `### ${f.severity} (${f.category}): ${f.title.replace(/\s+/g, ' ')}`,
        '',
        `\`${f.file.path.replace(/`/g, "'")}\`, ${lines(f)}${flags.length ? ` — ${flags.join(', ')}` : ''}`,
        '',
        quoted(f.explanation),
        '',
      );
      if (f.fixRefused) out.push(`Fix withheld: ${f.fixRefused}`, '');
      out.push(...findingProvenance(f), '');
    }
  }
  return out.join('\n');
}

/** Several runs in one file: a conversation (a run and its follow-ups) or a whole session. */
export interface ExportedConversation {
  readonly format: 'thinklens-conversation';
  readonly version: 1;
  /** What the file holds: "conversation" (one run and its follow-ups) or "session" (every run of the window). */
  readonly scope: 'conversation' | 'session';
  readonly exportedAt: string;
  /** Oldest first; each as `runToJson` gives it. */
  readonly runs: readonly ExportedRun[];
}

export function conversationToJson(
  runs: readonly RunView[],
  scope: ExportedConversation['scope'],
  exportedAt: number,
): ExportedConversation {
  return { format: 'thinklens-conversation', version: 1, scope, exportedAt: new Date(exportedAt).toISOString(), runs: runs.map(runToJson) };
}

/** Every run in order, each with its prompt, reasoning, answer and findings, separated by rules. */
export function conversationToMarkdown(runs: readonly RunView[], scope: ExportedConversation['scope']): string {
  const first = runs[0];
  const what = scope === 'session' ? 'session' : 'conversation';
  const intro = [
    `<!-- ThinkLens ${what}: ${runs.length} run${runs.length === 1 ? '' : 's'}${first ? `, from ${new Date(first.header.startedAt).toISOString()}` : ''} -->`,
    '',
  ];
  return intro.join('\n') + runs.map(runToMarkdown).join('\n---\n\n');
}
