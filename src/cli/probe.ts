/** `edgeway probe`: read raw registers from a device and print every interpretation. */
import Modbus from 'modbus-serial';
import { isBitTable, MAX_READ_BITS, MAX_READ_REGISTERS, MODBUS_TABLES, type ModbusTable } from '../southbound/modbus/address.js';
import { mapModbusError } from '../southbound/modbus/errors.js';
import { intOption, parse, requireString, UsageError } from './args.js';
import { describeBits, describeRegisters } from './probe-format.js';
import { help } from './validate.js';

export const probeHelp = `Usage: edgeway probe --host <host> [--port 502] [--unit 1] --table <holding|input|coil|discrete>
                     --register <0-based address> [--count 4] [--timeout 2000]
       edgeway probe --serial <path> [--baud 9600] [--parity none|even|odd] [--data-bits 8] [--stop-bits 1]
                     [--unit 1] --table ... --register ... [--count 4]

Reads raw registers (or bits) from a Modbus TCP device and prints every interpretation side by side:
int16/uint16 and bits per register; int32, uint32, float32 and the 64-bit types in byte orders
ABCD, BADC, CDAB and DCBA; the block as a string in both byte orders. Pick the one that matches the
device's display and put its type and byteOrder in the model file. Reads only; never writes.

Options:
  --host, --port, --unit   Modbus TCP device address (port default 502, unit id default 1)
  --serial <path>          Modbus RTU on a serial port instead, with --baud, --parity, --data-bits,
                           --stop-bits (default 9600 8N1)
  --table                  holding (FC3), input (FC4), coil (FC1) or discrete (FC2)
  --register               0-based protocol address of the first register
  --count                  registers (1-125) or bits (1-2000) to read, default 4
  --timeout                ms, default 2000
  -h, --help               show this help`;

export async function probeCommand(argv: string[]): Promise<number> {
  const { values } = parse(argv, {
    host: { type: 'string' }, port: { type: 'string' }, unit: { type: 'string' }, table: { type: 'string' },
    register: { type: 'string' }, count: { type: 'string' }, timeout: { type: 'string' },
    serial: { type: 'string' }, baud: { type: 'string' }, parity: { type: 'string' }, 'data-bits': { type: 'string' }, 'stop-bits': { type: 'string' },
  });
  if (values.help) return help(probeHelp);
  const target = values.serial === undefined ? `${requireString(values.host, '--host or --serial')}:${intOption(values.port, '--port', 502)}` : values.serial;
  const table = parseTable(values.table);
  const register = intOption(requireString(values.register, '--register'), '--register', 0);
  const count = intOption(values.count, '--count', 4);
  const limit = isBitTable(table) ? MAX_READ_BITS : MAX_READ_REGISTERS;
  if (count < 1 || count > limit || register + count > 65536) throw new UsageError(`--count must be 1..${limit} and stay below register 65536`);
  const client = new Modbus.default();
  const timeout = intOption(values.timeout, '--timeout', 2000);
  const line = values.serial === undefined ? undefined : serialLine(values);
  try {
    if (values.serial === undefined) await client.connectTCP(values.host ?? '', { port: intOption(values.port, '--port', 502), timeout });
    else await client.connectRTUBuffered(values.serial, line ?? {});
    client.setID(intOption(values.unit, '--unit', 1));
    client.setTimeout(timeout);
    console.log(`${table} ${register}..${register + count - 1} from ${target} unit ${client.getID()}`);
    const lines = await read(client, table, register, count);
    console.log(lines.join('\n'));
    return 0;
  } catch (err) {
    console.error(`probe failed: ${mapModbusError(err).message}`);
    return 1;
  } finally {
    client.close(() => undefined);
  }
}

async function read(client: InstanceType<typeof Modbus.default>, table: ModbusTable, register: number, count: number): Promise<string[]> {
  switch (table) {
    case 'coil':
      return describeBits(register, (await client.readCoils(register, count)).data.slice(0, count));
    case 'discrete':
      return describeBits(register, (await client.readDiscreteInputs(register, count)).data.slice(0, count));
    case 'input':
      return describeRegisters(register, (await client.readInputRegisters(register, count)).data);
    case 'holding':
      return describeRegisters(register, (await client.readHoldingRegisters(register, count)).data);
  }
}

function serialLine(values: Record<string, unknown>) {
  const parity = values.parity ?? 'none';
  if (parity !== 'none' && parity !== 'even' && parity !== 'odd') throw new UsageError('--parity must be none, even or odd');
  const dataBits = intOption(values['data-bits'], '--data-bits', 8);
  const stopBits = intOption(values['stop-bits'], '--stop-bits', 1);
  if (dataBits !== 7 && dataBits !== 8) throw new UsageError('--data-bits must be 7 or 8');
  if (stopBits !== 1 && stopBits !== 2) throw new UsageError('--stop-bits must be 1 or 2');
  const baudRate = Number(values.baud ?? 9600);
  if (!Number.isInteger(baudRate) || baudRate < 300) throw new UsageError('--baud must be a baud rate such as 9600 or 115200');
  return { baudRate, parity, dataBits, stopBits } as const;
}

function parseTable(value: string | undefined): ModbusTable {
  const table = MODBUS_TABLES.find((t) => t === value);
  if (!table) throw new UsageError(`--table must be one of ${MODBUS_TABLES.join(', ')}`);
  return table;
}
