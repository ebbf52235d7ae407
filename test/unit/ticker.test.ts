import { test, mock } from 'node:test';
import assert from 'node:assert/strict';
import { Ticker } from '../../src/scheduler/ticker.js';
import { RateMeter } from '../../src/ops/rate.js';

test('ticks land on a fixed schedule: late callbacks do not push later ticks back', () => {
  mock.timers.enable({ apis: ['setTimeout', 'Date'], now: 1_000_000 });
  try {
    const seen: number[] = [];
    const ticker = new Ticker(100, (t) => {
      seen.push(t);
      if (seen.length === 1) mock.timers.tick(30); // the first tick's work takes 30 ms
    });
    ticker.start();
    mock.timers.tick(70); // now 1_000_100: the next tick is due now, not 30 ms later
    mock.timers.tick(100);
    mock.timers.tick(100);
    ticker.stop();
    assert.deepEqual(seen, [1_000_000, 1_000_100, 1_000_200, 1_000_300]);
    assert.equal(ticker.missed, 0);
  } finally {
    mock.timers.reset();
  }
});

test('ticks that fell due while the process was blocked are skipped and counted, not fired in a burst', () => {
  mock.timers.enable({ apis: ['setTimeout', 'Date'], now: 0 });
  try {
    const seen: number[] = [];
    const ticker = new Ticker(100, (t) => {
      seen.push(t);
      if (seen.length === 1) mock.timers.tick(350); // blocked for 3.5 intervals
    });
    ticker.start();
    mock.timers.tick(100);
    ticker.stop();
    assert.deepEqual(seen, [0, 400]);
    assert.equal(ticker.missed, 3);
  } finally {
    mock.timers.reset();
  }
});

test('rate meter averages whole seconds of a sliding window', () => {
  let now = 0;
  const rate = new RateMeter(10, () => now);
  assert.equal(rate.perSecond(), 0);
  for (let s = 0; s < 20; s++) {
    now = s * 1000 + 500;
    rate.add(s < 10 ? 5 : 20);
  }
  now = 20_000;
  assert.equal(rate.perSecond(), 20);
});
