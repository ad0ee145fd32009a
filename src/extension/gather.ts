// Gathers what a run looks at from the editor: the editable code (selection, symbol, file), the
// enclosing symbol as reference, and other tools' diagnostics on those lines.

import * as vscode from 'vscode';
import type { CodeUnderReview, ContextSnippet, ForeignDiagnostic, LineRange, RunKind } from '../core/types';
import { DIAGNOSTIC_SOURCE } from './findings';

/** What a run analyses, stamped with the document version the model sees. */
export interface AnalysisTarget {
  readonly document: vscode.TextDocument;
  readonly version: number;
  readonly code: CodeUnderReview;
  readonly title: string;
  /** Review of changes: keep findings on the changed lines (and next to them) unless severe. */
  readonly changedLinesOnly?: boolean;
}

/** Files longer than this are refused whole; the person can select a part. */
export const MAX_FILE_LINES = 4000;
const MAX_FILE_CHARS = 400_000;
/** Lines around a cursor or diagnostic when no enclosing symbol is known. */
const AROUND = 12;

export class TargetError extends Error {}

const SYMBOL_KINDS = new Set([
  vscode.SymbolKind.Function, vscode.SymbolKind.Method, vscode.SymbolKind.Constructor,
  vscode.SymbolKind.Class, vscode.SymbolKind.Interface, vscode.SymbolKind.Module, vscode.SymbolKind.Namespace,
]);

/** The selection, or when it is empty the enclosing function (explain) or the whole file (review). */
export async function targetFromEditor(editor: vscode.TextEditor, kind: RunKind, question?: string): Promise<AnalysisTarget> {
  const { document, selection } = editor;
  if (selection.isEmpty && kind === 'review') return targetFromFile(document);
  const lines = selection.isEmpty ? await aroundPosition(document, selection.active) : selectedLines(selection);
  return buildTarget(document, kind, [lines], question);
}

export async function targetFromFile(document: vscode.TextDocument): Promise<AnalysisTarget> {
  if (document.lineCount > MAX_FILE_LINES || document.getText().length > MAX_FILE_CHARS) {
    throw new TargetError(
      `${vscode.workspace.asRelativePath(document.uri)} is too large to review whole (${document.lineCount} lines; the limit is ${MAX_FILE_LINES}). Select the part to review and run "ThinkLens: Review Selection".`,
    );
  }
  return buildTarget(document, 'review', [{ startLine: 1, endLine: Math.max(1, document.lineCount) }]);
}

/** Explains another tool's diagnostic: the code around it, with its message as the question. */
export async function targetFromDiagnostic(document: vscode.TextDocument, range: vscode.Range, message: string, source?: string): Promise<AnalysisTarget> {
  const lines = await aroundPosition(document, range.start, { startLine: range.start.line + 1, endLine: range.end.line + 1 });
  const question = `Explain this ${source ? `${source} ` : ''}diagnostic on line ${range.start.line + 1} and how to fix it: ${message}`;
  return buildTarget(document, 'explain', [lines], question);
}

/** Several ranges of one document (changed hunks). */
export async function targetFromRanges(document: vscode.TextDocument, ranges: readonly LineRange[], question?: string): Promise<AnalysisTarget> {
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

async function buildTarget(document: vscode.TextDocument, kind: RunKind, ranges: readonly LineRange[], question?: string): Promise<AnalysisTarget> {
  const path = vscode.workspace.asRelativePath(document.uri);
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
        context.push({ label: `enclosing ${vscode.SymbolKind[symbol.kind].toLowerCase()} ${symbol.name}`, startLine: start, text: linesOf(document, start, end) });
      }
    }
  }
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

/** The innermost function, method or class containing `range`, from the document symbol provider. */
export async function enclosingSymbol(document: vscode.TextDocument, range: vscode.Range): Promise<vscode.DocumentSymbol | undefined> {
  let symbols: (vscode.DocumentSymbol | vscode.SymbolInformation)[] | undefined;
  try {
    symbols = await vscode.commands.executeCommand<(vscode.DocumentSymbol | vscode.SymbolInformation)[]>('vscode.executeDocumentSymbolProvider', document.uri);
  } catch {
    return undefined; // no symbol provider for this language: callers fall back to nearby lines
  }
  let best: vscode.DocumentSymbol | undefined;
  const visit = (list: readonly vscode.DocumentSymbol[]) => {
    for (const symbol of list) {
      if (!symbol.range.contains(range)) continue;
      if (SYMBOL_KINDS.has(symbol.kind)) best = symbol;
      visit(symbol.children ?? []);
    }
  };
  visit((symbols ?? []).filter((s): s is vscode.DocumentSymbol => 'children' in s));
  return best;
}
