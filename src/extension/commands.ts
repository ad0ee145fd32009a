// Every command ThinkLens registers, in one place.

import * as vscode from 'vscode';
import { CHANGES_QUESTION, HUNK_CONTEXT, withContext } from '../core/diffHunks';
import { BACKEND_IDS, type BackendId } from '../core/types';
import { PRESETS } from '../core/backends/presets';
import { detectLocalServers, DETECTABLE_SERVERS } from '../core/backends/detect';
import { THINKING_MODEL } from '../core/backends/models';
import { isExplainDiagnosticArgs } from './codeActions';
import { readConfig } from './config';
import { inEditor, type FindingStore } from './findings';
import { targetFromDiagnostic, targetFromEditor, targetFromFile, targetFromRanges, TargetError, type AnalysisTarget } from './gather';
import { changes, recentCommits, relativePathOf, uncommittedChanges, workingTreeUri, type ChangeScope } from './git';
import type { Log } from './log';
import type { ReviewPanel } from './panel/reviewPanel';
import type { RunController, RunOutcome } from './runs';
import type { ApiKeys } from './secrets';
import type { Backends } from './backends';
import type { StatusBar } from './statusBar';
import { downloadModelCommand } from './modelDownload';
import { selectBackendFlow, type SetupOutcome } from './setup';
import { COMMAND, INTERNAL_COMMAND, type CommandId } from '../bridge/commandIds';

export interface CommandDeps {
  readonly log: Log;
  readonly runs: RunController;
  readonly findings: FindingStore;
  readonly panel: ReviewPanel;
  readonly keys: ApiKeys;
  readonly backends: Backends;
  readonly status: StatusBar;
  readonly extensionUri: vscode.Uri;
  /** Where the walkthrough's sample is copied (the extension's global storage). */
  readonly storageUri: vscode.Uri;
}

