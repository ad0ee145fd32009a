// The review panel's VS Code side: serves the webview (strict CSP, files only from media/),
// connects it to the PanelSession, keeps history in workspaceState, asks before opening links,
// and saves exports. The webview is not retained while hidden: each time it is shown it says
// `ready` and gets a full snapshot.
import * as vscode from 'vscode';
import { makeNonce, renderPanelHtml } from './panelHtml';
import { PanelSession } from './panelSession';
import { runToJson, runToMarkdown } from './traceExport';
import { isWebLink } from '../../bridge/protocol';
import type { PanelHandlers } from './panelSession';
import type { DisplayMode, FindingRange, FindingView, RunHeader, RunResult, RunView, UsageView } from '../../bridge/protocol';

export type { PanelHandlers } from './panelSession';
export type { DisplayMode, ErrorView, FindingView, RunHeader, RunResult, UsageView } from '../../bridge/protocol';

/** Where the panel reports what it refused or failed to do (the extension's LogOutputChannel fits). */
export interface PanelLog {
  warn(message: string): void;
  error(message: string): void;
}

const HISTORY_KEY = 'thinklens.panel.history';
const SAVE_DELAY_MS = 500;

export class ReviewPanel implements vscode.WebviewViewProvider, vscode.Disposable {
  static readonly viewId = 'thinklens.panel';

  private readonly session: PanelSession;
  private view: vscode.WebviewView | undefined;
  private viewDisposables: vscode.Disposable[] = [];
  private saveTimer: ReturnType<typeof setTimeout> | undefined;
  private disposed = false;

  constructor(
    private readonly extensionUri: vscode.Uri,
    handlers: PanelHandlers,
    private readonly storage: vscode.Memento,
    private readonly log: PanelLog = { warn: () => undefined, error: () => undefined },
  ) {
    this.session = new PanelSession({
      revealFinding: (runId, findingId) => handlers.revealFinding(runId, findingId),
      applyFix: (runId, findingId) => handlers.applyFix(runId, findingId),
      previewFix: (runId, findingId) => handlers.previewFix(runId, findingId),
      dismissFinding: (runId, findingId) => handlers.dismissFinding(runId, findingId),
      undismissFinding: (runId, findingId) => handlers.undismissFinding(runId, findingId),
      markFinding: (runId, findingId, mark) => handlers.markFinding(runId, findingId, mark),
      showDismissed: (show) => handlers.showDismissed(show),
      cancelRun: (runId) => handlers.cancelRun(runId),
      rerun: (runId) => handlers.rerun(runId),
      followUp: (runId, question) => handlers.followUp(runId, question),
      runCommand: (command, backend) => handlers.runCommand(command, backend),
      exportRun: (runId) => void this.exportRun(runId),
      openLink: (href) => void this.openLink(href),
      openLocation: (uri, range) => void this.openLocation(uri, range),
      rejected: (message) =>
        this.log.warn(`The panel sent a message the host does not accept; ignored: ${JSON.stringify(message)?.slice(0, 300)}`),
      unsendable: (message) =>
        this.log.error(`The panel would refuse a "${message.type}" message the extension built, so it was not sent: ${JSON.stringify(message)?.slice(0, 500)}`),
      historyChanged: () => this.scheduleSave(),
    });
    this.session.model.load(storage.get<unknown>(HISTORY_KEY));
  }

  resolveWebviewView(view: vscode.WebviewView): void {
    this.disposeView();
    this.view = view;
    const media = vscode.Uri.joinPath(this.extensionUri, 'media');
    view.webview.options = { enableScripts: true, enableCommandUris: false, localResourceRoots: [media] };
    const dist = vscode.Uri.joinPath(media, 'dist');
    view.webview.html = renderPanelHtml({
      cspSource: view.webview.cspSource,
      nonce: makeNonce(),
      scriptUri: view.webview.asWebviewUri(vscode.Uri.joinPath(dist, 'webview.js')).toString(),
      styleUri: view.webview.asWebviewUri(vscode.Uri.joinPath(dist, 'webview.css')).toString(),
    });
    this.session.attach((message) => {
      view.webview.postMessage(message).then(undefined, (err: unknown) => {
        this.log.warn(`Posting "${message.type}" to the panel failed: ${describe(err)}`);
      });
    });
    this.viewDisposables = [
      view.webview.onDidReceiveMessage((message: unknown) => {
        try {
          this.session.receive(message);
        } catch (err) {
          this.log.error(`A panel action failed: ${err instanceof Error ? (err.stack ?? err.message) : String(err)}`);
        }
      }),
      // Hidden means unloaded; the document that comes back says `ready` again.
      view.onDidChangeVisibility(() => {
        if (!view.visible) this.session.detach();
      }),
      view.onDidDispose(() => {
        if (this.view === view) this.disposeView();
      }),
    ];
  }

  startRun(run: RunHeader): void {
    this.session.startRun(run);
  }

  appendReasoning(runId: string, text: string): void {
    this.session.appendReasoning(runId, text);
  }

  appendAnswer(runId: string, text: string): void {
    this.session.appendAnswer(runId, text);
  }

