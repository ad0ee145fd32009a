// Language model tools (thinklens_review, thinklens_explain): an agent in VS Code's chat asks for a
// review as the commands do. The run shows live in the panel and its findings become diagnostics;
// the agent gets back a short text it can act on. The confirmation names the backend and where the
// code goes, and for a hosted endpoint it is the same once-per-endpoint consent as the commands'.
// Manifest: contributes.languageModelTools in package.json (the input schemas the model sees).

import { resolve } from 'node:path';
import * as vscode from 'vscode';
import { agentResultText } from '../core/agentText';
import { originOf } from '../core/backends/profile';
import type { Backend, LineRange } from '../core/types';
import { outsideWorkspace, workspaceOf } from '../core/workspace';
import type { Backends } from './backends';
import { readConfig } from './config';
import { consentGiven, consentQuestion, recordConsent } from './consent';
import { buildTarget, targetFromFile, type AnalysisTarget } from './gather';
import type { Log } from './log';
import type { ReviewPanel } from './panel/reviewPanel';
import { editorAdvice } from './remedies';
import type { RunController, RunOutcome } from './runs';

export const LM_TOOLS = { review: 'thinklens_review', explain: 'thinklens_explain' } as const;
type ToolKind = keyof typeof LM_TOOLS;

export interface ReviewToolInput {
  readonly path: string;
  readonly startLine?: number;
  readonly endLine?: number;
}
export interface ExplainToolInput {
  readonly path: string;
  readonly startLine: number;
  readonly endLine: number;
  readonly question?: string;
}
type ToolInput = ReviewToolInput & { readonly question?: string };

/** A failed or cancelled run's text ends with this much of the reasoning so far (all of it is in the panel). */
const REASONING_TAIL_CHARS = 2000;

export interface LmToolDeps {
  readonly runs: RunController;
  readonly backends: Backends;
  readonly panel: ReviewPanel;
  readonly globalState: vscode.Memento;
  readonly log: Log;
}

export function registerLanguageModelTools(deps: LmToolDeps): vscode.Disposable[] {
  return (Object.keys(LM_TOOLS) as ToolKind[]).map((kind) => vscode.lm.registerTool<ToolInput>(LM_TOOLS[kind], tool(deps, kind)));
}

function tool(deps: LmToolDeps, kind: ToolKind): vscode.LanguageModelTool<ToolInput> {
  return {
    async prepareInvocation(options) {
      const input = checkedInput(kind, options.input);
      const what = `${kind === 'review' ? 'Review' : 'Explain'} ${input.path}${rangeText(input)}`;
      const choice = await deps.backends.choose(readConfig());
      if (!choice.ok) return { invocationMessage: `ThinkLens: ${what} (no backend is set up yet)` };
      const { backend } = choice;
      return {
        invocationMessage: `ThinkLens: ${what} with ${backendName(backend)}`,
        confirmationMessages: {
          title: `ThinkLens: ${what}`,
          message: new vscode.MarkdownString(
            consentGiven(deps.globalState, backend)
              ? `Send ${input.path}${rangeText(input)} to ${whereItGoes(backend)}. The model thinks before it answers, which can take minutes; the reasoning shows in the ThinkLens panel.`
              : consentQuestion(backend),
          ),
        },
      };
    },

    async invoke(options, token) {
      const input = checkedInput(kind, options.input);
      const target = await targetOf(kind, input);
      // In a chat, VS Code showed this tool's confirmation (the consent question for a new hosted
      // endpoint) before calling invoke: the person agreed. Called without a chat, the run asks as a command does.
      if (options.toolInvocationToken !== undefined) {
        const choice = await deps.backends.choose(readConfig());
        if (choice.ok && !consentGiven(deps.globalState, choice.backend)) await recordConsent(deps.globalState, choice.backend);
      }
      const abort = new AbortController();
      const cancelled = token.onCancellationRequested(() => abort.abort());
      let outcome: RunOutcome;
      try {
        deps.panel.reveal();
        outcome = await deps.runs.analyse(target, kind, undefined, abort.signal);
      } finally {
        cancelled.dispose();
      }
      deps.log.info(
        `${LM_TOOLS[kind]}: ${target.code.path}: ${outcome.cancelled ? 'cancelled' : outcome.error ? 'failed' : `${outcome.findings.length} findings`}`,
      );
      return new vscode.LanguageModelToolResult([new vscode.LanguageModelTextPart(resultText(target, outcome))]);
    },
  };
}

