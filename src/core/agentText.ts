// The short text an agent reads back from a review: each finding's place, title, explanation, fix
// and a quote of the reasoning behind it, and how many findings the confidence filter left out.
// The MCP server's text content and the VS Code language model tools' result are both this text.

import type { Finding } from './types';

export interface AgentRun {
  /** As the agent named it (or relative to the workspace). */
  readonly file: string;
  readonly findings: readonly Finding[];
  readonly summary?: string;
  /** A failed run: the message with what to do. */
  readonly error?: string;
  /** Set when the answer could not be read in full. */
  readonly problem?: string;
  /** Findings the minimum confidence left out. */
  readonly leftOutByConfidence?: number;
}

/** The longest evidence quote, in characters: enough to recognise the passage, short enough to skim. */
const QUOTE_CHARS = 240;

export function agentResultText(runs: readonly AgentRun[]): string {
  const out: string[] = [];
  for (const run of runs) {
    if (run.error) {
      out.push(`${run.file}: failed: ${run.error}`, '');
      continue;
    }
    const count = run.findings.length;
    out.push(`${run.file}: ${count === 0 ? 'no findings' : `${count} finding${count === 1 ? '' : 's'}`}`);
    if (run.summary) out.push(oneLine(run.summary));
    if (run.problem) out.push(`Note: ${oneLine(run.problem)}`);
    for (const finding of run.findings) out.push(...findingLines(run.file, finding));
    const leftOut = run.leftOutByConfidence ?? 0;
    if (leftOut > 0) out.push(`${leftOut} lower-confidence finding${leftOut === 1 ? ' was' : 's were'} left out.`);
    out.push('');
  }
  return out.join('\n').trimEnd();
}

function findingLines(file: string, f: Finding): string[] {
  const lines = f.startLine === f.endLine ? `${f.startLine}` : `${f.startLine}-${f.endLine}`;
  const notes = [
    `${f.confidence} confidence`,
    f.agreement && f.agreement.of > 1 ? `${f.agreement.count} of ${f.agreement.of} samples` : '',
    f.locationUncertain ? 'location uncertain' : '',
  ].filter(Boolean);
  const out = [`- ${file}:${lines} ${f.severity} [${f.category}] ${oneLine(f.title)} (${notes.join('; ')})`];
  if (f.explanation) out.push(`  Why: ${oneLine(f.explanation)}`);
  if (f.fix) {
    const where = f.fix.startLine === f.fix.endLine ? `line ${f.fix.startLine}` : `lines ${f.fix.startLine}-${f.fix.endLine}`;
    out.push(
      `  Fix: replace ${where} with:${f.fix.destructive ? ` (destructive: ${oneLine(f.fix.destructive)}; look before applying)` : ''}`,
    );
    out.push(...f.fix.replacement.split('\n').map((line) => `    ${line}`));
  } else if (f.fixRefused) out.push(`  No fix: ${oneLine(f.fixRefused)}`);
  const quote = f.evidence[0]?.text;
  if (quote) out.push(`  Reasoning: "${shortQuote(quote)}"`);
  return out;
}

const oneLine = (text: string) => text.replace(/\s+/g, ' ').trim();

function shortQuote(text: string): string {
  const flat = oneLine(text);
  if (flat.length <= QUOTE_CHARS) return flat;
  const cut = flat.lastIndexOf(' ', QUOTE_CHARS);
  return `${flat.slice(0, cut > QUOTE_CHARS / 2 ? cut : QUOTE_CHARS)}…`;
}