  setUsage(runId: string, usage: UsageView): void {
    this.session.setUsage(runId, usage);
  }

  finishRun(runId: string, result: RunResult): void {
    this.session.finishRun(runId, result);
  }

  updateFindings(runId: string, findings: FindingView[]): void {
    this.session.updateFindings(runId, findings);
  }

  showSetup(reason: string): void {
    this.session.showSetup(reason);
  }

  hideSetup(): void {
    this.session.hideSetup();
  }

  setDisplay(mode: DisplayMode): void {
    this.session.setDisplay(mode);
  }

  setShowDismissed(show: boolean): void {
    this.session.setShowDismissed(show);
  }

  /** The newest run the panel holds, if any. */
  latestRunId(): string | undefined {
    return this.session.model.latestRunId();
  }

  /** What the panel holds for a run (reasoning, answer, findings), for the extension's own tests. */
  runView(runId: string): RunView | undefined {
    return this.session.model.run(runId);
  }

  /** Shows the panel; with a run, puts its conversation on screen and opens its reasoning (at a finding's passages, with one). */
  reveal(runId?: string, findingId?: string): void {
    if (runId) this.session.focus(runId, findingId);
    if (this.view) this.view.show(true);
    // Not resolved yet: VS Code's generated focus command creates the view; `ready` follows.
    else void vscode.commands.executeCommand(`${ReviewPanel.viewId}.focus`);
  }

  /** The view's title-bar History button. */
  showHistory(): void {
    this.session.showHistory();
    this.reveal();
  }

  async exportRun(runId?: string): Promise<void> {
    const model = this.session.model;
    const id = runId ?? model.latestRunId();
    const run = id ? model.run(id) : undefined;
    if (!run) {
      void vscode.window.showInformationMessage('ThinkLens has no run to export yet. Explain or review some code first.');
      return;
    }
    const stamp = new Date(run.header.startedAt).toISOString().slice(0, 19).replace(/[:T]/g, '-');
    const slug = run.header.title.toLowerCase().replace(/[^a-z0-9]+/g, '-').replace(/^-|-$/g, '').slice(0, 40) || run.header.kind;
    const folder = vscode.workspace.workspaceFolders?.[0]?.uri;
    const name = `thinklens-${stamp}-${slug}.md`;
    const target = await vscode.window.showSaveDialog({
      ...(folder ? { defaultUri: vscode.Uri.joinPath(folder, name) } : {}),
      filters: { Markdown: ['md'] },
      saveLabel: 'Export trace',
      title: 'Export the reasoning trace (a JSON copy is saved beside it)',
    });
    if (!target) return;
    const jsonTarget = target.with({ path: target.path.replace(/\.md$/i, '') + '.json' });
    try {
      await vscode.workspace.fs.writeFile(target, Buffer.from(runToMarkdown(run), 'utf8'));
      await vscode.workspace.fs.writeFile(jsonTarget, Buffer.from(JSON.stringify(runToJson(run), null, 2) + '\n', 'utf8'));
      void vscode.window.showInformationMessage(
        `Saved the trace as ${vscode.workspace.asRelativePath(target)} and ${vscode.workspace.asRelativePath(jsonTarget)}.`,
      );
    } catch (err) {
      this.log.error(`Export of run ${run.header.id} to ${target.toString()} failed: ${describe(err)}`);
      void vscode.window.showErrorMessage(`ThinkLens could not save the trace: ${describe(err)}. Pick a folder you can write to and try again.`);
    }
  }

  dispose(): void {
    if (this.disposed) return;
    this.disposed = true;
    this.saveNow();
    this.session.dispose();
    this.disposeView();
  }

  private async openLink(href: string): Promise<void> {
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

  private async openLocation(uri: string, range: FindingRange): Promise<void> {
    const start = new vscode.Position(range.startLine - 1, range.startColumn ?? 0);
    const end = range.endColumn !== undefined ? new vscode.Position(range.endLine - 1, range.endColumn) : new vscode.Position(range.endLine, 0);
    try {
      await vscode.window.showTextDocument(vscode.Uri.parse(uri, true), { selection: new vscode.Range(start, end), preview: true });
    } catch (err) {
      this.log.warn(`Opening ${uri} for a finding from history failed: ${describe(err)}`);
      void vscode.window.showWarningMessage(`ThinkLens could not open ${uri}: ${describe(err)}. The file may have moved since that run.`);
    }
  }

  private scheduleSave(): void {
    if (this.saveTimer !== undefined || this.disposed) return;
    this.saveTimer = setTimeout(() => this.saveNow(), SAVE_DELAY_MS);
  }

  private saveNow(): void {
    if (this.saveTimer !== undefined) clearTimeout(this.saveTimer);
    this.saveTimer = undefined;
    this.storage.update(HISTORY_KEY, this.session.model.toStored()).then(undefined, (err: unknown) => {
      this.log.warn(`Saving the panel history failed: ${describe(err)}`);
    });
  }

  private disposeView(): void {
    for (const d of this.viewDisposables) d.dispose();
    this.viewDisposables = [];
    this.view = undefined;
    this.session.detach();
  }
}

function describe(err: unknown): string {
  return err instanceof Error ? err.message : String(err);
}
