// A long TypeScript file for window tests: small, plausible functions, with an off-by-one loop
// (`i <= xs.length`) planted at the given lines. The Ollama replay server's model reports exactly
// those loops when it can see them and the instructions.

/** `lineCount` lines; `bugLines` (1-based) hold `for (let i = 0; i <= …length; i++) {`. */
export function sourceWithLoops(lineCount: number, bugLines: readonly number[]): string {
  const lines: string[] = [];
  let n = 0;
  while (lines.length < lineCount) {
    n++;
    const block = [
      `export function total${n}(xs: readonly number[]): number {`,
      '  let sum = 0;',
      '  for (let i = 0; i < xs.length; i++) {',
      `    sum += xs[i] * ${n};`,
      '  }',
      '  return sum;',
      '}',
      '',
    ];
    lines.push(...block);
  }
  lines.length = lineCount;
  for (const at of bugLines) {
    lines[at - 1] = '  for (let i = 0; i <= xs.length; i++) {';
  }
  return `${lines.join('\n')}\n`;
}
