// Where each message from the panel goes, in one table. A finding's buttons take the same route as
// its quick fixes and hover links (the thinklens.* commands), so Fix and Dismiss behave alike
// wherever they are clicked; run buttons go to the RunController.
import * as vscode from 'vscode';
import { COMMAND, INTERNAL_COMMAND, type CommandId } from '../../bridge/commandIds';
import type { FindingStore } from '../findings';
import type { RunController } from '../runs';
import { isWebLink, type FindingRange } from '../../bridge/protocol';
import type { PanelRoutes } from './panelSession';

export interface PanelRouteDeps {
  readonly findings: FindingStore;
  /** Created after the panel (it streams into it), hence asked for when a message comes. */
  readonly runs: () => RunController;
  readonly log: { warn(message: string): void };
}

export function panelRoutes({ findings, runs, log }: PanelRouteDeps): PanelRoutes {
  const command = (id: CommandId, ...args: unknown[]) => void vscode.commands.executeCommand(id, ...args);
  return {
    revealFinding: (_runId, findingId) => void revealFinding(findings, findingId),
    applyFix: (_runId, findingId) => command(INTERNAL_COMMAND.applyFix, findingId),
    previewFix: (_runId, findingId) => command(INTERNAL_COMMAND.previewFix, findingId),
    dismissFinding: (_runId, findingId) => command(INTERNAL_COMMAND.dismissFinding, findingId),
    undismissFinding: (_runId, findingId) => command(INTERNAL_COMMAND.undismissFinding, findingId),
    markFinding: (_runId, findingId, mark) => command(INTERNAL_COMMAND.markFinding, findingId, mark),
    showDismissed: (show) => findings.memory.setShowDismissed(show),
    cancelRun: (runId) => runs().cancel(runId),
    answerNow: (runId) => runs().answerNow(runId),
    rerun: (runId) => void runs().rerun(runId),
    useBaseUrl: (runId) => void runs().useSuggestedBaseUrl(runId),
    followUp: (runId, question) => void runs().followUp(runId, question),
    runCommand: (id, backend) => command(id, ...(backend ? [backend] : [])),
    exportRun: (runId) => command(COMMAND.exportTrace, runId),
    openLink: (href) => void openLink(href),
    openLocation: (uri, range) => void openLocation(uri, range, log),
  };
}

/** Selects a finding's code in its editor. */
export async function revealFinding(findings: FindingStore, id: string): Promise<void> {
  const stamped = findings.get(id);
  if (!stamped) return;
  const editor = await vscode.window.showTextDocument(stamped.uri, { preserveFocus: false });
  editor.selection = new vscode.Selection(stamped.range.start, stamped.range.end);
  editor.revealRange(stamped.range, vscode.TextEditorRevealType.InCenterIfOutsideViewport);
}

/** Links come from model output: the person sees the address and decides. */
async function openLink(href: string): Promise<void> {
  if (!isWebLink(href)) return;
  const open = 'Open Link';
  const copy = 'Copy Link';
  const choice = await vscode.window.showWarningMessage(
    'Open a link from the model’s answer?',
    { modal: true, detail: `${href}\n\nModel output is untrusted: check the address before you open it.` },
    open,
    copy,
  );
  if (choice === open) await vscode.env.openExternal(vscode.Uri.parse(href, true));
  else if (choice === copy) await vscode.env.clipboard.writeText(href);
}

async function openLocation(uri: string, range: FindingRange, log: PanelRouteDeps['log']): Promise<void> {
  const start = new vscode.Position(range.startLine - 1, range.startColumn ?? 0);
  const end =
    range.endColumn !== undefined ? new vscode.Position(range.endLine - 1, range.endColumn) : new vscode.Position(range.endLine, 0);
  try {
    await vscode.window.showTextDocument(vscode.Uri.parse(uri, true), { selection: new vscode.Range(start, end), preview: true });
  } catch (err) {
    const reason = err instanceof Error ? err.message : String(err);
    log.warn(`Opening ${uri} for a finding from history failed: ${reason}`);
    void vscode.window.showWarningMessage(`ThinkLens could not open ${uri}: ${reason}. The file may have moved since that run.`);
  }
}
