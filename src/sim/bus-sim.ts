/**
 * Several simulated devices on one bus, each answering its own unit id (a multi-drop RS-485 line,
 * or a Modbus TCP gateway in front of one). Serves the bus as Modbus TCP (`serveTcp`, one
 * `ServerTCP` answering every unit id), as RTU over TCP (`serveRtuOverTcp`, a software serial
 * device server) or as RTU on a serial port (`serveRtu`, modbus-serial `ServerSerial`, e.g. on one
 * end of a socat pty pair). A unit id no simulator has gets no answer.
 */
import type { Server } from 'node:net';
import { ServerSerial, ServerTCP, type IServiceVector } from 'modbus-serial';
import type { ModbusModel } from '../catalog/types.js';
import { ERROR_CODES, GatewayError, errorMessage } from '../errors.js';
import { silentLogger, type Logger } from '../ops/logger.js';
import { DeviceSimulator } from './device-sim.js';
import { RtuOverTcpBridge } from './rtu-over-tcp.js';
import { dispatchByUnit } from './unit-dispatch.js';

export interface BusSimDevice {
  readonly model: ModbusModel;
  readonly unitId: number;
  readonly seed?: number;
}

export interface SerialLine {
  readonly baudRate?: number;
  readonly parity?: 'none' | 'even' | 'odd';
  readonly dataBits?: 7 | 8;
  readonly stopBits?: 1 | 2;
}

/** Silence that ends a request frame on the serial server (ServerSerial defaults to 30 ms). */
const FRAME_GAP_MS = 3;

export class BusSimulator {
  readonly simulators: readonly DeviceSimulator[];
  private readonly vector: IServiceVector;
  private readonly frames = new Map<number, number>();
  private tcp: ServerTCP | undefined;
  private tcpPort = 0;
  private serial: ServerSerial | undefined;
  private bridge: RtuOverTcpBridge | undefined;
  private connections = 0;
  private readonly logger: Logger;

  constructor(devices: readonly BusSimDevice[], opts: { tickMs?: number; logger?: Logger } = {}) {
    this.logger = opts.logger ?? silentLogger();
    this.simulators = devices.map((d, i) => new DeviceSimulator({
      model: d.model, unitId: d.unitId, port: 0, listen: false, seed: d.seed ?? i + 1, logger: this.logger,
      ...(opts.tickMs === undefined ? {} : { tickMs: opts.tickMs }),
    }));
    this.vector = dispatchByUnit(new Map(this.simulators.map((s) => [s.unitId, s.serviceVector()])));
  }

  simulator(unitId: number): DeviceSimulator {
    const sim = this.simulators.find((s) => s.unitId === unitId);
    if (!sim) throw new GatewayError(ERROR_CODES.INTERNAL, `no simulator with unit id ${unitId} on this bus`);
    return sim;
  }

  /** RTU request frames received per unit id, answered or not (RTU and RTU-over-TCP serving). */
  get requests(): ReadonlyMap<number, number> {
    return this.frames;
  }

  private countFrame(unitId: number): void {
    this.frames.set(unitId, (this.frames.get(unitId) ?? 0) + 1);
  }

  /** TCP connections accepted by the Modbus TCP server so far. */
  get tcpConnections(): number {
    return this.connections;
  }

  /** Starts every simulator's motion. */
  async start(): Promise<void> {
    for (const s of this.simulators) await s.start();
  }

  /** Serves the bus as Modbus TCP; resolves the bound port. */
  async serveTcp(port = 0, host = '127.0.0.1'): Promise<number> {
    if (this.tcp) return this.tcpPort;
    const server = new ServerTCP(this.vector, { host, port: (port === 0 ? '0' : port) as number, unitID: 255 });
    this.tcp = server;
    server.on('socketError', (err) => this.logger.debug({ err }, 'bus simulator socket error'));
    await new Promise<void>((resolve, reject) => {
      server.once('initialized', () => resolve());
      server.once('serverError', (err) => reject(new GatewayError(ERROR_CODES.INTERNAL, `bus simulator cannot listen: ${errorMessage(err)}`, { cause: err })));
    });
    const inner = (server as unknown as { _server: Server })._server;
    inner.on('connection', () => this.connections++);
    const addr = inner.address();
    this.tcpPort = typeof addr === 'object' && addr !== null ? addr.port : 0;
    return this.tcpPort;
  }

  /** Serves the bus as raw RTU frames over TCP (a serial device server); resolves the bound port. */
  async serveRtuOverTcp(port = 0, mangle?: (answer: Buffer) => Buffer): Promise<number> {
    const upstreamPort = await this.serveTcp();
    const bridge = new RtuOverTcpBridge({ upstreamPort, port, onRequest: (u) => this.countFrame(u), ...(mangle ? { mangle } : {}) });
    await bridge.start();
    this.bridge = bridge;
    return bridge.port;
  }

  /** Serves the bus as Modbus RTU on a serial port (a pty of a socat pair in tests). */
  async serveRtu(path: string, line: SerialLine = {}): Promise<void> {
    await new Promise<void>((resolve, reject) => {
      const options = {
        path, baudRate: line.baudRate ?? 9600, parity: line.parity ?? 'none', unitID: 255, interval: FRAME_GAP_MS,
        openCallback: (err: Error | null) => (err ? reject(err) : resolve()),
      };
      const Serial = ServerSerial as unknown as new (vector: unknown, options: unknown, serialOptions: unknown) => ServerSerial;
      this.serial = new Serial(this.vector, options, { dataBits: line.dataBits ?? 8, stopBits: line.stopBits ?? 1 });
      this.serial.on('socketError', (err) => this.logger.debug({ err }, 'bus simulator serial error'));
      // ServerSerial's framed request stream (`_server`, not in its .d.ts): one 'data' per request.
      const framed = (this.serial as unknown as { _server: NodeJS.EventEmitter })._server;
      framed.on('data', (frame: Buffer) => this.countFrame(frame[0] ?? 0));
    });
  }

  async stop(): Promise<void> {
    await this.bridge?.stop();
    this.bridge = undefined;
    const tcp = this.tcp;
    this.tcp = undefined;
    if (tcp) await new Promise<void>((resolve) => tcp.close(() => resolve()));
    const serial = this.serial;
    this.serial = undefined;
    if (serial) await new Promise<void>((resolve) => serial.close(() => resolve()));
    for (const s of this.simulators) await s.stop();
  }
}
