// TeX math in the panel, rendered by KaTeX. The TeX comes from the model, so it is untrusted:
// KaTeX runs with `trust: false` (no `\href`, `\url`, `\includegraphics` or `\html…` extensions),
// and its output goes through its own DOMPurify allow-list of the tags and attributes KaTeX writes
// before it reaches the page.
//
// KaTeX writes MathML, which Chromium lays out natively: a formula is a few MathML elements where
// KaTeX's HTML output needs dozens of nested spans, and a math-heavy trace held 209,645 nodes that
// Chromium laid out again and again (bench/results/webview-math.md compares both). The HTML output
// stays available as a build option for that benchmark.
//
// KaTeX sets a few sizes and colours with inline `style` attributes (its HTML output everywhere, an
// error's colour in both), which the panel's CSP forbids (even parsing them in the sanitizer's inert
// document is a violation): they are renamed before parsing, and the sanitizer keeps only length,
// colour and border declarations and sets them through the CSSOM (which the CSP allows) instead.
// Formulas are cached: a trace repeats them, and the answer's tail block is rendered again while it
// streams.
import katex from 'katex';
import DOMPurify from 'dompurify';
import type { Config } from 'dompurify';

/** KaTeX's output: `mathml` in the shipped panel; esbuild.mjs fixes it at build time. */
export type MathOutput = 'html' | 'mathml';
declare const THINKLENS_MATH_OUTPUT: MathOutput;
const OUTPUT: MathOutput = THINKLENS_MATH_OUTPUT;

const KATEX_OPTIONS = {
  throwOnError: false,
  trust: false,
  strict: 'ignore' as const,
  // One rendering only: KaTeX's default writes HTML and a hidden MathML twin, twice the nodes of
  // every formula (a long trace holds thousands). Screen readers get the TeX as the formula's label.
  output: OUTPUT,
  // A formula may not grow without bound (a model stuck repeating `\left(`).
  maxSize: 20,
  maxExpand: 200,
};

/** TeX longer than this is shown as its source: rendering it could stall a frame. */
export const MAX_TEX_CHARS = 4_000;

/** KaTeX's HTML output: spans, and SVG for stretchy arrows, braces and square roots. */
const HTML_TAGS = ['span', 'svg', 'path', 'line'];
const HTML_ATTRS = [
  'class',
  'aria-hidden',
  'title',
  'width',
  'height',
  'viewBox',
  'preserveAspectRatio',
  'd',
  'x1',
  'y1',
  'x2',
  'y2',
  'stroke-width',
];

/**
 * The MathML elements KaTeX writes (its src/mathMLTree.ts and buildMathML.ts), inside the span it
 * wraps them in. Not `mglyph` (only `\includegraphics` writes it, and it loads an image), not
 * `annotation-xml` or `maction` (HTML integration points and old script vectors): KaTeX writes
 * neither, so no use of them can get through.
 */
const MATHML_TAGS = [
  'math',
  'semantics',
  'annotation',
  'mrow',
  'mi',
  'mn',
  'mo',
  'mtext',
  'mspace',
  'msub',
  'msup',
  'msubsup',
  'munder',
  'mover',
  'munderover',
  'mfrac',
  'msqrt',
  'mroot',
  'mtable',
  'mtr',
  'mtd',
  'mlabeledtr',
  'mstyle',
  'mpadded',
  'mphantom',
  'menclose',
];
/** The presentation attributes KaTeX sets; their values are checked by PLAIN_VALUE. */
const MATHML_ATTRS = [
  'display',
  'encoding',
  'mathvariant',
  'mathcolor',
  'mathbackground',
  'mathsize',
  'scriptlevel',
  'displaystyle',
  'fence',
  'separator',
  'stretchy',
  'largeop',
  'minsize',
  'maxsize',
  'lspace',
  'rspace',
  'width',
  'height',
  'depth',
  'voffset',
  'accent',
  'accentunder',
  'linethickness',
  'notation',
  'rowspacing',
  'columnspacing',
  'columnalign',
  'rowlines',
  'columnlines',
  'linebreak',
];
/**
 * The values of KaTeX's MathML and SVG attributes: lengths, numbers, keywords, `#` colours and path
 * data. No parentheses, colons, quotes or slashes, so never a URL or an expression.
 */
