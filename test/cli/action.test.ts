// The CI recipe: action.yml parsed as YAML with its inputs checked, the README's workflow using
// only inputs the action has, and the GitLab example. A typo in any of them fails here rather than
// in a team's first pull request.

import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import { parse } from 'yaml';

const root = join(__dirname, '..', '..');
const read = (path: string) => readFileSync(join(root, path), 'utf8');

interface Step {
  name?: string;
  uses?: string;
  run?: string;
  shell?: string;
  if?: string;
  id?: string;
  env?: Record<string, string>;
  with?: Record<string, string>;
}
interface Action {
  name: string;
  description: string;
  inputs: Record<string, { description: string; required?: boolean; default?: string }>;
  outputs: Record<string, { value: string }>;
  runs: { using: string; steps: Step[] };
}

const action = parse(read('action.yml')) as Action;

/** The fenced ```yaml blocks of a Markdown file. */
function yamlBlocks(markdown: string): unknown[] {
  return [...markdown.matchAll(/```yaml\n([\s\S]*?)```/g)].map((m) => parse(m[1]!));
}

test('action.yml: a composite action whose inputs all have descriptions and the documented defaults', () => {
  assert.equal(action.runs.using, 'composite');
  assert.ok(action.description.length > 20);
  const expected = [
    'base-url',
    'backend',
    'model',
    'api-key',
    'base-ref',
    'paths',
    'fail-on',
    'max-cost',
    'concurrency',
    'baseline',
    'upload-sarif',
    'sarif-file',
    'node-version',
  ];
  assert.deepEqual(Object.keys(action.inputs).sort(), [...expected].sort());
  for (const [name, input] of Object.entries(action.inputs)) {
    assert.ok(input.description?.length > 10, `input ${name} has no description`);
    assert.equal(typeof input.default, 'string', `input ${name} has no default`);
  }
  assert.equal(action.inputs['fail-on']!.default, 'error');
  assert.equal(action.inputs['upload-sarif']!.default, 'true');
  assert.ok(action.outputs['exit-code']!.value.includes('steps.review.outputs.exit-code'));
});

test('action.yml: installs without the local-model runtime, reviews the diff, uploads SARIF, fails by policy', () => {
  const steps = action.runs.steps;
  const install = steps.find((s) => s.run?.includes('npm ci'));
  assert.ok(install, 'no install step');
  assert.match(install.run!, /--omit=optional/);
  const pkg = JSON.parse(read('package.json')) as { dependencies: Record<string, string>; optionalDependencies?: Record<string, string> };
  assert.ok(pkg.optionalDependencies?.['node-llama-cpp'], 'node-llama-cpp must be optional for --omit=optional to leave it out');
  assert.equal(pkg.dependencies['node-llama-cpp'], undefined);

  const review = steps.find((s) => s.id === 'review')!;
  assert.match(review.run!, /--diff "\$base"/);
  assert.match(review.run!, /--format sarif/);
  assert.match(review.run!, /GITHUB_BASE_REF/);
  assert.equal(review.env!.THINKLENS_API_KEY, '${{ inputs.api-key }}');

  const upload = steps.find((s) => s.uses?.startsWith('github/codeql-action/upload-sarif@'));
  assert.ok(upload, 'no SARIF upload');
  assert.match(upload.if!, /always\(\)/, 'the SARIF must be uploaded even when the gate fails');
  assert.equal(upload.with!.sarif_file, '${{ inputs.sarif-file }}');

  const policy = steps[steps.length - 1]!;
  assert.match(policy.run!, /3\)/);
  assert.match(policy.if!, /always\(\)/);
  for (const step of steps) {
    if (step.run) {
      assert.equal(step.shell, 'bash', `step "${step.name}" needs a shell in a composite action`);
      // Inputs pasted into a script are a script-injection hole; they go through env.
      assert.doesNotMatch(step.run, /\$\{\{\s*inputs\./, `step "${step.name}" interpolates an input into its script`);
    }
  }
});

test("README's workflow uses the action with inputs it has, on pull requests, with code-scanning permission and full history", () => {
  const workflow = yamlBlocks(read('README.md')).find((b) => (b as { jobs?: unknown })?.jobs) as {
    on: Record<string, unknown>;
    permissions: Record<string, string>;
    jobs: Record<string, { steps: Step[] }>;
  };
  assert.ok(workflow, 'no workflow in the README');
  assert.ok('pull_request' in workflow.on);
  assert.equal(workflow.permissions['security-events'], 'write');
  const steps = Object.values(workflow.jobs)[0]!.steps;
  const checkout = steps.find((s) => s.uses?.startsWith('actions/checkout@'))!;
  assert.equal((checkout.with as Record<string, unknown>)['fetch-depth'], 0);
  const use = steps.find((s) => s.uses?.startsWith('thinklens/thinklens@'))!;
  assert.ok(use, 'the workflow does not use the action');
  for (const key of Object.keys(use.with ?? {}))
    assert.ok(key in action.inputs, `the README passes "${key}", which action.yml does not take`);
});

test('docs/ci.md: the GitLab job reviews the merge request diff, shards, and reports Code Quality', () => {
  const [gitlab] = yamlBlocks(read('docs/ci.md')) as {
    thinklens: { script: string[]; parallel: number; artifacts: { reports: { codequality: string } } };
  }[];
  const job = gitlab!.thinklens;
  const command = job.script.find((line) => line.includes('cli.js review'))!;
  assert.match(command, /--diff "origin\/\$CI_MERGE_REQUEST_TARGET_BRANCH_NAME"/);
  assert.match(command, /--format codequality > gl-code-quality-report\.json/);
  assert.match(command, /--shard "\$CI_NODE_INDEX\/\$CI_NODE_TOTAL"/);
  assert.equal(job.artifacts.reports.codequality, 'gl-code-quality-report.json');
  assert.ok(job.script.some((line) => line.includes('--omit=optional')));
});
