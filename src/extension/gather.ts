// Gathers what a run looks at from the editor: the editable code (selection, symbol, file), the
// enclosing symbol as reference, and other tools' diagnostics on those lines.

import * as vscode from 'vscode';
import { relativePathOf } from './git';
import { documentKindOf, type DocumentKind } from '../core/documentKind';
import type { CodeUnderReview, ContextSnippet, ForeignDiagnostic, LineRange, RunKind } from '../core/types';
import { DIAGNOSTIC_SOURCE } from './findings';
import { unreviewableTextReason } from '../core/inputLimits';

/** What a run analyses, stamped with the document version the model sees. */
export interface AnalysisTarget {
  readonly document: vscode.TextDocument;
  readonly version: number;
  readonly code: CodeUnderReview;
  readonly title: string;
  /** Review of changes: keep findings on the changed lines (and next to them) unless severe. */
  readonly changedLinesOnly?: boolean;
  /** What was taken when nothing was selected, said to the person ("No selection: ..."). */
  readonly scopeNote?: string;
  /**
   * The file a person edits, when `document` is a read-only copy of it (the staged text, a commit's):
   * findings are shown and fixed there.
   */
  readonly workingDocument?: vscode.TextDocument;
}

/** Files longer than this are refused whole; the person can select a part. */
export const MAX_FILE_LINES = 4000;
const MAX_FILE_CHARS = 400_000;
/** Lines around a cursor or diagnostic when no enclosing symbol is known. */
const AROUND = 12;

export class TargetError extends Error {}

const SYMBOL_KINDS = new Set([
  vscode.SymbolKind.Function,
  vscode.SymbolKind.Method,
  vscode.SymbolKind.Constructor,
  vscode.SymbolKind.Class,
  vscode.SymbolKind.Interface,
  vscode.SymbolKind.Module,
  vscode.SymbolKind.Namespace,
]);

/** What "the enclosing function" means when nothing is selected. */
const FUNCTION_KINDS = new Set([vscode.SymbolKind.Function, vscode.SymbolKind.Method, vscode.SymbolKind.Constructor]);

/**
 * The selection; when it is empty, the enclosing function or method (from the symbol provider),
 * saying so in `scopeNote`. Without one: the lines around the cursor (explain) or the whole file
 * (review). `documentKind` overrides the kind read from the document (Check This Proof asks for
 * `proof`, which takes the whole file when nothing is selected).
 */
export async function targetFromEditor(
  editor: vscode.TextEditor,
  kind: RunKind,
  question?: string,
  documentKind?: DocumentKind,
): Promise<AnalysisTarget> {
  const { document, selection } = editor;
  if (!selection.isEmpty) return buildTarget(document, kind, [selectedLines(selection)], question, documentKind);
  if (kind === 'review' && documentKind === 'proof') return targetFromFile(document, documentKind);
  const verb = kind === 'explain' ? 'explaining' : 'reviewing';
  const fn = await enclosingSymbol(document, new vscode.Range(selection.active, selection.active), FUNCTION_KINDS);
  if (fn) {
    const lines = { startLine: fn.range.start.line + 1, endLine: fn.range.end.line + 1 };
    const what = `${vscode.SymbolKind[fn.kind].toLowerCase()} ${fn.name}`;
    const target = await buildTarget(document, kind, [lines], question, documentKind);
    return {
      ...target,
      title: `${target.title} (${what})`,
      scopeNote: `No selection: ${verb} the enclosing ${what} (lines ${lines.startLine}-${lines.endLine}).`,
    };
  }
  if (kind === 'review') {
    return {
      ...(await targetFromFile(document, documentKind)),
      scopeNote: 'No selection and no enclosing function: reviewing the whole file.',
    };
  }
  const lines = await aroundPosition(document, selection.active);
  const target = await buildTarget(document, kind, [lines], question, documentKind);
  return {
    ...target,
    scopeNote: `No selection and no enclosing function: ${verb} lines ${lines.startLine}-${lines.endLine} around the cursor.`,
  };
}

export async function targetFromFile(document: vscode.TextDocument, documentKind?: DocumentKind): Promise<AnalysisTarget> {
  if (document.lineCount > MAX_FILE_LINES || document.getText().length > MAX_FILE_CHARS) {
    throw new TargetError(
      `${vscode.workspace.asRelativePath(document.uri)} is too large to review whole (${document.lineCount} lines; the limit is ${MAX_FILE_LINES}). Select the part to review and run "ThinkLens: Review Selection".`,
    );
  }
  return buildTarget(document, 'review', [{ startLine: 1, endLine: Math.max(1, document.lineCount) }], undefined, documentKind);
}