/** The input as the schema in package.json promises it, checked anyway: a model can send anything. */
function checkedInput(kind: ToolKind, raw: unknown): ToolInput {
  const input = (typeof raw === 'object' && raw !== null ? raw : {}) as Record<string, unknown>;
  const line = (name: string) => {
    const value = input[name];
    if (value === undefined) return undefined;
    if (typeof value !== 'number' || !Number.isInteger(value) || value < 1)
      throw new Error(`${name} must be a line number (1 or more), not ${JSON.stringify(value)}`);
    return value;
  };
  if (typeof input.path !== 'string' || !input.path) throw new Error('path is required: the file to analyse, relative to the workspace');
  const startLine = line('startLine');
  const endLine = line('endLine');
  if ((startLine === undefined) !== (endLine === undefined)) throw new Error('give both startLine and endLine, or neither');
  if (kind === 'explain' && startLine === undefined) throw new Error('explain needs startLine and endLine: the lines to explain');
  if (startLine !== undefined && endLine! < startLine)
    throw new Error(`endLine ${endLine} is before startLine ${startLine}; lines are 1-based and inclusive`);
  const question = typeof input.question === 'string' && input.question.trim() ? input.question : undefined;
  return { path: input.path, ...(startLine !== undefined ? { startLine, endLine } : {}), ...(question ? { question } : {}) };
}

/** The file, inside the workspace folders (symbolic links resolved), as a target like the commands build. */
async function targetOf(kind: ToolKind, input: ToolInput): Promise<AnalysisTarget> {
  const folders = (vscode.workspace.workspaceFolders ?? []).filter((f) => f.uri.scheme === 'file');
  const workspace = await workspaceOf(
    folders.map((f) => f.uri.toString()),
    '',
    'workspace folders',
  );
  const refused = await outsideWorkspace(workspace, input.path);
  if (refused) throw new Error(refused);
  const uri = vscode.Uri.file(resolve(workspace.roots[0]!, input.path));
  const document = await vscode.workspace.openTextDocument(uri);
  const range: LineRange | undefined = input.startLine !== undefined ? { startLine: input.startLine, endLine: input.endLine! } : undefined;
  if (range && range.endLine > document.lineCount)
    throw new Error(`${input.path}:${range.startLine}-${range.endLine} is past the end of the file (${document.lineCount} lines)`);
  if (kind === 'explain') return buildTarget(document, 'explain', [range!], input.question);
  return range ? buildTarget(document, 'review', [range], input.question) : targetFromFile(document);
}

function resultText(target: AnalysisTarget, outcome: RunOutcome): string {
  const file = target.code.path;
  if (outcome.cancelled) return `${file}: cancelled.${reasoningSoFar(outcome.reasoning)}`;
  if (outcome.error) {
    const advice = editorAdvice(outcome.error.remedies, outcome.error.note).text;
    return `${file}: failed: ${outcome.error.message}${advice ? ` ${advice}` : ''}${reasoningSoFar(outcome.reasoning)}`;
  }
  if (outcome.runId === undefined)
    return 'ThinkLens has no backend set up. The person can choose one with "ThinkLens: Select Backend"; the analysis starts by itself once one works.';
  return agentResultText([
    {
      file,
      findings: outcome.findings.map((stamped) => stamped.finding),
      summary: outcome.summary,
      leftOutByConfidence: outcome.leftOutByConfidence,
    },
  ]);
}

function reasoningSoFar(reasoning: string | undefined): string {
  if (!reasoning) return '';
  const tail = reasoning.length > REASONING_TAIL_CHARS ? `…${reasoning.slice(-REASONING_TAIL_CHARS)}` : reasoning;
  return `\nReasoning so far (all of it is in the ThinkLens panel):\n${tail}`;
}

const rangeText = (input: ToolInput) => (input.startLine !== undefined ? `:${input.startLine}-${input.endLine}` : '');
const backendName = (backend: Backend) => `${backend.id} (${backend.model || 'default model'})`;
const whereItGoes = (backend: Backend) =>
  `${backendName(backend)}${backend.endpoint ? ` at ${originOf(backend.endpoint)}` : ''}${backend.hosted ? ', a server on another machine' : ''}`;
