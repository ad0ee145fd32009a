// Findings as diagnostics, stamped with the document they were made for. Edits above a finding move
// it, an edit inside it invalidates its fix, and a fix is applied only when the text it replaces is
// still exactly what the model saw.

import * as vscode from 'vscode';
import { locateQuote } from '../core/locate';
import { mapFindingToWorkingText } from '../core/mapFinding';
import { shiftRange as shiftPlainRange } from '../core/rangeShift';
import { firstSentenceOf } from '../core/text';
import type { Finding } from '../core/types';
import { INTERNAL_COMMAND } from '../bridge/commandIds';
import { FindingMemory, type FeedbackMark } from './findingMemory';

export const DIAGNOSTIC_SOURCE = 'ThinkLens';

export interface StampedFinding {
  readonly id: string;
  readonly runId: string;
  readonly uri: vscode.Uri;
  readonly finding: Finding;
  /** Where the squiggle is now (moved as the document changes). */
  range: vscode.Range;
  /** The lines the fix replaces now, and the exact text it expects there. */
  fix?: { range: vscode.Range; expectedText: string; replacement: string };
  /** Why the fix can no longer be applied (edited inside, refused by the parser...). */
  fixUnavailable?: string;
  /** The document version the ranges above are valid for. */
  version: number;
  /** The flagged code was edited after the analysis. */
  edited?: boolean;
  /** The file changed outside the editor and the quoted code is no longer in it: shown greyed on its own lines. */
  stale?: boolean;
  /** Its fingerprint was already dismissed in this workspace when the run published it. */
  readonly dismissedBefore?: boolean;
}

/**
 * Low-confidence findings do not squiggle the code (no diagnostic, no Problems row, no hover, no
 * fix-all): the panel lists them under "N more, lower confidence", where they can still be opened
 * and fixed one by one.
 */
export function inEditor(stamped: StampedFinding): boolean {
  return stamped.finding.confidence !== 'low';
}

export type FixOutcome = { applied: true } | { applied: false; reason: string };

/** Why a finding left the editor: its fix was applied, the person dismissed or cleared it, or a newer run over its code replaced it. */
export type SettledHow = 'applied' | 'dismissed' | 'replaced' | 'cleared';

/** An applied fix, tracked so that an undo can bring its finding back (and a redo settle it again). */
interface AppliedFix {
  /** Where the replacement text sits now. */
  at: vscode.Range;
  /** The fix and the squiggle as they were just before the fix was applied. */
  fix: NonNullable<StampedFinding['fix']>;
  squiggle: vscode.Range;
}

interface Settled {
  readonly finding: StampedFinding;
  readonly how: SettledHow;
  readonly applied?: AppliedFix;
}

const SEVERITY: Record<Finding['severity'], vscode.DiagnosticSeverity> = {
  error: vscode.DiagnosticSeverity.Error,
  warning: vscode.DiagnosticSeverity.Warning,
  info: vscode.DiagnosticSeverity.Information,
};

/** The range of a finding in a document: the quote when it was found, else its whole lines. */
export function findingRange(document: vscode.TextDocument, finding: Finding): vscode.Range {
  const lastLine = document.lineCount - 1;
  if (finding.range) {
    const start = new vscode.Position(Math.min(finding.range.startLine - 1, lastLine), finding.range.startColumn);
    const end = new vscode.Position(Math.min(finding.range.endLine - 1, lastLine), finding.range.endColumn);
    return document.validateRange(new vscode.Range(start, end));
  }
  const first = document.lineAt(Math.max(0, Math.min(finding.startLine - 1, lastLine)));
  const last = document.lineAt(Math.max(0, Math.min(finding.endLine - 1, lastLine)));
  return new vscode.Range(first.range.start.translate(0, first.firstNonWhitespaceCharacterIndex), last.range.end);
}

/** Whole lines `startLine..endLine` (1-based, inclusive) without the final line break. */
export function wholeLines(document: vscode.TextDocument, startLine: number, endLine: number): vscode.Range {
  return new vscode.Range(document.lineAt(startLine - 1).range.start, document.lineAt(endLine - 1).range.end);
}

