// The host side of the review panel: owns what the panel shows (PanelModel), talks to the webview
// in checked messages, batches streamed text to one post per frame, keeps history in
// workspaceState and exports runs. The webview is not retained while hidden: it says `ready`
// each time it is shown and gets a full snapshot then; nothing is posted before that.
import * as vscode from 'vscode';
import { DeltaCoalescer } from './deltaCoalescer';
import { makeNonce, renderPanelHtml } from './panelHtml';
import { PanelModel } from './panelModel';
import { runToJson, runToMarkdown } from './traceExport';
import { isPanelCommand, isWebLink, isWebviewMessage } from '../../shared/protocol';
import type {
  DisplayMode,
  FindingView,
  HostToWebview,
  PanelCommand,
  RunHeader,
  RunResult,
  SetupView,
  UsageView,
  WebviewToHost,
} from '../../shared/protocol';

export type { FindingView, RunHeader, RunResult, UsageView, ErrorView, DisplayMode } from '../../shared/protocol';

export interface PanelHandlers {
  revealFinding(runId: string, findingId: string): void;
  applyFix(runId: string, findingId: string): void;
  dismissFinding(runId: string, findingId: string): void;
  cancelRun(runId: string): void;
  rerun(runId: string): void;
  followUp(runId: string, question: string): void;
  /** Error actions and setup buttons; only the fixed allow-list, never a command named by model output. */
  runCommand(command: PanelCommand): void;
}

/** Where the panel reports what it refused or failed to do (the extension's LogOutputChannel fits). */
export interface PanelLog {
  warn(message: string): void;
  error(message: string): void;
}

const HISTORY_KEY = 'thinklens.panel.history';
const SAVE_DELAY_MS = 500;

export class ReviewPanel implements vscode.WebviewViewProvider, vscode.Disposable {
  static readonly viewId = 'thinklens.panel';

  private readonly model = new PanelModel();
  private readonly coalescer: DeltaCoalescer;
  private view: vscode.WebviewView | undefined;
  private viewDisposables: vscode.Disposable[] = [];
  /** The webview has said `ready` since it was last (re)loaded. */
  private ready = false;
  private display: DisplayMode = 'expanded';
  private setup: SetupView | undefined;
  /** A "Show reasoning" that came before the webview was ready. */
  private pendingFocus: string | undefined;
  private saveTimer: ReturnType<typeof setTimeout> | undefined;
  private disposed = false;

  constructor(
    private readonly extensionUri: vscode.Uri,
    private readonly handlers: PanelHandlers,
    private readonly storage: vscode.Memento,
    private readonly log: PanelLog = { warn: () => undefined, error: () => undefined },
  ) {
    this.model.load(storage.get<unknown>(HISTORY_KEY));
    this.coalescer = new DeltaCoalescer(
      (items) => this.post({ type: 'deltas', items }),
      (runId) => this.model.counts(runId),
    );
  }

  resolveWebviewView(view: vscode.WebviewView): void {
    this.disposeView();
    this.view = view;
    this.ready = false;
    const media = vscode.Uri.joinPath(this.extensionUri, 'media');
    view.webview.options = { enableScripts: true, enableCommandUris: false, localResourceRoots: [media] };
    const dist = vscode.Uri.joinPath(media, 'dist');
    view.webview.html = renderPanelHtml({
      cspSource: view.webview.cspSource,
      nonce: makeNonce(),
      scriptUri: view.webview.asWebviewUri(vscode.Uri.joinPath(dist, 'webview.js')).toString(),
      styleUri: view.webview.asWebviewUri(vscode.Uri.joinPath(dist, 'webview.css')).toString(),
    });
    this.viewDisposables = [
      view.webview.onDidReceiveMessage((message: unknown) => this.onMessage(message)),
      // Hidden means unloaded (no retainContextWhenHidden); the next `ready` brings a snapshot.
      view.onDidChangeVisibility(() => {
        if (!view.visible) this.ready = false;
      }),
      view.onDidDispose(() => {
        if (this.view === view) this.disposeView();
      }),
    ];
  }

  startRun(run: RunHeader): void {
    const threadId = this.model.startRun(run, Date.now());
    this.setup = undefined;
    const view = this.model.run(run.id);
    if (view) this.postNow({ type: 'runStarted', run: view, threadId, history: this.model.history() });
    this.scheduleSave();
  }

  appendReasoning(runId: string, text: string): void {
    if (this.model.appendReasoning(runId, text) && this.ready) this.coalescer.push(runId, 'reasoning', text);
  }

  appendAnswer(runId: string, text: string): void {
    if (this.model.appendAnswer(runId, text, Date.now()) && this.ready) this.coalescer.push(runId, 'answer', text);
  }

  setUsage(runId: string, usage: UsageView): void {
    if (this.model.setUsage(runId, usage)) this.postNow({ type: 'usage', runId, usage, session: this.model.session() });
  }

  finishRun(runId: string, result: RunResult): void {
    const finishedAt = Date.now();
    const status = this.model.finishRun(runId, result, finishedAt);
    if (!status) return;
    this.postNow({ type: 'runFinished', runId, status, result, finishedAt, history: this.model.history() });
    this.scheduleSave();
  }

  updateFindings(runId: string, findings: FindingView[]): void {
    if (!this.model.updateFindings(runId, findings)) return;
    this.postNow({ type: 'findings', runId, findings });
    this.post({ type: 'history', history: this.model.history() });
    this.scheduleSave();
  }

