// Builds the messages sent to an R1-style model. DeepSeek advises putting every instruction in the
// user turn (no system prompt) for its reasoning models, so a run is one user message: the task,
// the numbered code under review, read-only reference context, other tools' diagnostics, the
// person's question, and the answer contract that answerParser.ts reads back (docs/ARCHITECTURE.md "The answer contract").

import type { ChatMessage, CodeUnderReview, ContextSnippet, Focus, LineRange } from './types';
import { answerRules, answerShape } from './contract';
import { clamp, estimateTokens, formatLines, mergeRanges, ownValue, splitLines, stripThink } from './text';

export interface PromptOptions {
  /**
   * Ask for the answer as a bare JSON object (for servers sent `response_format: json_object`);
   * the explanation then goes in the contract's `explanation` field.
   */
  readonly jsonOnlyAnswer?: boolean;
  /**
   * Upper bound, in estimated tokens, for the whole prompt. Reference context is dropped, least
   * important first, until the prompt fits; the code under review and the contract are never cut.
   */
  readonly contextTokenBudget?: number;
}

export interface FollowUpOptions {
  readonly jsonOnlyAnswer?: boolean;
}

/**
 * The lines `range` of `fileText`, each prefixed with its absolute line number: `  12 | code`.
 * `width` pads the numbers (default: the digits of the range's last line).
 */
export function numberLines(fileText: string | readonly string[], range: LineRange, options?: { readonly width?: number }): string {
  const lines = typeof fileText === 'string' ? splitLines(fileText) : fileText;
  const start = clamp(Math.min(range.startLine, range.endLine), 1, lines.length);
  const end = clamp(Math.max(range.startLine, range.endLine), start, lines.length);
  const width = options?.width ?? String(end).length;
  const out: string[] = [];
  for (let line = start; line <= end; line++) {
    out.push(`${String(line).padStart(width, ' ')} | ${lines[line - 1]}`);
  }
  return out.join('\n');
}

/** The editable ranges of `code`, merged and clamped into the file. */
export function editableRanges(code: CodeUnderReview, lineCount?: number): LineRange[] {
  const count = lineCount ?? splitLines(code.fileText).length;
  return mergeRanges(code.ranges)
    .filter((r) => r.endLine >= 1 && r.startLine <= count)
    .map((r) => ({ startLine: clamp(r.startLine, 1, count), endLine: clamp(r.endLine, 1, count) }))
    .filter((r, i, all) => i === 0 || r.startLine > all[i - 1]!.endLine);
}

export function buildPrompt(code: CodeUnderReview, options?: PromptOptions): ChatMessage[] {
  const lines = splitLines(code.fileText);
  const editable = editableRanges(code, lines.length);
  const width = String(lines.length).length;
  const fenceLang = fenceLanguage(code.languageId);

  const proof = code.document === 'proof';
  const head = [
    proof ? proofTaskSentence(code) : taskSentence(code),
    proof ? '' : focusSentence(code.focus),
    codeSection(lines, editable, width, fenceLang, proof),
  ].filter((part) => part !== '');
  const tail = [
    diagnosticsSection(code, lines.length),
    code.question?.trim() ? `The person asks: ${code.question.trim()}` : '',
    contract(editable, options?.jsonOnlyAnswer ?? false, proof),
  ];

  // Reference context is what gives way to the budget: most important kept, the rest named.
  const snippets = (code.context ?? []).filter((s) => s.text.trim() !== '');
  const ranked = rankSnippets(snippets, editable);
  let kept = ranked.slice();
  let dropped: ContextSnippet[] = [];
  const render = (): string => {
    const shown = snippets.filter((s) => kept.includes(s));
    const left = snippets.filter((s) => dropped.includes(s));
    const context = contextSection(shown, left, editable, width, fenceLang);
    return [...head, context, ...tail].filter((part) => part !== '').join('\n\n');
  };
  let content = render();
  const budget = options?.contextTokenBudget;
  if (budget !== undefined) {
    while (kept.length > 0 && estimateTokens(content) > budget) {
      const least = kept[kept.length - 1]!;
      kept = kept.slice(0, -1);
      dropped = [least, ...dropped];
      content = render();
    }
  }
  return [{ role: 'user', content }];
}

/**
 * Continues a conversation: earlier assistant turns keep only their final answers
 * (docs/ARCHITECTURE.md "Conversations") and the new question restates the JSON contract briefly so its findings parse.
 */
export function buildFollowUp(history: readonly ChatMessage[], question: string, options?: FollowUpOptions): ChatMessage[] {
  const earlier = history.map((message): ChatMessage =>
    message.role === 'assistant' ? { role: 'assistant', content: stripThink(message.content).trim() } : message,
  );
  const reminder = options?.jsonOnlyAnswer
    ? 'Answer with one JSON object and nothing else, with `summary`, `explanation` (your answer, markdown) ' +
      'and `findings` exactly as before (`[]` if this answer adds none).'
    : 'Answer in prose, then end with one fenced ```json block with `summary` and `findings` exactly ' +
      'as before (`[]` if this answer adds none): absolute line numbers, `quote` copied verbatim from ' +
      'line startLine, `fix` only within the lines under review.';
  return [...earlier, { role: 'user', content: `${question.trim()}\n\n${reminder}` }];
}

