/**
 * The Modbus protocol adapter (TCP, RTU on a serial port, RTU over TCP). Devices on one physical
 * bus share one client through the bus registry; each device gets its own session on that bus.
 */
import Modbus from 'modbus-serial';
import { ERROR_CODES, GatewayError, errorMessage } from '../../errors.js';
import type { AdapterContext, ProtocolAdapter } from '../types.js';
import { modbusAddressSchema, type ModbusAddress } from './address.js';
import type { ModbusClient } from './bus.js';
import { BusRegistry } from './bus-registry.js';
import { busKey, isRtuFramed, modbusConnectionSchema, type ModbusConnection } from './connection.js';
import { ModbusSession } from './session.js';

export interface ModbusAdapterOptions {
  /** Unused registers the planner may read to merge two requests (the model's maxGap). */
  readonly maxGap: number;
  /** Use FC15/FC16 even for one coil or register (devices that lack FC5/FC6). */
  readonly writeMultiple?: boolean;
  /** Shared by every adapter of a gateway, so devices on one bus share one port; default: a private one. */
  readonly buses?: BusRegistry;
}

export class ModbusAdapter implements ProtocolAdapter<ModbusConnection, ModbusAddress> {
  readonly protocol = 'modbus';
  readonly connectionSchema = modbusConnectionSchema;
  readonly addressSchema = modbusAddressSchema;
  private readonly buses: BusRegistry;

  constructor(private readonly options: ModbusAdapterOptions) {
    this.buses = options.buses ?? new BusRegistry();
  }

  async connect(connection: ModbusConnection, ctx: AdapterContext): Promise<ModbusSession> {
    const key = busKey(connection);
    const rtuFramed = isRtuFramed(connection);
    const lease = await this.buses.acquire(key, () => openClient(connection, ctx), { rtuFramed, pause: connection.pause });
    return new ModbusSession(lease, {
      unitId: connection.unitId, maxGap: this.options.maxGap, timeout: connection.timeout,
      retries: connection.retries, writeMultiple: this.options.writeMultiple ?? false,
    });
  }
}

function describe(c: ModbusConnection): string {
  return c.transport === 'rtu' ? `${c.path} (${c.baudRate} baud)` : `${c.host}:${c.port} (${c.transport})`;
}

async function openClient(c: ModbusConnection, ctx: AdapterContext): Promise<ModbusClient> {
  const client = new Modbus.default();
  try {
    if (c.transport === 'tcp') await client.connectTCP(c.host, { port: c.port, timeout: c.timeout });
    // RTU over TCP: raw RTU frames (with CRC) on a TCP socket; modbus-serial calls it the telnet port.
    else if (c.transport === 'rtu-over-tcp') await client.connectTelnet(c.host, { port: c.port, timeout: c.timeout });
    else await client.connectRTUBuffered(c.path, { baudRate: c.baudRate, parity: c.parity, dataBits: c.dataBits, stopBits: c.stopBits });
  } catch (err) {
    client.close(() => undefined);
    throw new GatewayError(ERROR_CODES.DEVICE_DISCONNECTED, `cannot open ${describe(c)}: ${errorMessage(err)}`, { cause: err, retryable: true });
  }
  ctx.logger.debug({ bus: describe(c) }, 'modbus bus opened');
  return client;
}