/** Explains another tool's diagnostic: the code around it, with its message as the question. */
export async function targetFromDiagnostic(
  document: vscode.TextDocument,
  range: vscode.Range,
  message: string,
  source?: string,
): Promise<AnalysisTarget> {
  const lines = await aroundPosition(document, range.start, { startLine: range.start.line + 1, endLine: range.end.line + 1 });
  const question = `Explain this ${source ? `${source} ` : ''}diagnostic on line ${range.start.line + 1} and how to fix it: ${message}`;
  return buildTarget(document, 'explain', [lines], question);
}

/** Several ranges of one document (changed hunks). */
export async function targetFromRanges(
  document: vscode.TextDocument,
  ranges: readonly LineRange[],
  question?: string,
): Promise<AnalysisTarget> {
  return { ...(await buildTarget(document, 'review', ranges, question)), changedLinesOnly: true };
}

function selectedLines(selection: vscode.Selection): LineRange {
  // A selection that ends at column 0 of the next line does not include that line.
  const endLine = selection.end.character === 0 && selection.end.line > selection.start.line ? selection.end.line : selection.end.line + 1;
  return { startLine: selection.start.line + 1, endLine };
}

async function aroundPosition(document: vscode.TextDocument, position: vscode.Position, atLeast?: LineRange): Promise<LineRange> {
  const symbol = await enclosingSymbol(document, new vscode.Range(position, position));
  if (symbol && symbol.range.end.line - symbol.range.start.line < 200) {
    return { startLine: symbol.range.start.line + 1, endLine: symbol.range.end.line + 1 };
  }
  const line = position.line + 1;
  return {
    startLine: Math.max(1, Math.min(line - AROUND, atLeast?.startLine ?? line)),
    endLine: Math.min(document.lineCount, Math.max(line + AROUND, atLeast?.endLine ?? line)),
  };
}

export async function buildTarget(
  document: vscode.TextDocument,
  kind: RunKind,
  ranges: readonly LineRange[],
  question?: string,
  documentKind?: DocumentKind,
): Promise<AnalysisTarget> {
  const path = relativePathOf(document.uri);
  // The same refusal as the CLI's: binary content, or more code under review than any model takes.
  const refused =
    unreviewableTextReason(path, ranges.map((r) => linesOf(document, r.startLine, r.endLine)).join('\n')) ??
    (document.getText(new vscode.Range(0, 0, Math.min(document.lineCount, 200), 0)).includes('\u0000')
      ? unreviewableTextReason(path, '\u0000')
      : undefined);
  if (refused) throw new TargetError(refused);
  const context: ContextSnippet[] = [];
  // The enclosing symbol is reference, not editable, when the selection is only part of it.
  if (ranges.length === 1) {
    const [only] = ranges as [LineRange];
    const selectionRange = new vscode.Range(only.startLine - 1, 0, only.endLine - 1, 0);
    const symbol = await enclosingSymbol(document, selectionRange);
    if (symbol) {
      const start = symbol.range.start.line + 1;
      const end = symbol.range.end.line + 1;
      if ((start < only.startLine || end > only.endLine) && end - start < 300) {
        context.push({
          label: `enclosing ${vscode.SymbolKind[symbol.kind].toLowerCase()} ${symbol.name}`,
          startLine: start,
          text: linesOf(document, start, end),
        });
      }
    }
  }
  context.push(...(await calledSignatures(document, ranges)));
  const range = ranges.length === 1 ? ranges[0]! : undefined;
  const title = range
    ? `${path}:${range.startLine}${range.endLine !== range.startLine ? `-${range.endLine}` : ''}`
    : `${path} (${ranges.length} changes)`;
  return {
    document,
    version: document.version,
    title,
    code: {
      kind,
      document: documentKind ?? documentKindOf(document.languageId, document.getText()),
      path,
      languageId: document.languageId,
      fileText: document.getText(),
      ranges,
      context,
      diagnostics: foreignDiagnostics(document, ranges),
      question,
    },
  };
}

function linesOf(document: vscode.TextDocument, startLine: number, endLine: number): string {
  return document.getText(new vscode.Range(startLine - 1, 0, endLine - 1, document.lineAt(endLine - 1).text.length));
}

function foreignDiagnostics(document: vscode.TextDocument, ranges: readonly LineRange[]): ForeignDiagnostic[] {
  const inRanges = (line: number) => ranges.some((r) => line >= r.startLine && line <= r.endLine);
  const severity = (s: vscode.DiagnosticSeverity) =>
    s === vscode.DiagnosticSeverity.Error ? 'error' : s === vscode.DiagnosticSeverity.Warning ? 'warning' : 'info';
  return vscode.languages
    .getDiagnostics(document.uri)
    .filter((d) => d.source !== DIAGNOSTIC_SOURCE && inRanges(d.range.start.line + 1))
    .slice(0, 30)
    .map((d) => ({ line: d.range.start.line + 1, message: d.message, source: d.source, severity: severity(d.severity) }));
}