export class FindingStore implements vscode.Disposable {
  private readonly diagnostics = vscode.languages.createDiagnosticCollection('thinklens');
  private readonly byUri = new Map<string, StampedFinding[]>();
  /** Findings that left the editor (applied, dismissed, replaced, cleared): the panel still lists them. */
  private readonly settled = new Map<string, Settled>();
  private readonly changeEmitter = new vscode.EventEmitter<vscode.Uri>();
  private readonly subscriptions: vscode.Disposable[] = [];
  private nextId = 1;
  /** Fires with the document whose findings changed (published, moved, dismissed, applied). */
  readonly onDidChange = this.changeEmitter.event;

  /**
   * `memory` holds the fingerprints the person dismissed in this workspace: findings with one stay
   * tracked (so they are in the right place when shown) but are neither diagnostics nor returned by
   * `all()` until the person asks to see dismissed findings.
   */
  constructor(readonly memory: FindingMemory = new FindingMemory()) {
    const listening = memory.onDidChange((change) => {
      if (change === 'feedback') {
        // Marks change no diagnostic; the panel's cards show them.
        for (const key of this.byUri.keys()) this.changeEmitter.fire(vscode.Uri.parse(key));
        return;
      }
      for (const key of this.byUri.keys()) this.refresh(vscode.Uri.parse(key));
      void vscode.commands.executeCommand('setContext', 'thinklens.showingDismissed', memory.showDismissed);
    });
    this.subscriptions.push(
      this.diagnostics,
      this.changeEmitter,
      listening,
      vscode.workspace.onDidChangeTextDocument((event) => this.track(event)),
      vscode.workspace.onDidOpenTextDocument((document) => this.reattach(document)),
    );
  }

  /** The person dismissed this finding (now, or an earlier finding with the same fingerprint). */
  isDismissed(stamped: StampedFinding): boolean {
    return this.memory.isDismissed(stamped.finding.fingerprint);
  }

  /** Shown in the editor: not dismissed, or the person asked to see dismissed findings. */
  private isShown(stamped: StampedFinding): boolean {
    return this.memory.showDismissed || !this.isDismissed(stamped);
  }

  /**
   * Publishes a run's findings in `document`, stamped with the version they were computed for.
   * They replace the findings of `replaces` (the earlier runs of a conversation) and, as a linter's
   * recheck does, every earlier finding on the lines in `covering` (the code this run analysed).
   * `analysedVersion` is the version whose text the model saw; if the document changed since, the
   * findings are dropped (the caller reports this).
   */
  publish(
    document: vscode.TextDocument,
    runId: string,
    findings: readonly Finding[],
    analysedVersion: number,
    replaces: readonly string[] = [],
    covering: readonly { startLine: number; endLine: number }[] = [],
  ): StampedFinding[] | undefined {
    if (document.version !== analysedVersion) return undefined;
    const added = this.place(document, runId, findings, replaces, covering);
    this.refresh(document.uri);
    return added;
  }

  /**
   * Publishes findings the model made on a read-only copy of a file (`reviewed`: the staged text, a
   * commit's) on the working file, so that Problems has one group for the file and a fix changes the
   * file a person edits. Each finding is found again by its quote (core/mapFinding.ts); one whose
   * quote is not in the working file stays in the panel, greyed on its claimed lines, with the reason
   * and no fix.
   */
  publishOnWorkingFile(
    reviewed: vscode.TextDocument,
    working: vscode.TextDocument,
    runId: string,
    findings: readonly Finding[],
    reviewedVersion: number,
    replaces: readonly string[] = [],
    covering: readonly { startLine: number; endLine: number }[] = [],
  ): StampedFinding[] | undefined {
    if (reviewed.version !== reviewedVersion) return undefined;
    const [reviewedText, workingText] = [reviewed.getText(), working.getText()];
    const mapped = findings.map((f) => mapFindingToWorkingText(f, reviewedText, workingText));
    const added = this.place(
      working,
      runId,
      mapped.map((m) => m.finding),
      replaces,
      covering,
    );
    mapped.forEach((m, i) => {
      const stamped = added[i]!;
      const withdrawn =
        m.kind === 'gone' ? 'the quoted code is not in the working file: it changed since the reviewed version' : m.fixDropped;
      if (!withdrawn) return;
      stamped.stale = m.kind === 'gone' || undefined;
      stamped.fix = undefined;
      stamped.fixUnavailable = withdrawn;
    });
    this.refresh(working.uri);
    return added;
  }