  showSetup(reason: string): void {
    this.setup = { reason };
    this.postNow({ type: 'setup', setup: this.setup });
  }

  hideSetup(): void {
    if (!this.setup) return;
    this.setup = undefined;
    this.postNow({ type: 'setup', setup: null });
  }

  setDisplay(mode: DisplayMode): void {
    this.display = mode;
    this.postNow({ type: 'display', mode });
  }

  /** Shows the panel; with a run, puts its conversation on screen and opens its reasoning. */
  reveal(runId?: string): void {
    if (runId && this.model.has(runId)) {
      const threadId = this.model.threadOf(runId);
      if (threadId && threadId !== this.model.shownThreadId) {
        this.model.showThread(threadId);
        this.postNow({ type: 'thread', thread: this.model.thread() });
      }
      this.pendingFocus = runId;
      this.sendPendingFocus();
    }
    if (this.view) this.view.show(true);
    // Not resolved yet: VS Code's generated focus command creates the view; `ready` follows.
    else void vscode.commands.executeCommand(`${ReviewPanel.viewId}.focus`);
  }

  async exportRun(runId?: string): Promise<void> {
    const id = runId ?? this.model.latestRunId();
    const run = id ? this.model.run(id) : undefined;
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
      void vscode.window.showInformationMessage(`Saved the trace as ${vscode.workspace.asRelativePath(target)} and ${vscode.workspace.asRelativePath(jsonTarget)}.`);
    } catch (err) {
      const reason = err instanceof Error ? err.message : String(err);
      this.log.error(`Export of run ${run.header.id} to ${target.toString()} failed: ${reason}`);
      void vscode.window.showErrorMessage(`ThinkLens could not save the trace: ${reason}. Pick a folder you can write to and try again.`);
    }
  }

  dispose(): void {
    if (this.disposed) return;
    this.disposed = true;
    this.saveNow();
    this.coalescer.dispose();
    this.disposeView();
  }

  private onMessage(message: unknown): void {
    if (!isWebviewMessage(message)) {
      this.log.warn(`Panel sent a message the host does not accept; ignored: ${JSON.stringify(message)?.slice(0, 200)}`);
      return;
    }
    try {
      this.dispatch(message);
    } catch (err) {
      this.log.error(`Panel action "${message.type}" failed: ${err instanceof Error ? (err.stack ?? err.message) : String(err)}`);
    }
  }

  private dispatch(message: WebviewToHost): void {
    switch (message.type) {
      case 'ready':
        this.ready = true;
        this.coalescer.clear(); // the snapshot carries all text so far
        this.post({ type: 'snapshot', snapshot: this.model.snapshot(this.display, this.setup) });
        this.sendPendingFocus();
        return;
      case 'revealFinding':
      case 'applyFix':
      case 'dismissFinding':
        if (!this.model.findFinding(message.runId, message.findingId)) return;
        this.handlers[message.type](message.runId, message.findingId);
        return;
      case 'cancelRun':
        if (this.model.isRunning(message.runId)) this.handlers.cancelRun(message.runId);
        return;
      case 'rerun':
        if (this.model.has(message.runId)) this.handlers.rerun(message.runId);
        return;
      case 'followUp':
        if (this.model.has(message.runId)) this.handlers.followUp(message.runId, message.question.trim());
        return;
      case 'runCommand':
        if (isPanelCommand(message.command)) this.handlers.runCommand(message.command);
        return;
      case 'exportRun':
        if (this.model.has(message.runId)) void this.exportRun(message.runId);
        return;
      case 'openThread':
        if (this.model.showThread(message.threadId)) this.postNow({ type: 'thread', thread: this.model.thread() });
        return;
      case 'openLink':
        void this.openLink(message.href);
        return;
    }
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

  private sendPendingFocus(): void {
    if (!this.ready || !this.pendingFocus) return;
    this.post({ type: 'focusRun', runId: this.pendingFocus, showTrace: true });
    this.pendingFocus = undefined;
  }

  /** Sends after any pending text, so the webview sees events in the order they happened. */
  private postNow(message: HostToWebview): void {
    if (!this.ready) return;
    this.coalescer.flush();
    this.post(message);
  }

  private post(message: HostToWebview): void {
    if (!this.ready || !this.view) return;
    this.view.webview.postMessage(message).then(undefined, (err: unknown) => {
      this.log.warn(`Posting "${message.type}" to the panel failed: ${err instanceof Error ? err.message : String(err)}`);
    });
  }

  private scheduleSave(): void {
    if (this.saveTimer !== undefined || this.disposed) return;
    this.saveTimer = setTimeout(() => this.saveNow(), SAVE_DELAY_MS);
  }

  private saveNow(): void {
    if (this.saveTimer !== undefined) clearTimeout(this.saveTimer);
    this.saveTimer = undefined;
    this.storage.update(HISTORY_KEY, this.model.toStored()).then(undefined, (err: unknown) => {
      this.log.warn(`Saving the panel history failed: ${err instanceof Error ? err.message : String(err)}`);
    });
  }

  private disposeView(): void {
    for (const d of this.viewDisposables) d.dispose();
    this.viewDisposables = [];
    this.view = undefined;
    this.ready = false;
    this.coalescer.clear();
  }
}
