// One review as a front end runs it: its samples (samples.ts), each planned and run (plannedRun.ts)
// within a concurrency slot, all under the run's one deadline (deadline.ts). The CLI and the
// extension both call `runReview`; they differ in where events go and in what sends the requests.

import type { RunDeadline } from './deadline';
import { cancelledError } from './errors';
import type { RefusedPlan, RunPlan } from './plan';
import { runPlanned, type PlannedRunOutput } from './plannedRun';
import { runSamples, type Limiter, type SampledRun } from './samples';
import type { Backend, CodeUnderReview, ReasoningEvent } from './types';

export interface ReviewInput {
  /** What sends the requests (the CLI puts its result cache in front of the backend). */
  readonly backend: Backend;
  readonly code: CodeUnderReview;
  readonly samples: number;
  /** The person's seed; each sample's own is derived from it (`sampleSeed`). */
  readonly seed?: number;
  /** Plans sample `index` with its seed; runs under the deadline (a profile probe is part of the run). */
  readonly planFor: (index: number, seed: number | undefined, signal: AbortSignal) => Promise<RunPlan | RefusedPlan>;
  /** Shared concurrency slots: a sample waits for one, under the deadline. */
  readonly slot: Limiter;
  /** Started by the caller before the run's first step (disposed by it too). */
  readonly deadline: RunDeadline;
  readonly onEvent?: (sample: number, event: ReasoningEvent) => void;
  /** Results kept from earlier runs (the CLI's cache): a sample found there sends nothing, not even a probe. */
  readonly results?: StoredResults;
}

export interface StoredResults {
  get(sample: number, seed: number | undefined): Promise<PlannedRunOutput | undefined>;
  /** Offered every sample's output; keeps the ones worth keeping. */
  put(sample: number, seed: number | undefined, output: PlannedRunOutput): Promise<void>;
}

export async function runReview(input: ReviewInput): Promise<SampledRun<PlannedRunOutput>> {
  const sampled = await runSamples(input.samples, input.seed, (index, seed) => runSample(input, index, seed));
  const { deadline, samples } = input;
  if (!deadline.expired || samples === 1 || sampled.outputs.every((o) => !o.error)) return sampled;
  // The samples that finished still vote, but the review did not finish: say how far it got.
  const finished = sampled.outputs.filter((o) => !o.error).length;
  return { ...sampled, error: deadline.error(`${finished} of ${samples} samples`) };
}

async function runSample(input: ReviewInput, index: number, seed: number | undefined): Promise<PlannedRunOutput> {
  const stored = await input.results?.get(index, seed);
  if (stored) return stored;
  const output = await runSampleUnderDeadline(input, index, seed);
  await input.results?.put(index, seed, output);
  return output;
}

async function runSampleUnderDeadline(input: ReviewInput, index: number, seed: number | undefined): Promise<PlannedRunOutput> {
  const { deadline } = input;
  let started = false;
  const work = input.slot(async () => {
    started = true;
    if (deadline.signal.aborted) return notStarted(input);
    const plan = await deadline.race(input.planFor(index, seed, deadline.signal)).catch((error: unknown) => {
      if (!deadline.signal.aborted) throw error;
      return undefined;
    });
    if (!plan) return notStarted(input);
    // runPlanned ends by itself at the deadline, with what its finished parts found.
    return runPlanned({
      backend: input.backend,
      code: input.code,
      plan,
      signal: deadline.signal,
      deadline,
      ...(input.onEvent ? { onEvent: (event: ReasoningEvent) => input.onEvent!(index, event) } : {}),
    });
  });
  try {
    // The wait for a slot counts: a sample that gets none before the deadline ends without a request.
    return await deadline.race(work);
  } catch (error) {
    if (!deadline.signal.aborted) throw error;
    return started ? work : notStarted(input);
  }
}

/** A sample the deadline (or a cancel) ended before its first request. */
function notStarted(input: ReviewInput): PlannedRunOutput {
  const { deadline } = input;
  const error = deadline.expired ? deadline.error(input.samples > 1 ? 'waiting for a concurrency slot' : undefined) : cancelledError();
  return { notes: [], repaired: false, messages: [], reasoning: '', answer: '', error };
}