  /** Stamps a run's findings in `document`, replacing the earlier ones they supersede (see `publish`). */
  private place(
    document: vscode.TextDocument,
    runId: string,
    findings: readonly Finding[],
    replaces: readonly string[],
    covering: readonly { startLine: number; endLine: number }[],
  ): StampedFinding[] {
    const key = document.uri.toString();
    const superseded = new Set([runId, ...replaces]);
    const onCoveredLines = (f: StampedFinding) =>
      covering.some((r) => f.range.start.line + 1 <= r.endLine && f.range.end.line + 1 >= r.startLine);
    const kept: StampedFinding[] = [];
    for (const f of this.byUri.get(key) ?? []) {
      if (superseded.has(f.runId) || onCoveredLines(f)) {
        if (f.runId !== runId) this.settled.set(f.id, { finding: f, how: this.isDismissed(f) ? 'dismissed' : 'replaced' });
      } else kept.push(f);
    }
    const added = findings.map((finding) => this.stamp(document, runId, finding));
    this.byUri.set(key, [...kept, ...added]);
    return added;
  }

  /** The findings in the editor (dismissed ones only while the person asks to see them). */
  all(uri?: vscode.Uri): readonly StampedFinding[] {
    return this.tracked(uri).filter((f) => this.isShown(f));
  }

  /** Every finding still tracked in the editor, dismissed or not. */
  tracked(uri?: vscode.Uri): readonly StampedFinding[] {
    if (uri) return this.byUri.get(uri.toString()) ?? [];
    return [...this.byUri.values()].flat();
  }

  get(id: string): StampedFinding | undefined {
    return this.all().find((f) => f.id === id);
  }

  /** The stamped finding a ThinkLens diagnostic stands for (its code's link carries the finding's id). */
  forDiagnostic(uri: vscode.Uri, diagnostic: vscode.Diagnostic): StampedFinding | undefined {
    const id = findingIdOf(diagnostic);
    return id === undefined ? undefined : this.all(uri).find((f) => f.id === id);
  }

  /** The findings of a run that left the editor, and how. */
  settledFor(runId: string): { finding: StampedFinding; how: SettledHow }[] {
    return [...this.settled.values()].filter((s) => s.finding.runId === runId);
  }

  /**
   * Dismisses a finding in this workspace: it and every finding with its fingerprint leave the
   * editor, now and on later runs, until undismissed or shown.
   */
  dismiss(id: string): void {
    const found = this.get(id);
    if (!found) return;
    if (found.finding.fingerprint) {
      this.memory.dismiss(found.finding.fingerprint, found.finding.title);
      return;
    }
    this.settled.set(id, { finding: found, how: 'dismissed' });
    this.remove(found.uri, (f) => f.id === id);
  }

  /** The person's helpful / not helpful mark on a finding (kept by fingerprint), or `undefined` to clear it. */
  mark(id: string, mark: FeedbackMark | undefined): boolean {
    const found = this.tracked().find((f) => f.id === id) ?? this.settled.get(id)?.finding;
    if (!found) return false;
    this.memory.setFeedback(found.finding.fingerprint, mark);
    return true;
  }

  /** Forgets the dismissal of a finding's fingerprint: it is in the editor again, now and on later runs. */
  undismiss(id: string): boolean {
    const found = this.tracked().find((f) => f.id === id) ?? this.settled.get(id)?.finding;
    return found ? this.memory.undismiss(found.finding.fingerprint) : false;
  }

  /** Removes the findings of one document, or of every document; the panel shows them as cleared. */
  clear(uri?: vscode.Uri): void {
    const keys = uri ? [uri.toString()] : [...this.byUri.keys()];
    for (const key of keys) {
      for (const f of this.byUri.get(key) ?? []) this.settled.set(f.id, { finding: f, how: 'cleared' });
      this.byUri.delete(key);
      this.refresh(vscode.Uri.parse(key));
    }
  }

