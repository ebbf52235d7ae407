/** Backpressure from the queue: callers wait only once more than `limit` samples wait for the disk. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { PendingAppends } from '../../src/pipeline/pending-appends.js';

function deferred(): { promise: Promise<void>; resolve: () => void } {
  let resolve = (): void => undefined;
  const promise = new Promise<void>((r) => (resolve = r));
  return { promise, resolve };
}

test('pending appends: no waiting while the disk keeps up; waiting past the limit; counts drop as appends land', async () => {
  const p = new PendingAppends(100);
  const a = deferred();
  const b = deferred();
  assert.equal(p.track(a.promise, 60), undefined, '60 pending: poll on');
  const wait = p.track(b.promise, 60);
  assert.ok(wait instanceof Promise, '120 pending: the caller waits');
  assert.equal(p.pendingSamples, 120);
  let waited = false;
  const done = wait.then(() => (waited = true));
  a.resolve();
  await a.promise;
  await new Promise((r) => setImmediate(r));
  assert.equal(p.pendingSamples, 60);
  assert.equal(waited, false, 'the wait is for its own append');
  b.resolve();
  await done;
  assert.equal(p.pendingSamples, 0);
  assert.equal(p.size, 0);
  const c = deferred();
  void p.track(c.promise, 500);
  const drained = p.drain();
  c.resolve();
  await drained;
  assert.equal(p.pendingSamples, 0);
});
