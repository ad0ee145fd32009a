// A synthetic sweep over the placement corpus: at every three-line block of every source file,
// a model claims the block with a fix, either with the right lines and its quote taken from the
// block's second line, or with lines one or two too early and its quote from the block's first
// line (which then falls inside the claim but not on its first line). The two cannot be told
// apart from the quote; only the fix can say which lines it replaces. Counts how often the fix
// lands on the block, is withheld, or lands elsewhere (a wrong edit). Used by bench/placement.ts.

import { parseAnswer } from '../../src/core/answerParser';
import type { PlacementCase } from './placementCorpus';

export interface SweepRow {
  /** Which reading is true. */
  readonly scenario: string;
  /** How the fix changes the block. */
  readonly edit: string;
  readonly fixes: number;
  readonly right: number;
  readonly withheld: number;
  readonly wrong: number;
}

const SCENARIOS: readonly { name: string; shift: number; quoteLine: number }[] = [
  { name: 'right lines, quote from the 2nd line', shift: 0, quoteLine: 1 },
  { name: 'lines 1 early, quote from the 1st line', shift: -1, quoteLine: 0 },
  { name: 'lines 2 early, quote from the 1st line', shift: -2, quoteLine: 0 },
];

const EDITS: readonly { name: string; make: (block: readonly string[], indent: string) => string[] | undefined }[] = [
  {
    name: 'one word changed',
    make: (b) => (/\w/.test(b[1]!) ? [b[0]!, b[1]!.replace(/\w+/, (w) => `${w}X`), b[2]!] : undefined),
  },
  { name: 'a line inserted', make: (b, indent) => [b[0]!, `${indent}guard();`, b[1]!, b[2]!] },
  { name: 'middle line rewritten', make: (b, indent) => [b[0]!, `${indent}const replaced = compute(input);`, b[2]!] },
  {
    name: 'all rewritten (no evidence)',
    make: (_b, indent) => [`${indent}if (!ready) return;`, `${indent}const replaced = compute(input);`],
  },
];

export function sweepFixOffsets(cases: readonly PlacementCase[]): SweepRow[] {
  const rows = new Map<string, { scenario: string; edit: string; fixes: number; right: number; withheld: number; wrong: number }>();
  for (const c of cases) {
    const lines = c.fileText.split(/\r\n|\n|\r/);
    const unique = (text: string): boolean => text.length >= 12 && lines.filter((line) => line.trim() === text).length === 1;
    for (let first = 4; first + 2 <= lines.length - 3; first++) {
      const block = lines.slice(first - 1, first + 2);
      if (block.some((line) => line.trim() === '')) continue;
      const indent = /^\s*/.exec(block[1]!)![0];
      for (const scenario of SCENARIOS) {
        const quote = block[scenario.quoteLine]!.trim();
        if (!unique(quote)) continue;
        const claim = { startLine: first + scenario.shift, endLine: first + 2 + scenario.shift };
        for (const edit of EDITS) {
          const replacement = edit.make(block, indent);
          if (!replacement) continue;
          const key = `${scenario.name}\u0000${edit.name}`;
          const row = rows.get(key) ?? { scenario: scenario.name, edit: edit.name, fixes: 0, right: 0, withheld: 0, wrong: 0 };
          rows.set(key, row);
          const answer =
            '```json\n' +
            JSON.stringify({ findings: [{ title: 't', ...claim, quote, fix: { ...claim, replacement: replacement.join('\n') } }] }) +
            '\n```';
          const finding = parseAnswer(answer, {
            kind: 'review',
            path: c.path,
            languageId: c.languageId,
            fileText: c.fileText,
            ranges: [{ startLine: 1, endLine: lines.length }],
          }).findings[0];
          row.fixes++;
          if (!finding?.fix) row.withheld++;
          else if (finding.fix.startLine === first && finding.fix.endLine === first + 2) row.right++;
          else row.wrong++;
        }
      }
    }
  }
  return [...rows.values()];
}
