/** Connection settings per transport, bus keys, and the config checks of devices sharing a bus. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { siteSchema } from '../../src/config/site-schema.js';
import { busKey, modbusConnectionSchema, sharedBusProblems } from '../../src/southbound/modbus/connection.js';

test('rtu connection: serial line defaults (9600 8N1, no pause) and explicit settings', () => {
  assert.deepEqual(modbusConnectionSchema.parse({ transport: 'rtu', path: '/dev/ttyUSB0' }), {
    transport: 'rtu', path: '/dev/ttyUSB0', baudRate: 9600, parity: 'none', dataBits: 8, stopBits: 1, unitId: 1, timeout: 1000, retries: 0, pause: 0,
  });
  const c = modbusConnectionSchema.parse({ transport: 'rtu', path: '/dev/ttyS1', baudRate: 19200, parity: 'even', dataBits: 7, stopBits: 2, unitId: 12, timeout: '300ms', pause: '20ms' });
  assert.equal(c.transport === 'rtu' && `${c.baudRate} ${c.dataBits}${c.parity}${c.stopBits} ${c.timeout} ${c.pause}`, '19200 7even2 300 20');
  assert.equal(modbusConnectionSchema.safeParse({ transport: 'rtu', path: '/dev/ttyS1', parity: 'mark' }).success, false);
  assert.equal(modbusConnectionSchema.safeParse({ transport: 'rtu', path: '/dev/ttyS1', dataBits: 6 }).success, false);
  assert.equal(modbusConnectionSchema.safeParse({ transport: 'rtu', host: 'x' }).success, false, 'a serial connection needs a path');
});

test('rtu-over-tcp connection: host and port of a serial device server', () => {
  const c = modbusConnectionSchema.parse({ transport: 'rtu-over-tcp', host: 'moxa-line1.plant.local', port: 4001, unitId: 3 });
  assert.deepEqual(c, { transport: 'rtu-over-tcp', host: 'moxa-line1.plant.local', port: 4001, unitId: 3, timeout: 1000, retries: 0, pause: 0 });
});

test('bus key: one serial path, or one host:port per transport (host names case-insensitive)', () => {
  const k = (c: Record<string, unknown>) => busKey(modbusConnectionSchema.parse(c));
  assert.equal(k({ transport: 'rtu', path: '/dev/ttyUSB0', unitId: 1 }), k({ transport: 'rtu', path: '/dev/ttyUSB0', unitId: 2 }));
  assert.notEqual(k({ transport: 'rtu', path: '/dev/ttyUSB0' }), k({ transport: 'rtu', path: '/dev/ttyUSB1' }));
  assert.equal(k({ transport: 'tcp', host: 'GW-1.local', port: 502 }), k({ transport: 'tcp', host: 'gw-1.local', port: 502, unitId: 9 }));
  assert.notEqual(k({ transport: 'tcp', host: 'gw-1', port: 502 }), k({ transport: 'tcp', host: 'gw-1', port: 503 }));
  assert.notEqual(k({ transport: 'tcp', host: 'gw-1', port: 4001 }), k({ transport: 'rtu-over-tcp', host: 'gw-1', port: 4001 }));
});

test('devices on one bus need distinct unit ids and, on a serial port, the same line settings', () => {
  const parse = (connections: Record<string, unknown>[]) => connections.map((c) => modbusConnectionSchema.parse(c));
  assert.deepEqual(sharedBusProblems(parse([{ transport: 'rtu', path: '/dev/ttyS0', unitId: 1 }, { transport: 'rtu', path: '/dev/ttyS0', unitId: 2 }, { transport: 'tcp', host: 'a', unitId: 1 }])), []);
  const problems = sharedBusProblems(parse([
    { transport: 'rtu', path: '/dev/ttyS0', unitId: 1 },
    { transport: 'rtu', path: '/dev/ttyS0', unitId: 1 },
    { transport: 'rtu', path: '/dev/ttyS0', unitId: 3, baudRate: 19200 },
  ]));
  assert.deepEqual(problems.map((p) => `${p.index} ${p.field}`), ['1 unitId', '2 baudRate']);
  assert.match(problems[1]?.message ?? '', /19200 8N1 differ from 9600 8N1/);
});

test('site config: a duplicate unit id on a shared bus is reported at the device connection', () => {
  const site = {
    gateway: { id: 'gw' }, cloud: { url: 'mqtt://cloud.example:1883' },
    devices: [
      { id: 'a', model: 'v/m', connection: { transport: 'tcp', host: 'gw-1', unitId: 4 } },
      { id: 'b', model: 'v/m', connection: { transport: 'tcp', host: 'gw-1', unitId: 4 } },
    ],
  };
  const result = siteSchema.safeParse(site);
  assert.equal(result.success, false);
  const issue = result.error?.issues[0];
  assert.deepEqual(issue?.path, ['devices', 1, 'connection', 'unitId']);
  assert.match(issue?.message ?? '', /unit id 4 is already used on this bus by devices\[0\]/);
});
