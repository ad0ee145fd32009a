// Turns finished runs into the CLI's output formats: text for people, JSON (the shape in docs/ARCHITECTURE.md),
// SARIF 2.1.0 for code-scanning tools and GitLab's Code Quality JSON.

import { createHash } from 'node:crypto';
import { isAbsolute, relative, sep } from 'node:path';
import { pathToFileURL } from 'node:url';
import { FINGERPRINT_VERSION } from '../core/fingerprint';
import { ownValue } from '../core/text';
import type { Category, Finding, Severity, Usage } from '../core/types';
import { describeThinking, type ThinkingRecord } from '../core/thinking';
import type { Skipped } from './files';

/** A failed run: what happened, what to do (worded for a terminal), and the server's own words (redacted). */
export interface ReportError {
  readonly kind: string;
  readonly message: string;
  readonly hint: string;
  readonly detail?: string;
}

/** One line for people: the message, the hint, and what the server said. */
export function errorLine(error: ReportError): string {
  return [error.message, error.hint, error.detail ? `The server said: ${error.detail}` : ''].filter(Boolean).join(' ');
}

export interface RunReport {
  readonly file: string;
  readonly reasoning: string;
  readonly answer: string;
  readonly findings: readonly Finding[];
  readonly summary?: string;
  readonly usage?: Usage;
  readonly problem?: string;
  readonly error?: ReportError;
  /** How many samples of the review ran (`--samples`). */
  readonly samples: number;
  /** With several samples: each one's trace and answer; a finding's `sample` indexes this. */
  readonly sampleTraces?: readonly { readonly reasoning: string; readonly answer: string }[];
  /** With several samples: the ones that failed (the others still voted). */
  readonly sampleErrors?: readonly (ReportError & { readonly sample: number })[];
  /** The file's lines, for SARIF regions; undefined when the file could not be read. */
  readonly lines?: readonly string[];
  /** Absolute path, for locations relative to the source root. */
  readonly absPath?: string;
  /** Relative to the source root, `/`-separated (what baselines match on). */
  readonly rootPath?: string;
  /** The result came from the cache: no request was made. */
  readonly cached?: boolean;
  /** With --baseline: per finding (same order), whether the baseline had it already. */
  readonly baselineStates?: readonly BaselineState[];
  /** Findings of the wanted severity and focus that the minimum confidence left out. */
  readonly leftOutByConfidence?: number;
  /** How the (first sample's) thinking ended: by the model, the budget or the person. */
  readonly thinking?: ThinkingRecord;
}

export type BaselineState = 'new' | 'unchanged';

/** What the whole invocation adds around the runs. */
export interface ReportContext {
  readonly version: string;
  /** The folder SARIF and Code Quality paths are relative to (the repository's top, else the current folder). */
  readonly srcRoot: string;
  readonly command: 'review' | 'explain';
  readonly skipped?: readonly Skipped[];
  /** Files never started: the budget would have been passed. */
  readonly notReviewed?: readonly string[];
  readonly shard?: { readonly index: number; readonly count: number };
  readonly budget?: { readonly maxUsd: number; readonly spentUsd: number };
}

export function toJson(reports: readonly RunReport[], context?: ReportContext): string {
  return JSON.stringify(jsonReport(reports, context), null, 2);
}

/** The `--format json` document as a value: the MCP server's `structuredContent` is the same object. */
export function jsonReport(reports: readonly RunReport[], context?: ReportContext) {
  return {
    runs: reports.map((r) => ({
      file: r.file,
      cached: r.cached ?? false,
      reasoning: r.reasoning,
      answer: r.answer,
      summary: r.summary ?? '',
      samples: r.samples,
      findings: r.findings.map((f, i) => ({
        title: f.title,
        fingerprint: f.fingerprint,
        severity: f.severity,
        category: f.category,
        confidence: f.confidence,
        ...(f.confidenceReasons.length ? { confidenceReasons: f.confidenceReasons } : {}),
        agreement: f.agreement ?? { count: 1, of: 1 },
        startLine: f.startLine,
        endLine: f.endLine,
        locationUncertain: f.locationUncertain,
        explanation: f.explanation,
        ...(f.fix
          ? {
              fix: {
                startLine: f.fix.startLine,
                endLine: f.fix.endLine,
                replacement: f.fix.replacement,
                ...(f.fix.destructive ? { destructive: f.fix.destructive } : {}),
              },
            }
          : {}),
        ...(f.fixRefused ? { fixRefused: f.fixRefused } : {}),
        ...(r.baselineStates ? { baselineState: r.baselineStates[i] } : {}),
        ...(f.sample !== undefined && r.sampleTraces ? { sample: f.sample } : {}),
        evidence: f.evidence.map(({ start, end, text }) => ({ start, end, text })),
      })),
      ...(r.sampleTraces ? { sampleTraces: r.sampleTraces } : {}),
      ...(r.sampleErrors?.length ? { sampleErrors: r.sampleErrors } : {}),
      usage: r.usage ?? null,
      thinking: r.thinking ?? null,
      ...(r.problem ? { problem: r.problem } : {}),
      ...(r.error ? { error: r.error } : {}),
    })),
    ...(context?.skipped?.length ? { skipped: context.skipped } : {}),
    ...(context?.notReviewed?.length ? { notReviewed: context.notReviewed } : {}),
    ...(context?.budget ? { budget: context.budget } : {}),
    ...(context?.shard ? { shard: `${context.shard.index}/${context.shard.count}` } : {}),
  };
}

