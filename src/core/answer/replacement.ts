// Cleaning a fix's replacement text before it is applied (placement.ts): fences and copied line
// numbers off, broken escapes and indentation repaired, elisions and copied neighbours caught.

import type { LineRange } from '../types';
import { indentationOf, LINE_NUMBER_PREFIX, splitLines, stripLineNumberPrefixes } from '../text';

/** The replacement without a wrapping fence or copied `12 | ` prefixes, for comparing with code. */
export function comparableReplacement(replacement: string, near: number): string {
  const fence = FENCED_REPLACEMENT.exec(replacement);
  return stripLineNumberPrefixes(fence ? fence[2]! : replacement, near);
}

const FENCED_REPLACEMENT = /^\s*(`{3,}|~{3,})[^\n]*\n([\s\S]*?)\r?\n?[ \t]*\1\s*$/;

/**
 * The replacement as lines: without a fence or `12 | ` prefixes a model wrapped it in, without
 * one trailing line break, with a `\n` that lost its JSON escaping put back, and indented like
 * the code it replaces (tabs or spaces as the file has them; a block written at another depth
 * moved back).
 */
export function cleanReplacement(replacement: string, original: readonly string[], startLine: number): string[] {
  let text = replacement;
  const fence = FENCED_REPLACEMENT.exec(text);
  if (fence) text = fence[2]!;
  // Code that itself starts with `1 | ...` (bit flags) is not a copied line number.
  const originalLooksNumbered = original.some((line) => LINE_NUMBER_PREFIX.test(line));
  if (!originalLooksNumbered) text = stripLineNumberPrefixes(text, startLine);
  const out = splitLines(repairBrokenStringEscapes(text, original));
  if (out.length > 1 && out[out.length - 1] === '') out.pop();
  return reindent(matchIndentCharacters(out, original), original);
}

/**
 * A model that writes `"\n"` inside a string in its JSON (instead of `"\\n"`) sends a real line
 * break in the middle of a string literal, which no language with one-line `"` strings accepts.
 * When the code being replaced keeps every `"` string on one line, and reading those breaks as
 * `\n` closes every string the replacement opens, they are put back. Replacements that may hold
 * multi-line strings (triple quotes, backticks) are left alone.
 */
function repairBrokenStringEscapes(text: string, original: readonly string[]): string {
  if (!/\r\n|\r|\n/.test(text) || /"""|'''|`/.test(text)) return text;
  if (original.some((line) => openAfter(line, false))) return text;
  const parts = text.split(/\r\n|\r|\n/);
  let out = parts[0]!;
  let open = openAfter(out, false);
  let repaired = false;
  for (const part of parts.slice(1)) {
    out += open ? '\\n' : '\n';
    repaired ||= open;
    out += part;
    open = openAfter(part, open);
  }
  return repaired && !open ? out : text;
}

/** Whether a `"` string is open at the end of `line`, given whether one was open at its start. */
function openAfter(line: string, openAtStart: boolean): boolean {
  let open = openAtStart;
  for (let i = 0; i < line.length; i++) {
    const ch = line[i]!;
    if (open && ch === '\\') i++;
    else if (ch === '"') open = !open;
    // A character literal holding a quote ('"' or '\"') is not a string.
    else if (!open && line.startsWith(`'"'`, i)) i += 2;
    else if (!open && line.startsWith(`'\\"'`, i)) i += 3;
  }
  return open;
}

/**
 * Leading tabs where the code uses tabs and the model wrote spaces (models often turn a tab into
 * four spaces), and the reverse. The width comes from the first line's indentation on both sides.
 */
function matchIndentCharacters(out: string[], original: readonly string[]): string[] {
  const indents = original
    .filter((line) => line.trim() !== '')
    .map(indentationOf)
    .filter((indent) => indent !== '');
  if (indents.length === 0) return out;
  const tabs = indents.every((indent) => /^\t+ *$/.test(indent));
  if (!tabs && !indents.every((indent) => /^ +$/.test(indent))) return out;
  const foreign = tabs ? /^ +/ : /^\t+/;
  const written = out.filter((line) => line.trim() !== '' && indentationOf(line) !== '');
  // Only a replacement indented wholly the other way; a mix is left as the model wrote it.
  if (written.length === 0 || !written.every((line) => foreign.test(line) && !/^( +\t|\t+ )/.test(line))) return out;

  const firstOriginal = indentationOf(original.find((line) => line.trim() !== '') ?? '');
  const firstOut = indentationOf(out.find((line) => line.trim() !== '') ?? '');
  if (tabs) {
    const tabCount = /^\t*/.exec(firstOriginal)![0].length;
    const ratio = tabCount > 0 ? firstOut.length / tabCount : 0;
    const width = [2, 4, 8].includes(ratio) ? ratio : 4;
    return out.map((line) => {
      const lead = /^ +/.exec(line)?.[0];
      if (!lead || line.trim() === '') return line;
      return '\t'.repeat(Math.floor(lead.length / width)) + ' '.repeat(lead.length % width) + line.slice(lead.length);
    });
  }
  const ratio = firstOut.length > 0 ? firstOriginal.length / firstOut.length : 0;
  const width = [2, 4, 8].includes(ratio) ? ratio : 4;
  return out.map((line) => {
    const lead = /^\t+/.exec(line)?.[0];
    return lead && line.trim() !== '' ? ' '.repeat(lead.length * width) + line.slice(lead.length) : line;
  });
}

/**
 * Puts a replacement at the depth of the code it replaces when the model wrote it at another one:
 * only its first line lost its indentation while the rest is absolute, or the whole block sits
 * shallower or deeper with its inner structure intact.
 */
function reindent(out: string[], original: readonly string[]): string[] {
  const originalIndent = indentationOf(original.find((line) => line.trim() !== '') ?? '');
  const firstIndex = out.findIndex((line) => line.trim() !== '');
  if (firstIndex < 0) return out;
  const firstIndent = indentationOf(out[firstIndex]!);
  if (firstIndent === originalIndent) return out;
  const rest = out.slice(firstIndex + 1).filter((line) => line.trim() !== '');
  if (firstIndent.length < originalIndent.length && originalIndent.startsWith(firstIndent)) {
    // Either only the first line lost its indentation (the rest is already absolute, e.g. a closing
    // brace at the original depth), or the whole block is written too shallow.
    const extra = originalIndent.slice(firstIndent.length);
    const onlyFirst = rest.length > 0 && rest.every((line) => indentationOf(line).length >= originalIndent.length);
    return out.map((line, i) => (line.trim() === '' || i < firstIndex || (onlyFirst && i !== firstIndex) ? line : extra + line));
  }
  if (firstIndent.length > originalIndent.length && firstIndent.startsWith(originalIndent)) {
    // The whole block too deep: only when every line carries the surplus, so nothing is cut.
    const surplus = firstIndent.slice(originalIndent.length);
    if (!rest.every((line) => line.startsWith(surplus))) return out;
    return out.map((line) => (line.trim() === '' ? line : line.slice(surplus.length)));
  }
  return out;
}

/** Marks a model writes for code it left out: `// ...`, `# … rest unchanged`, a block comment saying so. */
const ELISION_COMMENT = /^(?:\/\/+|#+|--|\/\*+|\*|<!--)\s*(.*?)\s*(?:\*\/|-->)?$/;
const ELLIPSIS = /^[([]?(?:\.{3,}|…)|(?:\.{3,}|…)[)\]]?$/;
const LEFT_OUT = /\b(?:unchanged|as before|same as (?:before|above)|rest of|remaining|existing (?:code|logic)|omitted)\b/i;

/** A line of the replacement that stands for code left out, if any (and not already in the code). */
export function elisionIn(replacement: readonly string[], original: readonly string[]): string | undefined {
  const present = new Set(original.map((line) => line.trim()));
  for (const line of replacement) {
    const text = line.trim();
    if (text === '' || present.has(text)) continue;
    const comment = ELISION_COMMENT.exec(text);
    if (comment && (ELLIPSIS.test(comment[1]!) || (LEFT_OUT.test(comment[1]!) && comment[1]!.length <= 60))) return text;
    if (/^(?:\.{3,}|…)$/.test(text)) return text;
  }
  return undefined;
}

/** Neighbouring lines this many at most are recognised as copied into a replacement. */
const MAX_REPEATED_NEIGHBOURS = 3;

/**
 * Models often copy a neighbouring line into their replacement (the line after the fix's lines,
 * or the one before) without counting it in those lines, typically an endLine one short of the
 * closing brace the replacement ends with; applied as is, the line would appear twice. Such
 * copies are dropped, unless they are also what the replaced lines end (or start) with. A copy
 * that is only brackets (a brace added on purpose looks the same) is dropped only when that is
 * what makes the replacement open and close as many brackets as the lines it replaces.
 */
export function withoutRepeatedNeighbours(replacement: readonly string[], lines: readonly string[], target: LineRange): string[] {
  const original = lines.slice(target.startLine - 1, target.endLine);
  const same = (a: readonly string[], b: readonly string[]): boolean => a.length === b.length && a.every((line, i) => line === b[i]);
  const balanced = bracketBalance(original);
  const droppable = (copy: readonly string[], rest: readonly string[]): boolean =>
    copy.some(isSubstantial) || (bracketBalance(rest) === balanced && bracketBalance([...copy, ...rest]) !== balanced);
  let out = replacement.slice();
  for (let k = Math.min(MAX_REPEATED_NEIGHBOURS, out.length - 1); k >= 1; k--) {
    const tail = out.slice(out.length - k);
    const rest = out.slice(0, out.length - k);
    const after = lines.slice(target.endLine, target.endLine + k);
    if (same(tail, after) && !same(tail, original.slice(-k)) && droppable(tail, rest)) {
      out = rest;
      break;
    }
  }
  for (let k = Math.min(MAX_REPEATED_NEIGHBOURS, out.length - 1); k >= 1; k--) {
    const head = out.slice(0, k);
    const rest = out.slice(k);
    const before = lines.slice(Math.max(0, target.startLine - 1 - k), target.startLine - 1);
    if (same(head, before) && !same(head, original.slice(0, k)) && droppable(head, rest)) {
      out = rest;
      break;
    }
  }
  return out;
}

/** Opening minus closing brackets, outside string literals (a rough count is enough here). */
function bracketBalance(lines: readonly string[]): number {
  let balance = 0;
  for (const line of lines) {
    const code = line.replace(/"(?:[^"\\]|\\.)*"|'(?:[^'\\]|\\.)*'/g, '');
    for (const ch of code) {
      if (ch === '{' || ch === '(' || ch === '[') balance++;
      else if (ch === '}' || ch === ')' || ch === ']') balance--;
    }
  }
  return balance;
}

/** A line that says something on its own: not a lone brace, bracket or keyword-sized fragment. */
export function isSubstantial(line: string): boolean {
  return line.replace(/[\s{}()[\];,]/g, '').length >= 6;
}

/** Dice coefficient over character bigrams, whitespace ignored: 1 for the same code, 0 for unrelated. */
export function similarity(a: string, b: string): number {
  const x = a.replace(/\s+/g, '');
  const y = b.replace(/\s+/g, '');
  if (x === y) return 1;
  if (x.length < 2 || y.length < 2) return 0;
  const grams = new Map<string, number>();
  for (let i = 0; i < x.length - 1; i++) {
    const gram = x.slice(i, i + 2);
    grams.set(gram, (grams.get(gram) ?? 0) + 1);
  }
  let shared = 0;
  for (let i = 0; i < y.length - 1; i++) {
    const gram = y.slice(i, i + 2);
    const left = grams.get(gram) ?? 0;
    if (left > 0) {
      shared++;
      grams.set(gram, left - 1);
    }
  }
  return (2 * shared) / (x.length - 1 + y.length - 1);
}
