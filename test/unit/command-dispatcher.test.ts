/**
 * The cloud command dispatcher against a scripted target and an injected clock: the expiry rules
 * (mandatory for write/restart, horizon, on arrival, and again after waiting behind a slow command),
 * duplicate ids (answered from memory, run once, also while running), authorisation, the in-flight
 * cap, schema limits and the bounded response memory. The same paths run over a real cloud broker
 * in test/integration/cloud-commands.test.ts.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { CommandDispatcher } from '../../src/commands/dispatcher.js';
import { commandsConfigSchema, DEFAULT_COMMANDS, NON_WRITE_COMMANDS, type CommandsConfig } from '../../src/commands/config.js';
import { ResponseMemory } from '../../src/commands/memory.js';
import { cloudCommandSchema, type CloudCommandResponse } from '../../src/commands/schema.js';
import type { CommandTarget } from '../../src/commands/target.js';
import { ERROR_CODES } from '../../src/errors.js';
import type { Sample } from '../../src/model/sample.js';
import { silentLogger } from '../../src/ops/logger.js';

const T0 = Date.parse('2026-11-25T20:00:00Z');

interface Gate {
  promise: Promise<void>;
  open(): void;
}
function gate(): Gate {
  let open!: () => void;
  const promise = new Promise<void>((resolve) => (open = resolve));
  return { promise, open };
}

/** A target that records calls; readNow waits for `readGate` when one is set. */
function scripted() {
  const calls: string[] = [];
  let readGate: Gate | undefined;
  const sample = (device: string, point: string, value: number): Sample => ({ device, point, ts: T0, value, quality: 'good' });
  const target: CommandTarget = {
    write: (device, point, value, by) => {
      calls.push(`write ${device}/${point}=${String(value)} by ${by}`);
      return Promise.resolve(sample(device, point, Number(value)));
    },
    readNow: async (device, point) => {
      calls.push(`read ${device}/${point}`);
      await readGate?.promise;
      return sample(device, point, 7);
    },
    unitOf: () => 'm/s',
    statusReport: () => ({ up: true }),
    recentLogs: (q) => [`limit ${q.limit} ${q.minLevel ?? '-'}`],
    effectiveConfig: () => ({ cloud: { password: '[redacted]' } }),
    restartDevice: (device) => {
      calls.push(`restart ${device}`);
      return Promise.resolve();
    },
    rawRead: (device, req) => Promise.resolve({ device, ...req, words: [1, 2] }),
  };
  return { target, calls, block: () => (readGate = gate()), release: () => readGate?.open() };
}

function rig(config: Partial<CommandsConfig> = {}) {
  const clock = { now: T0 };
  const t = scripted();
  const full: CommandsConfig = { ...DEFAULT_COMMANDS, writes: true, allow: [...NON_WRITE_COMMANDS], ...config };
  const d = new CommandDispatcher({ target: t.target, config: () => full, logger: silentLogger(), now: () => clock.now });
  const ask = (req: Record<string, unknown>, ctx = {}) => d.handle(String(req.id), req, ctx);
  return { d, clock, ask, ...t };
}

function refusal(r: CloudCommandResponse): { code: string; message: string } {
  if (r.ok) assert.fail(`expected a refusal, got ${JSON.stringify(r)}`);
  return r;
}

const write = (id: string, extra: Record<string, unknown> = {}) => ({ id, command: 'write', device: 'agv-01', point: 'max_speed', value: 1.2, expiresAt: T0 + 10_000, ...extra });

