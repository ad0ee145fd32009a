// Turns finished runs into the CLI's three output formats: text for people, JSON (DESIGN.md's
// shape) and SARIF 2.1.0 for code-scanning tools.

import { isAbsolute, posix, resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import type { Finding, Usage } from '../core/types';
import { ownValue } from '../core/text';

export interface RunReport {
  readonly file: string;
  readonly reasoning: string;
  readonly answer: string;
  readonly findings: readonly Finding[];
  readonly summary?: string;
  readonly usage?: Usage;
  readonly problem?: string;
  readonly error?: { readonly kind: string; readonly message: string; readonly hint: string };
  /** How many samples of the review ran (`--samples`). */
  readonly samples: number;
  /** With several samples: each one's trace and answer; a finding's `sample` indexes this. */
  readonly sampleTraces?: readonly { readonly reasoning: string; readonly answer: string }[];
  /** With several samples: the ones that failed (the others still voted). */
  readonly sampleErrors?: readonly { readonly sample: number; readonly kind: string; readonly message: string; readonly hint: string }[];
  /** The file's lines, for SARIF regions; undefined when the file could not be read. */
  readonly lines?: readonly string[];
}

export function toJson(reports: readonly RunReport[]): string {
  return JSON.stringify(
    {
      runs: reports.map((r) => ({
        file: r.file,
        reasoning: r.reasoning,
        answer: r.answer,
        summary: r.summary ?? '',
        samples: r.samples,
        findings: r.findings.map((f) => ({
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
          ...(f.fix ? { fix: { startLine: f.fix.startLine, endLine: f.fix.endLine, replacement: f.fix.replacement, ...(f.fix.destructive ? { destructive: f.fix.destructive } : {}) } } : {}),
          ...(f.fixRefused ? { fixRefused: f.fixRefused } : {}),
          ...(f.sample !== undefined && r.sampleTraces ? { sample: f.sample } : {}),
          evidence: f.evidence.map(({ start, end, text }) => ({ start, end, text })),
        })),
        ...(r.sampleTraces ? { sampleTraces: r.sampleTraces } : {}),
        ...(r.sampleErrors?.length ? { sampleErrors: r.sampleErrors } : {}),
        usage: r.usage ?? null,
        ...(r.problem ? { problem: r.problem } : {}),
        ...(r.error ? { error: r.error } : {}),
      })),
    },
    null,
    2,
  );
}

export function toText(reports: readonly RunReport[], withReasoning: boolean): string {
  const out: string[] = [];
  for (const r of reports) {
    out.push(`== ${r.file}`);
    if (withReasoning && r.reasoning) out.push('-- reasoning', r.reasoning.trimEnd(), '-- answer');
    if (r.error) {
      out.push(`error (${r.error.kind}): ${r.error.message} ${r.error.hint}`.trimEnd());
      if (r.answer) out.push(r.answer.trimEnd());
      out.push('');
      continue;
    }
    if (r.summary) out.push(r.summary);
    if (r.problem) out.push(`note: ${r.problem}`);
    for (const f of r.findings) {
      const lines = f.startLine === f.endLine ? `${f.startLine}` : `${f.startLine}-${f.endLine}`;
      const notes = [
        f.confidence !== 'high' ? `${f.confidence} confidence` : '',
        f.agreement && f.agreement.of > 1 ? `${f.agreement.count} of ${f.agreement.of} samples` : '',
        f.locationUncertain ? 'location uncertain' : '',
      ].filter(Boolean);
      out.push(`${r.file}:${lines}: ${f.severity} [${f.category}] ${f.title}${notes.length ? ` (${notes.join('; ')})` : ''}`);
      if (f.explanation) out.push(indent(f.explanation));
      if (f.fix) out.push(`  fix (lines ${f.fix.startLine}-${f.fix.endLine})${f.fix.destructive ? `, destructive: ${f.fix.destructive}` : ''}:`, indent(f.fix.replacement, '    '));
      else if (f.fixRefused) out.push(`  fix refused: ${f.fixRefused}`);
    }
    if (r.findings.length === 0) out.push('no findings');
    if (r.usage) out.push(`usage: ${usageLine(r.usage)}`);
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

const indent = (text: string, pad = '  ') => text.split('\n').map((l) => pad + l).join('\n');

const SARIF_LEVEL = { error: 'error', warning: 'warning', info: 'note' } as const;

/** SARIF 2.1.0: one run, one rule per category, results with physical locations and fixes. */
export function toSarif(reports: readonly RunReport[], version: string, sourceRoot: string = process.cwd()): string {
  const categories = [...new Set(reports.flatMap((r) => r.findings.map((f) => f.category)))].sort();
  const results = reports.flatMap((r) =>
    r.findings.map((f) => {
      const artifactLocation = artifactLocationOf(r.file, sourceRoot);
      const region = f.range
        ? { startLine: f.range.startLine, startColumn: f.range.startColumn + 1, endLine: f.range.endLine, endColumn: f.range.endColumn + 1 }
        : { startLine: f.startLine, endLine: f.endLine };
      return {
        ruleId: `thinklens/${f.category}`,
        ruleIndex: categories.indexOf(f.category),
        level: ownValue(SARIF_LEVEL, f.severity) ?? 'warning',
        message: { text: f.explanation ? `${f.title}: ${f.explanation}` : f.title },
        locations: [{ physicalLocation: { artifactLocation, region } }],
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
  const invocationFailed = reports.some((r) => r.error);
  return JSON.stringify(
    {
      $schema: 'https://json.schemastore.org/sarif-2.1.0.json',
      version: '2.1.0',
      runs: [
        {
          // Where %SRCROOT% points: the directory the paths were given relative to.
          originalUriBaseIds: { [SRCROOT]: { uri: directoryUri(sourceRoot) } },
          tool: {
            driver: {
              name: 'ThinkLens',
              version,
              informationUri: 'https://github.com/thinklens/thinklens',
              rules: categories.map((c) => ({ id: `thinklens/${c}`, name: c, shortDescription: { text: `ThinkLens ${c} finding` } })),
            },
          },
          invocations: [
            {
              executionSuccessful: !invocationFailed,
              toolExecutionNotifications: reports
                .filter((r) => r.error)
                .map((r) => ({ level: 'error', message: { text: `${r.file}: ${r.error!.message}` } })),
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

const SRCROOT = '%SRCROOT%';

/**
 * Paths inside the source root become root-relative URIs (normalized, no `./`); absolute paths and
 * relative ones that climb out of the root (`../`) become absolute file URIs, which every SARIF
 * consumer resolves the same way.
 */
function artifactLocationOf(path: string, sourceRoot: string): { uri: string; uriBaseId?: string } {
  if (isAbsolute(path)) return { uri: pathToFileURL(path).href };
  const relative = posix.normalize(path.replace(/\\/g, '/')).replace(/^(\.\/)+/, '');
  if (relative === '..' || relative.startsWith('../')) return { uri: pathToFileURL(resolve(sourceRoot, path)).href };
  return { uri: relative.split('/').map(encodeURIComponent).join('/'), uriBaseId: SRCROOT };
}

function directoryUri(dir: string): string {
  const href = pathToFileURL(resolve(dir)).href;
  return href.endsWith('/') ? href : `${href}/`;
}
