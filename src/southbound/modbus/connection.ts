/**
 * Modbus connection settings of a device (site config `devices[].connection`), one schema per
 * transport, and the bus key: devices whose connections have the same key share one physical bus
 * (one serial port, or one TCP connection to a gateway or serial device server) and one owner.
 */
import { z } from 'zod';
import { duration } from '../../config/units.js';

const port = (what: string) => z.int().min(1).max(65535).describe(what);
const unitId = z.int().min(0).max(255).default(1).describe('Modbus unit id (slave id)');
const timeout = duration('per request timeout').default(1000);
const pause = duration('silence kept on the bus between two requests (for slow devices and RS-485 converters)').default(0);
const retries = z
  .int()
  .min(0)
  .max(5)
  .default(0)
  .describe('extra attempts of a request that timed out or got a garbled answer while the line stays usable (RTU); each costs the bus up to one more timeout');

export const tcpConnectionSchema = z.strictObject({
  transport: z.literal('tcp'),
  host: z.string().min(1).describe('device host name or address'),
  port: port('Modbus TCP port').default(502),
  unitId,
  timeout,
  retries,
  pause,
});

export const rtuConnectionSchema = z.strictObject({
  transport: z.literal('rtu'),
  path: z.string().min(1).describe('serial port device, e.g. /dev/ttyUSB0 or /dev/serial/by-id/...'),
  baudRate: z.int().min(300).max(4_000_000).default(9600),
  parity: z.enum(['none', 'even', 'odd']).default('none'),
  dataBits: z.union([z.literal(7), z.literal(8)]).default(8),
  stopBits: z.union([z.literal(1), z.literal(2)]).default(1),
  unitId,
  timeout,
  retries,
  pause,
});

export const rtuOverTcpConnectionSchema = z.strictObject({
  transport: z.literal('rtu-over-tcp'),
  host: z.string().min(1).describe('serial device server host name or address'),
  port: port('TCP port of the serial device server (raw RTU frames)').default(4001),
  unitId,
  timeout,
  retries,
  pause,
});

export const modbusConnectionSchema = z.discriminatedUnion('transport', [tcpConnectionSchema, rtuConnectionSchema, rtuOverTcpConnectionSchema]);
export type ModbusConnection = z.output<typeof modbusConnectionSchema>;
export type RtuConnection = z.output<typeof rtuConnectionSchema>;

/** Devices with equal keys are on one physical bus: one port or socket, one request at a time. */
export function busKey(c: ModbusConnection): string {
  if (c.transport === 'rtu') return `rtu:${c.path}`;
  return `${c.transport}:${c.host.toLowerCase()}:${c.port}`;
}

/** RTU framing (serial line, serial device server): no transaction ids, so stale bytes must be discarded. */
export function isRtuFramed(c: ModbusConnection): boolean {
  return c.transport !== 'tcp';
}

/** Line settings that must agree between devices on one serial bus. */
function lineSettings(c: ModbusConnection): string {
  return c.transport === 'rtu' ? `${c.baudRate} ${c.dataBits}${c.parity[0]?.toUpperCase() ?? ''}${c.stopBits}` : '';
}

export interface BusProblem {
  /** Index of the device in the list. */
  readonly index: number;
  /** The connection setting at fault. */
  readonly field: 'unitId' | 'baudRate';
  readonly message: string;
}

/** Devices on one bus need distinct unit ids and, on a serial line, the same line settings. */
export function sharedBusProblems(connections: readonly ModbusConnection[]): BusProblem[] {
  const first = new Map<string, { index: number; line: string; units: Map<number, number> }>();
  const problems: BusProblem[] = [];
  connections.forEach((c, index) => {
    const key = busKey(c);
    const bus = first.get(key);
    if (!bus) {
      first.set(key, { index, line: lineSettings(c), units: new Map([[c.unitId, index]]) });
      return;
    }
    const other = bus.units.get(c.unitId);
    if (other !== undefined) problems.push({ index, field: 'unitId', message: `unit id ${c.unitId} is already used on this bus by devices[${other}]` });
    else bus.units.set(c.unitId, index);
    const line = lineSettings(c);
    if (line !== bus.line) problems.push({ index, field: 'baudRate', message: `line settings ${line} differ from ${bus.line} of devices[${bus.index}] on the same serial port` });
  });
  return problems;
}