export function registerCommands(deps: CommandDeps): vscode.Disposable[] {
  const { log, runs, findings, panel } = deps;
  const guarded = (name: CommandId, body: (...args: unknown[]) => unknown) =>
    vscode.commands.registerCommand(name, async (...args: unknown[]) => {
      try {
        return await body(...args);
      } catch (error) {
        const message = error instanceof Error ? error.message : String(error);
        if (!(error instanceof TargetError)) log.error(`${name} failed`, error);
        void vscode.window.showErrorMessage(`ThinkLens: ${message}`);
        return undefined;
      }
    });
  const editor = () => {
    const active = vscode.window.activeTextEditor;
    if (!active) throw new TargetError('Open a file and select the code first.');
    return active;
  };
  // The text editor a person last worked in, with its selection.
  let lastEditor = vscode.window.activeTextEditor;
  const following = vscode.window.onDidChangeActiveTextEditor((e) => (lastEditor = e ?? lastEditor));
  /**
   * The code to explain or review: the active editor's selection; from the walkthrough (or another
   * webview, where no text editor is active), the one beside it, else the one last worked in,
   * shown again beside with its selection.
   */
  const selectionEditor = async (): Promise<vscode.TextEditor> => {
    const visible = vscode.window.visibleTextEditors.filter((e) => e.document.uri.scheme !== 'output');
    const current = vscode.window.activeTextEditor ?? visible.find((e) => !e.selection.isEmpty) ?? visible[0];
    if (current) return current;
    if (!lastEditor || lastEditor.document.isClosed) throw new TargetError('Open a file and select the code first.');
    return vscode.window.showTextDocument(lastEditor.document, { viewColumn: vscode.ViewColumn.Beside, selection: lastEditor.selection });
  };
  const analyse = async (target: Promise<AnalysisTarget>, kind?: 'explain' | 'review') => {
    panel.reveal();
    const resolved = await target;
    // Nothing was selected: say what was taken instead.
    if (resolved.scopeNote) vscode.window.setStatusBarMessage(`ThinkLens: ${resolved.scopeNote}`, 10_000);
    const outcome = await runs.analyse(resolved, kind);
    return resolved.scopeNote ? { ...outcome, scopeNote: resolved.scopeNote } : outcome;
  };
  const reviewScope = async (scope: ChangeScope, nothing: string) => {
    const found = await changes(scope);
    if (found.files.length === 0) {
      void vscode.window.showInformationMessage(`ThinkLens: ${nothing}`);
      return [];
    }
    log.info(`reviewing ${found.files.length} files: ${found.label}`);
    return reviewMany(deps, found.files, reviewKind(scope), `Review ${found.label}`);
  };

  return [
    following,
    guarded(COMMAND.explainBug, (args) =>
      isExplainDiagnosticArgs(args)
        ? vscode.workspace
            .openTextDocument(vscode.Uri.parse(args.uri))
            .then((doc) => analyse(targetFromDiagnostic(doc, new vscode.Range(...args.range), args.message, args.source), 'explain'))
        : selectionEditor().then((e) => analyse(targetFromEditor(e, 'explain'), 'explain')),
    ),
    guarded(COMMAND.reviewSelection, async () =>
      analyse(titled(targetFromEditor(await selectionEditor(), 'review'), 'Review selection'), 'review'),
    ),
    // A review with the referee's prompt, whatever the document looks like: the person says it is a proof.
    guarded(COMMAND.checkProof, async () =>
      analyse(titled(targetFromEditor(await selectionEditor(), 'review', undefined, 'proof'), 'Check proof'), 'review'),
    ),
    guarded(COMMAND.reviewFile, (uri, uris) => {
      const chosen =
        Array.isArray(uris) && uris.length > 1 ? (uris as vscode.Uri[]) : uri instanceof vscode.Uri ? [uri] : [editor().document.uri];
      return chosen.length === 1
        ? vscode.workspace.openTextDocument(chosen[0]!).then((doc) => analyse(titled(targetFromFile(doc), 'Review file'), 'review'))
        : reviewMany(
            deps,
            chosen.map((u) => ({ uri: u })),
            'Review file',
            'Review files',
          );
    }),
    guarded(COMMAND.reviewChanges, async () => {
      // git reads the repository's own config (hooks, fsmonitor, diff drivers can run programs).
      if (!vscode.workspace.isTrusted) {
        void vscode.window.showWarningMessage(
          'ThinkLens: Review Uncommitted Changes runs git in the workspace, so it needs a trusted workspace. Review a file or a selection instead.',
        );
        return [];
      }
      const changes = await uncommittedChanges();
      if (changes.length === 0) {
        void vscode.window.showInformationMessage('ThinkLens: there are no uncommitted changes to review.');
        return [];
      }
      return reviewMany(deps, changes, reviewKind({ kind: 'uncommitted' }), 'Review uncommitted changes');
    }),
    guarded(COMMAND.reviewStaged, () => reviewScope({ kind: 'staged' }, 'there are no staged changes to review.')),
    guarded(COMMAND.reviewUnstaged, () => reviewScope({ kind: 'unstaged' }, 'there are no unstaged changes to review.')),
    guarded(COMMAND.reviewBranch, () => reviewScope({ kind: 'branch' }, 'this branch has no changes against its merge-base.')),
    guarded(COMMAND.reviewCommit, async (...args) => {
      const ref = commitRefOf(args) ?? (await pickCommit());
      return ref ? reviewScope({ kind: 'commit', ref }, `commit ${ref.slice(0, 7)} changes no file there is to review.`) : undefined;
    }),
    guarded(COMMAND.followUp, async (runId, question) => {
      const id = typeof runId === 'string' ? runId : runs.latestRunId();
      if (!id) throw new TargetError('Run an analysis first; a follow-up continues its conversation.');
      const text =
        typeof question === 'string'
          ? question
          : await vscode.window.showInputBox({ prompt: 'Ask a follow-up question about the last run', ignoreFocusOut: true });
      return text?.trim() ? runs.followUp(id, text.trim()) : undefined;
    }),
    guarded(COMMAND.cancel, () => runs.cancel()),
    guarded(COMMAND.selectBackend, () => selectBackend(deps)),
    guarded(COMMAND.setApiKey, (backend) =>
      setApiKey(deps, (BACKEND_IDS as readonly unknown[]).includes(backend) ? (backend as BackendId) : undefined),
    ),
    guarded(COMMAND.downloadModel, () => downloadModelCommand(log)),
    // Any extension can run a command: clearing every file always asks, and an export always goes
    // through the save dialog (no argument skips either).
    guarded(COMMAND.clearFindings, (scope) => clearFindings(findings, scope === 'file' || scope === 'all' ? scope : undefined)),
    guarded(COMMAND.exportTrace, (runId) => panel.exportRun(typeof runId === 'string' ? runId : undefined)),
    guarded(COMMAND.showHistory, () => panel.showHistory()),
    guarded(COMMAND.showLog, () => log.show()),
    guarded(COMMAND.detectLocalServers, () => reportLocalServers()),
    guarded(COMMAND.openSample, () => openSample(deps.extensionUri, deps.storageUri)),
    // Internal commands behind code actions and the panel (not in the palette).
    guarded(INTERNAL_COMMAND.applyFix, async (id) => {
      const destructive = findings.get(String(id))?.finding.fix?.destructive;
      if (destructive) {
        const pick = await vscode.window.showWarningMessage(
          `ThinkLens: ${destructive}`,
          { modal: true, detail: 'The model proposes deleting most of the code under review. Look at the finding and its fix first.' },
          'Apply Anyway',
        );
        if (pick !== 'Apply Anyway') return { applied: false, reason: 'not confirmed' };
      }
      const outcome = await findings.applyFix(String(id));
      if (!outcome.applied) void vscode.window.showWarningMessage(`ThinkLens did not apply the fix: ${outcome.reason}.`);
      return outcome;
    }),
    guarded(INTERNAL_COMMAND.previewFix, async (id) => {
      const outcome = await findings.applyFix(String(id), { preview: true });
      if (!outcome.applied && !/not confirmed/.test(outcome.reason))
        void vscode.window.showWarningMessage(`ThinkLens did not apply the fix: ${outcome.reason}.`);
      return outcome;
    }),
    guarded(INTERNAL_COMMAND.applyAllFixes, async (uri) => {
      const target = uri instanceof vscode.Uri ? uri : editor().document.uri;
      // Destructive fixes are never part of a fix-all: each needs its own look.
      const ids = findings
        .all(target)
        .filter((f) => inEditor(f) && f.fix && !f.fixUnavailable && !f.finding.fix?.destructive)
        .map((f) => f.id);
      const result = await findings.applyFixes(ids);
      if (result.refused.length) {
        void vscode.window.showWarningMessage(
          `ThinkLens applied ${result.applied.length} fixes and refused ${result.refused.length}: ${result.refused.map((r) => r.reason).join('; ')}.`,
        );
      }
      return result;
    }),
    guarded(INTERNAL_COMMAND.dismissFinding, (id) => findings.dismiss(String(id))),
    guarded(INTERNAL_COMMAND.undismissFinding, (id) => findings.undismiss(String(id))),
    guarded(INTERNAL_COMMAND.markFinding, (id, mark) =>
      findings.mark(String(id), mark === 'helpful' || mark === 'not-helpful' ? mark : undefined),
    ),
    // Both ways: the findings dismissed in this workspace come back as diagnostics and in the panel, or hide again.
    guarded(COMMAND.showDismissedFindings, () => {
      findings.memory.setShowDismissed(true);
      const count = findings.memory.dismissedCount;
      vscode.window.setStatusBarMessage(`ThinkLens: showing findings dismissed in this workspace (${count} remembered)`, 5_000);
      return count;
    }),
    guarded(COMMAND.hideDismissedFindings, () => findings.memory.setShowDismissed(false)),
    guarded(INTERNAL_COMMAND.showFinding, async (id) => {
      const stamped = findings.get(String(id));
      if (stamped) panel.reveal(stamped.runId, stamped.id);
    }),
  ];
}

