// Quality benchmark, not a timing one: how well findings land and how well fixes apply. Runs the
// placement corpus (test/fixtures/placement, format in its README) through parseAnswer and the
// whole-line fix applier (test/support/applyFix.ts) and writes bench/results/placement.md:
// findings on the exact expected range, on the right line, wrongly placed (must be 0); fixes
// producing the intended file, refusals that were right, wrong edits (must be 0). Then a synthetic
// sweep (test/support/placementSweep.ts) over every three-line block of the corpus files: which
// lines a fix replaces when the quote falls inside a multi-line claim.
//
//   node --import tsx bench/placement.ts                       # writes bench/results/placement.md
//   node --import tsx bench/placement.ts --compare a0ab568     # history rows for other engines
//   node --import tsx bench/placement.ts --no-compare --stdout # current engine only, print only
//
// History rows score `src/core` as it was at earlier commits on today's corpus: each is extracted
// with `git archive` into a temporary directory and scored there in a child process.

import { execFileSync } from 'node:child_process';
import { cpSync, mkdtempSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { CORPUS_DIR, evaluateCase, figuresOf, loadCorpus, percent, type CaseResult, type Figures } from '../test/support/placementCorpus';
import { sweepFixOffsets, type SweepRow } from '../test/support/placementSweep';

/** Engines worth comparing against, oldest first: before the corpus existed, and when the held-out cases were written. */
const DEFAULT_HISTORY: readonly { rev: string; label: string }[] = [
  { rev: 'a0ab568', label: 'before the placement corpus (a0ab568)' },
  { rev: 'db78bf4', label: 'after the changes for the first 44 cases, when the held-out cases were written (db78bf4)' },
];

const root = join(import.meta.dirname, '..');
const args = process.argv.slice(2);
const toStdout = args.includes('--stdout');
const compareArg = args.includes('--compare') ? args[args.indexOf('--compare') + 1] : undefined;
const history = args.includes('--no-compare')
  ? []
  : compareArg
    ? compareArg
        .split(',')
        .filter(Boolean)
        .map((rev) => ({ rev, label: rev }))
    : DEFAULT_HISTORY;

type SetName = 'first 44' | 'second 10' | 'all';

function bySet(results: readonly CaseResult[]): Record<SetName, Figures> {
  return {
    'first 44': figuresOf(results.filter((r) => !r.case.heldOut)),
    'second 10': figuresOf(results.filter((r) => r.case.heldOut)),
    all: figuresOf(results),
  };
}

// ---- a child process scoring another engine ----

const CHILD_SCRIPT = `
import { evaluateCase, figuresOf, loadCorpus } from './test/support/placementCorpus';
import { sweepFixOffsets } from './test/support/placementSweep';
const corpus = loadCorpus(process.argv[2]);
const results = corpus.map(evaluateCase);
const pick = (held) => figuresOf(results.filter((r) => held === undefined || r.case.heldOut === held));
const sets = { 'first 44': pick(false), 'second 10': pick(true), all: pick(undefined) };
process.stdout.write(JSON.stringify({ sets, sweep: sweepFixOffsets(corpus) }));
`;

interface Scored {
  readonly sets: Record<SetName, Figures>;
  readonly sweep: readonly SweepRow[];
}

function scoreAt(rev: string): Scored | string {
  const dir = mkdtempSync(join(tmpdir(), 'thinklens-placement-'));
  try {
    const archive = execFileSync('git', ['archive', rev, 'src/core'], { cwd: root, maxBuffer: 64 * 1024 * 1024 });
    execFileSync('tar', ['-x', '-C', dir], { input: archive });
    cpSync(join(root, 'test', 'support', 'placementCorpus.ts'), join(dir, 'test', 'support', 'placementCorpus.ts'));
    for (const file of ['applyFix.ts', 'placementSweep.ts']) {
      cpSync(join(root, 'test', 'support', file), join(dir, 'test', 'support', file));
    }
    symlinkSync(join(root, 'node_modules'), join(dir, 'node_modules'), 'dir');
    writeFileSync(join(dir, 'score.ts'), CHILD_SCRIPT);
    const out = execFileSync(process.execPath, ['--import', 'tsx', join(dir, 'score.ts'), CORPUS_DIR], {
      cwd: dir,
      encoding: 'utf8',
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    return JSON.parse(out) as Scored;
  } catch (error) {
    return `could not score ${rev}: ${error instanceof Error ? error.message.split('\n')[0] : String(error)}`;
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

// ---- the table ----

const MISTAKES: Readonly<Record<string, string>> = {
  'lines-off': 'finding lines off by 1–5',
  'fix-lines-off': 'fix lines off like the finding',
  'fix-lines-off-alone': 'fix lines off, finding right',
  'selection-relative-lines': 'lines counted from the selection start',
  'lines-as-strings': 'lines as strings ("L30-L31", "16")',
  'lines-reversed': 'start and end line swapped',
  'quote-whitespace': 'quote with collapsed or altered whitespace',
  'quote-twice': 'quoted code appears more than once',
  'quote-ambiguous': 'quote equally near two copies',
  'quote-near-duplicate': 'quote whose start repeats nearby',
  'quote-line-prefix': 'quote with a copied "12 | " prefix',
  'quote-truncated': 'quote truncated or elided with ... / …',
  'quote-multiline': 'multi-line quote',
  'quote-middle-line': 'quote from a later claimed line',
  'quote-comment': 'quote from a comment line',
  'quote-altered-quotes': 'quote with \' for "',
  'quote-json-escape': 'quote with a \\n that lost its JSON escape',
  'quote-not-in-file': 'quote not in the file (paraphrased)',
  'same-line-twice': 'two findings on one line',
  'no-quote': 'finding without a quote',
  'fix-indent-col0': 'fix written from column 0',
  'fix-indent-spaces-for-tabs': 'fix with spaces where the file has tabs',
  'fix-fenced': 'fix wrapped in a code fence',
  'fix-line-prefix': 'fix with "12 | " prefixes',
  'fix-multiline': 'fix spanning or growing several lines',
  'fix-outside-selection': 'fix outside the editable lines (refuse)',
  'fix-elided': 'fix eliding code with "// ..." (refuse)',
  'fix-unchanged': 'fix identical to the code (refuse)',
  'fix-json-escape': 'fix with a \\n that lost its JSON escape',
  'fix-repeats-context': 'fix repeating the next line',
  'fix-endline-short': 'fix endLine one short of its closing brace',
  'fix-crlf': 'fix with CRLF in an LF file',
  'fix-array': 'fix as an array of lines',
  'json-repair': 'JSON with comments, trailing commas, bad escapes',
  'json-array': 'bare top-level JSON array',
  'json-bare': 'unfenced JSON after "Final answer:"',
  'fence-unlabelled': 'unlabelled fence',
  'leaked-think': 'reasoning leaked before </think>',
  hunks: 'changed-hunks review',
  crlf: 'CRLF file',
  tabs: 'tab-indented file',
  'non-ascii': 'non-ASCII identifiers or strings',
  'long-file': 'long file (140–260 lines)',
};

function figureRow(name: string, f: Figures): string {
  return [
    name,
    f.cases,
    f.findings,
    `${f.exactRange}/${f.placeable} (${percent(f.exactRange, f.placeable)})`,
    `${f.rightLine}/${f.placeable} (${percent(f.rightLine, f.placeable)})`,
    `${f.uncertainRight}/${f.uncertainExpected}`,
    f.missedPlacements,
    `**${f.wrongPlacements}**`,
    `${f.fixesIntended}/${f.intendedFixes} (${percent(f.fixesIntended, f.intendedFixes)})`,
    f.fixesMissed,
    `${f.refusalsRight}/${f.refusalsExpected}`,
    `**${f.wrongEdits}**`,
    `**${f.outsideEdits}**`,
  ].join(' | ');
}

const FIGURE_HEADER =
  '| set | cases | findings | on the exact range | on the right line | uncertain where expected | missed (left uncertain) | wrong placements | fixes producing the intended file | fixes withheld | refusals right | wrong edits | edits outside |\n' +
  '|---|---|---|---|---|---|---|---|---|---|---|---|---|';

function breakdown(results: readonly CaseResult[], keyOf: (r: CaseResult) => readonly string[], label: (key: string) => string): string[] {
  const keys = [...new Set(results.flatMap(keyOf))].sort();
  return keys.map((key) => {
    const subset = results.filter((r) => keyOf(r).includes(key));
    const f = figuresOf(subset);
    return `| ${label(key)} | ${f.cases} | ${f.exactRange}/${f.placeable} | ${f.uncertainRight}/${f.uncertainExpected} | ${f.wrongPlacements} | ${f.fixesIntended}/${f.intendedFixes} | ${f.refusalsRight}/${f.refusalsExpected} | ${f.wrongEdits + f.outsideEdits} |`;
  });
}

function misses(results: readonly CaseResult[]): string[] {
  const out: string[] = [];
  for (const r of results) {
    for (const f of r.findings) {
      const hit = f.placement === 'exact' && (f.fix === 'intended' || f.fix === 'refused' || f.fix === 'none');
      if (!hit) out.push(`- \`${r.case.id}\` #${f.index + 1} ${f.expected.title}: placement ${f.placement}, fix ${f.fix}. ${f.detail}`);
    }
    if (r.extra.length > 0) out.push(`- \`${r.case.id}\`: ${r.extra.length} unexpected extra finding(s)`);
  }
  return out;
}

function main(): void {
  const started = Date.now();
  const corpus = loadCorpus();
  const results = corpus.map(evaluateCase);
  const sets = bySet(results);
  const sweep = sweepFixOffsets(corpus);
  const head = (() => {
    try {
      return execFileSync('git', ['rev-parse', '--short', 'HEAD'], { cwd: root, encoding: 'utf8' }).trim();
    } catch {
      return 'unknown';
    }
  })();
  const past = history.map(({ rev, label }) => ({ label, figures: scoreAt(rev) }));

  const lines: string[] = [
    '# Placement benchmark',
    '',
    `\`node --import tsx bench/placement.ts\` on ${new Date().toISOString().slice(0, 10)}; Node ${process.version}; engine at ${head} (plus any uncommitted changes); ${Math.round((Date.now() - started) / 100) / 10} s.`,
    '',
    'A quality measurement, not a timing one. Each case of `test/fixtures/placement` is a real-looking buggy file, the',
    'editable ranges of a run, an R1-style answer with the mistakes real models make, and the expected outcome: the exact',
    'range of every finding (or `uncertain`) and the exact file after applying every fix (or `refused`). The answer goes',
    "through `parseAnswer`; each fix is applied as the extension applies it (whole lines, the file's line endings) by",
    '`test/support/applyFix.ts`, which also rejects any edit outside the editable ranges.',
    '',
    'The first 44 cases were written before the engine changes they led to. The second 10 (`heldOut` in their',
    'case.json) were written after those changes and scored before any change was made for them: that score is the',
    "held-out figure, the engine's on answers it was not tuned on, in the history table's row for db78bf4 (29/29 on the",
    'exact range, 19/23 fixes producing the intended file, 4 wrong edits). The engine was changed for them afterwards,',
    'so their figures today are not held-out any more. There is no fresh held-out set yet.',
    '',
    '## Figures',
    '',
    FIGURE_HEADER,
    ...(['first 44', 'second 10', 'all'] as const).map((name) => `| ${figureRow(name, sets[name])} |`),
    '',
    'Rules that must hold: **wrong placements** (a finding confidently on a range other than the expected one, or placed',
    'where `uncertain` was expected) **= 0**, **wrong edits** (an applied fix giving any file but the intended one) **= 0**,',
    '**edits outside** the file or the editable ranges **= 0**.',
  ];

  if (past.length > 0) {
    lines.push(
      '',
      '## Engine history on the same corpus',
      '',
      '| engine | set | on the exact range | fixes producing the intended file | refusals right | wrong placements | wrong edits |',
      '|---|---|---|---|---|---|---|',
    );
    const rows: { label: string; scored: Scored | string }[] = [
      ...past.map((p) => ({ label: p.label, scored: p.figures })),
      { label: `now (${head})`, scored: { sets, sweep } },
    ];
    for (const { label, scored } of rows) {
      if (typeof scored === 'string') {
        lines.push(`| ${label} | – | ${scored} | | | | |`);
        continue;
      }
      for (const name of ['first 44', 'second 10'] as const) {
        const f = scored.sets[name];
        lines.push(
          `| ${label} | ${name} | ${f.exactRange}/${f.placeable} (${percent(f.exactRange, f.placeable)}) | ${f.fixesIntended}/${f.intendedFixes} (${percent(f.fixesIntended, f.intendedFixes)}) | ${f.refusalsRight}/${f.refusalsExpected} | ${f.wrongPlacements} | ${f.wrongEdits + f.outsideEdits} |`,
        );
      }
    }
  }

  const engines: { label: string; rows: readonly SweepRow[] }[] = [
    ...past.flatMap((p) =>
      typeof p.figures === 'string'
        ? []
        : [{ label: p.label.replace(/ \(.*$/, '').replace(/^after the changes.*/, 'first changes'), rows: p.figures.sweep }],
    ),
    { label: 'now', rows: sweep },
  ];
  const cell = (row: SweepRow | undefined): string =>
    row ? `${percent(row.right, row.fixes)} / ${percent(row.withheld, row.fixes)} / **${percent(row.wrong, row.fixes)}**` : '–';
  lines.push(
    '',
    '## Synthetic sweep: which lines does a fix replace?',
    '',
    'At every three-line block of every corpus file (no blank lines, a distinctive quote), a model claims the block',
    "with a fix. Either its lines are right and it quotes the block's second line, or its lines are one or two too",
    "early and it quotes the block's first line, as the prompt asks, which then falls on the claim's second or third",
    'line. From the quote alone the readings look the same; only the fix can tell. Cells: fix on the block / withheld /',
    '**on other lines (a wrong edit)**.',
    '',
    `| true reading | fix | fixes | ${engines.map((e) => e.label).join(' | ')} |`,
    `|---|---|---|${engines.map(() => '---').join('|')}|`,
    ...sweep.map(
      (row) =>
        `| ${row.scenario} | ${row.edit} | ${row.fixes} | ${engines
          .map((e) => cell(e.rows.find((r) => r.scenario === row.scenario && r.edit === row.edit)))
          .join(' | ')} |`,
    ),
  );

  const breakdownHeader = [
    '| cases with | cases | findings on the exact range | uncertain where expected | wrong placements | fixes producing the intended file | refusals right | wrong or outside edits |',
    '|---|---|---|---|---|---|---|---|',
  ];
  lines.push(
    '',
    '## By mistake in the answer (all cases; a case usually has several)',
    '',
    ...breakdownHeader,
    ...breakdown(
      results,
      (r) => r.case.mistakes,
      (key) => MISTAKES[key] ?? key,
    ),
    '',
    '## By language',
    '',
    ...breakdownHeader,
    ...breakdown(
      results,
      (r) => [r.case.languageId],
      (key) => key,
    ),
  );
  const missed = misses(results);
  lines.push('', '## Findings or fixes not as expected', '', ...(missed.length > 0 ? missed : ['None.']));
  lines.push(
    '',
    '## Definitions',
    '',
    '- *On the exact range*: the finding is placed (not uncertain) with `range` equal to the expected line and UTF-16 columns.',
    '- *On the right line*: placed on the expected start and end lines, columns aside.',
    '- *Uncertain where expected*: the quote cannot be placed with confidence (not in the file, or equally near two copies) and the finding says so.',
    "- *Missed (left uncertain)*: a placeable finding left uncertain. Safe: the person sees the model's own lines, marked uncertain.",
    '- *Fixes producing the intended file*: applying the fix gives exactly the expected file, byte for byte (line endings included).',
    '- *Fixes withheld*: a fix with an intended result that the engine refused. Safe, but a loss.',
    '- *Refusals right*: a fix that must not be applied (outside the editable ranges, eliding code, unplaceable, unchanged) was refused with a reason.',
  );

  const text = lines.join('\n') + '\n';
  if (toStdout) process.stdout.write(text);
  else {
    writeFileSync(join(root, 'bench', 'results', 'placement.md'), text);
    process.stdout.write(`wrote bench/results/placement.md\n${figureRow('all', sets.all)}\n`);
  }
}

main();
