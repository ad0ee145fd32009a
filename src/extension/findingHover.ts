// The hover on a ThinkLens squiggle: the explanation, the fix as a diff, the passage of the
// reasoning that led to the finding, how far to trust it, and "Open in panel". Everything in it
// comes from the model, so the markdown is untrusted: no HTML, and the only command link allowed
// is the one this file writes.

import * as vscode from 'vscode';
import type { Finding } from '../core/types';
import { inEditor, type FindingStore, type StampedFinding } from './findings';
import { INTERNAL_COMMAND } from '../bridge/commandIds';

/** A hover is read at a glance: long passages are cut. */
const MAX_EXCERPT_CHARS = 400;
const MAX_EXPLANATION_CHARS = 2_000;
const MAX_DIFF_LINES = 30;

export class FindingHover implements vscode.HoverProvider {
  constructor(private readonly findings: FindingStore) {}

  provideHover(document: vscode.TextDocument, position: vscode.Position): vscode.Hover | undefined {
    const here = this.findings.all(document.uri).filter((f) => inEditor(f) && f.range.contains(position));
    if (here.length === 0) return undefined;
    return new vscode.Hover(
      here.map((f) => hoverMarkdown(f, document)),
      here[0]!.range,
    );
  }
}

export function hoverMarkdown(stamped: StampedFinding, document: vscode.TextDocument): vscode.MarkdownString {
  const { finding } = stamped;
  const md = new vscode.MarkdownString(undefined, true);
  md.supportHtml = false;
  // Only our own command may run from this hover, whatever links the model wrote.
  md.isTrusted = { enabledCommands: [INTERNAL_COMMAND.showFinding] };
  md.appendMarkdown(`**${escapeMarkdown(finding.title)}** · ${finding.severity} · ${finding.category}\n\n`);
  md.appendMarkdown(`${neutralizeLinks(cut(finding.explanation, MAX_EXPLANATION_CHARS))}\n\n`);
  const diff = stamped.fix && !stamped.fixUnavailable ? fixDiff(document.getText(stamped.fix.range), stamped.fix.replacement) : undefined;
  if (diff) {
    md.appendMarkdown('**Fix**\n\n');
    md.appendCodeblock(diff, 'diff');
  } else if (stamped.fixUnavailable) {
    md.appendMarkdown(`*No fix: ${escapeMarkdown(stamped.fixUnavailable)}*\n\n`);
  }
  const excerpt = finding.evidence[0];
  if (excerpt) {
    md.appendMarkdown('**From the reasoning**\n\n');
    md.appendMarkdown(`${quoteBlock(cut(excerpt.text, MAX_EXCERPT_CHARS))}\n\n`);
  }
  md.appendMarkdown(`${confidenceLine(finding)}\n\n`);
  const args = encodeURIComponent(JSON.stringify([stamped.id]));
  md.appendMarkdown(`[Open in panel](command:thinklens.showFinding?${args} "Show this finding and its reasoning in the ThinkLens panel")`);
  return md;
}

function confidenceLine(finding: Finding): string {
  const agreement = finding.agreement && finding.agreement.of > 1 ? ` · ${finding.agreement.count} of ${finding.agreement.of} samples` : '';
  const reasons = finding.confidenceReasons.length ? `: ${finding.confidenceReasons.map(escapeMarkdown).join('; ')}` : '';
  return `*Confidence ${finding.confidence}${reasons}${agreement}*`;
}

/** A unified diff of whole lines: what the fix removes, then what it puts in. */
export function fixDiff(current: string, replacement: string): string {
  const before = current.split(/\r?\n/);
  const after = replacement.split(/\r?\n/);
  const lines = [...before.map((l) => `- ${l}`), ...after.map((l) => `+ ${l}`)];
  return lines.length > MAX_DIFF_LINES
    ? [...lines.slice(0, MAX_DIFF_LINES), `… ${lines.length - MAX_DIFF_LINES} more lines`].join('\n')
    : lines.join('\n');
}

const cut = (text: string, max: number) => (text.length > max ? `${text.slice(0, max - 1).trimEnd()}…` : text);

/** The reasoning is prose, not markdown: each line quoted, with markup characters escaped. */
function quoteBlock(text: string): string {
  return text
    .split(/\r?\n/)
    .map((line) => `> ${escapeMarkdown(line)}`)
    .join('\n');
}

/** Markup characters escaped; `-` and `.` stay (they only mean something at a line's start, which a quote line never is). */
function escapeMarkdown(text: string): string {
  return text.replace(/[\\`*_{}[\]()#+!|<>~]/g, '\\$&');
}

/** Model-written links keep their text but lose their target: no `command:`, no remote fetches. */
function neutralizeLinks(markdown: string): string {
  return markdown.replace(/!?\[([^\]]*)\]\([^)]*\)/g, '$1').replace(/<((?:https?|command|file|vscode):[^>]*)>/gi, '$1');
}
