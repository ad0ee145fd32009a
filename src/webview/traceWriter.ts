// Writes a reasoning trace into the DOM as it streams: paragraphs at blank lines, `inline code`,
// ``` fenced blocks and TeX math. It only ever looks at the new text (plus a few held-back
// characters), appending to the current text node, so a 25,000-token trace costs the same per
// frame as a short one. Never re-parses or re-renders what is already on screen.
//
// Math streams as its source in a muted span until its closing delimiter arrives; then that span
// is replaced, once, by the rendered formula. A `$` that never closes (a price, a paragraph end)
// simply stays text: nothing on screen is rendered and then taken back. Closed formulas are
// rendered within a time budget per frame, so a burst of text holding hundreds of them (a trace
// restored at once, a fast local model) spreads over frames instead of stalling one. And only the
// chunks near the trace box's visible part show rendered formulas: the others show their TeX, and a
// chunk that moves far from view (the trace streamed on past it) shows its TeX again, so a long
// math trace does not hold thousands of formulas that nobody is looking at
// (bench/results/webview-math.md).
//
// The writer also remembers where each piece of the reasoning went (text node and offset, or the
// formula that replaced it), so that a passage given as character offsets into the reasoning (a
// finding's evidence) maps to a DOM Range without reading the trace back.
import { renderMath, MAX_TEX_CHARS } from './math';
import { closes, type MathDelimiter } from './mathSyntax';

/**
 * Characters whose meaning depends on what follows: a newline may become a paragraph break, a
 * backtick a fence, a `$` a `$$` (and whether it opens math depends on the next character), a
 * backslash a `\(`.
 */
