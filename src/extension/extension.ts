// Activation only wires things together; the openai SDK, node-llama-cpp and the webview load
// when first needed.

import * as vscode from 'vscode';
import { Backends } from './backends';
import { ThinkLensCodeActions } from './codeActions';
import { registerCommands } from './commands';
import { onConfigChange, readConfig, workspaceOverridesIgnored } from './config';
import { FindingStore } from './findings';
import { FindingMemory } from './findingMemory';
import { FindingHover } from './findingHover';
import { Log } from './log';
import { panelRoutes } from './panel/panelRoutes';
import { ReviewPanel } from './panel/reviewPanel';
import { RunController } from './runs';
import { registerLanguageModelTools } from './lmTools';
import { ApiKeys } from './secrets';
import { StatusBar } from './statusBar';

export function activate(context: vscode.ExtensionContext): ThinkLensTestApi | undefined {
  const started = performance.now();
  const underTest = context.extensionMode === vscode.ExtensionMode.Test;
  const track = <T extends vscode.Disposable>(disposable: T): T => (context.subscriptions.push(disposable), disposable);
  const log = track(new Log({ keepLines: underTest }));
  const keys = new ApiKeys(context.secrets);
  const backends = track(new Backends(keys, log));
  unloadOnDeactivate = () => backends.dispose();
  // Dismissals and marks live in this workspace's storage only; nothing of them is sent anywhere.
  const memory = new FindingMemory(context.workspaceState, undefined, (err) =>
    log.warn(`Saving dismissed findings and marks failed: ${String(err)}`),
  );
  const findings = track(new FindingStore(memory));
  const status = track(new StatusBar());
  // The panel's messages go straight from its one check to their handlers (panelRoutes.ts).
  const panel: ReviewPanel = track(
    new ReviewPanel(
      context.extensionUri,
      panelRoutes({ findings, runs: () => runs, log }),
      context.workspaceState,
      context.globalState,
      log,
    ),
  );
  const runs = track(new RunController({ log, panel, findings, backends, status, globalState: context.globalState }));
  track(
    memory.onDidChange((change) => {
      if (change === 'shown') panel.session.setShowDismissed(memory.showDismissed);
    }),
  );

  track(vscode.window.registerWebviewViewProvider(ReviewPanel.viewId, panel));
  track(
    vscode.languages.registerCodeActionsProvider({ scheme: 'file' }, new ThinkLensCodeActions(findings), ThinkLensCodeActions.metadata),
  );
  track(vscode.languages.registerHoverProvider({ scheme: 'file' }, new FindingHover(findings)));
  registerCommands({
    log,
    runs,
    findings,
    panel,
    keys,
    backends,
    status,
    extensionUri: context.extensionUri,
    storageUri: context.globalStorageUri,
  }).forEach(track);
  registerLanguageModelTools({ runs, backends, panel, globalState: context.globalState, log }).forEach(track);
  // The setup card, the status bar and a run waiting for setup follow every change of the setup.
  const setup = track(new SetupWatch(backends, status, panel, runs));
  track(keys.onDidChange(() => setup.changed()));
  const ignoredSettings = track(new IgnoredSettingsWarning(log));
  track(
    onConfigChange((config, changed) => {
      if (changed('reasoning.display')) panel.session.setDisplay(config.reasoningDisplay);
      if (['backend', 'baseUrl', 'model', 'requestTimeoutSeconds', 'local'].some(changed)) setup.changed();
      ignoredSettings.check();
    }),
  );
  panel.session.setDisplay(readConfig().reasoningDisplay);
  ignoredSettings.check();

  setup.check();
  // Export shows once there is a run to export (runs restored from history count).
  if (panel.runView(panel.latestRunId() ?? '')) void vscode.commands.executeCommand('setContext', 'thinklens.hasRuns', true);
  log.info(`activated in ${(performance.now() - started).toFixed(1)} ms`);
  // Another extension gets nothing: the internals are handed out only to this extension's own test
  // suite, which VS Code runs in ExtensionMode.Test (an installed VSIX always runs in Production).
  return underTest ? { findings, runs, panel, status, log } : undefined;
}

