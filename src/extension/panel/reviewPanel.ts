// The review panel's VS Code side: serves the webview (strict CSP, files only from media/),
// connects it to the PanelSession (which routes its messages, see panelRoutes.ts), keeps history
// in workspaceState, and saves exports. The webview is not retained while hidden: each time it is shown it says
// `ready` and gets a full snapshot.
import * as vscode from 'vscode';
import { makeNonce, renderPanelHtml } from './panelHtml';
import { PanelSession } from './panelSession';
import { homedir } from 'node:os';
import { defaultExportFolder, exportFileName, LAST_EXPORT_FOLDER_KEY } from './exportLocation';
import { conversationToJson, conversationToMarkdown } from './traceExport';
import type { PanelRoutes } from './panelSession';
import type { RunView } from '../../bridge/protocol';

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

  /** What the panel shows, and the one place its messages are checked and routed: runs stream into it directly. */
  readonly session: PanelSession;
  private view: vscode.WebviewView | undefined;
  private viewDisposables: vscode.Disposable[] = [];
  private saveTimer: ReturnType<typeof setTimeout> | undefined;
  private disposed = false;

  constructor(
    private readonly extensionUri: vscode.Uri,
    routes: PanelRoutes,
    private readonly storage: vscode.Memento,
    /** Remembers where the last export went. */
    private readonly globalState: vscode.Memento,
    private readonly log: PanelLog = { warn: () => undefined, error: () => undefined },
  ) {
    this.session = new PanelSession({
      ...routes,
      rejected: (message) =>
        this.log.warn(`The panel sent a message the host does not accept; ignored: ${JSON.stringify(message)?.slice(0, 300)}`),
      unsendable: (message) =>
        this.log.error(
          `The panel would refuse a "${message.type}" message the extension built, so it was not sent: ${JSON.stringify(message)?.slice(0, 500)}`,
        ),
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

  /**
   * Saves a conversation (the run `runId` belongs to, with every follow-up) or, without a run, every
   * run of this window (the panel's title-bar Export), as Markdown with a JSON copy beside it. The dialog starts in the folder used
   * last, never in the workspace (see exportLocation.ts). `target` skips the dialog: only the
   * integration suite passes one, through activate()'s test API; the command never does.
   */
  async exportRun(runId?: string, target?: vscode.Uri): Promise<vscode.Uri | undefined> {
    const model = this.session.model;
    const threadId = runId ? model.threadOf(runId) : undefined;
    // Without a run: this window's runs, or (only runs restored from history) the conversation on screen.
    const session = runId ? [] : model.sessionRuns();
    const scope = !runId && session.length ? 'session' : 'conversation';
    const runs = threadId ? model.thread(threadId) : runId ? [] : session.length ? session : model.thread();
    const first = runs[0];
    if (!first) {
      void vscode.window.showInformationMessage('ThinkLens has no run to export yet. Explain or review some code first.');
      return undefined;
    }
    const title = scope === 'session' ? `session ${first.header.title}` : first.header.title;
    const name = exportFileName(first.header.startedAt, title, first.header.kind);
    const workspaceFolders = (vscode.workspace.workspaceFolders ?? []).map((f) => f.uri.fsPath);
    const folder = defaultExportFolder(this.globalState.get<string>(LAST_EXPORT_FOLDER_KEY), workspaceFolders, homedir());
    const chosen =
      target ??
      (await vscode.window.showSaveDialog({
        defaultUri: vscode.Uri.joinPath(vscode.Uri.file(folder), name),
        filters: { Markdown: ['md'] },
        saveLabel: 'Export',
        title: `Export the ${scope === 'session' ? "session's runs" : 'conversation'} (a JSON copy is saved beside it)`,
      }));
    if (!chosen) return undefined;
    const jsonTarget = chosen.with({ path: chosen.path.replace(/\.md$/i, '') + '.json' });
    try {
      await vscode.workspace.fs.writeFile(chosen, Buffer.from(conversationToMarkdown(runs, scope), 'utf8'));
      await vscode.workspace.fs.writeFile(
        jsonTarget,
        Buffer.from(JSON.stringify(conversationToJson(runs, scope, Date.now()), null, 2) + '\n', 'utf8'),
      );
    } catch (err) {
      this.log.error(`Export of ${runs.length} runs to ${chosen.toString()} failed: ${describe(err)}`);
      void vscode.window.showErrorMessage(
        `ThinkLens could not save the trace: ${describe(err)}. Pick a folder you can write to and try again.`,
      );
      return undefined;
    }
    await this.globalState.update(LAST_EXPORT_FOLDER_KEY, vscode.Uri.joinPath(chosen, '..').fsPath);
    const open = 'Open';
    const where = chosen.scheme === 'file' ? chosen.fsPath : chosen.toString();
    void vscode.window
      .showInformationMessage(
        `ThinkLens saved ${runs.length} run${runs.length === 1 ? '' : 's'} to ${where} (and a JSON copy beside it).`,
        open,
      )
      .then((pick) => (pick === open ? vscode.window.showTextDocument(chosen) : undefined));
    return chosen;
  }

  dispose(): void {
    if (this.disposed) return;
    this.disposed = true;
    this.saveNow();
    this.session.dispose();
    this.disposeView();
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
