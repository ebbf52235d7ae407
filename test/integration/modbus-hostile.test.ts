/**
 * Malformed and hostile answers: a raw Modbus TCP server answering with crafted frames, and a
 * serial device server garbling RTU answers. Each is rejected as a bad-quality result with a stable
 * code (never a crash or a mis-decoded value), and the device is read correctly afterwards.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import net from 'node:net';
import { ERROR_CODES } from '../../src/errors.js';
import { silentLogger } from '../../src/ops/logger.js';
import { BusSimulator } from '../../src/sim/index.js';
import { withCrc } from '../../src/sim/rtu-frame.js';
import { ModbusAdapter } from '../../src/southbound/modbus/adapter.js';
import type { ModbusAddress } from '../../src/southbound/modbus/address.js';
import { modbusConnectionSchema } from '../../src/southbound/modbus/connection.js';
import type { BoundPoint, ReadResult } from '../../src/southbound/types.js';
import { sameValue, shippedModel } from '../helpers/bus.js';

interface Request {
  readonly tid: number;
  readonly unit: number;
  readonly fc: number;
  readonly count: number;
}

type Responder = (req: Request, nth: number) => Buffer | null;

function mbap(tid: number, unit: number, pdu: Buffer, length = pdu.length + 1): Buffer {
  const head = Buffer.alloc(7);
  head.writeUInt16BE(tid, 0);
  head.writeUInt16BE(0, 2);
  head.writeUInt16BE(length, 4);
  head.writeUInt8(unit, 6);
  return Buffer.concat([head, pdu]);
}

/** FC3 answer PDU with `words`, and the byte count it claims. */
function registers(fc: number, words: number[], byteCount = words.length * 2): Buffer {
  const pdu = Buffer.alloc(2 + words.length * 2);
  pdu.writeUInt8(fc, 0);
  pdu.writeUInt8(byteCount, 1);
  words.forEach((w, i) => pdu.writeUInt16BE(w, 2 + i * 2));
  return pdu;
}

const WORDS = [7, 8];
const good = (r: Request) => mbap(r.tid, r.unit, registers(r.fc, WORDS.slice(0, r.count)));

