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

/** Comment lines in several scripts, as real code carries them. */
export const COMMENTS = {
  chinese: (n: number) => `  // 第${n}个函数：遍历数组中的每一个元素，累加它们的值；注意循环的边界条件，否则会读取数组末尾之后的元素。`,
  japanese: (n: number) =>
    `  // 関数${n}：配列の各要素を順に足し合わせます。ループの境界条件が正しくないと、配列の末尾を越えて読み取ります。`,
  english: (n: number) => `  // Function ${n}: adds up every element of the array; the loop bound must stop before the end.`,
} as const;

/**
 * Like `sourceWithLoops`, with a comment line (from `comment`) before every statement of each
 * function: a file whose comments are in another script counts far more tokens per character.
 */
export function commentedSourceWithLoops(lineCount: number, bugLines: readonly number[], comment: (n: number) => string): string {
  const lines: string[] = [];
  let n = 0;
  while (lines.length < lineCount) {
    n++;
    lines.push(
      `export function total${n}(xs: readonly number[]): number {`,
      comment(n),
      '  let sum = 0;',
      comment(n + 1),
      '  for (let i = 0; i < xs.length; i++) {',
      `    sum += xs[i] * ${n};`,
      '  }',
      comment(n + 2),
      '  return sum;',
      '}',
      '',
    );
  }
  lines.length = lineCount;
  for (const at of bugLines) {
    lines[at - 1] = '  for (let i = 0; i <= xs.length; i++) {';
  }
  return `${lines.join('\n')}\n`;
}

/**
 * Minified JavaScript: `lines` long lines of 20 statements each, as bundlers write it, and one
 * line (`bugLine`, 1-based) holding the off-by-one loop.
 */
export function minifiedWithLoop(lines: number, bugLine: number): string {
  const out: string[] = [];
  for (let line = 1; line <= lines; line++) {
    if (line === bugLine) {
      out.push('function t(a){let s=0;for (let i = 0; i <= a.length; i++) {s+=a[i]}return s}');
      continue;
    }
    let text = '';
    for (let k = 0; k < 20; k++) {
      const i = line * 20 + k;
      text += `var a${i.toString(36)}=function(e,t){return e[${i % 7}]*t+${i}},b${i.toString(36)}={k:"v${i}",n:${i * 3}};`;
    }
    out.push(text);
  }
  return `${out.join('\n')}\n`;
}