/**
 * Clears findings from the editor: this file, or (after asking) every file. The panel keeps the
 * runs and says their findings were cleared. Returns how many were cleared.
 */
async function clearFindings(findings: FindingStore, scope: 'file' | 'all' | undefined): Promise<number> {
  const counts = findings.counts();
  const total = counts.reduce((n, c) => n + c.findings, 0);
  if (total === 0) {
    void vscode.window.showInformationMessage('ThinkLens: there are no findings to clear.');
    return 0;
  }
  const active = vscode.window.activeTextEditor?.document.uri;
  const here = counts.find((c) => c.uri.toString() === active?.toString());
  const plural = (n: number, word: string) => `${n} ${word}${n === 1 ? '' : 's'}`;
  let chosen = scope;
  if (!chosen) {
    if (here && counts.length === 1) chosen = 'file';
    else {
      const items = [
        ...(here
          ? [
              {
                scope: 'file' as const,
                label: 'This file',
                description: `${plural(here.findings, 'finding')} in ${vscode.workspace.asRelativePath(here.uri)}`,
              },
            ]
          : []),
        { scope: 'all' as const, label: 'All files', description: `${plural(total, 'finding')} in ${plural(counts.length, 'file')}` },
      ];
      chosen = (await vscode.window.showQuickPick(items, { title: 'ThinkLens: clear findings from' }))?.scope;
    }
  }
  if (chosen === 'file') {
    if (!here || !active) {
      void vscode.window.showInformationMessage('ThinkLens: this file has no findings to clear.');
      return 0;
    }
    findings.clear(active);
    return here.findings;
  }
  if (chosen !== 'all') return 0;
  if (counts.length > 1) {
    const clear = 'Clear All';
    const answer = await vscode.window.showWarningMessage(
      `Clear all ${plural(total, 'ThinkLens finding')} in ${plural(counts.length, 'file')}?`,
      {
        modal: true,
        detail: 'The squiggles and quick fixes go away; the runs stay in the panel. Run the analyses again to get them back.',
      },
      clear,
    );
    if (answer !== clear) return 0;
  }
  findings.clear();
  return total;
}

