// Activation only wires things together; the openai SDK, node-llama-cpp and the webview load
// when first needed.

import * as vscode from 'vscode';
import { Backends } from './backends';
import { ThinkLensCodeActions } from './codeActions';
import { registerCommands } from './commands';
import { onConfigChange, readConfig, workspaceOverridesIgnored } from './config';
import { FindingStore } from './findings';
import { Log } from './log';
import { ReviewPanel } from './panel/reviewPanel';
import { RunController } from './runs';
import { ApiKeys } from './secrets';
import { StatusBar } from './statusBar';

export function activate(context: vscode.ExtensionContext): ThinkLensApi {
  const started = performance.now();
  const track = <T extends vscode.Disposable>(disposable: T): T => (context.subscriptions.push(disposable), disposable);
  const log = track(new Log());
  const keys = new ApiKeys(context.secrets);
  const backends = track(new Backends(keys, log));
  const findings = track(new FindingStore());
  const status = track(new StatusBar());
  const panel: ReviewPanel = track(new ReviewPanel(context.extensionUri, {
    revealFinding: (_runId, id) => void revealFinding(findings, id),
    applyFix: (_runId, id) => void vscode.commands.executeCommand('thinklens.applyFix', id),
    dismissFinding: (_runId, id) => findings.dismiss(id),
    cancelRun: (runId) => runs.cancel(runId),
    rerun: (runId) => void runs.rerun(runId),
    followUp: (runId, question) => void runs.followUp(runId, question),
    runCommand: (command, backend) => void vscode.commands.executeCommand(command, ...(backend ? [backend] : [])),
  }, context.workspaceState, log));
  const runs = track(new RunController({ log, panel, findings, backends, status, globalState: context.globalState }));

  track(vscode.window.registerWebviewViewProvider(ReviewPanel.viewId, panel));
  track(vscode.languages.registerCodeActionsProvider({ scheme: 'file' }, new ThinkLensCodeActions(findings), ThinkLensCodeActions.metadata));
  registerCommands({ log, runs, findings, panel, keys, backends }).forEach(track);
  track(keys.onDidChange(() => void backends.reset()));
  track(onConfigChange((config, changed) => {
    if (changed('reasoning.display')) panel.setDisplay(config.reasoningDisplay);
    if (['backend', 'baseUrl', 'model', 'requestTimeoutSeconds', 'local'].some(changed)) void backends.reset();
  }));
  panel.setDisplay(readConfig().reasoningDisplay);
  const ignored = workspaceOverridesIgnored();
  if (ignored.length) log.warn(`ignored workspace values for ${ignored.join(', ')}: only user settings may choose where code is sent`);

  void showChosenBackend(backends, status, panel);
  log.info(`activated in ${(performance.now() - started).toFixed(1)} ms`);
  return { findings, runs, panel };
}

export function deactivate(): void {}

/** What the extension exports, for its own integration tests. */
export interface ThinkLensApi {
  readonly findings: FindingStore;
  readonly runs: RunController;
  readonly panel: ReviewPanel;
}

/** After activation: say in the status bar which backend runs, or in the panel how to set one up. */
async function showChosenBackend(backends: Backends, status: StatusBar, panel: ReviewPanel): Promise<void> {
  const choice = await backends.choose(readConfig());
  if (choice.ok) status.setBackend(choice.backend, choice.reason);
  else {
    status.setBackend(undefined);
    panel.showSetup(choice.setup);
  }
}

async function revealFinding(findings: FindingStore, id: string): Promise<void> {
  const stamped = findings.get(id);
  if (!stamped) return;
  const editor = await vscode.window.showTextDocument(stamped.uri, { preserveFocus: false });
  editor.selection = new vscode.Selection(stamped.range.start, stamped.range.end);
  editor.revealRange(stamped.range, vscode.TextEditorRevealType.InCenterIfOutsideViewport);
}