test('dispatcher: each command runs on the target and answers ok with its result', async () => {
  const { ask, calls } = rig();
  assert.deepEqual(await ask({ id: 'r', command: 'read', device: 'agv-01', points: ['speed', 'heading'] }), {
    id: 'r', ok: true, result: { device: 'agv-01', points: { speed: { ts: T0, value: 7, quality: 'good', unit: 'm/s' }, heading: { ts: T0, value: 7, quality: 'good', unit: 'm/s' } } },
  });
  assert.deepEqual(await ask(write('w', { by: 'ops-anna' })), { id: 'w', ok: true, result: { ts: T0, value: 1.2, quality: 'good', unit: 'm/s' } });
  assert.deepEqual(await ask({ id: 's', command: 'status' }), { id: 's', ok: true, result: { up: true } });
  assert.deepEqual(await ask({ id: 'l', command: 'logs', minLevel: 'warn' }), { id: 'l', ok: true, result: { lines: ['limit 100 warn'] } });
  assert.deepEqual(await ask({ id: 'c', command: 'config' }), { id: 'c', ok: true, result: { cloud: { password: '[redacted]' } } });
  assert.deepEqual(await ask({ id: 'x', command: 'restart-device', device: 'agv-01', expiresAt: new Date(T0 + 5000).toISOString() }), { id: 'x', ok: true, result: { device: 'agv-01', restarted: true } });
  const raw = await ask({ id: 'm', command: 'modbus-read', device: 'agv-01', table: 'input', address: 100, count: 4 });
  assert.deepEqual(raw, { id: 'm', ok: true, result: { device: 'agv-01', table: 'input', address: 100, count: 4, words: [1, 2] } });
  assert.deepEqual(calls, ['read agv-01/speed', 'read agv-01/heading', 'write agv-01/max_speed=1.2 by cloud:ops-anna', 'restart agv-01']);
});

test('dispatcher: write and restart-device need an expiry within maxExpiry; an expired one never runs', async () => {
  const { ask, calls, d } = rig({ maxExpiry: 60_000 });
  const missing = refusal(await ask(write('w1', { expiresAt: undefined })));
  assert.equal(missing.code, ERROR_CODES.COMMAND_INVALID);
  assert.match(missing.message, /write needs an expiry: set expiresAt/);
  assert.equal(refusal(await ask({ id: 'x1', command: 'restart-device', device: 'agv-01' })).code, ERROR_CODES.COMMAND_INVALID);
  const far = refusal(await ask(write('w2', { expiresAt: T0 + 3_600_000 })));
  assert.match(far.message, /3600 s ahead of the gateway clock; at most 60 s \(cloud\.commands\.maxExpiry\)/);
  const past = refusal(await ask(write('w3', { expiresAt: T0 - 1 })));
  assert.equal(past.code, ERROR_CODES.COMMAND_EXPIRED);
  assert.match(past.message, /expired 1 ms ago \(on arrival; expiresAt 2026-11-25T19:59:59.999Z\): not executed/);
  assert.equal(refusal(await ask(write('w4', { expiresAt: '2026-11-25T19:59:00Z' }))).code, ERROR_CODES.COMMAND_EXPIRED, 'ISO date-time');
  // The MQTT 5 message expiry counts as an expiry; the earlier of the two wins.
  assert.ok((await ask(write('w5', { expiresAt: undefined }), { transportExpiresAt: T0 + 1000 })).ok);
  assert.equal(refusal(await ask(write('w6'), { transportExpiresAt: T0 })).code, ERROR_CODES.COMMAND_EXPIRED);
  // A read may carry an expiry but needs none.
  assert.equal(refusal(await ask({ id: 'r1', command: 'read', device: 'agv-01', points: ['speed'], expiresAt: T0 - 5 })).code, ERROR_CODES.COMMAND_EXPIRED);
  assert.deepEqual(calls, ['write agv-01/max_speed=1.2 by cloud:cloud'], 'only the valid write ran');
  assert.equal(d.stats().expired, 4);
});

