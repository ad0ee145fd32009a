// Finding the JSON block in a model's answer (answerParser.ts reads it): fenced blocks, bare
// objects, a fence left open; the last in the text is tried first, since the answer's block ends it.

import { closesFence, CONTRACT_OBJECT, isJsonLabel, openingFence } from '../answerBlock';

/** Only the last few brace-starts of a long answer are tried as a bare JSON object. */
const MAX_BARE_CANDIDATES = 30;
/** ... and only the last few blocks of each kind: the answer's block is at the end. */
const MAX_CANDIDATES = 40;

export interface Candidate {
  /** The span removed from the prose when this candidate is the block. */
  readonly start: number;
  readonly end: number;
  readonly body: string;
  /** Fenced with a json-ish or empty info string: `[]` alone counts as an answer. */
  readonly labelledJson: boolean;
  /** Fenced as some other language (```ts): only tried when nothing else holds the contract. */
  readonly otherLanguage: boolean;
  /** A fence that never closed: the block ends where its JSON value does, not at the text's end. */
  readonly unclosedFenceBodyStart?: number;
}

/** Every place a JSON answer could be, the last in the text first. */
export function findCandidates(text: string): Candidate[] {
  const fenced = findFencedBlocks(text);
  // Blocks come in text order and never overlap: binary search keeps many fences cheap.
  const insideFence = (at: number): boolean => {
    let lo = 0;
    let hi = fenced.length - 1;
    while (lo <= hi) {
      const mid = (lo + hi) >> 1;
      const block = fenced[mid]!;
      if (at < block.start) hi = mid - 1;
      else if (at >= block.end) lo = mid + 1;
      else return true;
    }
    return false;
  };

  const starts = new Set<number>();
  // A `{` or `[` opening a line, or an object that starts with one of the contract's keys anywhere.
  for (const match of text.matchAll(/^[ \t]*([{[])/gm)) starts.add(match.index + match[0].length - 1);
  for (const match of text.matchAll(CONTRACT_OBJECT)) starts.add(match.index);
  const bareStarts = [...starts]
    .filter((at) => !insideFence(at))
    .sort((a, b) => b - a)
    .slice(0, MAX_BARE_CANDIDATES);
  const bare = bareStarts.map((start): Candidate => {
    const end = scanValue(text, start).end;
    return { start, end, body: text.slice(start, end), labelledJson: false, otherLanguage: false };
  });

  // The last block wins; at the same end a fenced block (its span includes the fences) before a
  // bare one. A ```ts block holding an object literal must not beat the real answer, so blocks
  // fenced as other languages are only tried after all the rest.
  const byEnd = (a: Candidate, b: Candidate): number => b.end - a.end || a.start - b.start;
  const likely = [...fenced.filter((b) => !b.otherLanguage), ...bare].sort(byEnd).slice(0, MAX_CANDIDATES);
  const other = fenced
    .filter((b) => b.otherLanguage)
    .sort(byEnd)
    .slice(0, MAX_CANDIDATES);
  return [...likely, ...other];
}

function findFencedBlocks(text: string): Candidate[] {
  const blocks: Candidate[] = [];
  const lineStarts = [0];
  for (let i = text.indexOf('\n'); i >= 0; i = text.indexOf('\n', i + 1)) lineStarts.push(i + 1);
  const lineAt = (n: number): string => text.slice(lineStarts[n]!, (lineStarts[n + 1] ?? text.length + 1) - 1);

  for (let n = 0; n < lineStarts.length; n++) {
    const open = openingFence(lineAt(n));
    if (!open) continue;
    const label = open.label;
    let close = -1;
    for (let m = n + 1; m < lineStarts.length; m++) {
      if (closesFence(lineAt(m), open)) {
        close = m;
        break;
      }
    }
    const bodyStart = lineStarts[n + 1] ?? text.length;
    const bodyEnd = close >= 0 ? lineStarts[close]! : text.length;
    const end = close >= 0 ? Math.min(text.length, (lineStarts[close + 1] ?? text.length + 1) - 1) : text.length;
    blocks.push({
      start: lineStarts[n]!,
      end,
      body: text.slice(Math.min(bodyStart, bodyEnd), bodyEnd),
      ...(close < 0 ? { unclosedFenceBodyStart: Math.min(bodyStart, bodyEnd) } : {}),
      labelledJson: label === '' || isJsonLabel(label),
      otherLanguage: label !== '' && !isJsonLabel(label),
    });
    if (close < 0) break;
    n = close;
  }
  return blocks;
}

interface ScanResult {
  /** Just past the value's closing bracket, or the end of the text when it never closes. */
  readonly end: number;
  readonly closed: boolean;
  /** Just past the last object that closed directly inside an array (a whole finding). */
  readonly lastWholeElement: number;
}

/**
 * Walks a JSON-ish value from `start` (a `{` or `[`) to its matching close, skipping strings
 * (double or single quoted) and comments, so brackets inside them do not count.
 */
export function scanValue(text: string, start: number): ScanResult {
  const stack: string[] = [];
  let lastWholeElement = -1;
  let i = start;
  while (i < text.length) {
    const ch = text[i]!;
    if (ch === '"' || ch === "'") {
      i = skipString(text, i);
      continue;
    }
    if (ch === '/' && text[i + 1] === '/') {
      const eol = text.indexOf('\n', i);
      i = eol < 0 ? text.length : eol;
      continue;
    }
    if (ch === '/' && text[i + 1] === '*') {
      const close = text.indexOf('*/', i + 2);
      i = close < 0 ? text.length : close + 2;
      continue;
    }
    if (ch === '{' || ch === '[') stack.push(ch);
    else if (ch === '}' || ch === ']') {
      stack.pop();
      if (stack.length === 0) return { end: i + 1, closed: true, lastWholeElement };
      if (ch === '}' && stack[stack.length - 1] === '[') lastWholeElement = i + 1;
    }
    i++;
  }
  return { end: text.length, closed: false, lastWholeElement };
}

function skipString(text: string, start: number): number {
  const quote = text[start]!;
  let i = start + 1;
  while (i < text.length) {
    const ch = text[i]!;
    if (ch === '\\') i += 2;
    else if (ch === quote) return i + 1;
    // A single-quoted "string" never spans lines; an apostrophe in a comment-less bare word must
    // not swallow the rest of the answer.
    else if (quote === "'" && ch === '\n') return i;
    else i++;
  }
  return text.length;
}
