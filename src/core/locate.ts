// Finds where a model's `quote` sits in the file. Models get line numbers wrong (off by a few,
// counted from the hunk, counted from 0) but copy code well, so the quote is the anchor and the
// claimed lines only say where to look first. Fuzziness stays conservative: an ambiguous or weak
// match returns undefined, and the caller keeps the finding with its location marked uncertain.

import type { LineRange, TextRange } from './types';
import { splitLines } from './text';

export interface LocateOptions {
  /** How many lines around the claimed ones to search. Default 40. */
  readonly radius?: number;
  /**
   * Beyond the radius, accept a quote that occurs exactly once in the whole file and is long
   * enough to be distinctive (a model that numbered a hunk from 1). Default true.
   */
  readonly wholeFileIfUnique?: boolean;
  /**
   * Only matches inside these ranges count: the lines the model was shown (the code under review
   * and its reference context). A copy of the quote on lines it never saw is a coincidence.
   */
  readonly within?: readonly LineRange[];
  /**
   * The file is prose (a proof): LaTeX spacing (`~`, `\,`, `\quad`) counts as
   * whitespace, since a model re-flowing a sentence writes it as a plain space or drops it.
   */
  readonly prose?: boolean;
}

const DEFAULT_RADIUS = 40;
/** Non-whitespace characters a quote needs before it may move a finding off its claimed lines. */
const MIN_TO_MOVE = 4;
/** ... before matching with all whitespace ignored (`a+b` for `a + b`). */
const MIN_FOR_SPACELESS = 6;
/** ... before a unique match anywhere in the file is trusted. */
const MIN_FOR_WHOLE_FILE = 12;
/** An elided quote (`first … last`) must find its pieces within this many lines. */
const MAX_ELISION_LINES = 60;
/** Non-whitespace characters a quote needs before its string quotes may differ from the file's. */
const MIN_FOR_ANY_QUOTES = 12;

/**
 * The precise range of `quote` in `fileText`: on the claimed lines when it is there, otherwise the
 * nearest occurrence within the radius. Whitespace-insensitive; tolerates a copied `12 | ` prefix,
 * wrapping backticks, `...`/`…` truncation, string quotes swapped (`'` for `"`) and a `\n` escape
 * that lost its backslash in the JSON. Columns are UTF-16 code units, like VS Code's.
 */
export function locateQuote(fileText: string, quote: string, claimed: LineRange, options?: LocateOptions): TextRange | undefined {
  return locateQuoteInLines(splitLines(fileText), quote, claimed, options);
}

/** As `locateQuote`, over a file already split into lines (the parser locates many quotes). */
export function locateQuoteInLines(
  lines: readonly string[],
  quote: string,
  claimed: LineRange,
  options?: LocateOptions,
): TextRange | undefined {
  if (typeof quote !== 'string' || quote.trim() === '' || lines.length === 0) return undefined;
  const radius = Math.max(0, options?.radius ?? DEFAULT_RADIUS);
  const variants = quoteVariants(quote);
  const claim = normalizeClaim(claimed);
  const within = options?.within;
  const prose = options?.prose ?? false;
  const seen = within ? (range: TextRange): boolean => isWithin(range, within) : undefined;

  if (claim) {
    const lo = Math.max(1, claim.startLine - radius);
    const hi = Math.min(lines.length, claim.endLine + radius);
    if (lo <= hi) {
      const window = new Window(lines, lo, hi, prose);
      // Quotes written with other string quotes are a last resort: an exact copy a few lines away
      // is likelier to be what the model meant than a near copy on the claimed line.
      for (const tiers of [EXACT_TIERS, LENIENT_TIERS]) {
        for (const pieces of variants) {
          const found = nearest(window, pieces, claim, tiers, seen);
          if (found === 'ambiguous') return undefined;
          if (found) return found;
        }
      }
    }
  }

  if (options?.wholeFileIfUnique ?? true) {
    const whole = wholeFileWindow(lines, prose);
    for (const pieces of variants) {
      if (pieces.length !== 1 || significant(pieces[0]!) < MIN_FOR_WHOLE_FILE) continue;
      const matches = whole.find(pieces, 'collapsed').filter((range) => !seen || seen(range));
      if (matches.length === 1) return matches[0];
      if (matches.length > 1) return undefined;
    }
  }
  return undefined;
}

function isWithin(range: TextRange, ranges: readonly LineRange[]): boolean {
  return ranges.some((r) => range.startLine >= r.startLine && range.endLine <= r.endLine);
}

// ---- choosing among matches ----

/**
 * How a quote is compared with the file: whitespace runs collapsed; whitespace removed; and
 * whitespace removed with `'`, `"` and `` ` `` taken as the same character (a model that swapped
 * string quotes to avoid escaping them in JSON).
 */
type Tier = 'collapsed' | 'spaceless' | 'anyQuotes';

