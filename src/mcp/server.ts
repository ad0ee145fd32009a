// `thinklens mcp`: the review engine as Model Context Protocol tools over stdio, for agents. The
// backend, cache, scopes, file rules and report shape are the CLI's (src/cli); what is new here is
// the workspace boundary, the reasoning as progress notifications, and cancellation per call.
// Only protocol messages go to stdout; logs go to stderr, neutralized and redacted.

import { McpServer } from '@modelcontextprotocol/sdk/server/mcp.js';
import { StdioServerTransport } from '@modelcontextprotocol/sdk/server/stdio.js';
import type { CallToolResult } from '@modelcontextprotocol/sdk/types.js';
import { agentResultText } from '../core/agentText';
import { SETUP_HINT } from '../core/backends/auto';
import { createBackend } from '../core/backends/createBackend';
import { redact } from '../core/errors';
import { limiter } from '../core/samples';
import { forTerminal } from '../core/terminalText';
import type { Backend } from '../core/types';
import { parseTarget, scopeOf, UsageError, type CliRequest, type FileTarget } from '../cli/args';
import { defaultCacheDir, ResultCache } from '../cli/cache';
import { isGlob, splitGlob } from '../cli/files';
import { gitRoot } from '../cli/gitScope';
import { collectInputs, type Inputs } from '../cli/inputs';
import { runQueue } from '../cli/queue';
import { errorLine, jsonReport, type RunReport } from '../cli/report';
import { backendConfig, pricesFromEnv, reviewFile, type RunResult } from '../cli/reviewRun';
import { reasoningProgress } from './progress';
import { INPUT_SCHEMAS, OUTPUT_SCHEMA, TOOL_TITLES, toolDescription, type BackendSummary, type ToolInput, type ToolName } from './tools';
import { outsideWorkspace, workspaceOf, type Workspace } from '../core/workspace';

/** How long the client has to answer `roots/list` before the call is refused. */
const ROOTS_TIMEOUT_MS = 10_000;
/** A failed run's text result ends with this much of the reasoning so far (all of it is in structuredContent). */
const REASONING_TAIL_CHARS = 4000;

type Setup = { readonly backend: Backend; readonly server?: string } | { readonly problem: string };

interface ToolContext {
  readonly signal: AbortSignal;
  readonly progressToken?: string | number;
  readonly sendProgress: (progressToken: string | number, progress: number, message: string) => Promise<void>;
}

/** Runs the server until the client closes stdin; resolves with the exit code. */
export async function serveMcp(defaults: CliRequest, version: string): Promise<number> {
  let setup: Setup;
  try {
    setup = await setUp(defaults);
  } catch (error) {
    if (!(error instanceof UsageError)) throw error;
    log(error.message);
    return 2;
  }
  if ('problem' in setup) log(setup.problem);
  else log(`serving review, explain and check_proof; backend ${describe(setup.backend)}`);
  const cache = defaults.cache ? new ResultCache(defaults.cacheDir ?? defaultCacheDir()) : undefined;
  const summary: BackendSummary | undefined =
    'backend' in setup
      ? { id: setup.backend.id, model: setup.backend.model, hosted: setup.backend.hosted, endpoint: setup.backend.endpoint }
      : undefined;
  const mcp = new McpServer({ name: 'thinklens', version }, { capabilities: { tools: {} } });
  const serverFolder = process.cwd();

  const call = async (name: ToolName, request: () => CliRequest, ctx: ToolContext): Promise<CallToolResult> => {
    try {
      const workspace = await workspaceOf(await clientRoots(mcp), serverFolder);
      return await runTool(name, request(), workspace, setup, cache, ctx, version);
    } catch (error) {
      if (error instanceof UsageError) return failure(error.message);
      log(`${name}: internal error: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}`);
      return failure(`internal error: ${error instanceof Error ? error.message : String(error)}`);
    }
  };
  const contextOf = (extra: {
    signal: AbortSignal;
    _meta?: { progressToken?: string | number };
    sendNotification: (n: {
      method: 'notifications/progress';
      params: { progressToken: string | number; progress: number; message: string };
    }) => Promise<void>;
  }): ToolContext => ({
    signal: extra.signal,
    progressToken: extra._meta?.progressToken,
    sendProgress: (progressToken, progress, message) =>
      extra.sendNotification({ method: 'notifications/progress', params: { progressToken, progress, message } }),
  });
  const register = <T extends ToolName>(name: T, toRequest: (args: ToolInput<T>) => CliRequest) =>
    mcp.registerTool(
      name,
      {
        title: TOOL_TITLES[name],
        description: toolDescription(name, summary),
        inputSchema: INPUT_SCHEMAS[name],
        outputSchema: OUTPUT_SCHEMA,
        annotations: { readOnlyHint: true, openWorldHint: summary?.hosted ?? false },
      },
      // The SDK infers the arguments from the schema; the union of three tools is narrowed by name here.
      ((args: ToolInput<T>, extra: Parameters<typeof contextOf>[0]) => call(name, () => toRequest(args), contextOf(extra))) as never,
    );
  register('review', (args) => reviewRequest(defaults, args));
  register('explain', (args) => explainRequest(defaults, args));
  register('check_proof', (args) => proofRequest(defaults, args));

  const transport = new StdioServerTransport();
  const stdinClosed = new Promise<void>((resolve) => {
    process.stdin.once('end', resolve);
    process.stdin.once('close', resolve);
  });
  await mcp.connect(transport);
  await stdinClosed;
  await mcp.close().catch(() => undefined);
  if ('backend' in setup) await setup.backend.dispose?.();
  return 0;
}