// ---- sections ----

function taskSentence(code: CodeUnderReview): string {
  const language = languageName(code.languageId);
  const where = `${language} code from \`${code.path}\``;
  if (code.kind === 'explain') {
    return (
      `Explain the bug in this ${where}: what goes wrong, for which input, and why. ` +
      'Report it (and any closely related problem) as a finding with a fix.'
    );
  }
  return (
    `Review this ${where} for bugs and edge cases: wrong results, crashes, unhandled inputs ` +
    '(empty, null, boundaries, overflow, concurrency), and security or performance problems. ' +
    'Report only real problems, not style preferences.'
  );
}

const FOCUS_WORDS: Record<Focus, string> = {
  bugs: 'bugs (wrong results, crashes)',
  'edge-cases': 'edge cases (empty, null, boundary and overflow inputs)',
  security: 'security problems (injection, unchecked input, secrets, unsafe APIs)',
  performance: 'performance problems (needless work, quadratic loops, blocking calls)',
};

/** A focus narrows what the model looks for; the findings are filtered by it as well. */
function focusSentence(focus: readonly Focus[] | undefined): string {
  if (!focus?.length) return '';
  const wanted = focus.map((f) => FOCUS_WORDS[f]);
  const list = wanted.length === 1 ? wanted[0]! : `${wanted.slice(0, -1).join(', ')} and ${wanted[wanted.length - 1]}`;
  return `Focus only on ${list}; leave other kinds of problem out.`;
}

/**
 * A referee's questions for a mathematical argument. Severity separates a false result from an
 * unproven one, which is what the author needs to know first.
 */
function proofTaskSentence(code: CodeUnderReview): string {
  const where = `${languageName(code.languageId)} document \`${code.path}\``;
  const questions =
    'Read it as a careful referee would: check every step. Look for wrong steps (an algebra or ' +
    'logic error), claims used without justification, missing cases and boundary conditions ' +
    '(n = 0, the empty set, equality, division by zero), circular arguments (assuming what is to ' +
    'be proved), conclusions that do not follow from what came before, and notation used before ' +
    'it is defined. Report only real flaws in the mathematics, not wording or typesetting preferences; ' +
    'a correct proof has no findings.';
  if (code.kind === 'explain') {
    return `Find the flaw in the proof in this ${where}: which step fails, and why. ${questions}`;
  }
  return `Check the proof in this ${where}. ${questions}`;
}

function codeSection(lines: readonly string[], editable: readonly LineRange[], width: number, fenceLang: string, proof = false): string {
  const note = `Each line starts with its line number in the file and " | ", which is not part of the ${proof ? 'text' : 'code'}.`;
  const subject = proof ? 'Text under review' : 'Code under review';
  if (editable.length === 0) {
    return `${subject}: none was given. ${note}`;
  }
  if (editable.length === 1) {
    const range = editable[0]!;
    return [
      `${subject}, ${linesLabel(range)} (the only lines you may change). ${note}`,
      fenced(numberLines(lines, range, { width }), fenceLang),
    ].join('\n');
  }
  const blocks = editable.map((range, i) =>
    [`Block ${i + 1} of ${editable.length}, ${linesLabel(range)}:`, fenced(numberLines(lines, range, { width }), fenceLang)].join('\n'),
  );
  return [
    `${subject}: ${editable.length} separate blocks (the only lines you may change; ` + `lines between them are not shown). ${note}`,
    ...blocks,
  ].join('\n');
}

function contextSection(
  kept: readonly ContextSnippet[],
  dropped: readonly ContextSnippet[],
  editable: readonly LineRange[],
  width: number,
  fenceLang: string,
): string {
  const parts: string[] = [];
  if (kept.length > 0) {
    parts.push('Reference context (read-only: for understanding only; do not edit it or put fixes in it):');
    for (const snippet of kept) {
      const range = snippetRange(snippet);
      parts.push(`${snippet.label}, ${linesLabel(range)}:`);
      parts.push(fenced(numberSnippet(snippet, editable, width), fenceLang));
    }
  }
  if (dropped.length > 0) {
    const names = dropped.map((s) => `${s.label} (${linesLabel(snippetRange(s))})`).join('; ');
    parts.push(
      `Reference context left out to fit the context window: ${names}. ` + 'If a finding depends on it, say what you had to assume.',
    );
  }
  return parts.join('\n');
}