  /** The documents that have findings, and how many each. */
  counts(): { uri: vscode.Uri; findings: number }[] {
    return [...this.byUri.keys()]
      .map((key) => ({ uri: vscode.Uri.parse(key), findings: this.all(vscode.Uri.parse(key)).length }))
      .filter((entry) => entry.findings > 0);
  }

  /**
   * Applies one fix as a single undoable edit, refused when the text it replaces changed. With
   * `preview`, VS Code's refactor preview shows the change first and the person confirms it.
   */
  async applyFix(id: string, options: { preview?: boolean } = {}): Promise<FixOutcome> {
    const result = await this.applyFixes([id], options);
    return result.refused.length ? { applied: false, reason: result.refused[0]!.reason } : { applied: true };
  }

  /** Applies several fixes of one document in one edit (one undo step); refuses the stale ones. */
  async applyFixes(
    ids: readonly string[],
    options: { preview?: boolean } = {},
  ): Promise<{ applied: string[]; refused: { id: string; reason: string }[] }> {
    const refused: { id: string; reason: string }[] = [];
    const chosen: StampedFinding[] = [];
    for (const id of ids) {
      const found = this.get(id);
      const reason = !found ? 'the finding is gone' : await this.whyNotApplicable(found);
      if (reason) refused.push({ id, reason });
      else chosen.push(found!);
    }
    // Overlapping fixes cannot all be right: keep the first, refuse the rest.
    const accepted: StampedFinding[] = [];
    for (const finding of chosen) {
      if (accepted.some((a) => a.uri.toString() === finding.uri.toString() && a.fix!.range.intersection(finding.fix!.range))) {
        refused.push({ id: finding.id, reason: 'it overlaps another fix applied at the same time' });
      } else accepted.push(finding);
    }
    if (accepted.length === 0) return { applied: [], refused };
    // The edit's own change event moves these findings and withdraws their fixes: keep what undo needs first.
    const before = accepted.map((f) => ({ finding: f, fix: { ...f.fix! }, squiggle: f.range }));
    const edit = options.preview ? previewedEdit(accepted) : new vscode.WorkspaceEdit();
    if (!options.preview) for (const finding of accepted) edit.replace(finding.uri, finding.fix!.range, finding.fix!.replacement);
    if (!(await vscode.workspace.applyEdit(edit))) {
      const reason = options.preview ? 'the change was not confirmed in the preview' : 'VS Code did not apply the edit';
      return { applied: [], refused: [...refused, ...accepted.map((f) => ({ id: f.id, reason }))] };
    }
    for (const { finding, fix, squiggle } of before) {
      // Fixes replace whole lines and never overlap: each one starts where it did, moved by the line
      // counts of the fixes above it in the same document.
      const shift = before
        .filter((o) => o.finding.uri.toString() === finding.uri.toString() && o.fix.range.start.isBefore(fix.range.start))
        .reduce((n, o) => n + lineCount(o.fix.replacement) - lineCount(o.fix.expectedText), 0);
      const document = vscode.workspace.textDocuments.find((d) => d.uri.toString() === finding.uri.toString());
      const at = document && textRangeAt(document, fix.range.start.translate(shift, 0), fix.replacement);
      this.settled.set(finding.id, { finding, how: 'applied', ...(at ? { applied: { at, fix, squiggle } } : {}) });
      this.remove(finding.uri, (f) => f.id === finding.id);
    }
    return { applied: accepted.map((f) => f.id), refused };
  }

  dispose(): void {
    this.subscriptions.forEach((d) => d.dispose());
  }

  private async whyNotApplicable(finding: StampedFinding): Promise<string | undefined> {
    if (!finding.fix) return finding.fixUnavailable ?? 'this finding has no fix';
    if (finding.fixUnavailable) return finding.fixUnavailable;
    const document = await vscode.workspace.openTextDocument(finding.uri);
    if (document.version !== finding.version) return 'the file changed in a way ThinkLens could not follow; run the analysis again';
    if (document.getText(finding.fix.range) !== finding.fix.expectedText) {
      return 'the code the fix replaces has changed since the analysis; run it again';
    }
    return undefined;
  }

