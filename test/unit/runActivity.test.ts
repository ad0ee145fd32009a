import { strict as assert } from 'node:assert';
import { describe, it } from 'node:test';
import { RunActivity } from '../../src/extension/runActivity';

describe('RunActivity (what the status bar says about runs)', () => {
  it('keeps showing the runs still in flight when one of them ends', () => {
    const activity = new RunActivity();
    activity.started('a');
    activity.started('b');
    assert.equal(activity.state, 'thinking');
    assert.equal(activity.label, '2 runs: 2 thinking');
    activity.ended('b', 'done');
    assert.equal(activity.state, 'thinking', 'one run ending made the status idle while another still runs');
    assert.equal(activity.label, 'thinking');
    activity.ended('a', 'done');
    assert.equal(activity.state, 'idle');
    assert.equal(activity.label, '');
  });

  it('says answering only once every run in flight answers', () => {
    const activity = new RunActivity();
    activity.started('a');
    activity.started('b');
    activity.answering('a');
    assert.equal(activity.state, 'thinking');
    assert.equal(activity.label, '2 runs: 1 thinking, 1 answering');
    activity.answering('b');
    assert.equal(activity.state, 'answering');
  });

  it('shows an error until the next run starts; a cancel or an unknown run changes nothing', () => {
    const activity = new RunActivity();
    activity.started('a');
    activity.ended('a', 'error');
    assert.equal(activity.state, 'error');
    activity.ended('never-started', 'done');
    activity.answering('never-started');
    assert.equal(activity.state, 'error');
    activity.started('b');
    assert.equal(activity.state, 'thinking');
    activity.ended('b', 'cancelled');
    assert.equal(activity.state, 'idle');
    assert.equal(activity.running, 0);
  });
});
