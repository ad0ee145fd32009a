// `thinklens.downloadModel`: pick a recommended R1 distill (or any `hf:` URI or a GGUF file on disk),
// download it with a cancellable progress notification, and point `thinklens.local.modelPath` at it.

import * as os from 'node:os';
import * as path from 'node:path';
import * as vscode from 'vscode';
import { downloadModel, RECOMMENDED_MODELS } from '../core/localModels';
import type { Log } from './log';

const GB = 1024 ** 3;

export async function downloadModelCommand(log: Log): Promise<string | undefined> {
  type Item = vscode.QuickPickItem & { uri?: string; action?: 'custom' | 'file' };
  const items: Item[] = [
    ...RECOMMENDED_MODELS.map((m) => ({
      label: m.label,
      description: `${(m.sizeBytes / GB).toFixed(1)} GB download`,
      detail: `Needs about ${m.memoryGb} GB of memory. ${m.note ?? ''}`.trim(),
      uri: m.uri,
    })),
    { label: '$(link) Another model (hf: URI)…', action: 'custom' },
    { label: '$(file) A GGUF file on this machine…', action: 'file' },
  ];
  const picked = await vscode.window.showQuickPick(items, { title: 'ThinkLens: choose a local reasoning model', matchOnDetail: true });
  if (!picked) return undefined;

  let modelPath: string | undefined;
  if (picked.action === 'file') {
    const files = await vscode.window.showOpenDialog({
      canSelectMany: false,
      filters: { 'GGUF model': ['gguf'] },
      title: 'Choose a GGUF model',
    });
    modelPath = files?.[0]?.fsPath;
  } else {
    const uri =
      picked.uri ??
      (await vscode.window.showInputBox({
        prompt: 'Model URI, for example hf:user/repo/model-Q4_K_M.gguf',
        ignoreFocusOut: true,
        validateInput: (v) => (/^(hf:|https?:\/\/)\S+$/.test(v.trim()) ? undefined : 'Enter an hf: URI or an https:// URL of a .gguf file'),
      }));
    if (!uri) return undefined;
    modelPath = await downloadWithProgress(uri.trim(), log);
  }
  if (!modelPath) return undefined;
  await vscode.workspace.getConfiguration('thinklens').update('local.modelPath', modelPath, vscode.ConfigurationTarget.Global);
  void vscode.window
    .showInformationMessage(`ThinkLens will use the local model ${path.basename(modelPath)}.`, 'Use Local Backend')
    .then(async (pick) => {
      if (pick) await vscode.workspace.getConfiguration('thinklens').update('backend', 'local', vscode.ConfigurationTarget.Global);
    });
  return modelPath;
}

function modelsFolder(): string {
  return path.join(os.homedir(), '.cache', 'thinklens', 'models');
}

function downloadWithProgress(uri: string, log: Log): Thenable<string | undefined> {
  return vscode.window.withProgress(
    { location: vscode.ProgressLocation.Notification, title: `Downloading ${uri}`, cancellable: true },
    async (progress, token) => {
      const controller = new AbortController();
      token.onCancellationRequested(() => controller.abort());
      const started = Date.now();
      let lastFraction = 0;
      try {
        const file = await downloadModel(
          uri,
          modelsFolder(),
          ({ downloadedBytes, totalBytes }) => {
            const fraction = totalBytes > 0 ? downloadedBytes / totalBytes : 0;
            const seconds = (Date.now() - started) / 1000;
            const speed = seconds > 0 ? downloadedBytes / seconds : 0;
            const left = speed > 0 && totalBytes > 0 ? (totalBytes - downloadedBytes) / speed : undefined;
            progress.report({
              increment: Math.max(0, (fraction - lastFraction) * 100),
              message: `${(downloadedBytes / GB).toFixed(2)} of ${(totalBytes / GB).toFixed(2)} GB, ${(speed / 1024 ** 2).toFixed(1)} MB/s${left !== undefined ? `, ${formatDuration(left)} left` : ''}`,
            });
            lastFraction = fraction;
          },
          controller.signal,
        );
        log.info(`downloaded ${uri} to ${file}`);
        return file;
      } catch (error) {
        if (controller.signal.aborted) {
          void vscode.window.showInformationMessage('ThinkLens: the download was cancelled; running it again resumes it.');
          return undefined;
        }
        const message = error instanceof Error ? error.message : String(error);
        log.error(`download of ${uri} failed`, error);
        void vscode.window.showErrorMessage(`ThinkLens: ${message}`);
        return undefined;
      }
    },
  );
}

function formatDuration(seconds: number): string {
  if (seconds < 90) return `${Math.ceil(seconds)} s`;
  if (seconds < 5400) return `${Math.ceil(seconds / 60)} min`;
  return `${(seconds / 3600).toFixed(1)} h`;
}
