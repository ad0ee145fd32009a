// The MCP tools' one home: names, descriptions written for a model, input schemas and the output
// schema (the `--format json` document, src/cli/report.ts). The server registers these; docs/agents.md
// shows them as `tools/list` gives them (scripts/agentsDoc.mjs writes them; test/cli/mcp.test.ts
// checks the page against the running server).

import * as z from 'zod';
import { CONFIDENCES_ASCENDING, SEVERITIES } from '../core/contract';
import { MAX_SAMPLES } from '../core/samples';
import { FOCUS_AREAS } from '../core/types';

export const TOOL_NAMES = ['review', 'explain', 'check_proof'] as const;
export type ToolName = (typeof TOOL_NAMES)[number];

/** Where the code goes, said in each description so the agent (and the person approving the call) knows. */
export interface BackendSummary {
  readonly id: string;
  readonly model: string;
  readonly hosted: boolean;
  readonly endpoint?: string;
}

const severity = z.enum(SEVERITIES as [string, ...string[]]);
const confidence = z.enum(CONFIDENCES_ASCENDING as [string, ...string[]]);
const line = z.number().int().min(1);
const filePath = z.string().min(1).describe('A file path, relative to the workspace (or absolute inside it).');

const filters = {
  focus: z
    .array(z.enum(FOCUS_AREAS))
    .min(1)
    .optional()
    .describe("Ask only for these kinds of problem, and keep only them. Default: everything (or the server's --focus)."),
  minSeverity: severity.optional().describe('Leave out findings less severe than this.'),
  minConfidence: confidence.optional().describe('Leave out findings with a lower confidence; the text result says how many were left out.'),
  samples: z
    .number()
    .int()
    .min(1)
    .max(MAX_SAMPLES)
    .optional()
    .describe(
      'Review each file this many times independently and report in how many samples each finding came up. N samples cost N reviews.',
    ),
};

export const INPUT_SCHEMAS = {
  review: z.object({
    paths: z
      .array(z.string().min(1))
      .min(1)
      .optional()
      .describe(
        'Files, folders, globs ("src/**/*.ts") or ranges ("src/cart.ts:10-40"), relative to the workspace. With diff or staged: only changes under these paths.',
      ),
    diff: z
      .string()
      .min(1)
      .optional()
      .describe('A git ref (branch, tag, commit): review what changed since the merge-base of this ref and HEAD, working tree included.'),
    staged: z.boolean().optional().describe('Review the staged changes (what the next commit holds).'),
    ...filters,
  }),
  explain: z.object({
    path: filePath,
    startLine: line.describe('First line of the code to explain (1-based).'),
    endLine: line.describe('Last line of the code to explain (inclusive).'),
    question: z
      .string()
      .min(1)
      .optional()
      .describe('What to ask about the code, e.g. the symptom seen. Default: find and explain the bug.'),
  }),
  check_proof: z.object({
    path: filePath.describe('A proof: LaTeX, Markdown with math, or plain text.'),
    startLine: line.optional().describe('First line of the argument to check. Default: the whole file.'),
    endLine: line.optional().describe('Last line (inclusive). Default: the end of the file.'),
  }),
} as const;

export type ToolInput<T extends ToolName> = z.infer<(typeof INPUT_SCHEMAS)[T]>;