const EXACT_TIERS: readonly Tier[] = ['collapsed', 'spaceless'];
const LENIENT_TIERS: readonly Tier[] = ['anyQuotes'];

/** The minimum quote length (non-whitespace characters) for each tier. */
const TIER_MIN: Readonly<Record<Tier, number>> = { collapsed: 0, spaceless: MIN_FOR_SPACELESS, anyQuotes: MIN_FOR_ANY_QUOTES };

function nearest(
  window: Window,
  pieces: readonly string[],
  claim: LineRange,
  candidateTiers: readonly Tier[],
  seen: ((range: TextRange) => boolean) | undefined,
): TextRange | 'ambiguous' | undefined {
  const length = pieces.reduce((n, p) => n + significant(p), 0);
  const tiers = candidateTiers.filter((tier) => length >= TIER_MIN[tier]);
  let best: { range: TextRange; distance: number; tier: number }[] = [];
  tiers.forEach((tier, tierIndex) => {
    for (const range of window.find(pieces, tier)) {
      if (seen && !seen(range)) continue;
      const distance = distanceTo(range, claim);
      if (distance > 0 && length < MIN_TO_MOVE) continue;
      const candidate = { range, distance, tier: tierIndex };
      const head = best[0];
      if (!head || distance < head.distance) best = [candidate];
      else if (distance === head.distance) best.push(candidate);
    }
  });
  if (best.length === 0) return undefined;
  // A whitespace-exact match beats one that needed all spaces removed, at the same distance.
  const topTier = Math.min(...best.map((c) => c.tier));
  const top = best.filter((c) => c.tier === topTier);
  const first = top[0]!;
  if (first.distance > 0) {
    // Equally near above and below: nothing says which one the model meant.
    const above = top.some((c) => c.range.endLine < claim.startLine);
    const below = top.some((c) => c.range.startLine > claim.endLine);
    if (above && below) return 'ambiguous';
  }
  return first.range;
}

function distanceTo(range: TextRange, claim: LineRange): number {
  if (range.endLine < claim.startLine) return claim.startLine - range.endLine;
  if (range.startLine > claim.endLine) return range.startLine - claim.endLine;
  return 0;
}

function normalizeClaim(claimed: LineRange): LineRange | undefined {
  const start = Number(claimed?.startLine);
  const end = Number.isFinite(Number(claimed?.endLine)) ? Number(claimed.endLine) : start;
  if (!Number.isFinite(start)) return undefined;
  return { startLine: Math.min(start, end), endLine: Math.max(start, end) };
}

// ---- quote variants, tried in order until one is found ----

function quoteVariants(quote: string): string[][] {
  const bases: string[] = [];
  const add = (text: string): void => {
    const trimmed = text.trim();
    if (trimmed !== '' && !bases.includes(trimmed)) bases.push(trimmed);
  };
  add(quote);
  const unwrapped = unwrap(quote.trim());
  add(unwrapped);
  add(
    unwrapped
      .split(/\r\n|\r|\n/)
      .map(stripOnePrefix)
      .join('\n'),
  );
  // A `\n` inside a string literal that the model did not escape twice in its JSON arrives as a
  // real line break; tried after the quote as written, which may really span lines.
  if (/\S[ \t]*(\r\n|\r|\n)/.test(unwrapped.trim())) add(unwrapped.trim().replace(/\r\n|\r|\n/g, '\\n'));

  const variants: string[][] = bases.map((b) => [b]);
  // Truncated or elided quotes come last: `...` is also real syntax (spread), so only once the
  // verbatim forms failed.
  for (const base of bases) {
    if (!/…|\.{3,}/.test(base)) continue;
    const pieces = base
      .split(/…|\.{3,}/)
      .map((p) => p.trim())
      .filter((p) => p !== '');
    if (pieces.length > 0 && !variants.some((v) => same(v, pieces))) {
      variants.push(pieces);
    }
  }
  return variants;
}

function same(a: readonly string[], b: readonly string[]): boolean {
  return a.length === b.length && a.every((x, i) => x === b[i]);
}

