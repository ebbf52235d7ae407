/**
 * The recent-logs ring: bounded by lines and bytes, oversize lines shortened but still parseable,
 * newest-N queries with a minimum level, and fed with the redacted output of the real pino logger.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { LOG_QUERY_MAX, LOG_QUERY_MAX_BYTES, LogRing } from '../../src/ops/log-ring.js';
import { createLogger, moduleLogger } from '../../src/ops/logger.js';
import { isGatewayError } from '../../src/errors.js';

const line = (level: number, msg: string, extra: Record<string, unknown> = {}) => `${JSON.stringify({ level, time: 1, msg, ...extra })}\n`;

test('keeps the newest lines within the line bound, oldest first in a query', () => {
  const ring = new LogRing({ maxLines: 5 });
  for (let i = 0; i < 12; i++) ring.write(line(30, `m${i}`));
  assert.deepEqual(ring.query({ limit: 100 }).map((l) => l.msg), ['m7', 'm8', 'm9', 'm10', 'm11']);
  assert.deepEqual(ring.query({ limit: 2 }).map((l) => l.msg), ['m10', 'm11']);
  assert.equal(ring.stats().lines, 5);
  assert.equal(ring.stats().evicted, 7);
});

test('keeps the byte total within the byte bound however many lines fit', () => {
  const ring = new LogRing({ maxLines: 10_000, maxBytes: 2000, maxLineBytes: 500 });
  for (let i = 0; i < 1000; i++) ring.write(line(30, `message ${i} ${'x'.repeat(i % 300)}`));
  const { bytes, lines } = ring.stats();
  assert.ok(bytes <= 2000, `bytes ${bytes}`);
  const kept = ring.query({ limit: LOG_QUERY_MAX });
  assert.equal(kept.length, lines);
  assert.equal(kept.at(-1)?.msg, `message 999 ${'x'.repeat(999 % 300)}`);
  assert.equal(bytes, kept.reduce((n, l) => n + Buffer.byteLength(JSON.stringify(l)), 0));
});

test('an oversize line is shortened to the line bound and still names its level, module and device', () => {
  const ring = new LogRing({ maxLineBytes: 400 });
  ring.write(line(50, `boom ${'é'.repeat(5000)}`, { module: 'devices', device: 'agv-01', detail: 'y'.repeat(10_000) }));
  ring.write('not json at all '.repeat(100));
  const [big, raw] = ring.query({ limit: 10 });
  assert.equal(big?.level, 50);
  assert.equal(big?.module, 'devices');
  assert.equal(big?.device, 'agv-01');
  assert.equal(big?.truncated, true);
  assert.ok(typeof big?.msg === 'string' && big.msg.startsWith('boom éé'));
  assert.ok(Buffer.byteLength(JSON.stringify(big)) <= 400);
  assert.equal(raw?.truncated, true);
  assert.ok(Buffer.byteLength(JSON.stringify(raw)) <= 400);
  assert.equal(ring.stats().truncated, 2);
});

test('minLevel filters, limit is capped, and bad queries get EW_COMMAND_INVALID', () => {
  const ring = new LogRing({ maxLines: 5000, maxBytes: 10_000_000 });
  for (let i = 0; i < 1000; i++) ring.write(line(i % 3 === 0 ? 50 : 30, `m${i}`));
  const errors = ring.query({ limit: 3, minLevel: 'error' });
  assert.deepEqual(errors.map((l) => l.msg), ['m993', 'm996', 'm999']);
  assert.equal(ring.query({ limit: 100_000 }).length, LOG_QUERY_MAX);
  assert.ok(ring.query({ limit: 100, minLevel: 'warn' }).every((l) => l.level === 50));
  for (const bad of [{ limit: 0 }, { limit: 1.5 }, { limit: 10, minLevel: 'loud' }, { limit: 10, maxBytes: 2.5 }]) {
    assert.throws(() => ring.query(bad), (err) => isGatewayError(err) && err.code === 'EW_COMMAND_INVALID' && /limit|minLevel|maxBytes/.test(err.message));
  }
});

test('fed by the logger: the same redacted lines as the main destination, module levels respected', () => {
  const out: string[] = [];
  const ring = new LogRing();
  const logger = createLogger('info', { write: (s: string) => void out.push(s) }, ring);
  logger.info({ config: { cloud: { password: 'cloud-Secret-1' } }, token: 'tok-Secret-2' }, 'effective config');
  logger.debug('not at info');
  const devices = moduleLogger(logger, 'devices', { devices: 'debug' });
  devices.debug({ device: 'agv-01' }, 'module debug line');
  const got = ring.query({ limit: 10 });
  assert.deepEqual(got.map((l) => l.msg), ['effective config', 'module debug line']);
  assert.equal(out.length, 2);
  assert.deepEqual(got, out.map((s) => JSON.parse(s) as unknown));
  const text = JSON.stringify(got);
  assert.ok(!text.includes('Secret'), text);
  assert.ok(text.includes('[redacted]'));
  assert.equal(got[1]?.module, 'devices');
});

test('an answer stays within its byte budget: the newest lines that fit, without gaps', () => {
  const ring = new LogRing({ maxLines: 5000, maxBytes: 4 * 1024 * 1024 });
  for (let i = 0; i < 1000; i++) ring.write(line(30, `m${i} ${'z'.repeat(1000)}`));
  const size = (ls: unknown[]) => ls.reduce<number>((n, l) => n + Buffer.byteLength(JSON.stringify(l)), 0);
  const all = ring.query({ limit: 500 });
  assert.ok(size(all) <= LOG_QUERY_MAX_BYTES && all.length >= 60, `${all.length} lines, ${size(all)} bytes`);
  assert.equal(all.at(-1)?.msg, `m999 ${'z'.repeat(1000)}`);
  const small = ring.query({ limit: 500, maxBytes: 3500 });
  assert.deepEqual(small.map((l) => String(l.msg).split(' ')[0]), ['m997', 'm998', 'm999']);
  assert.throws(() => ring.query({ limit: 5, maxBytes: 0 }), (err) => isGatewayError(err) && err.code === 'EW_COMMAND_INVALID');
});

test('a silent logger feeds nothing', () => {
  const ring = new LogRing();
  const logger = createLogger('silent', { write: () => undefined }, ring);
  logger.fatal('x');
  assert.equal(ring.stats().lines, 0);
});