test('dispatcher: a write that waits behind a slow command of the same device past its expiry is refused, not run late', async () => {
  const { ask, calls, clock, block, release } = rig();
  block();
  const slowRead = ask({ id: 'r1', command: 'read', device: 'agv-01', points: ['speed'] });
  const queuedWrite = ask(write('w1', { expiresAt: T0 + 2000 }));
  const otherDevice = ask(write('w2', { device: 'agv-02', expiresAt: T0 + 2000 }));
  assert.ok((await otherDevice).ok, 'another device does not wait');
  clock.now = T0 + 5000; // the read hangs for 5 s (a slow device)
  release();
  assert.ok((await slowRead).ok);
  const late = refusal(await queuedWrite);
  assert.equal(late.code, ERROR_CODES.COMMAND_EXPIRED);
  assert.match(late.message, /expired 3000 ms ago \(while waiting to run/);
  assert.deepEqual(calls, ['read agv-01/speed', 'write agv-02/max_speed=1.2 by cloud:cloud'], 'the agv-01 write never reached the target');
});

test('dispatcher: a duplicate id is answered from memory and runs once, also while the first runs and past its expiry', async () => {
  const { ask, calls, clock, block, release, d } = rig({ dedupeWindow: 60_000 });
  block();
  const first = ask({ id: 'r1', command: 'read', device: 'agv-01', points: ['speed'] });
  const second = ask({ id: 'r1', command: 'read', device: 'agv-01', points: ['speed'], by: 'retry', responseTopic: 'x/y' });
  release();
  assert.deepEqual(await second, await first);
  assert.deepEqual(calls, ['read agv-01/speed']);

  const w = await ask(write('w1'));
  clock.now = T0 + 30_000; // past the write's expiry, within the window
  assert.deepEqual(await ask(write('w1', { expiresAt: T0 + 40_000 })), w, 'the retry (fresh expiry) learns that the write ran');
  assert.equal(calls.filter((c) => c.startsWith('write')).length, 1);
  const reused = refusal(await ask(write('w1', { value: 1.9 })));
  assert.equal(reused.code, ERROR_CODES.COMMAND_INVALID);
  assert.match(reused.message, /id "w1" was used for a different request/);
  assert.equal(d.stats().duplicates, 3);

  clock.now = T0 + 61_000; // past the window: the id is forgotten
  assert.equal(refusal(await ask(write('w1'))).code, ERROR_CODES.COMMAND_EXPIRED, 'treated as new (and stale)');
});

test('dispatcher: writes are off unless enabled; commands not in allow are denied with the setting named', async () => {
  const { ask, calls } = rig({ writes: false, allow: ['read', 'status'] });
  const w = refusal(await ask(write('w1')));
  assert.equal(w.code, ERROR_CODES.COMMAND_DENIED);
  assert.match(w.message, /set cloud\.commands\.writes: true/);
  for (const req of [{ id: 'c1', command: 'config' }, { id: 'x1', command: 'restart-device', device: 'agv-01', expiresAt: T0 + 1000 }, { id: 'm1', command: 'modbus-read', device: 'a', table: 'coil', address: 0, count: 8 }, { id: 'l1', command: 'logs' }]) {
    const r = refusal(await ask(req));
    assert.equal(r.code, ERROR_CODES.COMMAND_DENIED, req.command);
    assert.match(r.message, new RegExp(`"${req.command}" is not allowed at this site: add it to cloud\\.commands\\.allow`));
  }
  assert.ok((await ask({ id: 's1', command: 'status' })).ok);
  assert.deepEqual(calls, []);
});

test('dispatcher: more than maxInFlight queued commands are answered EW_COMMAND_BUSY; a failing target answers its code', async () => {
  const { ask, block, release, d } = rig({ maxInFlight: 2 });
  block();
  const a = ask({ id: 'a', command: 'read', device: 'agv-01', points: ['p'] });
  const b = ask({ id: 'b', command: 'read', device: 'agv-02', points: ['p'] });
  const busy = refusal(await ask({ id: 'c', command: 'status' }));
  assert.equal(busy.code, ERROR_CODES.COMMAND_BUSY);
  release();
  await Promise.all([a, b]);
  assert.ok((await ask({ id: 'c', command: 'status' })).ok, 'a busy answer is not remembered: the retry runs');
  assert.equal(d.stats().inFlight, 0);

  const failing = new CommandDispatcher({
    target: { ...scripted().target, statusReport: () => { throw new Error('boom'); } },
    config: () => DEFAULT_COMMANDS, logger: silentLogger(),
  });
  assert.deepEqual(await failing.handle('s', { id: 's', command: 'status' }), { id: 's', ok: false, code: ERROR_CODES.INTERNAL, message: 'boom' });
});

test('dispatcher schema: bad requests name the field; Modbus limits per table', async () => {
  const { ask } = rig();
  const cases: [Record<string, unknown>, RegExp][] = [
    [{ id: 'a', command: 'reboot' }, /command/],
    [{ id: 'b', command: 'read', device: 'agv-01', points: [] }, /points/],
    [{ id: 'c', command: 'read', device: 'agv-01', points: Array.from({ length: 33 }, (_, i) => `p${i}`) }, /points/],
    [{ id: 'd', command: 'logs', limit: 501 }, /limit/],
    [{ id: 'e', command: 'logs', minLevel: 'loud' }, /minLevel/],
    [{ id: 'f', command: 'modbus-read', device: 'x', table: 'holding', address: 0, count: 126 }, /count: at most 125 registers/],
    [{ id: 'g', command: 'modbus-read', device: 'x', table: 'coil', address: 65_530, count: 10 }, /count: address \+ count/],
    [{ id: 'h', command: 'modbus-read', device: 'x', table: 'file', address: 0, count: 1 }, /table/],
    [{ id: 'i', command: 'status', extra: 1 }, /extra|Unrecognized/i],
    [{ id: 'j', command: 'write', device: 'd', point: 'p', value: { x: 1 }, expiresAt: T0 + 1 }, /value/],
    [{ id: 'k', command: 'status', expiresAt: 'tomorrow' }, /expiresAt/],
  ];
  for (const [req, pattern] of cases) {
    const r = refusal(await ask(req));
    assert.equal(r.code, ERROR_CODES.COMMAND_INVALID, JSON.stringify(req));
    assert.match(r.message, pattern, JSON.stringify(req));
  }
  assert.ok(cloudCommandSchema.safeParse({ id: 'z', command: 'modbus-read', device: 'x', table: 'discrete', address: 0, count: 2000 }).success);
});

test('response memory: bounded by count (settled entries first) and by time', async () => {
  const clock = { now: 0 };
  const m = new ResponseMemory(() => 1000, 3, () => clock.now);
  const answer = (id: string) => Promise.resolve<CloudCommandResponse>({ id, ok: true, result: null });
  const pending = new Promise<CloudCommandResponse>(() => undefined);
  m.remember('running', 'f', pending);
  for (const id of ['a', 'b', 'c', 'd']) m.remember(id, 'f', answer(id));
  await new Promise((r) => setImmediate(r));
  m.remember('e', 'f', answer('e'));
  assert.equal(m.size, 3);
  assert.ok(m.get('running'), 'a running command is never forgotten');
  assert.equal(m.get('a'), undefined);
  clock.now = 1000;
  await new Promise((r) => setImmediate(r));
  assert.equal(m.get('e'), undefined, 'past the window');
  assert.ok(m.get('running'));
});

test('response memory: a flood of read-only requests does not push out a write, so its retry never writes twice', async () => {
  const { ask, calls } = rig();
  const w = await ask(write('w-flood'));
  for (let i = 0; i < 2500; i++) await ask({ id: `s-${i}`, command: 'status' });
  assert.deepEqual(await ask(write('w-flood', { expiresAt: T0 + 20_000 })), w, 'the retry is answered from memory');
  assert.equal(calls.filter((c) => c.startsWith('write')).length, 1);
});

test('cloud.commands: dedupeWindow shorter than maxExpiry is refused (a retry within the expiry must be recognised)', () => {
  const bad = commandsConfigSchema.safeParse({ maxExpiry: '5m', dedupeWindow: '1m' });
  assert.equal(bad.success, false);
  assert.deepEqual(bad.error?.issues.map((i) => i.path.join('.')), ['dedupeWindow']);
  assert.equal(commandsConfigSchema.safeParse({ maxExpiry: '1m', dedupeWindow: '1m' }).success, true);
});