/** Says which local model servers answer right now, and with which models (the walkthrough's first step). */
async function reportLocalServers(): Promise<{ backend: string; baseUrl: string; models: string[] }[]> {
  const running = await vscode.window.withProgress(
    { location: vscode.ProgressLocation.Notification, title: 'ThinkLens: looking for local model servers…' },
    () => detectLocalServers(DETECTABLE_SERVERS, 1500),
  );
  if (!running.length) {
    const ports = DETECTABLE_SERVERS.map((c) => `${PRESETS[c.backend].label} (${new URL(c.baseUrl).port})`).join(', ');
    void vscode.window
      .showInformationMessage(
        `ThinkLens: no local model server answers on ${ports}. Start one, or choose a hosted API or a model inside VS Code.`,
        'Select Backend',
      )
      .then((pick) => pick && vscode.commands.executeCommand(COMMAND.selectBackend));
    return [];
  }
  const described = running.map((s) => {
    const reasoning = s.models.filter((m) => THINKING_MODEL.test(m));
    const models = `${s.models.length} model${s.models.length === 1 ? '' : 's'}`;
    return `${PRESETS[s.backend].label} at ${s.baseUrl} (${models}${reasoning.length ? `; reasoning: ${reasoning.slice(0, 3).join(', ')}` : '; none named as a reasoning model'})`;
  });
  void vscode.window
    .showInformationMessage(`ThinkLens found ${described.join(' and ')}.`, 'Select Backend')
    .then((pick) => pick && vscode.commands.executeCommand(COMMAND.selectBackend));
  return running;
}

/**
 * Opens the sample with an off-by-one bug and selects the function: the workspace's own copy when it
 * has one (the samples folder `npm start` opens, this repository), else a copy in a scratch folder.
 */
