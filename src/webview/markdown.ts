// Model text is untrusted. Markdown is rendered with raw HTML off, then sanitized with an
// allow-list; links keep their address only as data for the host to confirm and open, so nothing
// in the panel can navigate, run a command or load a resource.
import MarkdownIt from 'markdown-it';
import DOMPurify from 'dompurify';
import type { Config } from 'dompurify';
import hljs from 'highlight.js/lib/core';
import bash from 'highlight.js/lib/languages/bash';
import c from 'highlight.js/lib/languages/c';
import cpp from 'highlight.js/lib/languages/cpp';
import csharp from 'highlight.js/lib/languages/csharp';
import diff from 'highlight.js/lib/languages/diff';
import go from 'highlight.js/lib/languages/go';
import java from 'highlight.js/lib/languages/java';
import javascript from 'highlight.js/lib/languages/javascript';
import json from 'highlight.js/lib/languages/json';
import python from 'highlight.js/lib/languages/python';
import rust from 'highlight.js/lib/languages/rust';
import sql from 'highlight.js/lib/languages/sql';
import typescript from 'highlight.js/lib/languages/typescript';
import xml from 'highlight.js/lib/languages/xml';
import yaml from 'highlight.js/lib/languages/yaml';
import { isWebLink } from '../bridge/protocol';
import { renderMath, warmUpMath } from './math';
import { scanMath } from './mathSyntax';

// Common languages only; CSS (the largest grammar, 13 KB) is left out. Others render unhighlighted.
const languages = { bash, c, cpp, csharp, diff, go, java, javascript, json, python, rust, sql, typescript, xml, yaml };
for (const [name, language] of Object.entries(languages)) hljs.registerLanguage(name, language);

/** Code longer than this is shown plain: highlighting it would stall the frame. */
const MAX_HIGHLIGHT_CHARS = 20_000;

const md = new MarkdownIt({
  html: false,
  linkify: true,
  typographer: false,
  highlight(code, lang) {
    const language = lang.trim().split(/\s+/)[0]?.toLowerCase();
    if (!language || !hljs.getLanguage(language) || code.length > MAX_HIGHLIGHT_CHARS) return '';
    try {
      return hljs.highlight(code, { language, ignoreIllegals: true }).value;
    } catch {
      return '';
    }
  },
});
// Images would load from anywhere the model names; show them as their text instead.
md.disable('image');
md.validateLink = (url: string) => isWebLink(url.trim());

// Math is marked up as a placeholder holding its TeX as text; after the markdown is sanitized, each
// placeholder is replaced by KaTeX's output, sanitized on its own (see math.ts).
md.inline.ruler.before('escape', 'math', (state, silent) => {
  const found = scanMath(state.src, state.pos, state.posMax);
  if (!found) return false;
  if (!silent) {
    const token = state.push('math', 'span', 0);
    token.content = found.tex;
    token.markup = found.display ? 'display' : 'inline';
  }
  state.pos = found.end;
  return true;
});
md.block.ruler.before('fence', 'math_block', (state, startLine, endLine, silent) => {
  // `$$` or `\[` opening a line, closed on it or a later line of the same paragraph.
  const start = state.bMarks[startLine]! + state.tShift[startLine]!;
  if (state.sCount[startLine]! - state.blkIndent >= 4) return false;
  const open = state.src.startsWith('$$', start) ? '$$' : state.src.startsWith('\\[', start) ? '\\[' : undefined;
  if (!open) return false;
  let last = startLine;
  while (last + 1 < endLine && !state.isEmpty(last + 1)) last++;
  const limit = state.eMarks[last]!;
  const found = scanMath(state.src, start, limit);
  if (!found || state.src.slice(found.end, limit).trim() !== '') return false;
  if (silent) return true;
  let closingLine = startLine;
  while (state.eMarks[closingLine]! < found.end) closingLine++;
  const token = state.push('math', 'span', 0);
  token.block = true;
  token.content = found.tex;
  token.markup = 'display';
  token.map = [startLine, closingLine + 1];
  state.line = closingLine + 1;
  return true;
});
md.renderer.rules.math = (tokens, index) => {
  const token = tokens[index]!;
  const placeholder = `<span class="math-${token.markup === 'display' ? 'display' : 'inline'}">${md.utils.escapeHtml(token.content)}</span>`;
  return token.block ? `<p>${placeholder}</p>\n` : placeholder;
};