const AMBIGUOUS_TAIL = /[\n`$\\]+$/;
const TOKEN = /\n{2,}|\n|`+|\\\\|\\[()[\]$]|\$\$?|[^\n`\\$]+|\\/g;

const DELIMITERS: Readonly<Record<string, MathDelimiter>> = {
  $$: { open: '$$', close: '$$', display: true },
  $: { open: '$', close: '$', display: false },
  '\\[': { open: '\\[', close: '\\]', display: true },
  '\\(': { open: '\\(', close: '\\)', display: false },
};

/** Milliseconds of formula rendering per frame; formulas left over wait, shown as source, for the next. */
const MATH_BUDGET_MS = 6;

/** Whether a chunk's formulas wait until it comes near view; esbuild.mjs fixes it at build time. */
declare const THINKLENS_MATH_DEFER: boolean;
/** How near: a box's height above and below what it shows, so a formula is drawn before it scrolls in. */
const NEAR_VIEW_MARGIN = '100% 0px';

interface ClosedMath {
  readonly source: HTMLElement;
  readonly tex: string;
  readonly display: boolean;
  readonly placed: PlacedMath;
  readonly chunk: HTMLElement;
}

interface OpenMath {
  readonly delimiter: MathDelimiter;
  tex: string;
  /** The source shown while the formula streams. */
  readonly source: HTMLElement;
  readonly sourceText: Text;
  readonly placed: PlacedMath;
  readonly chunk: HTMLElement;
}

/** Reasoning characters [from, to) are the characters of `node` from `at` on, one for one. */
interface PlacedText {
  readonly from: number;
  to: number;
  readonly node: Text;
  readonly at: number;
}

/** Reasoning characters [from, to) are a formula: its source while it streams, then its rendering. */
interface PlacedMath {
  readonly math: true;
  readonly from: number;
  to: number;
  /** The source span's text (the source itself, from `from`), while it is on screen. */
  readonly node: Text;
  readonly at: 0;
  /** The rendered formula that replaced the source. */
  rendered?: Element;
  /** Closed, not yet rendered. */
  closed?: ClosedMath;
}

type Placed = PlacedText | PlacedMath;
/** Paragraphs per chunk: chunks out of view skip layout and paint (content-visibility), and few chunks keep that check cheap. */
const BLOCKS_PER_CHUNK = 32;
/** ... and formulas per chunk: each is dozens of nodes, and the visible chunk is what layout and paint redo. */
const FORMULAS_PER_CHUNK = 48;

export class TraceWriter {
  private paragraph: HTMLElement | undefined;
  private inlineCode: HTMLElement | undefined;
  private inlineTicks = 0;
  private block: HTMLElement | undefined;
  private blockTicks = 0;
  /** After an opening fence, the rest of its line is the language, not code. */
  private skippingInfo = false;
  private textNode: Text | undefined;
  private atLineStart = true;
  private carry = '';
  private length = 0;
  private chunk: HTMLElement | undefined;
  private blocksInChunk = 0;
  private formulasInChunk = 0;
  private math: OpenMath | undefined;
  /** Closed formulas to render in the coming frames, oldest first. */
  private readonly closedMath: ClosedMath[] = [];
  /** Closed formulas of chunks not near view, by chunk, shown as their source until it comes near. */
  private readonly farMath = new Map<HTMLElement, ClosedMath[]>();
  /** Rendered formulas, by chunk, to show as source again when the chunk moves far from view. */
  private readonly drawnMath = new Map<HTMLElement, ClosedMath[]>();
  private readonly nearChunks = new Set<HTMLElement>();
  private readonly nearView: IntersectionObserver | undefined;
  /** Where the reasoning went, in reasoning order; characters not on screen (fences, backticks, blank lines) are in none. */
  private readonly placed: Placed[] = [];
  /** The reasoning offset of the token being written. */
  private offset = 0;
  private mathFrame = 0;

  constructor(
    private readonly root: HTMLElement,
    /** Formulas were drawn or shown as TeX again: the trace's height changed without new text. */
    private readonly onReflow: () => void = () => undefined,
  ) {
    if (THINKLENS_MATH_DEFER)
      this.nearView = new IntersectionObserver((entries) => this.chunksMoved(entries), { root, rootMargin: NEAR_VIEW_MARGIN });
  }

  /** Characters written so far (including held-back ones). */
  get size(): number {
    return this.length + this.carry.length;
  }

  append(text: string): void {
    if (!text) return;
    const input = this.carry + text;
    const tail = AMBIGUOUS_TAIL.exec(input);
    const cut = tail ? tail.index : input.length;
    this.carry = input.slice(cut);
    this.write(input.slice(0, cut));
  }

  /** The stream ended: write what was held back and close open spans. */
  end(): void {
    const rest = this.carry;
    this.carry = '';
    this.write(rest);
    this.abandonMath();
    this.inlineCode = undefined;
    this.textNode = undefined;
  }

  clear(): void {
    this.root.replaceChildren();
    this.paragraph = this.inlineCode = this.block = this.textNode = this.chunk = this.math = undefined;
    this.closedMath.length = 0;
    this.farMath.clear();
    this.drawnMath.clear();
    this.nearChunks.clear();
    this.nearView?.disconnect();
    this.placed.length = 0;
    if (this.mathFrame) cancelAnimationFrame(this.mathFrame);
    this.mathFrame = 0;
    this.blocksInChunk = 0;
    this.formulasInChunk = 0;
    this.skippingInfo = false;
    this.atLineStart = true;
    this.carry = '';
    this.length = 0;
  }

  private write(text: string): void {
    if (!text) return;
    const base = this.length;
    this.length += text.length;
    TOKEN.lastIndex = 0;
    for (let match = TOKEN.exec(text); match; match = TOKEN.exec(text)) {
      const token = match[0];
      this.offset = base + match.index;
      // Undefined only at the very end of the stream: a held-back tail always has a next character.
      const next = text[TOKEN.lastIndex];
      const lineStart = this.atLineStart;
      this.atLineStart = token[0] === '\n';
      if (this.block) this.inBlock(token, lineStart);
      else if (this.math) this.inMath(token, next);
      else if (token[0] === '\n') this.newline(token);
      else if (token[0] === '`') this.backticks(token, lineStart);
      else if (!this.inlineCode && this.opensMath(token, next)) this.openMath(token);
      else this.text(token);
    }
  }

  private opensMath(token: string, next: string | undefined): boolean {
    if (!(token in DELIMITERS)) return false;
    return token !== '$' || (next !== undefined && !/\s/.test(next));
  }

  private openMath(token: string): void {
    const source = document.createElement('span');
    source.className = 'math-pending';
    const sourceText = document.createTextNode(token);
    source.appendChild(sourceText);
    this.ensureParagraph().appendChild(source);
    this.formulasInChunk++;
    const placed: PlacedMath = { math: true, from: this.offset, to: this.offset + token.length, node: sourceText, at: 0 };
    this.placed.push(placed);
    this.math = { delimiter: DELIMITERS[token]!, tex: '', source, sourceText, placed, chunk: this.chunk! };
    this.textNode = undefined;
  }

  private inMath(token: string, next: string | undefined): void {
    const math = this.math!;
    if (/^\n\n/.test(token)) {
      // Math does not cross a paragraph break: what was written stays as text.
      this.abandonMath();
      this.newline(token);
      return;
    }
    math.placed.to = this.offset + token.length;
    if (token === math.delimiter.close && closes(math.delimiter, math.tex.slice(-1), next)) {
      math.sourceText.appendData(token);
      const closed: ClosedMath = {
        source: math.source,
        tex: math.tex,
        display: math.delimiter.display,
        placed: math.placed,
        chunk: math.chunk,
      };
      math.placed.closed = closed;
      if (this.isNearView(math.chunk)) this.queueMath(closed);
      else this.holdMath(closed);
      this.math = undefined;
      this.textNode = undefined;
      return;
    }
    math.tex += token;
    math.sourceText.appendData(token);
    if (math.tex.length > MAX_TEX_CHARS) this.abandonMath();
  }

  private isNearView(chunk: HTMLElement): boolean {
    return !this.nearView || this.nearChunks.has(chunk);
  }

  private queueMath(formula: ClosedMath): void {
    this.closedMath.push(formula);
    if (!this.mathFrame) this.mathFrame = requestAnimationFrame(() => this.renderClosedMath());
  }

  /** A formula far from view keeps showing its TeX until its chunk comes near. */
  private holdMath(formula: ClosedMath): void {
    formula.source.className = 'math-deferred';
    const held = this.farMath.get(formula.chunk);
    if (held) held.push(formula);
    else this.farMath.set(formula.chunk, [formula]);
  }

  /** A chunk far from view shows its formulas' TeX again: its rendered formulas leave the DOM. */
  private undrawChunk(chunk: HTMLElement): void {
    const drawn = this.drawnMath.get(chunk);
    if (!drawn) return;
    this.drawnMath.delete(chunk);
    for (const formula of drawn) {
      formula.placed.rendered?.replaceWith(formula.source);
      formula.placed.rendered = undefined;
      formula.placed.closed = formula;
      this.holdMath(formula);
    }
    this.onReflow();
  }

  private chunksMoved(entries: IntersectionObserverEntry[]): void {
    for (const entry of entries) {
      const chunk = entry.target as HTMLElement;
      if (!entry.isIntersecting) {
        this.nearChunks.delete(chunk);
        this.undrawChunk(chunk);
        continue;
      }
      this.nearChunks.add(chunk);
      const held = this.farMath.get(chunk);
      if (!held) continue;
      this.farMath.delete(chunk);
      for (const formula of held) {
        if (formula.placed.rendered) continue;
        formula.source.className = 'math-pending';
        this.queueMath(formula);
      }
    }
  }

  /** Replaces closed formulas' sources by their rendering, oldest first, within the frame's budget. */
  private renderClosedMath(): void {
    this.mathFrame = 0;
    const started = performance.now();
    let done = 0;
    while (done < this.closedMath.length && (done === 0 || performance.now() - started < MATH_BUDGET_MS)) {
      const formula = this.closedMath[done++]!;
      if (formula.placed.rendered) continue;
      // Its chunk scrolled away while it waited (a fast stream): it waits for the chunk instead.
      if (!this.isNearView(formula.chunk)) this.holdMath(formula);
      else this.renderFormula(formula);
    }
    this.closedMath.splice(0, done);
    this.onReflow();
    if (this.closedMath.length && !this.mathFrame) this.mathFrame = requestAnimationFrame(() => this.renderClosedMath());
  }

  private renderFormula(formula: ClosedMath): void {
    if (formula.placed.rendered) return;
    const rendered = renderMath(formula.tex, formula.display);
    formula.source.replaceWith(rendered);
    formula.placed.rendered = rendered;
    formula.placed.closed = undefined;
    if (!this.nearView) return;
    const drawn = this.drawnMath.get(formula.chunk);
    if (drawn) drawn.push(formula);
    else this.drawnMath.set(formula.chunk, [formula]);
  }

  /** An unfinished formula becomes ordinary text where it stands. */
  private abandonMath(): void {
    if (!this.math) return;
    this.math.source.classList.remove('math-pending');
    this.math = undefined;
    this.textNode = undefined;
  }

  private inBlock(token: string, lineStart: boolean): void {
    if (this.skippingInfo) {
      if (token[0] !== '\n') return;
      this.skippingInfo = false;
      if (token.length === 1) return;
      token = token.slice(1);
      this.offset++;
    }
    if (token[0] === '`' && lineStart && token.length >= this.blockTicks) {
      this.block = undefined;
      this.textNode = undefined;
      this.paragraph = undefined;
      return;
    }
    this.appendText(token);
  }

  private newline(token: string): void {
    if (token.length === 1) {
      this.appendText('\n');
      return;
    }
    // A blank line ends the paragraph (and any code span the model left open).
    this.paragraph = undefined;
    this.inlineCode = undefined;
    this.textNode = undefined;
  }

  private backticks(token: string, lineStart: boolean): void {
    if (this.inlineCode) {
      if (token.length === this.inlineTicks) {
        this.inlineCode = undefined;
        this.textNode = undefined;
      } else this.appendText(token);
      return;
    }
    if (lineStart && token.length >= 3) {
      this.inlineCode = undefined;
      this.paragraph = undefined;
      const pre = document.createElement('pre');
      pre.className = 'trace-block';
      const code = document.createElement('code');
      pre.appendChild(code);
      this.addBlock(pre);
      this.block = code;
      this.blockTicks = token.length;
      this.skippingInfo = true;
      this.textNode = undefined;
      return;
    }
    const code = document.createElement('code');
    this.ensureParagraph().appendChild(code);
    this.inlineCode = code;
    this.inlineTicks = token.length;
    this.textNode = undefined;
  }

  private text(token: string): void {
    this.appendText(token);
  }

  private ensureParagraph(): HTMLElement {
    if (!this.paragraph) {
      this.paragraph = document.createElement('p');
      this.addBlock(this.paragraph);
      this.textNode = undefined;
    }
    return this.paragraph;
  }

  private addBlock(block: HTMLElement): void {
    if (!this.chunk || this.blocksInChunk >= BLOCKS_PER_CHUNK || this.formulasInChunk >= FORMULAS_PER_CHUNK) {
      this.chunk = document.createElement('div');
      this.chunk.className = 'trace-chunk';
      this.root.appendChild(this.chunk);
      this.nearView?.observe(this.chunk);
      this.blocksInChunk = 0;
      this.formulasInChunk = 0;
    }
    this.chunk.appendChild(block);
    this.blocksInChunk++;
  }

  private appendText(text: string): void {
    const parent = this.block ?? this.inlineCode ?? this.ensureParagraph();
    // A newline that opens a paragraph would only push its text down a line.
    if (!this.block && !this.inlineCode && !this.textNode && text === '\n' && !parent.firstChild) return;
    if (this.textNode && this.textNode.parentNode === parent) this.textNode.appendData(text);
    else {
      this.textNode = document.createTextNode(text);
      parent.appendChild(this.textNode);
    }
    this.place(this.textNode, this.textNode.length - text.length, text.length);
  }

  private place(node: Text, at: number, length: number): void {
    const last = this.placed[this.placed.length - 1];
    // Contiguous text in the same node extends the last entry: about one entry per text node.
    if (last && !('math' in last) && last.node === node && last.to === this.offset && last.at + (last.to - last.from) === at) {
      last.to += length;
      return;
    }
    this.placed.push({ from: this.offset, to: this.offset + length, node, at });
  }

  /**
   * The DOM range that shows reasoning characters [start, end), or undefined when none of them is
   * on screen. A formula the range touches is taken whole.
   */
  rangeOf(start: number, end: number): Range | undefined {
    const first = this.firstEndingAfter(start);
    if (first < 0) return undefined;
    let last = first;
    while (last + 1 < this.placed.length && this.placed[last + 1]!.from < end) last++;
    const a = this.placed[first]!;
    const b = this.placed[last]!;
    if (a.from >= end) return undefined;
    // A formula at either end still shows its source: render it now, so the range holds it whole
    // and is not cut short when its chunk scrolls near and the source is replaced.
    for (const edge of [a, b]) if ('math' in edge && edge.closed) this.renderFormula(edge.closed);
    const range = document.createRange();
    if (isRendered(a)) range.setStartBefore(a.rendered!);
    else range.setStart(a.node, a.at + Math.max(0, start - a.from));
    if (isRendered(b)) range.setEndAfter(b.rendered!);
    else range.setEnd(b.node, b.at + Math.min(b.to, end) - b.from);
    return range;
  }

  /** The first placed entry that ends after `offset` (binary search), or -1. */
  private firstEndingAfter(offset: number): number {
    let low = 0;
    let high = this.placed.length;
    while (low < high) {
      const middle = (low + high) >> 1;
      if (this.placed[middle]!.to <= offset) low = middle + 1;
      else high = middle;
    }
    return low < this.placed.length ? low : -1;
  }
}

function isRendered(placed: Placed): placed is PlacedMath {
  return 'math' in placed && placed.rendered !== undefined;
}