  private stamp(document: vscode.TextDocument, runId: string, finding: Finding): StampedFinding {
    const stamped: StampedFinding = {
      id: `F${this.nextId++}`,
      runId,
      uri: document.uri,
      finding,
      range: findingRange(document, finding),
      version: document.version,
      ...(this.memory.isDismissed(finding.fingerprint) ? { dismissedBefore: true } : {}),
    };
    if (finding.fixRefused) stamped.fixUnavailable = `the fix was refused: ${finding.fixRefused}`;
    else if (finding.fix && finding.fix.startLine >= 1 && finding.fix.endLine <= document.lineCount) {
      const range = wholeLines(document, finding.fix.startLine, finding.fix.endLine);
      const eol = document.eol === vscode.EndOfLine.CRLF ? '\r\n' : '\n';
      stamped.fix = { range, expectedText: document.getText(range), replacement: finding.fix.replacement.replace(/\r?\n/g, eol) };
    }
    return stamped;
  }

  /**
   * Moves findings with each edit; an edit inside a finding or its fix makes the fix unavailable.
   * An undo that puts back the code an applied fix replaced brings the finding back with its fix;
   * a redo that applies it again settles it again.
   */
  private track(event: vscode.TextDocumentChangeEvent): void {
    const { document } = event;
    const key = document.uri.toString();
    const findings = this.byUri.get(key) ?? [];
    const applied = [...this.settled.values()].filter((s) => s.applied && s.finding.uri.toString() === key);
    if ((!findings.length && !applied.length) || event.contentChanges.length === 0) return;
    // Changes in one event refer to the document before the event: apply them from the bottom up
    // so that earlier positions stay valid.
    if (changedOutsideTheEditor(event)) {
      this.reanchor(document);
      return;
    }
    const changes = [...event.contentChanges].sort((a, b) => b.range.start.compareTo(a.range.start));
    const shift = (range: vscode.Range) => {
      let touched = false;
      for (const change of changes) {
        const moved = shiftRange(range, change);
        range = moved.range;
        touched ||= moved.touched;
      }
      return { range, touched };
    };
    const redone: Settled[] = [];
    for (const finding of findings) {
      const squiggle = finding.range;
      const moved = shift(finding.range);
      finding.range = moved.range;
      if (moved.touched) finding.edited = true;
      finding.version = document.version;
      const fix = finding.fix;
      if (!fix) continue;
      const fixMoved = shift(fix.range);
      if (!fixMoved.touched && !moved.touched) {
        fix.range = fixMoved.range;
        continue;
      }
      const at =
        event.reason === vscode.TextDocumentChangeReason.Redo ? textRangeAt(document, fixMoved.range.start, fix.replacement) : undefined;
      if (at) {
        redone.push({ finding, how: 'applied', applied: { at, fix: { ...fix }, squiggle } });
        continue;
      }
      finding.fix = undefined;
      finding.fixUnavailable = 'the code it replaces was edited after the analysis; run the analysis again';
    }
    const restored: StampedFinding[] = [];
    for (const entry of applied) {
      const record = entry.applied!;
      const moved = shift(record.at);
      record.at = moved.range;
      if (!moved.touched || event.reason !== vscode.TextDocumentChangeReason.Undo) continue;
      const original = textRangeAt(document, record.at.start, record.fix.expectedText);
      if (!original) continue;
      const lines = original.start.line - record.fix.range.start.line;
      const finding = entry.finding;
      finding.fix = { ...record.fix, range: original };
      finding.fixUnavailable = undefined;
      finding.edited = false;
      finding.range = new vscode.Range(record.squiggle.start.translate(lines, 0), record.squiggle.end.translate(lines, 0));
      finding.version = document.version;
      this.settled.delete(finding.id);
      restored.push(finding);
    }
    for (const entry of redone) this.settled.set(entry.finding.id, entry);
    const gone = new Set(redone.map((e) => e.finding.id));
    this.byUri.set(key, [...findings.filter((f) => !gone.has(f.id)), ...restored]);
    this.refresh(document.uri);
  }