// The output: exactly what `thinklens review --format json` prints. Loose objects, so a field
// added to the report later does not fail a client that validates against an older list.
const evidence = z.object({
  start: z.number().int().describe("Offset in the run's reasoning (or the sample's) where the passage starts."),
  end: z.number().int(),
  text: z.string().describe('The passage itself, to quote.'),
});
const finding = z.looseObject({
  title: z.string(),
  fingerprint: z.string().describe('Stable identity across runs and edits (not line numbers).'),
  severity,
  category: z.string(),
  confidence,
  confidenceReasons: z.array(z.string()).optional(),
  agreement: z.object({ count: z.number().int(), of: z.number().int() }).describe('In how many samples it came up.'),
  startLine: line,
  endLine: line,
  locationUncertain: z.boolean(),
  explanation: z.string(),
  fix: z
    .object({
      startLine: line,
      endLine: line,
      replacement: z.string().describe('The new text of lines startLine..endLine. Never applied by the tool.'),
      destructive: z.string().optional().describe('Set when the fix deletes most of the code: look before applying.'),
    })
    .optional(),
  fixRefused: z.string().optional(),
  sample: z.number().int().optional(),
  evidence: z.array(evidence).describe('Passages of the reasoning that led to the finding.'),
});
const runError = z.looseObject({ kind: z.string(), message: z.string(), hint: z.string(), detail: z.string().optional() });
const run = z.looseObject({
  file: z.string(),
  cached: z.boolean(),
  reasoning: z.string().describe("The model's whole reasoning (so far, when the run failed)."),
  answer: z.string(),
  summary: z.string(),
  samples: z.number().int(),
  findings: z.array(finding),
  sampleTraces: z.array(z.object({ reasoning: z.string(), answer: z.string() })).optional(),
  sampleErrors: z.array(runError.extend({ sample: z.number().int() })).optional(),
  usage: z.looseObject({ promptTokens: z.number(), completionTokens: z.number() }).nullable(),
  problem: z.string().optional(),
  error: runError.optional(),
});

export const OUTPUT_SCHEMA = z.looseObject({
  runs: z.array(run),
  skipped: z
    .array(z.object({ path: z.string(), reason: z.string(), detail: z.string() }))
    .optional()
    .describe('Files a folder or glob matched that were not reviewed: binary, generated, vendored or too large.'),
  notReviewed: z.array(z.string()).optional(),
});

const COMMON_TAIL = [
  'It is slow: the model thinks before it answers, typically half a minute to several minutes per file; progress notifications carry its reasoning as it arrives.',
  'It never edits files: a fix is data (lines and replacement text) for you to apply after reading it.',
  'Only files inside the workspace can be named.',
];

function whereCodeGoes(backend: BackendSummary | undefined): string {
  if (!backend) return 'No backend is set up yet: a call returns what to configure.';
  const where = backend.hosted
    ? `the hosted service ${backend.id}${backend.endpoint ? ` at ${backend.endpoint}` : ''} (the code leaves this machine, and each call is billed)`
    : `${backend.id}${backend.endpoint ? ` at ${backend.endpoint}` : ''} on this machine or network`;
  return `The code is sent to ${where}, model ${backend.model || 'the default'}.`;
}

export function toolDescription(name: ToolName, backend: BackendSummary | undefined): string {
  const lead: Record<ToolName, string> = {
    review:
      'Second opinion from a reasoning model on code you wrote or changed: it reads the files (or a git diff), thinks step by step, and returns findings (bugs, unhandled edge cases, security and performance problems), each with its lines, an explanation, a suggested fix, a confidence, and quoted passages of the reasoning as evidence. Call it before committing a change, or on code you suspect. Prefer a diff or a few files over a whole tree: each file is a full model run.',
    explain:
      "Ask a reasoning model why some code misbehaves: it thinks through the lines given (with the rest of the file as context) and explains the bug, with findings, fixes and the reasoning behind them. Call it when a failure's cause is unclear; give the symptom as the question.",
    check_proof:
      'Ask a reasoning model to check a mathematical argument (LaTeX, Markdown with math, or text) step by step: it reports gaps, unjustified steps and wrong claims as findings, with the lines, an explanation, a suggested correction and the reasoning behind each.',
  };
  return [lead[name], whereCodeGoes(backend), ...COMMON_TAIL].join(' ');
}

export const TOOL_TITLES: Record<ToolName, string> = {
  review: 'Review code with a reasoning model',
  explain: 'Explain a bug with a reasoning model',
  check_proof: 'Check a proof with a reasoning model',
};