export function toText(reports: readonly RunReport[], withReasoning: boolean): string {
  const out: string[] = [];
  for (const r of reports) {
    out.push(`== ${r.file}`);
    if (withReasoning && r.reasoning) out.push('-- reasoning', r.reasoning.trimEnd(), '-- answer');
    if (r.error) {
      out.push(`error (${r.error.kind}): ${errorLine(r.error)}`);
      if (r.answer) out.push(r.answer.trimEnd());
      out.push('');
      continue;
    }
    if (r.summary) out.push(r.summary);
    if (r.problem) out.push(`note: ${r.problem}`);
    const shown = r.findings.filter((_, i) => r.baselineStates?.[i] !== 'unchanged');
    for (const f of shown) {
      const lines = f.startLine === f.endLine ? `${f.startLine}` : `${f.startLine}-${f.endLine}`;
      const notes = [
        f.confidence !== 'high' ? `${f.confidence} confidence` : '',
        f.agreement && f.agreement.of > 1 ? `${f.agreement.count} of ${f.agreement.of} samples` : '',
        f.locationUncertain ? 'location uncertain' : '',
      ].filter(Boolean);
      out.push(`${r.file}:${lines}: ${f.severity} [${f.category}] ${f.title}${notes.length ? ` (${notes.join('; ')})` : ''}`);
      if (f.explanation) out.push(indent(f.explanation));
      if (f.fix)
        out.push(
          `  fix (lines ${f.fix.startLine}-${f.fix.endLine})${f.fix.destructive ? `, destructive: ${f.fix.destructive}` : ''}:`,
          indent(f.fix.replacement, '    '),
        );
      else if (f.fixRefused) out.push(`  fix refused: ${f.fixRefused}`);
    }
    const known = r.findings.length - shown.length;
    if (shown.length === 0) out.push(known ? 'no new findings' : 'no findings');
    if (known) out.push(`${known} finding${known === 1 ? '' : 's'} already in the baseline, not shown`);
    if (r.usage) out.push(`usage: ${usageLine(r.usage)}`);
    if (r.thinking && r.thinking.endedBy !== 'model') out.push(`thinking: ${describeThinking(r.thinking)}`);
    out.push('');
  }
  return out.join('\n');
}

export function usageLine(u: Usage): string {
  const parts = [`${u.promptTokens} prompt`, `${u.completionTokens} completion`];
  if (u.reasoningTokens !== undefined) parts.push(`${u.reasoningTokens} reasoning`);
  if (u.cachedPromptTokens !== undefined) parts.push(`${u.cachedPromptTokens} cached`);
  if (u.tokensPerSecond !== undefined) parts.push(`${u.tokensPerSecond.toFixed(1)} tokens/s`);
  if (u.costUsd !== undefined) parts.push(`$${u.costUsd.toFixed(6)}`);
  return parts.join(', ');
}

const indent = (text: string, pad = '  ') =>
  text
    .split('\n')
    .map((l) => pad + l)
    .join('\n');

const SARIF_LEVEL = { error: 'error', warning: 'warning', info: 'note' } as const;
const INFORMATION_URI = 'https://github.com/thinklens/thinklens';

