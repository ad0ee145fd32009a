// What hosted APIs publish about their models' limits and do not report through the API itself.
// One row per model id, each with where it was read and when, so a number can be checked again
// (docs/limits.md shows this table). A model that is not listed gets its preset's cautious window
// (`limits.assumedWindow`), and the run says that it was assumed.

import type { BackendId } from '../types';

export interface HostedModelLimits {
  readonly backendId: BackendId;
  readonly model: string;
  /** Prompt and output together. */
  readonly contextWindow: number;
  /** The most one answer may be, thinking included. */
  readonly maxOutputTokens: number;
  /** Where the numbers were read, for messages: the provider's own page. */
  readonly source: string;
  /** That page. */
  readonly page: string;
  /** When they were read (YYYY-MM-DD). */
  readonly read: string;
}

// DeepSeek's "Models & Pricing" page lists the context length as "1M" and the output as "maximum
// 384K". Counted in thousands, the lower reading, so a plan never asks for more than the page allows.
const DEEPSEEK_SOURCE = "DeepSeek's Models & Pricing page";
const DEEPSEEK_PAGE = 'https://api-docs.deepseek.com/quick_start/pricing';
const DEEPSEEK_WINDOW = 1_000_000;
const DEEPSEEK_OUTPUT = 384_000;

export const HOSTED_MODEL_LIMITS: readonly HostedModelLimits[] = [
  // DeepSeek-V4.1-Flash-1017 on the page.
  {
    backendId: 'deepseek',
    model: 'deepseek-flash',
    contextWindow: DEEPSEEK_WINDOW,
    maxOutputTokens: DEEPSEEK_OUTPUT,
    source: DEEPSEEK_SOURCE,
    page: DEEPSEEK_PAGE,
    read: '2026-12-08',
  },
  // DeepSeek-V4-Pro-0813 on the page.
  {
    backendId: 'deepseek',
    model: 'deepseek-v4-pro',
    contextWindow: DEEPSEEK_WINDOW,
    maxOutputTokens: DEEPSEEK_OUTPUT,
    source: DEEPSEEK_SOURCE,
    page: DEEPSEEK_PAGE,
    read: '2026-12-08',
  },
  // The earlier name: the page says it still answers, served by the current Flash model.
  {
    backendId: 'deepseek',
    model: 'deepseek-v4-flash',
    contextWindow: DEEPSEEK_WINDOW,
    maxOutputTokens: DEEPSEEK_OUTPUT,
    source: DEEPSEEK_SOURCE,
    page: DEEPSEEK_PAGE,
    read: '2026-12-08',
  },
];

/** The published limits of a hosted model, or undefined when the table does not list it. */
export function hostedModelLimits(backendId: BackendId, model: string): HostedModelLimits | undefined {
  return HOSTED_MODEL_LIMITS.find((row) => row.backendId === backendId && row.model === model);
}
