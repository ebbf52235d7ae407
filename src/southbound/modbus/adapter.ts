/** The Modbus TCP protocol adapter: opens one session per device connection. */
import Modbus from 'modbus-serial';
import { ERROR_CODES, GatewayError } from '../../errors.js';
import { tcpConnectionSchema, type ConnectionConfig } from '../../config/site-schema.js';
import type { AdapterContext, ProtocolAdapter } from '../types.js';
import { modbusAddressSchema, type ModbusAddress } from './address.js';
import { mapModbusError } from './errors.js';
import { ModbusSession } from './session.js';

export interface ModbusAdapterOptions {
  /** Unused registers the planner may read to merge two requests (the model's maxGap). */
  readonly maxGap: number;
}

export class ModbusAdapter implements ProtocolAdapter<ConnectionConfig, ModbusAddress> {
  readonly protocol = 'modbus';
  readonly connectionSchema = tcpConnectionSchema;
  readonly addressSchema = modbusAddressSchema;

  constructor(private readonly options: ModbusAdapterOptions) {}

  async connect(connection: ConnectionConfig, ctx: AdapterContext): Promise<ModbusSession> {
    const client = new Modbus.default();
    try {
      await client.connectTCP(connection.host, { port: connection.port, timeout: connection.timeout });
    } catch (err) {
      client.close(() => undefined);
      const mapped = mapModbusError(err);
      throw new GatewayError(ERROR_CODES.DEVICE_DISCONNECTED, `cannot connect to ${connection.host}:${connection.port}: ${mapped.message}`, { cause: err, retryable: true });
    }
    client.setID(connection.unitId);
    client.setTimeout(connection.timeout);
    ctx.logger.debug({ host: connection.host, port: connection.port }, 'modbus connected');
    return new ModbusSession(client, { unitId: connection.unitId, maxGap: this.options.maxGap });
  }
}
