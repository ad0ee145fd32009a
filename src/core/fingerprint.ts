// A finding's identity across runs, samples and edits: a hash of the code it is about (normalized),
// the symbol that code sits in, and the finding's category. Line numbers are left out on purpose:
// lines inserted above a finding, or a reformat, must not turn it into a "new" finding, or
// baselines, "dismissed before" and sample voting would all churn.

import { createHash } from 'node:crypto';
import type { Category, LineRange, TextRange } from './types';

/** Bumped when the recipe changes; stored fingerprints of another version never match. */
export const FINGERPRINT_VERSION = 'thinklens/v1';

/** How far up the file the enclosing symbol is looked for; beyond that the finding is "top level". */
const MAX_SYMBOL_SCAN_LINES = 2_000;
/** Occurrences of the same code are counted over at most this many lines above the finding. */
const MAX_OCCURRENCE_SCAN_LINES = 300;
/** Long quotes are cut: the first part identifies the code well enough, and hashing stays cheap. */
const MAX_CODE_CHARS = 4_000;

export interface FingerprintInput {
  readonly category: Category;
  /** The file's lines (no line ends). */
  readonly lines: readonly string[];
  /** Where the model's quote was found in the file, when it was. */
  readonly range?: TextRange;
  /** The model's quote as written (used when it was not found in the file). */
  readonly quote?: string;
  /** The lines the finding sits on (used when there is no quote at all). */
  readonly place: LineRange;
}

/** The pieces that go into the hash, exposed so tests and logs can show why two findings differ. */
export interface FingerprintParts {
  readonly category: Category;
  /** `Outer.inner` of the enclosing declarations, innermost last; '' at top level. */
  readonly symbol: string;
  /** Normalized code, prefixed with where it came from (`q:` located quote, `u:` unlocated quote, `l:` lines). */
  readonly code: string;
  /** Which occurrence of the same normalized code inside the same symbol this is (0 for the first). */
  readonly occurrence: number;
}

/** A stable identifier of a finding: 32 hex digits. */
export function fingerprintOf(input: FingerprintInput): string {
  return hashParts(fingerprintParts(input));
}

export function hashParts(parts: FingerprintParts): string {
  return createHash('sha256')
    .update([FINGERPRINT_VERSION, parts.category, parts.symbol, parts.code, String(parts.occurrence)].join('\u0000'))
    .digest('hex')
    .slice(0, 32);
}

export function fingerprintParts(input: FingerprintInput): FingerprintParts {
  const { lines, range, place } = input;
  const anchorLine = range ? range.startLine : place.startLine;
  const symbolScope = enclosingSymbol(lines, anchorLine);
  let code: string;
  let occurrence = 0;
  if (range) {
    const located = normalizeCode(textAt(lines, range));
    code = `q:${located}`;
    occurrence = occurrenceIndex(lines, symbolScope.startLine, range, located);
  } else if (input.quote && normalizeCode(input.quote) !== '') {
    code = `u:${normalizeCode(input.quote)}`;
  } else {
    code = `l:${normalizeCode(lines.slice(place.startLine - 1, place.endLine).join('\n'))}`;
  }
  return { category: input.category, symbol: symbolScope.name, code: code.slice(0, MAX_CODE_CHARS), occurrence };
}

/**
 * Code with its layout taken out: whitespace disappears except where it separates two word
 * characters (`return x` stays two tokens), so re-indenting, re-wrapping and `a+b` vs `a + b`
 * all give the same text.
 */
export function normalizeCode(text: string): string {
  return text
    .replace(/\s+/g, ' ')
    .replace(/ (?![\p{L}\p{N}_$])|(?<![\p{L}\p{N}_$]) /gu, '')
    .trim();
}

/** The text of a precise range of `lines` (1-based lines, 0-based columns, end exclusive). */
function textAt(lines: readonly string[], range: TextRange): string {
  if (range.startLine === range.endLine) return (lines[range.startLine - 1] ?? '').slice(range.startColumn, range.endColumn);
  const parts = [(lines[range.startLine - 1] ?? '').slice(range.startColumn)];
  for (let line = range.startLine + 1; line < range.endLine; line++) parts.push(lines[line - 1] ?? '');
  parts.push((lines[range.endLine - 1] ?? '').slice(0, range.endColumn));
  return parts.join('\n');
}

