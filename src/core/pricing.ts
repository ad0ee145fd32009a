// Turns token usage into money with a small price table keyed "<backend>/<model>", prices in US
// dollars per 1M tokens. Prices move, so the defaults are only a starting point: the
// `thinklens.pricing` setting is merged over them (`mergePriceTable`). A server-reported cost
// (OpenRouter) always wins over the table (`withCost`).

import type { BackendId, Usage } from './types';

export interface Price {
  readonly inputCacheHit: number;
  readonly inputCacheMiss: number;
  readonly output: number;
}

export interface PriceEntry extends Price {
  /** Prices inside the peak windows; the top-level prices apply outside them. */
  readonly peak?: Price;
  /** UTC hour windows `[start, end)` when `peak` applies. */
  readonly peakHoursUtc?: ReadonlyArray<readonly [number, number]>;
}

/** "<backend>/<model>" (or "<backend>/*" for every model of a backend) to prices per 1M tokens. */
export type PriceTable = Readonly<Record<string, PriceEntry>>;

/** DeepSeek's peak hours: 01:00-04:00 and 06:00-10:00 UTC (DeepSeek's published off-peak discount). */
const DEEPSEEK_PEAK_HOURS: ReadonlyArray<readonly [number, number]> = [
  [1, 4],
  [6, 10],
];

export const DEFAULT_PRICES: PriceTable = {
  'deepseek/deepseek-flash': {
    inputCacheHit: 0.003,
    inputCacheMiss: 0.15,
    output: 0.6,
    peak: { inputCacheHit: 0.006, inputCacheMiss: 0.3, output: 1.2 },
    peakHoursUtc: DEEPSEEK_PEAK_HOURS,
  },
  'deepseek/deepseek-v4-pro': {
    inputCacheHit: 0.022,
    inputCacheMiss: 0.66,
    output: 1.98,
    peak: { inputCacheHit: 0.044, inputCacheMiss: 1.32, output: 3.96 },
    peakHoursUtc: DEEPSEEK_PEAK_HOURS,
  },
};

/** The price entry for a model: an exact "<backend>/<model>" key, else "<backend>/*". */
export function priceFor(backend: BackendId, model: string, table: PriceTable = DEFAULT_PRICES): PriceEntry | undefined {
  return ownEntry(table, `${backend}/${model}`) ?? ownEntry(table, `${backend}/*`);
}

/**
 * Cost in US dollars from the table, or undefined when the table does not know the model.
 * Cached prompt tokens are charged at the cache-hit price, the rest of the prompt at the miss
 * price; completion tokens (reasoning included, as providers bill them) at the output price. `at`
 * is when the request was made (peak windows are priced by request time).
 */
export function costOf(
  usage: Usage,
  backend: BackendId,
  model: string,
  table: PriceTable = DEFAULT_PRICES,
  at: Date = new Date(),
): number | undefined {
  const entry = priceFor(backend, model, table);
  if (!entry) return undefined;
  const price = entry.peak && isPeak(entry, at) ? entry.peak : entry;
  const prompt = Math.max(0, usage.promptTokens);
  const hit = Math.min(prompt, Math.max(0, usage.cachedPromptTokens ?? 0));
  const miss = prompt - hit;
  const output = Math.max(0, usage.completionTokens);
  return (hit * price.inputCacheHit + miss * price.inputCacheMiss + output * price.output) / 1_000_000;
}

/** The usage with `costUsd` filled from the table when the server did not report a cost. */
export function withCost(
  usage: Usage,
  backend: BackendId,
  model: string,
  table: PriceTable = DEFAULT_PRICES,
  at: Date = new Date(),
): Usage {
  if (usage.costUsd !== undefined) return usage;
  const cost = costOf(usage, backend, model, table, at);
  return cost === undefined ? usage : { ...usage, costUsd: cost };
}

export function isPeak(entry: PriceEntry, at: Date): boolean {
  const hour = at.getUTCHours() + at.getUTCMinutes() / 60;
  return (entry.peakHoursUtc ?? []).some(([start, end]) => hour >= start && hour < end);
}

/**
 * Merges the user's table (the `thinklens.pricing` setting, untrusted) over `base`. A user entry
 * replaces the default entry for its key; fields it leaves out are taken from that default (so
 * `{ "output": 1 }` changes one price). Entries that are not valid are skipped and described in
 * `problems`, for the log.
 */
export function mergePriceTable(user: unknown, base: PriceTable = DEFAULT_PRICES): { table: PriceTable; problems: string[] } {
  const table: Record<string, PriceEntry> = { ...base };
  const problems: string[] = [];
  if (user === undefined || user === null) return { table, problems };
  if (!isRecord(user)) return { table, problems: ['thinklens.pricing must be an object of "<backend>/<model>" entries.'] };
  for (const [key, value] of Object.entries(user)) {
    if (!/^[^/\s]+\/\S+$/.test(key)) {
      problems.push(`thinklens.pricing: "${key}" is not a "<backend>/<model>" key; skipped.`);
      continue;
    }
    const entry = parseEntry(value, ownEntry(base, key));
    if (typeof entry === 'string') problems.push(`thinklens.pricing["${key}"]: ${entry}; skipped.`);
    // Defined, not assigned: a key such as "__proto__" from the setting stays data, never the prototype.
    else Object.defineProperty(table, key, { value: entry, enumerable: true, writable: true, configurable: true });
  }
  return { table, problems };
}

const PRICE_FIELDS = ['inputCacheHit', 'inputCacheMiss', 'output'] as const;

function parseEntry(value: unknown, fallback: PriceEntry | undefined): PriceEntry | string {
  if (!isRecord(value)) return 'expected an object with inputCacheHit, inputCacheMiss and output (USD per 1M tokens)';
  const price = parsePrice(value, fallback);
  if (typeof price === 'string') return price;
  let entry: PriceEntry = price;
  const peakValue = value.peak ?? fallback?.peak;
  if (peakValue !== undefined) {
    const peak = parsePrice(peakValue, fallback?.peak);
    if (typeof peak === 'string') return `peak: ${peak}`;
    const hours = value.peakHoursUtc ?? fallback?.peakHoursUtc;
    if (!isHourWindows(hours)) return 'peakHoursUtc must be a list of [startHour, endHour] pairs between 0 and 24';
    entry = { ...entry, peak, peakHoursUtc: hours };
  }
  return entry;
}

function parsePrice(value: unknown, fallback: Price | undefined): Price | string {
  if (!isRecord(value)) return 'expected an object';
  const out: Record<string, number> = {};
  for (const field of PRICE_FIELDS) {
    const v = value[field] ?? fallback?.[field];
    if (typeof v !== 'number' || !Number.isFinite(v) || v < 0) return `${field} must be a number of US dollars per 1M tokens, 0 or more`;
    out[field] = v;
  }
  return out as unknown as Price;
}

function isHourWindows(value: unknown): value is ReadonlyArray<readonly [number, number]> {
  return (
    Array.isArray(value) &&
    value.every(
      (w) =>
        Array.isArray(w) &&
        w.length === 2 &&
        w.every((h) => typeof h === 'number' && h >= 0 && h <= 24) &&
        (w[0] as number) < (w[1] as number),
    )
  );
}

function ownEntry(table: PriceTable, key: string): PriceEntry | undefined {
  return Object.prototype.hasOwnProperty.call(table, key) ? table[key] : undefined;
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}