/** Backticks or quotation marks a model wrapped around the whole quote. */
function unwrap(text: string): string {
  const match = /^(`+|"|')([\s\S]+)\1$/.exec(text);
  return match ? match[2]! : text;
}

/** A `12 | ` prefix copied from the numbered prompt (only tried after the verbatim quote failed). */
function stripOnePrefix(line: string): string {
  return line.replace(/^[ \t]*\d+[ \t]*\|[ \t]?/, '');
}

function significant(text: string): number {
  return text.replace(/\s+/g, '').length;
}

// ---- whitespace-normalised search with a map back to file positions ----

/** The parser locates every finding of an answer in the same lines: flatten the file once. */
const wholeFileWindows = new WeakMap<readonly string[], Window>();
const wholeProseWindows = new WeakMap<readonly string[], Window>();

function wholeFileWindow(lines: readonly string[], prose: boolean): Window {
  const cache = prose ? wholeProseWindows : wholeFileWindows;
  let window = cache.get(lines);
  if (!window) {
    window = new Window(lines, 1, lines.length, prose);
    cache.set(lines, window);
  }
  return window;
}

/**
 * LaTeX that only makes space: a tie, the spacing commands and an escaped space. In prose these
 * read as whitespace on both sides of a comparison.
 */
const TEX_SPACE = /\\(?:qquad|quad|enspace|thinspace|medspace|thickspace|nobreakspace)(?![a-zA-Z])|(?<!\\)\\[,;:! ]|(?<!\\)~/g;

/** `text` with its LaTeX spacing written as plain spaces. */
export function texSpacesAsBlanks(text: string): string {
  return text.replace(TEX_SPACE, (match) => ' '.repeat(match.length));
}

/** For the `anyQuotes` tier, `'` and `` ` `` read as `"` (the file's side is mapped in `flat`). */
function sameQuotes(text: string, tier: Tier): string {
  return tier === 'anyQuotes' ? text.replace(/['`]/g, '"') : text;
}

/** Exactly the characters `\s` matches, without a regex per character. */
function isSpace(code: number): boolean {
  return (
    code === 32 ||
    (code >= 9 && code <= 13) ||
    code === 0xa0 ||
    code === 0x1680 ||
    (code >= 0x2000 && code <= 0x200a) ||
    code === 0x2028 ||
    code === 0x2029 ||
    code === 0x202f ||
    code === 0x205f ||
    code === 0x3000 ||
    code === 0xfeff
  );
}

/** Lines lo..hi flattened twice (whitespace collapsed; whitespace removed), each char mapped back. */
class Window {
  private readonly cache = new Map<Tier, { text: string; line: Int32Array; column: Int32Array }>();

  constructor(
    private readonly lines: readonly string[],
    private readonly lo: number,
    private readonly hi: number,
    private readonly prose = false,
  ) {}

  find(pieces: readonly string[], tier: Tier): TextRange[] {
    const flat = this.flat(tier);
    const needles = pieces
      .map((p) => (this.prose ? texSpacesAsBlanks(p) : p))
      .map((p) => (tier === 'collapsed' ? p.replace(/\s+/g, ' ').trim() : sameQuotes(p.replace(/\s+/g, ''), tier)));
    if (needles.some((n) => n === '')) return [];
    const results: TextRange[] = [];
    let from = 0;
    for (;;) {
      const start = flat.text.indexOf(needles[0]!, from);
      if (start < 0) break;
      from = start + 1;
      let end = start + needles[0]!.length;
      let complete = true;
      for (const needle of needles.slice(1)) {
        const next = flat.text.indexOf(needle, end);
        if (next < 0 || flat.line[next]! - flat.line[start]! > MAX_ELISION_LINES) {
          complete = false;
          break;
        }
        end = next + needle.length;
      }
      if (!complete) continue;
      results.push({
        startLine: flat.line[start]!,
        startColumn: flat.column[start]!,
        endLine: flat.line[end - 1]!,
        endColumn: flat.column[end - 1]! + 1,
      });
    }
    return results;
  }

  private flat(tier: Tier): { text: string; line: Int32Array; column: Int32Array } {
    const cached = this.cache.get(tier);
    if (cached) return cached;
    let total = 0;
    for (let l = this.lo; l <= this.hi; l++) total += this.lines[l - 1]!.length + 1;
    const line = new Int32Array(total);
    const column = new Int32Array(total);
    const codes = new Uint16Array(total);
    let length = 0;
    let pendingSpace = false;
    for (let l = this.lo; l <= this.hi; l++) {
      // Prose: the same length with LaTeX spacing blanked, so columns still map to the file's.
      const text = this.prose ? texSpacesAsBlanks(this.lines[l - 1]!) : this.lines[l - 1]!;
      for (let c = 0; c < text.length; c++) {
        const code = text.charCodeAt(c);
        if (isSpace(code)) {
          pendingSpace = tier === 'collapsed';
          continue;
        }
        if (pendingSpace && length > 0) {
          // The space stands for the whitespace run before this character; map it there too.
          line[length] = l;
          column[length] = c;
          codes[length++] = 32;
        }
        pendingSpace = false;
        line[length] = l;
        column[length] = c;
        codes[length++] = tier === 'anyQuotes' && (code === 39 || code === 96) ? 34 : code;
      }
      pendingSpace = tier === 'collapsed';
    }
    let text = '';
    for (let at = 0; at < length; at += 8192) {
      // apply, not spread: spreading a typed array goes through its iterator and is ten times slower.
      text += String.fromCharCode.apply(null, codes.subarray(at, Math.min(length, at + 8192)) as unknown as number[]);
    }
    const result = { text, line, column };
    this.cache.set(tier, result);
    return result;
  }
}