  /**
   * The file changed on disk (git pull, stash pop, a formatter in a shell) and VS Code reloaded it:
   * its change event replaces everything between the first and the last changed line at once, so
   * shifting ranges through it would smear every finding in between. Instead each finding is found
   * again by its quote, as a rerun does; its fix stays when the text it replaces moved with it.
   * A finding whose quote is gone is stale: it keeps its own lines, greyed, without a fix.
   */
  private reanchor(document: vscode.TextDocument): void {
    const key = document.uri.toString();
    const text = document.getText();
    for (const finding of this.byUri.get(key) ?? []) {
      const before = finding.range;
      const quote = finding.finding.quote;
      const claimed = { startLine: before.start.line + 1, endLine: before.end.line + 1 };
      const found = quote ? locateQuote(text, quote, claimed, { wholeFileIfUnique: true }) : undefined;
      finding.version = document.version;
      if (!found) {
        finding.range = document.validateRange(before);
        finding.stale = true;
        finding.fix = undefined;
        finding.fixUnavailable = 'the quoted code is no longer in the file; run the analysis again';
        continue;
      }
      const moved = found.startLine - 1 - before.start.line;
      finding.range = new vscode.Range(found.startLine - 1, found.startColumn, found.endLine - 1, found.endColumn);
      finding.stale = false;
      if (!finding.fix) continue;
      const fixRange = finding.fix.range;
      const startLine = fixRange.start.line + moved;
      const endLine = fixRange.end.line + moved;
      const fixAt = startLine >= 0 && endLine < document.lineCount ? wholeLines(document, startLine + 1, endLine + 1) : undefined;
      if (fixAt && document.getText(fixAt) === finding.fix.expectedText) finding.fix.range = fixAt;
      else {
        finding.fix = undefined;
        finding.fixUnavailable = 'the code it replaces changed outside the editor; run the analysis again';
      }
    }
    // An undo can no longer bring back a fix whose text came back from disk.
    for (const [id, entry] of this.settled)
      if (entry.applied && entry.finding.uri.toString() === key) this.settled.set(id, { finding: entry.finding, how: entry.how });
    this.refresh(document.uri);
  }

  /**
   * A closed document keeps its findings; when it opens again its version restarts, so each fix is
   * re-stamped if the text it replaces is still exactly there, and withdrawn if not.
   */
  private reattach(document: vscode.TextDocument): void {
    const findings = this.byUri.get(document.uri.toString());
    if (!findings?.length) return;
    for (const finding of findings) {
      if (finding.version === document.version) continue;
      if (
        finding.fix &&
        (finding.fix.range.end.line >= document.lineCount || document.getText(finding.fix.range) !== finding.fix.expectedText)
      ) {
        finding.fix = undefined;
        finding.fixUnavailable = 'the file changed while it was closed; run the analysis again';
      }
      finding.range = document.validateRange(finding.range);
      finding.version = document.version;
    }
    this.refresh(document.uri);
  }

  private remove(uri: vscode.Uri, predicate: (f: StampedFinding) => boolean): void {
    const key = uri.toString();
    this.byUri.set(
      key,
      (this.byUri.get(key) ?? []).filter((f) => !predicate(f)),
    );
    this.refresh(uri);
  }

  private refresh(uri: vscode.Uri): void {
    this.diagnostics.set(
      uri,
      this.all(uri)
        .filter(inEditor)
        .map((f) => toDiagnostic(f, this.isDismissed(f))),
    );
    // The panel's Clear Findings button shows only when there is something to clear.
    void vscode.commands.executeCommand('setContext', 'thinklens.hasFindings', this.all().length > 0);
    this.changeEmitter.fire(uri);
  }
}

/** The id a ThinkLens diagnostic's code links to (`command:thinklens.showFinding?["F1"]`). */
export function findingIdOf(diagnostic: vscode.Diagnostic): string | undefined {
  const code = diagnostic.code;
  if (typeof code !== 'object' || !code.target) return undefined;
  for (const query of [code.target.query, safeDecode(code.target.query)]) {
    try {
      const [id] = JSON.parse(query) as unknown[];
      if (typeof id === 'string') return id;
    } catch {
      // not this form; try the next
    }
  }
  return undefined;
}

function safeDecode(text: string): string {
  try {
    return decodeURIComponent(text);
  } catch {
    return text;
  }
}

