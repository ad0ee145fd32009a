// One small buggy file and the answer a model gives about it, shared by the tests that only need
// "a review that finds one bug" (constraints, thinking control): an off-by-one on line 3.
import type { CodeUnderReview } from '../../src/core/types';

export const OFF_BY_ONE_SOURCE = [
  'export function total(items: { price: number }[]): number {',
  '  let sum = 0;',
  '  for (let i = 0; i <= items.length; i++) sum += items[i].price;',
  '  return sum;',
  '}',
].join('\n');

export const OFF_BY_ONE_CODE: CodeUnderReview = {
  kind: 'review',
  path: 'src/total.ts',
  languageId: 'typescript',
  fileText: OFF_BY_ONE_SOURCE,
  ranges: [{ startLine: 1, endLine: 5 }],
};

export const OFF_BY_ONE_FINDING = {
  title: 'Off-by-one in the loop bound',
  severity: 'error',
  category: 'bug',
  startLine: 3,
  endLine: 3,
  quote: 'for (let i = 0; i <= items.length; i++)',
  explanation: 'The last pass reads items[items.length], which is undefined.',
};

export const OFF_BY_ONE_REASONING = 'The loop runs while i <= items.length, so the last pass reads one element past the end.';

/** The answer as bare JSON (under a schema). */
export const OFF_BY_ONE_JSON = JSON.stringify({ summary: 'One bug.', findings: [OFF_BY_ONE_FINDING] });

/** The answer as prose and a fenced JSON block (the prompt contract). */
export const OFF_BY_ONE_ANSWER = `The loop bound is off by one.\n\n\`\`\`json\n${OFF_BY_ONE_JSON}\n\`\`\``;