/** The innermost function, method or class (or of `kinds`) containing `range`, from the document symbol provider. */
export async function enclosingSymbol(
  document: vscode.TextDocument,
  range: vscode.Range,
  kinds: ReadonlySet<vscode.SymbolKind> = SYMBOL_KINDS,
): Promise<vscode.DocumentSymbol | undefined> {
  let symbols: (vscode.DocumentSymbol | vscode.SymbolInformation)[] | undefined;
  try {
    symbols = await vscode.commands.executeCommand<(vscode.DocumentSymbol | vscode.SymbolInformation)[]>(
      'vscode.executeDocumentSymbolProvider',
      document.uri,
    );
  } catch {
    return undefined; // no symbol provider for this language: callers fall back to nearby lines
  }
  let best: vscode.DocumentSymbol | undefined;
  const visit = (list: readonly vscode.DocumentSymbol[]) => {
    for (const symbol of list) {
      if (!symbol.range.contains(range)) continue;
      if (kinds.has(symbol.kind)) best = symbol;
      visit(symbol.children ?? []);
    }
  };
  visit((symbols ?? []).filter((s): s is vscode.DocumentSymbol => 'children' in s));
  return best;
}

/** Names followed by `(`: calls, in most languages ThinkLens sees. */
const CALL = /\b([A-Za-z_$][\w$]*)\s*\(/g;
const NOT_CALLS = new Set([
  'if',
  'for',
  'while',
  'switch',
  'catch',
  'function',
  'return',
  'typeof',
  'new',
  'await',
  'super',
  'import',
  'require',
  'def',
  'elif',
  'print',
  'len',
  'range',
  'sizeof',
  'assert',
  'with',
  'lambda',
  'in',
  'not',
  'and',
  'or',
]);
const MAX_SIGNATURES = 12;
const SIGNATURE_LINES = 4;
/** Definition lookups wait at most this long in all; the run is worth more than the context. */
const SIGNATURE_WAIT_MS = 2500;

/**
 * The signatures of functions the code under review calls that are defined elsewhere in the
 * workspace, found with the definition provider: reference for the model, never editable.
 */
export async function calledSignatures(document: vscode.TextDocument, ranges: readonly LineRange[]): Promise<ContextSnippet[]> {
  const calls = new Map<string, vscode.Position>();
  for (const range of ranges) {
    for (let line = range.startLine - 1; line < Math.min(range.endLine, document.lineCount) && calls.size < MAX_SIGNATURES; line++) {
      for (const match of document.lineAt(line).text.matchAll(CALL)) {
        const name = match[1]!;
        if (!NOT_CALLS.has(name) && !calls.has(name)) calls.set(name, new vscode.Position(line, match.index!));
      }
    }
  }
  const inReview = (uri: vscode.Uri, line: number) =>
    uri.toString() === document.uri.toString() && ranges.some((r) => line + 1 >= r.startLine && line + 1 <= r.endLine);
  const lookup = async (name: string, position: vscode.Position): Promise<ContextSnippet | undefined> => {
    const found = await vscode.commands.executeCommand<(vscode.Location | vscode.LocationLink)[]>(
      'vscode.executeDefinitionProvider',
      document.uri,
      position,
    );
    const first = found?.[0];
    if (!first) return undefined;
    const uri = 'targetUri' in first ? first.targetUri : first.uri;
    const start = ('targetUri' in first ? first.targetRange : first.range).start.line;
    if (inReview(uri, start) || /[\\/]node_modules[\\/]/.test(uri.path)) return undefined;
    if (uri.toString() !== document.uri.toString() && !vscode.workspace.getWorkspaceFolder(uri)) return undefined;
    const target = uri.toString() === document.uri.toString() ? document : await vscode.workspace.openTextDocument(uri);
    const lines: string[] = [];
    for (let line = start; line < Math.min(target.lineCount, start + SIGNATURE_LINES); line++) {
      const text = target.lineAt(line).text;
      lines.push(text);
      if (/[{:;]\s*$|=>/.test(text)) break;
    }
    return {
      label: `signature of ${name} (${vscode.workspace.asRelativePath(uri)}:${start + 1})`,
      startLine: start + 1,
      text: lines.join('\n'),
    };
  };
  // Lookups that have not answered in time are left out; the ones that did are kept.
  const found: ContextSnippet[] = [];
  const all = Promise.allSettled([...calls].map(([name, position]) => lookup(name, position).then((s) => s && found.push(s))));
  await Promise.race([all, new Promise((resolve) => setTimeout(resolve, SIGNATURE_WAIT_MS))]);
  return [...found].sort((a, b) => a.label.localeCompare(b.label));
}