/**
 * The fixes as an edit that opens VS Code's refactor preview with every fix checked, so that its
 * Apply applies them. VS Code opens the preview only when some edit needs confirmation, and shows
 * such an edit unchecked (bulkEditService.ts `apply`, bulkEditPreview.ts `BulkFileOperations._init`):
 * the fixes themselves do not need it, and one companion "create the file if it does not exist"
 * does. The preview leaves that companion out when the file exists, and it would change nothing if
 * checked. A destructive fix carries its warning as its label.
 */
function previewedEdit(fixes: readonly StampedFinding[]): vscode.WorkspaceEdit {
  const edit = new vscode.WorkspaceEdit();
  for (const finding of fixes) {
    const label = finding.finding.fix?.destructive ?? `ThinkLens fix: ${finding.finding.title}`;
    edit.replace(finding.uri, finding.fix!.range, finding.fix!.replacement, { needsConfirmation: false, label });
  }
  const [first] = fixes;
  if (first) edit.createFile(first.uri, { ignoreIfExists: true }, { needsConfirmation: true, label: 'ThinkLens: opens this preview' });
  return edit;
}

/**
 * A change that came from disk, not from typing, an edit or undo: VS Code reloaded a clean document
 * (its change has no reason, and the document is not dirty after it).
 */
function changedOutsideTheEditor(event: vscode.TextDocumentChangeEvent): boolean {
  return event.reason === undefined && !event.document.isDirty;
}

function lineCount(text: string): number {
  return text.split(/\r\n|\r|\n/).length;
}

/** The range `text` takes from `start` when the document holds exactly that text there, else undefined. */
function textRangeAt(document: vscode.TextDocument, start: vscode.Position, text: string): vscode.Range | undefined {
  const lines = text.split(/\r\n|\r|\n/);
  const last = lines[lines.length - 1]!;
  const end = lines.length === 1 ? start.translate(0, last.length) : new vscode.Position(start.line + lines.length - 1, last.length);
  if (end.line >= document.lineCount) return undefined;
  const range = new vscode.Range(start, end);
  return document.validateRange(range).isEqual(range) && document.getText(range) === text ? range : undefined;
}

function toDiagnostic(stamped: StampedFinding, dismissed: boolean): vscode.Diagnostic {
  const { finding } = stamped;
  const notes = [
    finding.locationUncertain ? 'location uncertain: the quoted code was not found' : '',
    stamped.stale ? 'the quoted code changed since the review' : stamped.edited ? 'edited since the analysis' : '',
    // Only shown while the person asks to see dismissed findings.
    dismissed ? 'dismissed' : '',
  ].filter(Boolean);
  // The title names the problem; the explanation's first sentence says why, right in the Problems list.
  const why = firstSentenceOf(finding.explanation);
  const headline = why && why !== finding.title ? `${finding.title}: ${why}` : finding.title;
  const message = notes.length ? `${headline} (${notes.join('; ')})` : headline;
  const diagnostic = new vscode.Diagnostic(
    stamped.range,
    message,
    stamped.stale ? vscode.DiagnosticSeverity.Hint : SEVERITY[finding.severity],
  );
  // Greyed: the code it was about is gone, so it no longer marks the code as wrong.
  if (stamped.stale) diagnostic.tags = [vscode.DiagnosticTag.Unnecessary];
  diagnostic.source = DIAGNOSTIC_SOURCE;
  // Problems shows the code as "ThinkLens(edge-case)"; its link opens the finding in the panel.
  diagnostic.code = {
    value: finding.category,
    target: vscode.Uri.parse(`command:${INTERNAL_COMMAND.showFinding}?${encodeURIComponent(JSON.stringify([stamped.id]))}`),
  };
  return diagnostic;
}

/** core/rangeShift.ts's `shiftRange` on VS Code's ranges. */
function shiftRange(range: vscode.Range, change: vscode.TextDocumentContentChangeEvent): { range: vscode.Range; touched: boolean } {
  const moved = shiftPlainRange(range, change);
  if (moved.range === range) return { range, touched: moved.touched };
  const { start, end } = moved.range;
  return { range: new vscode.Range(start.line, start.character, end.line, end.character), touched: moved.touched };
}