/** One rule per category, always all of them in this order, so `ruleIndex` never moves. */
const RULES: readonly {
  category: Category;
  name: string;
  short: string;
  help: string;
  level: 'error' | 'warning' | 'note';
  tags: string[];
}[] = [
  {
    category: 'bug',
    name: 'Bug',
    short: 'Code that does not do what it evidently means to.',
    help: 'A reasoning model traced this code and found a defect: wrong results, a crash, an off-by-one, a missed case. Read the explanation and the suggested fix; the finding quotes the code it is about.',
    level: 'error',
    tags: ['correctness'],
  },
  {
    category: 'edge-case',
    name: 'EdgeCase',
    short: 'Input the code does not handle: empty, null, huge, concurrent.',
    help: 'The code works for the common case but not for an input the model names in the explanation (empty list, null, overflow, unicode, a race). Decide whether that input can happen; if it can, handle it.',
    level: 'warning',
    tags: ['correctness'],
  },
  {
    category: 'performance',
    name: 'Performance',
    short: 'Work that grows faster than it needs to, or is repeated.',
    help: 'A loop, query or allocation that costs more than needed (quadratic work, repeated I/O, needless copies). The explanation says when it matters.',
    level: 'warning',
    tags: ['performance'],
  },
  {
    category: 'security',
    name: 'Security',
    short: 'Code an attacker could abuse.',
    help: 'Injection, unchecked input reaching a sensitive sink, secrets in code, unsafe deserialization and similar. Treat as a lead to verify: the model reasons from this code only.',
    level: 'error',
    tags: ['security'],
  },
  {
    category: 'maintainability',
    name: 'Maintainability',
    short: 'Code that is correct today but easy to break.',
    help: 'Duplication, misleading names, hidden coupling or dead code that makes the next change risky.',
    level: 'note',
    tags: ['maintainability'],
  },
];
const ruleId = (category: Category) => `thinklens/${category}`;
/** The rule of a known category; a category the model made up has a ruleId and no index. */
function ruleRef(category: Category): { ruleId: string; ruleIndex?: number } {
  const index = RULES.findIndex((rule) => rule.category === category);
  return index >= 0 ? { ruleId: ruleId(category), ruleIndex: index } : { ruleId: ruleId(category) };
}
/** Where SRCROOT points in originalUriBaseIds and what relative URIs are relative to. */
const SRCROOT = '%SRCROOT%';

/** SARIF 2.1.0: one run; locations relative to SRCROOT; fingerprints, baseline states and fixes. */
export function toSarif(reports: readonly RunReport[], context: ReportContext): string {
  const srcRootUri = pathToFileURL(context.srcRoot.endsWith(sep) ? context.srcRoot : `${context.srcRoot}${sep}`).href;
  const results = reports.flatMap((r) =>
    r.findings.map((f, i) => {
      const artifactLocation = artifactLocationOf(r, context.srcRoot);
      const region = f.range
        ? { startLine: f.range.startLine, startColumn: f.range.startColumn + 1, endLine: f.range.endLine, endColumn: f.range.endColumn + 1 }
        : { startLine: f.startLine, endLine: f.endLine };
      return {
        ...ruleRef(f.category),
        level: ownValue(SARIF_LEVEL, f.severity) ?? 'warning',
        message: { text: f.explanation ? `${f.title}: ${f.explanation}` : f.title },
        locations: [{ physicalLocation: { artifactLocation, region } }],
        partialFingerprints: { [FINGERPRINT_VERSION]: f.fingerprint },
        ...(r.baselineStates ? { baselineState: r.baselineStates[i] } : {}),
        properties: {
          ...(f.locationUncertain ? { locationUncertain: true } : {}),
          confidence: f.confidence,
          ...(f.agreement ? { agreement: f.agreement } : {}),
          // Passages of the run's reasoning (offsets into the JSON output's `reasoning`, or the sample's).
          evidence: f.evidence.map(({ start, end, text }) => ({ start, end, text })),
        },
        // A destructive fix is never offered for one-click application by a code-scanning tool.
        ...(f.fix && !f.fix.destructive && r.lines
          ? {
              fixes: [
                {
                  description: { text: f.title },
                  artifactChanges: [
                    {
                      artifactLocation,
                      replacements: [
                        {
                          deletedRegion: {
                            startLine: f.fix.startLine,
                            startColumn: 1,
                            endLine: f.fix.endLine,
                            endColumn: (r.lines[f.fix.endLine - 1] ?? '').length + 1,
                          },
                          insertedContent: { text: f.fix.replacement },
                        },
                      ],
                    },
                  ],
                },
              ],
            }
          : {}),
      };
    }),
  );
  const notifications = [
    ...reports.filter((r) => r.error).map((r) => ({ level: 'error', message: { text: `${r.file}: ${r.error!.message}` } })),
    ...(context.notReviewed ?? []).map((file) => ({
      level: 'error',
      message: { text: `${file}: not reviewed, the --max-cost budget would have been passed` },
    })),
    ...(context.skipped ?? []).map((s) => ({ level: 'note', message: { text: `${s.path}: skipped (${s.reason}: ${s.detail})` } })),
  ];
  const shard = context.shard ? `shard-${context.shard.index}-of-${context.shard.count}/` : '';
  return JSON.stringify(
    {
      $schema: 'https://json.schemastore.org/sarif-2.1.0.json',
      version: '2.1.0',
      runs: [
        {
          tool: {
            driver: {
              name: 'ThinkLens',
              version: context.version,
              semanticVersion: context.version,
              informationUri: INFORMATION_URI,
              rules: RULES.map((rule) => ({
                id: ruleId(rule.category),
                name: rule.name,
                shortDescription: { text: rule.short },
                fullDescription: { text: rule.help },
                help: { text: rule.help, markdown: `**${rule.name}** — ${rule.help}` },
                helpUri: `${INFORMATION_URI}#what-the-findings-mean`,
                defaultConfiguration: { level: rule.level },
                properties: { tags: ['thinklens', ...rule.tags] },
              })),
            },
          },
          // A shard is its own analysis category, so code scanning keeps every shard's results.
          automationDetails: { id: `thinklens/${context.command}/${shard}` },
          originalUriBaseIds: { [SRCROOT]: { uri: srcRootUri } },
          columnKind: 'utf16CodeUnits',
          // How each file's thinking ended, as the JSON output's `thinking`.
          properties: {
            thinking: reports.map((r) => ({ file: r.file, ...(r.thinking ?? { tokens: 0, budget: null, endedBy: 'model' }) })),
          },
          invocations: [
            {
              executionSuccessful: !reports.some((r) => r.error) && !context.notReviewed?.length,
              toolExecutionNotifications: notifications,
            },
          ],
          results,
        },
      ],
    },
    null,
    2,
  );
}

