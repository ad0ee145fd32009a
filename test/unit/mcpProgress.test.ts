// The reasoning as MCP progress (src/mcp/progress.ts): cut into sentences and lines whatever the
// wire's pieces, a long run without either cut at a space, pieces queued between notifications
// sent together, and an unfinished sentence sent when the stream ends.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { pieceEnd, reasoningProgress } from '../../src/mcp/progress';

/** No rate limit and no idle flush: what is sent depends only on the text. */
const NO_CLOCK = { minIntervalMs: 0, maxPieceChars: 40, idleFlushMs: 3_600_000 };

test('pieces end after a sentence and a space, or a newline; a long run is cut at its last space', () => {
  assert.equal(pieceEnd('Check i. Then', 40), 'Check i. '.length);
  assert.equal(pieceEnd('items.length is', 40), -1, 'a dot inside a word is not a sentence end');
  assert.equal(pieceEnd('first line\nsecond', 40), 'first line\n'.length);
  assert.equal(pieceEnd('a'.repeat(10) + ' ' + 'b'.repeat(40), 40), 11);
});

test('text cut anywhere on the wire arrives as whole sentences, labelled per file and sample', () => {
  const sent: { message: string; progress: number }[] = [];
  const progress = reasoningProgress((message, value) => void sent.push({ message, progress: value }), NO_CLOCK);
  const sink = progress.sink('src/a.ts sample 2');
  const text = 'The bound is i <= items.length. So the last pass overruns! Is that reachable?\nYes: always';
  for (let i = 0; i < text.length; i += 3) sink.write(text.slice(i, i + 3));
  sink.end();
  progress.flush();
  const pieces = sent.flatMap((s) => s.message.split('\n'));
  assert.deepEqual(pieces, [
    '[src/a.ts sample 2] The bound is i <= items.length.',
    '[src/a.ts sample 2] So the last pass overruns!',
    '[src/a.ts sample 2] Is that reachable?',
    '[src/a.ts sample 2] Yes: always',
  ]);
  assert.deepEqual(
    sent.map((s) => s.progress),
    [...sent.map((s) => s.progress)].sort((a, b) => a - b),
    'progress never goes down',
  );
  progress.dispose();
});

test('pieces that arrive within the interval go out in one notification; control characters are neutralized', () => {
  const sent: string[] = [];
  const progress = reasoningProgress((message) => void sent.push(message), { ...NO_CLOCK, minIntervalMs: 3_600_000 });
  const sink = progress.sink('');
  sink.write('One. Two. Three \u001b[2J done. ');
  // The first piece goes at once; the rest wait for the interval, then go together.
  assert.deepEqual(sent, ['One.']);
  progress.flush();
  assert.deepEqual(sent, ['One.', 'Two.\nThree \u241b[2J done.']);
  progress.dispose();
});

test('flush resolves only once the last piece is written, so the tool result cannot overtake it', async () => {
  let release: () => void = () => undefined;
  const written: string[] = [];
  const progress = reasoningProgress(
    (message) =>
      new Promise<void>((resolve) => {
        release = () => {
          written.push(message);
          resolve();
        };
      }),
    { ...NO_CLOCK, minIntervalMs: 3_600_000 },
  );
  const sink = progress.sink('');
  sink.write('First. ');
  release();
  sink.write('Second. ');
  let flushed = false;
  const flushing = progress.flush().then(() => (flushed = true));
  await new Promise((resolve) => setImmediate(resolve));
  assert.equal(flushed, false, 'flush waits for the write');
  release();
  await flushing;
  assert.deepEqual(written, ['First.', 'Second.']);
  progress.dispose();
});