/**
 * Two findings about the same expression in one function (`i++` in two loops) are told apart by
 * which occurrence they are, counted from the start of the symbol: lines inserted above the symbol
 * do not change the count.
 */
function occurrenceIndex(lines: readonly string[], scopeStart: number, range: TextRange, normalized: string): number {
  if (normalized === '') return 0;
  const from = Math.max(scopeStart, range.startLine - MAX_OCCURRENCE_SCAN_LINES);
  const before = normalizeCode(
    [...lines.slice(from - 1, range.startLine - 1), (lines[range.startLine - 1] ?? '').slice(0, range.startColumn)].join('\n'),
  );
  let count = 0;
  for (let at = before.indexOf(normalized); at >= 0; at = before.indexOf(normalized, at + 1)) count++;
  return count;
}

// ---- the enclosing symbol ----

const KEYWORD_DECLARATION =
  /\b(?:function\*?|def|fn|func|fun|sub|class|interface|struct|enum|trait|impl|module|namespace|object|record|protocol|extension)\s+(?:\([^)]*\)\s*)?([\p{L}_$][\p{L}\p{N}_$]*)/u;
const BOUND_FUNCTION =
  /\b(?:const|let|var|val)\s+([\p{L}_$][\p{L}\p{N}_$]*)\s*(?::[^=]+)?=\s*(?:async\s+)?(?:function\b|\([^)]*\)\s*(?::[^=]+)?=>|[\p{L}_$][\p{L}\p{N}_$]*\s*=>)/u;
/** `name(args) {`, `public int name(args) throws X {`, `async name(args): T {` — a method head. */
const METHOD_HEAD = /^\s*(?:[\w$<>[\],.?*&:@]+\s+)*([\p{L}_$~][\p{L}\p{N}_$]*)\s*\([^;]*\)\s*[^;=]*\{?\s*$/u;
const NOT_A_NAME = new Set([
  'if',
  'for',
  'while',
  'switch',
  'catch',
  'return',
  'else',
  'do',
  'try',
  'with',
  'elif',
  'except',
  'match',
  'when',
  'foreach',
  'using',
  'lock',
  'synchronized',
  'new',
  'await',
  'yield',
  'throw',
  'typeof',
  'sizeof',
  'assert',
  'print',
]);

function declaredName(line: string): string | undefined {
  const keyword = KEYWORD_DECLARATION.exec(line) ?? BOUND_FUNCTION.exec(line);
  if (keyword) return keyword[1];
  const method = METHOD_HEAD.exec(line);
  if (method && !NOT_A_NAME.has(method[1]!) && /[{:]\s*$|\)\s*$/.test(line) && !/^\s*(?:\}|\))/.test(line)) return method[1];
  return undefined;
}

const indentWidth = (line: string): number => {
  let width = 0;
  for (const ch of line) {
    if (ch === ' ') width++;
    else if (ch === '\t') width += 4;
    else break;
  }
  return width;
};

/**
 * The chain of declarations around `line` (1-based), found by walking up to lines indented less
 * than the ones below them. Works across brace and indentation languages without parsing; a
 * finding on a declaration's own line belongs to that declaration.
 */
export function enclosingSymbol(lines: readonly string[], line: number): { readonly name: string; readonly startLine: number } {
  const names: string[] = [];
  let startLine = 1;
  const own = lines[line - 1] ?? '';
  const ownName = own.trim() !== '' ? declaredName(own) : undefined;
  let threshold = own.trim() === '' ? Number.POSITIVE_INFINITY : indentWidth(own);
  if (ownName) {
    names.push(ownName);
    startLine = line;
  }
  const stop = Math.max(1, line - MAX_SYMBOL_SCAN_LINES);
  for (let index = line - 1; index >= stop && threshold > 0; index--) {
    const text = lines[index - 1] ?? '';
    if (text.trim() === '') continue;
    const width = indentWidth(text);
    if (width >= threshold) continue;
    threshold = width;
    const name = declaredName(text);
    if (name) {
      names.push(name);
      if (names.length === 1) startLine = index;
    }
  }
  return { name: names.reverse().join('.'), startLine: names.length > 0 ? startLine : 1 };
}
