/**
 * The bus scheduler and registry with a stand-in client: one job at a time, writes first, the unit
 * id set right before each job, the pause honoured, stale RTU bytes discarded, one open per bus.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { ModbusBus, type ModbusClient } from '../../src/southbound/modbus/bus.js';
import { BusRegistry } from '../../src/southbound/modbus/bus-registry.js';

class FakeClient {
  isOpen = true;
  unit = -1;
  timeout = -1;
  readonly log: string[] = [];
  readonly _port = { _buffer: Buffer.from([1, 2, 3]) };
  setID(id: number): void {
    this.unit = id;
  }
  setTimeout(ms: number): void {
    this.timeout = ms;
  }
  close(cb: () => void): void {
    this.isOpen = false;
    cb();
  }
}

function deferred(): { promise: Promise<void>; resolve: () => void } {
  let resolve = (): void => undefined;
  const promise = new Promise<void>((r) => (resolve = r));
  return { promise, resolve };
}

const asClient = (c: FakeClient) => c as unknown as ModbusClient;

test('bus: one job at a time; a write queued behind polls runs next; unit id and timeout set per job', async () => {
  const fake = new FakeClient();
  const bus = new ModbusBus('k', asClient(fake), { rtuFramed: false, pause: 0 });
  const gate = deferred();
  let running = 0;
  let most = 0;
  const job = (name: string, wait?: Promise<void>) => async (c: ModbusClient) => {
    running++;
    most = Math.max(most, running);
    fake.log.push(`${name}@${(c as unknown as FakeClient).unit}/${(c as unknown as FakeClient).timeout}`);
    await wait;
    await new Promise((r) => setImmediate(r));
    running--;
  };
  const all = [
    bus.run(1, 100, job('poll-a', gate.promise)),
    bus.run(2, 200, job('poll-b')),
    bus.run(3, 300, job('poll-c')),
    bus.run(2, 250, job('write'), true),
  ];
  gate.resolve();
  await Promise.all(all);
  assert.deepEqual(fake.log, ['poll-a@1/100', 'write@2/250', 'poll-b@2/200', 'poll-c@3/300']);
  assert.equal(most, 1, 'never two jobs at once');
  assert.equal(bus.completed, 4);
});

test('bus: a failed job rejects its caller only; the next job runs', async () => {
  const bus = new ModbusBus('k', asClient(new FakeClient()), { rtuFramed: false, pause: 0 });
  const failed = bus.run(1, 100, () => Promise.reject(new Error('Timed out')));
  const next = bus.run(1, 100, () => Promise.resolve(42));
  await assert.rejects(failed, /Timed out/);
  assert.equal(await next, 42);
});

test('bus: the pause separates the end of one job from the start of the next', async () => {
  const bus = new ModbusBus('k', asClient(new FakeClient()), { rtuFramed: true, pause: 10 });
  bus.requestPause(30);
  bus.requestPause(5);
  const marks: number[] = [];
  await Promise.all([0, 1, 2].map(() => bus.run(1, 100, () => {
    marks.push(performance.now());
    return Promise.resolve();
  })));
  assert.equal(marks.length, 3);
  // Timers may fire a little early against performance.now() (libuv's loop clock is whole ms): 25 ms still
  // tells the longest pause (30) from the others (10, 5).
  for (let i = 1; i < marks.length; i++) assert.ok((marks[i] ?? 0) - (marks[i - 1] ?? 0) >= 25, `gap ${i}: the longest requested pause (30 ms) applies`);
});

test('bus: RTU framing discards bytes left from a late answer before each request; Modbus TCP leaves its buffer alone', async () => {
  for (const rtuFramed of [true, false]) {
    const fake = new FakeClient();
    const bus = new ModbusBus('k', asClient(fake), { rtuFramed, pause: 0 });
    const seen = await bus.run(1, 100, () => Promise.resolve(fake._port._buffer.length));
    assert.equal(seen, rtuFramed ? 0 : 3);
  }
});

test('registry: concurrent acquires open one client; the last release closes it; a broken bus is replaced', async () => {
  const registry = new BusRegistry();
  const clients: FakeClient[] = [];
  const open = async () => {
    await new Promise((r) => setImmediate(r));
    const c = new FakeClient();
    clients.push(c);
    return asClient(c);
  };
  const [a, b, c] = await Promise.all([1, 2, 3].map(() => registry.acquire('rtu:/dev/ttyX', open, { rtuFramed: true, pause: 0 })));
  assert.ok(a && b && c);
  assert.equal(clients.length, 1, 'opened once');
  assert.equal(a.bus, c.bus);
  assert.deepEqual(registry.stats(), [{ key: 'rtu:/dev/ttyX', opens: 1, users: 3, open: true }]);
  await a.release();
  await a.release();
  assert.equal(clients[0]?.isOpen, true, 'still used by two devices');
  b.bus.markBroken();
  const d = await registry.acquire('rtu:/dev/ttyX', open, { rtuFramed: true, pause: 0 });
  assert.equal(clients.length, 2, 'a broken bus is opened afresh');
  assert.notEqual(d.bus, b.bus);
  await Promise.all([b.release(), c.release(), d.release()]);
  assert.ok(clients.every((cl) => !cl.isOpen), 'every client closed after the last release');
  assert.deepEqual(registry.stats(), [{ key: 'rtu:/dev/ttyX', opens: 2, users: 0, open: false }]);
});

test('registry: a failed open rejects every waiting device and is retried on the next acquire', async () => {
  const registry = new BusRegistry();
  let attempts = 0;
  const open = async () => {
    attempts++;
    await new Promise((r) => setImmediate(r));
    if (attempts === 1) throw new Error('cannot open /dev/ttyX');
    return asClient(new FakeClient());
  };
  const results = await Promise.allSettled([registry.acquire('k', open, { rtuFramed: true, pause: 0 }), registry.acquire('k', open, { rtuFramed: true, pause: 0 })]);
  assert.deepEqual(results.map((r) => r.status), ['rejected', 'rejected']);
  const lease = await registry.acquire('k', open, { rtuFramed: true, pause: 0 });
  assert.equal(attempts, 2);
  await lease.release();
});