async function openSample(extensionUri: vscode.Uri, storageUri: vscode.Uri): Promise<vscode.TextEditor> {
  const source = vscode.Uri.joinPath(extensionUri, 'samples', 'src', 'cart.ts');
  const target = (await workspaceSample(source)) ?? (await scratchSample(source, storageUri));
  const editor = await vscode.window.showTextDocument(target);
  // cartTotal, lines 9-15: the loop on line 11 reads one element past the end.
  editor.selection = new vscode.Selection(8, 0, 14, editor.document.lineAt(Math.min(14, editor.document.lineCount - 1)).text.length);
  editor.revealRange(editor.selection, vscode.TextEditorRevealType.InCenter);
  return editor;
}

/** The workspace's copy of the sample (its cartTotal function still there), if it has one. */
async function workspaceSample(source: vscode.Uri): Promise<vscode.Uri | undefined> {
  if (!vscode.workspace.workspaceFolders?.length) return undefined;
  const signature = /^export function cartTotal\(.*$/m.exec(new TextDecoder().decode(await vscode.workspace.fs.readFile(source)))?.[0];
  for (const candidate of await vscode.workspace.findFiles('{src/cart.ts,samples/src/cart.ts}', undefined, 5)) {
    const found = await vscode.workspace.fs.readFile(candidate).then(
      (b) => new TextDecoder().decode(b),
      () => '',
    );
    if (signature && found.split(/\r?\n/)[8] === signature) return candidate;
  }
  return undefined;
}

async function scratchSample(source: vscode.Uri, storageUri: vscode.Uri): Promise<vscode.Uri> {
  const target = vscode.Uri.joinPath(storageUri, 'sample', 'cart.ts');
  await vscode.workspace.fs.createDirectory(vscode.Uri.joinPath(storageUri, 'sample'));
  await vscode.workspace.fs.writeFile(target, await vscode.workspace.fs.readFile(source));
  return target;
}

/** What kind of review a run over changes was, for its title: "Review staged changes: src/a.ts:3-9". */
function reviewKind(scope: ChangeScope): string {
  switch (scope.kind) {
    case 'uncommitted':
      return 'Review uncommitted changes';
    case 'staged':
      return 'Review staged changes';
    case 'unstaged':
      return 'Review unstaged changes';
    case 'branch':
      return 'Review branch changes';
    case 'commit':
      return `Review commit ${scope.ref.slice(0, 7)}`;
  }
}

/**
 * A review of a read-only `git:` copy (the staged text, a commit's) shows its findings on the working
 * file, when the file is there, so a fix changes the file a person edits.
 */
async function onWorkingFile(target: Promise<AnalysisTarget>, uri: vscode.Uri): Promise<AnalysisTarget> {
  const working = workingTreeUri(uri);
  const resolved = await target;
  if (!working) return resolved;
  const workingDocument = await vscode.workspace.openTextDocument(working).then(
    (d) => d,
    () => undefined,
  );
  return workingDocument ? { ...resolved, workingDocument } : resolved;
}

/** Run titles say what kind of review it was: "Review file: src/a.ts", "Review staged changes: src/a.ts:3-9". */
async function titled(target: Promise<AnalysisTarget>, kind: string): Promise<AnalysisTarget> {
  const t = await target;
  return { ...t, title: `${kind}: ${t.title}` };
}

/**
 * The commit a menu passed: a hash, a timeline item (`ref`), a Source Control Graph item (`id`)
 * or a git extension commit (`hash`).
 */
function commitRefOf(args: readonly unknown[]): string | undefined {
  for (const arg of args) {
    if (typeof arg === 'string' && /^[0-9a-f]{7,40}$/i.test(arg)) return arg;
    if (arg && typeof arg === 'object') {
      for (const key of ['ref', 'hash', 'id'] as const) {
        const value = (arg as Record<string, unknown>)[key];
        if (typeof value === 'string' && /^[0-9a-f]{7,40}$/i.test(value)) return value;
      }
    }
  }
  return undefined;
}

async function pickCommit(): Promise<string | undefined> {
  const commits = await recentCommits();
  const picked = await vscode.window.showQuickPick(
    commits.map((c) => ({ label: c.message.split('\n')[0] ?? c.hash, description: c.hash.slice(0, 7), hash: c.hash })),
    { title: 'ThinkLens: review which commit?', matchOnDescription: true },
  );
  return picked?.hash;
}

/**
 * Reviews many files with bounded concurrency, a cancellable progress notification and an overview
 * in the panel (each file, its state, its findings). Cancelling stops this review's runs only.
 * `kind` starts each run's title ("Review staged changes: …"), `title` names the whole review.
 */
async function reviewMany(
  deps: CommandDeps,
  files: readonly { uri: vscode.Uri; ranges?: readonly { startLine: number; endLine: number }[] }[],
  kind: string,
  title: string,
): Promise<RunOutcome[]> {
  const { runs, panel, log } = deps;
  const limit = readConfig().maxConcurrency;
  panel.reveal();
  const batchId = runs.startBatch(
    title,
    files.map((f) => ({ uri: (workingTreeUri(f.uri) ?? f.uri).toString(), path: relativePathOf(f.uri) })),
  );
  return vscode.window.withProgress(
    { location: vscode.ProgressLocation.Notification, title: `ThinkLens: ${title}`, cancellable: true },
    async (progress, token) => {
      const outcomes: RunOutcome[] = [];
      let next = 0;
      let done = 0;
      let found = 0;
      token.onCancellationRequested(() => runs.cancelBatch(batchId));
      const report = () =>
        progress.report({ message: `${done} of ${files.length} files, ${found} findings`, increment: 100 / files.length });
      progress.report({ message: `0 of ${files.length} files` });
      const worker = async () => {
        while (next < files.length && !token.isCancellationRequested) {
          const index = next++;
          const file = files[index]!;
          try {
            const document = await vscode.workspace.openTextDocument(file.uri);
            const target = file.ranges?.length
              ? titled(targetFromRanges(document, withContext(file.ranges, HUNK_CONTEXT, document.lineCount), CHANGES_QUESTION), kind)
              : titled(targetFromFile(document), kind);
            const outcome = await runs.analyse(await onWorkingFile(target, file.uri), 'review', { batchId, index });
            outcomes.push(outcome);
            found += outcome.findings.length;
          } catch (error) {
            runs.batchFileFailed({ batchId, index });
            log.warn(`review of ${file.uri.fsPath} skipped: ${error instanceof Error ? error.message : String(error)}`);
          }
          done++;
          report();
        }
      };
      await Promise.all(Array.from({ length: Math.min(limit, files.length) }, worker));
      return outcomes;
    },
  );
}

async function selectBackend(deps: CommandDeps): Promise<SetupOutcome | undefined> {
  const outcome = await selectBackendFlow({
    keys: deps.keys,
    askApiKey: async (backend) => {
      await setApiKey(deps, backend);
      return Boolean(await deps.keys.get(backend));
    },
    onConnected: () => deps.status.connectionWorks(),
  });
  if (outcome) await deps.backends.reset();
  return outcome;
}

async function setApiKey(deps: CommandDeps, backend?: BackendId): Promise<void> {
  let chosen = backend;
  if (!chosen) {
    const configured = readConfig().backend;
    const hosted = BACKEND_IDS.filter((id) => id !== 'local');
    const picked = await vscode.window.showQuickPick(
      hosted.map((id) => ({ id, label: PRESETS[id].label, description: id === configured ? 'current' : undefined })),
      { title: 'ThinkLens: set the API key for' },
    );
    chosen = picked?.id;
  }
  if (!chosen) return;
  const key = await vscode.window.showInputBox({
    title: `API key for ${PRESETS[chosen].label}`,
    prompt: "Stored in VS Code's secret storage, never in settings. Leave empty to remove the key.",
    password: true,
    ignoreFocusOut: true,
  });
  if (key === undefined) return;
  await deps.keys.set(chosen, key.trim() || undefined);
  await deps.backends.reset();
  void vscode.window.showInformationMessage(
    key.trim() ? `ThinkLens: the ${PRESETS[chosen].label} key is stored.` : `ThinkLens: the ${PRESETS[chosen].label} key is removed.`,
  );
}