/**
 * VS Code waits (a few seconds at most) for the promise deactivate() returns, but not for the
 * subscriptions it disposes: so the local model's unload is waited for here.
 */
export function deactivate(): Promise<void> | undefined {
  return unloadOnDeactivate?.();
}

/** Set by activate(): unloads a local model (backends.ts). */
let unloadOnDeactivate: (() => Promise<void>) | undefined;

/**
 * What activate() returns to this extension's integration suite (test/integration/suite), and only
 * there: in ExtensionMode.Test. The extension a person installs exports nothing
 * (test/integration/vsix.test.mjs checks the packaged VSIX).
 */
export interface ThinkLensTestApi {
  readonly findings: FindingStore;
  readonly runs: RunController;
  readonly panel: ReviewPanel;
  readonly status: StatusBar;
  readonly log: Log;
}

/**
 * Says in the log which user-only settings the workspace tries to set and are ignored: at
 * activation, and again whenever that list changes (a pull can bring a new .vscode/settings.json).
 */
class IgnoredSettingsWarning implements vscode.Disposable {
  private said = '';
  private checking = Promise.resolve();
  private readonly watcher = vscode.workspace.createFileSystemWatcher('**/.vscode/settings.json');

  constructor(private readonly log: Log) {
    for (const event of [this.watcher.onDidCreate, this.watcher.onDidChange, this.watcher.onDidDelete]) event(() => this.check());
  }

  /** Looks again; checks run one after another, so the log follows the files' order of change. */
  check(): void {
    this.checking = this.checking
      .then(() => this.compare())
      .catch((error) => this.log.error('Reading the workspace settings failed', error));
  }

  dispose(): void {
    this.watcher.dispose();
  }

  private async compare(): Promise<void> {
    const ignored = await workspaceOverridesIgnored();
    const now = ignored.join(', ');
    if (now === this.said) return;
    this.said = now;
    if (ignored.length)
      this.log.warn(
        `ignored workspace values for ${now}: only user settings may choose where code is sent, what a run may spend (thinklens.review.samples multiplies it) and whether fixes apply themselves`,
      );
  }
}

/** How often a missing setup is looked at again, for a local server that starts later. */
const SETUP_RECHECK_MS = 15_000;

/**
 * Says in the status bar which backend runs, or in the panel how to set one up, now and after each
 * change of settings or keys; while nothing is set up it looks again now and then (a local server
 * may start). Once a backend works, a run that waited for setup starts.
 */
class SetupWatch implements vscode.Disposable {
  private timer: ReturnType<typeof setInterval> | undefined;
  private checking: Promise<void> | undefined;
  private again = false;

  constructor(
    private readonly backends: Backends,
    private readonly status: StatusBar,
    private readonly panel: ReviewPanel,
    private readonly runs: RunController,
  ) {}

  changed(): void {
    void this.backends.reset().then(() => this.check());
  }

  check(): void {
    // Several settings change at once: one check at a time, and one more after it.
    if (this.checking) {
      this.again = true;
      return;
    }
    this.checking = this.run().finally(() => {
      this.checking = undefined;
      if (this.again) {
        this.again = false;
        this.check();
      }
    });
  }

  dispose(): void {
    if (this.timer) clearInterval(this.timer);
  }

  private async run(): Promise<void> {
    const choice = await this.backends.choose(readConfig());
    if (choice.ok) {
      if (this.timer) clearInterval(this.timer);
      this.timer = undefined;
      this.status.setBackend(choice.backend, choice.reason);
      this.panel.session.hideSetup();
      void vscode.commands.executeCommand('setContext', 'thinklens.backendReady', true);
      void this.runs.resumeAfterSetup();
      return;
    }
    this.status.setBackend(undefined);
    void vscode.commands.executeCommand('setContext', 'thinklens.backendReady', false);
    if (!this.runs.hasRunWaitingForSetup) this.panel.session.showSetup(choice.setup);
    this.timer ??= setInterval(() => this.check(), SETUP_RECHECK_MS);
  }
}
