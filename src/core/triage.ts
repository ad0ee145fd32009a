// Which findings a person sees: the minimum severity and confidence, the focus, and the vote
// across samples. The CLI's flags and the extension's settings both come here.

import { severityRank } from './contract';
import { atLeastConfidence } from './provenance';
import type { Category, Confidence, Finding, Focus, Severity } from './types';

export interface FindingFilter {
  readonly minSeverity?: Severity;
  readonly minConfidence?: Confidence;
  /** Empty or undefined: every category. */
  readonly focus?: readonly Focus[];
}

/** Ranks count from the most severe: at least as severe means a rank no higher. */
export const atLeastSeverity = (value: Severity, minimum: Severity): boolean => severityRank(value) <= severityRank(minimum);

/** The categories each focus keeps; maintainability only shows without a focus. */
const FOCUS_CATEGORIES: Record<Focus, readonly Category[]> = {
  bugs: ['bug'],
  'edge-cases': ['edge-case'],
  security: ['security'],
  performance: ['performance'],
};

export function inFocus(category: Category, focus: readonly Focus[] | undefined): boolean {
  return !focus?.length || focus.some((f) => FOCUS_CATEGORIES[f].includes(category));
}

export function passesFilter(finding: Pick<Finding, 'severity' | 'confidence' | 'category'>, filter: FindingFilter): boolean {
  return (
    (!filter.minSeverity || atLeastSeverity(finding.severity, filter.minSeverity)) &&
    (!filter.minConfidence || atLeastConfidence(finding.confidence, filter.minConfidence)) &&
    inFocus(finding.category, filter.focus)
  );
}

export function filterFindings<T extends Pick<Finding, 'severity' | 'confidence' | 'category'>>(
  findings: readonly T[],
  filter: FindingFilter,
): T[] {
  return findings.filter((f) => passesFilter(f, filter));
}

/**
 * Merges the findings of N samples of the same review (majority voting, as the DeepSeek-R1 report
 * does for its headline results): findings are matched by fingerprint, each kept once with how
 * many samples found it. The text and evidence come from the earliest sample that has it. A
 * finding most samples missed is rated down one confidence step.
 */
export function voteAcrossSamples(samples: readonly (readonly Finding[])[]): Finding[] {
  const of = samples.length;
  const merged = new Map<string, { finding: Finding; sample: number; count: number }>();
  samples.forEach((findings, sample) => {
    const seenHere = new Set<string>();
    for (const finding of findings) {
      const key = finding.fingerprint;
      if (seenHere.has(key)) continue;
      seenHere.add(key);
      const entry = merged.get(key);
      if (entry) entry.count++;
      else merged.set(key, { finding, sample, count: 1 });
    }
  });
  return [...merged.values()].map(({ finding, sample, count }) => {
    const agreement = { count, of };
    const { confidence, confidenceReasons } = votedConfidence(finding, agreement);
    return { ...finding, agreement, sample, confidence, confidenceReasons };
  });
}

function votedConfidence(finding: Finding, agreement: { count: number; of: number }): Pick<Finding, 'confidence' | 'confidenceReasons'> {
  if (agreement.of < 2) return finding;
  if (agreement.count * 2 <= agreement.of) {
    const lower: Confidence = finding.confidence === 'high' ? 'medium' : 'low';
    return {
      confidence: lower,
      confidenceReasons: [...finding.confidenceReasons, `only ${agreement.count} of ${agreement.of} samples found it`],
    };
  }
  return finding;
}