/** The backend, read once at start from the same flags and environment as the CLI. */
async function setUp(defaults: CliRequest): Promise<Setup> {
  const prices = pricesFromEnv();
  // `auto` never picks a hosted backend for an agent: code leaves the machine only when --backend names it.
  const config = await backendConfig(defaults, { autoMayChooseHosted: false });
  if (!config)
    return {
      problem: `${SETUP_HINT} For an agent, a hosted backend is used only when named: start the server with --backend deepseek (or openrouter) and its key in the environment.`,
    };
  try {
    return { backend: createBackend(config, process.env, { prices }), server: config.baseUrl };
  } catch (error) {
    return { problem: error instanceof Error ? error.message : String(error) };
  }
}

const describe = (backend: Backend) =>
  `${backend.id} (${backend.model || 'default model'}${backend.endpoint ? ` at ${backend.endpoint}` : ''})`;

/** The client's roots when it offers them; undefined when it does not (the server's folder is the workspace). */
async function clientRoots(mcp: McpServer): Promise<string[] | undefined> {
  if (!mcp.server.getClientCapabilities()?.roots) return undefined;
  try {
    const { roots } = await mcp.server.listRoots(undefined, { timeout: ROOTS_TIMEOUT_MS });
    return roots.map((root) => root.uri);
  } catch (error) {
    throw new UsageError(
      `the client did not list its workspace folders (roots): ${error instanceof Error ? error.message : String(error)}`,
    );
  }
}

// ---- From tool arguments to the CLI's request ----

function withFilters(
  defaults: CliRequest,
  args: Partial<Pick<ToolInput<'review'>, 'focus' | 'minSeverity' | 'minConfidence' | 'samples'>>,
): CliRequest {
  return {
    ...defaults,
    focus: args.focus ?? defaults.focus,
    minSeverity: (args.minSeverity as CliRequest['minSeverity']) ?? defaults.minSeverity,
    minConfidence: (args.minConfidence as CliRequest['minConfidence']) ?? defaults.minConfidence,
    samples: args.samples ?? defaults.samples,
  };
}

function reviewRequest(defaults: CliRequest, args: ToolInput<'review'>): CliRequest {
  const scope = scopeOf(args.diff, args.staged === true);
  if (scope.kind === 'paths' && !args.paths?.length) throw new UsageError('review needs paths, or diff (a git ref), or staged: true');
  const targets = (args.paths ?? []).map(parseTarget);
  if (scope.kind !== 'paths' && targets.some((t) => t.range))
    throw new UsageError(`with ${scope.kind} the changed hunks are the lines to review; leave out :<start>-<end>`);
  return { ...withFilters(defaults, args), command: 'review', scope, targets };
}

function explainRequest(defaults: CliRequest, args: ToolInput<'explain'>): CliRequest {
  return {
    ...defaults,
    command: 'explain',
    scope: { kind: 'paths' },
    targets: [{ path: args.path, range: lineRange(args.startLine, args.endLine) }],
    question: args.question,
  };
}

function proofRequest(defaults: CliRequest, args: ToolInput<'check_proof'>): CliRequest {
  if ((args.startLine === undefined) !== (args.endLine === undefined))
    throw new UsageError('check_proof takes both startLine and endLine, or neither (the whole file)');
  const range = args.startLine !== undefined ? lineRange(args.startLine, args.endLine!) : undefined;
  return {
    ...defaults,
    command: 'review',
    documentKind: 'proof',
    scope: { kind: 'paths' },
    targets: [{ path: args.path, ...(range ? { range } : {}) }],
  };
}

function lineRange(startLine: number, endLine: number) {
  if (endLine < startLine) throw new UsageError(`endLine ${endLine} is before startLine ${startLine}; lines are 1-based and inclusive`);
  return { startLine, endLine };
}

// ---- One call ----

