// What kind of document a run looks at: code, or a proof (a mathematical argument written in
// LaTeX, Markdown with math, or plain prose). The kind chooses the prompt (a referee's questions
// instead of a code reviewer's) and how quotes are matched (prose is re-flowed by models).
// Proof assistants' files (Lean, Coq) are code: their checker, not a referee, decides.

export const DOCUMENT_KINDS = ['proof', 'code'] as const;
export type DocumentKind = (typeof DOCUMENT_KINDS)[number];

/**
 * VS Code language ids of documents that are always prose or mathematics. The editor menu's
 * `when` clause for Check This Proof (package.json) names these and Markdown.
 */
const PROSE_LANGUAGES = new Set(['latex', 'tex', 'plaintext']);
/** Language ids that are prose only when they carry mathematics. */
const MAYBE_MATH_LANGUAGES = new Set(['markdown']);

/** File extensions (lower case, no dot) and the language id the CLI gives them. */
export const PROSE_EXTENSIONS: Readonly<Record<string, string>> = {
  tex: 'latex',
  latex: 'latex',
  ltx: 'latex',
  md: 'markdown',
  markdown: 'markdown',
  txt: 'plaintext',
  text: 'plaintext',
};

/** `$x$`, `$$…$$`, `\(…\)`, `\[…\]` or a LaTeX math environment: text that is mathematics. */
const MATH =
  /\$\$[\s\S]+?\$\$|(^|[^\\$])\$[^\s$](?:[^$\n]*[^\s$\\])?\$(?!\d)|\\\(|\\\[|\\begin\{(?:equation|align|gather|multline|theorem|lemma|proof|proposition|corollary)\*?\}/m;

/** Whether `text` holds mathematics (Markdown notes with math read as proofs). */
export function hasMath(text: string): boolean {
  return MATH.test(text);
}

/**
 * The kind of a document from its language id and, for Markdown, its text: LaTeX and plain text
 * are proofs, Markdown is a proof when it has math, everything else (Lean and Coq included) is code.
 */
export function documentKindOf(languageId: string, text = ''): DocumentKind {
  const id = languageId.toLowerCase();
  if (PROSE_LANGUAGES.has(id)) return 'proof';
  if (MAYBE_MATH_LANGUAGES.has(id)) return hasMath(text) ? 'proof' : 'code';
  return 'code';
}
