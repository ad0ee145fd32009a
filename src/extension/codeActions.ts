// The one code-action provider: fixes, "Show reasoning" and "Dismiss" on ThinkLens diagnostics,
// "Explain with ThinkLens" on everyone else's, and a fix-all source action.

import * as vscode from 'vscode';
import { DIAGNOSTIC_SOURCE, inEditor, type FindingStore } from './findings';
import { fixAllEnabled } from './settingsPolicy';
import { COMMAND, INTERNAL_COMMAND } from '../bridge/commandIds';

export const FIX_ALL_KIND = vscode.CodeActionKind.SourceFixAll.append('thinklens');

export class ThinkLensCodeActions implements vscode.CodeActionProvider {
  static readonly metadata: vscode.CodeActionProviderMetadata = {
    providedCodeActionKinds: [vscode.CodeActionKind.QuickFix, FIX_ALL_KIND],
  };

  constructor(private readonly findings: FindingStore) {}

  provideCodeActions(document: vscode.TextDocument, _range: vscode.Range, context: vscode.CodeActionContext): vscode.CodeAction[] {
    const actions: vscode.CodeAction[] = [];
    const wants = (kind: vscode.CodeActionKind) => !context.only || context.only.contains(kind) || kind.contains(context.only);
    if (wants(vscode.CodeActionKind.QuickFix)) {
      for (const diagnostic of context.diagnostics) {
        if (diagnostic.source === DIAGNOSTIC_SOURCE) actions.push(...this.forOwnDiagnostic(document, diagnostic));
        else actions.push(explainAction(document, diagnostic));
      }
    }
    // A fix-all applies model edits without a look (also from a repository's codeActionsOnSave):
    // offered only when the person opted in in user settings, and never with a destructive fix.
    const fixable = this.findings.all(document.uri).filter((f) => inEditor(f) && f.fix && !f.fixUnavailable && !f.finding.fix?.destructive);
    const optedIn = fixAllEnabled(vscode.workspace.getConfiguration('thinklens').inspect<boolean>('fixAll.enabled'));
    if (fixable.length > 0 && optedIn && wants(FIX_ALL_KIND)) {
      const action = new vscode.CodeAction(`Apply all ThinkLens fixes in file (${fixable.length})`, FIX_ALL_KIND);
      action.command = { command: INTERNAL_COMMAND.applyAllFixes, title: action.title, arguments: [document.uri] };
      actions.push(action);
    }
    return actions;
  }

  private forOwnDiagnostic(document: vscode.TextDocument, diagnostic: vscode.Diagnostic): vscode.CodeAction[] {
    const stamped = this.findings.forDiagnostic(document.uri, diagnostic);
    if (!stamped) return [];
    const apply = new vscode.CodeAction(`Apply fix: ${stamped.finding.title}`, vscode.CodeActionKind.QuickFix);
    apply.diagnostics = [diagnostic];
    if (stamped.fix && !stamped.fixUnavailable && stamped.finding.fix?.destructive) {
      // Never a one-click apply: the command shows what it deletes and asks first.
      apply.title = `Review destructive fix: ${stamped.finding.title}`;
      apply.command = { command: INTERNAL_COMMAND.applyFix, title: apply.title, arguments: [stamped.id] };
    } else if (stamped.fix && !stamped.fixUnavailable) {
      apply.isPreferred = true;
      apply.command = { command: INTERNAL_COMMAND.applyFix, title: apply.title, arguments: [stamped.id] };
    } else {
      apply.disabled = { reason: stamped.fixUnavailable ?? 'The model proposed no fix for this finding.' };
    }
    const actions = [apply];
    if (stamped.fix && !stamped.fixUnavailable) {
      // The same fix through VS Code's refactor preview: the change is seen before it is applied.
      const preview = new vscode.CodeAction(`Apply fix…: ${stamped.finding.title}`, vscode.CodeActionKind.QuickFix);
      preview.diagnostics = [diagnostic];
      preview.command = { command: INTERNAL_COMMAND.previewFix, title: preview.title, arguments: [stamped.id] };
      actions.push(preview);
    }
    const show = new vscode.CodeAction('Show reasoning', vscode.CodeActionKind.QuickFix);
    show.diagnostics = [diagnostic];
    show.command = { command: INTERNAL_COMMAND.showFinding, title: show.title, arguments: [stamped.id] };
    // A dismissed finding is only here while the person asks to see dismissed findings: offer to undo the dismissal.
    const dismissed = this.findings.isDismissed(stamped);
    const dismiss = new vscode.CodeAction(dismissed ? 'Undismiss' : 'Dismiss', vscode.CodeActionKind.QuickFix);
    dismiss.diagnostics = [diagnostic];
    dismiss.command = {
      command: dismissed ? INTERNAL_COMMAND.undismissFinding : INTERNAL_COMMAND.dismissFinding,
      title: dismiss.title,
      arguments: [stamped.id],
    };
    return [...actions, show, dismiss];
  }
}

function explainAction(document: vscode.TextDocument, diagnostic: vscode.Diagnostic): vscode.CodeAction {
  const action = new vscode.CodeAction('Explain with ThinkLens', vscode.CodeActionKind.QuickFix);
  action.diagnostics = [diagnostic];
  action.command = {
    command: COMMAND.explainBug,
    title: action.title,
    arguments: [
      { uri: document.uri.toString(), range: serializeRange(diagnostic.range), message: diagnostic.message, source: diagnostic.source },
    ],
  };
  return action;
}

/** Arguments of `thinklens.explainBug` when it explains another tool's diagnostic. */
export interface ExplainDiagnosticArgs {
  readonly uri: string;
  readonly range: readonly [number, number, number, number];
  readonly message: string;
  readonly source?: string;
}

const serializeRange = (r: vscode.Range): ExplainDiagnosticArgs['range'] => [r.start.line, r.start.character, r.end.line, r.end.character];

export function isExplainDiagnosticArgs(value: unknown): value is ExplainDiagnosticArgs {
  const v = value as ExplainDiagnosticArgs | undefined;
  return (
    typeof v === 'object' &&
    v !== null &&
    typeof v.uri === 'string' &&
    typeof v.message === 'string' &&
    Array.isArray(v.range) &&
    v.range.length === 4 &&
    v.range.every((n) => Number.isInteger(n) && n >= 0)
  );
}
