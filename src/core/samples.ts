// Self-consistency: N independent samples of one review, run in parallel within a concurrency
// limit, each with its own seed, their findings matched by fingerprint (triage.ts votes). The CLI's
// --samples and the extension's thinklens.review.samples both come here.

import type { BackendError } from './errors';
import type { RunOutput } from './run';
import { voteAcrossSamples } from './triage';
import type { Finding, Usage } from './types';

/** The most samples of one review (--samples, thinklens.review.samples). */
export const MAX_SAMPLES = 16;

/** Runs tasks with at most `size` of them at once, in the order they asked. */
export type Limiter = <T>(task: () => Promise<T>) => Promise<T>;

export function limiter(size: number): Limiter {
  let running = 0;
  const waiting: (() => void)[] = [];
  return async (task) => {
    while (running >= size) await new Promise<void>((resolve) => waiting.push(resolve));
    running++;
    try {
      return await task();
    } finally {
      running--;
      waiting.shift()?.();
    }
  };
}

/**
 * The seed of sample `index`: with several samples each gets its own (the setting's plus 1, 2, ...),
 * so a server that honours seeds does not repeat one answer N times.
 */
export function sampleSeed(samples: number, index: number, seed: number | undefined): number | undefined {
  return samples > 1 ? (seed ?? 0) + index + 1 : seed;
}

export interface SampledRun<O extends RunOutput> {
  /** Every sample's output, in sample order (failed ones included). */
  readonly outputs: readonly O[];
  /**
   * The findings after the vote: with several samples each has `agreement` and `sample`, the index
   * into `outputs` whose reasoning its evidence offsets point into.
   */
  readonly findings: readonly Finding[];
  /** Set when the review failed: its only sample failed, or every sample did (the others still vote). */
  readonly error?: BackendError;
}

/** Runs `samples` samples of one review (`run` gets each one's index and seed) and votes on their findings. */
export async function runSamples<O extends RunOutput>(
  samples: number,
  seed: number | undefined,
  run: (index: number, seed: number | undefined) => Promise<O>,
): Promise<SampledRun<O>> {
  const outputs = await Promise.all(Array.from({ length: samples }, (_, index) => run(index, sampleSeed(samples, index, seed))));
  const finished = outputs.filter((o) => !o.error);
  // A sample the deadline stopped still votes with the parts it finished (`parsed` beside its error).
  const voting = outputs.filter((o) => o.parsed !== undefined);
  const voted = voteAcrossSamples(voting.map((o) => o.parsed!.findings));
  // The vote numbers the samples that voted: number them among all of them.
  const findings = voted.map((f) => (f.sample === undefined ? f : { ...f, sample: outputs.indexOf(voting[f.sample]!) }));
  const error = samples === 1 || finished.length === 0 ? outputs.find((o) => o.error)?.error : undefined;
  return { outputs, findings, ...(error ? { error } : {}) };
}

/** The usage of all samples together (tokens and cost add up). */
export function sumUsage(usages: readonly (Usage | undefined)[]): Usage | undefined {
  const known = usages.filter((u): u is Usage => u !== undefined);
  if (known.length <= 1) return known[0];
  const add = (pick: (u: Usage) => number | undefined) =>
    known.some((u) => pick(u) !== undefined) ? known.reduce((sum, u) => sum + (pick(u) ?? 0), 0) : undefined;
  const reasoningTokens = add((u) => u.reasoningTokens);
  const cachedPromptTokens = add((u) => u.cachedPromptTokens);
  const costUsd = add((u) => u.costUsd);
  return {
    promptTokens: add((u) => u.promptTokens) ?? 0,
    completionTokens: add((u) => u.completionTokens) ?? 0,
    ...(reasoningTokens !== undefined ? { reasoningTokens } : {}),
    ...(cachedPromptTokens !== undefined ? { cachedPromptTokens } : {}),
    ...(costUsd !== undefined ? { costUsd } : {}),
  };
}
