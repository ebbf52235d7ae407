/**
 * A Modbus TCP device simulated from a model file: every point moves by its `simulate` spec
 * (see motion.ts) and is served on a modbus-serial `ServerTCP` from the banks (banks.ts) with
 * the gateway's own codec, so what a client decodes equals `snapshot()`.
 *
 * Client writes land in the banks. A write that covers any register/coil of an rw point pins
 * that point: motion stops overwriting it, so the written value sticks. Points with access r
 * keep moving (their register is overwritten on the next tick). `setPoint` pins a point too.
 * Unmapped reads return 0, unmapped writes get exception 02 (see service-vector.ts).
 */
import type { Server } from 'node:net';
import { performance } from 'node:perf_hooks';
import { ServerTCP, type IServiceVector } from 'modbus-serial';
import type { ModbusModel, ModbusPoint } from '../catalog/types.js';
import { ERROR_CODES, GatewayError, errorMessage } from '../errors.js';
import { silentLogger, type Logger } from '../ops/logger.js';
import { createBanks, type Banks } from './banks.js';
import { createMotion, pointSeed, type Motion, type SimValue } from './motion.js';
import { loadPoint, storePoint, type EngValue } from './point-io.js';
import { createServiceVector, type WritableTable } from './service-vector.js';

export interface DeviceSimulatorOptions {
  readonly model: ModbusModel;
  /** Address to listen on; default 127.0.0.1. */
  readonly host?: string;
  /** TCP port; 0 picks a free ephemeral port (read it from `port` after `start()`). */
  readonly port: number;
  /** false: no server of its own; a bus simulator serves `serviceVector()` (several unit ids, RTU). Default true. */
  readonly listen?: boolean;
  /** Unit id answered (1..247); requests for other ids get no answer, as on a real bus. 0 or 255 answer every id (ServerTCP). */
  readonly unitId: number;
  /** Seed of every random draw (walk, noise, sine phase); same seed, same motion. Default 1. */
  readonly seed?: number;
  /** How often point values are recomputed, ms; default 100. */
  readonly tickMs?: number;
  readonly logger?: Logger;
}

export type Snapshot = Record<string, EngValue>;

export class DeviceSimulator {
  private readonly banks: Banks = createBanks();
  private readonly motions = new Map<string, Motion>();
  private readonly pinned = new Set<string>();
  private server: ServerTCP | undefined;
  private timer: NodeJS.Timeout | undefined;
  private origin = 0;
  private pausedAt: number | undefined;
  private boundPort = 0;
  private writes = 0;
  private readonly logger: Logger;
  private readonly vector: IServiceVector = createServiceVector(this.banks, (t, s, c) => this.pinWritten(t, s, c));

  constructor(private readonly opts: DeviceSimulatorOptions) {
    this.logger = opts.logger ?? silentLogger();
  }

  get model(): ModbusModel {
    return this.opts.model;
  }

  get unitId(): number {
    return this.opts.unitId;
  }

  /** The port listened on (the ephemeral one when started with port 0); 0 before `start()`. */
  get port(): number {
    return this.boundPort;
  }

  /** Fills the banks, starts listening and ticking. Rejects if the port cannot be bound. */
  async start(): Promise<void> {
    if (this.server || this.timer) throw new GatewayError(ERROR_CODES.INTERNAL, `simulator of ${this.model.id} already started`);
    this.prepare();
    this.compute(this.elapsedS());
    if (this.opts.listen === false) {
      this.startTicking();
      return;
    }
    const server = new ServerTCP(this.vector, {
      host: this.opts.host ?? '127.0.0.1',
      // ServerTCP listens on `options.port || 502`: a numeric 0 would become 502. Node accepts the
      // port as a numeric string, and '0' is truthy, so this asks for an ephemeral port.
      port: (this.opts.port === 0 ? '0' : this.opts.port) as number,
      unitID: this.opts.unitId,
    });
    this.server = server;
    server.on('socketError', (err) => this.logger.debug({ err }, 'simulator socket error'));
    server.on('error', (err) => this.logger.warn({ err }, 'simulator error'));
    try {
      await this.listening(server);
    } catch (err) {
      this.server = undefined;
      throw err;
    }
    this.startTicking();
    this.logger.info({ model: this.model.id, port: this.port, unitId: this.unitId }, 'simulator listening');
  }

