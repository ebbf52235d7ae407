/**
 * Cost of keeping recent logs in memory: lines per second through the real logger (redaction on)
 * into a null sink, with and without the ring as a second destination, and the heap the full ring
 * holds. Bounded: a fixed number of lines per run.
 */
import { LogRing } from '../src/ops/log-ring.js';
import { createLogger } from '../src/ops/logger.js';
import type { BenchResult } from './types.js';

const LINES = 100_000;

function linesPerSecond(ring: LogRing | undefined): number {
  const logger = createLogger('info', { write: () => undefined }, ring).child({ module: 'devices' });
  const start = performance.now();
  for (let i = 0; i < LINES; i++) logger.info({ device: `agv-${i % 50}`, group: 'fast', samples: i }, 'poll cycle done');
  return LINES / ((performance.now() - start) / 1000);
}

export async function logRing(): Promise<BenchResult[]> {
  linesPerSecond(undefined); // warm-up
  linesPerSecond(new LogRing());
  const plain = linesPerSecond(undefined);
  const ringed = linesPerSecond(new LogRing());
  global.gc?.();
  const before = process.memoryUsage().heapUsed;
  const ring = new LogRing();
  const logger = createLogger('info', { write: () => undefined }, ring);
  for (let i = 0; i < 10_000; i++) logger.warn({ device: `agv-${i % 50}`, err: 'x'.repeat(i % 400) }, 'device connect failed');
  global.gc?.();
  const held = process.memoryUsage().heapUsed - before;
  const { lines, bytes } = ring.stats();
  return [
    { name: 'log-ring: logger throughput (lines/s, null sink)', figures: { withoutRing: Math.round(plain), withRing: Math.round(ringed), ratio: ringed / plain } },
    { name: 'log-ring: full ring (default bounds)', figures: { lines, textBytes: bytes, heapDeltaBytes: held, gcExposed: global.gc ? 'yes' : 'no (run node with --expose-gc)' } },
  ];
}
