/**
 * A write with an expiry that passes while it waits for the bus (behind a slow transaction) is
 * refused when the bus gets to it, and never reaches the device; one still in time is written.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { ModbusBus, type ModbusClient } from '../../src/southbound/modbus/bus.js';
import { ModbusSession } from '../../src/southbound/modbus/session.js';
import type { ModbusAddress } from '../../src/southbound/modbus/address.js';

class RecordingClient {
  isOpen = true;
  readonly writes: [number, number][] = [];
  readonly _port = { _buffer: Buffer.alloc(0) };
  setID(): void {}
  setTimeout(): void {}
  close(cb: () => void): void {
    this.isOpen = false;
    cb();
  }
  writeRegister(address: number, value: number): Promise<void> {
    this.writes.push([address, value]);
    return Promise.resolve();
  }
}

const address: ModbusAddress = { table: 'holding', register: 40, type: 'uint16', byteOrder: 'ABCD', count: 1, stringOrder: 'AB' };

test('a write whose expiry passes while the bus is busy is refused and not written', async () => {
  const client = new RecordingClient();
  const bus = new ModbusBus('k', client as unknown as ModbusClient, { rtuFramed: false, pause: 0 });
  const session = new ModbusSession({ bus, release: () => Promise.resolve() }, { unitId: 1, maxGap: 0, timeout: 1000 });
  let release = (): void => undefined;
  const slow = bus.run(1, 1000, () => new Promise<void>((r) => (release = r)));
  const signal = new AbortController().signal;
  const late = session.write({ name: 'target_station', address }, 12, signal, Date.now() + 30);
  const inTime = session.write({ name: 'target_station', address }, 13, signal, Date.now() + 60_000);
  await new Promise((r) => setTimeout(r, 80));
  release();
  await slow;
  await assert.rejects(late, { code: 'EW_COMMAND_EXPIRED' });
  await inTime;
  assert.deepEqual(client.writes, [[40, 13]], 'only the write still in time reached the device');
});