const ALLOWED_TAGS = [
  'a',
  'blockquote',
  'br',
  'code',
  'del',
  'em',
  'h1',
  'h2',
  'h3',
  'h4',
  'h5',
  'h6',
  'hr',
  'li',
  'ol',
  'p',
  'pre',
  's',
  'span',
  'strong',
  'table',
  'tbody',
  'td',
  'th',
  'thead',
  'tr',
  'ul',
];
const ALLOWED_CLASS = /^(hljs(-[\w-]+)?|language-[\w+#.-]+|math-(inline|display))$/;

const purify = DOMPurify(window);
purify.addHook('uponSanitizeAttribute', (_node, data) => {
  if (data.attrName === 'class') {
    const kept = data.attrValue.split(/\s+/).filter((name) => ALLOWED_CLASS.test(name));
    if (kept.length) data.attrValue = kept.join(' ');
    else data.keepAttr = false;
  }
});
purify.addHook('afterSanitizeAttributes', (node) => {
  if (node.nodeName !== 'A') return;
  const href = node.getAttribute('href') ?? '';
  node.removeAttribute('href');
  if (!isWebLink(href)) return;
  // No href: a click can never navigate the webview. The host asks before opening.
  node.setAttribute('data-href', href);
  node.setAttribute('role', 'link');
  node.setAttribute('tabindex', '0');
  node.setAttribute('title', href);
  node.setAttribute('class', 'external-link');
});

const PURIFY_CONFIG: Config & { RETURN_DOM_FRAGMENT: true } = {
  ALLOWED_TAGS,
  ALLOWED_ATTR: ['href', 'class', 'start', 'title'],
  ALLOW_DATA_ATTR: false,
  ALLOW_ARIA_ATTR: false,
  ALLOWED_URI_REGEXP: /^https?:\/\//i,
  RETURN_DOM_FRAGMENT: true,
};

/** Model markdown as a sanitized fragment, ready to append. */
export function renderMarkdown(markdown: string): DocumentFragment {
  // The data-href the hook adds is set after the allow-list ran, so it survives.
  const fragment = purify.sanitize(md.render(markdown), PURIFY_CONFIG);
  for (const placeholder of fragment.querySelectorAll<HTMLElement>('span.math-inline, span.math-display')) {
    placeholder.replaceWith(renderMath(placeholder.textContent ?? '', placeholder.classList.contains('math-display')));
  }
  return fragment;
}

export function renderMarkdownInto(target: HTMLElement, markdown: string): void {
  target.replaceChildren(renderMarkdown(markdown));
}

const LANGUAGE_BY_EXTENSION: Record<string, string> = {
  ts: 'typescript',
  tsx: 'typescript',
  mts: 'typescript',
  cts: 'typescript',
  js: 'javascript',
  jsx: 'javascript',
  mjs: 'javascript',
  cjs: 'javascript',
  py: 'python',
  java: 'java',
  go: 'go',
  rs: 'rust',
  c: 'c',
  h: 'c',
  cpp: 'cpp',
  cc: 'cpp',
  hpp: 'cpp',
  cs: 'csharp',
  json: 'json',
  sh: 'bash',
  bash: 'bash',
  sql: 'sql',
  yaml: 'yaml',
  yml: 'yaml',
  html: 'xml',
  xml: 'xml',
  diff: 'diff',
};

const warmed = new Set<string>();

/**
 * The first render compiles markdown-it's and the highlighter's code paths and the language's
 * grammar (about 100 ms on a slow machine); do it while the panel is idle, not in the frame where
 * the answer starts.
 */
export function warmUpRenderer(filePath?: string): void {
  const extension = filePath?.split('.').pop()?.toLowerCase() ?? '';
  const language = (Object.hasOwn(LANGUAGE_BY_EXTENSION, extension) ? LANGUAGE_BY_EXTENSION[extension] : undefined) ?? 'typescript';
  if (warmed.has(language)) return;
  warmed.add(language);
  const idle = window.requestIdleCallback ?? ((fn: () => void) => setTimeout(fn, 200));
  idle(() => {
    warmUpMath();
    renderMarkdown(
      `## Warm-up\n\nSome *text* with \`code\` and a [link](https://example.com).\n\n- one\n- two\n\n\`\`\`${language}\nfunction f(a) { return a + 1; }\n\`\`\`\n`,
    );
  });
}