async function runTool(
  name: ToolName,
  request: CliRequest,
  workspace: Workspace,
  setup: Setup,
  cache: ResultCache | undefined,
  ctx: ToolContext,
  version: string,
): Promise<CallToolResult> {
  // The boundary is checked before anything else: a refused call reads nothing and sends nothing.
  const refused = await firstOutside(workspace, request.targets);
  if (refused) return failure(refused);
  if ('problem' in setup) return failure(setup.problem);
  const cwd = workspace.roots[0]!;
  const srcRoot = (await gitRoot(cwd)) ?? cwd;
  // A diff or staged review with no paths stays inside the workspace's first folder, not the whole repository.
  const scoped: CliRequest = request.scope.kind !== 'paths' && !request.targets.length ? { ...request, targets: [{ path: '.' }] } : request;
  const inputs = await collectInputs(scoped, cwd, srcRoot);
  const escaped = await firstOutside(
    workspace,
    inputs.files.map((f) => ({ path: f.absPath })),
  );
  if (escaped) return failure(escaped);
  if (!inputs.files.length) return nothingToReview(inputs);

  const progress =
    ctx.progressToken === undefined
      ? undefined
      : reasoningProgress((message, value) => ctx.sendProgress(ctx.progressToken!, value, message).catch(() => undefined));
  const slot = limiter(request.concurrency);
  try {
    const outcome = await runQueue<(typeof inputs.files)[number], RunResult>({
      items: inputs.files,
      maxConcurrency: request.concurrency,
      signal: ctx.signal,
      run: (input) =>
        reviewFile(request, input, setup.backend, {
          cache,
          server: setup.server,
          signal: ctx.signal,
          slot,
          several: inputs.files.length > 1,
          reasoningSink: progress ? (label) => progress.sink(label) : undefined,
        }),
      pushbackOf: (result) => result.pushback,
    });
    await progress?.flush();
    const reports = outcome.results.filter((r): r is RunResult => r !== undefined).map((r) => r.report);
    if (ctx.signal.aborted)
      log(`${name}: cancelled by the client; ${reports.reduce((n, r) => n + r.reasoning.length, 0)} characters of reasoning kept`);
    for (const r of reports) if (r.error) log(`${name}: ${r.file}: ${errorLine(r.error)}`);
    const structured = jsonReport(reports, { version, srcRoot, command: request.command, skipped: inputs.skipped });
    return {
      content: [{ type: 'text', text: forTerminal(resultText(reports, inputs)) }],
      structuredContent: structured as unknown as Record<string, unknown>,
      ...(reports.some((r) => r.error) ? { isError: true } : {}),
    };
  } finally {
    progress?.dispose();
  }
}

/** The first path outside the workspace (a glob by the folder it starts from), with why. */
async function firstOutside(workspace: Workspace, targets: readonly Pick<FileTarget, 'path'>[]): Promise<string | undefined> {
  for (const target of targets) {
    const why = await outsideWorkspace(workspace, isGlob(target.path) ? splitGlob(target.path).base : target.path, target.path);
    if (why) return why;
  }
  return undefined;
}

function resultText(reports: readonly RunReport[], inputs: Inputs): string {
  const text = agentResultText(
    reports.map((r) => ({
      file: r.file,
      findings: r.findings,
      summary: r.summary,
      problem: r.problem,
      leftOutByConfidence: r.leftOutByConfidence,
      error: r.error ? errorLine(r.error) + reasoningSoFar(r.reasoning) : undefined,
    })),
  );
  return inputs.skipped.length
    ? `${text}\n\nSkipped: ${inputs.skipped.map((s) => `${s.path} (${s.reason}: ${s.detail})`).join(', ')}`
    : text;
}

function reasoningSoFar(reasoning: string): string {
  if (!reasoning) return '';
  const tail = reasoning.length > REASONING_TAIL_CHARS ? `…${reasoning.slice(-REASONING_TAIL_CHARS)}` : reasoning;
  return `\nReasoning so far (all of it is in structuredContent.runs[].reasoning):\n${tail}`;
}

function nothingToReview(inputs: Inputs): CallToolResult {
  const skipped = inputs.skipped.map((s) => `${s.path} (${s.reason}: ${s.detail})`).join(', ');
  return {
    content: [
      {
        type: 'text',
        text: `Nothing to review${skipped ? `: every file was skipped: ${skipped}` : ': no file matched (or nothing changed)'}.`,
      },
    ],
    structuredContent: { runs: [], ...(inputs.skipped.length ? { skipped: inputs.skipped } : {}) },
  };
}

const failure = (message: string): CallToolResult => ({ content: [{ type: 'text', text: forTerminal(message) }], isError: true });

const log = (text: string) => process.stderr.write(`thinklens mcp: ${forTerminal(redact(text))}\n`);