/** A path under the source root as a relative URI; anything else as an absolute file URI (never `../`). */
function artifactLocationOf(report: RunReport, srcRoot: string): { uri: string; uriBaseId?: string } {
  const absolute = report.absPath ?? (isAbsolute(report.file) ? report.file : undefined);
  const rel = absolute ? relative(srcRoot, absolute) : report.file;
  if (absolute && (rel.startsWith('..') || isAbsolute(rel))) return { uri: pathToFileURL(absolute).href };
  return { uri: rel.split(sep).join('/').split('/').map(encodeURIComponent).join('/'), uriBaseId: SRCROOT };
}

/** The path relative to the source root, as Code Quality and SARIF expect. */
export function rootRelative(report: RunReport, srcRoot: string): string {
  const absolute = report.absPath ?? (isAbsolute(report.file) ? report.file : undefined);
  if (!absolute) return report.file.split(sep).join('/');
  const rel = relative(srcRoot, absolute);
  return (rel.startsWith('..') || isAbsolute(rel) ? absolute : rel).split(sep).join('/');
}

const CODE_QUALITY_SEVERITY: Record<Severity, string> = { error: 'critical', warning: 'major', info: 'minor' };

/** GitLab's Code Quality report: an array of issues with a fingerprint, a severity and a place. */
export function toCodeQuality(reports: readonly RunReport[], context: ReportContext): string {
  const issues = reports.flatMap((r) =>
    r.findings.map((f) => ({
      type: 'issue',
      description: f.title,
      content: { body: f.explanation },
      check_name: ruleId(f.category),
      categories: [RULES.find((rule) => rule.category === f.category)?.name ?? 'Bug'],
      // GitLab tells issues apart by fingerprint alone, so the path is part of it here.
      fingerprint: createHash('sha256')
        .update(`${rootRelative(r, context.srcRoot)}\0${f.fingerprint}`)
        .digest('hex')
        .slice(0, 32),
      severity: ownValue(CODE_QUALITY_SEVERITY, f.severity) ?? 'major',
      location: { path: rootRelative(r, context.srcRoot), lines: { begin: f.startLine, end: f.endLine } },
    })),
  );
  return JSON.stringify(issues, null, 2);
}