function diagnosticsSection(code: CodeUnderReview, lineCount: number): string {
  const diagnostics = (code.diagnostics ?? [])
    .filter((d) => Number.isInteger(d.line) && d.line >= 1 && d.line <= lineCount && d.message.trim() !== '')
    .slice()
    .sort((a, b) => a.line - b.line);
  if (diagnostics.length === 0) return '';
  const items = diagnostics.map((d) => {
    const tags = [d.source, d.severity].filter((t): t is string => Boolean(t)).join(', ');
    const message = d.message.trim().replace(/\s*\n\s*/g, ' ');
    return `- line ${d.line}${tags ? ` (${tags})` : ''}: ${message}`;
  });
  return ['Diagnostics from other tools on this code:', ...items].join('\n');
}

function contract(editable: readonly LineRange[], jsonOnly: boolean, proof = false): string {
  const where = editable.length > 0 ? editable.map(formatLines).join(', ') : 'none';
  const intro = jsonOnly
    ? 'Think it through first. Then answer with one JSON object and nothing else (no prose, no code ' +
      'fences); put your explanation for the person in "explanation" (markdown). Shape:'
    : 'Think it through first. Then write a short explanation for the person (markdown), and end ' +
      'your answer with exactly one fenced ```json block, nothing after it, of this shape:';
  const shape = answerShape(jsonOnly, proof);
  return [intro, jsonOnly ? shape : fenced(shape, 'json'), 'Rules:', ...answerRules({ editableLines: where, proof })].join('\n');
}

// ---- helpers ----

/** Snippets that overlap the code under review (the enclosing function or class) matter most. */
function rankSnippets(snippets: readonly ContextSnippet[], editable: readonly LineRange[]): ContextSnippet[] {
  const encloses = (s: ContextSnippet): boolean => {
    const r = snippetRange(s);
    return editable.some((e) => r.startLine <= e.endLine && e.startLine <= r.endLine);
  };
  return [...snippets.filter(encloses), ...snippets.filter((s) => !encloses(s))];
}

function linesLabel(range: LineRange): string {
  return `${range.startLine === range.endLine ? 'line' : 'lines'} ${formatLines(range)}`;
}

function snippetRange(snippet: ContextSnippet): LineRange {
  const count = splitLines(snippet.text.replace(/(\r\n|\r|\n)$/, '')).length;
  return { startLine: snippet.startLine, endLine: snippet.startLine + count - 1 };
}

/** Numbers a snippet; lines that are also under review are folded into one pointer line. */
function numberSnippet(snippet: ContextSnippet, editable: readonly LineRange[], width: number): string {
  const lines = splitLines(snippet.text.replace(/(\r\n|\r|\n)$/, ''));
  const out: string[] = [];
  let foldStart = 0;
  const flush = (endLine: number): void => {
    if (foldStart === 0) return;
    const blank = ' '.repeat(width);
    out.push(`${blank} | … lines ${formatLines({ startLine: foldStart, endLine })}: the code under review above …`);
    foldStart = 0;
  };
  lines.forEach((text, i) => {
    const line = snippet.startLine + i;
    if (editable.some((r) => line >= r.startLine && line <= r.endLine)) {
      if (foldStart === 0) foldStart = line;
      return;
    }
    flush(line - 1);
    out.push(`${String(line).padStart(width, ' ')} | ${text}`);
  });
  flush(snippet.startLine + lines.length - 1);
  return out.join('\n');
}

/** A markdown fence long enough not to be closed by backticks inside the content. */
function fenced(content: string, lang: string): string {
  const longest = Math.max(0, ...(content.match(/`{3,}/g) ?? []).map((run) => run.length));
  const fence = '`'.repeat(Math.max(3, longest + 1));
  return `${fence}${lang}\n${content}\n${fence}`;
}

const LANGUAGE_NAMES: Readonly<Record<string, string>> = {
  typescript: 'TypeScript',
  typescriptreact: 'TypeScript (React)',
  javascript: 'JavaScript',
  javascriptreact: 'JavaScript (React)',
  python: 'Python',
  go: 'Go',
  rust: 'Rust',
  java: 'Java',
  csharp: 'C#',
  cpp: 'C++',
  c: 'C',
  ruby: 'Ruby',
  php: 'PHP',
  kotlin: 'Kotlin',
  swift: 'Swift',
  shellscript: 'shell',
  plaintext: 'plain-text',
  latex: 'LaTeX',
  tex: 'TeX',
  markdown: 'Markdown',
};

function languageName(languageId: string): string {
  return ownValue(LANGUAGE_NAMES, languageId) ?? languageId;
}

const FENCE_LANGUAGES: Readonly<Record<string, string>> = {
  typescriptreact: 'tsx',
  javascriptreact: 'jsx',
  shellscript: 'sh',
  plaintext: '',
};

function fenceLanguage(languageId: string): string {
  const lang = ownValue(FENCE_LANGUAGES, languageId) ?? languageId;
  return /^[\w+#.-]*$/.test(lang) ? lang : '';
}
