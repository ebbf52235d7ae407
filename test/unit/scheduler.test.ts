import { test, mock } from 'node:test';
import assert from 'node:assert/strict';
import { readFile, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { JobScheduler } from '../../src/scheduler/jobs.js';
import { missedRuns } from '../../src/scheduler/missed-runs.js';
import { scheduleSchema, type ScheduleAction } from '../../src/scheduler/schedule-schema.js';
import { silentLogger } from '../../src/ops/logger.js';
import { tempDir } from '../helpers/site.js';

const flush = () => new Promise((r) => setImmediate(r));

async function advance(ms: number, step = 1000): Promise<void> {
  for (let t = 0; t < ms; t += step) {
    mock.timers.tick(step);
    await flush();
  }
}

test('missed runs are counted between the last watch and now, in the job time zone', () => {
  const since = new Date('2026-11-20T12:00:00Z');
  const now = new Date('2026-11-25T12:00:00Z');
  assert.deepEqual(missedRuns('0 22 * * *', 'UTC', since, now).count, 5);
  // 22:00 in Shanghai is 14:00 UTC: five runs between the 20th 12:00Z and the 25th 12:00Z as well,
  // but the last one is on the 24th at 14:00Z.
  const shanghai = missedRuns('0 22 * * *', 'Asia/Shanghai', since, now);
  assert.equal(shanghai.count, 5);
  assert.equal(shanghai.last?.toISOString(), '2026-11-24T14:00:00.000Z');
  assert.deepEqual(missedRuns('*/5 * * * *', 'UTC', since, new Date(since.getTime() + 3_600_000)).count, 12);
});

test('schedule config: cron expressions and time zones are checked', () => {
  const ok = scheduleSchema.safeParse({ name: 'lights-off', cron: '0 22 * * *', timezone: 'Europe/Berlin', action: { type: 'snapshot' } });
  assert.ok(ok.success);
  const bad = scheduleSchema.safeParse({ name: 'x', cron: '0 25 * *', timezone: 'Mars/Olympus', action: { type: 'snapshot' } });
  assert.ok(!bad.success);
  const messages = bad.error.issues.map((i) => `${i.path.join('.')}: ${i.message}`);
  assert.ok(messages.some((m) => /^cron: cron expression needs 5 fields/.test(m)), messages.join('\n'));
  assert.ok(messages.some((m) => /^timezone: unknown time zone/.test(m)), messages.join('\n'));
  const badHour = scheduleSchema.safeParse({ name: 'x', cron: '0 25 * * *', action: { type: 'snapshot' } });
  assert.ok(!badHour.success);
  assert.match(badHour.error.issues[0]?.message ?? '', /hour/i);
});

test('a scheduled write runs at its wall-clock time (injected clock), and only then', async (t) => {
  const tmp = await tempDir();
  t.after(() => tmp.remove());
  mock.timers.enable({ apis: ['setTimeout', 'setInterval', 'Date'], now: new Date('2026-11-25T21:58:30Z').getTime() });
  t.after(() => mock.timers.reset());
  const calls: { at: string; action: ScheduleAction; by: string }[] = [];
  const schedule = scheduleSchema.parse({ name: 'lights-off', cron: '0 22 * * *', timezone: 'UTC', action: { type: 'write', device: 'ahu-01', point: 'fan_enable', value: false } });
  const jobs = new JobScheduler([schedule], async (action, by) => calls.push({ at: new Date().toISOString(), action, by }), path.join(tmp.dir, 'schedules.json'), silentLogger());
  await jobs.start();
  await advance(60_000);
  assert.equal(calls.length, 0, 'nothing before 22:00');
  await advance(60_000);
  assert.equal(calls.length, 1);
  assert.equal(calls[0]?.at, '2026-11-25T22:00:00.000Z');
  assert.equal(calls[0]?.by, 'schedule:lights-off');
  assert.deepEqual(calls[0]?.action, { type: 'write', device: 'ahu-01', point: 'fan_enable', value: false });
  assert.equal(jobs.status()[0]?.nextRun, '2026-11-26T22:00:00.000Z');
  await jobs.stop();
  const saved = JSON.parse(await readFile(path.join(tmp.dir, 'schedules.json'), 'utf8')) as Record<string, { lastRun: string }>;
  assert.equal(saved['lights-off']?.lastRun, '2026-11-25T22:00:00.000Z');
});

test('a job never overlaps itself: a run still busy at the next tick is not started twice', async (t) => {
  const tmp = await tempDir();
  t.after(() => tmp.remove());
  mock.timers.enable({ apis: ['setTimeout', 'setInterval', 'Date'], now: new Date('2026-11-25T10:00:00.500Z').getTime() });
  t.after(() => mock.timers.reset());
  let running = 0;
  let maxRunning = 0;
  let started = 0;
  let release: () => void = () => undefined;
  const schedule = scheduleSchema.parse({ name: 'meter', cron: '* * * * * *', action: { type: 'poll', device: 'meter-01' } });
  const jobs = new JobScheduler([schedule], async () => {
    started++;
    running++;
    maxRunning = Math.max(maxRunning, running);
    await new Promise<void>((r) => (release = r));
    running--;
  }, path.join(tmp.dir, 'schedules.json'), silentLogger());
  await jobs.start();
  await advance(5000);
  assert.equal(started, 1, 'the busy run blocks the next four ticks');
  release();
  await flush();
  await advance(2000);
  assert.equal(maxRunning, 1);
  assert.ok(started >= 2, 'runs resume once the busy one ended');
  release();
  await jobs.stop();
});

test('runs missed while the gateway was down are reported at start, not replayed', async (t) => {
  const tmp = await tempDir();
  t.after(() => tmp.remove());
  const stateFile = path.join(tmp.dir, 'schedules.json');
  await writeFile(stateFile, JSON.stringify({ 'lights-off': { lastRun: '2026-11-21T22:00:00.000Z', seenUntil: '2026-11-22T08:00:00.000Z' } }));
  mock.timers.enable({ apis: ['setTimeout', 'setInterval', 'Date'], now: new Date('2026-11-25T08:00:00Z').getTime() });
  t.after(() => mock.timers.reset());
  const calls: string[] = [];
  const schedule = scheduleSchema.parse({ name: 'lights-off', cron: '0 22 * * *', action: { type: 'snapshot' } });
  const jobs = new JobScheduler([schedule], async (_a, by) => calls.push(by), stateFile, silentLogger());
  await jobs.start();
  await advance(10_000);
  assert.deepEqual(calls, [], 'nothing replayed');
  const status = jobs.status()[0];
  assert.equal(status?.missedWhileDown, 3, 'the 22nd, 23rd and 24th at 22:00');
  assert.equal(status?.lastRun, '2026-11-21T22:00:00.000Z');
  await jobs.stop();
});
