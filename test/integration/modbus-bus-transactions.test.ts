/**
 * The bus drops modbus-serial's settled transactions after every job (each kept its last response
 * alive until its id came round again): none is left after many reads, and a late answer to a
 * timed-out request is ignored, so the next read still gets its own values.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import Modbus, { ServerTCP } from 'modbus-serial';
import { ModbusBus } from '../../src/southbound/modbus/bus.js';

const SLOW = 100; // a register whose answer comes after the request timed out

test('settled transactions are dropped; a late answer does not reach the next read', { timeout: 30_000 }, async (t) => {
  const vector = {
    getHoldingRegister: (addr: number, _unit: number, cb: (err: Error | null, value: number) => void) => {
      if (addr === SLOW) setTimeout(() => cb(null, 9999), 300);
      else cb(null, addr * 2);
    },
  };
  const server = new ServerTCP(vector, { host: '127.0.0.1', port: 0 });
  await new Promise<void>((resolve) => server.on('initialized', () => resolve()));
  const address = (server as unknown as { _server: { address(): { port: number } } })._server.address();
  const client = new Modbus.default();
  await client.connectTCP('127.0.0.1', { port: address.port, timeout: 1000 });
  const bus = new ModbusBus('test', client, { rtuFramed: false, pause: 0 });
  t.after(async () => {
    await bus.close();
    await new Promise<void>((resolve) => server.close(() => resolve()));
  });
  const pending = () => Object.keys((client as unknown as { _transactions: object })._transactions).length;

  for (let i = 0; i < 50; i++) {
    const r = await bus.run(1, 1000, (c) => c.readHoldingRegisters(i, 2));
    assert.deepEqual(r.data, [i * 2, i * 2 + 2]);
  }
  assert.equal(pending(), 0, 'no settled transaction is kept');

  await assert.rejects(bus.run(1, 100, (c) => c.readHoldingRegisters(SLOW, 1)), { name: 'TransactionTimedOutError' });
  assert.equal(pending(), 0);
  // The slow answer arrives while this read waits for its own.
  const r = await bus.run(1, 1000, async (c) => {
    await new Promise((resolve) => setTimeout(resolve, 250));
    return c.readHoldingRegisters(7, 1);
  });
  assert.deepEqual(r.data, [14]);
  await new Promise((resolve) => setTimeout(resolve, 100));
  assert.deepEqual((await bus.run(1, 1000, (c) => c.readHoldingRegisters(8, 1))).data, [16]);
});
