// The editor's memory of findings, without VS Code: what the person dismissed and how they marked
// each finding, keyed by fingerprint, written to workspace storage on every change, read back after
// a reload, bounded, and never trusting what it reads.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { FINDING_MEMORY_KEY, FindingMemory, type MemoryStorage } from '../../src/extension/findingMemory';

/** A Memento-like store that keeps what was written as JSON, as VS Code's workspaceState does. */
function storage(initial?: unknown): MemoryStorage & { writes: number; data: Map<string, unknown> } {
  const data = new Map<string, unknown>();
  if (initial !== undefined) data.set(FINDING_MEMORY_KEY, JSON.parse(JSON.stringify(initial)));
  const store = {
    writes: 0,
    data,
    get: (key: string) => data.get(key),
    update: (key: string, value: unknown) => {
      store.writes++;
      data.set(key, JSON.parse(JSON.stringify(value)));
      return Promise.resolve();
    },
  };
  return store;
}

const A = 'a'.repeat(32);
const B = 'b'.repeat(32);

test('a dismissed fingerprint is remembered, written to storage, and read back by a new memory (a window reload)', () => {
  const store = storage();
  const memory = new FindingMemory(store);
  assert.equal(memory.isDismissed(A), false);
  memory.dismiss(A, 'Off-by-one', 1000);
  assert.equal(memory.isDismissed(A), true);
  assert.equal(memory.isDismissed(B), false);
  assert.equal(store.writes, 1);
  const reloaded = new FindingMemory(store);
  assert.equal(reloaded.isDismissed(A), true);
  assert.equal(reloaded.dismissedCount, 1);
});

test('undismiss forgets the fingerprint, and the forgetting is stored too', () => {
  const store = storage();
  const memory = new FindingMemory(store);
  memory.dismiss(A, 'Off-by-one', 1);
  assert.equal(memory.undismiss(A), true);
  assert.equal(memory.isDismissed(A), false);
  assert.equal(memory.undismiss(A), false, 'nothing to undo the second time');
  assert.equal(new FindingMemory(store).isDismissed(A), false);
});

test('feedback is one mark per fingerprint: set, replaced, cleared, and kept across a reload', () => {
  const store = storage();
  const memory = new FindingMemory(store);
  assert.equal(memory.feedback(A), undefined);
  memory.setFeedback(A, 'helpful', 1);
  assert.equal(memory.feedback(A), 'helpful');
  memory.setFeedback(A, 'not-helpful', 2);
  assert.equal(memory.feedback(A), 'not-helpful');
  memory.setFeedback(B, 'helpful', 3);
  assert.equal(new FindingMemory(store).feedback(A), 'not-helpful');
  memory.setFeedback(A, undefined, 4);
  assert.equal(memory.feedback(A), undefined);
  assert.equal(new FindingMemory(store).feedback(A), undefined);
  assert.equal(new FindingMemory(store).feedback(B), 'helpful');
});

test('"show dismissed" is the window\'s choice: reversible, and a reload hides dismissed findings again', () => {
  const store = storage();
  const memory = new FindingMemory(store);
  memory.dismiss(A, 'x', 1);
  assert.equal(memory.showDismissed, false);
  memory.setShowDismissed(true);
  assert.equal(memory.showDismissed, true);
  memory.setShowDismissed(false);
  assert.equal(memory.showDismissed, false);
  memory.setShowDismissed(true);
  assert.equal(new FindingMemory(store).showDismissed, false);
});

test('an empty fingerprint is never remembered (it would match every finding without one)', () => {
  const store = storage();
  const memory = new FindingMemory(store);
  memory.dismiss('', 'x', 1);
  memory.setFeedback('', 'helpful', 1);
  assert.equal(memory.isDismissed(''), false);
  assert.equal(memory.feedback(''), undefined);
  assert.equal(store.writes, 0);
});

test('stored memory that is not ours, of another version or malformed, is skipped entry by entry', () => {
  assert.equal(new FindingMemory(storage('junk')).dismissedCount, 0);
  assert.equal(new FindingMemory(storage({ version: 2, dismissed: { [A]: { at: 1, title: 'x' } } })).dismissedCount, 0);
  const mixed = new FindingMemory(
    storage({
      version: 1,
      dismissed: { [A]: { at: 1, title: 'ok' }, [B]: { at: 'yesterday' }, ['c'.repeat(5000)]: { at: 1, title: 'too long a key' } },
      feedback: { [A]: { mark: 'helpful', at: 1 }, [B]: { mark: 'love it', at: 1 } },
    }),
  );
  assert.equal(mixed.isDismissed(A), true);
  assert.equal(mixed.isDismissed(B), false);
  assert.equal(mixed.dismissedCount, 1);
  assert.equal(mixed.feedback(A), 'helpful');
  assert.equal(mixed.feedback(B), undefined);
});

test('the memory is bounded: past the limit the oldest entries are forgotten first', () => {
  const store = storage();
  const memory = new FindingMemory(store, { maxEntries: 3 });
  for (let i = 0; i < 5; i++) memory.dismiss(String(i).repeat(32), `finding ${i}`, 100 + i);
  assert.equal(memory.dismissedCount, 3);
  assert.deepEqual(
    ['0', '1', '2', '3', '4'].map((d) => memory.isDismissed(d.repeat(32))),
    [false, false, true, true, true],
  );
  for (let i = 0; i < 5; i++) memory.setFeedback(String(i).repeat(32), 'helpful', 200 + i);
  assert.equal(new FindingMemory(store, { maxEntries: 3 }).feedback('0'.repeat(32)), undefined);
  assert.equal(new FindingMemory(store, { maxEntries: 3 }).feedback('4'.repeat(32)), 'helpful');
});

test('listeners hear every change, so the editor can refresh its diagnostics and the panel', () => {
  const memory = new FindingMemory(storage());
  const heard: string[] = [];
  memory.onDidChange((what) => heard.push(what));
  memory.dismiss(A, 'x', 1);
  memory.dismiss(A, 'x', 2); // already dismissed: nothing changes
  memory.setShowDismissed(true);
  memory.setShowDismissed(true);
  memory.setFeedback(A, 'helpful', 3);
  memory.undismiss(A);
  assert.deepEqual(heard, ['dismissed', 'shown', 'feedback', 'dismissed']);
});