/** A Modbus TCP server that answers request n (0-based, over all connections) with `respond`. */
async function rawServer(respond: Responder): Promise<{ port: number; close(): Promise<void> }> {
  let nth = 0;
  const sockets = new Set<net.Socket>();
  const server = net.createServer((socket) => {
    sockets.add(socket);
    socket.on('close', () => sockets.delete(socket));
    socket.on('error', () => socket.destroy());
    let buf = Buffer.alloc(0);
    socket.on('data', (data) => {
      buf = Buffer.concat([buf, data]);
      while (buf.length >= 7 && buf.length >= 6 + buf.readUInt16BE(4)) {
        const length = buf.readUInt16BE(4);
        const req: Request = { tid: buf.readUInt16BE(0), unit: buf.readUInt8(6), fc: buf.readUInt8(7), count: buf.readUInt16BE(10) };
        buf = buf.subarray(6 + length);
        const answer = respond(req, nth++);
        if (answer) socket.write(answer);
      }
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const port = (server.address() as net.AddressInfo).port;
  return {
    port,
    close: async () => {
      for (const s of sockets) s.destroy();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}

const POINTS: BoundPoint<ModbusAddress>[] = [
  { name: 'a', address: { table: 'holding', register: 0, type: 'uint16', count: 1, byteOrder: 'ABCD', stringOrder: 'AB' } },
  { name: 'b', address: { table: 'holding', register: 1, type: 'uint16', count: 1, byteOrder: 'ABCD', stringOrder: 'AB' } },
];

async function readOnce(connection: Record<string, unknown>, points = POINTS): Promise<{ results: ReadResult[]; openAfter: boolean }> {
  const adapter = new ModbusAdapter({ maxGap: 0 });
  const session = await adapter.connect(modbusConnectionSchema.parse(connection), { logger: silentLogger(), device: 'hostile' });
  try {
    const results = await session.read(points, new AbortController().signal);
    return { results, openAfter: session.isOpen() };
  } finally {
    await session.close();
  }
}

const CASES: { name: string; code: string; answer: (r: Request) => Buffer | null }[] = [
  { name: 'wrong transaction id', code: ERROR_CODES.DEVICE_TIMEOUT, answer: (r) => mbap((r.tid + 1) & 0xffff, r.unit, registers(r.fc, WORDS)) },
  { name: 'wrong unit id', code: ERROR_CODES.DEVICE_BAD_RESPONSE, answer: (r) => mbap(r.tid, r.unit + 1, registers(r.fc, WORDS)) },
  { name: 'wrong function code', code: ERROR_CODES.DEVICE_BAD_RESPONSE, answer: (r) => mbap(r.tid, r.unit, registers(4, WORDS)) },
  { name: 'byte count short of the registers asked for', code: ERROR_CODES.DEVICE_BAD_RESPONSE, answer: (r) => mbap(r.tid, r.unit, registers(r.fc, [7])) },
  { name: 'more registers than asked for', code: ERROR_CODES.DEVICE_BAD_RESPONSE, answer: (r) => mbap(r.tid, r.unit, registers(r.fc, [7, 8, 9])) },
  { name: 'byte count field lies', code: ERROR_CODES.DEVICE_BAD_RESPONSE, answer: (r) => mbap(r.tid, r.unit, registers(r.fc, WORDS, 2)) },
  { name: 'truncated frame (MBAP length longer than what is sent)', code: ERROR_CODES.DEVICE_TIMEOUT, answer: (r) => mbap(r.tid, r.unit, registers(r.fc, WORDS)).subarray(0, 9) },
  { name: 'no answer', code: ERROR_CODES.DEVICE_TIMEOUT, answer: () => null },
];

for (const c of CASES) {
  test(`modbus tcp: ${c.name} -> bad quality ${c.code}; the connection is retired; the next connection reads right`, async (t) => {
    const server = await rawServer((r, nth) => (nth === 0 ? c.answer(r) : good(r)));
    t.after(() => server.close());
    const conn = { transport: 'tcp', host: '127.0.0.1', port: server.port, unitId: 5, timeout: 200 };
    const first = await readOnce(conn);
    assert.deepEqual(first.results.map((r) => (r.ok ? 'ok' : r.code)), [c.code, c.code]);
    assert.equal(first.openAfter, false, 'a TCP connection that got a bad or no answer is not trusted any more');
    const second = await readOnce(conn);
    assert.deepEqual(second.results.map((r) => (r.ok ? r.value : r.code)), [7, 8]);
  });
}

const RTU_CASES: { name: string; code: string; mangle: (frame: Buffer) => Buffer }[] = [
  { name: 'bad CRC', code: ERROR_CODES.DEVICE_BAD_RESPONSE, mangle: (f) => Buffer.concat([f.subarray(0, -1), Buffer.from([(f.at(-1) ?? 0) ^ 0xff])]) },
  { name: 'wrong unit id (valid CRC)', code: ERROR_CODES.DEVICE_TIMEOUT, mangle: (f) => withCrc(Buffer.concat([Buffer.from([(f[0] ?? 0) + 1]), f.subarray(1, -2)])) },
  { name: 'truncated frame', code: ERROR_CODES.DEVICE_TIMEOUT, mangle: (f) => f.subarray(0, f.length - 3) },
];

for (const c of RTU_CASES) {
  test(`rtu over tcp: ${c.name} -> bad quality ${c.code}; the bus stays open and the next request reads right`, async (t) => {
    const model = await shippedModel('northwind-hvac/ahu-200');
    const bus = new BusSimulator([{ model, unitId: 4 }]);
    bus.simulators[0]?.pause();
    await bus.start();
    let answers = 0;
    const port = await bus.serveRtuOverTcp(0, (frame) => (answers++ === 0 ? c.mangle(frame) : frame));
    t.after(() => bus.stop());
    const points = model.points.filter((p) => p.address.table === 'input').slice(0, 4).map((p) => ({ name: p.name, address: p.address }));
    assert.ok(points.length >= 2);
    const adapter = new ModbusAdapter({ maxGap: 0 });
    const session = await adapter.connect(modbusConnectionSchema.parse({ transport: 'rtu-over-tcp', host: '127.0.0.1', port, unitId: 4, timeout: 200 }), { logger: silentLogger(), device: 'garbled' });
    t.after(() => session.close());
    const signal = new AbortController().signal;
    const first = await session.read(points, signal);
    assert.equal(first[0]?.ok, false);
    assert.equal(first[0]?.ok === false && first[0].code, c.code);
    assert.ok(first.every((r) => !r.ok), 'no value decoded from a garbled answer');
    assert.equal(session.isOpen(), true, 'a garbled RTU answer does not close the bus');
    const second = await session.read(points, signal);
    const model0 = bus.simulators[0];
    assert.ok(model0);
    // Raw values before scale: compare through the simulator's engineering snapshot with each point's scale/offset.
    const snapshot = model0.snapshot();
    for (const [i, r] of second.entries()) {
      const p = model.points.find((q) => q.name === points[i]?.name);
      assert.ok(r.ok && p, `${points[i]?.name} reads good after the garbled answer`);
      assert.ok(sameValue(Number(r.value) * p.scale + p.offset, snapshot[p.name]), `${p.name}: ${String(r.value)} vs ${String(snapshot[p.name])}`);
    }
  });
}
