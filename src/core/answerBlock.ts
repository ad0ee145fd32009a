// What opens an answer's machine-readable JSON block, in one place: the parser reads the finished
// answer with it (answerParser.ts), and the panel uses it to hide the block while it streams,
// showing findings in its place. Imports nothing, so the webview can bundle it.

/** A fence line: up to three spaces, three or more backticks or tildes, then an info string. */
const OPENING_FENCE = /^ {0,3}(`{3,}|~{3,})[ \t]*([^\s`]*)[^`]*$/;
const CLOSING_FENCE = /^ {0,3}(`{3,}|~{3,})[ \t]*$/;
/** The info strings that label a block as JSON. */
const JSON_LABEL = /^(json5?|jsonc)$/;
/** An object that starts with one of the contract's keys: the answer's block even without a fence. */
export const CONTRACT_OBJECT = /\{\s*["']?(?:summary|findings)["']?\s*:/g;
const CONTRACT_OBJECT_LINE = new RegExp(`^[ \\t]*${CONTRACT_OBJECT.source}`);

export interface OpeningFence {
  /** The backticks or tildes themselves; only the same character, as many or more, closes it. */
  readonly fence: string;
  /** The info string's first word, lower-cased ('' when none). */
  readonly label: string;
}

/** The fence `line` opens (without its line break), if it opens one. */
export function openingFence(line: string): OpeningFence | undefined {
  const open = OPENING_FENCE.exec(line.replace(/\r$/, ''));
  return open ? { fence: open[1]!, label: open[2]!.toLowerCase() } : undefined;
}

/** Whether `line` closes a block opened by `open`. */
export function closesFence(line: string, open: OpeningFence): boolean {
  const close = CLOSING_FENCE.exec(line.replace(/\r$/, ''));
  return close !== null && close[1]![0] === open.fence[0] && close[1]!.length >= open.fence.length;
}

/** Labelled json, json5 or jsonc. */
export function isJsonLabel(label: string): boolean {
  return JSON_LABEL.test(label);
}

/**
 * Finds where the JSON block starts in an answer that is still arriving, reading each line once.
 * The block starts at the first of: a fence labelled JSON; an unlabelled fence whose first line
 * opens an object or array; a line opening an object with a contract key; or the answer's first
 * character, when the whole answer is one JSON object (a constrained answer).
 * Text inside other fenced blocks (a ```ts example) never counts.
 */
export class AnswerBlockScanner {
  /** Start of the first line not read yet (lines are read once complete). */
  private next = 0;
  /** The fenced block the read text is inside, if any. */
  private inside: OpeningFence | undefined;
  /** An unlabelled fence waiting for its first non-blank line to tell JSON from code. */
  private unlabelledAt: number | undefined;
  private found: number | undefined;

  /** `answer` is the whole answer so far; each call extends the previous one. */
  blockStart(answer: string): number | undefined {
    if (this.found !== undefined) return this.found;
    if (this.next === 0 && /^\s*\{/.test(answer)) return (this.found = 0);
    for (let end = answer.indexOf('\n', this.next); end >= 0; end = answer.indexOf('\n', this.next)) {
      const at = this.next;
      this.next = end + 1;
      const line = answer.slice(at, end);
      if (this.readLine(line, at)) return this.found;
    }
    return undefined;
  }

  /** Reads one whole line starting at `at`; true once the block is found. */
  private readLine(line: string, at: number): boolean {
    if (this.inside) {
      if (this.unlabelledAt !== undefined && line.trim() !== '') {
        if (/^\s*[{[]/.test(line)) {
          this.found = this.unlabelledAt;
          return true;
        }
        this.unlabelledAt = undefined;
      }
      if (closesFence(line, this.inside)) {
        this.inside = undefined;
        this.unlabelledAt = undefined;
      }
      return false;
    }
    const open = openingFence(line);
    if (open) {
      if (isJsonLabel(open.label)) {
        this.found = at;
        return true;
      }
      this.inside = open;
      if (open.label === '') this.unlabelledAt = at;
      return false;
    }
    if (CONTRACT_OBJECT_LINE.test(line)) {
      this.found = at;
      return true;
    }
    return false;
  }
}