  /** The Modbus service of this device (its banks), for a server that answers several unit ids. */
  serviceVector(): IServiceVector {
    return this.vector;
  }

  private startTicking(): void {
    this.timer = setInterval(() => this.tick(), this.opts.tickMs ?? 100);
    this.timer.unref();
  }

  /** Stops ticking, closes the server and every client socket. Safe to call twice. */
  async stop(): Promise<void> {
    clearInterval(this.timer);
    this.timer = undefined;
    const server = this.server;
    this.server = undefined;
    if (!server) return;
    await new Promise<void>((resolve) => server.close(() => resolve()));
    server.removeAllListeners();
  }

  /**
   * Freezes motion: values stay as they are until `resume()` (client writes still apply).
   * Paused before `start()`, the simulator starts serving the values at t = 0.
   */
  pause(): void {
    this.pausedAt ??= performance.now();
  }

  /** Unfreezes motion where it stopped (paused time does not count). */
  resume(): void {
    if (this.pausedAt === undefined) return;
    this.origin += performance.now() - this.pausedAt;
    this.pausedAt = undefined;
  }

  /** Serves `value` (engineering units) for a point from now on; motion no longer moves it. */
  setPoint(name: string, value: SimValue): void {
    storePoint(this.banks, this.point(name), value);
    this.pinned.add(name);
  }

  /** Lets motion move a point again after a client write or `setPoint`. */
  release(name: string): void {
    this.point(name);
    this.pinned.delete(name);
  }

  /** Every point's engineering value as served now, decoded from the banks. */
  snapshot(): Snapshot {
    const out: Snapshot = {};
    for (const p of this.model.points) out[p.name] = loadPoint(this.banks, p);
    return out;
  }

  /** Seconds of motion so far (paused time excluded). */
  elapsedS(): number {
    return ((this.pausedAt ?? performance.now()) - this.origin) / 1000;
  }

  private prepare(): void {
    const seed = this.opts.seed ?? 1;
    for (const p of this.model.points) {
      this.motions.set(p.name, createMotion(p.simulate, pointSeed(seed, p.name)));
      const a = p.address;
      if (a.table === 'coil' || a.table === 'holding') this.banks[a.table].map(a.register, a.count);
    }
    this.origin = performance.now();
    if (this.pausedAt !== undefined) this.pausedAt = this.origin;
  }

  private tick(): void {
    if (this.pausedAt === undefined) this.compute(this.elapsedS());
  }

  /** Stores every unpinned point's motion value at `t` seconds. */
  private compute(t: number): void {
    for (const p of this.model.points) {
      if (this.pinned.has(p.name)) continue;
      try {
        storePoint(this.banks, p, this.motions.get(p.name)?.at(t) ?? 0);
      } catch (err) {
        this.logger.warn({ point: p.name, err: errorMessage(err) }, 'simulated value not stored');
      }
    }
  }

  /** Client write requests (FC5/6/15/16) stored since start: tests check that nothing was written. */
  get writeCount(): number {
    return this.writes;
  }

  /** A client wrote `table` start..start+count-1: pin every rw point the write touched. */
  private pinWritten(table: WritableTable, start: number, count: number): void {
    this.writes++;
    for (const p of this.model.points) {
      const a = p.address;
      const overlaps = a.table === table && a.register < start + count && start < a.register + a.count;
      if (overlaps && p.access === 'rw') this.pinned.add(p.name);
    }
  }

  private point(name: string): ModbusPoint {
    const p = this.model.points.find((q) => q.name === name);
    if (!p) throw new GatewayError(ERROR_CODES.INTERNAL, `model ${this.model.id} has no point "${name}"`);
    return p;
  }

  private listening(server: ServerTCP): Promise<void> {
    return new Promise((resolve, reject) => {
      server.once('initialized', () => {
        this.boundPort = addressPort((server as unknown as { _server: Server })._server);
        resolve();
      });
      server.once('serverError', (err) => {
        reject(new GatewayError(ERROR_CODES.INTERNAL, `simulator of ${this.model.id} cannot listen: ${errorMessage(err)}`, { cause: err }));
      });
    });
  }
}

/** ServerTCP keeps its net.Server in `_server` (not in its .d.ts); the bound port is read there. */
function addressPort(server: Server): number {
  const addr = server.address();
  return typeof addr === 'object' && addr !== null ? addr.port : 0;
}