const PLAIN_VALUE = /^[a-z0-9#.,%+\- ]*$/i;
/** Attributes whose values DOMPurify would take for URIs (and drop, as none is allowed); PLAIN_VALUE checks them instead. */
const PLAIN_VALUED = OUTPUT === 'mathml' ? MATHML_ATTRS : HTML_ATTRS.filter((name) => !['class', 'aria-hidden', 'title'].includes(name));
const PLAIN_VALUED_SET = new Set(PLAIN_VALUED);

const MATH_CONFIG: Config & { RETURN_DOM_FRAGMENT: true } = {
  ALLOWED_TAGS: OUTPUT === 'mathml' ? ['span', ...MATHML_TAGS] : HTML_TAGS,
  ALLOWED_ATTR: OUTPUT === 'mathml' ? ['class', 'aria-hidden', 'title', ...MATHML_ATTRS] : HTML_ATTRS,
  ALLOW_DATA_ATTR: false,
  ALLOW_ARIA_ATTR: false,
  // No attribute of KaTeX's output is a URI; none may hold one.
  ALLOWED_URI_REGEXP: /^$/,
  ADD_URI_SAFE_ATTR: PLAIN_VALUED,
  RETURN_DOM_FRAGMENT: true,
};

/** KaTeX's class names; anything else (there should be nothing else) is dropped. */
const KATEX_CLASS = /^[a-z][a-z0-9-]*$/i;
/** The declarations KaTeX writes, and the only values they may have: lengths, colours, border styles. */
const STYLE_PROPERTIES = new Set([
  'height',
  'width',
  'min-width',
  'vertical-align',
  'top',
  'bottom',
  'margin-left',
  'margin-right',
  'padding-left',
  'border-bottom-width',
  'border-right-width',
  'border-top-width',
  'border-width',
  'border-style',
  'border-color',
  'color',
  'background-color',
]);
const STYLE_VALUE = /^(?:-?\d*\.?\d+(?:em|ex|px|%)?|#[0-9a-f]{3,8}|[a-z]+|rgba?\([\d.,\s%]+\))$/i;

/** KaTeX's `style` attributes go through the parser under this name. */
const STYLE_STAND_IN = 'data-katex-style';
const MATHML_NS = 'http://www.w3.org/1998/Math/MathML';
const TEX_ENCODING = 'application/x-tex';

const purify = DOMPurify(window);
/** Declarations kept from each element's `style`, set through the CSSOM once its attributes are sanitized. */
const keptStyles = new WeakMap<Element, [string, string][]>();
purify.addHook('uponSanitizeElement', (node, data) => {
  // Inside a formula only MathML: an HTML element there (a `<style>` or `<img>` that a parser
  // round trip moved into `<mtext>`) is dropped with its content; so is an annotation other than the TeX.
  if (!(node instanceof Element) || data.tagName === 'math') return;
  const inFormula = node.parentElement?.closest('math') != null;
  const misplaced = inFormula ? node.namespaceURI !== MATHML_NS : node.namespaceURI === MATHML_NS;
  if (misplaced || (data.tagName === 'annotation' && node.getAttribute('encoding') !== TEX_ENCODING)) node.remove();
});
purify.addHook('uponSanitizeAttribute', (node, data) => {
  if (data.attrName === 'class') {
    const kept = data.attrValue.split(/\s+/).filter((name) => KATEX_CLASS.test(name));
    if (kept.length) data.attrValue = kept.join(' ');
    else data.keepAttr = false;
  } else if (data.attrName === STYLE_STAND_IN) {
    const declarations: [string, string][] = [];
    for (const part of data.attrValue.split(';')) {
      const colon = part.indexOf(':');
      if (colon < 0) continue;
      const property = part.slice(0, colon).trim().toLowerCase();
      const value = part.slice(colon + 1).trim();
      if (STYLE_PROPERTIES.has(property) && STYLE_VALUE.test(value)) declarations.push([property, value]);
    }
    if (declarations.length) keptStyles.set(node, declarations);
    data.keepAttr = false;
  } else if (PLAIN_VALUED_SET.has(data.attrName) && !PLAIN_VALUE.test(data.attrValue)) {
    data.keepAttr = false;
  }
});
purify.addHook('afterSanitizeAttributes', (node) => {
  const declarations = keptStyles.get(node);
  if (!declarations || !('style' in node)) return;
  const style = (node as HTMLElement).style;
  for (const [property, value] of declarations) style.setProperty(property, value);
});

/** KaTeX's output (an HTML string) as a fragment holding only what the allow-list keeps. */
export function sanitizeMath(html: string): DocumentFragment {
  // KaTeX escapes `"` in text and attribute values, so ` style="` only ever opens an attribute.
  return purify.sanitize(html.replace(/ style="/g, ` ${STYLE_STAND_IN}="`), MATH_CONFIG);
}

const cache = new Map<string, DocumentFragment>();
const CACHE_LIMIT = 500;

/**
 * A formula as a sanitized element: `span.math` holding KaTeX's output, with the TeX kept on the
 * element for copying. Rendering errors show KaTeX's red source, never throw.
 */
export function renderMath(tex: string, display: boolean): HTMLElement {
  const wrapper = document.createElement('span');
  wrapper.className = display ? 'math math-display' : 'math math-inline';
  wrapper.dataset.tex = tex;
  wrapper.setAttribute('role', 'math');
  wrapper.setAttribute('aria-label', tex);
  if (tex.length > MAX_TEX_CHARS) {
    wrapper.classList.add('math-source');
    wrapper.textContent = display ? `$$${tex}$$` : `$${tex}$`;
    return wrapper;
  }
  const key = `${display ? 'D' : 'I'}${tex}`;
  let rendered = cache.get(key);
  if (rendered) {
    // Most recently used last, so the oldest goes first.
    cache.delete(key);
  } else {
    rendered = sanitizeMath(katex.renderToString(tex, { ...KATEX_OPTIONS, displayMode: display }));
    if (cache.size >= CACHE_LIMIT) cache.delete(cache.keys().next().value!);
  }
  cache.set(key, rendered);
  wrapper.appendChild(rendered.cloneNode(true));
  return wrapper;
}

/** The first formula costs KaTeX's start-up (building its tables); pay it while the panel is idle. */
export function warmUpMath(): void {
  renderMath('\\frac{a}{b} + \\sqrt{x^2} \\le \\sum_{i=1}^{n} i', true);
}

const BLOCKS = 'p, li, pre, h1, h2, h3, h4, h5, h6, blockquote, tr, .math-display';

/**
 * Copying a selection that holds formulas gives their TeX (`$…$`, `$$…$$`) instead of KaTeX's
 * glyphs. Other selections copy as the browser does.
 */
export function copyFormulasAsTex(root: HTMLElement): void {
  root.addEventListener('copy', (event) => {
    const selection = window.getSelection();
    if (!selection || selection.rangeCount === 0 || !event.clipboardData) return;
    const range = selection.getRangeAt(0);
    const fragment = range.cloneContents();
    const start = range.startContainer instanceof Element ? range.startContainer : range.startContainer.parentElement;
    // A selection inside one formula clones only part of it: copy that formula whole.
    const within = start?.closest<HTMLElement>('.math');
    const formulas = [...fragment.querySelectorAll<HTMLElement>('.math')];
    if (!within && formulas.length === 0) return;
    let text: string;
    if (within && within.contains(range.endContainer)) text = asSource(within);
    else {
      for (const formula of formulas) formula.replaceWith(document.createTextNode(asSource(formula)));
      for (const block of fragment.querySelectorAll(BLOCKS)) block.append('\n');
      text = (fragment.textContent ?? '').replace(/\n{3,}/g, '\n\n').trim();
    }
    event.clipboardData.setData('text/plain', text);
    event.preventDefault();
  });
}

function asSource(formula: HTMLElement): string {
  const tex = formula.dataset.tex ?? '';
  return formula.classList.contains('math-display') ? `$$${tex}$$` : `$${tex}$`;
}
